/* commands: being written */
