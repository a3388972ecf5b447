"""Inspection plan and sample rows. One plan per period (the unique period id makes a second planner of the same
period wait for the first and then find its plan); one sample per listing of a plan; a sample's result is written
once, from pending only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key, rowcount, table

PENDING, PASSED, FAILED = "pending", "passed", "failed"


class InspectionPlanRow(Base):
    __tablename__ = "governance_inspection_plans"

    plan_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    period_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    budget: Mapped[int]
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    outcome: Mapped[str] = mapped_column(sa.String(16))  # planned
    reason_codes: Mapped[list[str]] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    candidates: Mapped[int]
    strata: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)  # the tally of every stratum when drawn
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # lookbacks and windows the facts were read over
    created_by: Mapped[str] = mapped_column(sa.String(140))
    created_at: Mapped[dt.datetime]


class InspectionSampleRow(Base):
    __tablename__ = "governance_inspection_samples"

    sample_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(sa.String(64))
    rank: Mapped[int]
    listing_id: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    stratum: Mapped[str] = mapped_column(sa.String(60))
    weight: Mapped[float] = mapped_column(sa.Float)
    draw_key: Mapped[float] = mapped_column(sa.Float)
    pick: Mapped[str] = mapped_column(sa.String(16))  # minimum | weighted
    factors: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(16))  # pending | passed | failed
    defects: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    finding: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # the violation kind, severity, rule ids
    result_by: Mapped[str | None] = mapped_column(sa.String(140))
    result_at: Mapped[dt.datetime | None]
    violation_id: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "listing_id"),
        sa.Index("ix_governance_inspection_samples_plan_rank", "plan_id", "rank"),
        # previous failures of a shop: failed samples by shop and when the result came
        sa.Index("ix_governance_inspection_samples_failures", "shop_id", "state", "result_at"),
    )


class InspectionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_plan(self, values: dict[str, Any]) -> bool:
        """Insert; False if the period already has a plan (a concurrent planner of the period makes this wait for
        its transaction, so the caller then reads the committed plan)."""
        t = table(InspectionPlanRow)
        insert = sqlite.insert if self.session.get_bind().dialect.name == "sqlite" else postgresql.insert
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        return self.session.execute(insert(t).values(**values).on_conflict_do_nothing(
            index_elements=[t.c.period_id]).returning(t.c.plan_id)).first() is not None

    def add_samples(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(sa.insert(table(InspectionSampleRow)), rows)

    def plan(self, plan_id: str) -> InspectionPlanRow | None:
        return self.session.get(InspectionPlanRow, plan_id)

    def plans(self, *, limit: int, after: tuple[dt.datetime, str] | None = None) -> list[InspectionPlanRow]:
        """Newest first; ``after``: the (created at, id) of the previous page's last plan."""
        t = InspectionPlanRow
        stmt = sa.select(t).where(after_key([(t.created_at, True), (t.plan_id, True)], after))
        return list(self.session.scalars(stmt.order_by(t.created_at.desc(), t.plan_id.desc()).limit(limit)))

    def plan_for_period(self, period_id: str) -> InspectionPlanRow | None:
        return self.session.scalars(sa.select(InspectionPlanRow)
                                    .where(InspectionPlanRow.period_id == period_id)).first()

    def samples(self, plan_id: str, *, after_rank: int | None = None,
                limit: int | None = None) -> list[InspectionSampleRow]:
        t = InspectionSampleRow
        stmt = sa.select(t).where(t.plan_id == plan_id).order_by(t.rank)
        if after_rank is not None:
            stmt = stmt.where(t.rank > after_rank)
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(self.session.scalars(stmt))

    def sample(self, sample_id: str, *, lock: bool = False) -> InspectionSampleRow | None:
        # populate_existing: results are written with Core updates, so a row already in the session is re-read
        stmt = (sa.select(InspectionSampleRow).where(InspectionSampleRow.sample_id == sample_id)
                .execution_options(populate_existing=True))
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def save_result(self, sample_id: str, *, state: str, defects: list[dict[str, Any]],
                    finding: dict[str, Any] | None, by: str, at: dt.datetime) -> bool:
        """pending → passed | failed, only from pending: False when a result is already stored."""
        t = InspectionSampleRow
        result = self.session.execute(sa.update(t).where(t.sample_id == sample_id, t.state == PENDING)
                                      .values(state=state, defects=defects, finding=finding, result_by=by,
                                              result_at=at).execution_options(synchronize_session=False))
        return rowcount(result) == 1

    def set_violation(self, sample_id: str, violation_id: str) -> None:
        self.session.execute(sa.update(InspectionSampleRow).where(InspectionSampleRow.sample_id == sample_id)
                             .values(violation_id=violation_id).execution_options(synchronize_session=False))

    def failures_by_shop(self, shop_ids: list[str], *, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
        """Failed samples per shop with a result in ``[since, until)``."""
        t = InspectionSampleRow
        out: dict[str, int] = {}
        ids = sorted(set(shop_ids))
        for start in range(0, len(ids), 1000):  # keep IN lists short
            rows = self.session.execute(
                sa.select(t.shop_id, sa.func.count()).where(t.shop_id.in_(ids[start:start + 1000]),
                                                           t.state == FAILED, t.result_at >= since,
                                                           t.result_at < until).group_by(t.shop_id))
            out.update({sid: int(n) for sid, n in rows})
        return out

    def tally(self, plan_id: str) -> list[tuple[str, str, int]]:
        """(stratum, state, samples) of a plan."""
        t = InspectionSampleRow
        return [(s, st, int(n)) for s, st, n in self.session.execute(
            sa.select(t.stratum, t.state, sa.func.count()).where(t.plan_id == plan_id)
            .group_by(t.stratum, t.state))]


def export_samples_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Samples of the plans drawn in ``[since, until)`` (``drawn_at``: the plan's creation), for the report."""
    s, p = InspectionSampleRow, InspectionPlanRow
    return (sa.select(s.sample_id, s.plan_id, s.listing_id, s.shop_id, p.created_at.label("drawn_at"), s.result_at,
                      s.state)
            .join_from(s, p, p.plan_id == s.plan_id)
            .where(p.created_at >= since, p.created_at < until)
            .order_by(s.sample_id))
