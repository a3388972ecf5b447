"""After-sale cases through the service on a FixedClock: deadlines to the second, money exactly once."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from tests.db.builders import T0, D, H, png_bytes, seed_order

from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.service import FileCase
from anxin.core.errors import AnxinError
from anxin.outbox.model import IDEMPOTENCY_HEADER
from anxin.outbox.signing import verify

pytestmark = pytest.mark.db

MIN = dt.timedelta(minutes=1)
SEC = dt.timedelta(seconds=1)
VERSION = "2026.12.1"


@pytest.fixture
def who(anxin):
    """Principals for the seeded parties: consumer c1, merchant m1 and an operator."""
    class Who:
        consumer = anxin.access.create_key("consumer", "c1")[0]
        merchant = anxin.access.create_key("merchant", "m1")[0]
        operator = anxin.access.create_key("operator", "ops")[0]
    return Who


def _file(anxin, who, order_id="o1", case_type="refund_only", reason="other", amount=9900, evidence=0, **kw):
    hashes = tuple(anxin.aftersales.upload_evidence(who.consumer, png_bytes(i)).sha256 for i in range(evidence))
    return anxin.aftersales.file_case(who.consumer, FileCase(order_id, case_type, reason, amount, hashes, **kw))


def _messages(anxin, case_id):
    return [(m.kind, m.amount_fen, m.idempotency_key) for m in anxin.outbox.list_messages(subject_ref=case_id)]


def _state(anxin, who, case_id):
    return anxin.aftersales.get_case(who.operator, case_id).case.state.value


def _code(excinfo):
    return excinfo.value.code.value


# Scenario builders ----------------------------------------------------------------------------------

def merchant_refund_case(anxin, who, clock, amount=9900):
    """Unshipped order in a shop without instant refund: a refund request waits for the merchant (48 h)."""
    seed_order(anxin, order_id="o1", services=())
    clock.set(T0 + H)
    return _file(anxin, who, amount=amount)


def return_case(anxin, who, clock, *, services=(), case_type="return_refund", amount=9900):
    """Signed-for order; a 7-day no-reason return the merchant approves, so the buyer must ship it back."""
    seed_order(anxin, order_id="o1", services=services, signed_at=T0 + D)
    clock.set(T0 + 2 * D)
    view = _file(anxin, who, case_type=case_type, reason="no_reason", amount=amount)
    assert view.case.guarantee_id == "G.SEVEN_DAY"
    view = anxin.aftersales.act(who.merchant, view.case.case_id, "approve")
    assert view.case.state.value == "awaiting_return"
    return view


# --- merchant silence --------------------------------------------------------------------------------

@pytest.mark.parametrize(("after", "state", "refunds"), [
    (47 * H + 59 * MIN, "pending_merchant", []),
    (48 * H - SEC, "pending_merchant", []),
    (48 * H, "refunded", [("refund.issue", 9900)]),
    (30 * D, "refunded", [("refund.issue", 9900)]),
])
def test_merchant_silence_is_approved_exactly_at_48_hours(anxin, who, clock, after, state, refunds):
    view = merchant_refund_case(anxin, who, clock)
    case = view.case
    assert (case.state.value, case.deadline_kind, case.deadline_at) == ("pending_merchant", "merchant_response",
                                                                        T0 + H + 48 * H)
    clock.set(T0 + H + after)
    report = anxin.aftersales.tick()
    assert report.actions == ({"merchant_timeout": 1} if state == "refunded" else {})
    assert _state(anxin, who, case.case_id) == state
    assert [(k, a) for k, a, _ in _messages(anxin, case.case_id)] == refunds
    if refunds:
        timeline = anxin.aftersales.get_case(who.consumer, case.case_id).events
        last = timeline[-1]
        assert (last.action, last.actor_role, last.from_state, last.to_state) == (
            "merchant_timeout", "system", "pending_merchant", "refunded")
        assert last.data["rule"] == "deadlines.merchant_response" and last.data["version"] == VERSION
        assert last.at == T0 + H + after


def test_tick_at_an_explicit_instant_uses_that_instant(anxin, who, clock):
    case = merchant_refund_case(anxin, who, clock).case
    assert anxin.aftersales.tick(T0 + H + 48 * H - SEC).total == 0
    assert anxin.aftersales.tick(T0 + H + 48 * H).actions == {"merchant_timeout": 1}
    assert _state(anxin, who, case.case_id) == "refunded"


# --- the return leg ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("after", "state"), [(7 * D - SEC, "awaiting_return"), (7 * D, "closed")])
def test_buyer_who_does_not_ship_the_return_in_7_days_loses_the_case(anxin, who, clock, after, state):
    case = return_case(anxin, who, clock).case
    assert (case.deadline_kind, case.deadline_at) == ("buyer_ship_return", T0 + 2 * D + 7 * D)
    clock.set(T0 + 2 * D + after)
    anxin.aftersales.tick()
    assert _state(anxin, who, case.case_id) == state
    assert _messages(anxin, case.case_id) == []
    if state == "closed":
        with pytest.raises(AnxinError) as exc:
            anxin.aftersales.act(who.consumer, case.case_id, "ship_return",
                                 data={"carrier": "sf", "tracking_no": "R1"})
        assert _code(exc) == E.INVALID_STATE


@pytest.mark.parametrize(("after", "state", "money"), [
    (7 * D - SEC, "return_shipped", []),
    (7 * D, "refunded", [("refund.issue", 9900)]),
])
def test_merchant_who_does_not_confirm_receipt_in_7_days_refunds_automatically(anxin, who, clock, after, state,
                                                                              money):
    case = return_case(anxin, who, clock).case
    clock.set(T0 + 8 * D)  # six days after approval: still in time
    view = anxin.aftersales.act(who.consumer, case.case_id, "ship_return",
                                data={"method": "self", "carrier": " SF ", "tracking_no": " R1 "})
    assert view.case.state.value == "return_shipped"
    assert (view.case.return_carrier, view.case.return_tracking_no) == ("sf", "R1")
    assert (view.case.deadline_kind, view.case.deadline_at) == ("merchant_confirm_receipt", T0 + 15 * D)
    clock.set(T0 + 8 * D + after)
    report = anxin.aftersales.tick()
    assert report.actions == ({"receipt_timeout": 1} if money else {})
    assert _state(anxin, who, case.case_id) == state
    assert [(k, a) for k, a, _ in _messages(anxin, case.case_id)] == money


def test_merchant_confirms_receipt_in_time(anxin, who, clock):
    case = return_case(anxin, who, clock, amount=4321).case
    anxin.aftersales.act(who.consumer, case.case_id, "ship_return", data={"carrier": "sf", "tracking_no": "R1"})
    clock.advance(days=3)
    view = anxin.aftersales.act(who.merchant, case.case_id, "confirm_receipt")
    assert (view.case.state.value, view.case.refunded_fen, view.case.deadline_at) == ("refunded", 4321, None)
    assert _messages(anxin, case.case_id) == [("refund.issue", 4321, f"{case.order_id}:refund@0")]


def test_self_shipped_return_needs_tracking(anxin, who, clock):
    case = return_case(anxin, who, clock).case
    for data in ({"carrier": "sf"}, {"tracking_no": "R1"}, {"carrier": " ", "tracking_no": "R1"}):
        with pytest.raises(AnxinError) as exc:
            anxin.aftersales.act(who.consumer, case.case_id, "ship_return", data=data)
        assert _code(exc) == E.TRACKING_REQUIRED
    assert _state(anxin, who, case.case_id) == "awaiting_return"


# --- rejection, escalation and arbitration --------------------------------------------------------------

def rejected_case(anxin, who, clock):
    case = merchant_refund_case(anxin, who, clock).case
    clock.advance(hours=2)
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.act(who.merchant, case.case_id, "reject", note="  ")
    assert _code(exc) == E.NOTE_REQUIRED
    view = anxin.aftersales.act(who.merchant, case.case_id, "reject", note="already packed")
    assert (view.case.state.value, view.case.deadline_kind, view.case.deadline_at) == (
        "rejected", "escalation", T0 + 3 * H + 48 * H)
    return view.case


@pytest.mark.parametrize(("after", "allowed"), [(47 * H, True), (48 * H - SEC, True), (48 * H, False),
                                                (49 * H, False)])
def test_escalation_only_within_48_hours_of_the_rejection(anxin, who, clock, after, allowed):
    case = rejected_case(anxin, who, clock)
    clock.set(T0 + 3 * H + after)
    if allowed:
        view = anxin.aftersales.act(who.consumer, case.case_id, "escalate", note="it was not shipped")
        assert (view.case.state.value, view.case.deadline_kind) == ("arbitration", "arbitration_sla")
    else:
        with pytest.raises(AnxinError) as exc:
            anxin.aftersales.act(who.consumer, case.case_id, "escalate")
        assert _code(exc) == E.DEADLINE_PASSED
        assert _state(anxin, who, case.case_id) == "rejected"


def test_unescalated_rejection_closes_at_48_hours(anxin, who, clock):
    case = rejected_case(anxin, who, clock)
    assert anxin.aftersales.tick(T0 + 3 * H + 48 * H - SEC).total == 0
    assert anxin.aftersales.tick(T0 + 3 * H + 48 * H).actions == {"escalation_timeout": 1}
    assert _state(anxin, who, case.case_id) == "closed"
    assert _messages(anxin, case.case_id) == []


@pytest.mark.parametrize(("ruling", "state", "money"), [
    ("arbitrate_for_consumer", "refunded", [("refund.issue", 9900)]),
    ("arbitrate_for_merchant", "closed", []),
])
def test_operator_arbitrates_an_escalation(anxin, who, clock, ruling, state, money):
    case = rejected_case(anxin, who, clock)
    clock.advance(hours=10)
    anxin.aftersales.act(who.consumer, case.case_id, "escalate", note="please look")
    # The arbitration SLA only flags: no automatic action, however late.
    assert anxin.aftersales.tick(T0 + 90 * D).total == 0
    assert _state(anxin, who, case.case_id) == "arbitration"
    for outsider in (who.consumer, who.merchant):
        with pytest.raises(AnxinError) as exc:
            anxin.aftersales.act(outsider, case.case_id, ruling, note="mine")
        assert _code(exc) == E.ACTION_NOT_ALLOWED
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.act(who.operator, case.case_id, ruling)
    assert _code(exc) == E.NOTE_REQUIRED
    view = anxin.aftersales.act(who.operator, case.case_id, ruling, note="tracking shows no pickup")
    assert view.case.state.value == state
    assert [(k, a) for k, a, _ in _messages(anxin, case.case_id)] == money
    assert [e.action for e in view.events] == ["file", "reject", "escalate", ruling]


def test_arbitration_for_the_consumer_after_a_rejected_receipt_refunds(anxin, who, clock):
    case = return_case(anxin, who, clock).case
    anxin.aftersales.act(who.consumer, case.case_id, "ship_return", data={"carrier": "sf", "tracking_no": "R1"})
    clock.advance(days=2)
    anxin.aftersales.act(who.merchant, case.case_id, "reject_receipt", note="box was empty")
    clock.advance(hours=1)
    anxin.aftersales.act(who.consumer, case.case_id, "escalate", note="it was not")
    clock.advance(hours=1)
    view = anxin.aftersales.act(who.operator, case.case_id, "arbitrate_for_consumer", note="courier photo")
    assert view.case.state.value == "refunded"
    assert [(k, a) for k, a, _ in _messages(anxin, case.case_id)] == [("refund.issue", 9900)]


# --- special guarantees ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("after", "state"), [(24 * H - MIN, "pending_merchant"), (24 * H, "refunded")])
def test_fresh_spoilage_gives_the_merchant_24_hours(anxin, who, clock, after, state):
    seed_order(anxin, order_id="o1", services=["anxin_gou"], tags=["fresh"], signed_at=T0 + D, price_fen=5990)
    clock.set(T0 + D + 3 * H)
    view = _file(anxin, who, reason="spoiled", amount=5990, evidence=1)
    case = view.case
    assert (view.decision["outcome"], case.guarantee_id, case.merchant_response_hours) == (
        "pending_merchant", "G.FRESH_SPOILAGE", 24)
    assert case.deadline_at == T0 + D + 3 * H + 24 * H
    clock.set(T0 + D + 3 * H + after)
    anxin.aftersales.tick()
    assert _state(anxin, who, case.case_id) == state


def test_fresh_spoilage_without_a_photo_is_rejected_with_the_reason(anxin, who, clock):
    seed_order(anxin, order_id="o1", services=["anxin_gou"], tags=["fresh"], signed_at=T0 + D)
    clock.set(T0 + D + 3 * H)
    view = _file(anxin, who, reason="spoiled", evidence=0)
    assert view.case.state.value == "rejected"
    assert view.decision["outcome"] == "rejected"
    assert ("evidence.required", "G.FRESH_SPOILAGE.EVIDENCE", VERSION) in {
        (r["code"], r["rule"], r["version"]) for r in view.decision["reasons"]}


@pytest.mark.parametrize(("case_type", "amount"), [("refund_only", 9900), ("refund_only", 3333),
                                                   ("return_refund", 9900)])
def test_counterfeit_goes_to_review_and_pays_three_times_on_refund(anxin, who, clock, case_type, amount):
    seed_order(anxin, order_id="o1", services=["anxin_gou"], signed_at=T0 + D)
    clock.set(T0 + 5 * D)
    view = _file(anxin, who, case_type=case_type, reason="counterfeit", amount=amount, evidence=2)
    case = view.case
    assert (case.state.value, case.guarantee_id, case.compensation_multiplier, case.deadline_at) == (
        "under_review", "G.AUTHENTIC", 3, None)
    assert anxin.aftersales.tick(T0 + 60 * D).total == 0  # review has no deadline to fire
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.act(who.merchant, case.case_id, "approve")
    assert _code(exc) in (E.ACTION_NOT_ALLOWED, E.INVALID_STATE)
    view = anxin.aftersales.act(who.operator, case.case_id, "review_approve", note="fake serial")
    if case_type == "return_refund":
        assert view.case.state.value == "awaiting_return"
        assert _messages(anxin, case.case_id) == []
        anxin.aftersales.act(who.consumer, case.case_id, "ship_return", data={"carrier": "sf", "tracking_no": "R"})
        view = anxin.aftersales.act(who.merchant, case.case_id, "confirm_receipt")
    assert view.case.state.value == "refunded"
    assert (view.case.refunded_fen, view.case.compensated_fen) == (amount, 3 * amount)
    assert sorted(_messages(anxin, case.case_id)) == [
        ("compensation.issue", 3 * amount, f"{case.order_id}:compensation@0"),
        ("refund.issue", amount, f"{case.order_id}:refund@0")]


def test_counterfeit_rejected_in_review_pays_nothing(anxin, who, clock):
    seed_order(anxin, order_id="o1", signed_at=T0 + D)
    clock.set(T0 + 5 * D)
    case = _file(anxin, who, reason="counterfeit", evidence=1).case
    view = anxin.aftersales.act(who.operator, case.case_id, "review_reject", note="genuine")
    assert view.case.state.value == "closed"
    assert _messages(anxin, case.case_id) == []


@pytest.mark.parametrize(("services", "declared", "freight"), [
    (["shipping_insurance"], 3000, 2400),
    (["shipping_insurance"], 2400, 2400),
    (["shipping_insurance"], 2399, 2399),
    (["anxin_gou"], 1800, 1800),
    (["shipping_insurance"], 0, None),
    ([], 3000, None),
])
def test_freight_insurance_pays_declared_freight_up_to_2400(anxin, who, clock, services, declared, freight):
    case = return_case(anxin, who, clock, services=services).case
    assert case.freight_covered is bool(services)
    anxin.aftersales.act(who.consumer, case.case_id, "ship_return",
                         data={"carrier": "yto", "tracking_no": "R1", "freight_fen": declared})
    view = anxin.aftersales.act(who.merchant, case.case_id, "confirm_receipt")
    expected = [("refund.issue", 9900, f"{case.order_id}:refund@0")]
    if freight is not None:
        expected.append(("freight.compensate", freight, f"{case.case_id}:freight"))
    assert sorted(_messages(anxin, case.case_id)) == sorted(expected)
    assert view.case.freight_paid_fen == (freight or 0)


@pytest.mark.parametrize("freight", [-1, 100_001, 12.5, True, "1000"])
def test_declared_freight_must_be_whole_fen_in_range(anxin, who, clock, freight):
    case = return_case(anxin, who, clock, services=["shipping_insurance"]).case
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.act(who.consumer, case.case_id, "ship_return",
                             data={"carrier": "yto", "tracking_no": "R1", "freight_fen": freight})
    assert _code(exc) == E.INVALID_AMOUNT


def test_pickup_request_emits_a_pickup_message(anxin, who, clock):
    case = return_case(anxin, who, clock, services=["pickup"]).case
    assert case.pickup_covered
    view = anxin.aftersales.act(who.consumer, case.case_id, "ship_return", data={"method": "pickup", "weight_g": 1200})
    assert (view.case.state.value, view.case.return_method) == ("return_shipped", "pickup")
    msgs = anxin.outbox.list_messages(subject_ref=case.case_id)
    assert [(m.kind, m.amount_fen, m.idempotency_key) for m in msgs] == [
        ("pickup.request", None, f"{case.case_id}:pickup")]
    assert msgs[0].payload["weight_g"] == 1200 and msgs[0].payload["order_id"] == "o1"


def test_pickup_is_refused_when_the_shop_does_not_offer_it(anxin, who, clock):
    case = return_case(anxin, who, clock, services=[]).case
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.act(who.consumer, case.case_id, "ship_return", data={"method": "pickup"})
    assert _code(exc) == E.PICKUP_NOT_COVERED
    assert _messages(anxin, case.case_id) == []


# --- instant refund --------------------------------------------------------------------------------------

def test_instant_refund_is_approved_at_filing(anxin, who, clock):
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=29999)
    clock.set(T0 + 2 * H)
    view = _file(anxin, who, amount=29999)
    case = view.case
    assert (case.state.value, case.refunded_fen, case.deadline_at) == ("refunded", 29999, None)
    assert view.decision["outcome"] == "approved"
    assert [(r["code"], r["rule"], r["version"]) for r in view.decision["reasons"]] == [
        ("guarantee.approved", "G.INSTANT_REFUND", VERSION)]
    assert [(e.action, e.actor_role, e.to_state) for e in view.events] == [
        ("file", "consumer", "pending_merchant"), ("auto_approve", "system", "refunded")]
    assert _messages(anxin, case.case_id) == [("refund.issue", 29999, f"{case.order_id}:refund@0")]


@pytest.mark.parametrize(("price", "filed_after", "shipped", "services", "outcome"), [
    (29999, 6 * H - SEC, False, ["instant_refund"], "approved"),
    (30000, H, False, ["anxin_gou"], "pending_merchant"),       # paid 300 yuan: not instant
    (9900, 6 * H, False, ["anxin_gou"], "pending_merchant"),    # the 6-hour window has closed
    (9900, 3 * H, True, ["anxin_gou"], "rejected"),             # shipped: neither instant nor unshipped refund
    (9900, H, False, [], "pending_merchant"),                   # shop does not offer it
])
def test_instant_refund_edges(anxin, who, clock, price, filed_after, shipped, services, outcome):
    seed_order(anxin, order_id="o1", services=services, price_fen=price,
               shipped_at=T0 + 2 * H if shipped else None)
    clock.set(T0 + filed_after)
    view = _file(anxin, who, amount=price)
    assert view.decision["outcome"] == outcome
    refunds = [k for k, _, _ in _messages(anxin, view.case.case_id)]
    assert refunds == (["refund.issue"] if outcome == "approved" else [])


# --- money exactly once, and delivered once -----------------------------------------------------------------

def test_each_money_effect_is_enqueued_once_even_if_tick_runs_twice(anxin, who, clock):
    case = return_case(anxin, who, clock, services=["anxin_gou"]).case
    anxin.aftersales.act(who.consumer, case.case_id, "ship_return",
                         data={"carrier": "sf", "tracking_no": "R1", "freight_fen": 1234})
    clock.advance(days=8)
    first = anxin.aftersales.tick()
    second = anxin.aftersales.tick()
    assert (first.actions, second.actions) == ({"receipt_timeout": 1}, {})
    msgs = _messages(anxin, case.case_id)
    assert sorted(msgs) == [("freight.compensate", 1234, f"{case.case_id}:freight"),
                            ("refund.issue", 9900, f"{case.order_id}:refund@0")]
    view = anxin.aftersales.get_case(who.consumer, case.case_id)
    assert [e.action for e in view.events].count("receipt_timeout") == 1


def test_outbox_delivery_through_tick_sends_each_message_once(anxin, who, clock, transport):
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=12345)
    clock.set(T0 + H)
    case = _file(anxin, who, amount=12345).case
    first = anxin.tick()
    assert (first["delivered"], first["failed"], first["dead"]) == (1, 0, 0)
    assert len(transport.calls) == 1
    call = transport.calls[0]
    body = json.loads(call.body)
    assert (body["kind"], body["idempotency_key"]) == ("refund.issue", f"{case.order_id}:refund@0")
    assert body["payload"]["amount_fen"] == 12345 and body["payload"]["currency"] == "CNY"
    assert body["payload"]["rulebook_version"] == VERSION and body["payload"]["guarantee"] == "G.INSTANT_REFUND"
    assert call.headers[IDEMPOTENCY_HEADER] == f"{case.order_id}:refund@0"
    # Signed with the wall clock of sending (the business clock is fixed in the past): verified against real time.
    assert verify(["test-secret"], call.headers, call.body, now_ts=int(time.time()))
    second = anxin.tick()
    assert (second["delivered"], second["case_actions"]) == (0, {})
    assert len(transport.calls) == 1
    assert [m.status for m in anxin.outbox.list_messages(subject_ref=case.case_id)] == ["delivered"]


def test_tick_fires_deadline_and_delivers_in_one_go(anxin, who, clock, transport):
    case = merchant_refund_case(anxin, who, clock, amount=777).case
    clock.set(T0 + H + 48 * H)
    report = anxin.tick()
    # The order, never shipped, is 1 h past its 48 h ship-by: still inside the 3 h grace for late feeds, so only
    # the refund goes now (the late-shipment coupon follows once the grace has passed).
    assert (report["case_actions"], report["delivered"]) == ({"merchant_timeout": 1}, 1)
    assert json.loads(transport.calls[0].body)["payload"]["amount_fen"] == 777
    assert anxin.tick()["delivered"] == 0 and len(transport.calls) == 1
    clock.set(T0 + 52 * H)
    assert anxin.tick()["delivered"] == 2  # now the coupon and the consumer's notice
    assert sorted(json.loads(c.body)["kind"] for c in transport.calls[1:]) == ["consumer.notice", "coupon.issue"]
    assert _state(anxin, who, case.case_id) == "refunded"


# --- filing rules ------------------------------------------------------------------------------------------

def test_one_open_case_per_order_and_refundable_shrinks_after_a_refund(anxin, who, clock):
    view = merchant_refund_case(anxin, who, clock, amount=4000)
    with pytest.raises(AnxinError) as exc:
        _file(anxin, who, amount=100)
    assert _code(exc) == E.CASE_ALREADY_OPEN
    anxin.aftersales.act(who.merchant, view.case.case_id, "approve")
    with pytest.raises(AnxinError) as exc:
        _file(anxin, who, amount=5901)
    assert _code(exc) == E.AMOUNT_EXCEEDS_REFUNDABLE
    assert exc.value.details["refundable_fen"] == 5900
    second = _file(anxin, who, amount=5900)
    assert second.case.state.value == "pending_merchant"


def test_a_cancelled_case_frees_the_order_for_a_new_one(anxin, who, clock):
    view = merchant_refund_case(anxin, who, clock)
    anxin.aftersales.act(who.consumer, view.case.case_id, "cancel")
    assert _file(anxin, who, amount=9900).case.state.value == "pending_merchant"


@pytest.mark.parametrize(("amount", "code"), [
    (9901, E.AMOUNT_EXCEEDS_REFUNDABLE), (10**12, E.AMOUNT_EXCEEDS_REFUNDABLE),
    (0, E.INVALID_AMOUNT), (-1, E.INVALID_AMOUNT), (99.0, E.INVALID_AMOUNT), (True, E.INVALID_AMOUNT),
])
def test_bad_amounts_are_refused_and_nothing_is_written(anxin, who, clock, amount, code):
    seed_order(anxin, order_id="o1")
    clock.set(T0 + H)
    with pytest.raises(AnxinError) as exc:
        _file(anxin, who, amount=amount)
    assert _code(exc) == code
    assert anxin.aftersales.list_cases(who.operator) == []


@pytest.mark.parametrize(("kw", "code"), [
    (dict(case_type="refund"), E.INVALID_CASE_TYPE),
    (dict(reason="because"), E.INVALID_REASON),
    (dict(order_id="nope"), E.ORDER_NOT_FOUND),
    (dict(listing_id="l_other"), E.INVALID_FIELD),
    (dict(description="x" * 2001), E.INVALID_FIELD),
])
def test_bad_filings_are_refused(anxin, who, clock, kw, code):
    seed_order(anxin, order_id="o1")
    clock.set(T0 + H)
    with pytest.raises(AnxinError) as exc:
        _file(anxin, who, **kw)
    assert _code(exc) == code


def test_citing_unknown_evidence_and_too_much_evidence(anxin, who, clock):
    seed_order(anxin, order_id="o1")
    clock.set(T0 + H)
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.file_case(who.consumer, FileCase("o1", "refund_only", "other", 100, ("f" * 64,)))
    assert _code(exc) == E.EVIDENCE_NOT_FOUND
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.file_case(who.consumer, FileCase("o1", "refund_only", "other", 100,
                                                          tuple(str(i) for i in range(10))))
    assert _code(exc) == E.TOO_MANY_EVIDENCE


def test_cancelled_order_is_refused(anxin, who, clock):
    seed_order(anxin, order_id="o1", cancel=True)
    clock.set(T0 + 2 * H)
    with pytest.raises(AnxinError) as exc:
        _file(anxin, who)
    assert _code(exc) == E.ORDER_CANCELLED
    assert anxin.aftersales.list_cases(who.operator) == []


def test_only_the_orders_consumer_may_file(anxin, who, clock):
    seed_order(anxin, order_id="o1")
    clock.set(T0 + H)
    stranger = anxin.access.create_key("consumer", "c2")[0]
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.file_case(stranger, FileCase("o1", "refund_only", "other", 100))
    assert _code(exc) == E.ORDER_NOT_FOUND
    with pytest.raises(AnxinError) as exc:
        anxin.aftersales.file_case(who.merchant, FileCase("o1", "refund_only", "other", 100))
    assert _code(exc) == E.FORBIDDEN_ROLE


# --- explanations ------------------------------------------------------------------------------------------

def test_every_decision_is_stored_with_outcome_reasons_facts_and_trace(anxin, who, clock):
    view = merchant_refund_case(anxin, who, clock, amount=5000)
    stored = anxin.aftersales.get_case(who.merchant, view.case.case_id)
    d = stored.decision
    assert d == view.decision  # what was shown is what was stored
    assert d["outcome"] == "pending_merchant"
    assert [(r["code"], r["rule"], r["version"]) for r in d["reasons"]] == [
        ("guarantee.pending_merchant", "G.UNSHIPPED_REFUND", VERSION)]
    assert ("guarantee.not_offered", "G.INSTANT_REFUND", VERSION) in {
        (r["code"], r["rule"], r["version"]) for r in d["passed_over"]}
    assert d["rulebook_version"] == VERSION and d["guarantee"] == "G.UNSHIPPED_REFUND"
    facts = d["facts"]
    assert (facts["order_id"], facts["paid_fen"], facts["amount_fen"], facts["shipped"], facts["case_type"]) == (
        "o1", 9900, 5000, False, "refund_only")
    assert facts["now"] == (T0 + H).isoformat() and facts["shop_services"] == []
    assert d["trace"], "the trace shows every comparison"
    assert {"rule", "path", "fact", "op", "expected", "actual", "passed"} <= set(d["trace"][0])
    assert {"G.INSTANT_REFUND", "G.UNSHIPPED_REFUND"} <= {step["rule"] for step in d["trace"]}
    unshipped = [s for s in d["trace"] if s["rule"] == "G.UNSHIPPED_REFUND.UNSHIPPED"]
    assert [(s["fact"], s["actual"], s["passed"]) for s in unshipped] == [("shipped", False, True)]
    assert stored.case.rulebook_version == VERSION == anxin.rulebooks.in_force(clock.now()).version


def test_rejected_decisions_are_stored_too(anxin, who, clock):
    seed_order(anxin, order_id="o1", signed_at=T0 + D)
    clock.set(T0 + 100 * D)  # every window has closed
    view = _file(anxin, who, case_type="return_refund", reason="quality", evidence=1)
    assert view.case.state.value == "rejected"
    d = anxin.aftersales.get_case(who.consumer, view.case.case_id).decision
    assert d["outcome"] == "rejected" and d["guarantee"] is None
    assert ("window.closed", "G.QUALITY", VERSION) in {(r["code"], r["rule"], r["version"]) for r in d["reasons"]}
    assert d["trace"] and d["facts"]["signed"] is True


def test_high_value_claim_without_evidence_goes_to_review(anxin, who, clock):
    seed_order(anxin, order_id="o1", price_fen=250000, signed_at=T0 + D)
    clock.set(T0 + 2 * D)
    view = _file(anxin, who, reason="not_received", amount=200000)
    assert view.case.state.value == "under_review"
    # (risk adds its own reason: "not received" although the carrier recorded the sign-off)
    assert [r["code"] for r in view.decision["reasons"]] == ["guarantee.pending_merchant",
                                                             "review.high_value_without_evidence",
                                                             "risk.not_received_but_signed"]


def test_high_value_change_of_mind_before_shipment_is_not_reviewed_for_missing_photos(anxin, who, clock):
    seed_order(anxin, order_id="o1", price_fen=250000)
    clock.set(T0 + 7 * H)  # past the instant-refund window; nothing shipped, so nothing to photograph
    view = _file(anxin, who, amount=200000)
    assert view.case.state.value == "pending_merchant"


def test_filing_anew_supersedes_a_rejected_request(anxin, who, clock):
    seed_order(anxin, order_id="o1", signed_at=T0 + D, tags=["fresh"])
    clock.set(T0 + 2 * D)
    first = _file(anxin, who, case_type="return_refund", reason="no_reason")
    assert first.case.state.value == "rejected"  # fresh produce: no 7-day no-reason return
    second = _file(anxin, who, case_type="refund_only", reason="quality", evidence=1)
    assert second.case.state.value == "pending_merchant"
    old = anxin.aftersales.get_case(who.consumer, first.case.case_id)
    assert old.case.state.value == "closed" and old.events[-1].action == "supersede"
    with pytest.raises(AnxinError) as err:
        _file(anxin, who, case_type="refund_only", reason="quality", evidence=1)
    assert err.value.code.value == "aftersales.case_already_open"  # a live case still blocks a second one
