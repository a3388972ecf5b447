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
