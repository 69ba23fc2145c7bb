/* config_parse: being written */
