"""Roles, principals and key material. Pure: no database, no clock."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from anxin.core.ids import new_secret

KEY_PREFIX = "ax_"


class Role(StrEnum):
    PLATFORM = "platform"
    CONSUMER = "consumer"
    MERCHANT = "merchant"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``subject`` is the consumer_id / merchant_id for those roles, a label otherwise."""

    key_id: str
    role: Role
    subject: str


def new_raw_key() -> str:
    # The prefix makes leaked keys easy to spot in logs and secret scanners.
    return KEY_PREFIX + new_secret()


def hash_key(raw: str) -> str:
    """Only the hash is stored; keys are long random secrets, so a fast unsalted hash is enough."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None
