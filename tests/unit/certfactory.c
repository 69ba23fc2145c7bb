/* certfactory: being written */
