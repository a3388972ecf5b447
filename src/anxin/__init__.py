"""anxin — trust and service engine for multi-merchant marketplaces."""

__version__ = "0.1.0"
