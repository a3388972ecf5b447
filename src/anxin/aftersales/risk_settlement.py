"""Where after-sales meets risk control after filing: a verdict on every insured return, and the settlement of a case
when an operator decides its risk review (the ``risk.review_decided`` handler). The verdict on the request itself is
asked for by ``filing``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from anxin.aftersales import model as m
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.policy import Outcome
from anxin.aftersales.transitions import CaseRecords, CaseTransitions, case_records
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.db.uow import UnitOfWork
from anxin.orders import service as orders
from anxin.orders.service import Order
from anxin.risk.events import ReviewDecided
from anxin.risk.service import ReturnInput, RiskService


def assess_return(risk: RiskService | None, uow: UnitOfWork, repo: CaseRecords, case: m.Case, data: dict[str, Any],
                  now: dt.datetime) -> None:
    """A self-shipped return: risk judges the parcel (its weight, where it left from) and, when the platform insures
    it, the freight claim. Anything but pass holds the goods refund until someone has looked at what came back
    (``Case.refund_held``) and any insured freight until an operator clears or confirms it. Uninsured returns are
    judged too since 2026.12.1: an empty parcel costs the refund whether or not its freight is insured."""
    if risk is None or case.return_method != "self":
        return
    order = orders.get_order(uow, case.order_id)
    assert order is not None
    assessment = risk.assess_return(uow, ReturnInput(
        case_id=case.case_id, order_id=case.order_id, consumer_id=case.consumer_id, shop_id=case.shop_id,
        freight_fen=case.return_freight_fen if case.freight_covered else 0, weight_g=data.get("weight_g"),
        goods_weight_g=_claimed_weight(order, case),
        from_address=data.get("from_address"), ship_from_region=order.ship_from_region,
        ship_to_region=order.ship_to_region, at=now))
    if assessment.review_id is None:
        return
    row = repo.get(case.case_id)
    assert row is not None
    row.freight_held = case.freight_covered and case.return_freight_fen > 0
    row.refund_held = True
    hold = "risk_hold_freight" if row.freight_held else "risk_hold_return"
    repo.add_event(case.case_id, m.CaseEvent(
        hold, "system", "risk", now, case.state.value, case.state.value, "", case.deadline_at,
        case.deadline_kind, {"risk": assessment.summary()}))


class RiskReviewSettlement:
    """Handles ``risk.review_decided``: the operator's decision on a review of one of our cases settles it, in the
    bus's unit of work (never committed here). Cleared or confirmed, at the filing or the return stage:

    - filing, confirmed: the request is rejected;
    - filing, cleared: it goes where the rulebook alone sent it (approved: paid; pending_merchant: to the
      merchant; review: it stays with the after-sales operators, with the clearance on its timeline);
    - return, cleared: held freight is released; confirmed: the refusal is recorded, the freight stays unpaid.
    """

    def __init__(self, *, clock: Clock, transitions: CaseTransitions,
                 cases: Callable[[UnitOfWork], CaseRecords] = case_records) -> None:
        self.clock = clock
        self.transitions = transitions
        self.cases = cases

    def __call__(self, event: ReviewDecided, uow: UnitOfWork) -> None:
        repo = self.cases(uow)
        row = repo.get(event.case_id, lock=True)
        if row is None:
            return
        case, now = row.to_model(), self.clock.now()
        terms = self.transitions.terms(case.rulebook_version)
        data = {"risk_review": event.review_id, "reason": event.reason}
        cleared, note, operator = event.cleared, event.note, event.operator
        if event.stage == "return":
            if cleared and (case.freight_held or case.refund_held):
                self.transitions.transition(uow, repo, case, m.Action.RELEASE_FREIGHT, "operator", operator, now,
                                            terms, note=note, data=data)
            elif not cleared:
                repo.add_event(case.case_id, m.CaseEvent(
                    "risk_refuse_freight", "operator", operator, now, case.state.value, case.state.value,
                    note, case.deadline_at, case.deadline_kind, data))
            return
        if case.state is not m.CaseState.UNDER_REVIEW:
            return  # decided in the after-sales console meanwhile: nothing left to settle
        route = (row.decision.get("risk") or {}).get("route_without_risk")
        if not cleared:
            self.transitions.transition(uow, repo, case, m.Action.REVIEW_REJECT, "operator", operator, now, terms,
                                        note=note, data=data)
        elif route == Outcome.APPROVED.value:
            self.transitions.transition(uow, repo, case, m.Action.REVIEW_APPROVE, "operator", operator, now, terms,
                                        note=note, data=data)
        elif route == Outcome.PENDING_MERCHANT.value:
            self.transitions.transition(uow, repo, case, m.Action.RISK_RELEASE, "operator", operator, now, terms,
                                        note=note, data=data)
        else:  # the guarantee rules themselves wanted a review: it stays with the after-sales operators
            repo.add_event(case.case_id, m.CaseEvent(
                "risk_cleared", "operator", operator, now, case.state.value, case.state.value, note,
                case.deadline_at, case.deadline_kind, data))


def check_return_data(data: dict[str, Any]) -> None:
    """What risk reads from a return besides carrier and freight: the parcel's weight and where it left from."""
    weight = data.get("weight_g")
    if weight is not None and (not isinstance(weight, int) or isinstance(weight, bool) or not 0 < weight <= 1_000_000):
        raise AnxinError(E.INVALID_FIELD, "weight_g must be whole grams between 1 and 1000000", field="weight_g")
    origin = data.get("from_address")
    if origin is not None and (not isinstance(origin, str) or not origin.strip() or len(origin) > 128
                               or "\x00" in origin):
        raise AnxinError(E.INVALID_FIELD, "from_address must be a non-empty text of at most 128 characters",
                         field="from_address")


def _claimed_weight(order: Order, case: m.Case) -> int | None:
    """What the returned goods should weigh: the outbound parcel's weight, in the share of the order the claim
    covers by value (a one-item return of a three-item order is not expected to weigh the whole parcel)."""
    if order.parcel_weight_g is None or order.paid_fen <= 0:
        return None
    return max(1, order.parcel_weight_g * min(case.amount_fen, order.paid_fen) // order.paid_fen)
