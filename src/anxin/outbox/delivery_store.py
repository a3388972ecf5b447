"""Webhook endpoints, deliveries (one per message and endpoint) with their leases, and the attempt log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, rowcount, table
from anxin.outbox.model import ATTEMPT_LOG_SIZE, PENDING, Attempt, Delivery, Endpoint, parse_status


class EndpointRow(Base):
    __tablename__ = "webhook_endpoints"

    endpoint_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    secret: Mapped[str] = mapped_column(sa.String(200))
    previous_secret: Mapped[str | None] = mapped_column(sa.String(200))
    previous_secret_until: Mapped[dt.datetime | None]
    event_types: Mapped[list[str]] = mapped_column(sa.JSON)
    enabled: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class DeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.UniqueConstraint("message_id", "endpoint_id"),
                      sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"))

    delivery_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(64), sa.ForeignKey("outbox.message_id"), index=True)
    endpoint_id: Mapped[str] = mapped_column(sa.String(64), sa.ForeignKey("webhook_endpoints.endpoint_id"),
                                             index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(sa.Integer)
    next_attempt_at: Mapped[dt.datetime]
    lease_until: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class AttemptRow(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(sa.String(64), sa.ForeignKey("webhook_deliveries.delivery_id"),
                                             index=True)
    endpoint_id: Mapped[str] = mapped_column(sa.String(64))
    attempted_at: Mapped[dt.datetime]
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.Text)
    duration_ms: Mapped[int] = mapped_column(sa.Integer)


def to_endpoint(row: EndpointRow) -> Endpoint:
    return Endpoint(endpoint_id=row.endpoint_id, url=row.url, description=row.description,
                    event_types=tuple(row.event_types), enabled=row.enabled, created_at=row.created_at,
                    updated_at=row.updated_at, previous_secret_until=row.previous_secret_until)


def to_delivery(row: DeliveryRow) -> Delivery:
    return Delivery(delivery_id=row.delivery_id, message_id=row.message_id, endpoint_id=row.endpoint_id,
                    status=parse_status(row.status), attempts=row.attempts,
                    next_attempt_at=row.next_attempt_at, created_at=row.created_at, delivered_at=row.delivered_at,
                    last_status_code=row.last_status_code, last_error=row.last_error, lease_until=row.lease_until)


def signing_secrets(row: EndpointRow, now: dt.datetime) -> list[str]:
    """The current secret, and the previous one while its grace period after a rotation lasts."""
    if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
        return [row.secret, row.previous_secret]
    return [row.secret]


def _insert(session: Session) -> Any:
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


class EndpointRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, endpoint_id: str) -> EndpointRow | None:
        return self.session.get(EndpointRow, endpoint_id)

    def get_for_update(self, endpoint_id: str) -> EndpointRow | None:
        stmt = sa.select(EndpointRow).where(EndpointRow.endpoint_id == endpoint_id).with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def all(self) -> list[EndpointRow]:
        return list(self.session.scalars(sa.select(EndpointRow).order_by(EndpointRow.created_at,
                                                                          EndpointRow.endpoint_id)))

    def add(self, row: EndpointRow) -> None:
        self.session.add(row)
        self.session.flush()

    def insert_if_absent(self, values: dict[str, Any]) -> bool:
        """One statement, safe when several processes start at once; True when this call inserted it."""
        t = table(EndpointRow)
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        return self.session.execute(_insert(self.session)(t).values(**values).on_conflict_do_nothing(
            index_elements=[t.c.endpoint_id]).returning(t.c.endpoint_id)).first() is not None


def _claimable(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(DeliveryRow.status == PENDING, DeliveryRow.next_attempt_at <= now,
                   sa.or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now))


class DeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, delivery_id: str) -> DeliveryRow | None:
        return self.session.get(DeliveryRow, delivery_id)

    def get_for_update(self, delivery_id: str) -> DeliveryRow | None:
        stmt = sa.select(DeliveryRow).where(DeliveryRow.delivery_id == delivery_id).with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def for_message(self, message_id: str, *, lock: bool = False) -> list[DeliveryRow]:
        stmt = sa.select(DeliveryRow).where(DeliveryRow.message_id == message_id).order_by(
            DeliveryRow.endpoint_id)
        return list(self.session.scalars(stmt.with_for_update() if lock else stmt))

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """Concurrent fan-outs of one message insert its deliveries once (unique message and endpoint)."""
        if rows:
            t = table(DeliveryRow)
            self.session.execute(_insert(self.session)(t).on_conflict_do_nothing(
                index_elements=[t.c.message_id, t.c.endpoint_id]), rows)

    def claim_due(self, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[DeliveryRow]:
        """Lease up to ``limit`` due deliveries to enabled endpoints; the caller commits to publish the lease."""
        due = (sa.select(DeliveryRow.delivery_id).join(EndpointRow, EndpointRow.endpoint_id == DeliveryRow.endpoint_id)
               .where(_claimable(now), EndpointRow.enabled.is_(True))
               .order_by(DeliveryRow.next_attempt_at, DeliveryRow.delivery_id).limit(limit))
        if self.session.get_bind().dialect.name == "postgresql":
            # Row locks make concurrent workers skip each other's rows instead of waiting on them.
            ids = list(self.session.scalars(due.with_for_update(skip_locked=True, of=DeliveryRow)))
            if ids:
                self.session.execute(
                    sa.update(DeliveryRow).where(DeliveryRow.delivery_id.in_(ids)).values(lease_until=lease_until)
                    .execution_options(synchronize_session=False))
        else:
            # SQLite has no row locks; a conditional UPDATE per row is atomic, so rowcount tells who won.
            ids = []
            for delivery_id in list(self.session.scalars(due)):
                result = self.session.execute(
                    sa.update(DeliveryRow).where(DeliveryRow.delivery_id == delivery_id, _claimable(now))
                    .values(lease_until=lease_until).execution_options(synchronize_session=False))
                if rowcount(result) == 1:
                    ids.append(delivery_id)
        self.session.expire_all()
        rows = {row.delivery_id: row for row in
                self.session.scalars(sa.select(DeliveryRow).where(DeliveryRow.delivery_id.in_(ids)))}
        return [rows[i] for i in ids]

    def finish(self, delivery_id: str, lease_until: dt.datetime, **values: Any) -> bool:
        """Record an attempt's outcome only if our lease still stands; lease_until is the fencing token
        (a later claim always sets a later one), so a worker that overran its lease cannot overwrite."""
        result = self.session.execute(
            sa.update(DeliveryRow)
            .where(DeliveryRow.delivery_id == delivery_id, DeliveryRow.status == PENDING,
                   DeliveryRow.lease_until == lease_until)
            .values(lease_until=None, **values).execution_options(synchronize_session=False))
        return rowcount(result) == 1

    def recent(self, *, status: str | None = None, endpoint_id: str | None = None,
               limit: int = 100) -> list[DeliveryRow]:
        """Dead first, then the most recently created."""
        stmt = sa.select(DeliveryRow)
        if status is not None:
            stmt = stmt.where(DeliveryRow.status == status)
        if endpoint_id is not None:
            stmt = stmt.where(DeliveryRow.endpoint_id == endpoint_id)
        dead_first = sa.case((DeliveryRow.status == "dead", 0), else_=1)
        stmt = stmt.order_by(dead_first, DeliveryRow.created_at.desc(), DeliveryRow.delivery_id).limit(limit)
        return list(self.session.scalars(stmt))

    def counts_by_endpoint(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        stmt = sa.select(DeliveryRow.endpoint_id, DeliveryRow.status, sa.func.count()).group_by(
            DeliveryRow.endpoint_id, DeliveryRow.status)
        for endpoint_id, status, n in self.session.execute(stmt):
            out.setdefault(endpoint_id, {})[status] = int(n)
        return out

    # --- the attempt log ---------------------------------------------------------------------------------

    def log_attempt(self, attempt: Attempt) -> None:
        """Append, then keep only the newest ATTEMPT_LOG_SIZE attempts of that delivery."""
        self.session.add(AttemptRow(delivery_id=attempt.delivery_id, endpoint_id=attempt.endpoint_id,
                                    attempted_at=attempt.attempted_at, status_code=attempt.status_code,
                                    error=attempt.error, duration_ms=attempt.duration_ms))
        self.session.flush()
        older = (sa.select(AttemptRow.id).where(AttemptRow.delivery_id == attempt.delivery_id)
                 .order_by(AttemptRow.id.desc()).offset(ATTEMPT_LOG_SIZE))
        self.session.execute(sa.delete(AttemptRow).where(AttemptRow.delivery_id == attempt.delivery_id,
                                                         AttemptRow.id.in_(older)))

    def attempts(self, delivery_ids: list[str]) -> list[Attempt]:
        if not delivery_ids:
            return []
        stmt = (sa.select(AttemptRow).where(AttemptRow.delivery_id.in_(delivery_ids))
                .order_by(AttemptRow.id))
        return [Attempt(delivery_id=r.delivery_id, endpoint_id=r.endpoint_id, attempted_at=r.attempted_at,
                        status_code=r.status_code, error=r.error, duration_ms=r.duration_ms)
                for r in self.session.scalars(stmt)]
