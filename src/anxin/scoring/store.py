"""Score snapshots (one row per subject and day), score runs and the deduction ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db import refcache
from anxin.db.base import Base, table, within

SUBJECT_KINDS = ("merchant", "creator", "consumer")


class ScoreRunRow(Base):
    """One scoring of a day; running the day again replaces it and its snapshots."""

    __tablename__ = "score_runs"
    as_of: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    engine: Mapped[str] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(300))
    ran_at: Mapped[dt.datetime]
    counts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class ScoreSnapshotRow(Base):
    __tablename__ = "score_snapshots"
    as_of: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    subject_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    eligible: Mapped[bool]
    score_x100: Mapped[int | None] = mapped_column(sa.BigInteger)  # hundredths; consumer credit in whole points
    band: Mapped[str | None] = mapped_column(sa.String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # indicators, dimensions, peers, components
    __table_args__ = (sa.Index("ix_score_snapshots_subject", "subject_kind", "subject_id", "as_of"),)


refcache.track(table(ScoreSnapshotRow))  # the credit band filing reads
SNAPSHOT_TABLES = ("score_snapshots",)


class DeductionRow(Base):
    __tablename__ = "score_deductions"
    deduction_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    points_x100: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    effective_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(sa.String(140))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(sa.String(140))


class ScoreRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace_day(self, run: dict[str, Any], snapshots: Iterable[dict[str, Any]]) -> int:
        """Delete the day's run and snapshots, write the new ones: a re-run of a date is idempotent."""
        as_of = run["as_of"]
        self.session.execute(sa.delete(ScoreSnapshotRow).where(ScoreSnapshotRow.as_of == as_of))
        self.session.execute(sa.delete(ScoreRunRow).where(ScoreRunRow.as_of == as_of))
        self.session.add(ScoreRunRow(**run))
        self.session.flush()
        n, batch = 0, []
        t = table(ScoreSnapshotRow)
        for snap in snapshots:
            batch.append(snap)
            if len(batch) >= 2000:
                self.session.execute(sa.insert(t), batch)
                n, batch = n + len(batch), []
        if batch:
            self.session.execute(sa.insert(t), batch)
            n += len(batch)
        return n

    def run(self, as_of: dt.date) -> ScoreRunRow | None:
        return self.session.get(ScoreRunRow, as_of)

    def latest_run(self) -> ScoreRunRow | None:
        return self.session.scalars(sa.select(ScoreRunRow).order_by(ScoreRunRow.as_of.desc()).limit(1)).first()

    def runs(self, limit: int = 30) -> list[ScoreRunRow]:
        return list(self.session.scalars(sa.select(ScoreRunRow).order_by(ScoreRunRow.as_of.desc()).limit(limit)))

    def snapshot(self, kind: str, subject_id: str, as_of: dt.date | None = None) -> ScoreSnapshotRow | None:
        q = sa.select(ScoreSnapshotRow).where(ScoreSnapshotRow.subject_kind == kind,
                                              ScoreSnapshotRow.subject_id == subject_id)
        if as_of is not None:
            q = q.where(ScoreSnapshotRow.as_of <= as_of)
        return self.session.scalars(q.order_by(ScoreSnapshotRow.as_of.desc()).limit(1)).first()

    def latest_of(self, kind: str, subject_ids: list[str]) -> dict[str, ScoreSnapshotRow]:
        """Each subject's latest snapshot (absent: none), in one query per 500 subjects."""
        s, out = ScoreSnapshotRow, {}
        for lo in range(0, len(subject_ids), 500):
            chunk = subject_ids[lo:lo + 500]
            latest = (sa.select(s.subject_id, sa.func.max(s.as_of).label("as_of"))
                      .where(s.subject_kind == kind, s.subject_id.in_(chunk)).group_by(s.subject_id).subquery())
            rows = self.session.scalars(sa.select(s).join(latest, sa.and_(
                s.subject_id == latest.c.subject_id, s.as_of == latest.c.as_of)).where(s.subject_kind == kind))
            out.update({r.subject_id: r for r in rows})
        return out

    def history(self, kind: str, subject_id: str, since: dt.date) -> list[ScoreSnapshotRow]:
        return list(self.session.scalars(
            sa.select(ScoreSnapshotRow).where(ScoreSnapshotRow.subject_kind == kind,
                                              ScoreSnapshotRow.subject_id == subject_id,
                                              ScoreSnapshotRow.as_of >= since).order_by(ScoreSnapshotRow.as_of)))

    def day(self, kind: str, as_of: dt.date, *, limit: int = 500, offset: int = 0,
            after: tuple[int | None, str] | None = None) -> list[ScoreSnapshotRow]:
        """A day's scores, best first and unscored last (subject id breaks ties); ``after`` is the (score, subject)
        of the last row of the previous page (keyset: the API), ``offset`` a row count (the operator's pages)."""
        s = ScoreSnapshotRow
        q = sa.select(s).where(s.subject_kind == kind, s.as_of == as_of)
        if after is not None:
            score, subject = after
            q = q.where(sa.or_(s.score_x100 < score, sa.and_(s.score_x100 == score, s.subject_id > subject),
                               s.score_x100.is_(None)) if score is not None
                        else sa.and_(s.score_x100.is_(None), s.subject_id > subject))
        return list(self.session.scalars(q.order_by(s.score_x100.desc().nulls_last(), s.subject_id)
                                         .limit(limit).offset(offset)))

    def count_day(self, kind: str, as_of: dt.date) -> int:
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(ScoreSnapshotRow).where(
            ScoreSnapshotRow.subject_kind == kind, ScoreSnapshotRow.as_of == as_of)) or 0)

    # --- deductions --------------------------------------------------------------------------------------------

    def add_deduction(self, row: DeductionRow) -> None:
        self.session.add(row)

    def deduction(self, deduction_id: str) -> DeductionRow | None:
        return self.session.get(DeductionRow, deduction_id)

    def deductions_for(self, shop_id: str, *, after: tuple[dt.datetime, str] | None = None,
                       limit: int | None = None) -> list[DeductionRow]:
        """A shop's ledger, latest first; ``after`` the (effective_at, deduction_id) of the last row shown."""
        d = DeductionRow
        q = sa.select(d).where(d.shop_id == shop_id)
        if after is not None:
            at, key = after
            q = q.where(sa.or_(d.effective_at < at, sa.and_(d.effective_at == at, d.deduction_id > key)))
        return list(self.session.scalars(q.order_by(d.effective_at.desc(), d.deduction_id).limit(limit)))


def export_deductions_query(*, until: dt.datetime, shop_ids: list[str] | None) -> sa.Select[*tuple[Any, ...]]:
    """The deduction ledger in force before ``until`` (not revoked), for the score run's facts."""
    d = DeductionRow
    return (sa.select(d.deduction_id, d.shop_id, d.points_x100, d.effective_at, d.expires_at, d.kind)
            .where(d.revoked_at.is_(None), d.effective_at < until,
                   within(d.shop_id, shop_ids))
            .order_by(d.deduction_id))
