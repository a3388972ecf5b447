"""The disclosure policy, table by table: what consumers and merchants may read of a case risk held, and that
operators and the platform read all of it. The decision below has the shape ``file_case`` stores (taken from a
real blocked request: a guarantee reason, two risk reasons, a passed-over credit guarantee, the credit band and the
verdict in the facts, the risk summary with the route it would have had)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from anxin.aftersales import disclosure as d
from anxin.aftersales.model import CaseEvent

T0 = dt.datetime(2026, 11, 4, 2, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
RISK_VERSION = "2026.11.1"


def risk_reason(rule: str, code: str, action: str = "review") -> dict[str, Any]:
    return {"code": code, "rule": rule, "version": RISK_VERSION,
            "detail": {"action": action, "message": {"zh-CN": "已确认恶意售后", "en": "Confirmed abuser"},
                       "compared": [{"fact": "confirmed_abuse", "op": "gte", "expected": 1, "actual": 1}]}}


def decision(*, extra_reasons: tuple[dict[str, Any], ...] = (), credit: str = "doubtful",
             review_id: str | None = "rr_1") -> dict[str, Any]:
    hits = [risk_reason("K.CONFIRMED_ABUSER", "risk.confirmed_abuser"),
            risk_reason("K.EVIDENCE_OTHER_ACCOUNT", "risk.evidence_reused_across_accounts", "block")]
    return {
        "outcome": "review",
        "reasons": [{"code": "guarantee.pending_merchant", "rule": "G.QUALITY", "version": "2026.12.1",
                     "detail": {"service": "quality"}}, *extra_reasons, *hits],
        "passed_over": [
            {"code": "window.closed", "rule": "G.INSTANT_REFUND", "version": "2026.12.1",
             "detail": {"closed_at": "2026-11-02T08:00:00+00:00"}},
            {"code": "instant_refund.credit_not_trusted", "rule": "G.INSTANT_REFUND_TRUSTED.CREDIT",
             "version": "2026.12.1", "detail": {}}],
        "guarantee": "G.QUALITY", "rulebook_version": "2026.12.1", "decided_at": T0.isoformat(),
        "facts": {"paid_fen": 9900, "consumer_cases_30d": 2, "consumer_credit": credit, "risk_verdict": "block"},
        "trace": [
            {"rule": "G.INSTANT_REFUND", "path": "window", "fact": "now", "op": "in_window", "expected": [],
             "actual": T0.isoformat(), "passed": False},
            {"rule": "G.INSTANT_REFUND_TRUSTED.CREDIT", "path": "guarantees[1].requires[1].when",
             "fact": "consumer_credit", "op": "eq", "expected": "trusted", "actual": credit, "passed": False},
            {"rule": "R.CREDIT_DOUBTFUL", "path": "review_rules[2].when", "fact": "consumer_credit", "op": "eq",
             "expected": "doubtful", "actual": credit, "passed": credit == "doubtful"}],
        "risk": {"outcome": "block", "would_be": "block", "score": 1000, "mode": "enforce",
                 "rulebook_version": RISK_VERSION, "reasons": hits, "shadow": [risk_reason("K.SHADOW", "x.shadow")],
                 "verdict_id": "rv_1", "review_id": review_id, "route_without_risk": "pending_merchant"},
    }


def strings(value: Any, keys: bool = True) -> list[str]:
    """Every key and string value anywhere in a JSON-like value."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in ([str(k)] if keys else []) + strings(v, keys)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v, keys)]
    return [value] if isinstance(value, str) else []


# Anything that would tell a consumer or a merchant what risk or credit said.
INTERNAL_PREFIXES = ("risk.", "K.", "F.", "R.CREDIT")
INTERNAL_WORDS = ("consumer_credit", "risk_verdict", "route_without_risk", "doubtful", "trusted", "unscored",
                  "confirmed_abuser", "evidence_reuse", "freight_arbitrage", RISK_VERSION, "block", "已确认恶意售后",
                  "rr_1", "rv_1", "ops-ann")


def leaks(value: Any) -> list[str]:
    found = [s for s in strings(value) if s.startswith(INTERNAL_PREFIXES)]
    text = json.dumps(value, ensure_ascii=False)
    return found + [w for w in INTERNAL_WORDS if w in text]


