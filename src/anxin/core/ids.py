"""Identifiers minted by anxin (cases, outbox messages, keys). Platform ids are kept as given."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def new_secret(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)
