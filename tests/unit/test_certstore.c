/* test_certstore: being written */
