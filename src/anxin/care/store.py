"""Complaint and chat-session rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.care.model import ChatSession, Complaint
from anxin.care.ticket_store import export_ticket_chats_query
from anxin.db.base import Base, table, within


class ComplaintRow(Base):
    __tablename__ = "complaints"
    complaint_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    consumer_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    reason: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)
    filed_at: Mapped[dt.datetime] = mapped_column(index=True)

    def to_model(self) -> Complaint:
        return Complaint(self.complaint_id, self.order_id, self.shop_id, self.consumer_id, self.reason,
                         self.filed_at, self.text)


class ChatSessionRow(Base):
    __tablename__ = "chat_sessions"
    session_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    consumer_id: Mapped[str] = mapped_column(sa.String(64))
    order_id: Mapped[str | None] = mapped_column(sa.String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(index=True)
    to_human_at: Mapped[dt.datetime | None]
    first_human_reply_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    as_of: Mapped[dt.datetime]  # the occurred_at of the report it reflects: a late, older report loses

    def to_model(self) -> ChatSession:
        return ChatSession(self.session_id, self.shop_id, self.consumer_id, self.order_id, self.opened_at,
                           self.to_human_at, self.first_human_reply_at, self.closed_at)


def _complaint_values(c: Complaint) -> dict[str, Any]:
    return {"complaint_id": c.complaint_id, "order_id": c.order_id, "shop_id": c.shop_id,
            "consumer_id": c.consumer_id, "reason": c.reason, "text": c.text, "filed_at": c.filed_at}


def _session_values(s: ChatSession, as_of: dt.datetime) -> dict[str, Any]:
    return {"session_id": s.session_id, "shop_id": s.shop_id, "consumer_id": s.consumer_id, "order_id": s.order_id,
            "opened_at": s.opened_at, "to_human_at": s.to_human_at, "first_human_reply_at": s.first_human_reply_at,
            "closed_at": s.closed_at, "as_of": as_of}


class CareRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_complaint(self, complaint_id: str) -> ComplaintRow | None:
        return self.session.get(ComplaintRow, complaint_id)

    def add_complaint(self, complaint: Complaint) -> bool:
        """False when the complaint id is already stored: a complaint is filed once."""
        if self.session.get(ComplaintRow, complaint.complaint_id) is not None:
            return False
        self.session.add(ComplaintRow(**_complaint_values(complaint)))
        return True

    def get_chat_session(self, session_id: str) -> ChatSessionRow | None:
        return self.session.get(ChatSessionRow, session_id)

    def upsert_chat_session(self, chat: ChatSession, as_of: dt.datetime) -> bool:
        """False when a newer report of the session is already stored."""
        row = self.session.get(ChatSessionRow, chat.session_id)
        if row is None:
            self.session.add(ChatSessionRow(**_session_values(chat, as_of)))
            return True
        if as_of < row.as_of:
            return False
        for name, value in _session_values(chat, as_of).items():
            setattr(row, name, value)
        return True

    # --- bulk ingestion: Core statements on the same tables, the same column values as above -----------------

    def complaints_by_id(self, complaint_ids: list[str]) -> dict[str, Complaint]:
        t = table(ComplaintRow)
        rows = self.session.execute(sa.select(t).where(t.c.complaint_id.in_(complaint_ids)))
        return {r.complaint_id: ComplaintRow.to_model(r) for r in rows}  # type: ignore[arg-type]

    def insert_complaints(self, complaints: list[Complaint]) -> None:
        if complaints:
            self.session.execute(sa.insert(table(ComplaintRow)), [_complaint_values(c) for c in complaints])

    def chat_sessions_as_of(self, session_ids: list[str]) -> dict[str, tuple[ChatSession, dt.datetime]]:
        t = table(ChatSessionRow)
        rows = self.session.execute(sa.select(t).where(t.c.session_id.in_(session_ids)))
        return {r.session_id: (ChatSessionRow.to_model(r), r.as_of) for r in rows}  # type: ignore[arg-type]

    def write_chat_sessions(self, new: list[tuple[ChatSession, dt.datetime]],
                            changed: list[tuple[ChatSession, dt.datetime]]) -> None:
        t = table(ChatSessionRow)
        if new:
            self.session.execute(sa.insert(t), [_session_values(s, at) for s, at in new])
        if changed:
            values = [_session_values(s, at) for s, at in changed]
            self.session.execute(sa.update(t).where(t.c.session_id == sa.bindparam("_id")),
                                 [{"_id": v.pop("session_id"), **v} for v in values])

    def complaint_counts(self, shop_ids: list[str], since: dt.datetime, until: dt.datetime) -> dict[str, int]:
        """Complaints filed in [since, until) per shop (shops with none are left out)."""
        c = ComplaintRow
        out: dict[str, int] = {}
        ids = sorted(set(shop_ids))
        for start in range(0, len(ids), 1000):  # keep IN lists short
            out.update({sid: int(n) for sid, n in self.session.execute(
                sa.select(c.shop_id, sa.func.count()).where(c.shop_id.in_(ids[start:start + 1000]),
                                                           c.filed_at >= since, c.filed_at < until)
                .group_by(c.shop_id))})
        return out

    def complaint_reasons_of_orders(self, order_ids: list[str]) -> dict[str, set[str]]:
        """The complaint reasons filed about each order (orders without complaints are left out)."""
        c = ComplaintRow
        out: dict[str, set[str]] = {}
        for start in range(0, len(order_ids), 1000):  # keep IN lists short
            for oid, reason in self.session.execute(sa.select(c.order_id, c.reason).where(
                    c.order_id.in_(order_ids[start:start + 1000]))):
                out.setdefault(oid, set()).add(reason)
        return out

    def reply_stats(self, shop_id: str, within: dt.timedelta) -> tuple[int, int]:
        t = ChatSessionRow
        rows = self.session.execute(sa.select(t.to_human_at, t.first_human_reply_at).where(
            t.shop_id == shop_id, t.to_human_at.is_not(None)))
        handed = answered = 0
        for to_human, reply in rows:
            handed += 1
            # to_human is never None here (the WHERE), but the column is nullable
            if reply is not None and to_human is not None and reply - to_human <= within:
                answered += 1
        return handed, answered



def export_complaints_query(*, since: dt.datetime, until: dt.datetime,
                            shop_ids: list[str] | None) -> sa.Select[*tuple[Any, ...]]:
    """Complaints filed in ``[since, until)``, for analytics exports (the scoring facts)."""
    c = ComplaintRow
    return (sa.select(c.complaint_id, c.order_id, c.shop_id, c.consumer_id, c.reason, c.filed_at)
            .where(c.filed_at >= since, c.filed_at < until, within(c.shop_id, shop_ids))
            .order_by(c.complaint_id))


def export_chats_query(*, since: dt.datetime, until: dt.datetime,
                       shop_ids: list[str] | None) -> sa.Select[*tuple[Any, ...]]:
    """Chat sessions the platform reported and merchant-CS tickets (as sessions ``ticket:<id>``, handed to a person
    when opened, answered by the merchant's first message) opened in ``[since, until)``: the scores' IM reply rate
    reads both (its definition keeps only those opened in service hours)."""
    c = ChatSessionRow
    sessions = (sa.select(c.session_id, c.shop_id, c.opened_at, c.to_human_at, c.first_human_reply_at)
                .where(c.opened_at >= since, c.opened_at < until, within(c.shop_id, shop_ids)))
    both = sa.union_all(sessions, export_ticket_chats_query(since=since, until=until, shop_ids=shop_ids)).subquery()
    return (sa.select(both.c.session_id, both.c.shop_id, both.c.opened_at, both.c.to_human_at,
                      both.c.first_human_reply_at).order_by(both.c.session_id))
