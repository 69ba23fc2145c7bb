/* umedgectl: being written */
