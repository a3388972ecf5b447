"""Outbox: money-moving messages to the platform, written with the state change, sent as signed webhooks.

Never twice (leases + Idempotency-Key for the receiver), never lost (same transaction as the cause,
retried with backoff, dead messages kept for an operator to redeliver).
"""
