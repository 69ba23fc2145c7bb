/* events: being written */
