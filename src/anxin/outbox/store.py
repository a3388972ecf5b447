"""Outbox rows, the repository, and the lease that lets only one worker send a row at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base
from anxin.outbox.model import PENDING, STATUSES, OutboxMessage


class OutboxRow(Base):
    __tablename__ = "outbox"

    message_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    amount_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    subject_ref: Mapped[str] = mapped_column(sa.String(128), index=True)
    created_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(index=True)
    lease_until: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)


def to_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        message_id=row.message_id, idempotency_key=row.idempotency_key, kind=row.kind,
        payload=dict(row.payload), created_at=row.created_at, attempts=row.attempts,
        next_attempt_at=row.next_attempt_at, status=row.status,  # type: ignore[arg-type]
        delivered_at=row.delivered_at, last_error=row.last_error, amount_fen=row.amount_fen,
        subject_ref=row.subject_ref)


def _claimable(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= now,
                   sa.or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now))


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, message_id: str) -> OutboxRow | None:
        return self.session.get(OutboxRow, message_id)

    def get_by_key(self, idempotency_key: str) -> OutboxRow | None:
        stmt = sa.select(OutboxRow).where(OutboxRow.idempotency_key == idempotency_key)
        return self.session.scalars(stmt).one_or_none()

    def by_keys(self, keys: list[str]) -> dict[str, tuple[str, str, int | None]]:
        """idempotency key → (message_id, kind, amount_fen) of the rows already holding one of ``keys``."""
        t = OutboxRow.__table__
        found: dict[str, tuple[str, str, int | None]] = {}
        for lo in range(0, len(keys), 1000):
            for r in self.session.execute(sa.select(t.c.idempotency_key, t.c.message_id, t.c.kind, t.c.amount_fen)
                                          .where(t.c.idempotency_key.in_(keys[lo:lo + 1000]))):
                found[r.idempotency_key] = (r.message_id, r.kind, r.amount_fen)
        return found

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(sa.insert(OutboxRow.__table__), rows)

    def add(self, row: OutboxRow) -> OutboxRow:
        """Insert, or hand back the row already holding this idempotency key: one statement when the key is new
        (``ON CONFLICT DO NOTHING`` on the unique key; a concurrent holder of the key makes this wait for it)."""
        t = OutboxRow.__table__
        insert = sqlite.insert if self.session.get_bind().dialect.name == "sqlite" else postgresql.insert
        values = {c.name: getattr(row, c.key) for c in t.columns}
        result = self.session.execute(insert(t).values(**values).on_conflict_do_nothing(
            index_elements=[t.c.idempotency_key]))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return row
        existing = self.get_by_key(row.idempotency_key)
        assert existing is not None
        return existing

    def due(self, now: dt.datetime, limit: int = 100) -> list[OutboxRow]:
        stmt = (sa.select(OutboxRow).where(_claimable(now))
                .order_by(OutboxRow.next_attempt_at, OutboxRow.created_at, OutboxRow.message_id).limit(limit))
        return list(self.session.scalars(stmt))

    def claim_due(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[OutboxRow]:
        """Lease up to ``limit`` due rows for this worker; the caller commits to publish the lease."""
        if self.session.get_bind().dialect.name == "postgresql":
            # Row locks make concurrent workers skip each other's rows instead of waiting on them.
            stmt = (sa.select(OutboxRow.message_id).where(_claimable(now))
                    .order_by(OutboxRow.next_attempt_at, OutboxRow.message_id).limit(limit)
                    .with_for_update(skip_locked=True))
            ids = list(self.session.scalars(stmt))
            if ids:
                self.session.execute(
                    sa.update(OutboxRow).where(OutboxRow.message_id.in_(ids)).values(lease_until=lease_until)
                    .execution_options(synchronize_session=False))
        else:
            # SQLite has no row locks; a conditional UPDATE per row is atomic, so rowcount tells who won.
            ids = []
            for message_id in [row.message_id for row in self.due(now, limit)]:
                result = self.session.execute(
                    sa.update(OutboxRow).where(OutboxRow.message_id == message_id, _claimable(now))
                    .values(lease_until=lease_until).execution_options(synchronize_session=False))
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    ids.append(message_id)
        self.session.expire_all()
        rows = {row.message_id: row for row in
                self.session.scalars(sa.select(OutboxRow).where(OutboxRow.message_id.in_(ids)))}
        return [rows[i] for i in ids]

    def finish(self, message_id: str, lease_until: dt.datetime, **values: Any) -> bool:
        """Record an attempt's outcome only if our lease still stands; lease_until is the fencing token
        (a later claim always sets a later one), so a worker that overran its lease cannot overwrite."""
        result = self.session.execute(
            sa.update(OutboxRow)
            .where(OutboxRow.message_id == message_id, OutboxRow.status == PENDING,
                   OutboxRow.lease_until == lease_until)
            .values(lease_until=None, **values).execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def find(self, *, subject_ref: str | None = None, status: str | None = None,
             limit: int = 500) -> list[OutboxRow]:
        stmt = sa.select(OutboxRow)
        if subject_ref is not None:
            stmt = stmt.where(OutboxRow.subject_ref == subject_ref)
        if status is not None:
            stmt = stmt.where(OutboxRow.status == status)
        stmt = stmt.order_by(OutboxRow.created_at, OutboxRow.message_id).limit(limit)
        return list(self.session.scalars(stmt))

    def list_for_subject(self, subject_ref: str) -> list[OutboxRow]:
        return self.find(subject_ref=subject_ref)

    def counts_by_status(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        stmt = sa.select(OutboxRow.status, sa.func.count()).group_by(OutboxRow.status)
        for status, n in self.session.execute(stmt):
            counts[status] = int(n)
        return counts

