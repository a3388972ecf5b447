"""The risk rulebook, verdicts and backtests with plain values, table-driven at the edges."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from anxin.risk.backtest import PastVerdict, refusal, replay
from anxin.risk.model import AttributeError_, Outcome, clean_attributes, decay, judge, tariff_fen, threat_terms
from anxin.risk.rulebook import DEFAULT_PATH, NEUTRAL, RiskRulebookError, load_risk_rulebook, parse_rule, parse_rulebook

RB = load_risk_rulebook()
RAW = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def claim(**kw: Any) -> dict[str, Any]:
    return {**NEUTRAL["claim"], **kw}


def ret(**kw: Any) -> dict[str, Any]:
    return {**NEUTRAL["return"], **kw}


def refused(mutate) -> list[str]:  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(RAW)
    mutate(raw)
    with pytest.raises(RiskRulebookError) as exc:
        parse_rulebook(raw)
    return exc.value.problems


def rule(**kw: Any) -> dict[str, Any]:
    return {"id": "D.TEST", "stage": "claim", "code": "risk.test", "action": "review", "points": 10,
            "message": {"zh-CN": "测试", "en": "test"}, "when": {"fact": "claims_30d", "op": "gte", "value": 5}, **kw}


# --- loading --------------------------------------------------------------------------------------------

def test_the_packaged_rulebook_loads_with_every_stage() -> None:
    assert RB.version == "2026.12.1" and RB.mode == "enforce"
    assert {r.stage for r in RB.rules} == {"claim", "return", "onboarding", "access"}
    assert RB.rule("K.NEAR_DUP_OWN_PHOTO").status == "live" and RB.rule("K.VELOCITY").status == "shadow"


@pytest.mark.parametrize(("when", "problem"), [
    ({"fact": "claims_30d", "op": "gte", "value": 1}, "would block everyone"),  # every claim is its own first
    ({"fact": "ring_member", "op": "is_false"}, "would block everyone"),
    ({"fact": "hours_since_delivery", "op": "lt", "value": 24}, "would block everyone"),  # -1: not delivered
    ({"fact": "no_such_fact", "op": "gte", "value": 1}, "unknown fact"),
    ({"fact": "ring_member", "op": "gte", "value": 1}, "does not apply"),
])
def test_a_block_rule_that_would_catch_a_clean_request_or_reads_nothing_real_is_refused(when, problem) -> None:
    problems = refused(lambda raw: raw["rules"].append(rule(action="block", when=when)))
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda raw: raw["rules"].append(rule(id="K.RING")), "duplicate rule id 'K.RING'"),
    (lambda raw: raw["rules"].append(rule(message={"zh-CN": "只有中文"})), "message.en: required"),
    (lambda raw: raw["rules"].append(rule(action="ban")), "action: must be one of"),
    (lambda raw: raw["rules"].append(rule(points=1001)), "points: must be an integer 0–1000"),
    (lambda raw: raw["rules"].append(rule(stage="payout")), "stage: must be one of"),
    (lambda raw: raw["rings"].update(min_size=10, max_size=5), "rings.max_size: 5 is below min_size 10"),
    (lambda raw: raw["parameters"].update(near_dup_radius=20), "near_dup_radius: must be an integer 0–16"),
    (lambda raw: raw.update(mode="panic"), "mode: must be one of"),
    (lambda raw: raw.update(threat_terms="曝光"), "threat_terms: must be a list"),
])
def test_rulebook_problems_are_reported_with_their_path(mutate, problem) -> None:
    assert any(problem in p for p in refused(mutate))


def test_every_problem_is_reported_at_once() -> None:
    problems = refused(lambda raw: (raw.update(mode="panic"), raw["rules"].append(rule(points=-1))))
    assert len(problems) == 2


def test_a_draft_rule_is_validated_like_the_rulebooks() -> None:
    assert parse_rule(rule()).id == "D.TEST"
    with pytest.raises(RiskRulebookError) as exc:
        parse_rule(rule(id="K.RING"), taken={r.id for r in RB.rules})
    assert exc.value.problems == ["rule.id: duplicate rule id 'K.RING'"]


# --- verdicts -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("facts", "outcome", "rules"), [
    (claim(), "pass", []),
    (claim(evidence_other_shops=1), "review", ["K.EVIDENCE_OTHER_SHOPS"]),
    (claim(evidence_other_shops=1, evidence_other_accounts=1), "block",
     ["K.EVIDENCE_OTHER_ACCOUNT", "K.EVIDENCE_OTHER_SHOPS"]),
    # extortion: 300 yuan, within 24 h of sign-off, with a threat or against 4+ shops without a photo
    (claim(amount_fen=30_000, hours_since_delivery=24, threat_terms=1), "block", ["K.EXTORTION"]),
    (claim(amount_fen=30_000, hours_since_delivery=25, threat_terms=1), "pass", []),
    (claim(amount_fen=29_999, hours_since_delivery=0, threat_terms=1), "pass", []),
    (claim(amount_fen=30_000, hours_since_delivery=0, shops_claimed_30d=4), "block", ["K.EXTORTION"]),
    (claim(amount_fen=30_000, hours_since_delivery=0, shops_claimed_30d=3), "pass", []),
    (claim(amount_fen=30_000, hours_since_delivery=0, shops_claimed_30d=4, evidence_count=1), "pass", []),
    (claim(threat_terms=1, shops_claimed_30d=3), "review", ["K.THREATS_MANY_SHOPS"]),
    (claim(threat_terms=1, shops_claimed_30d=3, evidence_count=1), "pass", []),
    # an honest buyer's angry words with a photo, first claim: not extortion; after claims at another shop: it is
    (claim(amount_fen=30_000, hours_since_delivery=0, threat_terms=1, evidence_count=1), "pass", []),
    (claim(amount_fen=30_000, hours_since_delivery=0, threat_terms=1, evidence_count=1, shops_claimed_30d=2),
     "block", ["K.EXTORTION"]),
    (claim(refund_without_return_90d=2, evidence_count=1), "pass", []),
    (claim(refund_without_return_90d=1, evidence_count=0), "pass", []),
    (claim(refund_without_return_90d=2, evidence_count=0), "review", ["K.REFUND_WITHOUT_RETURN_NO_PHOTO"]),
    (claim(refund_without_return_90d=3, evidence_count=1), "review", ["K.REFUND_WITHOUT_RETURN"]),
    (claim(claims_90d=6, claim_rate_vs_peers_pct=400), "pass", []),  # K.SERIAL_RETURNER watches in shadow
    (claim(confirmed_abuse=1), "pass", []),
    (claim(confirmed_abuse=2), "review", ["K.CONFIRMED_ABUSER"]),
    (ret(confirmed_abuse=1), "pass", []),
    (claim(velocity_x100=450), "pass", []),  # K.VELOCITY watches in shadow (see the rulebook)
    (claim(ring_member=True, ring_size=5), "block", ["K.RING"]),
    (ret(freight_excess_pct=99), "pass", []),
    (ret(freight_excess_pct=100), "review", ["F.FREIGHT_ABOVE_TARIFF"]),
    (ret(return_from_other_address=True, freight_excess_pct=29), "pass", []),
    (ret(return_from_other_address=True, freight_excess_pct=30), "block", ["F.OTHER_ADDRESS_EXCESS"]),
    (ret(return_weight_pct=-1), "pass", []),  # weight unknown: no verdict from it
    (ret(return_weight_pct=39), "review", ["F.LIGHT_PARCEL"]),
    (ret(return_weight_pct=40), "pass", []),
    (ret(confirmed_abuse=2), "review", ["F.CONFIRMED_ABUSER"]),
])
def test_verdicts_at_the_edges_of_every_threshold(facts, outcome, rules) -> None:
    stage = "return" if "freight_excess_pct" in facts else "claim"
    v = judge(stage, facts, (), RB)
    assert v.outcome.value == outcome
    assert sorted(h.rule for h in v.hits) == rules


def test_points_add_up_to_a_capped_score_and_the_worst_action_wins() -> None:
    v = judge("claim", claim(evidence_other_accounts=1, evidence_other_shops=1, ring_member=True, confirmed_abuse=1),
              (), RB)
    assert v.outcome is Outcome.BLOCK and v.score == 1000  # 600 + 300 + 700 + 400, capped


def test_shadow_rules_are_recorded_never_enforced() -> None:
    v = judge("claim", claim(velocity_x100=450), (), RB)
    assert (v.outcome, v.would_be, v.score) == (Outcome.PASS, Outcome.REVIEW, 0)
    assert [h.rule for h in v.shadow] == ["K.VELOCITY"] and v.hits == ()
    live = judge("claim", claim(velocity_x100=450), (), RB, overrides={"K.VELOCITY": "live"})
    assert live.outcome is Outcome.REVIEW and live.score == 200


def test_shadow_mode_watches_everything_and_off_skips_everything() -> None:
    facts = claim(evidence_other_accounts=1)
    shadow = judge("claim", facts, (), RB, mode="shadow")
    assert (shadow.outcome, shadow.would_be) == (Outcome.PASS, Outcome.BLOCK) and shadow.hits == ()
    assert [h.rule for h in shadow.shadow] == ["K.EVIDENCE_OTHER_ACCOUNT"]
    off = judge("claim", facts, (), RB, overrides={"K.EVIDENCE_OTHER_ACCOUNT": "off"})
    assert off.outcome is Outcome.PASS
    assert judge("claim", facts, (), RB, mode="off").would_be is Outcome.PASS


def test_a_hit_says_which_facts_it_compared() -> None:
    [hit] = judge("claim", claim(velocity_x100=612), (), RB, overrides={"K.VELOCITY": "live"}).hits
    assert hit.compared == ({"fact": "velocity_x100", "op": "gte", "expected": 450, "actual": 612},)
    assert hit.message["zh-CN"] and hit.message["en"]


# --- backtests ------------------------------------------------------------------------------------------

def history(n: int, firing: int, *, stale: int = 0) -> list[PastVerdict]:
    rows = [PastVerdict(f"v{i}", claim(velocity_x100=500 if i < firing else 100), "pass",
                        "confirmed" if i == 0 else None) for i in range(n)]
    return rows + [PastVerdict(f"old{i}", {"amount_fen": 1}, "pass", None) for i in range(stale)]


@pytest.mark.parametrize(("firing", "action", "refused_"), [
    (200, "block", False),  # exactly 2 % of 10 000: allowed
    (201, "block", True),
    (1000, "review", False),  # exactly 10 %
    (1001, "review", True),
])
def test_a_rule_goes_live_only_within_the_rulebooks_share(firing, action, refused_) -> None:
    r = parse_rule(rule(action=action, when={"fact": "velocity_x100", "op": "gte", "value": 450}))
    result = replay(r, history(10_000, firing, stale=7))
    assert (result.requests, result.not_evaluable, result.fired) == (10_007, 7, firing)
    assert result.newly_flagged == firing and result.fired_on_confirmed == 1 and len(result.examples) == 10
    why = refusal(result, max_block_share_pct=RB.max_block_share_pct, max_review_share_pct=RB.max_review_share_pct)
    assert (why is not None) == refused_


# --- small pure pieces ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("weight", "same", "fen"), [
    (0, True, 1200), (1000, True, 1200), (1001, True, 2000), (2000, True, 2000), (2001, True, 2800),
    (1000, False, 1800),
])
def test_tariff_is_first_kilogram_plus_each_started_one(weight, same, fen) -> None:
    assert tariff_fen(weight, same_province=same, first_kg_fen=1200, extra_kg_fen=800,
                      cross_province_extra_fen=600) == fen


def test_decay_halves_at_the_half_life() -> None:
    assert decay(8.0, 168, 168) == 4.0 and decay(8.0, 0, 168) == 8.0 and decay(8.0, -5, 168) == 8.0


def test_threat_terms_are_found_once_each_in_rulebook_order() -> None:
    assert threat_terms("12315！不退款就曝光，曝光！", RB.threat_terms) == ["曝光", "12315", "不退款就"]
    assert threat_terms("I will call my LAWYER", RB.threat_terms) == ["lawyer"]


def test_attributes_missing_or_blank_are_absent_and_unknown_kinds_are_refused() -> None:
    assert clean_attributes({"device": " d1 ", "phone": "", "ip": None}, ("device", "phone", "ip")) == {"device": "d1"}
    with pytest.raises(AttributeError_):
        clean_attributes({"shoe_size": "42"}, ("device",))
    with pytest.raises(AttributeError_):
        clean_attributes({"device": 42}, ("device",))


# --- the rules of 2026.12.1 at their edges (issue 19) ---------------------------------------------------------

@pytest.mark.parametrize(("facts", "fires"), [
    # own photos: one other order is an honest buyer's repeat purchase, two is recycling
    ({"evidence_own_orders": 1}, False),
    ({"evidence_own_orders": 2}, True),
    # not received, against the carrier's sign-off (-1: never signed)
    ({"reason": "not_received", "hours_since_delivery": -1}, False),
    ({"reason": "not_received", "hours_since_delivery": 0}, True),
    ({"reason": "quality", "hours_since_delivery": 0}, False),
    ({"reason": "not_received", "hours_since_delivery": 0, "last_mile_elsewhere": True}, False),  # misdelivered
    # wardrobing: a refused return and repeated no-reason returns, both needed
    ({"returns_refused_90d": 2, "no_reason_claims_90d": 2}, False),
    ({"returns_refused_90d": 1, "no_reason_claims_90d": 9}, False),
    ({"returns_refused_90d": 2, "no_reason_claims_90d": 3}, True),
])
def test_the_new_claim_rules_at_their_edges(facts: dict[str, object], fires: bool) -> None:
    rule = {"evidence_own_orders": "K.NEAR_DUP_OWN_PHOTO", "reason": "K.NOT_RECEIVED_SIGNED",
            "returns_refused_90d": "K.WARDROBING"}[next(iter(facts))]
    v = judge("claim", claim(**facts), (), RB)
    assert (rule in [h.rule for h in v.hits]) is fires
    assert v.outcome is (Outcome.REVIEW if fires else Outcome.PASS)
