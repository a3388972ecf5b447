"""The risk console over HTTP: the review queue, one review, decisions that settle the case, rules (list, propose,
backtest, activation refused with the figures), bans; roles, unknown ids and bad bodies; the operator pages in
zh-CN and en with their forms (CSRF, notices, refusals re-rendered). Data comes through the real services: two
consumers filing the same photo make a block review."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from tests import catalogs
from tests.api.problems import code as problem_code
from tests.api.problems import problem
from tests.db.builders import T0, D, H, ingest_ok, seed_order, shop
from tests.db.test_risk_flow import photo

from anxin.aftersales.service import FileCase
from anxin.risk.error_codes import RiskErrorCode
from anxin.risk.service import CLEAR_REASONS, CONFIRM_REASONS, LinkInput, record_links
from anxin.web.link_graph import Attribute, Edge, Words, link_graph

pytestmark = pytest.mark.db

EVIDENCE_RULE = "K.EVIDENCE_OTHER_ACCOUNT"
DRAFT = {"id": "K.TEST_EVIDENCE", "stage": "claim", "code": "risk.test_evidence", "action": "block", "points": 100,
         "message": {"zh-CN": "带图申请", "en": "Claims with photos"},
         "when": {"fact": "evidence_count", "op": "gte", "value": 1}}


@dataclass(frozen=True)
class World:
    review_id: str
    case_id: str  # c2's case, blocked
    first_case_id: str  # c1's, filed first with the original photo
    claim_sha: str
    first_sha: str
    operator_key: str  # raw, for page sessions
    merchant_key: str


@pytest.fixture
def world(anxin, clock) -> World:
    return build_world(anxin, clock)


def build_world(anxin, clock) -> World:
    """c1 files a photo, then c2 files the same photo re-saved and resized: c2's request is blocked for review."""
    with anxin.uow_factory() as uow:  # c2 shares a device with c1 and a campus address with 30 others (a hub)
        record_links(uow, [LinkInput("consumer:c1", {"device": "dev-1", "payment": "card-1"}, T0, "test"),
                           LinkInput("consumer:c2", {"device": "dev-1", "payment": "card-2", "address": "dorm-7"},
                                     T0, "test"),
                           *(LinkInput(f"consumer:s{i}", {"address": "dorm-7"}, T0, "test") for i in range(30))])
        uow.commit()
    seed_order(anxin, order_id="o1", consumer_id="c1", signed_at=T0 + D)
    seed_order(anxin, order_id="o2", consumer_id="c2", shop_id="s2", merchant_id="m2", signed_at=T0 + D)
    clock.set(T0 + 2 * D)
    cases = []
    for cid, oid, data in (("c1", "o1", photo(1)), ("c2", "o2", photo(1, variant=1))):
        who = anxin.access.create_key("consumer", cid)[0]
        sha = anxin.aftersales.upload_evidence(who, data).sha256
        cases.append((anxin.aftersales.file_case(who, FileCase(oid, "refund_only", "quality", 9900, (sha,))), sha))
    (first, first_sha), (second, claim_sha) = cases
    assert second.case.state.value == "under_review"
    return World(review_id=second.decision["risk"]["review_id"], case_id=second.case.case_id,
                 first_case_id=first.case.case_id, claim_sha=claim_sha, first_sha=first_sha,
                 operator_key=anxin.access.create_key("operator", "ops1")[1],
                 merchant_key=anxin.access.create_key("merchant", "m1")[1])


def err(resp) -> str:
    return problem_code(resp)


# --- the queue and one review ----------------------------------------------------------------------------------

