"""Facts the worry-free programme publishes. Pure.

- ``worryfree.lot_received``: a lot arrived (inspection plans its sample from it).
- ``worryfree.lot_rejected``: inspection rejected a lot (governance may record a violation).
- ``worryfree.lot_passed``: a lot passed inspection; its units are available (the tag is re-evaluated).
- ``worryfree.stock_depleted``: a listing's available warehouse stock reached zero (the tag is re-evaluated).
- ``worryfree.stock_replenished``: units given back (a release, an expired hold) made a listing's available stock
  more than zero again (the tag is re-evaluated).
- ``worryfree.order_unbacked``: a paid order of an enrolled listing found no stock (sold without the guarantee).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


@event("worryfree.lot_received")
@dataclass(frozen=True)
class LotReceived(Event):
    lot_id: str
    listing_id: str
    shop_id: str
    supplier_id: str
    quantity: int
    produced_on: dt.date
    expires_on: dt.date
    received_at: dt.datetime


@event("worryfree.lot_rejected")
@dataclass(frozen=True)
class LotRejected(Event):
    lot_id: str
    listing_id: str
    shop_id: str
    supplier_id: str
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str
    at: dt.datetime


@event("worryfree.lot_passed")
@dataclass(frozen=True)
class LotPassed(Event):
    lot_id: str
    listing_id: str
    shop_id: str
    units_available: int
    at: dt.datetime


@event("worryfree.stock_depleted")
@dataclass(frozen=True)
class StockDepleted(Event):
    listing_id: str
    at: dt.datetime


@event("worryfree.stock_replenished")
@dataclass(frozen=True)
class StockReplenished(Event):
    listing_id: str
    available: int
    at: dt.datetime


@event("worryfree.order_unbacked")
@dataclass(frozen=True)
class OrderUnbacked(Event):
    order_id: str
    shop_id: str
    listing_ids: tuple[str, ...]
    at: dt.datetime
