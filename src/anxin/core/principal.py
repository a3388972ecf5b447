"""Who is calling: the shared kernel every context checks permissions against. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PLATFORM = "platform"
    CONSUMER = "consumer"
    MERCHANT = "merchant"
    OPERATOR = "operator"
    CREATOR = "creator"  # a creator (达人): their own reputation, violations and appeals
    RIGHTS_HOLDER = "rights_holder"  # files IP complaints against listings


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``subject`` is the consumer_id / merchant_id / creator_id / rights holder id for those
    roles, a label otherwise."""

    key_id: str
    role: Role
    subject: str