def test_the_queue_lists_the_block_review_with_counts(client, keys, world) -> None:
    r = client.get("/v1/risk/reviews", headers=keys["operator"])
    assert r.status_code == 200
    body = r.json()
    [item] = body["items"]
    assert (item["review_id"], item["case_id"], item["outcome"], item["state"]) == (
        world.review_id, world.case_id, "block", "open")
    assert item["codes"][0] == "risk.evidence_reused_across_accounts" and not item["overdue"]
    assert set(body) == {"items", "next", "limit"} and body["next"] is None
    counts = client.get("/v1/risk/review-counts", headers=keys["operator"]).json()
    assert counts == {"open": 1, "cleared": 0, "confirmed": 0, "withdrawn": 0, "overdue": 0}
    assert client.get("/v1/risk/reviews", params={"state": "decided"}, headers=keys["platform"]).json()["items"] == []
    for params in ({"state": "bogus"}, {"limit": 0}, {"limit": 501}, {"limit": "x"}):
        bad = client.get("/v1/risk/reviews", params=params, headers=keys["operator"])
        assert (bad.status_code, err(bad)) == (422, "request.invalid"), params


def test_a_review_carries_reasons_near_duplicates_links_and_audit(client, keys, world) -> None:
    r = client.get(f"/v1/risk/reviews/{world.review_id}", headers=keys["operator"])
    assert r.status_code == 200
    d = r.json()
    reason = d["verdict"]["reasons"][0]
    assert reason["rule"] == EVIDENCE_RULE and reason["compared"][0]["fact"] == "evidence_other_accounts"
    assert set(reason["message"]) == {"zh-CN", "en"}
    dup = next(s for s in d["verdict"]["signals"] if s["name"] == "evidence_near_duplicates")["evidence"]
    assert world.first_sha in [m["sha256"] for m in dup["matches"][world.claim_sha]]
    assert [c["case_id"] for c in dup["cases"]] == [world.first_case_id]
    assert d["links"]["subject"] == "consumer:c2"
    assert d["links"]["edges"] == [{"account": "consumer:c1", "kind": "device", "value": "dev-1"}]
    assert {a["value"]: a["hub"] for a in d["links"]["attributes"]}["dorm-7"] is True
    assert [a["action"] for a in d["audit"]] == ["review.opened"]
    missing = client.get("/v1/risk/reviews/rr_nope", headers=keys["operator"])
    assert (missing.status_code, err(missing)) == (404, "risk.review_not_found")


# --- deciding --------------------------------------------------------------------------------------------------

def test_confirming_closes_the_case_and_a_second_decision_conflicts(client, keys, world) -> None:
    url = f"/v1/risk/reviews/{world.review_id}/decision"
    r = client.post(url, json={"decision": "confirm", "reason": "evidence_reuse", "note": "盗用他人凭证"},
                    headers=keys["operator"])
    assert r.status_code == 200 and (r.json()["state"], r.json()["decision_reason"]) == ("confirmed", "evidence_reuse")
    case = client.get(f"/v1/aftersales/cases/{world.case_id}", headers=keys["operator"]).json()
    assert case["state"] == "closed" and case["money"]["refunded_fen"] == 0
    assert case["timeline"][-1]["action"] == "review_reject"
    again = client.post(url, json={"decision": "clear", "reason": "not_abuse"}, headers=keys["operator"])
    assert (again.status_code, err(again)) == (409, "risk.review_already_decided")
    assert client.get("/v1/risk/reviews", headers=keys["operator"]).json()["items"] == []
    confirmed = client.get("/v1/risk/reviews", params={"state": "confirmed"}, headers=keys["operator"]).json()
    assert [i["review_id"] for i in confirmed["items"]] == [world.review_id]
    audit = client.get(f"/v1/risk/reviews/{world.review_id}", headers=keys["operator"]).json()["audit"]
    assert [a["action"] for a in audit] == ["review.opened", "review.confirmed"]


