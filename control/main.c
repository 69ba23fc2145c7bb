/* main: being written */
