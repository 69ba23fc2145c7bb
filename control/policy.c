/* policy: being written */