def test_clearing_sends_the_case_on_to_the_merchant(client, keys, world) -> None:
    r = client.post(f"/v1/risk/reviews/{world.review_id}/decision",
                    json={"decision": "clear", "reason": "false_match"}, headers=keys["platform"])
    assert r.status_code == 200 and r.json()["state"] == "cleared"
    case = client.get(f"/v1/aftersales/cases/{world.case_id}", headers=keys["operator"]).json()
    assert case["state"] == "pending_merchant"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({}, 422, "request.invalid"),
    ({"decision": "confirm", "reason": "evidence_reuse", "note": "x", "extra": 1}, 422, "request.invalid"),
    ({"decision": 1, "reason": "evidence_reuse"}, 422, "request.invalid"),
    ({"decision": "maybe", "reason": "not_abuse"}, 422, "risk.invalid_decision"),
    ({"decision": "clear", "reason": "evidence_reuse"}, 422, "risk.invalid_reason"),
    ({"decision": "confirm", "reason": "evidence_reuse", "note": "  "}, 422, "risk.note_required"),
    ({"decision": "confirm", "reason": "evidence_reuse", "note": "x" * 2001}, 422, "risk.invalid_field"),
])
def test_bad_decisions_are_refused_and_nothing_changes(client, keys, world, body, status, code) -> None:
    r = client.post(f"/v1/risk/reviews/{world.review_id}/decision", json=body, headers=keys["operator"])
    assert (r.status_code, err(r)) == (status, code)
    assert client.get("/v1/risk/review-counts", headers=keys["operator"]).json()["open"] == 1


def test_malformed_json_and_unknown_reviews(client, keys, world) -> None:
    r = client.post(f"/v1/risk/reviews/{world.review_id}/decision", content=b"{nope",
                    headers={**keys["operator"], "Content-Type": "application/json"})
    assert (r.status_code, err(r)) == (400, "request.malformed_json")
    r = client.post("/v1/risk/reviews/rr_nope/decision", json={"decision": "clear", "reason": "not_abuse"},
                    headers=keys["operator"])
    assert (r.status_code, err(r)) == (404, "risk.review_not_found")


