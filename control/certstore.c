/* certstore: being written */
