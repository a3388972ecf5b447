"""Rows of lots, stock and reservations.

Units move between a lot's counters only by conditional UPDATEs (``units_available >= :q`` in the WHERE clause),
and ``units_available`` and ``units_reserved`` carry CHECK constraints, so no interleaving of concurrent reservations
can take more than a lot holds: a statement that would is a no-op (rowcount 0) the caller sees, never a negative.
A reservation changes state by a conditional UPDATE on its state too, so a release or shipment replayed, or raced,
moves the lot's units once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key, rowcount, table
from anxin.worryfree.model import Lot, LotStatus, Reservation, ReservationState, Source


class LotRow(Base):
    __tablename__ = "wf_lots"
    lot_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    listing_id: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    supplier_id: Mapped[str] = mapped_column(sa.String(64))
    quantity: Mapped[int]
    produced_on: Mapped[dt.date] = mapped_column(sa.Date)
    expires_on: Mapped[dt.date] = mapped_column(sa.Date)
    received_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(16))
    units_available: Mapped[int] = mapped_column(default=0, server_default="0")
    units_reserved: Mapped[int] = mapped_column(default=0, server_default="0")
    units_shipped: Mapped[int] = mapped_column(default=0, server_default="0")
    units_removed: Mapped[int] = mapped_column(default=0, server_default="0")
    verdict_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    __table_args__ = (
        sa.CheckConstraint("units_available >= 0", name="units_available_nonnegative"),
        sa.CheckConstraint("units_reserved >= 0", name="units_reserved_nonnegative"),
        # FEFO reads a listing's passed lots in this order.
        sa.Index("ix_wf_lots_pick", "listing_id", "status", "expires_on", "received_at", "lot_id"),
        sa.Index("ix_wf_lots_shop", "shop_id", "received_at", "lot_id"),
    )

    def to_model(self) -> Lot:
        return Lot(self.lot_id, self.listing_id, self.shop_id, self.supplier_id, self.quantity, self.produced_on,
                   self.expires_on, self.received_at, LotStatus(self.status), self.units_available,
                   self.units_reserved, self.units_shipped, self.units_removed, self.verdict_at, self.version)


class ReservationRow(Base):
    __tablename__ = "wf_reservations"
    reservation_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(80))
    listing_id: Mapped[str] = mapped_column(sa.String(64))
    lot_id: Mapped[str] = mapped_column(sa.String(64))
    quantity: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(sa.String(64))
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str | None] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    __table_args__ = (
        sa.UniqueConstraint("holder", "listing_id", "lot_id"),
        sa.Index("ix_wf_reservations_due", "state", "expires_at"),
        sa.Index("ix_wf_reservations_listing", "listing_id", "state"),
    )

    def to_model(self) -> Reservation:
        return Reservation(self.reservation_id, self.holder, self.listing_id, self.lot_id, self.quantity,
                           ReservationState(self.state), Source(self.source), self.created_at, self.expires_at,
                           self.updated_at, self.reason, tuple(self.rule_ids or ()), self.rulebook_version,
                           dict(self.facts or {}))


class UnbackedOrderRow(Base):
    """A paid order of an enrolled listing that found no stock to reserve: sold without the guarantee."""

    __tablename__ = "wf_unbacked_orders"
    order_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    listing_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    quantity: Mapped[int]
    available: Mapped[int]
    at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(sa.String(64))
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


LOTS, RESERVATIONS = table(LotRow), table(ReservationRow)

# The hold path's statements, built once: building a statement costs more Python than SQLite takes to run it.
_PICKABLE = (sa.select(LOTS).where(LOTS.c.listing_id == sa.bindparam("listing_id"),
                                   LOTS.c.status == LotStatus.PASSED.value, LOTS.c.units_available > 0)
             .order_by(LOTS.c.expires_on, LOTS.c.received_at, LOTS.c.lot_id))
_TAKE = (sa.update(LOTS).where(LOTS.c.lot_id == sa.bindparam("lot"), LOTS.c.status == LotStatus.PASSED.value,
                               LOTS.c.units_available >= sa.bindparam("q"))
         .values(units_available=LOTS.c.units_available - sa.bindparam("q"),
                 units_reserved=LOTS.c.units_reserved + sa.bindparam("q"), version=LOTS.c.version + 1))
_RESERVATIONS_OF = (sa.select(RESERVATIONS).where(RESERVATIONS.c.holder == sa.bindparam("holder"))
                    .order_by(RESERVATIONS.c.created_at, RESERVATIONS.c.reservation_id))
_INSERT_RESERVATION = sa.insert(RESERVATIONS)  # the values come as parameters: one compiled statement for all
_CONFIRM_HELD = (sa.update(RESERVATIONS).where(RESERVATIONS.c.holder == sa.bindparam("of_holder"),
                                               RESERVATIONS.c.state == ReservationState.HELD.value)
                 .values(state=ReservationState.CONFIRMED.value, updated_at=sa.bindparam("moved_at"))
                 .returning(*RESERVATIONS.c))


class StockRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- lots ---------------------------------------------------------------------------------------------------

    def lot(self, lot_id: str) -> Lot | None:
        row = self.session.get(LotRow, lot_id, populate_existing=True)
        return row.to_model() if row else None

    def add_lot(self, lot: Lot) -> None:
        self.session.add(LotRow(lot_id=lot.lot_id, listing_id=lot.listing_id, shop_id=lot.shop_id,
                                supplier_id=lot.supplier_id, quantity=lot.quantity, produced_on=lot.produced_on,
                                expires_on=lot.expires_on, received_at=lot.received_at, status=lot.status.value,
                                units_available=lot.units_available, units_reserved=0, units_shipped=0,
                                units_removed=0, version=0))
        self.session.flush()

    def pickable(self, listing_id: str) -> list[Lot]:
        """The listing's passed lots with units available, FEFO order (read fresh, not from the identity map)."""
        rows = self.session.execute(_PICKABLE, {"listing_id": listing_id})
        return [LotRow.to_model(r) for r in rows]  # type: ignore[arg-type]

    def lots(self, *, shop_id: str | None, listing_id: str | None, status: str | None,
             after: tuple[dt.datetime, str] | None, limit: int) -> list[Lot]:
        """Newest received first; ``after``: the (received_at, lot_id) of the last lot of the previous page."""
        stmt = sa.select(LotRow)
        if shop_id is not None:
            stmt = stmt.where(LotRow.shop_id == shop_id)
        if listing_id is not None:
            stmt = stmt.where(LotRow.listing_id == listing_id)
        if status is not None:
            stmt = stmt.where(LotRow.status == status)
        stmt = stmt.where(after_key([(LotRow.received_at, True), (LotRow.lot_id, True)], after))
        rows = self.session.scalars(stmt.order_by(LotRow.received_at.desc(), LotRow.lot_id.desc()).limit(limit))
        return [r.to_model() for r in rows]

    def take(self, lot_id: str, qty: int) -> bool:
        """available → reserved, only if the lot still has ``qty`` available (and is passed)."""
        return rowcount(self.session.execute(_TAKE, {"lot": lot_id, "q": qty})) == 1

    def give_back(self, lot_id: str, qty: int) -> None:
        """reserved → available (a released or expired reservation). A rejected lot keeps nothing available."""
        self.session.execute(
            sa.update(LOTS).where(LOTS.c.lot_id == lot_id)
            .values(units_reserved=LOTS.c.units_reserved - qty,
                    units_available=sa.case((LOTS.c.status == LotStatus.PASSED.value, LOTS.c.units_available + qty),
                                            else_=LOTS.c.units_available),
                    version=LOTS.c.version + 1))

    def shipped(self, lot_id: str, qty: int) -> None:
        """reserved → shipped."""
        self.session.execute(
            sa.update(LOTS).where(LOTS.c.lot_id == lot_id)
            .values(units_reserved=LOTS.c.units_reserved - qty, units_shipped=LOTS.c.units_shipped + qty,
                    version=LOTS.c.version + 1))

    def set_verdict(self, lot_id: str, *, status: LotStatus, units_removed: int, at: dt.datetime) -> bool:
        """A verdict on a lot not yet judged: passed makes what is left after the removed samples available;
        rejected leaves nothing available. False if the lot already has a verdict."""
        if status is LotStatus.PASSED:
            available: Any = LOTS.c.quantity - units_removed - LOTS.c.units_reserved - LOTS.c.units_shipped
        else:
            available = 0
        return rowcount(self.session.execute(
            sa.update(LOTS).where(LOTS.c.lot_id == lot_id,
                                  LOTS.c.status.in_([LotStatus.RECEIVED.value, LotStatus.INSPECTING.value]))
            .values(status=status.value, units_removed=units_removed, units_available=available, verdict_at=at,
                    version=LOTS.c.version + 1))) == 1

    def set_inspecting(self, lot_id: str) -> bool:
        return rowcount(self.session.execute(
            sa.update(LOTS).where(LOTS.c.lot_id == lot_id, LOTS.c.status == LotStatus.RECEIVED.value)
            .values(status=LotStatus.INSPECTING.value, version=LOTS.c.version + 1))) == 1

    def totals(self, listing_id: str) -> tuple[int, int, int, dict[str, int]]:
        """(available in passed lots, reserved, shipped, lots by status)."""
        rows = self.session.execute(sa.select(
            LOTS.c.status, sa.func.count(), sa.func.coalesce(sa.func.sum(LOTS.c.units_available), 0),
            sa.func.coalesce(sa.func.sum(LOTS.c.units_reserved), 0),
            sa.func.coalesce(sa.func.sum(LOTS.c.units_shipped), 0))
            .where(LOTS.c.listing_id == listing_id).group_by(LOTS.c.status))
        available = reserved = shipped = 0
        by_status: dict[str, int] = {}
        for status, n, avail, res, shp in rows:
            by_status[status] = int(n)
            if status == LotStatus.PASSED.value:
                available += int(avail)
            reserved, shipped = reserved + int(res), shipped + int(shp)
        return available, reserved, shipped, by_status

    def available_by_listing(self, listing_ids: Iterable[str]) -> dict[str, int]:
        ids = sorted(set(listing_ids))
        if not ids:
            return {}
        rows = self.session.execute(sa.select(LOTS.c.listing_id, sa.func.sum(LOTS.c.units_available)).where(
            LOTS.c.listing_id.in_(ids), LOTS.c.status == LotStatus.PASSED.value).group_by(LOTS.c.listing_id))
        found = {lid: int(n or 0) for lid, n in rows}
        return {lid: found.get(lid, 0) for lid in ids}

    # --- reservations ---------------------------------------------------------------------------------------------

    def reservations_of(self, holder: str, *, listing_id: str | None = None) -> list[Reservation]:
        """Oldest first."""
        if listing_id is None:
            rows = self.session.execute(_RESERVATIONS_OF, {"holder": holder})
        else:
            rows = self.session.execute(_RESERVATIONS_OF.where(RESERVATIONS.c.listing_id == listing_id),
                                        {"holder": holder})
        return [ReservationRow.to_model(r) for r in rows]  # type: ignore[arg-type]

    def confirm_held(self, holder: str, at: dt.datetime) -> list[Reservation]:
        """held → confirmed for every held reservation of the holder, in one conditional UPDATE (the lots' counters
        do not change: the units stay reserved); what it moved, oldest first. A replay, or a hold that expired or
        was released meanwhile, moves nothing."""
        rows = self.session.execute(_CONFIRM_HELD, {"of_holder": holder, "moved_at": at})
        moved = [ReservationRow.to_model(r) for r in rows]  # type: ignore[arg-type]
        return sorted(moved, key=lambda r: (r.created_at, r.reservation_id))

    def lock_holder(self, holder: str) -> None:
        """Serialise what one holder (an order, a bag) reserves: on PostgreSQL a transaction-scoped advisory lock, so
        two payments of one order (or its hold and its payment) at once run one after the other and the second reads
        what the first committed; SQLite's write transaction (``uow.begin_write``) already serialises. Taken before
        any lot is locked, and never after one, so it cannot close a cycle with the lots' row locks."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                                 {"key": f"worryfree.holder:{holder}"})

    def upsert_reservation(self, r: Reservation, prior: Reservation | None = None) -> Reservation:
        """The holder's one row for (listing, lot): inserted; or, given the ``prior`` row the holder has there (read
        under ``lock_holder``), revived if it was released or expired, or added to if it is live (a payment topping
        up a checkout hold from the lot the hold took from). What the row holds now."""
        if prior is not None and prior.state in (ReservationState.HELD, ReservationState.CONFIRMED):
            state = ReservationState.CONFIRMED if ReservationState.CONFIRMED in (prior.state, r.state) else r.state
            added = list(prior.facts.get("added", ()))  # type: ignore[call-overload]
            added.append({"quantity": r.quantity, "source": r.source.value, "at": r.created_at.isoformat(),
                          **r.facts})
            merged = replace(prior, quantity=prior.quantity + r.quantity, state=state, updated_at=r.created_at,
                             expires_at=prior.expires_at if state is ReservationState.HELD else None,
                             facts={**prior.facts, "added": added})
            self.session.execute(sa.update(RESERVATIONS).where(
                RESERVATIONS.c.reservation_id == prior.reservation_id,
                RESERVATIONS.c.state.in_([ReservationState.HELD.value, ReservationState.CONFIRMED.value]))
                .values(quantity=RESERVATIONS.c.quantity + r.quantity, state=state.value, updated_at=r.created_at,
                        expires_at=merged.expires_at, facts=merged.facts))
            return merged
        values = {"quantity": r.quantity, "state": r.state.value, "source": r.source.value,
                  "created_at": r.created_at, "expires_at": r.expires_at, "updated_at": r.created_at,
                  "reason": None, "rule_ids": list(r.rule_ids), "rulebook_version": r.rulebook_version,
                  "facts": dict(r.facts)}
        if prior is not None and prior.state in (ReservationState.RELEASED, ReservationState.EXPIRED):
            self.session.execute(sa.update(RESERVATIONS).where(
                RESERVATIONS.c.reservation_id == prior.reservation_id).values(**values))
            return replace(r, reservation_id=prior.reservation_id, updated_at=r.created_at, reason=None)
        self.session.execute(_INSERT_RESERVATION, {"reservation_id": r.reservation_id, "holder": r.holder,
                                                   "listing_id": r.listing_id, "lot_id": r.lot_id, **values})
        return replace(r, updated_at=r.created_at, reason=None)

    def move(self, reservation_id: str, *, from_states: Iterable[ReservationState], to: ReservationState,
             at: dt.datetime, reason: str | None = None, quantity: int | None = None) -> bool:
        """Change a reservation's state only if it is in one of ``from_states``: True when this call moved it."""
        values: dict[str, Any] = {"state": to.value, "updated_at": at}
        if reason is not None:
            values["reason"] = reason
        if quantity is not None:
            values["quantity"] = quantity
        return rowcount(self.session.execute(sa.update(RESERVATIONS).where(
            RESERVATIONS.c.reservation_id == reservation_id,
            RESERVATIONS.c.state.in_([s.value for s in from_states])).values(**values))) == 1

    def holders_among(self, holders: list[str], *, prefix: str) -> set[str]:
        """Which of ``holders`` have any reservation, without their ``prefix``."""
        found: set[str] = set()
        for i in range(0, len(holders), 2000):
            found.update(self.session.scalars(sa.select(RESERVATIONS.c.holder).distinct().where(
                RESERVATIONS.c.holder.in_(holders[i:i + 2000]))))
        return {h.removeprefix(prefix) for h in found}

    def due_holds(self, now: dt.datetime, limit: int) -> list[Reservation]:
        rows = self.session.execute(sa.select(RESERVATIONS).where(
            RESERVATIONS.c.state == ReservationState.HELD.value, RESERVATIONS.c.expires_at <= now)
            .order_by(RESERVATIONS.c.expires_at, RESERVATIONS.c.reservation_id).limit(limit))
        return [ReservationRow.to_model(r) for r in rows]  # type: ignore[arg-type]

    def reserved_total(self, listing_id: str) -> int:
        return int(self.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(RESERVATIONS.c.quantity), 0)).where(
            RESERVATIONS.c.listing_id == listing_id,
            RESERVATIONS.c.state.in_([ReservationState.HELD.value, ReservationState.CONFIRMED.value]))) or 0)

    # --- unbacked orders ----------------------------------------------------------------------------------------

    def add_unbacked(self, *, order_id: str, listing_id: str, shop_id: str, quantity: int, available: int,
                     at: dt.datetime, reason: str, rule_ids: list[str], version: str,
                     facts: dict[str, Any]) -> None:
        if self.session.get(UnbackedOrderRow, (order_id, listing_id)) is None:
            self.session.add(UnbackedOrderRow(order_id=order_id, listing_id=listing_id, shop_id=shop_id,
                                              quantity=quantity, available=available, at=at, reason=reason,
                                              rule_ids=rule_ids, rulebook_version=version, facts=facts))
            self.session.flush()

    def unbacked_of(self, order_id: str) -> list[UnbackedOrderRow]:
        return list(self.session.scalars(sa.select(UnbackedOrderRow).where(UnbackedOrderRow.order_id == order_id)))
