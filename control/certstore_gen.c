/* certstore_gen: being written */
