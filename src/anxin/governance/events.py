"""What the governance context publishes. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


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
