/* test_config: being written */
