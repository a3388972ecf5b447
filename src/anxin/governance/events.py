"""What governance publishes: violations recorded and reversed, measures applied and lifted. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


@event("governance.violation_recorded")
@dataclass(frozen=True)
class ViolationRecorded(Event):
    violation_id: str
    kind: str
    violation_class: str
    subject: str
    shop_id: str | None
    creator_id: str | None
    points_hundredths: int
    source_type: str
    source_id: str
    decision_id: str
    recorded_at: dt.datetime


@event("governance.violation_reversed")
@dataclass(frozen=True)
class ViolationReversed(Event):
    violation_id: str
    kind: str
    shop_id: str | None
    creator_id: str | None
    cause_type: str
    cause_id: str
    decision_id: str
    reversed_at: dt.datetime


@event("governance.measure_applied")
@dataclass(frozen=True)
class MeasureApplied(Event):
    """A measure took effect (``action_ids``: the platform actions that enforce it; none for a warning)."""

    measure_id: str
    violation_id: str
    measure_type: str
    target: str
    owner: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    action_ids: tuple[str, ...]


@event("governance.measure_lifted")
@dataclass(frozen=True)
class MeasureLifted(Event):
    """A measure ended: ``reason`` expired | reversed; ``action_ids``: the platform lifts issued."""

    measure_id: str
    violation_id: str
    measure_type: str
    target: str
    owner: str
    reason: str
    lifted_at: dt.datetime
    action_ids: tuple[str, ...]
