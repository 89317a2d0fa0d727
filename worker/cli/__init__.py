"""The `newsworker` command line."""
