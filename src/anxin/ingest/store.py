"""The event log: every accepted event, applied or parked waiting for what it refers to."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base


class IngestedEventRow(Base):
    __tablename__ = "ingested_events"
    event_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(64), index=True)
    occurred_at: Mapped[dt.datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    payload_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)  # applied | pending | failed
    error_code: Mapped[str | None] = mapped_column(sa.String(64))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    waiting_on: Mapped[str | None] = mapped_column(sa.String(300), index=True)
    received_at: Mapped[dt.datetime]
    applied_at: Mapped[dt.datetime | None]
    seq: Mapped[int] = mapped_column(sa.BigInteger, index=True)


class EventLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, event_id: str) -> IngestedEventRow | None:
        return self.session.get(IngestedEventRow, event_id)

    def next_seq(self) -> int:
        return int(self.session.scalar(sa.select(sa.func.coalesce(sa.func.max(IngestedEventRow.seq), 0))) or 0) + 1

    def add(self, row: IngestedEventRow) -> None:
        self.session.add(row)

    def waiting_on(self, key: str) -> list[IngestedEventRow]:
        return list(self.session.scalars(sa.select(IngestedEventRow).where(
            IngestedEventRow.status == "pending", IngestedEventRow.waiting_on == key)
            .order_by(IngestedEventRow.occurred_at, IngestedEventRow.seq)))

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(sa.select(IngestedEventRow.status, sa.func.count()).group_by(
            IngestedEventRow.status))
        return {status: int(n) for status, n in rows}

    def pending(self, limit: int = 100) -> list[IngestedEventRow]:
        return list(self.session.scalars(sa.select(IngestedEventRow).where(IngestedEventRow.status == "pending")
                                         .order_by(IngestedEventRow.seq).limit(limit)))
