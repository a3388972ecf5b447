"""Identifiers minted by anxin (cases, outbox messages, keys). Platform ids are kept as given."""

from __future__ import annotations

import hashlib
import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def derived_id(prefix: str, *parts: str) -> str:
    """An id that the same parts always give: what a replay or the bulk path mints again for the same thing."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{prefix}_{digest}"
