"""Worry-free use cases other contexts call (in the caller's unit of work), and the service bootstrap builds.

Module functions (``reserve``, ``transfer``, ``release``, ``ship``, ``confirm``, ``on_order_paid``,
``on_order_cancelled``, ``on_order_shipped``, ``lot``, ``lots_of``, ``stock_of``, ``set_lot_verdict``,
``receive_lot``) take the caller's open unit of work and never commit. ``WorryFree`` holds the clock and rulebooks
for the API and the ``worryfree.expire_holds`` job, and commits its own units of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.exc import IntegrityError

from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.orders import service as orders
from anxin.shops import service as shops
from anxin.worryfree import stock
from anxin.worryfree.error_codes import WorryFreeErrorCode as E
from anxin.worryfree.events import OrderUnbacked
from anxin.worryfree.model import InboundLot as InboundLot  # the types these calls take and return
from anxin.worryfree.model import Lot as Lot
from anxin.worryfree.model import LotStatus as LotStatus
from anxin.worryfree.model import Reservation as Reservation
from anxin.worryfree.model import ReservationState as ReservationState
from anxin.worryfree.model import Source as Source
from anxin.worryfree.model import StockLevel as StockLevel
from anxin.worryfree.model import bag_holder as bag_holder
from anxin.worryfree.model import merge_items
from anxin.worryfree.model import order_holder as order_holder
from anxin.worryfree.model import shelf_life_share as shelf_life_share
from anxin.worryfree.payloads import PAYLOADS as PAYLOADS  # the model of each event type's data it owns
from anxin.worryfree.payloads import parse_lot_received as parse_lot_received
from anxin.worryfree.rules import RULE_UNBACKED, packaged_rules
from anxin.worryfree.rules import WorryFreeRules as WorryFreeRules
from anxin.worryfree.rules import load_worryfree_rules as load_worryfree_rules
from anxin.worryfree.stock import PROGRAMME as PROGRAMME
from anxin.worryfree.stock import Terms as Terms
from anxin.worryfree.stock import confirm as confirm
from anxin.worryfree.stock import lot as lot
from anxin.worryfree.stock import lots_of as lots_of
from anxin.worryfree.stock import mark_inspecting as mark_inspecting
from anxin.worryfree.stock import receive_lot as receive_lot
from anxin.worryfree.stock import release as release
from anxin.worryfree.stock import reservations as reservations
from anxin.worryfree.stock import reserve as reserve
from anxin.worryfree.stock import set_lot_verdict as set_lot_verdict
from anxin.worryfree.stock import ship as ship
from anxin.worryfree.stock import transfer as transfer
from anxin.worryfree.stock import warehouse_window as warehouse_window
from anxin.worryfree.store import StockRepository

WAREHOUSE = "warehouse"

__all__ = ["WAREHOUSE", "WorryFree", "bag_holder", "on_order_cancelled", "on_order_paid", "on_order_shipped",
           "order_holder", "stock_of"]


def stock_of(uow: UnitOfWork, listing_id: str) -> StockLevel:
    """The listing's warehouse stock: available in passed lots, reserved, shipped, and its lots by status."""
    available, reserved, shipped, by_status = StockRepository(uow.session).totals(listing_id)
    return StockLevel(listing_id, available, reserved, shipped, by_status)


def available_of(uow: UnitOfWork, listing_ids: Sequence[str]) -> dict[str, int]:
    """Units available in passed lots, per listing (0 for a listing without any)."""
    return StockRepository(uow.session).available_by_listing(listing_ids)


# --- the orders' hooks (ingestion calls them in the event's unit of work, on both paths) -----------------------------

def enrolled_among(uow: UnitOfWork, listing_ids: Sequence[str]) -> frozenset[str]:
    """The listings among these enrolled in the programme (the tag slice's enrolments)."""
    return stock.PROGRAMME.enrolled(uow.session, list(listing_ids)) if listing_ids else frozenset()


def holding_stock(uow: UnitOfWork, order_ids: Sequence[str]) -> set[str]:
    """The orders among these with any reservation (whatever its state)."""
    return StockRepository(uow.session).holders_among([order_holder(o) for o in order_ids], prefix="order:")


