"""Periodic jobs' failing items: recorded, retried with backoff, shown to operators (issue 13, poison isolation)."""