# --- roles -----------------------------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/v1/risk/reviews", None), ("get", "/v1/risk/review-counts", None), ("get", "/v1/risk/reviews/{rid}", None),
    ("post", "/v1/risk/reviews/{rid}/decision", {"decision": "clear", "reason": "not_abuse"}),
    ("get", "/v1/risk/rules", None), ("post", "/v1/risk/rules", DRAFT),
    ("post", f"/v1/risk/rules/{EVIDENCE_RULE}/status", {"status": "shadow"}),
    ("post", "/v1/risk/backtest", {"rule_id": EVIDENCE_RULE}), ("post", "/v1/risk/bans", {"shop_id": "s1",
                                                                                           "reason": "fake"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_merchants_and_consumers_are_refused_and_strangers_must_sign_in(client, keys, world, method, path,
                                                                       body) -> None:
    url = path.format(rid=world.review_id)
    for name in ("m1", "c2"):
        r = client.request(method, url, json=body, headers=keys[name])
        assert (r.status_code, err(r)) == (403, "risk.forbidden_role"), name
    r = client.request(method, url, json=body)
    assert (r.status_code, err(r)) == (401, "access.unauthenticated")
    assert client.get("/v1/risk/review-counts", headers=keys["operator"]).json()["open"] == 1


# --- rules -----------------------------------------------------------------------------------------------------

def test_rules_list_propose_and_refused_activation_with_the_figures(client, keys, world) -> None:
    listed = client.get("/v1/risk/rules", headers=keys["operator"]).json()
    assert listed["version"] and listed["mode"] == "enforce"
    rule = next(r for r in listed["rules"] if r["id"] == EVIDENCE_RULE)
    assert (rule["status"], rule["action"], rule["draft"]) == ("live", "block", False)

    r = client.post("/v1/risk/rules", json=DRAFT, headers=keys["operator"])
    assert r.status_code == 201 and r.json()["status"] == "shadow"
    assert (r.json()["backtest"]["requests"], r.json()["backtest"]["fired"]) == (2, 2)
    draft = next(x for x in client.get("/v1/risk/rules", headers=keys["operator"]).json()["rules"]
                 if x["id"] == DRAFT["id"])
    assert (draft["status"], draft["draft"], draft["backtest"]["fired"]) == ("shadow", True, 2)
    again = client.post("/v1/risk/rules", json=DRAFT, headers=keys["operator"])  # the id is taken now
    assert (again.status_code, err(again)) == (422, "risk.invalid_rule")

    live = client.post(f"/v1/risk/rules/{DRAFT['id']}/status", json={"status": "live"}, headers=keys["operator"])
    assert (live.status_code, err(live)) == (409, "risk.rule_blocks_too_many")
    figures = problem(live)["backtest"]
    assert (figures["fired"], figures["fired_per_10k"], figures["days"]) == (2, 10_000, 30) and figures["refusal"]
    for status in ("off", "shadow"):
        ok = client.post(f"/v1/risk/rules/{DRAFT['id']}/status", json={"status": status}, headers=keys["operator"])
        assert ok.status_code == 200 and ok.json()["status"] == status
    review = {**DRAFT, "id": "K.TEST_REVIEW", "action": "review"}
    assert client.post("/v1/risk/rules", json=review, headers=keys["operator"]).status_code == 201
    refused = client.post("/v1/risk/rules/K.TEST_REVIEW/status", json={"status": "live"}, headers=keys["operator"])
    assert (refused.status_code, err(refused)) == (409, "risk.rule_reviews_too_many")


@pytest.mark.parametrize(("path", "body", "status", "code"), [
    ("/v1/risk/rules", [1, 2], 422, "request.invalid"),
    ("/v1/risk/rules", {"id": "K.X"}, 422, "risk.invalid_rule"),
    ("/v1/risk/rules", {**DRAFT, "when": {"fact": "nope", "op": "gte", "value": 1}}, 422, "risk.invalid_rule"),
    (f"/v1/risk/rules/{EVIDENCE_RULE}/status", {"status": "maybe"}, 422, "risk.invalid_status"),
    (f"/v1/risk/rules/{EVIDENCE_RULE}/status", {}, 422, "request.invalid"),
    ("/v1/risk/rules/K.NOPE/status", {"status": "off"}, 404, "risk.rule_not_found"),
    ("/v1/risk/backtest", {}, 422, "request.invalid"),
    ("/v1/risk/backtest", {"rule_id": EVIDENCE_RULE, "definition": DRAFT}, 422, "request.invalid"),
    ("/v1/risk/backtest", {"rule_id": EVIDENCE_RULE, "days": 0}, 422, "risk.invalid_field"),
    ("/v1/risk/backtest", {"rule_id": EVIDENCE_RULE, "days": "30"}, 422, "request.invalid"),
    ("/v1/risk/backtest", {"rule_id": "K.NOPE"}, 404, "risk.rule_not_found"),
    ("/v1/risk/backtest", {"definition": {"id": "K.X"}}, 422, "risk.invalid_rule"),
    ("/v1/risk/bans", {}, 422, "request.invalid"),
    ("/v1/risk/bans", {"shop_id": "", "reason": "fake"}, 422, "risk.invalid_field"),
    ("/v1/risk/bans", {"shop_id": "s1", "reason": " "}, 422, "risk.note_required"),
    ("/v1/risk/bans", {"shop_id": "s-unknown", "reason": "fake"}, 404, "risk.shop_not_found"),
])
def test_bad_rule_backtest_and_ban_bodies(client, keys, world, path, body, status, code) -> None:
    r = client.post(path, json=body, headers=keys["operator"])
    assert (r.status_code, err(r)) == (status, code), r.json()
    if code == "risk.invalid_rule":
        assert problem(r)["problems"]


def test_backtests_by_rule_and_by_definition(client, keys, world) -> None:
    r = client.post("/v1/risk/backtest", json={"rule_id": EVIDENCE_RULE}, headers=keys["operator"])
    assert r.status_code == 200
    assert (r.json()["rule_id"], r.json()["requests"], r.json()["fired"], r.json()["days"]) == (
        EVIDENCE_RULE, 2, 1, 30)
    r = client.post("/v1/risk/backtest", json={"definition": DRAFT, "days": 7}, headers=keys["operator"])
    assert r.status_code == 200 and (r.json()["fired"], r.json()["days"]) == (2, 7)
    assert client.get("/v1/risk/rules", headers=keys["operator"]).json()["rules"][-1]["id"] != DRAFT["id"]


def test_banning_a_shop(anxin, client, keys, world) -> None:
    ingest_ok(anxin, [shop("s9", "m9", credentials={"licence": "LIC-9", "phone": "138-9"})])
    r = client.post("/v1/risk/bans", json={"shop_id": "s9", "reason": "counterfeit seller"}, headers=keys["operator"])
    assert r.status_code == 201 and sorted(r.json()["credentials"]) == ["licence", "phone"]
    again = client.post("/v1/risk/bans", json={"shop_id": "s9", "reason": "again"}, headers=keys["operator"])
    assert (again.status_code, err(again)) == (409, "risk.already_banned")


# --- pages -----------------------------------------------------------------------------------------------------

def signed_in(app, key: str, lang: str = "zh-CN") -> TestClient:
    client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page should carry a form token"
    return found.group(1)


def code_of(html: str) -> str | None:
    found = re.search(r'class="error" role="alert" data-code="([^"]+)"', html)
    return found.group(1) if found else None


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ("风险审核队列", "拦截", "凭证图片与其他账号提交过的图片高度相似", "剩余 4 小时")),
    ("en", ("Risk review queue", "Block", "An evidence photo nearly matches one filed by another account",
            "4 h left")),
])
def test_the_queue_page_in_both_languages(app, world, lang, words) -> None:
    r = signed_in(app, world.operator_key, lang).get("/ops/risk")
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    assert all(w in r.text for w in words), [w for w in words if w not in r.text]
    assert f'href="/ops/risk/reviews/{world.review_id}"' in r.text and 'data-count="1"' in r.text
    assert 'href="/ops/risk" data-testid="nav-risk"' in r.text and 'href="/ops/risk?lang=' in r.text
    assert 'rel="stylesheet" href="/static/risk.css"' in r.text and "<script" not in r.text


