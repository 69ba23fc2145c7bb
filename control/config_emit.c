/* config_emit: being written */
