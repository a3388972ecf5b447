"""Stored report runs: one row per (period, comparison, facts fingerprint), with everything the report showed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base

NO_COMPARE = ""  # the comparison column of a report without one (a unique key needs a value, not NULL)


class ReportRunRow(Base):
    __tablename__ = "report_runs"
    report_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    compare: Mapped[str] = mapped_column(sa.String(7))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    as_of: Mapped[dt.datetime]  # the end of the facts: the period's end, or when a running period was reported
    figures: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    unsupported: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    rulebooks: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # rows per table, the optional tables held, the window
    engine: Mapped[str] = mapped_column(sa.String(16))
    computed_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(140))
    __table_args__ = (sa.UniqueConstraint("period", "compare", "fingerprint"),
                      sa.Index("ix_report_runs_latest", "period", "compare", "computed_at"))


class ReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, report_id: str) -> ReportRunRow | None:
        return self.session.get(ReportRunRow, report_id)

    def find(self, period: str, compare: str | None, fingerprint: str) -> ReportRunRow | None:
        return self.session.scalars(sa.select(ReportRunRow).where(
            ReportRunRow.period == period, ReportRunRow.compare == (compare or NO_COMPARE),
            ReportRunRow.fingerprint == fingerprint)).first()

    def latest(self, period: str, compare: str | None) -> ReportRunRow | None:
        return self.session.scalars(sa.select(ReportRunRow).where(
            ReportRunRow.period == period, ReportRunRow.compare == (compare or NO_COMPARE))
            .order_by(ReportRunRow.computed_at.desc(), ReportRunRow.report_id.desc()).limit(1)).first()

    def add(self, row: ReportRunRow) -> None:
        self.session.add(row)
        self.session.flush()
