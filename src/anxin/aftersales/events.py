"""What the after-sales context publishes: facts other contexts (care's 30-day companion) may act on. Pure: other
contexts import these to subscribe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event

# What rejected a case (``CaseRejected.reason``): the merchant refused the request or the returned goods, or the
# guarantee rulebook refused the request when it was filed.
MERCHANT_REJECTED = "merchant_rejected"
RECEIPT_REJECTED = "receipt_rejected"
RULEBOOK_REJECTED = "rulebook_rejected"


@event("aftersales.case_rejected")
@dataclass(frozen=True)
class CaseRejected(Event):
    """A case entered the ``rejected`` state (the consumer may still ask the platform to step in until the
    escalation deadline). ``reason``: merchant_rejected | receipt_rejected | rulebook_rejected."""

    case_id: str
    order_id: str
    shop_id: str
    consumer_id: str
    at: dt.datetime
    reason: str
