"""Matchmaking's rows: each match run (the decision with its proposals), invitations, the creators' weekly slots and
the live sessions accepted invitations schedule.

Capacity is a counter per (creator, Beijing week): an invitation takes a slot with one conditional UPDATE
(``used = used + 1 WHERE used < cap``) and a CHECK keeps it from going below zero, so two invitations racing for the
last slot cannot both get it. An invitation moves out of ``pending`` only by a conditional UPDATE on its state, so a
concurrent accept and decline (or expiry) have one winner.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, table

PENDING_SQL = "state = 'pending'"


class MatchRunRow(Base):
    """One matchmaking decision for a shop: the gate, the week judged, the proposals with their reasons."""

    __tablename__ = "merchant_match_runs"
    run_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime]
    week_start: Mapped[dt.date] = mapped_column(sa.Date)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    eligible: Mapped[bool]
    gate: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    proposals: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    considered: Mapped[int]
    __table_args__ = (sa.Index("ix_merchant_match_runs_shop_at", "shop_id", "at"),)


class InvitationRow(Base):
    __tablename__ = "merchant_invitations"
    invitation_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    creator_id: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))  # pending | accepted | declined | withdrawn | expired
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(140))
    expires_at: Mapped[dt.datetime]
    session_start: Mapped[dt.datetime]
    session_end: Mapped[dt.datetime]
    week_start: Mapped[dt.date] = mapped_column(sa.Date)  # the capacity week the invitation holds a slot of
    note: Mapped[str] = mapped_column(sa.Text, default="")
    match: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # the proposal as judged at invitation: reasons, facts
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(140))
    __table_args__ = (
        sa.Index("ix_merchant_invitations_creator", "creator_id", "created_at", "invitation_id"),
        sa.Index("ix_merchant_invitations_shop", "shop_id", "created_at", "invitation_id"),
        sa.Index("ix_merchant_invitations_due", "state", "expires_at"),
        # One invitation waiting per shop and creator: a double submit cannot invite twice.
        sa.Index("uq_merchant_invitations_one_pending", "shop_id", "creator_id", unique=True,
                 sqlite_where=sa.text(PENDING_SQL), postgresql_where=sa.text(PENDING_SQL)),
    )


class CreatorSlotsRow(Base):
    __tablename__ = "merchant_creator_slots"
    creator_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    week_start: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    used: Mapped[int]
    __table_args__ = (sa.CheckConstraint("used >= 0", name="used_not_negative"),)


class LiveSessionRow(Base):
    """The live session an accepted invitation schedules (its id is the invitation's)."""

    __tablename__ = "merchant_live_sessions"
    session_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    creator_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    scheduled_at: Mapped[dt.datetime]


class MatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- runs ---------------------------------------------------------------------------------------------------

    def add_run(self, row: MatchRunRow) -> None:
        self.session.add(row)

    # --- capacity -----------------------------------------------------------------------------------------------

    def slots_used(self, creator_ids: list[str], week: dt.date) -> dict[str, int]:
        if not creator_ids:
            return {}
        rows = self.session.execute(sa.select(CreatorSlotsRow.creator_id, CreatorSlotsRow.used).where(
            CreatorSlotsRow.creator_id.in_(creator_ids), CreatorSlotsRow.week_start == week)).all()
        return {r[0]: int(r[1]) for r in rows}

    def take_slot(self, creator_id: str, week: dt.date, cap: int) -> bool:
        """One slot of the creator's week if one is free (conditional UPDATE); False when the week is full."""
        t = table(CreatorSlotsRow)
        exists = self.session.execute(sa.select(t.c.used).where(t.c.creator_id == creator_id,
                                                                t.c.week_start == week)).first()
        if exists is None:
            try:
                with self.session.begin_nested():
                    self.session.execute(sa.insert(t).values(creator_id=creator_id, week_start=week, used=0))
            except IntegrityError:
                pass  # another caller made the row first: the UPDATE below counts against it
        done = self.session.execute(sa.update(t).where(t.c.creator_id == creator_id, t.c.week_start == week,
                                                       t.c.used < cap).values(used=t.c.used + 1))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def give_slot(self, creator_id: str, week: dt.date) -> None:
        t = table(CreatorSlotsRow)
        self.session.execute(sa.update(t).where(t.c.creator_id == creator_id, t.c.week_start == week,
                                                t.c.used > 0).values(used=t.c.used - 1))

    # --- invitations --------------------------------------------------------------------------------------------

    def add_invitation(self, row: InvitationRow) -> None:
        self.session.add(row)
        self.session.flush()

    def invitation(self, invitation_id: str) -> InvitationRow | None:
        return self.session.get(InvitationRow, invitation_id)

    def refresh(self, row: InvitationRow) -> InvitationRow:
        self.session.refresh(row)
        return row

    def pending_of_shop(self, shop_id: str) -> int:
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(InvitationRow).where(
            InvitationRow.shop_id == shop_id, InvitationRow.state == "pending")) or 0)

    def pending_to(self, shop_id: str, creator_id: str) -> InvitationRow | None:
        return self.session.scalars(sa.select(InvitationRow).where(
            InvitationRow.shop_id == shop_id, InvitationRow.creator_id == creator_id,
            InvitationRow.state == "pending")).first()

    def move(self, invitation_id: str, *, to: str, at: dt.datetime, by: str, not_expired: bool) -> bool:
        """pending → ``to`` if the invitation is still pending (and, when asked, not yet past its expiry)."""
        t = table(InvitationRow)
        cond = [t.c.invitation_id == invitation_id, t.c.state == "pending"]
        if not_expired:
            cond.append(t.c.expires_at > at)
        done = self.session.execute(sa.update(t).where(*cond).values(state=to, decided_at=at, decided_by=by))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def due_to_expire(self, at: dt.datetime, limit: int) -> list[tuple[str, str, dt.date]]:
        rows = self.session.execute(sa.select(InvitationRow.invitation_id, InvitationRow.creator_id,
                                              InvitationRow.week_start).where(
            InvitationRow.state == "pending", InvitationRow.expires_at <= at).order_by(
            InvitationRow.expires_at, InvitationRow.invitation_id).limit(limit)).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def invitations(self, *, shop_id: str | None = None, creator_id: str | None = None, state: str | None = None,
                    after: tuple[dt.datetime, str] | None = None, limit: int = 50) -> list[InvitationRow]:
        """Newest first; ``after`` is the (created_at, id) of the last one of the previous page."""
        q = sa.select(InvitationRow)
        if shop_id is not None:
            q = q.where(InvitationRow.shop_id == shop_id)
        if creator_id is not None:
            q = q.where(InvitationRow.creator_id == creator_id)
        if state is not None:
            q = q.where(InvitationRow.state == state)
        if after is not None:
            q = q.where(sa.or_(InvitationRow.created_at < after[0], sa.and_(
                InvitationRow.created_at == after[0], InvitationRow.invitation_id < after[1])))
        return list(self.session.scalars(q.order_by(InvitationRow.created_at.desc(),
                                                    InvitationRow.invitation_id.desc()).limit(limit)))

    # --- sessions -----------------------------------------------------------------------------------------------

    def add_session(self, row: LiveSessionRow) -> None:
        self.session.add(row)

    def session_of(self, invitation_id: str) -> LiveSessionRow | None:
        return self.session.get(LiveSessionRow, invitation_id)

    def sessions(self, invitation_ids: list[str]) -> dict[str, LiveSessionRow]:
        if not invitation_ids:
            return {}
        return {r.session_id: r for r in self.session.scalars(sa.select(LiveSessionRow).where(
            LiveSessionRow.session_id.in_(invitation_ids)))}
