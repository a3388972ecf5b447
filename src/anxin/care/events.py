"""What the care context publishes. Pure: other contexts import these to subscribe.

H3 (the 30-day companion) defines only the event it subscribes to, as the shared design names it; H1 (care-core)
owns this module and adds its other events (ticket breached, ticket closed) beside it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


@event("care.consultation_opened")
@dataclass(frozen=True)
class ConsultationOpened(Event):
    """A consumer or a merchant opened a consultation (``intent`` as classified, ``route`` where it went:
    merchant_cs | platform_cs | case | parcel). ``order_id`` is None when it is about no order (pre-sale, account);
    ``consumer_id`` None on the merchant channel."""

    consultation_id: str
    order_id: str | None
    shop_id: str | None
    consumer_id: str | None
    intent: str
    route: str
    at: dt.datetime
