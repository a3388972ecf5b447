"""Facts the worry-free programme publishes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


# --- inbound inspection (H2) -------------------------------------------------------------------------------------

@event("worryfree.lot_rejected")
@dataclass(frozen=True)
class LotRejected(Event):
    """An inbound lot was rejected: at receipt for its shelf life, or by its sample's defects. Governance may make a
    violation of it (catalogue kind ``worry_free_inbound_rejected``)."""

    lot_id: str
    shop_id: str
    listing_id: str
    supplier_id: str
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str
    defective_units: int
    sample_size: int
    rejected_at: dt.datetime