def test_an_overdue_review_is_highlighted(app, world, clock) -> None:
    clock.set(T0 + 2 * D + 5 * H)  # the block SLA is 4 h
    page = signed_in(app, world.operator_key, "en").get("/ops/risk").text
    assert 'class="overdue"' in page and "overdue by 1 h" in page
    assert 'data-testid="overdue-count" data-count="1"' in page


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ("风险审核单", "凭证比对", "汉明距离", "关联账号", "枢纽", "审计记录", "确认恶意并驳回", "平台审核中")),
    ("en", ("Risk review", "Evidence comparison", "Hamming distance", "Linked accounts", "hub", "Audit trail",
            "Confirm abuse and refuse", "Under platform review")),
])
def test_the_review_page_in_both_languages(app, world, lang, words) -> None:
    r = signed_in(app, world.operator_key, lang).get(f"/ops/risk/reviews/{world.review_id}")
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    assert all(w in r.text for w in words), [w for w in words if w not in r.text]
    page = r.text
    assert f'src="/evidence/{world.claim_sha}"' in page and f'src="/evidence/{world.first_sha}"' in page
    assert f'data-case="{world.first_case_id}"' in page  # the matched image's case, beside it
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="link-graph"' in page and 'role="img"' in page
    assert 'data-account="consumer:c1"' in page and 'data-hub="true"' in page  # the table fallback too
    assert page.count('name="csrf"') == 2 and 'data-testid="timeline"' in page


