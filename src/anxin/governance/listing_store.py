"""Stored listing checks (``governance_listing_checks``) and their repository.

One row per (listing, text hash): the hash covers what was judged (title, description, category and the rulebook
version), so a redelivered ``catalog.listing_upserted`` finds the row its first delivery wrote, and a new version of
the text or of the rules is a new check. The row is the decision: outcome, matches with positions, rule ids, reason
codes, rulebook version and the facts used; a needs_review check carries the operators' queue state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key, table

# The operators' queue: a needs_review check opens, an operator clears it or confirms it (a violation).
REVIEW_NONE, REVIEW_OPEN, REVIEW_CLEARED, REVIEW_CONFIRMED = "none", "open", "cleared", "confirmed"
REVIEW_STATES = (REVIEW_NONE, REVIEW_OPEN, REVIEW_CLEARED, REVIEW_CONFIRMED)


class ListingCheckRow(Base):
    __tablename__ = "governance_listing_checks"

    check_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    listing_id: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    category_id: Mapped[str] = mapped_column(sa.String(64))
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    matches: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    reason_codes: Mapped[list[str]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    checked_at: Mapped[dt.datetime]
    review_state: Mapped[str] = mapped_column(sa.String(16))
    violation_id: Mapped[str | None] = mapped_column(sa.String(64))
    decided_by: Mapped[str | None] = mapped_column(sa.String(140))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.UniqueConstraint("listing_id", "text_hash"),
                      sa.Index("ix_governance_listing_checks_outcome_checked", "outcome", "checked_at"))


@dataclass(frozen=True)
class StoredCheck:
    check_id: str
    listing_id: str
    shop_id: str
    category_id: str
    text_hash: str
    outcome: str
    matches: tuple[dict[str, Any], ...]
    rule_ids: tuple[str, ...]
    reason_codes: tuple[str, ...]
    rulebook_version: str
    facts: dict[str, Any]
    checked_at: dt.datetime
    review_state: str = REVIEW_NONE
    violation_id: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_note: str | None = None


def _stored(row: ListingCheckRow) -> StoredCheck:
    return StoredCheck(check_id=row.check_id, listing_id=row.listing_id, shop_id=row.shop_id,
                       category_id=row.category_id, text_hash=row.text_hash, outcome=row.outcome,
                       matches=tuple(row.matches), rule_ids=tuple(row.rule_ids), reason_codes=tuple(row.reason_codes),
                       rulebook_version=row.rulebook_version, facts=dict(row.facts), checked_at=row.checked_at,
                       review_state=row.review_state, violation_id=row.violation_id, decided_by=row.decided_by,
                       decided_at=row.decided_at, decision_note=row.decision_note)


class ListingCheckRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, check: StoredCheck) -> bool:
        """Insert; False when this (listing, text hash) is already stored (a concurrent inserter of the same key
        makes this wait for its transaction; the caller then reads the committed row)."""
        t = table(ListingCheckRow)
        insert = sqlite.insert if self.session.get_bind().dialect.name == "sqlite" else postgresql.insert
        values = {**check.__dict__, "matches": list(check.matches), "rule_ids": list(check.rule_ids),
                  "reason_codes": list(check.reason_codes)}
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        inserted = self.session.execute(insert(t).values(**values).on_conflict_do_nothing(
            index_elements=[t.c.listing_id, t.c.text_hash]).returning(t.c.check_id)).first()
        return inserted is not None

    def by_text(self, listing_id: str, text_hash: str) -> StoredCheck | None:
        row = self.session.scalars(sa.select(ListingCheckRow).where(
            ListingCheckRow.listing_id == listing_id, ListingCheckRow.text_hash == text_hash)).first()
        return _stored(row) if row is not None else None

    def get(self, check_id: str, *, lock: bool = False) -> StoredCheck | None:
        stmt = sa.select(ListingCheckRow).where(ListingCheckRow.check_id == check_id)
        if lock:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        return _stored(row) if row is not None else None

    def save_decision(self, check: StoredCheck) -> None:
        self.session.execute(sa.update(ListingCheckRow).where(ListingCheckRow.check_id == check.check_id)
                             .values(review_state=check.review_state, violation_id=check.violation_id,
                                     decided_by=check.decided_by, decided_at=check.decided_at,
                                     decision_note=check.decision_note)
                             .execution_options(synchronize_session=False))

    def set_violation(self, check_id: str, violation_id: str) -> None:
        self.session.execute(sa.update(ListingCheckRow).where(ListingCheckRow.check_id == check_id)
                             .values(violation_id=violation_id).execution_options(synchronize_session=False))

    def findings(self, *, outcome: str | None, shop_id: str | None, review_state: str | None, limit: int,
                 after: tuple[dt.datetime, str] | None = None) -> list[StoredCheck]:
        """Checks that found something (outcome other than pass), newest first; ``after`` is the (checked at,
        check id) of the previous page's last one (keyset pagination)."""
        t = ListingCheckRow
        stmt = sa.select(t).where(t.outcome != "pass")
        if outcome is not None:
            stmt = stmt.where(t.outcome == outcome)
        if shop_id is not None:
            stmt = stmt.where(t.shop_id == shop_id)
        if review_state is not None:
            stmt = stmt.where(t.review_state == review_state)
        stmt = stmt.where(after_key([(t.checked_at, True), (t.check_id, True)], after))
        stmt = stmt.order_by(t.checked_at.desc(), t.check_id.desc()).limit(limit)
        return [_stored(r) for r in self.session.scalars(stmt)]

    def count(self) -> int:
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(ListingCheckRow)) or 0)


def export_checks_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Listing checks made in ``[since, until)`` and their outcome, for the service-experience report."""
    c = ListingCheckRow
    return (sa.select(c.check_id, c.listing_id, c.shop_id, c.outcome, c.checked_at)
            .where(c.checked_at >= since, c.checked_at < until)
            .order_by(c.check_id))
