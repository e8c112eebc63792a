"""The command line: options, configuration, what is printed, and the signals bound to a job."""
