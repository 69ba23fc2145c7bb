/* test_policy: being written */
