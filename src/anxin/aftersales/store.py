"""Case rows, their timeline and the evidence attached to them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.aftersales.evidence import EvidenceRow  # noqa: F401  (registers the evidence table)
from anxin.aftersales.model import OPEN_STATES, Case, CaseEvent, CaseState
from anxin.db.base import Base, UTCDateTime, after_key, table, within
from anxin.db.engine import begin_write

_CASE_FIELDS = [f for f in Case.__dataclass_fields__ if f != "state"]
# Where a case without a deadline sorts: after every real one (keyset pagination needs a non-null key).
NO_DEADLINE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
OPEN_CASE_SQL = "state IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(OPEN_STATES)))


class CaseRow(Base):
    __tablename__ = "aftersale_cases"
    case_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    consumer_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    merchant_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    case_type: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.String(32))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    state: Mapped[str] = mapped_column(sa.String(20), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(index=True)
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    guarantee_id: Mapped[str | None] = mapped_column(sa.String(64))
    merchant_response_hours: Mapped[int]
    compensation_multiplier: Mapped[int] = mapped_column(default=0)
    freight_covered: Mapped[bool] = mapped_column(default=False)
    pickup_covered: Mapped[bool] = mapped_column(default=False)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    deadline_kind: Mapped[str | None] = mapped_column(sa.String(32))
    return_method: Mapped[str | None] = mapped_column(sa.String(16))
    return_carrier: Mapped[str | None] = mapped_column(sa.String(64))
    return_tracking_no: Mapped[str | None] = mapped_column(sa.String(128))
    return_freight_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    compensated_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    freight_paid_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    freight_held: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    refund_held: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    listing_id: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    decision: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # Optimistic check under the row locks: an UPDATE that finds another version changed nothing and fails.
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default=sa.text("1"))

    # Not a ClassVar: SQLAlchemy's DeclarativeBase declares it as an instance attribute, which mypy will not let a
    # ClassVar override; it is read once, when the class is mapped.
    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        # One open case per order: a second concurrent filing that got past the order lock still cannot exist.
        sa.Index("uq_aftersale_cases_one_open_per_order", "order_id", unique=True,
                 sqlite_where=sa.text(OPEN_CASE_SQL), postgresql_where=sa.text(OPEN_CASE_SQL)),
    )

    def to_model(self) -> Case:
        values = {f: getattr(self, f) for f in _CASE_FIELDS}
        return Case(state=CaseState(self.state), **values)

    def update_from(self, case: Case) -> None:
        self.state = case.state.value
        for name in _CASE_FIELDS:
            setattr(self, name, getattr(case, name))


class CaseEventRow(Base):
    __tablename__ = "aftersale_case_events"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    actor_role: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[str] = mapped_column(sa.String(140))
    at: Mapped[dt.datetime]
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    deadline_at: Mapped[dt.datetime | None]
    deadline_kind: Mapped[str | None] = mapped_column(sa.String(32))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    def to_model(self) -> CaseEvent:
        return CaseEvent(self.action, self.actor_role, self.actor_id, self.at, self.from_state, self.to_state,
                         self.note, self.deadline_at, self.deadline_kind, self.data)


class CaseEvidenceRow(Base):
    __tablename__ = "aftersale_case_evidence"
    case_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    added_by_role: Mapped[str] = mapped_column(sa.String(16))
    added_at: Mapped[dt.datetime]


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, case: Case, *, listing_id: str | None, description: str, decision: dict[str, Any]) -> CaseRow:
        row = CaseRow(listing_id=listing_id, description=description, decision=decision)
        row.case_id = case.case_id
        row.update_from(case)
        self.session.add(row)
        return row

    def get(self, case_id: str, *, lock: bool = False) -> CaseRow | None:
        """``lock``: read the case for changing it, held until the transaction ends (FOR UPDATE; on SQLite the
        write transaction begins first, so the state read is the state written over)."""
        if lock:
            begin_write(self.session.connection())
            return self.session.scalars(sa.select(CaseRow).where(CaseRow.case_id == case_id)
                                        .with_for_update().execution_options(populate_existing=True)).first()
        return self.session.get(CaseRow, case_id)

    def add_event(self, case_id: str, event: CaseEvent) -> None:
        self.session.add(CaseEventRow(case_id=case_id, action=event.action, actor_role=event.actor_role,
                                      actor_id=event.actor_id, at=event.at, from_state=event.from_state,
                                      to_state=event.to_state, note=event.note, deadline_at=event.deadline_at,
                                      deadline_kind=event.deadline_kind, data=event.data))

    def add_events(self, case_id: str, events: list[CaseEvent]) -> None:
        """Several events of one case in one statement (the filing path)."""
        self.session.execute(sa.insert(table(CaseEventRow)), [{
            "case_id": case_id, "action": e.action, "actor_role": e.actor_role, "actor_id": e.actor_id, "at": e.at,
            "from_state": e.from_state, "to_state": e.to_state, "note": e.note, "deadline_at": e.deadline_at,
            "deadline_kind": e.deadline_kind, "data": e.data} for e in events])

    def events(self, case_ids: list[str]) -> list[CaseEventRow]:
        if not case_ids:
            return []
        return list(self.session.scalars(sa.select(CaseEventRow).where(CaseEventRow.case_id.in_(case_ids))
                                         .order_by(CaseEventRow.at, CaseEventRow.id)))

    def attach_evidence(self, case_id: str, hashes: list[str], role: str, at: dt.datetime, *,
                        new_case: bool = False) -> None:
        for sha in dict.fromkeys(hashes):
            if new_case or self.session.get(CaseEvidenceRow, (case_id, sha)) is None:
                self.session.add(CaseEvidenceRow(case_id=case_id, sha256=sha, added_by_role=role, added_at=at))

    def evidence(self, case_id: str) -> list[CaseEvidenceRow]:
        return list(self.session.scalars(sa.select(CaseEvidenceRow).where(CaseEvidenceRow.case_id == case_id)
                                         .order_by(CaseEvidenceRow.added_at)))

    def cases_citing(self, sha256: str) -> list[CaseRow]:
        ids = sa.select(CaseEvidenceRow.case_id).where(CaseEvidenceRow.sha256 == sha256)
        return list(self.session.scalars(sa.select(CaseRow).where(CaseRow.case_id.in_(ids))))

    def orders_with_cases(self, order_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(order_ids), 1000):  # keep IN lists short
            found.update(self.session.scalars(sa.select(CaseRow.order_id).where(
                CaseRow.order_id.in_(order_ids[start:start + 1000])).distinct()))
        return found

    def for_order(self, order_id: str) -> list[CaseRow]:
        return list(self.session.scalars(sa.select(CaseRow).where(CaseRow.order_id == order_id)
                                         .order_by(CaseRow.opened_at)))

    def for_order_and_consumer_since(self, order_id: str, consumer_id: str,
                                     since: dt.datetime) -> tuple[list[CaseRow], int]:
        """The order's cases, and how many cases the consumer opened since ``since``: one read for filing."""
        rows = list(self.session.scalars(sa.select(CaseRow).where(sa.or_(
            CaseRow.order_id == order_id, sa.and_(CaseRow.consumer_id == consumer_id, CaseRow.opened_at >= since)))
            .order_by(CaseRow.opened_at)))
        recent = sum(1 for r in rows if r.consumer_id == consumer_id and r.opened_at >= since)
        return [r for r in rows if r.order_id == order_id], recent

    def search(self, *, consumer_id: str | None = None, shop_ids: list[str] | None = None,
               states: list[str] | None = None, shop_id: str | None = None, limit: int = 100,
               after: tuple[dt.datetime | None, dt.datetime, str] | None = None) -> list[CaseRow]:
        """Open cases by nearest deadline first (what needs attention comes first), those without one last, then
        newest first; ``after`` is the (deadline, opened at, id) of the last case of the previous page."""
        q = sa.select(CaseRow)
        if consumer_id is not None:
            q = q.where(CaseRow.consumer_id == consumer_id)
        if shop_ids is not None:
            q = q.where(CaseRow.shop_id.in_(shop_ids))
        if shop_id is not None:
            q = q.where(CaseRow.shop_id == shop_id)
        if states:
            q = q.where(CaseRow.state.in_(states))
        deadline = sa.func.coalesce(CaseRow.deadline_at, sa.literal(NO_DEADLINE, UTCDateTime()))
        order = [(deadline, False), (CaseRow.opened_at, True), (CaseRow.case_id, False)]
        key = None if after is None else (after[0] or NO_DEADLINE, after[1], after[2])
        q = q.where(after_key(order, key)).order_by(deadline, CaseRow.opened_at.desc(), CaseRow.case_id)
        return list(self.session.scalars(q.limit(limit)))

    def order_money(self, order_id: str, *, excluding: str) -> tuple[int, int]:
        """(refunded, compensated) by the order's other cases: where this case's money steps start."""
        refunded, compensated = self.session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(CaseRow.refunded_fen), 0),
                      sa.func.coalesce(sa.func.sum(CaseRow.compensated_fen), 0))
            .where(CaseRow.order_id == order_id, CaseRow.case_id != excluding)).one()
        return int(refunded), int(compensated)

    def due(self, now: dt.datetime, limit: int = 500, *, excluding: set[str] | None = None) -> list[str]:
        """Ids of open cases whose deadline has passed (arbitration SLAs only flag, they do not act), but for
        ``excluding`` (cases that failed and wait for their retry)."""
        q = sa.select(CaseRow.case_id).where(
            CaseRow.deadline_at <= now, CaseRow.state.in_([s.value for s in OPEN_STATES]),
            CaseRow.deadline_kind != "arbitration_sla")
        if excluding:
            q = q.where(CaseRow.case_id.not_in(sorted(excluding)))
        return list(self.session.scalars(q.order_by(CaseRow.deadline_at).limit(limit)))

    def returns_refused(self, consumer_id: str, *, since: dt.datetime, until: dt.datetime) -> int:
        """The consumer's returns a merchant refused on inspection (what came back was not what was sold: worn,
        swapped, empty) in the window: the platform's own record of wardrobing."""
        return self.session.scalar(
            sa.select(sa.func.count(sa.distinct(CaseEventRow.case_id)))
            .join(CaseRow, CaseRow.case_id == CaseEventRow.case_id)
            .where(CaseRow.consumer_id == consumer_id, CaseEventRow.action == "reject_receipt",
                   CaseEventRow.at >= since, CaseEventRow.at < until)) or 0

    def count_per_order(self, order_ids: list[str]) -> dict[str, int]:
        if not order_ids:
            return {}
        rows = self.session.execute(sa.select(CaseRow.order_id, sa.func.count()).where(
            CaseRow.order_id.in_(order_ids)).group_by(CaseRow.order_id)).all()
        return {str(r[0]): int(r[1]) for r in rows}

    def state_counts(self) -> dict[str, int]:
        rows = self.session.execute(sa.select(CaseRow.state, sa.func.count()).group_by(CaseRow.state))
        return {state: int(n) for state, n in rows}


