"""Risk internals over the JSON API: a consumer and a merchant reading a case risk holds get the guarantee's reasons
and "under platform review" with the expected time, never a risk code, rule id, rulebook version, credit band or
verdict; an operator (and the platform) get all of it. Through the real services: c2 files c1's photo re-saved
(blocked), the operator confirms the abuse, c2's next request is held as a confirmed abuser's; a return whose
freight risk holds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.api.test_risk_api import build_world
from tests.db.builders import T0, D, H, ingest_ok, order_paid, seed_order
from tests.db.test_risk_flow import photo

from anxin.aftersales.service import FileCase

pytestmark = pytest.mark.db

# What would tell a consumer or a merchant what risk control or the credit score said about the consumer.
PREFIXES = ("risk.", "K.", "F.")
WORDS = ("consumer_credit", "risk_verdict", "route_without_risk", "risk_review", "unscored", "doubtful", "trusted",
         "2026.11.1", "block", "evidence_reuse", "凭证图片与其他账号", "nearly matches", "与 c1 的凭证为同一张照片",
         "confirmed_abuser", "abuse")


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


def leaks(body: Any) -> list[str]:
    text = json.dumps(body, ensure_ascii=False)
    return [s for s in strings(body) if s.startswith(PREFIXES)] + [w for w in WORDS if w in text]


@pytest.fixture
def world(anxin, clock):
    return build_world(anxin, clock)  # c2's case at m2's shop s2 is blocked: c1's photo, re-saved


def case_as(client, keys, name: str, case_id: str) -> dict[str, Any]:
    r = client.get(f"/v1/aftersales/cases/{case_id}", headers=keys[name])
    assert r.status_code == 200, r.text
    return r.json()


def test_a_held_case_reads_as_platform_review_to_the_consumer_and_the_merchant(client, keys, world) -> None:
    for name in ("c2", "m2"):
        body = case_as(client, keys, name, world.case_id)
        assert leaks(body) == [], name
        assert body["state"] == "under_review" and body["decision"]["outcome"] == "review"
        assert [r["code"] for r in body["decision"]["reasons"]] == ["guarantee.pending_merchant",
                                                                   "platform.review_required"]
        review = body["platform_review"]
        assert (review["subject"], review["hours"]) == ("request", 24)  # the longest SLA, not the block's 4 h
        assert review["expected_by"] == (T0 + 2 * D + 24 * H).isoformat()
        assert review["message"] == {"zh-CN": "平台审核中，预计 24 小时内完成",
                                     "en": "Under platform review; expected within 24 hours"}
        listed = client.get("/v1/aftersales/cases", headers=keys[name]).json()["items"]
        assert [c["case_id"] for c in listed] == [world.case_id] and leaks(listed) == []


@pytest.mark.parametrize("name", ["operator", "platform"])
def test_operators_and_the_platform_read_every_reason(client, keys, world, name) -> None:
    body = case_as(client, keys, name, world.case_id)
    decision = body["decision"]
    assert "risk.evidence_reused_across_accounts" in [r["code"] for r in decision["reasons"]]
    assert "K.EVIDENCE_OTHER_ACCOUNT" in [r["rule"] for r in decision["reasons"]]
    assert decision["risk"]["outcome"] == "block" and decision["risk"]["route_without_risk"] == "pending_merchant"
    assert decision["facts"]["consumer_credit"] == "unscored" and decision["facts"]["risk_verdict"] == "block"
    assert body["platform_review"]["hours"] == 24
    listed = client.get("/v1/aftersales/cases", params={"state": "under_review"}, headers=keys[name]).json()
    assert "risk.evidence_reused_across_accounts" in json.dumps(listed)


def test_after_the_operator_confirms_the_consumer_reads_a_closed_review_without_why(client, keys, world,
                                                                                    anxin, clock) -> None:
    r = client.post(f"/v1/risk/reviews/{world.review_id}/decision", headers=keys["operator"],
                    json={"decision": "confirm", "reason": "evidence_reuse", "note": "与 c1 的凭证为同一张照片"})
    assert r.status_code == 200, r.text
    for name in ("c2", "m2"):
        body = case_as(client, keys, name, world.case_id)
        assert leaks(body) == [] and body["state"] == "closed" and body["platform_review"] is None
        last = body["timeline"][-1]
        assert (last["action"], last["actor"], last["note"], last["data"]) == ("review_reject", "platform", "", {})
    staff = case_as(client, keys, "operator", world.case_id)["timeline"][-1]
    assert staff["note"] == "与 c1 的凭证为同一张照片" and staff["data"]["reason"] == "evidence_reuse"

    # c2 files again with the same photo, re-saved: held again, and it reads exactly like the first.
    seed_order(anxin, order_id="o3", consumer_id="c2", shop_id="s3", merchant_id="m3", signed_at=T0 + D)
    who = anxin.access.create_key("consumer", "c2")[0]
    sha = anxin.aftersales.upload_evidence(who, photo(1, variant=2)).sha256
    third = anxin.aftersales.file_case(who, FileCase("o3", "refund_only", "quality", 9900, (sha,)))
    assert "risk.evidence_reused_across_accounts" in [x["code"] for x in third.decision["risk"]["reasons"]]
    body = case_as(client, keys, "c2", third.case.case_id)
    assert leaks(body) == [] and body["platform_review"]["hours"] == 24
    assert "risk.evidence_reused_across_accounts" in json.dumps(case_as(client, keys, "operator",
                                                                       third.case.case_id))


def test_a_held_return_freight_reads_as_freight_under_platform_review(client, keys, anxin, clock) -> None:
    seed_order(anxin, order_id="o1", consumer_id="c1", services=["shipping_insurance"], signed_at=T0 + D)
    ingest_ok(anxin, [order_paid("o-addr", "c1", "s1", items=[{"listing_id": "l_o1", "qty": 1, "price_fen": 9900}],
                                 paid_fen=9900, risk={"address": "home-addr"})])
    clock.set(T0 + 2 * D)
    consumer, merchant = anxin.access.create_key("consumer", "c1")[0], anxin.access.create_key("merchant", "m1")[0]
    case = anxin.aftersales.file_case(consumer, FileCase("o1", "return_refund", "no_reason", 9900))
    anxin.aftersales.act(merchant, case.case.case_id, "approve")
    held = anxin.aftersales.act(consumer, case.case.case_id, "ship_return", data={
        "method": "self", "carrier": "sf", "tracking_no": "RT1", "freight_fen": 5000, "weight_g": 800,
        "from_address": "somewhere-else"})
    assert held.case.freight_held
    for name in ("c1", "m1"):
        body = case_as(client, keys, name, case.case.case_id)
        assert leaks(body) == [], name
        assert body["timeline"][-1]["action"] == "freight_under_review"
        assert body["timeline"][-1]["actor"] == "platform"
        assert (body["platform_review"]["subject"], body["platform_review"]["hours"]) == ("freight", 24)
    staff = case_as(client, keys, "operator", case.case.case_id)["timeline"][-1]
    assert staff["action"] == "risk_hold_freight" and staff["data"]["risk"]["reasons"]


def test_order_guarantees_say_nothing_of_the_consumer_s_credit_or_risk(client, keys, world) -> None:
    r = client.get("/v1/orders/o2/guarantees", headers=keys["c2"])
    assert r.status_code == 200
    body = json.dumps(r.json(), ensure_ascii=False)
    assert not any(w in body for w in ("risk.", "K.", "consumer_credit", "risk_verdict", "block", "unscored"))
