"""After-sale cases and their state machine with deadlines. Pure: the caller supplies the time.

A transition returns the new case, the timeline event and the money effects (refund, compensation,
freight, pickup) that the service must hand to the outbox in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from anxin.aftersales.rulebook import Deadlines


class CaseState(StrEnum):
    PENDING_MERCHANT = "pending_merchant"
    UNDER_REVIEW = "under_review"
    AWAITING_RETURN = "awaiting_return"
    RETURN_SHIPPED = "return_shipped"
    REJECTED = "rejected"
    ARBITRATION = "arbitration"
    REFUNDED = "refunded"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({CaseState.REFUNDED, CaseState.COMPLETED, CaseState.CLOSED, CaseState.CANCELLED})
OPEN_STATES = frozenset(CaseState) - FINAL_STATES


class Action(StrEnum):
    FILE = "file"
    APPROVE = "approve"
    REJECT = "reject"
    MERCHANT_TIMEOUT = "merchant_timeout"
    REVIEW_APPROVE = "review_approve"
    REVIEW_REJECT = "review_reject"
    ESCALATE = "escalate"
    ESCALATION_TIMEOUT = "escalation_timeout"
    ARBITRATE_FOR_CONSUMER = "arbitrate_for_consumer"
    ARBITRATE_FOR_MERCHANT = "arbitrate_for_merchant"
    SHIP_RETURN = "ship_return"
    RETURN_TIMEOUT = "return_timeout"
    CONFIRM_RECEIPT = "confirm_receipt"
    RECEIPT_TIMEOUT = "receipt_timeout"
    REJECT_RECEIPT = "reject_receipt"
    CANCEL = "cancel"
    SUPERSEDE = "supersede"  # the consumer filed a new request instead of escalating a rejection
    RISK_RELEASE = "risk_release"  # risk review cleared a request the merchant still has to answer
    RELEASE_FREIGHT = "release_freight"  # risk review cleared a return's held freight


# Who may take each action, and from which states.
RULES: dict[Action, tuple[str, frozenset[CaseState]]] = {
    Action.APPROVE: ("merchant", frozenset({CaseState.PENDING_MERCHANT})),
    Action.REJECT: ("merchant", frozenset({CaseState.PENDING_MERCHANT})),
    Action.MERCHANT_TIMEOUT: ("system", frozenset({CaseState.PENDING_MERCHANT})),
    Action.REVIEW_APPROVE: ("operator", frozenset({CaseState.UNDER_REVIEW})),
    Action.REVIEW_REJECT: ("operator", frozenset({CaseState.UNDER_REVIEW})),
    Action.ESCALATE: ("consumer", frozenset({CaseState.REJECTED})),
    Action.ESCALATION_TIMEOUT: ("system", frozenset({CaseState.REJECTED})),
    Action.ARBITRATE_FOR_CONSUMER: ("operator", frozenset({CaseState.ARBITRATION})),
    Action.ARBITRATE_FOR_MERCHANT: ("operator", frozenset({CaseState.ARBITRATION})),
    Action.SHIP_RETURN: ("consumer", frozenset({CaseState.AWAITING_RETURN})),
    Action.RETURN_TIMEOUT: ("system", frozenset({CaseState.AWAITING_RETURN})),
    Action.CONFIRM_RECEIPT: ("merchant", frozenset({CaseState.RETURN_SHIPPED})),
    Action.RECEIPT_TIMEOUT: ("system", frozenset({CaseState.RETURN_SHIPPED})),
    Action.REJECT_RECEIPT: ("merchant", frozenset({CaseState.RETURN_SHIPPED})),
    Action.SUPERSEDE: ("consumer", frozenset({CaseState.REJECTED})),
    Action.RISK_RELEASE: ("operator", frozenset({CaseState.UNDER_REVIEW})),
    Action.RELEASE_FREIGHT: ("operator", frozenset(CaseState)),
    Action.CANCEL: ("consumer", frozenset({CaseState.PENDING_MERCHANT, CaseState.UNDER_REVIEW,
                                           CaseState.AWAITING_RETURN, CaseState.REJECTED})),
}

# What the clock does when a deadline passes.
TIMEOUTS: dict[str, Action] = {
    "merchant_response": Action.MERCHANT_TIMEOUT,
    "buyer_ship_return": Action.RETURN_TIMEOUT,
    "merchant_confirm_receipt": Action.RECEIPT_TIMEOUT,
    "escalation": Action.ESCALATION_TIMEOUT,
}
# Taken by the service as the consequence of something else, never offered to a person directly.
# Taken by the system, or by operators only through the risk review queue.
IMPLICIT = frozenset({Action.FILE, Action.SUPERSEDE, Action.RISK_RELEASE, Action.RELEASE_FREIGHT, *TIMEOUTS.values()})
NEEDS_NOTE = frozenset({Action.REJECT, Action.REJECT_RECEIPT, Action.REVIEW_REJECT, Action.ARBITRATE_FOR_MERCHANT,
                        Action.ARBITRATE_FOR_CONSUMER, Action.REVIEW_APPROVE})


class TransitionError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CaseTerms:
    """The parts of the case's rulebook version that its life needs."""

    deadlines: Deadlines
    freight_cap_fen: int


