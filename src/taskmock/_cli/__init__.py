"""The `taskmock` command line: one module per command."""