# What the platform counts as a case's end, for analytics exports (the scoring facts).
FINAL_STATES = ("refunded", "completed", "closed", "cancelled")


def export_cases_query(*, opened_until: dt.datetime, shop_ids: list[str] | None) -> sa.Select[*tuple[Any, ...]]:
    """Cases opened before ``opened_until``, with what their history says as of then: when they reached a final
    state (``closed_at``) and whether the platform ruled for the consumer (``for_consumer``) or the merchant
    (``for_merchant``). Read-only, streamed by the scoring facts' export."""
    e, k = CaseEventRow, CaseRow
    final = sa.case((e.to_state.in_(FINAL_STATES), e.at))
    history = (sa.select(e.case_id, sa.func.max(final).label("closed_at"),
                         sa.func.max(sa.case((e.action == "arbitrate_for_consumer", 1), else_=0)).label("for_consumer"),
                         sa.func.max(sa.case((e.action == "arbitrate_for_merchant", 1), else_=0)).label("for_merchant"))
               .where(e.at < opened_until).group_by(e.case_id).subquery())
    return (sa.select(k.case_id, k.order_id, k.shop_id, k.consumer_id, k.case_type, k.reason, k.opened_at, k.state,
                      k.refunded_fen, history.c.closed_at, history.c.for_consumer, history.c.for_merchant)
            .join_from(k, history, history.c.case_id == k.case_id, isouter=True)
            .where(k.opened_at < opened_until,
                   within(k.shop_id, shop_ids))
            .order_by(k.case_id))