@dataclass(frozen=True)
class Case:
    case_id: str
    order_id: str
    consumer_id: str
    shop_id: str
    merchant_id: str
    case_type: str
    reason: str
    amount_fen: int
    state: CaseState
    opened_at: dt.datetime
    rulebook_version: str
    guarantee_id: str | None
    merchant_response_hours: int
    compensation_multiplier: int = 0
    freight_covered: bool = False
    pickup_covered: bool = False
    deadline_at: dt.datetime | None = None
    deadline_kind: str | None = None
    return_method: str | None = None
    return_carrier: str | None = None
    return_tracking_no: str | None = None
    return_freight_fen: int = 0
    refunded_fen: int = 0
    compensated_fen: int = 0
    freight_paid_fen: int = 0
    # Risk held the return-freight payout for an operator (possible freight arbitrage): the freight waits for the
    # review.
    freight_held: bool = False
    # Risk flagged the return: the goods refund waits until someone has looked at what came back (the merchant
    # confirms receipt, an operator reviews it, or the risk review clears it); the receipt deadline passing is
    # no longer enough, since an empty parcel nobody opened would be paid.
    refund_held: bool = False


@dataclass(frozen=True)
class Effect:
    kind: str  # refund | compensation | freight | pickup
    amount_fen: int | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseEvent:
    action: str
    actor_role: str
    actor_id: str
    at: dt.datetime
    from_state: str | None
    to_state: str
    note: str = ""
    deadline_at: dt.datetime | None = None
    deadline_kind: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    case: Case
    event: CaseEvent
    effects: tuple[Effect, ...]


def _deadline(state: CaseState, at: dt.datetime, case: Case,
              d: Deadlines) -> tuple[dt.datetime | None, str | None]:
    match state:
        case CaseState.PENDING_MERCHANT:
            return at + dt.timedelta(hours=case.merchant_response_hours), "merchant_response"
        case CaseState.AWAITING_RETURN:
            return at + dt.timedelta(days=d.buyer_ship_return_days), "buyer_ship_return"
        case CaseState.RETURN_SHIPPED:
            return at + dt.timedelta(days=d.merchant_confirm_receipt_days), "merchant_confirm_receipt"
        case CaseState.REJECTED:
            return at + dt.timedelta(hours=d.escalation_window_hours), "escalation"
        case CaseState.ARBITRATION:
            return at + dt.timedelta(hours=d.arbitration_sla_hours), "arbitration_sla"
    return None, None


def enter(case: Case, state: CaseState, at: dt.datetime, terms: CaseTerms) -> Case:
    deadline_at, kind = _deadline(state, at, case, terms.deadlines)
    return replace(case, state=state, deadline_at=deadline_at, deadline_kind=kind)


