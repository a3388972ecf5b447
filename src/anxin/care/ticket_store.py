"""Consultation, ticket, timeline, message, breach and satisfaction rows, and their repository.

Uniqueness does the idempotency and the races: a consultation id, a message id and a ticket per consultation are
unique (inserted ``ON CONFLICT DO NOTHING``: the loser of a race learns it lost); a breach is unique per ticket and
kind, a rating per ticket and closure. A ticket carries ``version``: every save is ``UPDATE … WHERE version = old``,
and the use cases lock the row first (``FOR UPDATE`` on PostgreSQL, the write transaction on SQLite).

``queue_due`` (the next SLA deadline, or the far future once nothing is due from the owner) orders the queues;
``check_at`` (the instant after which the clock has something to do) is what the ``care.sla`` job scans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.care.model import INTENT_TOPICS, Breach, Consultation, Message, Satisfaction, Ticket, TimelineEntry
from anxin.care.tickets import next_due
from anxin.db.base import Base, after_key, rowcount, table, within

FAR = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)  # queue_due of a ticket nothing is due on


class ConsultationRow(Base):
    __tablename__ = "care_consultations"

    consultation_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    topic: Mapped[str | None] = mapped_column(sa.String(24))
    text: Mapped[str] = mapped_column(sa.Text)
    customer_role: Mapped[str] = mapped_column(sa.String(16))
    customer_id: Mapped[str] = mapped_column(sa.String(64))
    order_id: Mapped[str | None] = mapped_column(sa.String(64))
    shop_id: Mapped[str | None] = mapped_column(sa.String(64))
    merchant_id: Mapped[str | None] = mapped_column(sa.String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    # the routing decision, as it was made (NULL until routed)
    intent: Mapped[str | None] = mapped_column(sa.String(40))
    route: Mapped[str | None] = mapped_column(sa.String(16))
    owner: Mapped[str | None] = mapped_column(sa.String(16))
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    reason_codes: Mapped[list[str] | None] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str] | None] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str | None] = mapped_column(sa.String(40))
    model_version: Mapped[str | None] = mapped_column(sa.String(60))
    facts: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    routed_at: Mapped[dt.datetime | None]
    ticket_id: Mapped[str | None] = mapped_column(sa.String(64))
    fallback_owner: Mapped[str | None] = mapped_column(sa.String(16))
    answer: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    __table_args__ = (sa.Index("ix_care_consultations_customer_order", "customer_role", "customer_id", "order_id",
                               "opened_at"),)

    def to_model(self) -> Consultation:
        routing = None if self.routed_at is None else {
            "intent": self.intent, "topic": _topic_of(self.intent), "route": self.route, "owner": self.owner,
            "confidence": self.confidence, "reason_codes": list(self.reason_codes or ()),
            "rule_ids": list(self.rule_ids or ()), "rulebook_version": self.rulebook_version,
            "model_version": self.model_version, "facts": dict(self.facts or {})}
        return Consultation(self.consultation_id, self.channel, self.topic, self.text, self.customer_role,
                            self.customer_id, self.order_id, self.shop_id, self.merchant_id, self.opened_at,
                            self.source, routing, self.route, self.ticket_id, self.fallback_owner,
                            dict(self.answer) if self.answer is not None else None, self.routed_at)


def _topic_of(intent: str | None) -> str | None:
    return INTENT_TOPICS.get(intent) if intent is not None else None


class TicketRow(Base):
    __tablename__ = "care_tickets"

    ticket_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    consultation_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    topic: Mapped[str] = mapped_column(sa.String(24))
    intent: Mapped[str] = mapped_column(sa.String(40))
    owner: Mapped[str] = mapped_column(sa.String(16))
    first_owner: Mapped[str] = mapped_column(sa.String(16))
    customer_role: Mapped[str] = mapped_column(sa.String(16))
    customer_id: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[str | None] = mapped_column(sa.String(64))
    merchant_id: Mapped[str | None] = mapped_column(sa.String(64))
    order_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    state: Mapped[str] = mapped_column(sa.String(20))
    opened_at: Mapped[dt.datetime] = mapped_column(index=True)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    first_reply_from: Mapped[dt.datetime]
    first_reply_due: Mapped[dt.datetime]
    resolution_from: Mapped[dt.datetime]
    resolution_due: Mapped[dt.datetime]
    first_replied_at: Mapped[dt.datetime | None]
    merchant_replied_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    close_due: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    closure_no: Mapped[int] = mapped_column(sa.Integer)
    first_reply_breached_at: Mapped[dt.datetime | None]
    resolution_breached_at: Mapped[dt.datetime | None]
    breached: Mapped[bool] = mapped_column(sa.Boolean)
    version: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[dt.datetime]
    queue_due: Mapped[dt.datetime]
    check_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    __table_args__ = (
        sa.Index("ix_care_tickets_queue", "queue_due", "ticket_id"),
        sa.Index("ix_care_tickets_owner_queue", "owner", "queue_due", "ticket_id"),
        sa.Index("ix_care_tickets_shop_queue", "shop_id", "queue_due", "ticket_id"),
        sa.Index("ix_care_tickets_customer_queue", "customer_role", "customer_id", "queue_due", "ticket_id"),
        sa.Index("ix_care_tickets_first_owner_shop", "first_owner", "shop_id", "opened_at"),
    )

    def to_model(self) -> Ticket:
        return Ticket(**{name: getattr(self, name) for name in _TICKET_FIELDS})


_TICKET_FIELDS = tuple(Ticket.__dataclass_fields__)


class TimelineRow(Base):
    __tablename__ = "care_timeline"

    entry_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(sa.String(24))
    actor: Mapped[str] = mapped_column(sa.String(140))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    def to_model(self) -> TimelineEntry:
        return TimelineEntry(self.ticket_id, self.at, self.kind, self.actor, self.from_state, self.to_state,
                             self.reason, dict(self.data))


class MessageRow(Base):
    __tablename__ = "care_messages"

    message_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    consultation_id: Mapped[str] = mapped_column(sa.String(64))
    ticket_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    author_role: Mapped[str] = mapped_column(sa.String(16))
    author_id: Mapped[str] = mapped_column(sa.String(100))
    text: Mapped[str] = mapped_column(sa.Text)
    posted_at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(sa.String(16))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    applied_at: Mapped[dt.datetime | None]

    __table_args__ = (sa.Index("ix_care_messages_consultation", "consultation_id", "posted_at"),)

    def to_model(self) -> Message:
        return Message(self.message_id, self.consultation_id, self.ticket_id, self.author_role, self.author_id,
                       self.text, self.posted_at, self.source, dict(self.data), self.applied_at)


class BreachRow(Base):
    __tablename__ = "care_breaches"

    ticket_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    due: Mapped[dt.datetime]
    at: Mapped[dt.datetime] = mapped_column(index=True)
    owner: Mapped[str] = mapped_column(sa.String(16))
    shop_id: Mapped[str | None] = mapped_column(sa.String(64))
    rule_id: Mapped[str] = mapped_column(sa.String(60))
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    def to_model(self) -> Breach:
        return Breach(self.ticket_id, self.kind, self.due, self.at, self.owner, self.rule_id, self.rulebook_version,
                      dict(self.facts))


class SatisfactionRow(Base):
    __tablename__ = "care_satisfaction"

    ticket_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    closure_no: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    rating: Mapped[int] = mapped_column(sa.Integer)
    comment: Mapped[str] = mapped_column(sa.Text)
    rated_at: Mapped[dt.datetime] = mapped_column(index=True)
    rated_by: Mapped[str] = mapped_column(sa.String(140))
    channel: Mapped[str] = mapped_column(sa.String(16))
    intent: Mapped[str] = mapped_column(sa.String(40))
    owner: Mapped[str] = mapped_column(sa.String(16))
    shop_id: Mapped[str | None] = mapped_column(sa.String(64))
    merchant_id: Mapped[str | None] = mapped_column(sa.String(64))

    def to_model(self) -> Satisfaction:
        return Satisfaction(self.ticket_id, self.closure_no, self.rating, self.comment, self.rated_at, self.rated_by)


def _insert(session: Session) -> Any:
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


def _consultation_values(c: Consultation) -> dict[str, Any]:
    r = c.routing or {}
    return {"consultation_id": c.consultation_id, "channel": c.channel, "topic": c.topic, "text": c.text,
            "customer_role": c.customer_role, "customer_id": c.customer_id, "order_id": c.order_id,
            "shop_id": c.shop_id, "merchant_id": c.merchant_id, "opened_at": c.opened_at, "source": c.source,
            "intent": r.get("intent"), "route": c.route, "owner": r.get("owner"), "confidence": r.get("confidence"),
            "reason_codes": r.get("reason_codes") if c.routing else None,
            "rule_ids": r.get("rule_ids") if c.routing else None, "rulebook_version": r.get("rulebook_version"),
            "model_version": r.get("model_version"), "facts": r.get("facts") if c.routing else None,
            "routed_at": c.routed_at, "ticket_id": c.ticket_id, "fallback_owner": c.fallback_owner,
            "answer": c.answer}


def _ticket_values(t: Ticket, check_at: dt.datetime | None) -> dict[str, Any]:
    values = {name: getattr(t, name) for name in _TICKET_FIELDS}
    values.update(breached=t.first_reply_breached_at is not None or t.resolution_breached_at is not None,
                  queue_due=next_due(t) or FAR, check_at=check_at)
    return values


def _message_values(m: Message) -> dict[str, Any]:
    return {"message_id": m.message_id, "consultation_id": m.consultation_id, "ticket_id": m.ticket_id,
            "author_role": m.author_role, "author_id": m.author_id, "text": m.text, "posted_at": m.posted_at,
            "source": m.source, "data": dict(m.data), "applied_at": m.applied_at}


@dataclass(frozen=True)
class Visibility:
    """Whose tickets a caller sees: all (staff), a customer's own, or a merchant's (their shops' merchant-CS tickets,
    those waiting on them, and their own merchant-channel ones)."""

    everything: bool = False
    customer: tuple[str, str] | None = None  # (customer_role, customer_id)
    shop_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueFilter:
    owner: str | None = None
    state: str | None = None
    shop_id: str | None = None
    breached: bool | None = None
    intent: str | None = None


class TicketRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- consultations -------------------------------------------------------------------------------------------

    def add_consultation(self, c: Consultation) -> bool:
        """False when the id is already stored (a concurrent opener of the same id waits here, then loses)."""
        t = table(ConsultationRow)
        inserted = self.session.execute(_insert(self.session)(t).values(**_consultation_values(c))
                                        .on_conflict_do_nothing(index_elements=[t.c.consultation_id])
                                        .returning(t.c.consultation_id)).first()
        return inserted is not None

    def get_consultation(self, consultation_id: str, *, lock: bool = False) -> Consultation | None:
        stmt = sa.select(ConsultationRow).where(ConsultationRow.consultation_id == consultation_id)
        if lock:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        return row.to_model() if row is not None else None

    def save_consultation(self, c: Consultation) -> None:
        values = _consultation_values(c)
        del values["consultation_id"]
        self.session.execute(sa.update(ConsultationRow).where(ConsultationRow.consultation_id == c.consultation_id)
                             .values(**values).execution_options(synchronize_session=False))

    def contacts_before(self, customer_role: str, customer_id: str, order_id: str, *, since: dt.datetime,
                        until: dt.datetime, excluding: str) -> int:
        c = ConsultationRow
        return int(self.session.scalar(sa.select(sa.func.count()).where(
            c.customer_role == customer_role, c.customer_id == customer_id, c.order_id == order_id,
            c.opened_at >= since, c.opened_at <= until, c.consultation_id != excluding)) or 0)

    def consultations_by_id(self, ids: list[str]) -> dict[str, Consultation]:
        rows = self.session.scalars(sa.select(ConsultationRow).where(ConsultationRow.consultation_id.in_(ids)))
        return {r.consultation_id: r.to_model() for r in rows}

    def insert_consultations(self, consultations: Sequence[Consultation]) -> None:
        if consultations:
            self.session.execute(sa.insert(table(ConsultationRow)),
                                 [_consultation_values(c) for c in consultations])

    # --- tickets -------------------------------------------------------------------------------------------------

    def add_ticket(self, ticket: Ticket, check_at: dt.datetime | None) -> bool:
        """False when the consultation already has a ticket (a concurrent follow-up opened it first)."""
        t = table(TicketRow)
        inserted = self.session.execute(_insert(self.session)(t).values(**_ticket_values(ticket, check_at))
                                        .on_conflict_do_nothing(index_elements=[t.c.consultation_id])
                                        .returning(t.c.ticket_id)).first()
        return inserted is not None

    def get_ticket(self, ticket_id: str, *, lock: bool = False) -> Ticket | None:
        stmt = sa.select(TicketRow).where(TicketRow.ticket_id == ticket_id)
        if lock:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        return row.to_model() if row is not None else None

    def save_ticket(self, ticket: Ticket, *, previous_version: int, check_at: dt.datetime | None) -> bool:
        """Write the ticket only if nobody changed it since ``previous_version`` was read."""
        values = _ticket_values(ticket, check_at)
        del values["ticket_id"]
        result = self.session.execute(
            sa.update(TicketRow).where(TicketRow.ticket_id == ticket.ticket_id,
                                       TicketRow.version == previous_version)
            .values(**values).execution_options(synchronize_session=False))
        return rowcount(result) == 1

    def due(self, now: dt.datetime, limit: int, *, excluding: set[str]) -> list[str]:
        """Tickets the clock has something to do to at ``now``, the earliest first."""
        t = TicketRow
        stmt = sa.select(t.ticket_id).where(t.check_at < now)
        if excluding:
            stmt = stmt.where(t.ticket_id.not_in(sorted(excluding)))
        return list(self.session.scalars(stmt.order_by(t.check_at, t.ticket_id).limit(limit)))

    def queue(self, visible: Visibility, f: QueueFilter, *, after: tuple[dt.datetime, str] | None,
              limit: int) -> list[Ticket]:
        t = TicketRow
        stmt = sa.select(t)
        if not visible.everything:
            mine = []
            if visible.customer is not None:
                mine.append(sa.and_(t.customer_role == visible.customer[0], t.customer_id == visible.customer[1]))
            if visible.shop_ids:
                mine.append(sa.and_(t.shop_id.in_(visible.shop_ids),
                                    sa.or_(t.first_owner == "merchant_cs", t.state == "waiting_merchant")))
            stmt = stmt.where(sa.or_(*mine) if mine else sa.false())
        for column, value in ((t.owner, f.owner), (t.state, f.state), (t.shop_id, f.shop_id),
                              (t.intent, f.intent), (t.breached, f.breached)):
            if value is not None:
                stmt = stmt.where(column == value)
        stmt = stmt.where(after_key([(t.queue_due, False), (t.ticket_id, False)], after))
        rows = self.session.scalars(stmt.order_by(t.queue_due, t.ticket_id).limit(limit))
        return [r.to_model() for r in rows]

    # --- timeline, messages ----------------------------------------------------------------------------------------

    def add_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        for e in entries:
            self.session.add(TimelineRow(ticket_id=e.ticket_id, at=e.at, kind=e.kind, actor=e.actor,
                                         from_state=e.from_state, to_state=e.to_state, reason=e.reason,
                                         data=dict(e.data)))

    def timeline(self, ticket_id: str) -> list[TimelineEntry]:
        rows = self.session.scalars(sa.select(TimelineRow).where(TimelineRow.ticket_id == ticket_id)
                                    .order_by(TimelineRow.at, TimelineRow.entry_id))
        return [r.to_model() for r in rows]

    def add_message(self, m: Message) -> bool:
        """False when the message id is already stored."""
        t = table(MessageRow)
        inserted = self.session.execute(_insert(self.session)(t).values(**_message_values(m))
                                        .on_conflict_do_nothing(index_elements=[t.c.message_id])
                                        .returning(t.c.message_id)).first()
        return inserted is not None

    def get_message(self, message_id: str) -> Message | None:
        row = self.session.get(MessageRow, message_id)
        return row.to_model() if row is not None else None

    def messages(self, consultation_id: str) -> list[Message]:
        rows = self.session.scalars(sa.select(MessageRow).where(MessageRow.consultation_id == consultation_id)
                                    .order_by(MessageRow.posted_at, MessageRow.message_id))
        return [r.to_model() for r in rows]

    def pending_messages(self, consultation_id: str) -> list[Message]:
        """Platform messages stored but not yet applied to a ticket, in the order they were posted."""
        rows = self.session.scalars(sa.select(MessageRow).where(MessageRow.consultation_id == consultation_id,
                                                                MessageRow.applied_at.is_(None))
                                    .order_by(MessageRow.posted_at, MessageRow.message_id))
        return [r.to_model() for r in rows]

    def mark_applied(self, message_id: str, *, ticket_id: str | None, at: dt.datetime) -> None:
        self.session.execute(sa.update(MessageRow).where(MessageRow.message_id == message_id)
                             .values(ticket_id=ticket_id, applied_at=at)
                             .execution_options(synchronize_session=False))

    def attach_messages(self, consultation_id: str, ticket_id: str) -> None:
        """The consultation's messages so far belong to the ticket it now has."""
        self.session.execute(sa.update(MessageRow).where(MessageRow.consultation_id == consultation_id,
                                                         MessageRow.ticket_id.is_(None))
                             .values(ticket_id=ticket_id).execution_options(synchronize_session=False))

    def messages_by_id(self, ids: list[str]) -> dict[str, Message]:
        rows = self.session.scalars(sa.select(MessageRow).where(MessageRow.message_id.in_(ids)))
        return {r.message_id: r.to_model() for r in rows}

    def insert_messages(self, messages: Sequence[Message]) -> None:
        if messages:
            self.session.execute(sa.insert(table(MessageRow)), [_message_values(m) for m in messages])

    # --- breaches, satisfaction --------------------------------------------------------------------------------

    def add_breach(self, b: Breach, *, shop_id: str | None) -> bool:
        """False when the ticket already has a breach of this kind."""
        t = table(BreachRow)
        inserted = self.session.execute(_insert(self.session)(t).values(
            ticket_id=b.ticket_id, kind=b.kind, due=b.due, at=b.at, owner=b.owner, shop_id=shop_id,
            rule_id=b.rule_id, rulebook_version=b.rulebook_version, facts=dict(b.facts))
            .on_conflict_do_nothing(index_elements=[t.c.ticket_id, t.c.kind]).returning(t.c.ticket_id)).first()
        return inserted is not None

    def breaches(self, ticket_id: str) -> list[Breach]:
        rows = self.session.scalars(sa.select(BreachRow).where(BreachRow.ticket_id == ticket_id)
                                    .order_by(BreachRow.at, BreachRow.kind))
        return [r.to_model() for r in rows]

    def add_rating(self, ticket: Ticket, s: Satisfaction) -> bool:
        """False when this closure of the ticket is already rated."""
        t = table(SatisfactionRow)
        inserted = self.session.execute(_insert(self.session)(t).values(
            ticket_id=s.ticket_id, closure_no=s.closure_no, rating=s.rating, comment=s.comment, rated_at=s.rated_at,
            rated_by=s.rated_by, channel=ticket.channel, intent=ticket.intent, owner=ticket.owner,
            shop_id=ticket.shop_id, merchant_id=ticket.merchant_id)
            .on_conflict_do_nothing(index_elements=[t.c.ticket_id, t.c.closure_no])
            .returning(t.c.ticket_id)).first()
        return inserted is not None

    def rated(self, ticket_id: str, closure_no: int) -> bool:
        return self.session.get(SatisfactionRow, (ticket_id, closure_no)) is not None

    def ratings(self, ticket_id: str) -> list[Satisfaction]:
        rows = self.session.scalars(sa.select(SatisfactionRow).where(SatisfactionRow.ticket_id == ticket_id)
                                    .order_by(SatisfactionRow.closure_no))
        return [r.to_model() for r in rows]

    # --- reports ---------------------------------------------------------------------------------------------------

    def ratings_by_order(self, order_ids: Sequence[str], since: dt.datetime,
                         until: dt.datetime) -> dict[str, list[tuple[dt.datetime, int]]]:
        """(rated at, rating) of the ratings given in [since, until) to tickets about each order."""
        s, t = SatisfactionRow, TicketRow
        out: dict[str, list[tuple[dt.datetime, int]]] = {}
        ids = sorted(set(order_ids))
        for start in range(0, len(ids), 1000):  # keep IN lists short
            rows = self.session.execute(
                sa.select(t.order_id, s.rated_at, s.rating).join(t, t.ticket_id == s.ticket_id)
                .where(t.order_id.in_(ids[start:start + 1000]), s.rated_at >= since, s.rated_at < until)
                .order_by(t.order_id, s.rated_at))
            for order_id, at, rating in rows:
                out.setdefault(str(order_id), []).append((at, int(rating)))
        return out


    def csat(self, by: str, since: dt.datetime, until: dt.datetime) -> list[tuple[str | None, int, int, int]]:
        """(group, ratings, sum of ratings, ratings of 4 or 5) per group of the ratings given in [since, until)."""
        s = SatisfactionRow
        key = {"channel": s.channel, "intent": s.intent, "merchant": s.merchant_id, "owner": s.owner}[by]
        rows = self.session.execute(
            sa.select(key, sa.func.count(), sa.func.sum(s.rating),
                      sa.func.sum(sa.case((s.rating >= 4, 1), else_=0)))
            .where(s.rated_at >= since, s.rated_at < until).group_by(key).order_by(key))
        return [(g, int(n), int(total or 0), int(good or 0)) for g, n, total, good in rows]

    def sla_rows(self, since: dt.datetime, until: dt.datetime) -> list[tuple[Any, ...]]:
        """Per ticket opened in [since, until): first owner, opened, first reply, escalated, resolved, and its
        breaches of each kind."""
        t = TicketRow
        return [tuple(r) for r in self.session.execute(
            sa.select(t.first_owner, t.opened_at, t.first_replied_at, t.merchant_replied_at, t.escalated_at,
                      t.resolved_at, t.first_reply_breached_at, t.resolution_breached_at)
            .where(t.opened_at >= since, t.opened_at < until))]

    def merchant_first_replies(self, shop_id: str, since: dt.datetime,
                               until: dt.datetime) -> list[tuple[dt.datetime, dt.datetime | None]]:
        """(opened, the merchant's first reply) of the shop's merchant-CS tickets opened in [since, until)."""
        t = TicketRow
        return [(a, b) for a, b in self.session.execute(
            sa.select(t.opened_at, t.merchant_replied_at).where(
                t.first_owner == "merchant_cs", t.shop_id == shop_id, t.opened_at >= since, t.opened_at < until))]