# --- the decision ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["consumer", "merchant"])
def test_consumers_and_merchants_read_the_guarantee_reasons_and_one_neutral_one(role: str) -> None:
    stored = decision()
    shown = d.decision_for(stored, role)
    assert leaks(shown) == []
    assert [r["code"] for r in shown["reasons"]] == ["guarantee.pending_merchant", d.PLATFORM_REVIEW]
    assert [r["code"] for r in shown["passed_over"]] == ["window.closed"]  # the credit guarantee's is gone
    assert shown["facts"] == {"paid_fen": 9900, "consumer_cases_30d": 2}
    assert [s["rule"] for s in shown["trace"]] == ["G.INSTANT_REFUND"]
    assert "risk" not in shown and shown["outcome"] == "review"
    assert stored == decision()  # the stored value is not touched


@pytest.mark.parametrize("role", ["operator", "platform"])
def test_operators_and_the_platform_read_everything(role: str) -> None:
    assert d.decision_for(decision(), role) == decision()


@pytest.mark.parametrize(("extra", "credit", "codes"), [
    # A review the guarantee rules asked for stays visible: it explains the rules.
    (({"code": "review.high_value_without_evidence", "rule": "R.HIGH_VALUE_NO_EVIDENCE", "version": "2026.12.1",
       "detail": {}},), "normal", ["guarantee.pending_merchant", "review.high_value_without_evidence",
                                   d.PLATFORM_REVIEW]),
    # A review because of the consumer's credit would name the band: it reads as the neutral reason, once.
    (({"code": "review.consumer_credit_doubtful", "rule": "R.CREDIT_DOUBTFUL", "version": "2026.12.1",
       "detail": {}},), "doubtful", ["guarantee.pending_merchant", d.PLATFORM_REVIEW]),
    ((), "unscored", ["guarantee.pending_merchant", d.PLATFORM_REVIEW]),
])
def test_guarantee_reasons_stay_and_credit_reasons_do_not(extra, credit, codes) -> None:
    for role in ("consumer", "merchant"):
        shown = d.decision_for(decision(extra_reasons=extra, credit=credit), role)
        assert [r["code"] for r in shown["reasons"]] == codes
        assert leaks(shown) == []


def test_a_decision_without_risk_is_only_trimmed_of_the_credit_band() -> None:
    stored = {k: v for k, v in decision().items() if k != "risk"}
    stored["reasons"] = stored["reasons"][:1]
    stored["outcome"] = "pending_merchant"
    shown = d.decision_for(stored, "consumer")
    assert shown["reasons"] == stored["reasons"]  # nothing hidden, so no neutral reason either
    assert "consumer_credit" not in shown["facts"]


# --- the timeline ------------------------------------------------------------------------------------------------

HOLD = {"risk": {"outcome": "review", "reasons": [risk_reason("F.FREIGHT_ABOVE_TARIFF", "risk.freight_above_tariff")],
                 "rulebook_version": RISK_VERSION, "review_id": "rr_1"}}
SETTLED = {"risk_review": "rr_1", "reason": "evidence_reuse"}