def test_thumbnails_are_served_to_the_operators_session(app, world) -> None:
    client = signed_in(app, world.operator_key)
    for sha in (world.claim_sha, world.first_sha):
        r = client.get(f"/evidence/{sha}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/")
        assert client.get(f"/v1/evidence/{sha}").status_code == 401  # the API takes bearer keys only


def test_deciding_through_the_form(app, anxin, world) -> None:
    client = signed_in(app, world.operator_key, "en")
    url = f"/ops/risk/reviews/{world.review_id}"
    token = csrf_of(client.get(url).text)
    no_token = client.post(f"{url}/decision", data={"decision": "confirm", "reason": "evidence_reuse", "note": "x"})
    assert no_token.status_code == 403 and code_of(no_token.text) == "request.form_token_invalid"
    no_note = client.post(f"{url}/decision", data={"csrf": token, "decision": "confirm", "reason": "extortion"})
    assert no_note.status_code == 422 and code_of(no_note.text) == "risk.note_required"
    assert '<option value="extortion" selected>' in no_note.text  # the form keeps what was chosen
    done = client.post(f"{url}/decision", data={"csrf": token, "decision": "confirm", "reason": "evidence_reuse",
                                                "note": "same photo as c1's <case>"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{url}?decided=confirm"
    page = client.get(done.headers["location"]).text
    assert 'data-testid="decided"' in page and "The case is now: Closed." in page
    assert "same photo as c1&#39;s &lt;case&gt;" in page and 'data-testid="decide"' not in page
    assert anxin.aftersales.get_case(anxin.access.authenticate(world.operator_key), world.case_id).case.state.value \
        == "closed"
    twice = client.post(f"{url}/decision", data={"csrf": token, "decision": "clear", "reason": "not_abuse"})
    assert twice.status_code == 409 and code_of(twice.text) == "risk.review_already_decided"


def test_pages_refuse_other_roles_and_unknown_reviews(app, world) -> None:
    merchant = signed_in(app, world.merchant_key)
    for path in ("/ops/risk", f"/ops/risk/reviews/{world.review_id}", "/ops/risk/rules"):
        r = merchant.get(path)
        assert r.status_code == 403 and code_of(r.text) == "access.forbidden_role", path
    r = signed_in(app, world.operator_key, "en").get("/ops/risk/reviews/rr_nope")
    assert r.status_code == 404 and code_of(r.text) == "risk.review_not_found" and "Risk review not found." in r.text
    anonymous = TestClient(app).get("/ops/risk", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ("风险规则", "生效", "上线", "新增规则草稿", "回测此定义")),
    ("en", ("Risk rules", "Live", "Go live", "Propose a draft rule", "Backtest this definition")),
])
def test_the_rules_page_in_both_languages(app, world, lang, words) -> None:
    r = signed_in(app, world.operator_key, lang).get("/ops/risk/rules")
    assert r.status_code == 200 and all(w in r.text for w in words), [w for w in words if w not in r.text]
    assert f'id="rule-{EVIDENCE_RULE}"' in r.text and "evidence_other_accounts" in r.text


