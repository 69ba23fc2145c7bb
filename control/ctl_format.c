/* ctl_format: being written */
