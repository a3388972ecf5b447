"""Event ingestion from the commerce platform: idempotent by event id, order-tolerant, atomic per event."""