@pytest.mark.parametrize(("action", "actor", "note", "data", "shown"), [
    ("risk_hold_freight", "system", "", HOLD, ("freight_under_review", "platform", "", "", {})),
    ("risk_hold_return", "system", "", HOLD, ("return_under_review", "platform", "", "", {})),
    ("risk_refuse_freight", "operator", "运费虚高", {"risk_review": "rr_1", "reason": "freight_arbitrage"},
     ("freight_not_paid", "platform", "", "", {})),
    ("risk_cleared", "operator", "巧合", SETTLED, ("platform_review_continues", "platform", "", "", {})),
    ("risk_release", "operator", "巧合", SETTLED, ("platform_review_passed", "platform", "", "", {})),
    ("release_freight", "operator", "", SETTLED, ("freight_review_passed", "platform", "", "", {})),
    # Settled by the risk queue: the after-sales action stays, who and why (the risk note) do not.
    ("review_reject", "operator", "已确认恶意售后", SETTLED, ("review_reject", "platform", "", "", {})),
    ("review_approve", "operator", "", SETTLED, ("review_approve", "platform", "", "", {})),
    # Decided in the after-sales console: an ordinary decision with its note.
    ("review_approve", "operator", "凭证清楚", {}, ("review_approve", "operator", "ops-ann", "凭证清楚", {})),
    ("merchant_timeout", "system", "", {"rule": "deadlines.merchant_response", "version": "2026.12.1",
                                        "deadline_at": T0.isoformat()},
     ("merchant_timeout", "system", "clock", "", {"rule": "deadlines.merchant_response", "version": "2026.12.1",
                                                   "deadline_at": T0.isoformat()})),
    ("ship_return", "consumer", "", {"method": "self", "carrier": "sf", "tracking_no": "SF1", "freight_fen": 1200,
                                     "weight_g": 800, "debug": "x"},
     ("ship_return", "consumer", "c2", "", {"method": "self", "carrier": "sf", "tracking_no": "SF1",
                                            "freight_fen": 1200, "weight_g": 800})),  # unknown data is left out
])
def test_timeline_entries_read_neutrally(action, actor, note, data, shown) -> None:
    risk_holds = ("risk_hold_freight", "risk_hold_return")
    actor_id = {"system": "risk" if action in risk_holds else "clock", "operator": "ops-ann", "consumer": "c2"}[actor]
    event = CaseEvent(action, actor, actor_id, T0, "under_review", "closed", note, None, None, copy.deepcopy(data))
    for role in ("consumer", "merchant"):
        e = d.event_for(event, role, decision())
        assert (e.action, e.actor_role, e.actor_id, e.note, e.data) == shown
        assert (e.at, e.from_state, e.to_state) == (event.at, event.from_state, event.to_state)
        assert leaks(e.data) == []
    for role in ("operator", "platform"):
        assert d.event_for(event, role, decision()) == event


def test_the_filing_entry_lists_the_same_reasons_as_the_decision() -> None:
    stored = decision()
    event = CaseEvent("file", "consumer", "c2", T0, None, "under_review", "坏了", None, None,
                      {"outcome": "review", "reasons": stored["reasons"]})
    e = d.event_for(event, "merchant", stored)
    assert [r["code"] for r in e.data["reasons"]] == ["guarantee.pending_merchant", d.PLATFORM_REVIEW]
    assert e.note == "坏了" and e.actor_id == "c2"


# --- what is under review now ------------------------------------------------------------------------------------

FILE = ("file", T0, {})


@pytest.mark.parametrize(("state", "stored", "events", "expected"), [
    ("under_review", decision(), [FILE], ("request", T0, 24)),
    ("under_review", decision(), [FILE, ("risk_cleared", T0 + H, SETTLED)], ("request", T0, None)),
    ("under_review", decision(review_id=None), [FILE], ("request", T0, None)),  # the guarantee rules' review
    ("under_review", decision(), [], ("request", T0, 24)),  # no timeline: the decision's time
    ("closed", decision(), [FILE, ("review_reject", T0 + H, SETTLED)], None),
    ("pending_merchant", decision(), [FILE, ("risk_release", T0 + H, SETTLED)], None),
    ("return_shipped", decision(), [FILE, ("risk_hold_freight", T0 + 5 * H, HOLD)], ("freight", T0 + 5 * H, 24)),
    # an uninsured return risk held: the parcel is inspected, there is no freight to speak of
    ("return_shipped", decision(), [FILE, ("risk_hold_return", T0 + 5 * H, HOLD)], ("return", T0 + 5 * H, 24)),
    ("refunded", decision(), [FILE, ("risk_hold_freight", T0 + 5 * H, HOLD), ("release_freight", T0 + 6 * H, {})],
     None),
    ("refunded", decision(), [FILE, ("risk_hold_freight", T0 + 5 * H, HOLD),
                              ("risk_refuse_freight", T0 + 6 * H, {})], None),
])
def test_what_is_under_platform_review_and_until_when(state, stored, events, expected) -> None:
    notice = d.platform_review(state, stored, events, review_hours=24)
    assert (notice and (notice.subject, notice.since, notice.hours)) == expected
    if notice is not None and notice.hours is not None:
        assert notice.expected_by == notice.since + 24 * H
        assert notice.message() == {"zh-CN": notice.message()["zh-CN"], "en": notice.message()["en"]}
        assert all("24" in text for text in notice.message().values())


