"""The event log behind the message bus: domain events written with the change that caused them, leased to one
handler process at a time, and the marks of which handlers have run each one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.core.messagebus import DEAD, PENDING, LoggedEvent, NewEvent
from anxin.db.base import Base, rowcount, table

if TYPE_CHECKING:
    from anxin.db.uow import UnitOfWork


class DomainEventRow(Base):
    __tablename__ = "domain_events"
    __table_args__ = (sa.Index("ix_domain_events_due", "status", "next_attempt_at"),)

    event_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    occurred_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(16))
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    lease_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class HandledRow(Base):
    __tablename__ = "domain_event_handlers"

    event_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    handler: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    handled_at: Mapped[dt.datetime]


def _claimable(now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(DomainEventRow.status == PENDING, DomainEventRow.next_attempt_at <= now,
                   sa.or_(DomainEventRow.lease_until.is_(None), DomainEventRow.lease_until < now))


def _logged(row: Any) -> LoggedEvent:
    return LoggedEvent(row.event_id, row.name, dict(row.payload), row.occurred_at, row.attempts)


class DomainEventLog:
    """``EventLogPort`` on the database. Stateless: every call works in the unit of work it is given."""

    def append(self, uow: UnitOfWork, events: Sequence[NewEvent]) -> None:
        uow.session.execute(sa.insert(table(DomainEventRow)), [
            {"event_id": e.event_id, "name": e.name, "payload": e.payload, "occurred_at": e.occurred_at,
             "status": PENDING, "attempts": 0, "next_attempt_at": e.occurred_at, "lease_until": None,
             "last_error": None} for e in events])

    def claim(self, uow: UnitOfWork, *, now: dt.datetime, lease_until: dt.datetime, limit: int,
              ids: Sequence[str] | None = None) -> list[LoggedEvent]:
        session = uow.session
        t = table(DomainEventRow)
        stmt = sa.select(t.c.event_id).where(_claimable(now))
        if ids is not None:
            stmt = stmt.where(t.c.event_id.in_(list(ids)))
        stmt = stmt.order_by(t.c.next_attempt_at, t.c.event_id).limit(limit)
        if uow.dialect == "postgresql":
            # Row locks make concurrent processes skip each other's events instead of waiting on them.
            won = list(session.scalars(stmt.with_for_update(skip_locked=True)))
            if won:
                session.execute(sa.update(t).where(t.c.event_id.in_(won)).values(lease_until=lease_until))
        else:
            # SQLite has one writer at a time; a conditional UPDATE per row is atomic, so rowcount tells who won.
            won = [event_id for event_id in list(session.scalars(stmt))
                   if rowcount(session.execute(sa.update(t).where(t.c.event_id == event_id, _claimable(now))
                                               .values(lease_until=lease_until))) == 1]
        if not won:
            return []
        rows = {r.event_id: r for r in session.execute(sa.select(t).where(t.c.event_id.in_(won)))}
        return [_logged(rows[i]) for i in won]

    def mark_handled(self, uow: UnitOfWork, event_id: str, handler: str, at: dt.datetime) -> bool:
        t = table(HandledRow)
        insert = sqlite.insert if uow.dialect == "sqlite" else postgresql.insert
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        inserted = uow.session.execute(insert(t).values(event_id=event_id, handler=handler, handled_at=at)
                                       .on_conflict_do_nothing(index_elements=[t.c.event_id, t.c.handler])
                                       .returning(t.c.event_id)).first()
        return inserted is not None

    def finish(self, uow: UnitOfWork, event_id: str, lease_until: dt.datetime, *, status: str, attempts: int,
               next_attempt_at: dt.datetime, error: str | None) -> bool:
        t = table(DomainEventRow)
        result = uow.session.execute(
            sa.update(t).where(t.c.event_id == event_id, t.c.status == PENDING, t.c.lease_until == lease_until)
            .values(status=status, attempts=attempts, next_attempt_at=next_attempt_at, last_error=error,
                    lease_until=None))
        return rowcount(result) == 1


class DomainEventQueries:
    """What operators see of the log: counts by state and the events that are failing or dead."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def counts(self) -> dict[str, int]:
        t = table(DomainEventRow)
        return {status: n for status, n in self.session.execute(
            sa.select(t.c.status, sa.func.count()).group_by(t.c.status))}

    def troubled(self, limit: int = 100) -> list[DomainEventRow]:
        """Dead events first, then pending ones that have failed at least once."""
        stmt = (sa.select(DomainEventRow)
                .where(sa.or_(DomainEventRow.status == DEAD,
                              sa.and_(DomainEventRow.status == PENDING, DomainEventRow.attempts > 0)))
                .order_by(sa.case((DomainEventRow.status == DEAD, 0), else_=1), DomainEventRow.occurred_at.desc())
                .limit(limit))
        return list(self.session.scalars(stmt))

    def retry(self, event_id: str, now: dt.datetime) -> bool:
        """Operator action: give a dead event a fresh set of attempts (handlers that already ran stay done)."""
        t = table(DomainEventRow)
        result = self.session.execute(sa.update(t).where(t.c.event_id == event_id, t.c.status == DEAD)
                                      .values(status=PENDING, attempts=0, next_attempt_at=now, lease_until=None))
        return rowcount(result) == 1
