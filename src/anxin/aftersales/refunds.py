"""What after-sales paid, for the merchants context's settlement: refunds (the fee is reversed on them) and
compensation (taken from the shop's deposit), read in the order they happened by case-event id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from anxin.aftersales.model import OPEN_STATES
from anxin.aftersales.store import CaseEventRow, CaseRow
from anxin.db.uow import UnitOfWork


@dataclass(frozen=True)
class RefundPaid:
    event_id: int  # the cursor: case-event ids only grow
    case_id: str
    order_id: str
    shop_id: str
    refunded_fen: int
    compensated_fen: int
    at: dt.datetime


def refunds_after(uow: UnitOfWork, after_event_id: int, limit: int) -> list[RefundPaid]:
    e, c = CaseEventRow, CaseRow
    rows = uow.session.execute(
        sa.select(e.id, c.case_id, c.order_id, c.shop_id, c.refunded_fen, c.compensated_fen, e.at)
        .join(c, c.case_id == e.case_id).where(e.id > after_event_id, e.to_state == "refunded")
        .order_by(e.id).limit(limit))
    return [RefundPaid(*row) for row in rows]


# Where a page of open cases ended: (the deadline or None, opened_at, case_id) of its last case.
OpenCaseKey = tuple[dt.datetime | None, dt.datetime, str]


def open_cases_of_shop(uow: UnitOfWork, shop_id: str, limit: int = 100, *,
                       after: OpenCaseKey | None = None) -> list[dict[str, object]]:
    """The shop's open cases, the nearest deadline first (no deadline last), the ones after ``after`` (keyset)."""
    c = CaseRow
    q = sa.select(c).where(c.shop_id == shop_id, c.state.in_([s.value for s in OPEN_STATES]))
    if after is not None:
        deadline, opened, case_id = after
        later = sa.or_(c.opened_at > opened, sa.and_(c.opened_at == opened, c.case_id > case_id))
        q = q.where(sa.or_(c.deadline_at.is_(None), c.deadline_at > deadline,
                           sa.and_(c.deadline_at == deadline, later)) if deadline is not None
                    else sa.and_(c.deadline_at.is_(None), later))
    rows = uow.session.scalars(q.order_by(c.deadline_at.is_(None), c.deadline_at, c.opened_at, c.case_id)
                               .limit(limit))
    return [{"case_id": r.case_id, "order_id": r.order_id, "case_type": r.case_type, "reason": r.reason,
             "amount_fen": r.amount_fen, "state": r.state, "opened_at": r.opened_at, "deadline_at": r.deadline_at,
             "deadline_kind": r.deadline_kind} for r in rows]


def refunded_cases(uow: UnitOfWork, shop_id: str) -> int:
    """The shop's cases that paid a refund: the numerator of the refund rate financing reads."""
    c = CaseRow
    return uow.session.scalar(sa.select(sa.func.count()).select_from(c).where(
        c.shop_id == shop_id, c.refunded_fen > 0)) or 0