# The first decision on a request: the rulebook's instant refund, the merchant's answer, its timeout, the
# operators' review.
DECISION_ACTIONS = ("auto_approve", "approve", "reject", "merchant_timeout", "review_approve", "review_reject")


def export_report_cases_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Cases with any timeline event in ``[since, until)``, each with what its timeline says as of ``until``:
    instant refund, first decision, when money moved (refunded or completed), when it ended, when its return (the
    freight claim) was shipped and when risk held the freight. For the service-experience report
    (``anxin.reports``); ``decision`` is read for what the rulebook saw (shipped) and risk's verdict."""
    e, k = CaseEventRow, CaseRow

    def first(cond: sa.ColumnElement[bool]) -> Any:
        return sa.func.min(sa.case((cond, e.at)))

    history = (sa.select(
        e.case_id,
        sa.func.max(sa.case((e.action == "auto_approve", 1), else_=0)).label("instant"),
        first(e.action.in_(DECISION_ACTIONS)).label("decided_at"),
        first(e.to_state.in_(("refunded", "completed"))).label("settled_at"),
        sa.func.max(sa.case((e.to_state.in_(FINAL_STATES), e.at))).label("closed_at"),
        first(e.action == "ship_return").label("return_shipped_at"),
        first(e.action == "risk_hold_freight").label("freight_held_at"))
        .where(e.at < until).group_by(e.case_id).having(sa.func.max(e.at) >= since).subquery())
    return (sa.select(k.case_id, k.order_id, k.shop_id, k.consumer_id, k.case_type, k.reason, k.amount_fen,
                      k.opened_at, k.state, k.decision, k.refunded_fen, k.compensated_fen, k.freight_covered,
                      k.return_method, k.return_freight_fen, k.freight_paid_fen, history.c.instant,
                      history.c.decided_at, history.c.settled_at, history.c.closed_at, history.c.return_shipped_at,
                      history.c.freight_held_at)
            .join_from(k, history, history.c.case_id == k.case_id)
            .order_by(k.case_id))
