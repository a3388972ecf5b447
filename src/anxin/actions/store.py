"""Action rows and the repository. One row per (kind, target, cause): the unique idempotency key makes a second
issuer of the same action wait for the first and then find its row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.actions.model import DONE, FAILED, ISSUED, SENT, STATES, UNCONFIRMED, URGENCY, Action
from anxin.db.base import Base, after_key, rowcount, table


class ActionRow(Base):
    __tablename__ = "platform_actions"

    action_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str] = mapped_column(sa.String(80), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    reason_codes: Mapped[list[str]] = mapped_column(sa.JSON)
    rule_id: Mapped[str | None] = mapped_column(sa.String(60))
    cause_type: Mapped[str] = mapped_column(sa.String(100))
    cause_id: Mapped[str] = mapped_column(sa.String(100))
    note: Mapped[str] = mapped_column(sa.Text)
    issued_by: Mapped[str] = mapped_column(sa.String(140))
    issued_at: Mapped[dt.datetime]
    message_id: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16))
    sent_at: Mapped[dt.datetime | None]
    acked_at: Mapped[dt.datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_platform_actions_state_issued", "state", "issued_at"),)


def to_action(row: ActionRow) -> Action:
    return Action(action_id=row.action_id, kind=row.kind, target=row.target, parameters=dict(row.parameters),
                  reason_codes=tuple(row.reason_codes), rule_id=row.rule_id, cause_type=row.cause_type,
                  cause_id=row.cause_id, note=row.note, issued_by=row.issued_by, issued_at=row.issued_at,
                  idempotency_key=row.idempotency_key, message_id=row.message_id, state=row.state,
                  sent_at=row.sent_at, acked_at=row.acked_at, failure_reason=row.failure_reason)


def _values(action: Action) -> dict[str, Any]:
    return {"action_id": action.action_id, "idempotency_key": action.idempotency_key, "kind": action.kind,
            "target": action.target, "parameters": dict(action.parameters), "reason_codes": list(action.reason_codes),
            "rule_id": action.rule_id, "cause_type": action.cause_type, "cause_id": action.cause_id,
            "note": action.note, "issued_by": action.issued_by, "issued_at": action.issued_at,
            "message_id": action.message_id, "state": action.state, "sent_at": action.sent_at,
            "acked_at": action.acked_at, "failure_reason": action.failure_reason}


def _view(state: str, cutoff: dt.datetime) -> sa.ColumnElement[bool]:
    """The rows an operator's state filter means; sent and unconfirmed split at the ack timeout."""
    t = ActionRow
    if state == UNCONFIRMED:
        return sa.and_(t.state == SENT, t.sent_at <= cutoff)
    if state == SENT:
        return sa.and_(t.state == SENT, t.sent_at > cutoff)
    return t.state == state


class ActionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, action: Action) -> Action | None:
        """Insert; None if an action with this idempotency key exists (a concurrent inserter of the key makes this
        wait for its transaction, so the caller then reads the committed row)."""
        t = table(ActionRow)
        insert = sqlite.insert if self.session.get_bind().dialect.name == "sqlite" else postgresql.insert
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING.
        inserted = self.session.execute(insert(t).values(**_values(action)).on_conflict_do_nothing(
            index_elements=[t.c.idempotency_key]).returning(t.c.action_id)).first()
        return action if inserted is not None else None

    def by_key(self, idempotency_key: str, *, lock: bool = False) -> Action | None:
        stmt = sa.select(ActionRow).where(ActionRow.idempotency_key == idempotency_key)
        if lock:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        return to_action(row) if row is not None else None

    def get(self, action_id: str, *, lock: bool = False) -> Action | None:
        stmt = sa.select(ActionRow).where(ActionRow.action_id == action_id)
        if lock:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
        return to_action(row) if row is not None else None

    def save_ack(self, action: Action) -> None:
        self.session.execute(sa.update(ActionRow).where(ActionRow.action_id == action.action_id)
                             .values(state=action.state, acked_at=action.acked_at,
                                     failure_reason=action.failure_reason)
                             .execution_options(synchronize_session=False))

    def save_sent(self, action: Action) -> bool:
        """issued → sent, only from issued: an ack that committed first keeps its answer whatever the caller read."""
        result = self.session.execute(sa.update(ActionRow)
                                      .where(ActionRow.action_id == action.action_id, ActionRow.state == ISSUED)
                                      .values(state=action.state, sent_at=action.sent_at)
                                      .execution_options(synchronize_session=False))
        return rowcount(result) == 1

    def find(self, *, cutoff: dt.datetime, state: str | None, target: str | None, limit: int,
             after: tuple[int, dt.datetime, str] | None = None) -> list[Action]:
        """Unconfirmed and failed first (they need someone), then issued and sent, then done; newest first.
        ``after``: the (urgency, issued at, id) of the previous page's last action (keyset pagination). An action
        whose urgency changed between two pages (it was acked, or its ack timed out) may show twice or not at all:
        the list is of where things stand now, not a snapshot."""
        t = ActionRow
        stmt = sa.select(t)
        if state is not None:
            stmt = stmt.where(_view(state, cutoff))
        if target is not None:
            stmt = stmt.where(t.target == target)
        urgency = sa.case((t.state == FAILED, URGENCY[FAILED]),
                          (sa.and_(t.state == SENT, t.sent_at <= cutoff), URGENCY[UNCONFIRMED]),
                          (t.state == DONE, URGENCY[DONE]), else_=URGENCY[ISSUED])
        stmt = stmt.where(after_key([(urgency, False), (t.issued_at, True), (t.action_id, False)], after))
        stmt = stmt.order_by(urgency, t.issued_at.desc(), t.action_id).limit(limit)
        return [to_action(r) for r in self.session.scalars(stmt)]

    def counts(self, *, cutoff: dt.datetime, target: str | None) -> dict[str, int]:
        t = ActionRow
        shown = sa.case((sa.and_(t.state == SENT, t.sent_at <= cutoff), UNCONFIRMED), else_=t.state)
        stmt = sa.select(shown, sa.func.count()).group_by(shown)
        if target is not None:
            stmt = stmt.where(t.target == target)
        counts = dict.fromkeys((*STATES, UNCONFIRMED), 0)
        for state, n in self.session.execute(stmt):
            counts[state] = int(n)
        return counts
