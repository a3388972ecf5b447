"""Lots received, stock reserved at checkout or payment, released on cancellation, picked FEFO at shipment.

Every function takes the caller's unit of work and never commits. Overselling is impossible by construction: units
leave a lot's ``units_available`` only through ``StockRepository.take`` (a conditional UPDATE, ``units_available >=
:q``, under a CHECK ``units_available >= 0``). On SQLite the write transaction starts before the lots are read
(``uow.begin_write``); on PostgreSQL a take that a concurrent transaction beat matches no row, and the plan is made
again from what is left. Listings are taken in id order, lots in FEFO order, so two multi-item reservations never
wait on each other in opposite orders.

Who is enrolled and who carries the tag is the tag slice's (``tag_store.enrolled`` / ``tag_store.tagged``), looked up
through ``PROGRAMME`` so tests can stand in a fake.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from anxin.catalog import service as catalog
from anxin.core.errors import AnxinError
from anxin.core.ids import derived_id
from anxin.db.uow import UnitOfWork
from anxin.orders import service as orders
from anxin.worryfree import tag_store
from anxin.worryfree.error_codes import WorryFreeErrorCode as E
from anxin.worryfree.events import LotPassed, LotReceived, StockDepleted, StockReplenished
from anxin.worryfree.model import (
    LIVE_STATES,
    InboundLot,
    Lot,
    LotStatus,
    Plan,
    Reservation,
    ReservationState,
    Shortage,
    Source,
    merge_items,
    plan_fefo,
)
from anxin.worryfree.rules import (
    RULE_FEFO,
    RULE_HOLD,
    RULE_SHELF_LIFE_SHIPMENT,
    WorryFreeRules,
    packaged_rules,
)
from anxin.worryfree.store import StockRepository

RETRIES = 8  # plans re-made after a concurrent transaction took the units a plan counted on (PostgreSQL)


class Programme(Protocol):
    """Which listings are enrolled in the programme, and which carry the worry-free tag (the tag slice's rows)."""

    def enrolled(self, session: Session, listing_ids: Sequence[str]) -> frozenset[str]: ...

    def tagged(self, session: Session, listing_ids: Sequence[str]) -> frozenset[str]: ...


class _TagStoreProgramme:
    """The tag slice's lookups; none enrolled while that slice is absent."""

    def enrolled(self, session: Session, listing_ids: Sequence[str]) -> frozenset[str]:
        found = getattr(tag_store, "enrolled", None)
        return frozenset(found(session, list(listing_ids))) if found is not None and listing_ids else frozenset()

    def tagged(self, session: Session, listing_ids: Sequence[str]) -> frozenset[str]:
        found = getattr(tag_store, "tagged", None)
        return frozenset(found(session, list(listing_ids))) if found is not None and listing_ids else frozenset()


PROGRAMME: Programme = _TagStoreProgramme()


@functools.cache
def _packaged_warehouse_hours() -> int:
    return orders.load_fulfilment_rulebook().warehouse.ship_within_hours


def warehouse_window(fulfilment: orders.FulfilmentRulebook | None = None) -> dt.timedelta:
    """How long after payment a warehouse order ships (the fulfilment rulebook's ``warehouse.ship_within_hours``)."""
    hours = fulfilment.warehouse.ship_within_hours if fulfilment is not None else _packaged_warehouse_hours()
    return dt.timedelta(hours=hours)


@dataclass(frozen=True)
class Terms:
    """What a reservation is judged with: the worry-free rulebook and the warehouse's shipping window."""

    rules: WorryFreeRules
    ship_within: dt.timedelta

    @classmethod
    def packaged(cls) -> Terms:
        return cls(packaged_rules(), warehouse_window())

    @classmethod
    def for_fulfilment(cls, fulfilment: orders.FulfilmentRulebook) -> Terms:
        """The packaged worry-free rulebook with the given fulfilment rulebook's warehouse window."""
        return cls(packaged_rules(), warehouse_window(fulfilment))


def _terms(terms: Terms | None) -> Terms:
    return terms if terms is not None else Terms.packaged()


# --- lots ------------------------------------------------------------------------------------------------------------

def receive_lot(uow: UnitOfWork, lot: InboundLot) -> Lot | None:
    """Store a lot the warehouse received (status ``received``; nothing available until a verdict) and publish
    ``worryfree.lot_received``. A lot id already known changes nothing (None). The shop is the listing's; an unknown
    listing is a LifecycleError (ingestion parks the event on the listing first)."""
    repo = StockRepository(uow.session)
    if repo.lot(lot.lot_id) is not None:
        return None
    listing = catalog.get_listings(uow, [lot.listing_id]).get(lot.listing_id)
    if listing is None:
        raise orders.LifecycleError("unknown_listing", f"lot {lot.lot_id}: listing {lot.listing_id} is unknown")
    stored = Lot(lot.lot_id, lot.listing_id, listing.shop_id, lot.supplier_id, lot.quantity, lot.produced_on,
                 lot.expires_on, lot.received_at, LotStatus.RECEIVED)
    repo.add_lot(stored)
    uow.record(LotReceived(lot_id=lot.lot_id, listing_id=lot.listing_id, shop_id=listing.shop_id,
                           supplier_id=lot.supplier_id, quantity=lot.quantity, produced_on=lot.produced_on,
                           expires_on=lot.expires_on, received_at=lot.received_at))
    return stored


def lot(uow: UnitOfWork, lot_id: str) -> Lot | None:
    return StockRepository(uow.session).lot(lot_id)


def lots_of(uow: UnitOfWork, *, shop_id: str | None = None, listing_id: str | None = None,
            status: str | None = None, after: tuple[dt.datetime, str] | None = None, limit: int = 50) -> list[Lot]:
    """Lots newest received first; ``after`` is the (received_at, lot_id) of the previous page's last lot."""
    return StockRepository(uow.session).lots(shop_id=shop_id, listing_id=listing_id, status=status, after=after,
                                             limit=limit)


def mark_inspecting(uow: UnitOfWork, lot_id: str) -> bool:
    """received → inspecting (the inspection has started); False if the lot was not ``received``."""
    return StockRepository(uow.session).set_inspecting(lot_id)


def set_lot_verdict(uow: UnitOfWork, lot_id: str, *, status: LotStatus | str, units_removed: int,
                    at: dt.datetime) -> Lot:
    """The inspection's verdict on a lot not yet judged: ``passed`` makes quantity − units_removed available;
    ``rejected`` makes nothing available. Raises ``worryfree.lot_not_found`` or ``worryfree.verdict_conflict``
    (the lot already has a verdict). Publishes ``worryfree.lot_passed`` for a pass (the inspection slice publishes
    ``worryfree.lot_rejected`` with its reasons)."""
    verdict = LotStatus(status)
    if verdict not in (LotStatus.PASSED, LotStatus.REJECTED):
        raise AnxinError(E.INVALID, "a verdict is passed or rejected", field="status")
    repo = StockRepository(uow.session)
    uow.begin_write()
    current = repo.lot(lot_id)
    if current is None:
        raise AnxinError(E.LOT_NOT_FOUND, f"no lot {lot_id}", lot_id=lot_id)
    if not 0 <= units_removed <= current.quantity:
        raise AnxinError(E.INVALID, f"units_removed must be 0–{current.quantity}", field="units_removed")
    if not repo.set_verdict(lot_id, status=verdict, units_removed=units_removed, at=at):
        raise AnxinError(E.VERDICT_CONFLICT, f"lot {lot_id} is already {current.status.value}", lot_id=lot_id,
                         status=current.status.value)
    judged = repo.lot(lot_id)
    assert judged is not None
    if verdict is LotStatus.PASSED:
        uow.record(LotPassed(lot_id=lot_id, listing_id=judged.listing_id, shop_id=judged.shop_id,
                             units_available=judged.units_available, at=at))
    return judged


# --- reservations ----------------------------------------------------------------------------------------------------

def _plan(uow: UnitOfWork, repo: StockRepository, listing_id: str, qty: int, ship_day: dt.date,
          rules: WorryFreeRules) -> tuple[Plan, int, str, Any]:
    """The FEFO plan for ``qty`` from the listing's passed lots as read now, and the units those lots hold."""
    tag, minimum = rules.min_at_shipment(catalog.tags_for_listing(uow, listing_id))
    lots = repo.pickable(listing_id)
    plan = plan_fefo(listing_id, qty, lots, ship_day=ship_day, min_share=minimum)
    return plan, sum(lt.units_available for lt in lots), tag, minimum


@dataclass(frozen=True)
class _Taken:
    lots: list[tuple[str, int, str]]  # (lot_id, qty, share at ship day): one entry per lot
    left_after: int  # units the listing's passed lots held after the takes, as last read (0: it may be depleted)
    tag: str
    minimum: Any


def _take(uow: UnitOfWork, repo: StockRepository, listing_id: str, qty: int, ship_day: dt.date,
          rules: WorryFreeRules) -> _Taken:
    """Take ``qty`` units FEFO, one entry per lot (a plan made again after a concurrent take may come back to a lot
    it already took from: its units are summed), or raise ``_Short`` with what could be had."""
    taken: dict[str, tuple[int, str]] = {}
    left = qty
    for _ in range(RETRIES):
        plan, held_by_lots, tag, minimum = _plan(uow, repo, listing_id, left, ship_day, rules)
        if plan.short > 0:
            raise _Short(Shortage(listing_id, qty, qty - left + plan.covered))
        for pick in plan.picks:
            if repo.take(pick.lot_id, pick.quantity):
                before = taken.get(pick.lot_id, (0, ""))[0]
                taken[pick.lot_id] = (before + pick.quantity, str(pick.share_at_ship_by))
                left -= pick.quantity
        if left == 0:  # every pick of this plan was taken
            return _Taken([(lot_id, n, share) for lot_id, (n, share) in taken.items()],
                          held_by_lots - plan.covered, tag, minimum)
    raise _Short(Shortage(listing_id, qty, qty - left))


class _Short(Exception):
    def __init__(self, shortage: Shortage) -> None:
        self.shortage = shortage


def _live(repo: StockRepository, holder: str) -> list[Reservation]:
    return [r for r in repo.reservations_of(holder) if r.state in LIVE_STATES]


def reserve(uow: UnitOfWork, *, holder: str, items: Sequence[tuple[str, int]], at: dt.datetime,
            source: Source | str, hold_until: dt.datetime | None = None, terms: Terms | None = None,
            ship_by: dt.datetime | None = None, holding: Sequence[Reservation] | None = None) -> list[Reservation]:
    """Reserve every item for ``holder`` from passed lots, FEFO, skipping lots whose shelf-life share on the promised
    ship-by day (``ship_by``, default ``at`` + the warehouse window) is below the category's minimum at shipment.
    All or nothing: raises ``worryfree.out_of_stock`` (409) naming what was short; the caller's unit of work then
    holds partial takes and must roll back (or reserve inside ``uow.savepoint()``). A checkout hold
    (``source=checkout``) lasts until ``hold_until`` (default: the rulebook's checkout_hold_minutes). Units from a lot
    the holder already holds live units of are added to that one row (a payment topping up its checkout hold); a
    caller that may reserve for one holder concurrently locks it first (``StockRepository.lock_holder``), and may
    pass the holder's reservations it read since (``holding``) so they are not read again. Returns the rows made
    or added to, as they stand."""
    t = _terms(terms)
    src = Source(source)
    wanted = sorted(merge_items(items))  # listing id order: concurrent multi-item reservations lock alike
    if src is Source.CHECKOUT and hold_until is None:
        hold_until = at + t.rules.checkout_hold
    state = ReservationState.HELD if src is Source.CHECKOUT else ReservationState.CONFIRMED
    day = t.rules.local_day(ship_by or at + t.ship_within)
    repo = StockRepository(uow.session)
    uow.begin_write()
    rows = {(r.listing_id, r.lot_id): r  # one row per (listing, lot)
            for r in (repo.reservations_of(holder) if holding is None else holding)}
    made: list[Reservation] = []
    short: list[Shortage] = []
    maybe_empty: list[str] = []
    for listing_id, qty in wanted:
        try:
            taken = _take(uow, repo, listing_id, qty, day, t.rules)
        except _Short as s:
            short.append(s.shortage)
            continue
        if taken.left_after <= 0:
            maybe_empty.append(listing_id)
        rule_ids = (RULE_FEFO, RULE_SHELF_LIFE_SHIPMENT, *((RULE_HOLD,) if state is ReservationState.HELD else ()))
        for lot_id, n, share in taken.lots:
            r = Reservation(derived_id("rsv", holder, listing_id, lot_id), holder, listing_id, lot_id, n, state, src,
                            at, hold_until if state is ReservationState.HELD else None, rule_ids=rule_ids,
                            rulebook_version=t.rules.version,
                            facts={"ship_day": day.isoformat(), "shelf_life_tag": taken.tag,
                                   "min_share_at_shipment": str(taken.minimum), "share_at_ship_day": share})
            made.append(repo.upsert_reservation(r, rows.get((listing_id, lot_id))))
    if short:
        raise AnxinError(E.OUT_OF_STOCK, "not enough passed stock within the shelf-life rule: "
                         + ", ".join(f"{s.listing_id} wanted {s.wanted}, {s.available} to be had" for s in short),
                         short=[s.as_dict() for s in short])
    _note_depleted(uow, repo, maybe_empty, at)
    return made


def _note_depleted(uow: UnitOfWork, repo: StockRepository, listing_ids: Iterable[str], at: dt.datetime) -> None:
    """``listing_ids``: those whose passed lots, as the plan last read them, hold nothing after the takes; counted
    again (a concurrent release may have given units back since), and ``worryfree.stock_depleted`` for each at 0.
    A listing with units left in what the plan read is not counted: most reservations cost no aggregate read."""
    for listing_id, available in repo.available_by_listing(listing_ids).items():
        if available == 0:
            uow.record(StockDepleted(listing_id=listing_id, at=at))


def _note_replenished(uow: UnitOfWork, repo: StockRepository, before: dict[str, int], at: dt.datetime) -> None:
    """``before``: the available units of listings that had none before units were given back."""
    for listing_id, available in repo.available_by_listing([k for k, v in before.items() if v == 0]).items():
        if available > 0:
            uow.record(StockReplenished(listing_id=listing_id, available=available, at=at))


def reservations(uow: UnitOfWork, holder: str) -> list[Reservation]:
    """Every reservation of ``holder``, whatever its state, oldest first."""
    return StockRepository(uow.session).reservations_of(holder)


def _finish(uow: UnitOfWork, holder: str, at: dt.datetime, *, from_states: frozenset[ReservationState],
            to: ReservationState, reason: str | None) -> list[Reservation]:
    repo = StockRepository(uow.session)
    uow.begin_write()
    moved = []
    mine = [r for r in repo.reservations_of(holder) if r.state in from_states]
    giving_back = to in (ReservationState.RELEASED, ReservationState.EXPIRED)
    before = repo.available_by_listing({r.listing_id for r in mine}) if giving_back and mine else {}
    for r in mine:
        if repo.move(r.reservation_id, from_states=from_states, to=to, at=at, reason=reason):
            if to is ReservationState.SHIPPED:
                repo.shipped(r.lot_id, r.quantity)
            elif giving_back:
                repo.give_back(r.lot_id, r.quantity)
            moved.append(r)
    if moved and giving_back:
        _note_replenished(uow, repo, before, at)
    return moved


def release(uow: UnitOfWork, *, holder: str, at: dt.datetime, reason: str) -> list[Reservation]:
    """Give the holder's held and confirmed units back to their lots; what was released (nothing on a replay)."""
    return _finish(uow, holder, at, from_states=LIVE_STATES, to=ReservationState.RELEASED, reason=reason)


def ship(uow: UnitOfWork, *, holder: str, at: dt.datetime) -> list[Reservation]:
    """The holder's reserved units left the warehouse: reserved → shipped on their lots."""
    return _finish(uow, holder, at, from_states=LIVE_STATES, to=ReservationState.SHIPPED, reason=None)


def confirm(uow: UnitOfWork, *, holder: str, at: dt.datetime) -> list[Reservation]:
    """A checkout hold becomes a confirmed reservation (the order is paid): no longer expires. One conditional
    UPDATE, the lots untouched (their units stay reserved); what it moved, as confirmed (nothing on a replay, or once
    the hold expired or was released)."""
    return StockRepository(uow.session).confirm_held(holder, at)


def expire_holds(uow: UnitOfWork, now: dt.datetime, limit: int = 500) -> int:
    """Checkout holds past their hold_until are expired and their units given back; how many were."""
    repo = StockRepository(uow.session)
    uow.begin_write()
    n = 0
    due = repo.due_holds(now, limit)
    before = repo.available_by_listing({r.listing_id for r in due}) if due else {}
    for r in due:
        if repo.move(r.reservation_id, from_states=(ReservationState.HELD,), to=ReservationState.EXPIRED, at=now,
                     reason="hold_expired"):
            repo.give_back(r.lot_id, r.quantity)
            n += 1
    if n:
        _note_replenished(uow, repo, before, now)
    return n


def transfer(uow: UnitOfWork, *, from_holder: str, to_holder: str, listing_id: str, qty: int, at: dt.datetime,
             source: Source | str = Source.PRIZE) -> list[Reservation]:
    """Move ``qty`` reserved units of a listing from one holder to another (a lucky bag's stock → a prize order),
    first-expiring lots first; the lots' counters do not change. The new reservations are confirmed. Raises
    ``worryfree.out_of_stock`` when ``from_holder`` holds fewer."""
    if qty <= 0:
        raise AnxinError(E.INVALID, "quantity must be positive", field="quantity")
    repo = StockRepository(uow.session)
    uow.begin_write()
    lots = {lt.lot_id: lt for lt in (repo.lot(r.lot_id) for r in repo.reservations_of(from_holder)) if lt}
    mine = sorted((r for r in _live(repo, from_holder) if r.listing_id == listing_id),
                  key=lambda r: (lots[r.lot_id].expires_on, lots[r.lot_id].received_at, r.lot_id))
    if sum(r.quantity for r in mine) < qty:
        raise AnxinError(E.OUT_OF_STOCK, f"{from_holder} holds fewer than {qty} of {listing_id}",
                         short=[{"listing_id": listing_id, "wanted": qty,
                                 "available": sum(r.quantity for r in mine)}])
    left, made = qty, []
    rows = {(r.listing_id, r.lot_id): r for r in repo.reservations_of(to_holder)}
    existing = {k: r for k, r in rows.items() if r.state in LIVE_STATES}
    for r in mine:
        if left == 0:
            break
        n = min(left, r.quantity)
        if n == r.quantity:
            repo.move(r.reservation_id, from_states=LIVE_STATES, to=ReservationState.RELEASED, at=at,
                      reason="transferred")
        else:
            repo.move(r.reservation_id, from_states=LIVE_STATES, to=r.state, at=at, quantity=r.quantity - n)
        current = existing.get((listing_id, r.lot_id))
        if current is not None:
            repo.move(current.reservation_id, from_states=LIVE_STATES, to=current.state, at=at,
                      quantity=current.quantity + n)
            made.append(current)
        else:
            new = Reservation(derived_id("rsv", to_holder, listing_id, r.lot_id), to_holder, listing_id, r.lot_id,
                              n, ReservationState.CONFIRMED, Source(source), at, rule_ids=(RULE_FEFO,),
                              rulebook_version=r.rulebook_version,
                              facts={"transferred_from": from_holder, "from_reservation": r.reservation_id})
            made.append(repo.upsert_reservation(new, rows.get((listing_id, r.lot_id))))
        left -= n
    return made
