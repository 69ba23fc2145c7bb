/* config_validate: being written */
