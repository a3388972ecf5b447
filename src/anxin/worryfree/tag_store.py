"""Rows of enrolments, tag states, tag history and the shops' severe violations (the read model fed by governance).

``wf_enrolments`` holds one row per listing, whatever races (the listing id is the key; concurrent enrolments of one
listing insert once, ON CONFLICT DO NOTHING, the losers read the winner's row). ``wf_tag_states`` holds the current
tag of a listing with the decision that set it; ``wf_tag_history`` every change (gained | lost) with its reasons.
``wf_shop_violations`` keeps the violations governance recorded against shops (and when they were reversed), so
enrolment can ask "a severe violation in the last N days?" without calling a context above this one.

Other slices read ``enrolled`` and ``tagged`` (plain lookups on the caller's session).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, rowcount, table

IN_PART = 2_000  # values per IN list, well under both databases' parameter limits

ACTIVE = "active"
WITHDRAWN = "withdrawn"
REFUSED = "refused"
STATES = (ACTIVE, WITHDRAWN, REFUSED)


class EnrolmentRow(Base):
    __tablename__ = "wf_enrolments"

    listing_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))  # active | withdrawn | refused
    decision: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # outcome, reasons, rule_ids, facts
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    requested_by: Mapped[str] = mapped_column(sa.String(80))
    requested_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(sa.Integer)  # bumped by every decision (optimistic checks, ETags)

    __table_args__ = (sa.Index("ix_wf_enrolments_shop_state", "shop_id", "state", "listing_id"),
                      sa.Index("ix_wf_enrolments_state", "state", "listing_id"))


class TagStateRow(Base):
    __tablename__ = "wf_tag_states"

    listing_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    tagged: Mapped[bool] = mapped_column(sa.Boolean)
    since: Mapped[dt.datetime | None]  # when the current tagged/untagged state began
    reasons: Mapped[list[str]] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    trigger: Mapped[str] = mapped_column(sa.String(40))  # job | enrolment | lot_verdict | stock_zero | …
    evaluated_at: Mapped[dt.datetime]

    __table_args__ = (sa.Index("ix_wf_tag_states_shop", "shop_id", "listing_id"),
                      sa.Index("ix_wf_tag_states_tagged", "tagged", "listing_id"))


class TagHistoryRow(Base):
    __tablename__ = "wf_tag_history"

    entry_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    change: Mapped[str] = mapped_column(sa.String(8))  # gained | lost
    at: Mapped[dt.datetime]
    reasons: Mapped[list[str]] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    trigger: Mapped[str] = mapped_column(sa.String(40))

    __table_args__ = (sa.Index("ix_wf_tag_history_listing_at", "listing_id", "at", "entry_id"),)


class ShopViolationRow(Base):
    __tablename__ = "wf_shop_violations"

    violation_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(64))
    violation_class: Mapped[str] = mapped_column(sa.String(16))  # general | severe
    recorded_at: Mapped[dt.datetime]
    reversed_at: Mapped[dt.datetime | None]

    __table_args__ = (sa.Index("ix_wf_shop_violations_shop_at", "shop_id", "recorded_at"),)


def _insert(session: Session) -> Any:
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


def _parts(ids: Iterable[str]) -> list[list[str]]:
    unique = sorted(set(ids))
    return [unique[i:i + IN_PART] for i in range(0, len(unique), IN_PART)]


# --- the lookups other slices use --------------------------------------------------------------------------------

def enrolled(session: Session, listing_ids: Iterable[str]) -> frozenset[str]:
    """The listings among ``listing_ids`` whose enrolment is active."""
    t = table(EnrolmentRow)
    out: set[str] = set()
    for part in _parts(listing_ids):
        out.update(session.scalars(sa.select(t.c.listing_id).where(t.c.listing_id.in_(part), t.c.state == ACTIVE)))
    return frozenset(out)


def tagged(session: Session, listing_ids: Iterable[str]) -> frozenset[str]:
    """The listings among ``listing_ids`` that carry the worry-free tag now."""
    t = table(TagStateRow)
    out: set[str] = set()
    for part in _parts(listing_ids):
        out.update(session.scalars(sa.select(t.c.listing_id).where(t.c.listing_id.in_(part), t.c.tagged.is_(True))))
    return frozenset(out)


# --- enrolments ------------------------------------------------------------------------------------------------------

class TagRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enrolment(self, listing_id: str, *, lock: bool = False) -> EnrolmentRow | None:
        stmt = sa.select(EnrolmentRow).where(EnrolmentRow.listing_id == listing_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def insert_enrolment(self, values: dict[str, Any]) -> bool:
        """Insert once: False when the listing already has an enrolment row (a concurrent request won)."""
        t = table(EnrolmentRow)
        inserted = self.session.execute(_insert(self.session)(t).values(**values).on_conflict_do_nothing(
            index_elements=[t.c.listing_id]).returning(t.c.listing_id)).first()
        return inserted is not None

    def update_enrolment(self, listing_id: str, expected_version: int, values: dict[str, Any]) -> bool:
        """Conditional update on the version read: False when another decision came in between."""
        t = table(EnrolmentRow)
        result = self.session.execute(sa.update(t).where(t.c.listing_id == listing_id,
                                                          t.c.version == expected_version)
                                      .values(**values, version=expected_version + 1))
        self.session.expire_all()
        return rowcount(result) == 1

    def enrolments_of(self, *, shop_id: str | None = None, state: str | None = None, after: str | None = None,
                      limit: int = 50) -> list[EnrolmentRow]:
        stmt = sa.select(EnrolmentRow)
        if shop_id is not None:
            stmt = stmt.where(EnrolmentRow.shop_id == shop_id)
        if state is not None:
            stmt = stmt.where(EnrolmentRow.state == state)
        if after is not None:
            stmt = stmt.where(EnrolmentRow.listing_id > after)
        return list(self.session.scalars(stmt.order_by(EnrolmentRow.listing_id).limit(limit)))

    def active_listing_ids(self, *, after: str | None = None, limit: int = 500) -> list[str]:
        t = table(EnrolmentRow)
        stmt = sa.select(t.c.listing_id).where(t.c.state == ACTIVE)
        if after is not None:
            stmt = stmt.where(t.c.listing_id > after)
        return list(self.session.scalars(stmt.order_by(t.c.listing_id).limit(limit)))

    # --- tag states and history --------------------------------------------------------------------------------

    def tag_state(self, listing_id: str, *, lock: bool = False) -> TagStateRow | None:
        stmt = sa.select(TagStateRow).where(TagStateRow.listing_id == listing_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def tag_states(self, listing_ids: Sequence[str]) -> dict[str, TagStateRow]:
        out: dict[str, TagStateRow] = {}
        for part in _parts(listing_ids):
            out.update({r.listing_id: r for r in self.session.scalars(
                sa.select(TagStateRow).where(TagStateRow.listing_id.in_(part)))})
        return out

    def insert_tag_state(self, values: dict[str, Any]) -> bool:
        t = table(TagStateRow)
        inserted = self.session.execute(_insert(self.session)(t).values(**values).on_conflict_do_nothing(
            index_elements=[t.c.listing_id]).returning(t.c.listing_id)).first()
        return inserted is not None

    def add_history(self, values: dict[str, Any]) -> None:
        self.session.add(TagHistoryRow(**values))

    def history(self, listing_id: str, *, limit: int = 50) -> list[TagHistoryRow]:
        return list(self.session.scalars(sa.select(TagHistoryRow).where(TagHistoryRow.listing_id == listing_id)
                                         .order_by(TagHistoryRow.at.desc(), TagHistoryRow.entry_id.desc())
                                         .limit(limit)))

    # --- the shops' violations (read model) ------------------------------------------------------------------

    def record_violation(self, *, violation_id: str, shop_id: str, kind: str, violation_class: str,
                         recorded_at: dt.datetime) -> bool:
        t = table(ShopViolationRow)
        inserted = self.session.execute(_insert(self.session)(t).values(
            violation_id=violation_id, shop_id=shop_id, kind=kind, violation_class=violation_class,
            recorded_at=recorded_at, reversed_at=None).on_conflict_do_nothing(
            index_elements=[t.c.violation_id]).returning(t.c.violation_id)).first()
        return inserted is not None

    def reverse_violation(self, violation_id: str, reversed_at: dt.datetime) -> bool:
        t = table(ShopViolationRow)
        return rowcount(self.session.execute(sa.update(t).where(t.c.violation_id == violation_id,
                                                                t.c.reversed_at.is_(None))
                                             .values(reversed_at=reversed_at))) == 1

    def severe_violations(self, shop_id: str, *, since: dt.datetime, until: dt.datetime) -> list[ShopViolationRow]:
        """Severe violations of the shop recorded in [since, until] and not reversed by ``until``."""
        return list(self.session.scalars(
            sa.select(ShopViolationRow).where(
                ShopViolationRow.shop_id == shop_id, ShopViolationRow.violation_class == "severe",
                ShopViolationRow.recorded_at >= since, ShopViolationRow.recorded_at <= until,
                sa.or_(ShopViolationRow.reversed_at.is_(None), ShopViolationRow.reversed_at > until))
            .order_by(ShopViolationRow.recorded_at.desc())))
