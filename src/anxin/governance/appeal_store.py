"""Appeal rows, channel closures and their repository. ``open_key`` (the violation's id while an appeal is
submitted, NULL after) is unique: a violation has at most one open appeal whatever races; a closure is made once per
abusive appeal that caused it (unique ``cause_appeal_id``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key, rowcount, table
from anxin.governance.appeal_rules import OUTCOMES, SUBMITTED, Appeal, EvidenceRef


class AppealRow(Base):
    __tablename__ = "governance_appeals"

    appeal_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    violation_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    open_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    appellant_type: Mapped[str] = mapped_column(sa.String(16))
    appellant_id: Mapped[str] = mapped_column(sa.String(100))
    shop_id: Mapped[str | None] = mapped_column(sa.String(64))
    creator_id: Mapped[str | None] = mapped_column(sa.String(100))
    number: Mapped[int] = mapped_column(sa.Integer)
    statement: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(16))
    filed_at: Mapped[dt.datetime]
    deadline_at: Mapped[dt.datetime]
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    filing_rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    filing_facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(140))
    abusive: Mapped[bool] = mapped_column(sa.Boolean)
    decision_reason_codes: Mapped[list[str]] = mapped_column(sa.JSON)
    decision_rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    decision_facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    decision_note: Mapped[str] = mapped_column(sa.Text)
    decision_rulebook_version: Mapped[str | None] = mapped_column(sa.String(40))

    __table_args__ = (sa.Index("ix_governance_appeals_state_deadline", "state", "deadline_at"),
                      sa.Index("ix_governance_appeals_appellant", "appellant_type", "appellant_id", "deadline_at"),
                      sa.Index("ix_governance_appeals_decided_at", "decided_at"))


class ChannelClosureRow(Base):
    __tablename__ = "governance_appeal_channel_closures"

    closure_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    appellant_type: Mapped[str] = mapped_column(sa.String(16))
    appellant_id: Mapped[str] = mapped_column(sa.String(100))
    cause_appeal_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    closed_at: Mapped[dt.datetime]
    until: Mapped[dt.datetime]
    rule_id: Mapped[str] = mapped_column(sa.String(60))
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    __table_args__ = (sa.Index("ix_governance_appeal_channel_closures_appellant", "appellant_type", "appellant_id",
                               "until"),)


def to_appeal(row: AppealRow) -> Appeal:
    return Appeal(appeal_id=row.appeal_id, violation_id=row.violation_id, appellant_type=row.appellant_type,
                  appellant_id=row.appellant_id, shop_id=row.shop_id, creator_id=row.creator_id, number=row.number,
                  statement=row.statement, evidence=tuple(EvidenceRef(e["kind"], e["ref"]) for e in row.evidence),
                  state=row.state, filed_at=row.filed_at, deadline_at=row.deadline_at,
                  rulebook_version=row.rulebook_version, filing_rule_ids=tuple(row.filing_rule_ids),
                  filing_facts=dict(row.filing_facts), decided_at=row.decided_at, decided_by=row.decided_by,
                  abusive=row.abusive, decision_reason_codes=tuple(row.decision_reason_codes),
                  decision_rule_ids=tuple(row.decision_rule_ids), decision_facts=dict(row.decision_facts),
                  decision_note=row.decision_note, decision_rulebook_version=row.decision_rulebook_version)


def _values(a: Appeal) -> dict[str, Any]:
    return {"appeal_id": a.appeal_id, "violation_id": a.violation_id, "open_key": a.open_key,
            "appellant_type": a.appellant_type, "appellant_id": a.appellant_id, "shop_id": a.shop_id,
            "creator_id": a.creator_id, "number": a.number, "statement": a.statement,
            "evidence": [{"kind": e.kind, "ref": e.ref} for e in a.evidence], "state": a.state,
            "filed_at": a.filed_at, "deadline_at": a.deadline_at, "rulebook_version": a.rulebook_version,
            "filing_rule_ids": list(a.filing_rule_ids), "filing_facts": dict(a.filing_facts),
            "decided_at": a.decided_at, "decided_by": a.decided_by, "abusive": a.abusive,
            "decision_reason_codes": list(a.decision_reason_codes), "decision_rule_ids": list(a.decision_rule_ids),
            "decision_facts": dict(a.decision_facts), "decision_note": a.decision_note,
            "decision_rulebook_version": a.decision_rulebook_version}


def _insert(session: Session) -> Any:
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


class AppealRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, appeal: Appeal) -> bool:
        """Insert a submitted appeal; False if its violation already has an open one (a concurrent submitter of the
        same violation makes this wait for its transaction and then conflict)."""
        t = table(AppealRow)
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        inserted = self.session.execute(_insert(self.session)(t).values(**_values(appeal)).on_conflict_do_nothing(
            index_elements=[t.c.open_key]).returning(t.c.appeal_id)).first()
        return inserted is not None

    def get(self, appeal_id: str, *, lock: bool = False) -> Appeal | None:
        stmt = sa.select(AppealRow).where(AppealRow.appeal_id == appeal_id)
        if lock:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        return to_appeal(row) if row is not None else None

    def of_violation(self, violation_id: str) -> list[Appeal]:
        rows = self.session.scalars(sa.select(AppealRow).where(AppealRow.violation_id == violation_id)
                                    .order_by(AppealRow.filed_at, AppealRow.appeal_id))
        return [to_appeal(r) for r in rows]

    def of_shop(self, shop_id: str, *, limit: int = 50) -> list[Appeal]:
        """A shop's latest appeals, newest first (its governance record shows them)."""
        rows = self.session.scalars(sa.select(AppealRow).where(AppealRow.shop_id == shop_id)
                                    .order_by(AppealRow.filed_at.desc(), AppealRow.appeal_id.desc()).limit(limit))
        return [to_appeal(r) for r in rows]

    def close(self, appeal: Appeal) -> bool:
        """submitted → the appeal's (final) state with its decision, only from submitted: False if someone else
        decided or withdrew it first."""
        v = _values(appeal)
        del v["appeal_id"]
        result = self.session.execute(sa.update(AppealRow)
                                      .where(AppealRow.appeal_id == appeal.appeal_id, AppealRow.state == SUBMITTED)
                                      .values(**v).execution_options(synchronize_session=False))
        return rowcount(result) == 1

    def lock_appellant(self, appellant_type: str, appellant_id: str) -> None:
        """Serialise the abuse count of one appellant: on PostgreSQL a transaction-scoped advisory lock, so two
        abusive rejections decided at once each see the other (SQLite's write transaction already serialises)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                                 {"key": f"governance.appeal_abuse:{appellant_type}:{appellant_id}"})

    def flagged_rejections(self, appellant_type: str, appellant_id: str, since: dt.datetime) -> list[dt.datetime]:
        """When the appellant's rejected appeals flagged abusive were decided, from ``since``."""
        t = AppealRow
        return [d for d in self.session.scalars(
            sa.select(t.decided_at).where(t.appellant_type == appellant_type, t.appellant_id == appellant_id,
                                          t.abusive.is_(True), t.decided_at >= since)) if d is not None]

    def find(self, *, state: str | None, appellant: tuple[str, str] | None, overdue_at: dt.datetime | None,
             limit: int, after: tuple[dt.datetime, str] | None = None) -> list[Appeal]:
        """By SLA deadline, earliest first (then id). ``overdue_at``: only submitted appeals past their deadline
        then. ``after``: the (deadline, id) of the previous page's last appeal."""
        t = AppealRow
        stmt = sa.select(t)
        if state is not None:
            stmt = stmt.where(t.state == state)
        if appellant is not None:
            stmt = stmt.where(t.appellant_type == appellant[0], t.appellant_id == appellant[1])
        if overdue_at is not None:
            stmt = stmt.where(t.state == SUBMITTED, t.deadline_at < overdue_at)
        order = [(t.deadline_at, False), (t.appeal_id, False)]
        stmt = stmt.where(after_key(order, after)).order_by(t.deadline_at, t.appeal_id).limit(limit)
        return [to_appeal(r) for r in self.session.scalars(stmt)]

    def resolution_seconds(self, start: dt.datetime, end: dt.datetime) -> list[int]:
        """Filing to decision, in seconds, of the appeals decided (upheld or rejected) in [start, end)."""
        t = AppealRow
        rows = self.session.execute(sa.select(t.filed_at, t.decided_at).where(
            t.state.in_(OUTCOMES), t.decided_at >= start, t.decided_at < end))
        return [int((decided - filed).total_seconds()) for filed, decided in rows if decided is not None]

    def count_open_overdue(self, at: dt.datetime) -> int:
        t = AppealRow
        return int(self.session.scalar(sa.select(sa.func.count()).select_from(t).where(
            t.state == SUBMITTED, t.deadline_at < at)) or 0)

    # --- channel closures ---

    def add_closure(self, *, closure_id: str, appellant_type: str, appellant_id: str, cause_appeal_id: str,
                    closed_at: dt.datetime, until: dt.datetime, rule_id: str, rulebook_version: str,
                    facts: dict[str, Any]) -> bool:
        t = table(ChannelClosureRow)
        inserted = self.session.execute(_insert(self.session)(t).values(
            closure_id=closure_id, appellant_type=appellant_type, appellant_id=appellant_id,
            cause_appeal_id=cause_appeal_id, closed_at=closed_at, until=until, rule_id=rule_id,
            rulebook_version=rulebook_version, facts=facts).on_conflict_do_nothing(
            index_elements=[t.c.cause_appeal_id]).returning(t.c.closure_id)).first()
        return inserted is not None

    def channel_closed_until(self, appellant_type: str, appellant_id: str, at: dt.datetime) -> dt.datetime | None:
        """The end of the appellant's latest closure still in force at ``at``; None when the channel is open."""
        t = ChannelClosureRow
        return self.session.scalar(sa.select(sa.func.max(t.until)).where(
            t.appellant_type == appellant_type, t.appellant_id == appellant_id, t.until > at))


def export_appeals_query(*, filed_since: dt.datetime, decided_since: dt.datetime,
                         until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Appeals filed before ``until`` and either filed since ``filed_since`` or decided since ``decided_since``,
    for the service-experience report (``anxin.reports``); state and decision as they are now."""
    a = AppealRow
    return (sa.select(a.appeal_id, a.violation_id, a.appellant_type, a.shop_id, a.filed_at, a.decided_at, a.state,
                      a.abusive)
            .where(a.filed_at < until, sa.or_(a.filed_at >= filed_since, a.decided_at >= decided_since))
            .order_by(a.appeal_id))
