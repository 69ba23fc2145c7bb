/* certstore_select: being written */
