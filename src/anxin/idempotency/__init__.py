"""Idempotency keys on money-moving calls: the same key and body answer the first response."""