def on_order_paid(uow: UnitOfWork, order: orders.Order, *, terms: Terms | None = None,
                  enrolled: frozenset[str] | None = None, lock: bool = True) -> orders.Order:
    """Before ``orders.record_paid``: the order as it is to be recorded. For the items of enrolled listings (and of
    any listing the order holds at checkout), a checkout hold of the order is confirmed and what it did not cover is
    reserved now (source ``payment``); when every such item is reserved the order is ``fulfilled_from="warehouse"``
    (and ``worry_free`` when every one of those listings carries the tag). An item without stock is recorded in
    ``wf_unbacked_orders`` (and ``worryfree.order_unbacked`` published): the order is sold without the guarantee,
    ``fulfilled_from`` None. An order already recorded, or without such items, is returned unchanged. ``enrolled``:
    the enrolled listings when the caller has read them already (a superset is fine). ``lock``: lock the order's
    holder before reading it (``StockRepository.lock_holder``), so two payments of one order at once reserve once;
    a bulk chunk passes False (thousands of advisory locks in one transaction would exhaust PostgreSQL's lock table):
    its orders' rows are inserted unconditionally, so a concurrent payment of one of them fails one of the two
    transactions on the orders' key, and the chunk is replayed event by event."""
    ids = list(dict.fromkeys(i.listing_id for i in order.items))
    holder = order_holder(order.order_id)
    if lock:  # a concurrent payment of this order (or its checkout hold) finishes first; then this one reads it
        uow.begin_write()
        StockRepository(uow.session).lock_holder(holder)
    held_listings = {r.listing_id for r in stock.reservations(uow, holder)
                     if r.state in (ReservationState.CONFIRMED, ReservationState.HELD)}
    enrolled = ((enrolled_among(uow, ids) if enrolled is None else enrolled) | held_listings) & frozenset(ids)
    if not enrolled or orders.order_exists(uow, order.order_id):  # a second order.paid changes nothing
        return order
    t = terms if terms is not None else Terms.packaged()
    tagged = stock.PROGRAMME.tagged(uow.session, sorted(enrolled))
    at = order.paid_at
    stock.confirm(uow, holder=holder, at=at)
    held: dict[str, int] = {}
    for r in stock.reservations(uow, holder):
        if r.state in (ReservationState.CONFIRMED, ReservationState.HELD):
            held[r.listing_id] = held.get(r.listing_id, 0) + r.quantity
    wanted: dict[str, int] = {}
    for item in order.items:
        if item.listing_id in enrolled:
            wanted[item.listing_id] = wanted.get(item.listing_id, 0) + item.qty
    missing = {lid: q - held.get(lid, 0) for lid, q in wanted.items() if q > held.get(lid, 0)}
    unbacked: dict[str, tuple[int, int]] = {}
    ship_by = at + t.ship_within
    for listing_id, qty in sorted(missing.items()):  # one listing at a time: what can be reserved is
        try:
            with uow.savepoint():
                stock.reserve(uow, holder=holder, items=[(listing_id, qty)], at=at, source=Source.PAYMENT,
                              terms=t, ship_by=ship_by)
        except AnxinError as exc:
            if exc.code is not E.OUT_OF_STOCK:
                raise
            short = exc.details.get("short") or [{"available": 0}]
            unbacked[listing_id] = (qty, int(short[0].get("available", 0)))
    if unbacked:
        repo = StockRepository(uow.session)
        for listing_id, (qty, available) in unbacked.items():
            repo.add_unbacked(order_id=order.order_id, listing_id=listing_id, shop_id=order.shop_id, quantity=qty,
                              available=available, at=at, reason="out_of_stock", rule_ids=[RULE_UNBACKED],
                              version=t.rules.version,
                              facts={"wanted": qty, "held_at_checkout": held.get(listing_id, 0),
                                     "available_within_shelf_life": available, "ship_by": ship_by.isoformat()})
        uow.record(OrderUnbacked(order_id=order.order_id, shop_id=order.shop_id, listing_ids=tuple(sorted(unbacked)),
                                 at=at))
        return order
    return replace(order, fulfilled_from=WAREHOUSE, worry_free=set(wanted) <= tagged)


def on_order_cancelled(uow: UnitOfWork, order_id: str, at: dt.datetime) -> list[Reservation]:
    """The order's held and confirmed units go back to their lots (nothing on a replay, or once shipped)."""
    return stock.release(uow, holder=order_holder(order_id), at=at, reason="order_cancelled")


def on_order_shipped(uow: UnitOfWork, order_id: str, at: dt.datetime) -> list[Reservation]:
    """The order's reserved units left the warehouse (nothing on a replay)."""
    return stock.ship(uow, holder=order_holder(order_id), at=at)


# --- the checkout's reservations (API) and the hold-expiry job ------------------------------------------------------

@dataclass(frozen=True)
class Hold:
    """The answer of a checkout reservation: what the order holds now, and whether this call made it."""

    order_id: str
    created: bool
    reservations: tuple[Reservation, ...]

    def as_dict(self) -> dict[str, Any]:
        live = [r for r in self.reservations if r.state in (ReservationState.HELD, ReservationState.CONFIRMED)]
        items: dict[str, int] = {}
        for r in live:
            items[r.listing_id] = items.get(r.listing_id, 0) + r.quantity
        return {"order_id": self.order_id, "holder": order_holder(self.order_id),
                "state": live[0].state.value if live else "released",
                "expires_at": max((r.expires_at for r in live if r.expires_at), default=None),
                "items": [{"listing_id": lid, "quantity": q} for lid, q in sorted(items.items())],
                "reservations": [r.as_dict() for r in self.reservations]}