def _refund_effects(case: Case, terms: CaseTerms) -> tuple[Case, list[Effect]]:
    effects = [Effect("refund", case.amount_fen)]
    comp = case.amount_fen * case.compensation_multiplier
    if comp:
        effects.append(Effect("compensation", comp, {"multiplier": case.compensation_multiplier}))
    freight = _freight_due(case, terms)
    if freight:
        effects.append(Effect("freight", freight, {"declared_fen": case.return_freight_fen,
                                                   "cap_fen": terms.freight_cap_fen}))
    return replace(case, refunded_fen=case.amount_fen, compensated_fen=comp, freight_paid_fen=freight), effects


def _freight_due(case: Case, terms: CaseTerms) -> int:
    """Return freight the platform pays now: covered, capped, and not held by a risk review."""
    if not case.freight_covered or case.freight_held:
        return 0
    return min(case.return_freight_fen, terms.freight_cap_fen)


def _approved(case: Case, at: dt.datetime, terms: CaseTerms) -> tuple[Case, list[Effect]]:
    """Approval sends money now (refund_only, compensation) or starts the return."""
    if case.case_type == "refund_only":
        paid, effects = _refund_effects(case, terms)
        return enter(paid, CaseState.REFUNDED, at, terms), effects
    if case.case_type == "compensation":
        done = replace(case, compensated_fen=case.amount_fen)
        return enter(done, CaseState.COMPLETED, at, terms), [Effect("compensation", case.amount_fen)]
    return enter(case, CaseState.AWAITING_RETURN, at, terms), []


def _received(case: Case, at: dt.datetime, terms: CaseTerms) -> tuple[Case, list[Effect]]:
    if case.case_type == "exchange":
        freight = _freight_due(case, terms)
        done = replace(case, freight_paid_fen=freight)
        effects = [Effect("freight", freight, {"declared_fen": case.return_freight_fen})] if freight else []
        return enter(done, CaseState.COMPLETED, at, terms), [Effect("reship", None), *effects]
    paid, effects = _refund_effects(case, terms)
    return enter(paid, CaseState.REFUNDED, at, terms), effects


def apply(case: Case, action: Action, *, actor_role: str, actor_id: str, at: dt.datetime, terms: CaseTerms,
          note: str = "", data: dict[str, Any] | None = None) -> Transition:
    data = dict(data or {})
    role, allowed_from = RULES[action]
    if actor_role != role:
        raise TransitionError("aftersales.action_not_allowed", f"a {actor_role} cannot {action.value}")
    if case.state not in allowed_from:
        raise TransitionError("aftersales.invalid_state",
                              f"cannot {action.value} a case that is {case.state.value}")
    if action in NEEDS_NOTE and not note.strip():
        raise TransitionError("aftersales.note_required", f"{action.value} needs a reason note")
    if action is Action.ESCALATE and case.deadline_at is not None and at >= case.deadline_at:
        raise TransitionError("aftersales.deadline_passed", "the window to ask the platform to step in has closed")
    effects: list[Effect] = []
    match action:
        case Action.ARBITRATE_FOR_CONSUMER if case.return_method is not None:
            # The merchant refused a return it already holds; winning arbitration means the refund, not a
            # second shipment of the same goods.
            new, effects = _received(case, at, terms)
        case Action.REVIEW_APPROVE if case.return_method is not None:
            # An operator inspected a held return and found it right: the refund the receipt would have paid.
            new, effects = _received(replace(case, refund_held=False), at, terms)
        case Action.RECEIPT_TIMEOUT if case.refund_held:
            # Nobody confirmed what came back and risk flagged the return: an operator looks before money moves.
            new = enter(case, CaseState.UNDER_REVIEW, at, terms)
        case Action.APPROVE | Action.MERCHANT_TIMEOUT | Action.REVIEW_APPROVE | Action.ARBITRATE_FOR_CONSUMER:
            new, effects = _approved(case, at, terms)
        case Action.REJECT | Action.REJECT_RECEIPT:
            new = enter(case, CaseState.REJECTED, at, terms)
        case (Action.REVIEW_REJECT | Action.ESCALATION_TIMEOUT | Action.ARBITRATE_FOR_MERCHANT
              | Action.RETURN_TIMEOUT | Action.SUPERSEDE):
            new = enter(case, CaseState.CLOSED, at, terms)
        case Action.ESCALATE:
            new = enter(case, CaseState.ARBITRATION, at, terms)
        case Action.SHIP_RETURN:
            new, effects = _ship_return(case, data)
            new = enter(new, CaseState.RETURN_SHIPPED, at, terms)
        case Action.CONFIRM_RECEIPT | Action.RECEIPT_TIMEOUT:
            new, effects = _received(replace(case, refund_held=False), at, terms)  # the merchant inspected it
        case Action.CANCEL:
            new = enter(case, CaseState.CANCELLED, at, terms)
        case Action.RISK_RELEASE:
            new = enter(case, CaseState.PENDING_MERCHANT, at, terms)
        case Action.RELEASE_FREIGHT:
            new, effects = _release_freight(case, at, terms)
        case _:
            raise TransitionError("aftersales.invalid_action", f"unknown action {action.value}")
    event = CaseEvent(action.value, actor_role, actor_id, at, case.state.value, new.state.value, note.strip(),
                      new.deadline_at, new.deadline_kind, data)
    return Transition(new, event, tuple(effects))


