/* certstore_check: being written */