@pytest.mark.parametrize(("sla", "hours"), [({"block": 4, "review": 24}, 24), ({"block": 48, "review": 24}, 48),
                                            ({}, None)])
def test_the_promised_time_is_the_longest_sla_so_it_does_not_tell_a_block_from_a_review(sla, hours) -> None:
    assert d.promised_hours(sla) == hours


# --- the API's view ----------------------------------------------------------------------------------------------

def as_dict() -> dict[str, Any]:
    """A case as ``CaseView.as_dict`` gives it: held by risk at filing, then its freight held too."""
    stored = decision()
    return {
        "case_id": "as_1", "order_id": "o2", "shop_id": "s2", "consumer_id": "c2", "type": "refund_only",
        "reason": "quality", "amount_fen": 9900, "state": "under_review", "opened_at": T0.isoformat(),
        "guarantee": "G.QUALITY", "rulebook_version": "2026.12.1", "deadline": None, "return": None,
        "money": {"refunded_fen": 0, "compensated_fen": 0, "freight_paid_fen": 0}, "listing_id": None,
        "description": "", "evidence": [], "decision": stored,
        "timeline": [
            {"action": "file", "actor": "consumer", "at": T0.isoformat(), "from": None, "to": "under_review",
             "note": "", "deadline_at": None, "deadline_kind": None,
             "data": {"outcome": "review", "reasons": stored["reasons"]}},
            {"action": "risk_hold_freight", "actor": "system", "at": (T0 + H).isoformat(), "from": "under_review",
             "to": "under_review", "note": "", "deadline_at": None, "deadline_kind": None, "data": HOLD}],
    }


@pytest.mark.parametrize("role", ["consumer", "merchant"])
def test_the_api_view_of_a_held_case_carries_no_risk_internals(role: str) -> None:
    shown = d.disclose(as_dict(), role, review_hours=24)
    assert leaks(shown) == []
    assert [e["action"] for e in shown["timeline"]] == ["file", "freight_under_review"]
    assert shown["timeline"][1]["actor"] == "platform"
    review = shown["platform_review"]
    assert (review["subject"], review["hours"], review["expected_by"]) == ("request", 24, (T0 + 24 * H).isoformat())
    assert review["message"]["zh-CN"] == "平台审核中，预计 24 小时内完成"
    assert review["message"]["en"] == "Under platform review; expected within 24 hours"
    assert {k: v for k, v in shown.items() if k not in ("decision", "timeline", "platform_review")} == {
        k: v for k, v in as_dict().items() if k not in ("decision", "timeline")}


@pytest.mark.parametrize("role", ["operator", "platform"])
def test_the_api_view_for_operators_is_the_stored_case_and_the_notice(role: str) -> None:
    shown = d.disclose(as_dict(), role, review_hours=24)
    assert {k: v for k, v in shown.items() if k != "platform_review"} == as_dict()
    assert "risk.confirmed_abuser" in json.dumps(shown)
    assert shown["platform_review"]["hours"] == 24


def test_without_a_figure_the_notice_promises_no_time() -> None:
    review = d.disclose(as_dict(), "consumer")["platform_review"]
    assert (review["hours"], review["expected_by"]) == (None, None)
    assert review["message"] == {"zh-CN": "平台审核中", "en": "Under platform review"}


@pytest.mark.parametrize("junk", [{"decision": None, "timeline": None}, {"decision": "x", "timeline": ["x", 1]},
                                  {"decision": {"reasons": "x", "trace": [1], "facts": []}, "timeline": [
                                      {"action": "file", "at": "not a time", "data": "x"}]}])
def test_odd_shapes_do_not_break_it(junk: dict[str, Any]) -> None:
    view = {**as_dict(), **junk}
    for role in ("consumer", "merchant", "operator"):
        d.disclose(view, role, review_hours=24)
