/* config_model: being written */
