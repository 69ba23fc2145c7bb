/* test_expiry: being written */
