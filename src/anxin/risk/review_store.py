"""Verdicts, the review queue, the audit log, bans and rule states: what operators act on (the rows in ``store``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anxin.db.base import after_key
from anxin.risk.store import AuditRow, BanRow, ReviewRow, VerdictRow

REVIEW_STATES = ("open", "cleared", "confirmed", "withdrawn")


class VerdictRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def verdict(self, verdict_id: str) -> VerdictRow | None:
        return self.session.get(VerdictRow, verdict_id)

    def verdicts_for(self, *, case_id: str | None = None, consumer_id: str | None = None,
                     shop_id: str | None = None, limit: int = 50) -> list[VerdictRow]:
        stmt = sa.select(VerdictRow).order_by(VerdictRow.decided_at.desc()).limit(limit)
        if shop_id is not None:
            stmt = stmt.where(VerdictRow.shop_id == shop_id)
        if case_id is not None:
            stmt = stmt.where(VerdictRow.case_id == case_id)
        if consumer_id is not None:
            stmt = stmt.where(VerdictRow.consumer_id == consumer_id)
        return list(self.session.scalars(stmt))

    def verdicts_between(self, start: dt.datetime, end: dt.datetime, *, stage: str | None = None,
                         batch: int = 5_000) -> Iterable[VerdictRow]:
        stmt = sa.select(VerdictRow).where(VerdictRow.decided_at >= start, VerdictRow.decided_at < end)
        if stage is not None:
            stmt = stmt.where(VerdictRow.stage == stage)
        yield from self.session.scalars(stmt.order_by(VerdictRow.decided_at).execution_options(yield_per=batch))

    def history(self, stage: str, since: dt.datetime, until: dt.datetime, *,
                batch: int = 5_000) -> Iterable[tuple[str, dict[str, Any], str, str | None]]:
        """(verdict_id, facts, outcome, review state) of a stage's verdicts in [since, until], oldest first."""
        stmt = (sa.select(VerdictRow.verdict_id, VerdictRow.facts, VerdictRow.outcome, ReviewRow.state)
                .outerjoin(ReviewRow, ReviewRow.verdict_id == VerdictRow.verdict_id)
                .where(VerdictRow.stage == stage, VerdictRow.decided_at >= since, VerdictRow.decided_at <= until)
                .order_by(VerdictRow.decided_at).execution_options(yield_per=batch))
        for row in self.session.execute(stmt):
            yield row[0], row[1], row[2], row[3]

    def review(self, review_id: str, *, lock: bool = False) -> ReviewRow | None:
        stmt = sa.select(ReviewRow).where(ReviewRow.review_id == review_id)
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def reviews(self, *, states: Sequence[str] = ("open",), limit: int = 100,
                after: tuple[int, dt.datetime, str] | None = None) -> list[ReviewRow]:
        """Most urgent first (priority 0), then the earliest due; ``after``: the (priority, due, id) of the previous
        page's last review (keyset pagination)."""
        r = ReviewRow
        stmt = (sa.select(r).where(r.state.in_(list(states)),
                                   after_key([(r.priority, False), (r.due_at, False), (r.review_id, False)], after))
                .order_by(r.priority, r.due_at, r.review_id).limit(limit))
        return list(self.session.scalars(stmt))

    def open_reviews_for_case(self, case_id: str) -> list[ReviewRow]:
        return list(self.session.scalars(sa.select(ReviewRow).where(ReviewRow.case_id == case_id,
                                                                    ReviewRow.state == "open")))

    def review_counts(self, now: dt.datetime) -> dict[str, int]:
        """Reviews by state (every state, zeros included) and the open ones past due (``overdue``)."""
        rows = self.session.execute(sa.select(ReviewRow.state, sa.func.count()).group_by(ReviewRow.state))
        counts = dict.fromkeys(REVIEW_STATES, 0)
        counts.update({state: int(n) for state, n in rows})
        counts["overdue"] = self.session.scalar(sa.select(sa.func.count()).select_from(ReviewRow).where(
            ReviewRow.state == "open", ReviewRow.due_at < now)) or 0
        return counts

    def confirmed_abuse(self) -> list[tuple[str, dt.datetime]]:
        """Consumers an operator confirmed as abusive, with when: the scoring context's abuse verdicts."""
        # Both are set on a confirmed review (the WHERE; confirming stamps decided_at), though the columns are nullable.
        return [(c, at) for c, at in self.session.execute(sa.select(ReviewRow.consumer_id, ReviewRow.decided_at).where(
            ReviewRow.state == "confirmed", ReviewRow.consumer_id.is_not(None))) if c is not None and at is not None]

    def audit_for(self, subject: str) -> list[AuditRow]:
        return list(self.session.scalars(sa.select(AuditRow).where(AuditRow.subject == subject)
                                         .order_by(AuditRow.seq)))

    def shop_standing(self, shop_id: str) -> tuple[str | None, int]:
        """(the latest verdict on the shop itself, its open reviews): what merchant financing reads."""
        subject = f"shop:{shop_id}"
        latest = self.session.scalar(sa.select(VerdictRow.outcome).where(VerdictRow.subject == subject)
                                     .order_by(VerdictRow.decided_at.desc()).limit(1))
        open_reviews = self.session.scalar(sa.select(sa.func.count()).select_from(ReviewRow).join(
            VerdictRow, VerdictRow.verdict_id == ReviewRow.verdict_id).where(
            ReviewRow.state == "open", VerdictRow.subject == subject)) or 0
        return latest, open_reviews

    def open_review_for(self, subject_prefix: str) -> bool:
        """An open review of a verdict whose subject is this one (so a running block is not logged again)."""
        return self.session.scalar(sa.select(sa.func.count()).select_from(ReviewRow).join(
            VerdictRow, VerdictRow.verdict_id == ReviewRow.verdict_id).where(
            ReviewRow.state == "open", VerdictRow.subject == subject_prefix)) != 0

    def ban(self, row: BanRow) -> None:
        self.session.merge(row)

    def active_bans(self) -> list[BanRow]:
        return list(self.session.scalars(sa.select(BanRow).where(BanRow.lifted_at.is_(None))))

    def is_banned(self, shop_id: str) -> bool:
        row = self.session.get(BanRow, shop_id)
        return row is not None and row.lifted_at is None