def export_ticket_chats_query(*, since: dt.datetime, until: dt.datetime,
                              shop_ids: list[str] | None) -> sa.Select[*tuple[Any, ...]]:
    """Merchant-CS tickets as chat sessions for the scores (``care.store.export_chats_query`` unions them): opened
    and handed to a person at the ticket's opening, first human reply the merchant's first message."""
    t = TicketRow
    return (sa.select(sa.literal("ticket:").concat(t.ticket_id).label("session_id"), t.shop_id,
                      t.opened_at.label("opened_at"), t.opened_at.label("to_human_at"),
                      t.merchant_replied_at.label("first_human_reply_at"))
            .where(t.first_owner == "merchant_cs", t.shop_id.is_not(None), t.opened_at >= since, t.opened_at < until,
                   within(t.shop_id, shop_ids)))


# --- the service report's published facts (reports.facts: consultations, tickets, satisfaction) ----------------------

def _routed_topic(intent: Any) -> sa.ColumnElement[Any]:
    """The topic of the routed intent (the vocabulary's mapping), not the one the opener picked."""
    return sa.case(INTENT_TOPICS, value=intent, else_=None)


def export_consultations_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Consultations opened in [since, until). A merchant's consultation without a shop stands for the merchant
    (``merchant:<id>``), so merchants served counts merchants."""
    c = ConsultationRow
    shop = sa.case((sa.and_(c.shop_id.is_(None), c.merchant_id.is_not(None)),
                    sa.literal("merchant:").concat(c.merchant_id)), else_=c.shop_id)
    return (sa.select(c.consultation_id, c.opened_at, c.channel, _routed_topic(c.intent).label("topic"), c.intent,
                      c.route, shop.label("shop_id"))
            .where(c.opened_at >= since, c.opened_at < until).order_by(c.consultation_id))


def export_tickets_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Tickets opened or resolved in [since, until), the owner they opened with."""
    t = TicketRow
    return (sa.select(t.ticket_id, t.consultation_id, t.channel, t.intent, t.first_owner.label("owner"), t.shop_id,
                      t.opened_at, t.first_reply_due, t.first_replied_at, t.resolved_at,
                      t.first_reply_breached_at.is_not(None).label("breached_first_reply"))
            .where(sa.or_(sa.and_(t.opened_at >= since, t.opened_at < until),
                          sa.and_(t.resolved_at >= since, t.resolved_at < until)))
            .order_by(t.ticket_id))


def export_satisfaction_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Ratings given in [since, until)."""
    s = SatisfactionRow
    return (sa.select(s.ticket_id, s.rating, s.channel, s.intent, s.shop_id, s.rated_at)
            .where(s.rated_at >= since, s.rated_at < until).order_by(s.ticket_id, s.closure_no))
