"""What risk control publishes. Pure: other contexts import these to subscribe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


@event("risk.review_decided")
@dataclass(frozen=True)
class ReviewDecided(Event):
    """An operator cleared (not abuse) or confirmed (abuse) a risk review of an after-sales request or of an
    insured return's freight (``stage``: claim | return)."""

    review_id: str
    case_id: str
    stage: str
    cleared: bool
    reason: str
    note: str
    operator: str
    decided_at: dt.datetime


@event("risk.shop_blocked")
@dataclass(frozen=True)
class ShopBlocked(Event):
    """Risk control blocked a shop: its onboarding screening blocked it (``cause``: risk.verdict), an operator
    banned it (risk.ban) or confirmed a review of it (risk.review). ``reason_codes`` are risk codes: operators only."""

    shop_id: str
    cause: str
    cause_id: str
    reason_codes: tuple[str, ...]
    blocked_by: str
    blocked_at: dt.datetime


@event("risk.shop_unblocked")
@dataclass(frozen=True)
class ShopUnblocked(Event):
    """An operator cleared the review of a shop that screening had blocked (``cause_id``: the review)."""

    shop_id: str
    cause: str
    cause_id: str
    reason: str
    unblocked_by: str
    unblocked_at: dt.datetime