def _release_freight(case: Case, at: dt.datetime, terms: CaseTerms) -> tuple[Case, list[Effect]]:
    """Un-hold the freight (and the refund risk held with it): paid now if the goods already came back (refund or
    exchange done, or the return waiting for an operator because its receipt deadline passed under the hold), else
    with the refund as usual."""
    released = replace(case, freight_held=False, refund_held=False)
    if case.state is CaseState.UNDER_REVIEW and case.return_method is not None:
        return _received(released, at, terms)
    if case.freight_paid_fen or case.state not in (CaseState.REFUNDED, CaseState.COMPLETED):
        return released, []
    freight = _freight_due(released, terms)
    if not freight:
        return released, []
    return replace(released, freight_paid_fen=freight), [
        Effect("freight", freight, {"declared_fen": case.return_freight_fen, "cap_fen": terms.freight_cap_fen})]


def _ship_return(case: Case, data: dict[str, Any]) -> tuple[Case, list[Effect]]:
    method = data.get("method", "self")
    if method == "pickup":
        if not case.pickup_covered:
            raise TransitionError("aftersales.pickup_not_covered", "this shop does not offer doorstep pickup")
        return replace(case, return_method="pickup", return_carrier="pickup"), [
            Effect("pickup", None, {"weight_g": data.get("weight_g")})]
    if method != "self":
        raise TransitionError("aftersales.invalid_return_method", "method must be 'self' or 'pickup'")
    carrier, tracking = data.get("carrier"), data.get("tracking_no")
    if not isinstance(carrier, str) or not carrier.strip() or not isinstance(tracking, str) or not tracking.strip():
        raise TransitionError("aftersales.tracking_required", "a self-shipped return needs carrier and tracking_no")
    freight = data.get("freight_fen", 0)
    if not isinstance(freight, int) or isinstance(freight, bool) or not 0 <= freight <= 100_000:
        raise TransitionError("aftersales.invalid_amount", "freight_fen must be whole fen between 0 and 100000")
    return replace(case, return_method="self", return_carrier=carrier.strip().lower(),
                   return_tracking_no=tracking.strip(), return_freight_fen=freight), []


def timeout_action(case: Case, now: dt.datetime) -> Action | None:
    """The automatic action due for this case at ``now``, if any."""
    if case.deadline_at is None or case.deadline_kind is None or now < case.deadline_at:
        return None
    action = TIMEOUTS.get(case.deadline_kind)
    if action is None or case.state not in RULES[action][1]:
        return None
    return action