def _live_items(rs: Sequence[Reservation]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rs:
        if r.state in (ReservationState.HELD, ReservationState.CONFIRMED):
            out[r.listing_id] = out.get(r.listing_id, 0) + r.quantity
    return out


class WorryFree:
    """What the API and the jobs call: each method one unit of work, committed."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: WorryFreeRules | None = None,
                 fulfilment: orders.FulfilmentRulebook | None = None) -> None:
        self.uow_factory, self.clock = uow_factory, clock
        self.rules = rules or packaged_rules()
        self.terms = Terms(self.rules, warehouse_window(fulfilment))

    def hold(self, order_id: str, items: Sequence[tuple[str, int]]) -> Hold:
        """Reserve for a checkout (idempotent by order id: the same items again answer the same hold, created
        False; other items are ``worryfree.reservation_conflict``). Out of stock: ``worryfree.out_of_stock``,
        nothing held."""
        holder = order_holder(order_id)
        wanted = dict(merge_items(items)) if items else {}
        if not wanted:
            raise AnxinError(E.INVALID, "at least one item", field="items")
        try:
            return self._hold_once(order_id, holder, wanted)
        except IntegrityError:  # a bulk chunk's payment of this order (it does not lock the holder) won: answer it
            return self._hold_once(order_id, holder, wanted)

    def _hold_once(self, order_id: str, holder: str, wanted: dict[str, int]) -> Hold:
        with self.uow_factory() as uow:
            uow.begin_write()
            # A twin of this checkout (or the order's payment) at once goes first; this one then reads what it did.
            StockRepository(uow.session).lock_holder(holder)
            existing = stock.reservations(uow, holder)
            live = _live_items(existing)
            if live or orders.order_exists(uow, order_id):
                if live == wanted:
                    return Hold(order_id, False, tuple(existing))
                raise AnxinError(E.RESERVATION_CONFLICT, f"order {order_id} already holds other items or was paid",
                                 holds=[{"listing_id": k, "quantity": v} for k, v in sorted(live.items())])
            made = stock.reserve(uow, holder=holder, items=list(wanted.items()), at=self.clock.now(),
                                 source=Source.CHECKOUT, terms=self.terms, holding=existing)
            uow.commit()
        now = {r.reservation_id: r for r in existing} | {r.reservation_id: r for r in made}
        return Hold(order_id, True, tuple(sorted(now.values(), key=lambda r: (r.created_at, r.reservation_id))))

    def drop(self, order_id: str) -> Hold:
        """Give up a checkout's hold (the consumer left): its units go back. Paid or shipped:
        ``worryfree.not_releasable`` (a paid order's units go back with ``order.cancelled``); nothing held:
        ``worryfree.reservation_not_found``."""
        holder = order_holder(order_id)
        with self.uow_factory() as uow:
            existing = stock.reservations(uow, holder)
            if not existing:
                raise AnxinError(E.RESERVATION_NOT_FOUND, f"order {order_id} holds nothing", order_id=order_id)
            if any(r.state in (ReservationState.SHIPPED, ReservationState.CONFIRMED) for r in existing):
                raise AnxinError(E.NOT_RELEASABLE, f"order {order_id} is paid or shipped: its stock goes back when "
                                 "the order is cancelled (order.cancelled)", order_id=order_id)
            stock.release(uow, holder=holder, at=self.clock.now(), reason="checkout_abandoned")
            after = stock.reservations(uow, holder)
            uow.commit()
        return Hold(order_id, False, tuple(after))

    def held(self, order_id: str) -> Hold | None:
        with self.uow_factory() as uow:
            existing = stock.reservations(uow, order_holder(order_id))
        return Hold(order_id, False, tuple(existing)) if existing else None

    def stock(self, listing_id: str) -> StockLevel:
        with self.uow_factory() as uow:
            return stock_of(uow, listing_id)

    def stock_for(self, who: Principal, listing_id: str) -> StockLevel:
        """A listing's stock as ``who`` may see it: operators and the platform any listing, a merchant their
        shops' (another's, or an unknown one, is ``worryfree.listing_not_found``), nobody else."""
        with self.uow_factory() as uow:
            listing = catalog.get_listings(uow, [listing_id]).get(listing_id)
            allowed = who.role in (Role.OPERATOR, Role.PLATFORM) or (
                who.role is Role.MERCHANT and listing is not None
                and listing.shop_id in shops.shop_ids_of_merchant(uow, who.subject))
            if listing is None or not allowed:
                raise AnxinError(E.LISTING_NOT_FOUND, f"no listing {listing_id} you may see", listing_id=listing_id)
            return stock_of(uow, listing_id)

    def expire_holds(self, now: dt.datetime | None = None, batch: int = 500) -> int:
        """The job ``worryfree.expire_holds``: checkout holds past their hold_until are released; how many."""
        at = now or self.clock.now()
        total = 0
        while True:
            with self.uow_factory() as uow:
                n = stock.expire_holds(uow, at, batch)
                uow.commit()
            total += n
            if n < batch:
                return total
