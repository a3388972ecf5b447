"""Developer tools that generate checked-in files from the code (the import contracts, the architecture doc)."""
