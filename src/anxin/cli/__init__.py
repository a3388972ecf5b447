"""The `anxin` command."""
