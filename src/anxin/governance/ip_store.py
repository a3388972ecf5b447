"""IP complaint rows and their repository: one row per complaint, with its listings, its counter-notice and its
decision (outcome, reason codes, rule ids, rulebook version, facts, and the violation recorded per listing). The
unique (rights holder, client key) makes filing twice with the same key one complaint."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key, rowcount, table
from anxin.governance.ip_rules import AWAITING, CLOSED, READY, REJECTED, UPHELD, WINDOW_LAPSED, WITHDRAWN


class IpComplaintRow(Base):
    __tablename__ = "governance_ip_complaints"

    complaint_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    rights_holder_id: Mapped[str] = mapped_column(sa.String(100))
    client_key: Mapped[str] = mapped_column(sa.String(100))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    listing_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    rights_kind: Mapped[str] = mapped_column(sa.String(16))
    proof: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    statement: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[list[str]] = mapped_column(sa.JSON)
    filing_rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(24))
    filed_at: Mapped[dt.datetime]
    counter_notice_deadline: Mapped[dt.datetime]
    # The next deadline: the counter-notice window's end while awaiting, the decision's due time once ready, the
    # closing time once decided or withdrawn. Operators' queue is ordered by it.
    due_at: Mapped[dt.datetime]
    counter_noticed_at: Mapped[dt.datetime | None]
    counter_statement: Mapped[str | None] = mapped_column(sa.Text)
    counter_evidence: Mapped[list[str] | None] = mapped_column(sa.JSON)
    counter_by: Mapped[str | None] = mapped_column(sa.String(140))
    ready_at: Mapped[dt.datetime | None]
    decision_due_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    reason_codes: Mapped[list[str] | None] = mapped_column(sa.JSON)
    decision_rule_ids: Mapped[list[str] | None] = mapped_column(sa.JSON)
    decision_version: Mapped[str | None] = mapped_column(sa.String(40))
    facts: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    violations: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)  # per listing: id, violation, severity
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    decided_by: Mapped[str | None] = mapped_column(sa.String(140))
    decided_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("rights_holder_id", "client_key", name="uq_governance_ip_complaints_client_key"),
        sa.Index("ix_governance_ip_complaints_state_due", "state", "due_at"),
        sa.Index("ix_governance_ip_complaints_holder_due", "rights_holder_id", "due_at"),
    )


@dataclass(frozen=True)
class NewComplaint:
    complaint_id: str
    rights_holder_id: str
    client_key: str
    request_hash: str
    shop_id: str
    listing_ids: list[str]
    rights_kind: str
    proof: dict[str, Any]
    statement: str
    evidence: list[str]
    filing_rule_ids: list[str]
    rulebook_version: str
    state: str
    filed_at: dt.datetime
    counter_notice_deadline: dt.datetime
    due_at: dt.datetime


@dataclass(frozen=True)
class DecisionRecord:
    outcome: str
    reason_codes: list[str]
    rule_ids: list[str]
    rulebook_version: str
    facts: dict[str, Any]
    violations: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    decided_by: str = ""


def _state_is(state: str, now: dt.datetime) -> sa.ColumnElement[bool]:
    """The rows in ``state`` as of ``now`` (``ip_rules.state_at``): a complaint awaiting a counter-notice past its
    deadline has lapsed before the periodic lapse marks it. ``open``: not closed; ``ready``: for operators."""
    t = IpComplaintRow
    lapsed = sa.and_(t.state == AWAITING, t.counter_notice_deadline <= now)
    if state == "open":
        return t.state.not_in(CLOSED)
    if state == "ready":
        return sa.or_(t.state.in_(READY), lapsed)
    if state == WINDOW_LAPSED:
        return sa.or_(t.state == WINDOW_LAPSED, lapsed)
    if state == AWAITING:
        return sa.and_(t.state == AWAITING, t.counter_notice_deadline > now)
    return t.state == state


class IpComplaintRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, new: NewComplaint) -> bool:
        """Insert; False if the rights holder already used the client key (a concurrent filer of the key waits
        for the first transaction, then reads its row)."""
        t = table(IpComplaintRow)
        insert = sqlite.insert if self.session.get_bind().dialect.name == "sqlite" else postgresql.insert
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        done = self.session.execute(insert(t).values(**new.__dict__).on_conflict_do_nothing(
            index_elements=[t.c.rights_holder_id, t.c.client_key]).returning(t.c.complaint_id)).first()
        return done is not None

    def by_key(self, rights_holder_id: str, client_key: str) -> IpComplaintRow | None:
        return self.session.scalars(sa.select(IpComplaintRow).where(
            IpComplaintRow.rights_holder_id == rights_holder_id, IpComplaintRow.client_key == client_key)).first()

    def get(self, complaint_id: str, *, lock: bool = False) -> IpComplaintRow | None:
        # populate_existing: the updates below bypass the session, so a re-read must refresh the row it holds
        stmt = (sa.select(IpComplaintRow).where(IpComplaintRow.complaint_id == complaint_id)
                .execution_options(populate_existing=True))
        if lock:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()

    def _move(self, complaint_id: str, from_states: tuple[str, ...], **values: Any) -> bool:
        """Change the row only from the states the caller saw: a racing writer that got there first wins."""
        result = self.session.execute(sa.update(IpComplaintRow)
                                      .where(IpComplaintRow.complaint_id == complaint_id,
                                             IpComplaintRow.state.in_(from_states))
                                      .values(**values).execution_options(synchronize_session=False))
        return rowcount(result) == 1

    def counter_notice(self, complaint_id: str, *, statement: str, evidence: list[str], by: str, at: dt.datetime,
                       state: str, decision_due_at: dt.datetime) -> bool:
        return self._move(complaint_id, (AWAITING,), state=state, counter_noticed_at=at, counter_statement=statement,
                          counter_evidence=evidence, counter_by=by, ready_at=at, decision_due_at=decision_due_at,
                          due_at=decision_due_at)

    def decide(self, complaint_id: str, from_state: str, record: DecisionRecord, *, at: dt.datetime,
               ready_at: dt.datetime, decision_due_at: dt.datetime) -> bool:
        return self._move(complaint_id, (from_state,), state=record.outcome, outcome=record.outcome,
                          reason_codes=record.reason_codes, decision_rule_ids=record.rule_ids,
                          decision_version=record.rulebook_version, facts=record.facts, violations=record.violations,
                          decision_note=record.note, decided_by=record.decided_by, decided_at=at, due_at=at,
                          ready_at=ready_at, decision_due_at=decision_due_at)

    def withdraw(self, complaint_id: str, from_state: str, *, at: dt.datetime) -> bool:
        return self._move(complaint_id, (from_state,), state=WITHDRAWN, withdrawn_at=at, due_at=at)

    def lapse_due(self, now: dt.datetime, sla: dt.timedelta) -> int:
        """Mark every complaint whose counter-notice window ended by ``now`` as lapsed, ready for a decision due
        ``sla`` after the window's end. One statement: a counter-notice committed first keeps its state."""
        t = IpComplaintRow
        rows = self.session.execute(sa.select(t.complaint_id, t.counter_notice_deadline)
                                    .where(t.state == AWAITING, t.counter_notice_deadline <= now)
                                    .order_by(t.counter_notice_deadline)).all()
        lapsed = 0
        for complaint_id, deadline in rows:
            lapsed += self._move(complaint_id, (AWAITING,), state=WINDOW_LAPSED, ready_at=deadline,
                                 decision_due_at=deadline + sla, due_at=deadline + sla)
        return lapsed

    def find(self, *, rights_holder_id: str | None, shop_ids: list[str] | None, state: str | None, now: dt.datetime,
             limit: int, after: tuple[dt.datetime, str] | None) -> list[IpComplaintRow]:
        """Ordered by the next deadline (``due_at``), then id; ``after``: the previous page's last (due_at, id)."""
        t = IpComplaintRow
        stmt = sa.select(t)
        if rights_holder_id is not None:
            stmt = stmt.where(t.rights_holder_id == rights_holder_id)
        if shop_ids is not None:
            stmt = stmt.where(t.shop_id.in_(shop_ids))
        if state is not None:
            stmt = stmt.where(_state_is(state, now))
        stmt = stmt.where(after_key([(t.due_at, False), (t.complaint_id, False)], after))
        return list(self.session.scalars(stmt.order_by(t.due_at, t.complaint_id).limit(limit)))

    def outcomes_by_rights_holder(self, *, since: dt.datetime, rights_holder_id: str | None,
                                  limit: int, after: str | None) -> list[tuple[str, int, int, int, int]]:
        """Per rights holder with complaints filed since ``since``: (id, filed, upheld, rejected, withdrawn)."""
        t = IpComplaintRow

        def count(state: str) -> sa.ColumnElement[int]:
            return sa.func.sum(sa.case((t.state == state, 1), else_=0))

        stmt = (sa.select(t.rights_holder_id, sa.func.count(), count(UPHELD), count(REJECTED), count(WITHDRAWN))
                .where(t.filed_at >= since).group_by(t.rights_holder_id).order_by(t.rights_holder_id).limit(limit))
        if rights_holder_id is not None:
            stmt = stmt.where(t.rights_holder_id == rights_holder_id)
        if after is not None:
            stmt = stmt.where(t.rights_holder_id > after)
        return [(str(h), int(n), int(u or 0), int(r or 0), int(w or 0)) for h, n, u, r, w in self.session.execute(stmt)]
