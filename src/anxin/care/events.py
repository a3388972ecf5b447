"""What the care context publishes. Pure: other contexts import these to subscribe.

H3 (the 30-day companion) defines only the event it subscribes to, field for field as care-core's branch has it;
care-core owns this module and adds its other events (ticket breached, ticket closed) beside it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


@event("care.consultation_opened")
@dataclass(frozen=True)
class ConsultationOpened(Event):
    """A consultation was routed: to a ticket (``ticket_id``) or answered by its case or parcel timeline
    (``route``: merchant_cs | platform_cs | case | parcel). ``order_id`` is None when it is about no order."""

    consultation_id: str
    order_id: str | None
    shop_id: str | None
    consumer_id: str | None  # None for the merchant channel
    intent: str
    route: str
    at: dt.datetime
    channel: str
    topic: str
    ticket_id: str | None
    source: str  # api | platform
