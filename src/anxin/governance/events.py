"""What governance publishes: violations recorded and reversed, measures applied and lifted, appeals filed and
decided, IP complaints filed and decided: facts other contexts (scoring, merchant notices) and integrators may act
on. Pure."""

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
@event("governance.appeal_filed")
@dataclass(frozen=True)
class AppealFiled(Event):
    """A merchant or creator appealed a violation (``number``: the violation's 1st, 2nd … appeal); the penalty stays
    in force until an operator upholds it, by ``deadline_at``."""

    appeal_id: str
    violation_id: str
    appellant: str  # merchant:<merchant_id> | creator:<creator_id>
    shop_id: str | None
    number: int
    filed_at: dt.datetime
    deadline_at: dt.datetime
    rulebook_version: str


@event("governance.appeal_decided")
@dataclass(frozen=True)
class AppealDecided(Event):
    """An operator decided an appeal: upheld (the violation, its points and measures are reversed in the same
    transaction) or rejected (``abusive``: flagged; ``channel_closed_until`` when that closed the channel)."""

    appeal_id: str
    violation_id: str
    appellant: str
    shop_id: str | None
    outcome: str  # upheld | rejected
    abusive: bool
    overdue: bool
    reason_codes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    decided_at: dt.datetime
    decided_by: str
    channel_closed_until: dt.datetime | None
    rulebook_version: str
@event("governance.ip_complaint_filed")
@dataclass(frozen=True)
class IpComplaintFiled(Event):
    """A rights holder filed a complaint against listings of a shop; its merchant may answer until the deadline."""

    complaint_id: str
    rights_holder_id: str
    shop_id: str
    listing_ids: tuple[str, ...]
    rights_kind: str
    filed_at: dt.datetime
    counter_notice_deadline: dt.datetime


@event("governance.ip_complaint_decided")
@dataclass(frozen=True)
class IpComplaintDecided(Event):
    """Operators decided a complaint. Upheld: one ip_infringement violation per listing (``violation_ids``, in
    the order of ``listing_ids``) at ``severity``; rejected: none, and it counts against the rights holder."""

    complaint_id: str
    rights_holder_id: str
    shop_id: str
    listing_ids: tuple[str, ...]
    outcome: str
    severity: str | None
    violation_ids: tuple[str, ...]
    reason_codes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str
    decided_at: dt.datetime
