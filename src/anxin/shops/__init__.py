"""The shop registry: the shops the platform (or an approved application) describes, and who owns them. Every
context reads shop master data here; the merchants context owns what anxin decides about a shop."""