def export_confirmed_abuse_query(*, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Abuse an operator confirmed in the review queue before ``until``, for analytics exports (the consumer
    score): a review still open or cleared is not held against anyone."""
    r = ReviewRow
    return (sa.select(r.review_id, r.consumer_id, r.outcome, r.decided_at)
            .where(r.state == "confirmed", r.consumer_id.is_not(None), r.decided_at < until)
            .order_by(r.review_id))



# The service-experience report's facts (anxin.reports): the consumers' verdicts and the review queue.
CONSUMER_STAGES = ("claim", "return")


def export_consumer_verdicts_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Claim and return verdicts decided in ``[since, until)``, with the facts they saw (``ring_member``)."""
    v = VerdictRow
    return (sa.select(v.verdict_id, v.stage, v.case_id, v.consumer_id, v.shop_id, v.amount_fen, v.outcome, v.facts,
                      v.decided_at)
            .where(v.stage.in_(CONSUMER_STAGES), v.decided_at >= since, v.decided_at < until)
            .order_by(v.verdict_id))


def export_reviews_query(*, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Every review opened before ``until`` with the amount its verdict held back; its state and decision as
    they are now (the caller reads them as of ``until`` from ``decided_at``)."""
    r, v = ReviewRow, VerdictRow
    return (sa.select(r.review_id, r.stage, r.case_id, r.consumer_id, r.shop_id, v.amount_fen, r.outcome, r.state,
                      r.opened_at, r.decided_at, r.decision_reason)
            .join_from(r, v, v.verdict_id == r.verdict_id)
            .where(r.opened_at < until)
            .order_by(r.review_id))

# Built once: every verdict reads it.
