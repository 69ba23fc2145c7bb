/* expiry: being written */