def test_rules_forms_propose_backtest_and_show_a_refusal_with_figures(app, world) -> None:
    import json

    client = signed_in(app, world.operator_key, "en")
    token = csrf_of(client.get("/ops/risk/rules").text)
    bad = client.post("/ops/risk/rules", data={"csrf": token, "definition": "{not json"})
    assert bad.status_code == 422 and code_of(bad.text) == "risk.invalid_rule" and 'data-testid="problems"' in bad.text
    assert "{not json</textarea>" in bad.text
    tested = client.post("/ops/risk/rules/backtest", data={"csrf": token, "definition": json.dumps(DRAFT),
                                                           "days": "30"})
    assert tested.status_code == 200 and 'data-testid="result"' in tested.text and 'data-fired="2"' in tested.text
    bad_days = client.post("/ops/risk/rules/backtest", data={"csrf": token, "rule_id": EVIDENCE_RULE, "days": "x"})
    assert bad_days.status_code == 422 and code_of(bad_days.text) == "risk.invalid_field"
    done = client.post("/ops/risk/rules", data={"csrf": token, "definition": json.dumps(DRAFT)},
                       follow_redirects=False)
    assert done.status_code == 303 and "proposed=K.TEST_EVIDENCE" in done.headers["location"]
    page = client.get(done.headers["location"]).text
    assert "Draft rule K.TEST_EVIDENCE proposed" in page and 'data-rule="K.TEST_EVIDENCE" data-status="shadow"' in page
    refused = client.post("/ops/risk/rules/K.TEST_EVIDENCE/status", data={"csrf": token, "status": "live"})
    assert refused.status_code == 409 and code_of(refused.text) == "risk.rule_blocks_too_many"
    assert 'data-testid="refusal"' in refused.text and "100.00 %" in refused.text
    off = client.post("/ops/risk/rules/K.TEST_EVIDENCE/status", data={"csrf": token, "status": "off"},
                      follow_redirects=False)
    assert off.status_code == 303
    assert "Rule K.TEST_EVIDENCE is now Off." in client.get(off.headers["location"]).text


# --- the catalog and the graph ---------------------------------------------------------------------------------

def test_the_catalog_covers_every_risk_code_and_reason() -> None:
    wanted = ([f"err.{c.value}" for c in RiskErrorCode] + [f"rk.reason.{r}" for r in (*CLEAR_REASONS,
                                                                                      *CONFIRM_REASONS)]
              + [f"rk.{family}.{v}" for family, values in (("outcome", ("pass", "review", "block")),
                                                           ("state", ("open", "decided", "cleared", "confirmed",
                                                                      "withdrawn")),
                                                           ("status", ("live", "shadow", "off")),
                                                           ("stage", ("claim", "return", "onboarding")))
                 for v in values])
    assert sorted(k for k in wanted if k not in catalogs.ZH or k not in catalogs.EN) == []


def test_the_graph_is_deterministic_escaped_and_leaves_hubs_unexpanded() -> None:
    attrs = [Attribute("device", "d<1>"), Attribute("address", "campus", hub=True)]
    edges = [Edge("consumer:c9", "device", "d<1>"), Edge("consumer:c8", "address", "campus")]
    words = Words(title="T", desc="D")
    svg = link_graph("consumer:c1", attrs, edges, words, ring=frozenset({"consumer:c9"}))
    assert svg == link_graph("consumer:c1", list(reversed(attrs)), list(reversed(edges)), words,
                             ring=frozenset({"consumer:c9"}))
    assert "d&lt;1&gt;" in svg and "d<1>" not in svg
    assert 'data-account="consumer:c9"' in svg and 'class="lg-account lg-ring"' in svg
    assert "consumer:c8" not in svg  # an account only reached through a hub is not drawn
    many = [Edge(f"consumer:x{i:02d}", "device", "d<1>") for i in range(45)]
    assert ">+5<" in link_graph("consumer:c1", attrs, many, words)


def test_credential_reads_are_rate_watched_and_a_blocked_reader_gets_429(anxin, client, keys):
    with anxin.uow_factory() as uow:
        record_links(uow, [LinkInput(f"shop:cs{i}", {"licence": f"L{i}"}, T0, "t") for i in range(61)])
        uow.commit()
    for i in range(60):
        response = client.get(f"/v1/risk/shops/cs{i}/credentials", headers=keys["operator"])
        if response.status_code == 429:
            break
    assert response.status_code == 429 and problem_code(response) == "risk.access_blocked"
    assert i == 59
    assert client.get("/v1/risk/shops/cs0/credentials", headers=keys["m1"]).status_code == 403
