"""The after-sale state machine with plain objects: who may do what, from which state, and what it costs."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from anxin.aftersales.model import (
    Action,
    Case,
    CaseState,
    CaseTerms,
    TransitionError,
    apply,
    enter,
    timeout_action,
)
from anxin.aftersales.rulebook import Deadlines

T = dt.datetime(2026, 11, 5, 4, 0, tzinfo=dt.UTC)
H, D = dt.timedelta(hours=1), dt.timedelta(days=1)
TERMS = CaseTerms(Deadlines(48, 7, 7, 48, 72), freight_cap_fen=2400)


def case(state: CaseState = CaseState.PENDING_MERCHANT, case_type: str = "return_refund", **kw) -> Case:  # type: ignore[no-untyped-def]
    base = Case("as_1", "o1", "c1", "s1", "m1", case_type, "no_reason", 9900, CaseState.PENDING_MERCHANT, T,
                "2026.11.1", "G.SEVEN_DAY", 48, **kw)
    return enter(base, state, T, TERMS)


def act(c: Case, action: Action, role: str, *, at: dt.datetime = T + H, note: str = "because", **data):  # type: ignore[no-untyped-def]
    return apply(c, action, actor_role=role, actor_id="x", at=at, terms=TERMS, note=note, data=data)


@pytest.mark.parametrize(("state", "case_type", "action", "role", "to"), [
    (CaseState.PENDING_MERCHANT, "return_refund", Action.APPROVE, "merchant", CaseState.AWAITING_RETURN),
    (CaseState.PENDING_MERCHANT, "refund_only", Action.APPROVE, "merchant", CaseState.REFUNDED),
    (CaseState.PENDING_MERCHANT, "compensation", Action.APPROVE, "merchant", CaseState.COMPLETED),
    (CaseState.PENDING_MERCHANT, "exchange", Action.APPROVE, "merchant", CaseState.AWAITING_RETURN),
    (CaseState.PENDING_MERCHANT, "refund_only", Action.MERCHANT_TIMEOUT, "system", CaseState.REFUNDED),
    (CaseState.PENDING_MERCHANT, "refund_only", Action.REJECT, "merchant", CaseState.REJECTED),
    (CaseState.PENDING_MERCHANT, "refund_only", Action.CANCEL, "consumer", CaseState.CANCELLED),
    (CaseState.UNDER_REVIEW, "refund_only", Action.REVIEW_APPROVE, "operator", CaseState.REFUNDED),
    (CaseState.UNDER_REVIEW, "refund_only", Action.REVIEW_REJECT, "operator", CaseState.CLOSED),
    (CaseState.REJECTED, "refund_only", Action.ESCALATE, "consumer", CaseState.ARBITRATION),
    (CaseState.REJECTED, "refund_only", Action.ESCALATION_TIMEOUT, "system", CaseState.CLOSED),
    (CaseState.ARBITRATION, "refund_only", Action.ARBITRATE_FOR_CONSUMER, "operator", CaseState.REFUNDED),
    (CaseState.ARBITRATION, "return_refund", Action.ARBITRATE_FOR_CONSUMER, "operator", CaseState.AWAITING_RETURN),
    (CaseState.ARBITRATION, "refund_only", Action.ARBITRATE_FOR_MERCHANT, "operator", CaseState.CLOSED),
    (CaseState.AWAITING_RETURN, "return_refund", Action.RETURN_TIMEOUT, "system", CaseState.CLOSED),
    (CaseState.RETURN_SHIPPED, "return_refund", Action.CONFIRM_RECEIPT, "merchant", CaseState.REFUNDED),
    (CaseState.RETURN_SHIPPED, "return_refund", Action.RECEIPT_TIMEOUT, "system", CaseState.REFUNDED),
    (CaseState.RETURN_SHIPPED, "exchange", Action.CONFIRM_RECEIPT, "merchant", CaseState.COMPLETED),
    (CaseState.RETURN_SHIPPED, "return_refund", Action.REJECT_RECEIPT, "merchant", CaseState.REJECTED),
])
def test_transitions(state, case_type, action, role, to) -> None:  # type: ignore[no-untyped-def]
    t = act(case(state, case_type), action, role)
    assert t.case.state is to
    assert (t.event.from_state, t.event.to_state, t.event.action) == (state.value, to.value, action.value)


@pytest.mark.parametrize(("state", "action", "role", "code"), [
    (CaseState.PENDING_MERCHANT, Action.APPROVE, "consumer", "aftersales.action_not_allowed"),
    (CaseState.PENDING_MERCHANT, Action.ARBITRATE_FOR_CONSUMER, "merchant", "aftersales.action_not_allowed"),
    (CaseState.REFUNDED, Action.APPROVE, "merchant", "aftersales.invalid_state"),
    (CaseState.REFUNDED, Action.CANCEL, "consumer", "aftersales.invalid_state"),
    (CaseState.AWAITING_RETURN, Action.CONFIRM_RECEIPT, "merchant", "aftersales.invalid_state"),
    (CaseState.RETURN_SHIPPED, Action.CANCEL, "consumer", "aftersales.invalid_state"),  # goods already on the way
    (CaseState.PENDING_MERCHANT, Action.ESCALATE, "consumer", "aftersales.invalid_state"),
])
def test_refused_transitions(state, action, role, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TransitionError) as err:
        act(case(state), action, role)
    assert err.value.code == code


@pytest.mark.parametrize("action", [Action.REJECT, Action.REJECT_RECEIPT, Action.REVIEW_REJECT])
def test_rejections_need_a_reason(action) -> None:  # type: ignore[no-untyped-def]
    state = {Action.REJECT: CaseState.PENDING_MERCHANT, Action.REJECT_RECEIPT: CaseState.RETURN_SHIPPED,
             Action.REVIEW_REJECT: CaseState.UNDER_REVIEW}[action]
    role = "operator" if action is Action.REVIEW_REJECT else "merchant"
    with pytest.raises(TransitionError) as err:
        act(case(state), action, role, note="   ")
    assert err.value.code == "aftersales.note_required"


@pytest.mark.parametrize(("state", "kind", "after"), [
    (CaseState.PENDING_MERCHANT, "merchant_response", 48 * H),
    (CaseState.AWAITING_RETURN, "buyer_ship_return", 7 * D),
    (CaseState.RETURN_SHIPPED, "merchant_confirm_receipt", 7 * D),
    (CaseState.REJECTED, "escalation", 48 * H),
    (CaseState.ARBITRATION, "arbitration_sla", 72 * H),
])
def test_each_state_sets_its_deadline(state, kind, after) -> None:  # type: ignore[no-untyped-def]
    c = case(state)
    assert (c.deadline_kind, c.deadline_at) == (kind, T + after)


@pytest.mark.parametrize(("state", "at", "expected"), [
    (CaseState.PENDING_MERCHANT, T + 48 * H - dt.timedelta(seconds=1), None),
    (CaseState.PENDING_MERCHANT, T + 48 * H, Action.MERCHANT_TIMEOUT),
    (CaseState.AWAITING_RETURN, T + 7 * D, Action.RETURN_TIMEOUT),
    (CaseState.RETURN_SHIPPED, T + 7 * D, Action.RECEIPT_TIMEOUT),
    (CaseState.REJECTED, T + 48 * H, Action.ESCALATION_TIMEOUT),
    (CaseState.ARBITRATION, T + 30 * D, None),  # an SLA is watched, never auto-decided
    (CaseState.REFUNDED, T + 30 * D, None),
])
def test_timeouts(state, at, expected) -> None:  # type: ignore[no-untyped-def]
    assert timeout_action(case(state), at) is expected


def test_fresh_spoilage_merchant_deadline_is_24h() -> None:
    c = enter(replace(case(), merchant_response_hours=24), CaseState.PENDING_MERCHANT, T, TERMS)
    assert c.deadline_at == T + 24 * H


def test_escalation_after_the_window_is_refused() -> None:
    c = case(CaseState.REJECTED)
    just_in_time = T + 48 * H - dt.timedelta(seconds=1)
    assert act(c, Action.ESCALATE, "consumer", at=just_in_time).case.state is CaseState.ARBITRATION
    with pytest.raises(TransitionError) as err:
        act(c, Action.ESCALATE, "consumer", at=T + 48 * H)
    assert err.value.code == "aftersales.deadline_passed"


# --- money effects -------------------------------------------------------------------------------------------
def _ship_and_receive(c: Case, **ship):  # type: ignore[no-untyped-def]
    shipped = act(c, Action.SHIP_RETURN, "consumer", **ship).case
    return act(shipped, Action.CONFIRM_RECEIPT, "merchant")


@pytest.mark.parametrize(("covered", "declared", "paid"), [(True, 1800, 1800), (True, 3000, 2400), (False, 1800, 0),
                                                           (True, 0, 0)])
def test_freight_insurance_pays_up_to_the_cap(covered, declared, paid) -> None:  # type: ignore[no-untyped-def]
    t = _ship_and_receive(case(CaseState.AWAITING_RETURN, freight_covered=covered), carrier="SF", tracking_no="SF1",
                          freight_fen=declared)
    kinds = {e.kind: e.amount_fen for e in t.effects}
    assert kinds["refund"] == 9900 and kinds.get("freight", 0) == paid and t.case.freight_paid_fen == paid


def test_counterfeit_refund_pays_compensation_multiple() -> None:
    t = act(case(CaseState.UNDER_REVIEW, "refund_only", compensation_multiplier=3), Action.REVIEW_APPROVE, "operator")
    assert [(e.kind, e.amount_fen) for e in t.effects] == [("refund", 9900), ("compensation", 29700)]
    assert (t.case.refunded_fen, t.case.compensated_fen) == (9900, 29700)


def test_pickup_needs_the_service_and_emits_a_request() -> None:
    with pytest.raises(TransitionError) as err:
        act(case(CaseState.AWAITING_RETURN), Action.SHIP_RETURN, "consumer", method="pickup")
    assert err.value.code == "aftersales.pickup_not_covered"
    t = act(case(CaseState.AWAITING_RETURN, pickup_covered=True), Action.SHIP_RETURN, "consumer", method="pickup",
            weight_g=1200)
    assert t.case.state is CaseState.RETURN_SHIPPED and [e.kind for e in t.effects] == ["pickup"]


@pytest.mark.parametrize("data", [{}, {"carrier": "SF"}, {"carrier": " ", "tracking_no": "x"},
                                  {"carrier": "SF", "tracking_no": "1", "freight_fen": -1},
                                  {"carrier": "SF", "tracking_no": "1", "freight_fen": 1.5},
                                  {"method": "drone"}])
def test_ship_return_validates_input(data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TransitionError):
        act(case(CaseState.AWAITING_RETURN), Action.SHIP_RETURN, "consumer", **data)


def test_exchange_reships_instead_of_refunding() -> None:
    t = _ship_and_receive(case(CaseState.AWAITING_RETURN, "exchange"), carrier="SF", tracking_no="SF2")
    assert [e.kind for e in t.effects] == ["reship"] and t.case.refunded_fen == 0


# --- a flagged return's refund waits for someone to look (issue 19) -------------------------------------------

def held(state: CaseState = CaseState.RETURN_SHIPPED, *, hold: bool = True) -> Case:
    return case(state, "return_refund", freight_covered=True, return_method="self", return_carrier="sf",
                return_tracking_no="SF1", return_freight_fen=1200, freight_held=hold, refund_held=hold)


@pytest.mark.parametrize(("action", "role", "to", "refund", "still_held"), [
    # nobody opened the parcel and risk flagged it: no money, an operator looks first
    (Action.RECEIPT_TIMEOUT, "system", CaseState.UNDER_REVIEW, 0, True),
    # the merchant confirmed what came back: the goods refund is paid, the freight still waits for risk
    (Action.CONFIRM_RECEIPT, "merchant", CaseState.REFUNDED, 9900, False),
    (Action.REJECT_RECEIPT, "merchant", CaseState.REJECTED, 0, True),
])
def test_a_held_refund_needs_an_inspection(action, role, to, refund, still_held) -> None:  # type: ignore[no-untyped-def]
    t = act(held(), action, role)
    assert t.case.state is to and t.case.refunded_fen == refund and t.case.refund_held is still_held
    assert t.case.freight_paid_fen == 0  # the freight is risk's to release
    assert [e.kind for e in t.effects] == (["refund"] if refund else [])


def test_an_unheld_return_is_still_refunded_when_the_receipt_deadline_passes() -> None:
    t = act(held(hold=False), Action.RECEIPT_TIMEOUT, "system")
    assert t.case.state is CaseState.REFUNDED and t.case.refunded_fen == 9900 and t.case.freight_paid_fen == 1200


@pytest.mark.parametrize(("action", "to", "refund", "freight"), [
    (Action.REVIEW_APPROVE, CaseState.REFUNDED, 9900, 0),  # the operator found the parcel right; freight still held
    (Action.REVIEW_REJECT, CaseState.CLOSED, 0, 0),
    (Action.RELEASE_FREIGHT, CaseState.REFUNDED, 9900, 1200),  # risk cleared it: everything is paid at once
])
def test_an_operator_settles_a_held_return_after_the_deadline(action, to, refund, freight) -> None:  # type: ignore[no-untyped-def]
    waiting = act(held(), Action.RECEIPT_TIMEOUT, "system").case
    t = act(waiting, action, "operator")
    assert (t.case.state, t.case.refunded_fen, t.case.freight_paid_fen) == (to, refund, freight)


def test_risk_clearing_a_return_on_its_way_lets_the_deadline_pay_again() -> None:
    released = act(held(), Action.RELEASE_FREIGHT, "operator").case
    assert released.state is CaseState.RETURN_SHIPPED and not released.refund_held and not released.freight_held
    assert released.refunded_fen == 0
    t = act(released, Action.RECEIPT_TIMEOUT, "system")
    assert t.case.state is CaseState.REFUNDED and t.case.freight_paid_fen == 1200
