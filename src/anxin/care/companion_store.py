"""The 30-day companion's rows: outreach tasks and the consultations it counts.

``care_outreach_tasks`` holds one row per (order, trouble), unique, whatever races: opened tasks (open → contacted
→ done | expired) and held-out ones (state held_out, never worked) alike, each with the decision that made it.
``care_outreach_contacts`` holds the consultations about orders (from care's ConsultationOpened), once each: the
repeated-contacts trouble counts them, and the effect report reads the contacts after a trouble from them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.care.companion_policy import ACTIVE, HELD_OUT
from anxin.db.base import Base, after_key, table

IN_PART = 2_000  # values per IN list, well under both databases' parameter limits


class OutreachTaskRow(Base):
    __tablename__ = "care_outreach_tasks"

    task_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.String(64))
    trouble: Mapped[str] = mapped_column(sa.String(24))
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    consumer_id: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))
    held_out: Mapped[bool] = mapped_column(sa.Boolean)
    priority: Mapped[int] = mapped_column(sa.Integer)
    trouble_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    source: Mapped[str] = mapped_column(sa.String(64))
    source_id: Mapped[str] = mapped_column(sa.String(100))
    remedy_suggested: Mapped[str] = mapped_column(sa.String(24))
    coupon_suggested_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    remedy_chosen: Mapped[str | None] = mapped_column(sa.String(24))
    coupon_fen: Mapped[int] = mapped_column(sa.BigInteger)  # the coupon issued (0: none)
    decision: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    history: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)  # every move: from, to, at, by, note, remedy
    contacted_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]  # done or expired
    updated_at: Mapped[dt.datetime]

    __table_args__ = (sa.UniqueConstraint("order_id", "trouble"),
                      sa.Index("ix_care_outreach_tasks_state_due", "state", "due_at", "task_id"),
                      sa.Index("ix_care_outreach_tasks_shop_due", "shop_id", "due_at"),
                      sa.Index("ix_care_outreach_tasks_expires", "expires_at"),
                      sa.Index("ix_care_outreach_tasks_opened", "opened_at"))


class OutreachContactRow(Base):
    __tablename__ = "care_outreach_contacts"

    consultation_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[str | None] = mapped_column(sa.String(64))
    consumer_id: Mapped[str | None] = mapped_column(sa.String(64))
    intent: Mapped[str] = mapped_column(sa.String(40))
    route: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[dt.datetime]

    __table_args__ = (sa.Index("ix_care_outreach_contacts_order_at", "order_id", "at"),)


def task_id_for(order_id: str, trouble: str) -> str:
    """Stable: the one task of an order and a trouble has one id, whoever opens it."""
    digest = hashlib.sha256(f"{order_id}\x1f{trouble}".encode()).hexdigest()
    return f"otr_{digest[:24]}"


@dataclass(frozen=True)
class Contact:
    consultation_id: str
    order_id: str
    shop_id: str | None
    consumer_id: str | None
    intent: str
    route: str
    at: dt.datetime


def _insert(session: Session) -> Any:
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


def task_dict(row: OutreachTaskRow) -> dict[str, Any]:
    """A task as the operators' API shows it."""
    return {"task_id": row.task_id, "order_id": row.order_id, "trouble": row.trouble, "shop_id": row.shop_id,
            "consumer_id": row.consumer_id, "state": row.state, "held_out": row.held_out, "priority": row.priority,
            "trouble_at": row.trouble_at.isoformat(), "opened_at": row.opened_at.isoformat(),
            "due_at": row.due_at.isoformat(), "expires_at": _iso(row.expires_at), "source": row.source,
            "source_id": row.source_id, "remedy_suggested": row.remedy_suggested,
            "coupon_suggested_fen": row.coupon_suggested_fen, "remedy_chosen": row.remedy_chosen,
            "coupon_fen": row.coupon_fen, "decision": dict(row.decision), "rulebook_version": row.rulebook_version,
            "history": list(row.history), "contacted_at": _iso(row.contacted_at), "closed_at": _iso(row.closed_at),
            "updated_at": row.updated_at.isoformat()}


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


class CompanionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- tasks ---

    def add_task(self, values: dict[str, Any]) -> bool:
        """Insert a task; False when the order already has one for the trouble (a concurrent opener of the same
        one waits for the other's transaction and then conflicts)."""
        t = table(OutreachTaskRow)
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        inserted = self.session.execute(_insert(self.session)(t).values(**values).on_conflict_do_nothing(
            index_elements=[t.c.order_id, t.c.trouble]).returning(t.c.task_id)).first()
        return inserted is not None

    def has_task(self, order_id: str, trouble: str) -> bool:
        t = OutreachTaskRow
        return self.session.scalar(sa.select(t.task_id).where(t.order_id == order_id, t.trouble == trouble)) \
            is not None

    def get(self, task_id: str, *, lock: bool = False) -> OutreachTaskRow | None:
        stmt = sa.select(OutreachTaskRow).where(OutreachTaskRow.task_id == task_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def find(self, *, state: str | None, trouble: str | None, shop_id: str | None, limit: int,
             after: tuple[dt.datetime, str] | None = None) -> list[OutreachTaskRow]:
        """By due time, earliest first (then id). No state: every task but the held-out ones (the work queue and
        its history); ``after``: the (due_at, task_id) of the previous page's last task."""
        t = OutreachTaskRow
        stmt = sa.select(t).where(t.state == state if state is not None else t.state != HELD_OUT)
        if trouble is not None:
            stmt = stmt.where(t.trouble == trouble)
        if shop_id is not None:
            stmt = stmt.where(t.shop_id == shop_id)
        order = [(t.due_at, False), (t.task_id, False)]
        stmt = stmt.where(after_key(order, after)).order_by(t.due_at, t.task_id).limit(limit)
        return list(self.session.scalars(stmt))

    def coupons_issued(self, order_id: str) -> int:
        """The companion's coupons already issued for the order, in fen."""
        t = OutreachTaskRow
        return int(self.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(t.coupon_fen), 0))
                                       .where(t.order_id == order_id)) or 0)

    def expirable(self, now: dt.datetime, limit: int) -> list[str]:
        t = OutreachTaskRow
        return list(self.session.scalars(sa.select(t.task_id).where(
            t.state.in_(ACTIVE), t.expires_at <= now).order_by(t.expires_at, t.task_id).limit(limit)))

    def expire(self, task_id: str, now: dt.datetime, entry: dict[str, Any]) -> bool:
        """An active task past its expiry → expired, with the history entry; False if it moved meanwhile."""
        row = self.get(task_id, lock=True)
        if row is None or row.state not in ACTIVE or row.expires_at is None or row.expires_at > now:
            return False
        row.history = [*row.history, {**entry, "from": row.state}]
        row.state, row.closed_at, row.updated_at = "expired", now, now
        return True

    def opened_between(self, since: dt.datetime, until: dt.datetime) -> list[OutreachTaskRow]:
        t = OutreachTaskRow
        return list(self.session.scalars(sa.select(t).where(t.opened_at >= since, t.opened_at < until)
                                         .order_by(t.opened_at, t.task_id)))

    # --- contacts ---

    def add_contact(self, c: Contact) -> bool:
        """False when the consultation is already known (a redelivered event)."""
        t = table(OutreachContactRow)
        inserted = self.session.execute(_insert(self.session)(t).values(
            consultation_id=c.consultation_id, order_id=c.order_id, shop_id=c.shop_id, consumer_id=c.consumer_id,
            intent=c.intent, route=c.route, at=c.at).on_conflict_do_nothing(
            index_elements=[t.c.consultation_id]).returning(t.c.consultation_id)).first()
        return inserted is not None

    def lock_order(self, order_id: str) -> None:
        """Serialise what is counted per order (its contacts, its coupons): on PostgreSQL a transaction-scoped
        advisory lock, so two consultations or coupons handled at once each see the other (SQLite's write
        transaction already serialises)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                                 {"key": f"care.outreach:{order_id}"})

    def count_contacts(self, order_id: str, since: dt.datetime, until: dt.datetime) -> int:
        """Consultations about the order at ``since`` or later and at ``until`` or earlier."""
        t = OutreachContactRow
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(t).where(
            t.order_id == order_id, t.at >= since, t.at <= until)) or 0)

    def contacts_of(self, order_ids: Sequence[str], since: dt.datetime,
                    until: dt.datetime) -> dict[str, list[dt.datetime]]:
        """When each order's consultations in [since, until) were opened."""
        t = OutreachContactRow
        out: dict[str, list[dt.datetime]] = {}
        ids = sorted(set(order_ids))
        for i in range(0, len(ids), IN_PART):
            rows = self.session.execute(sa.select(t.order_id, t.at).where(
                t.order_id.in_(ids[i:i + IN_PART]), t.at >= since, t.at < until))
            for order_id, at in rows:
                out.setdefault(order_id, []).append(at)
        return out

