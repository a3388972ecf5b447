"""Outbox message rows and their repository. Deliveries, endpoints and leases are in ``delivery_store``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key, table
from anxin.outbox.model import PENDING, STATUSES, OutboxMessage, parse_status


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
    lease_until: Mapped[dt.datetime | None]  # unused since each delivery has its own lease (0013)
    delivered_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Set once the message has its deliveries (one per subscribed endpoint); until then nobody subscribed.
    fanned_out_at: Mapped[dt.datetime | None]


def to_message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        message_id=row.message_id, idempotency_key=row.idempotency_key, kind=row.kind,
        payload=dict(row.payload), created_at=row.created_at, attempts=row.attempts,
        next_attempt_at=row.next_attempt_at, status=parse_status(row.status),
        delivered_at=row.delivered_at, last_error=row.last_error, amount_fen=row.amount_fen,
        subject_ref=row.subject_ref)


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, message_id: str) -> OutboxRow | None:
        return self.session.get(OutboxRow, message_id)

    def get_for_update(self, message_id: str) -> OutboxRow | None:
        stmt = sa.select(OutboxRow).where(OutboxRow.message_id == message_id).with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def get_by_key(self, idempotency_key: str) -> OutboxRow | None:
        stmt = sa.select(OutboxRow).where(OutboxRow.idempotency_key == idempotency_key)
        return self.session.scalars(stmt).one_or_none()

    def by_keys(self, keys: list[str]) -> dict[str, tuple[str, str, int | None]]:
        """idempotency key → (message_id, kind, amount_fen) of the rows already holding one of ``keys``."""
        t = table(OutboxRow)
        found: dict[str, tuple[str, str, int | None]] = {}
        for lo in range(0, len(keys), 1000):
            for r in self.session.execute(sa.select(t.c.idempotency_key, t.c.message_id, t.c.kind, t.c.amount_fen)
                                          .where(t.c.idempotency_key.in_(keys[lo:lo + 1000]))):
                found[r.idempotency_key] = (r.message_id, r.kind, r.amount_fen)
        return found

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(sa.insert(table(OutboxRow)), rows)

    def add(self, row: OutboxRow) -> OutboxRow:
        """Insert, or hand back the row already holding this idempotency key: one statement when the key is new
        (``ON CONFLICT DO NOTHING`` on the unique key; a concurrent holder of the key makes this wait for it)."""
        t = table(OutboxRow)
        insert = sqlite.insert if self.session.get_bind().dialect.name == "sqlite" else postgresql.insert
        values = {c.name: getattr(row, c.key) for c in t.columns}
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        inserted = self.session.execute(insert(t).values(**values).on_conflict_do_nothing(
            index_elements=[t.c.idempotency_key]).returning(t.c.message_id)).first()
        if inserted is not None:
            return row
        existing = self.get_by_key(row.idempotency_key)
        assert existing is not None
        return existing

    def unfanned(self, kinds: frozenset[str] | None, limit: int) -> list[tuple[str, str, dt.datetime]]:
        """(message_id, kind, created_at) of pending messages not fanned out yet, oldest first; only ``kinds``
        (None: any), so messages nobody subscribes to never crowd out the ones somebody does."""
        t = table(OutboxRow)
        stmt = sa.select(t.c.message_id, t.c.kind, t.c.created_at).where(
            t.c.status == PENDING, t.c.fanned_out_at.is_(None))
        if kinds is not None:
            stmt = stmt.where(t.c.kind.in_(sorted(kinds)))
        stmt = stmt.order_by(t.c.created_at, t.c.message_id).limit(limit)
        return [(r.message_id, r.kind, r.created_at) for r in self.session.execute(stmt)]

    def mark_fanned(self, message_ids: list[str], now: dt.datetime) -> None:
        if message_ids:
            self.session.execute(sa.update(OutboxRow).where(OutboxRow.message_id.in_(message_ids),
                                                            OutboxRow.fanned_out_at.is_(None))
                                 .values(fanned_out_at=now).execution_options(synchronize_session=False))

    def set_summary(self, message_id: str, **values: Any) -> None:
        """The message's status and figures, derived from its deliveries."""
        self.session.execute(sa.update(OutboxRow).where(OutboxRow.message_id == message_id).values(**values)
                             .execution_options(synchronize_session=False))

    def find(self, *, subject_ref: str | None = None, status: str | None = None, kind: str | None = None,
             limit: int = 500, after: tuple[dt.datetime, str] | None = None, offset: int = 0,
             newest_first: bool = False) -> list[OutboxRow]:
        """By creation, oldest (or newest) first; ``after``: the (created at, id) of the previous page's last (the
        API's keyset pages; ``offset`` is the CLI's)."""
        stmt = sa.select(OutboxRow)
        if subject_ref is not None:
            stmt = stmt.where(OutboxRow.subject_ref == subject_ref)
        if status is not None:
            stmt = stmt.where(OutboxRow.status == status)
        if kind is not None:
            stmt = stmt.where(OutboxRow.kind == kind)
        keyset = [(OutboxRow.created_at, newest_first), (OutboxRow.message_id, newest_first)]
        order = (OutboxRow.created_at.desc(), OutboxRow.message_id.desc()) if newest_first else (
            OutboxRow.created_at, OutboxRow.message_id)
        stmt = stmt.where(after_key(keyset, after)).order_by(*order)
        return list(self.session.scalars(stmt.limit(limit).offset(offset)))

    def list_for_subject(self, subject_ref: str) -> list[OutboxRow]:
        return self.find(subject_ref=subject_ref)

    def counts_by_status(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        stmt = sa.select(OutboxRow.status, sa.func.count()).group_by(OutboxRow.status)
        for status, n in self.session.execute(stmt):
            counts[status] = int(n)
        return counts

