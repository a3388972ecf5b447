"""The shop as the platform describes it: pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class StoreType(StrEnum):
    ENTERPRISE = "enterprise"
    INDIVIDUAL = "individual"
    PERSONAL = "personal"


STORE_TYPES = frozenset(t.value for t in StoreType)

# Services a shop can opt into. 'anxin_gou' is the 安心购 bundle; the rulebook decides what it implies.
KNOWN_SERVICES = frozenset({"anxin_gou", "instant_refund", "pickup", "shipping_insurance",
                            "fresh_spoilage", "allergy_return", "exchange_for_repair"})


@dataclass(frozen=True)
class Shop:
    shop_id: str
    merchant_id: str
    name: str
    store_type: str
    services: frozenset[str]
    opened_at: dt.datetime | None = None  # when the platform opened it, if the event says
