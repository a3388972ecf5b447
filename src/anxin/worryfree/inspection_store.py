"""Rows of inspection plans and per-unit results.

``wf_inspections`` holds one row per lot (the lot id is the key, so a replayed receipt plans nothing new): the plan
(severity, sample size, acceptance number, checks, with the reasons, rule ids, rulebook version and facts that made
it) and, once decided, the verdict (outcome, reasons, rule ids, facts, who and when). The verdict is written by a
conditional UPDATE (``WHERE outcome IS NULL``): of two operators recording results at once exactly one decides.
``wf_inspection_units`` holds the sampled units' results, one row per (lot, unit number).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key, rowcount, table


class InspectionRow(Base):
    __tablename__ = "wf_inspections"

    lot_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    listing_id: Mapped[str] = mapped_column(sa.String(64))
    supplier_id: Mapped[str] = mapped_column(sa.String(64))
    category_id: Mapped[str | None] = mapped_column(sa.String(64))
    lot_size: Mapped[int] = mapped_column(sa.Integer)
    received_at: Mapped[dt.datetime]
    severity: Mapped[str] = mapped_column(sa.String(16))
    sample_size: Mapped[int] = mapped_column(sa.Integer)
    accept_number: Mapped[int] = mapped_column(sa.Integer)
    checks: Mapped[list[str]] = mapped_column(sa.JSON)
    plan: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # reasons, rule_ids, facts of the plan
    rulebook_version: Mapped[str] = mapped_column(sa.String(60))
    planned_at: Mapped[dt.datetime]
    outcome: Mapped[str | None] = mapped_column(sa.String(16))  # None: awaiting results; passed | rejected
    reasons: Mapped[list[str] | None] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str] | None] = mapped_column(sa.JSON)
    facts: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    defective_units: Mapped[int | None] = mapped_column(sa.Integer)
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))

    __table_args__ = (sa.Index("ix_wf_inspections_queue", "outcome", "received_at", "lot_id"),
                      sa.Index("ix_wf_inspections_shop", "shop_id", "received_at", "lot_id"),
                      sa.Index("ix_wf_inspections_category", "category_id", "outcome", "decided_at"),
                      sa.Index("ix_wf_inspections_supplier", "supplier_id", "outcome", "decided_at"))


class InspectionUnitRow(Base):
    __tablename__ = "wf_inspection_units"

    lot_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    unit_no: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    results: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    defective: Mapped[bool] = mapped_column(sa.Boolean)
    note: Mapped[str] = mapped_column(sa.String(500))
    recorded_by: Mapped[str] = mapped_column(sa.String(100))
    recorded_at: Mapped[dt.datetime]


class InspectionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, lot_id: str) -> InspectionRow | None:
        return self.session.get(InspectionRow, lot_id, populate_existing=True)

    def add(self, row: InspectionRow) -> None:
        self.session.add(row)
        self.session.flush()

    def failures(self, *, category_id: str | None, supplier_id: str, since: dt.datetime,
                 before: dt.datetime) -> tuple[int, int]:
        """Rejected lots decided in [since, before): of the category, of the supplier."""
        t = table(InspectionRow)
        window = sa.and_(t.c.outcome == "rejected", t.c.decided_at >= since, t.c.decided_at < before)
        by_supplier = self.session.execute(
            sa.select(sa.func.count()).where(window, t.c.supplier_id == supplier_id)).scalar_one()
        by_category = 0 if category_id is None else self.session.execute(
            sa.select(sa.func.count()).where(window, t.c.category_id == category_id)).scalar_one()
        return int(by_category), int(by_supplier)

    def decide(self, lot_id: str, *, outcome: str, reasons: Sequence[str], rule_ids: Sequence[str],
               facts: dict[str, Any], defective_units: int, at: dt.datetime, by: str) -> bool:
        """Write the verdict unless one is written: True when this call decided."""
        t = table(InspectionRow)
        result = self.session.execute(
            sa.update(t).where(t.c.lot_id == lot_id, t.c.outcome.is_(None)).values(
                outcome=outcome, reasons=list(reasons), rule_ids=list(rule_ids), facts=facts,
                defective_units=defective_units, decided_at=at, decided_by=by))
        return rowcount(result) == 1

    def add_units(self, rows: Sequence[InspectionUnitRow]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def units(self, lot_id: str) -> list[InspectionUnitRow]:
        return list(self.session.scalars(sa.select(InspectionUnitRow).where(InspectionUnitRow.lot_id == lot_id)
                                         .order_by(InspectionUnitRow.unit_no)))

    def queue(self, *, pending: bool | None, shop_id: str | None = None,
              after: tuple[dt.datetime, str] | None = None, limit: int = 50,
              newest_first: bool = False) -> list[InspectionRow]:
        """Inspections by receipt (oldest first for the queue; newest first for a merchant's lots)."""
        t = InspectionRow
        q = sa.select(t)
        if pending is True:
            q = q.where(t.outcome.is_(None))
        elif pending is False:
            q = q.where(t.outcome.is_not(None))
        if shop_id is not None:
            q = q.where(t.shop_id == shop_id)
        order = [(t.received_at, newest_first), (t.lot_id, newest_first)]
        q = q.where(after_key(order, after))
        q = q.order_by(*(c.desc() if d else c.asc() for c, d in order)).limit(limit)
        return list(self.session.scalars(q))
