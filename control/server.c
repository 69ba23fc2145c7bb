/* server: being written */
