"""Governance rows and the repository: violations (one per source and kind), point entries with their expiry,
measures with their platform actions, decisions with their trace, and one record row per owner (shop or creator)
that every change to the owner's points and measures locks first, so two violations for one shop at once are
decided one after the other and cannot both cross the same node."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key, table
from anxin.governance.model import ACTIVE


class RecordRow(Base):
    __tablename__ = "governance_records"

    owner: Mapped[str] = mapped_column(sa.String(80), primary_key=True)  # shop:<id> | creator:<id>
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    revision: Mapped[int] = mapped_column(sa.Integer)


class ViolationRow(Base):
    __tablename__ = "governance_violations"

    violation_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    violation_class: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(80))
    owner: Mapped[str] = mapped_column(sa.String(80))
    shop_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    creator_id: Mapped[str | None] = mapped_column(sa.String(64))
    severity: Mapped[str | None] = mapped_column(sa.String(16))
    points: Mapped[int] = mapped_column(sa.Integer)  # hundredths
    appealable: Mapped[bool] = mapped_column(sa.Boolean)
    state: Mapped[str] = mapped_column(sa.String(16))
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.Text)
    source_type: Mapped[str] = mapped_column(sa.String(60))
    source_id: Mapped[str] = mapped_column(sa.String(120))
    recorded_by: Mapped[str] = mapped_column(sa.String(140))
    happened_at: Mapped[dt.datetime]
    recorded_at: Mapped[dt.datetime]
    decision_id: Mapped[str] = mapped_column(sa.String(64))
    reversed_at: Mapped[dt.datetime | None]
    reversal: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # cause type and id, by whom

    __table_args__ = (sa.UniqueConstraint("source_type", "source_id", "kind"),
                      sa.Index("ix_governance_violations_owner_recorded", "owner", "recorded_at"),
                      sa.Index("ix_governance_violations_creator_recorded", "creator_id", "recorded_at"))


class PointRow(Base):
    __tablename__ = "governance_points"

    entry_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    violation_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    owner: Mapped[str] = mapped_column(sa.String(80))
    violation_class: Mapped[str] = mapped_column(sa.String(16))
    points: Mapped[int] = mapped_column(sa.Integer)
    starts_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]  # counts while now < expires_at
    state: Mapped[str] = mapped_column(sa.String(16))  # active | expired | reversed

    __table_args__ = (sa.Index("ix_governance_points_owner_state", "owner", "state"),
                      sa.Index("ix_governance_points_state_expires", "state", "expires_at"))


class MeasureRow(Base):
    __tablename__ = "governance_measures"

    measure_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(80), index=True)
    target: Mapped[str] = mapped_column(sa.String(80), index=True)
    palette_id: Mapped[str] = mapped_column(sa.String(60))
    type: Mapped[str] = mapped_column(sa.String(32))
    strictness: Mapped[int] = mapped_column(sa.Integer)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None]  # None: until lifted
    state: Mapped[str] = mapped_column(sa.String(16))  # active | expired | lifted | reversed
    violation_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    decision_id: Mapped[str] = mapped_column(sa.String(64))
    amount_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    action_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    lift_action_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    ended_at: Mapped[dt.datetime | None]
    end_reason: Mapped[str | None] = mapped_column(sa.String(60))

    __table_args__ = (sa.Index("ix_governance_measures_state_ends", "state", "ends_at"),)


class ExtensionRow(Base):
    """A violation that found a measure of the same type already active extended it to a later end instead of
    applying its own: kept so that reversing that violation puts the measure back to the end the others give it."""

    __tablename__ = "governance_measure_extensions"

    extension_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    measure_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    violation_id: Mapped[str] = mapped_column(sa.String(64), index=True)  # the violation that extended it
    decision_id: Mapped[str] = mapped_column(sa.String(64))
    previous_ends_at: Mapped[dt.datetime | None]  # the end before this extension (None: until lifted)
    extended_to: Mapped[dt.datetime | None]
    at: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(sa.String(16))  # active | reversed


class DecisionRow(Base):
    __tablename__ = "governance_decisions"

    decision_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(80), index=True)
    violation_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    step: Mapped[str] = mapped_column(sa.String(16))  # record | reverse | expire
    outcome: Mapped[str] = mapped_column(sa.String(32))
    reason_codes: Mapped[list[str]] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    decided_at: Mapped[dt.datetime]


def _insert(session: Session) -> Any:
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


class GovernanceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the owner's record: the lock every change takes first --------------------------------------------------

    def lock_record(self, owner: str, at: dt.datetime) -> RecordRow:
        """The owner's record row, created if missing, locked FOR UPDATE (PostgreSQL; the caller's begin_write
        serialises SQLite). A concurrent creator of the same row waits on the insert, then locks it."""
        t = table(RecordRow)
        self.session.execute(_insert(self.session)(t).values(owner=owner, created_at=at, updated_at=at, revision=0)
                             .on_conflict_do_nothing(index_elements=[t.c.owner]))
        row = self.session.scalars(sa.select(RecordRow).where(RecordRow.owner == owner).with_for_update()
                                   .execution_options(populate_existing=True)).one()
        return row

    def touch(self, row: RecordRow, at: dt.datetime) -> None:
        row.updated_at = at
        row.revision += 1

    # --- violations -----------------------------------------------------------------------------------------------

    def violation_by_source(self, source_type: str, source_id: str, kind: str) -> ViolationRow | None:
        return self.session.scalars(sa.select(ViolationRow).where(
            ViolationRow.source_type == source_type, ViolationRow.source_id == source_id,
            ViolationRow.kind == kind)).first()

    def violation_by_any_kind(self, source_type: str, source_id: str) -> ViolationRow | None:
        return self.session.scalars(sa.select(ViolationRow).where(
            ViolationRow.source_type == source_type, ViolationRow.source_id == source_id)).first()

    def violation(self, violation_id: str, *, lock: bool = False) -> ViolationRow | None:
        stmt = sa.select(ViolationRow).where(ViolationRow.violation_id == violation_id)
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()

    def add(self, *rows: Base) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def count(self, *, kind: str, shop_id: str, since: dt.datetime) -> int:
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(ViolationRow).where(
            ViolationRow.kind == kind, ViolationRow.shop_id == shop_id, ViolationRow.happened_at >= since,
            ViolationRow.state != "reversed")) or 0)

    def violations(self, *, owners: Sequence[str] | None = None, kind: str | None = None,
                   state: str | None = None, limit: int = 50, creator_id: str | None = None,
                   after: tuple[dt.datetime, str] | None = None) -> list[ViolationRow]:
        """Newest first; ``after``: the (recorded at, id) of the previous page's last."""
        t = ViolationRow
        stmt = sa.select(t)
        if owners is not None:
            stmt = stmt.where(t.owner.in_(list(owners)))
        if creator_id is not None:
            stmt = stmt.where(t.creator_id == creator_id)
        if kind is not None:
            stmt = stmt.where(t.kind == kind)
        if state is not None:
            stmt = stmt.where(t.state == state)
        stmt = stmt.where(after_key([(t.recorded_at, True), (t.violation_id, True)], after))
        return list(self.session.scalars(stmt.order_by(t.recorded_at.desc(), t.violation_id.desc()).limit(limit)))

    # --- points ---------------------------------------------------------------------------------------------------

    def points(self, owner: str, *, state: str | None = ACTIVE) -> list[PointRow]:
        stmt = sa.select(PointRow).where(PointRow.owner == owner)
        if state is not None:
            stmt = stmt.where(PointRow.state == state)
        return list(self.session.scalars(stmt.order_by(PointRow.expires_at, PointRow.entry_id)))

    def points_of_violation(self, violation_id: str) -> list[PointRow]:
        return list(self.session.scalars(sa.select(PointRow).where(PointRow.violation_id == violation_id)))

    def owners_with_due_points(self, now: dt.datetime, limit: int) -> list[str]:
        return list(self.session.scalars(sa.select(PointRow.owner).where(
            PointRow.state == ACTIVE, PointRow.expires_at <= now).distinct().order_by(PointRow.owner).limit(limit)))

    # --- measures -------------------------------------------------------------------------------------------------

    def measures(self, owner: str, *, state: str | None = ACTIVE) -> list[MeasureRow]:
        stmt = sa.select(MeasureRow).where(MeasureRow.owner == owner)
        if state is not None:
            stmt = stmt.where(MeasureRow.state == state)
        return list(self.session.scalars(stmt.order_by(MeasureRow.starts_at, MeasureRow.measure_id)))

    def measures_of_creator(self, creator_id: str) -> list[MeasureRow]:
        """Active measures on the creator's own record or caused by a violation naming the creator."""
        m, v = MeasureRow, ViolationRow
        naming = sa.select(v.violation_id).where(v.creator_id == creator_id)
        return list(self.session.scalars(sa.select(m).where(
            m.state == ACTIVE, sa.or_(m.owner == f"creator:{creator_id}", m.violation_id.in_(naming)))
            .order_by(m.starts_at, m.measure_id)))

    def measures_of_violation(self, violation_id: str) -> list[MeasureRow]:
        return list(self.session.scalars(sa.select(MeasureRow).where(MeasureRow.violation_id == violation_id)
                                         .order_by(MeasureRow.measure_id)))

    def owners_with_due_measures(self, now: dt.datetime, limit: int) -> list[str]:
        return list(self.session.scalars(sa.select(MeasureRow.owner).where(
            MeasureRow.state == ACTIVE, MeasureRow.ends_at.is_not(None), MeasureRow.ends_at <= now)
            .distinct().order_by(MeasureRow.owner).limit(limit)))

    def extensions_of_measure(self, measure_id: str) -> list[ExtensionRow]:
        return list(self.session.scalars(sa.select(ExtensionRow).where(ExtensionRow.measure_id == measure_id)
                                         .order_by(ExtensionRow.at, ExtensionRow.extension_id)))

    def extensions_by_violation(self, violation_id: str) -> list[ExtensionRow]:
        return list(self.session.scalars(sa.select(ExtensionRow).where(ExtensionRow.violation_id == violation_id)
                                         .order_by(ExtensionRow.at, ExtensionRow.extension_id)))

    def measure(self, measure_id: str) -> MeasureRow | None:
        return self.session.get(MeasureRow, measure_id)

    # --- decisions ------------------------------------------------------------------------------------------------

    def decisions_of(self, violation_id: str) -> list[DecisionRow]:
        return list(self.session.scalars(sa.select(DecisionRow).where(DecisionRow.violation_id == violation_id)
                                         .order_by(DecisionRow.decided_at, DecisionRow.decision_id)))


def export_points_query(*, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Every point entry recorded before ``until`` with its violation's creator and shop and when it was reversed:
    the scoring facts (``warehouse.py``) decide from the instants which entries count at a score's as-of."""
    p, v = PointRow, ViolationRow
    return (sa.select(p.entry_id, p.violation_id, v.kind, p.violation_class, v.shop_id, v.creator_id, v.subject,
                      p.points, p.starts_at, p.expires_at, v.recorded_at, v.reversed_at)
            .join(v, v.violation_id == p.violation_id)
            .where(v.recorded_at < until)
            .order_by(p.entry_id))


def export_violations_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Violations recorded in ``[since, until)`` and when they were reversed, for the service-experience report."""
    v = ViolationRow
    return (sa.select(v.violation_id, v.kind, v.violation_class, v.shop_id, v.creator_id, v.recorded_at,
                      v.reversed_at)
            .where(v.recorded_at >= since, v.recorded_at < until)
            .order_by(v.violation_id))
