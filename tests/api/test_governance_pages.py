"""The governance pages over HTTP: the merchant's page (points, ladder, measures with time left, violations with
readable evidence, appeals, the appeal form) and the operators' console (appeals by SLA with their decision,
violations with their trace, listing findings, IP complaints, inspection plans and results), in zh-CN and en; who
may see what (403 for other roles, 404 for another merchant's shop), the CSRF token, and an appeal filed by the
merchant and upheld by an operator, after which the violation is reversed and the platform action lifting its
measure is issued. Data comes through the real use cases."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from tests import catalogs
from tests.db.builders import category, ingest_ok, listing, shop
from tests.governance_world import OPERATOR, GovWorld, seed_governance

from anxin.governance import ip_rules, ladder
from anxin.governance.error_codes import GovernanceErrorCode
from anxin.governance.model import ALL_KINDS, MEASURE_STATES
from anxin.governance.queries import VIOLATION_STATES
from anxin.web.auth import COOKIE
from anxin.web.render import csrf_token

pytestmark = pytest.mark.db


@pytest.fixture
def gov(anxin) -> GovWorld:
    ingest_ok(anxin, [category("home", tags=["home"]), shop("s1", "m1", name="安心杯具店"), shop("s2", "m2"),
                      listing("l1", "s1", "home", title="陶瓷马克杯"), listing("l2", "s1", "home", title="骨瓷杯"),
                      listing("l3", "s2", "home", title="Towel")])
    return seed_governance(anxin, shop_id="s1", merchant_id="m1", appeal=False)


def signed_in(app, anxin, role: str, subject: str, lang: str = "zh-CN") -> TestClient:
    key = anxin.access.create_key(role, subject)[1]
    client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "the page should carry a form token"
    return found.group(1)


def visible(page: str) -> str:
    """The words a person reads: no markup, no ids shown as code, no titles of SVG figures."""
    body = page.split("<main", 1)[-1]
    body = re.sub(r"<(code|svg|title|desc)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


RAW = re.compile(r"(?<![\w.])(?:governance\.[a-z_.]+|gv\.[a-z_.]+|err\.[a-z_.]+|fake_shipment|false_advertising|"
                 r"aftersales_obstruction|listing_takedown|needs_review|awaiting_counter_notice|traffic_limit)(?![\w])")


def no_raw(page: str) -> None:
    assert RAW.findall(visible(page)) == []


@pytest.mark.parametrize(("lang", "words"), [
    ("zh-CN", ["店铺治理", "一般违规", "严重违规", "虚假发货", "阻碍售后", "虚假宣传", "警告", "下架商品", "还剩",
               "注意：距下一节点", "宣传用语「全网最低」", "订单", "可申诉", "提出申诉", "直至解除"]),
    ("en", ["Shop governance", "General", "Severe", "Fake shipment", "After-sales obstruction", "False advertising",
            "Warning", "Listing taken down", "left", "Caution: only", "The claim “全网最低”", "Order", "Appealable",
            "Appeal this violation", "Until lifted"])])
def test_the_merchants_page_shows_points_ladder_measures_and_evidence(app, anxin, gov, lang, words) -> None:
    client = signed_in(app, anxin, "merchant", "m1", lang)
    listing_page = client.get("/merchant/governance")
    assert listing_page.status_code == 200 and "/merchant/governance/s1" in listing_page.text
    r = client.get("/merchant/governance/s1")
    assert r.status_code == 200, r.text
    assert [w for w in words if w not in visible(r.text)] == []
    assert 'class="gv-ladder"' in r.text and 'data-testid="countdown"' in r.text
    assert 'data-testid="caution-general"' in r.text  # 10 of 12 points: within the caution distance (5)
    assert r.text.count('data-testid="appeal-form"') == 3
    assert "<script" not in r.text and "cdn" not in r.text.lower()
    assert 'data-testid="decisions"' not in r.text and "GOV.KIND" not in r.text  # no decision trace for merchants
    no_raw(r.text)
    assert 'href="/merchant/governance"' in client.get("/merchant/cases").text  # in the merchant navigation


def test_roles_and_isolation(app, anxin, gov) -> None:
    anonymous = TestClient(app, raise_server_exceptions=False)
    assert anonymous.get("/merchant/governance/s1", follow_redirects=False).status_code == 303
    consumer = signed_in(app, anxin, "consumer", "c1")
    assert consumer.get("/merchant/governance").status_code == 403
    assert consumer.get("/ops/governance").status_code == 403
    merchant = signed_in(app, anxin, "merchant", "m1")
    for path in ("/ops/governance", "/ops/governance/violations", "/ops/governance/findings", "/ops/governance/ip",
                 "/ops/governance/inspections", f"/ops/governance/violations/{gov.advertising}"):
        assert merchant.get(path).status_code == 403, path
    other = signed_in(app, anxin, "merchant", "m2")
    r = other.get("/merchant/governance/s1")
    assert r.status_code == 404 and "安心杯具店" not in r.text and gov.advertising not in r.text
    post = other.post("/merchant/governance/s1/appeals", data={
        "csrf": csrf_token(other.cookies.get(COOKIE)), "violation_id": gov.advertising,
        "statement": "x" * 20})
    assert post.status_code == 404
    operator = signed_in(app, anxin, "operator", "ops1")
    assert operator.get("/merchant/governance/s1").status_code == 200  # operators read any shop's page
    assert 'data-testid="appeal-form"' not in operator.get("/merchant/governance/s1").text


def test_a_form_without_the_token_is_refused(app, anxin, gov) -> None:
    merchant = signed_in(app, anxin, "merchant", "m1")
    r = merchant.post("/merchant/governance/s1/appeals", data={"violation_id": gov.advertising,
                                                               "statement": "x" * 20}, follow_redirects=False)
    assert r.status_code == 403 and 'data-code="request.form_token_invalid"' in r.text
    operator = signed_in(app, anxin, "operator", "ops1")
    r = operator.post("/ops/governance/inspections", data={"period": "2026-09", "seed": "1"})
    assert r.status_code == 403
    assert anxin.governance.appeals.queue(OPERATOR) == []


def test_an_appeal_filed_on_the_page_and_upheld_by_an_operator_lifts_the_measure(app, anxin, gov) -> None:
    merchant = signed_in(app, anxin, "merchant", "m1")
    page = merchant.get("/merchant/governance/s1").text
    short = merchant.post("/merchant/governance/s1/appeals", data={
        "csrf": csrf_of(page), "violation_id": gov.advertising, "statement": "不对"})
    assert short.status_code == 422 and "申诉内容不符合要求" in short.text and "申诉说明的字数不符合要求" in short.text
    assert "不对" in short.text  # what was typed stays in the form
    r = merchant.post("/merchant/governance/s1/appeals", data={
        "csrf": csrf_of(page), "violation_id": gov.advertising, "statement": "这是消费者评价的引用，并非我们的宣传。",
        "evidence": "up-1\nup-2", "evidence_kind": "image"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/merchant/governance/s1?appealed=")
    shown = merchant.get(r.headers["location"]).text
    assert 'data-testid="appeal-filed"' in shown and "第 1 次申诉" in shown and "待处理" in visible(shown)
    again = merchant.post("/merchant/governance/s1/appeals", data={
        "csrf": csrf_of(page), "violation_id": gov.advertising, "statement": "再申诉一次，请尽快处理。"})
    assert again.status_code == 409 and "该违规已有申诉正在处理" in again.text
    [appeal] = anxin.governance.appeals.queue(OPERATOR, state="submitted")
    assert [e["ref"] for e in appeal["evidence"]] == ["up-1", "up-2"]

    operator = signed_in(app, anxin, "operator", "ops1", "en")
    queue = operator.get("/ops/governance")
    assert queue.status_code == 200 and appeal["appeal_id"] in queue.text and "left" in visible(queue.text)
    no_raw(queue.text)
    detail = operator.get(f"/ops/governance/appeals/{appeal['appeal_id']}")
    assert detail.status_code == 200 and "Uphold" in detail.text and "The claim “全网最低”" in visible(detail.text)
    bad = operator.post(f"/ops/governance/appeals/{appeal['appeal_id']}/decision",
                        data={"csrf": csrf_of(detail.text), "outcome": "upheld", "abusive": "1"})
    assert bad.status_code == 422 and "Invalid decision" in bad.text
    done = operator.post(f"/ops/governance/appeals/{appeal['appeal_id']}/decision",
                         data={"csrf": csrf_of(detail.text), "outcome": "upheld", "note": "quoted review"},
                         follow_redirects=False)
    assert done.status_code == 303
    assert "Appeal upheld" in operator.get(done.headers["location"]).text

    violation = anxin.governance.queries.violation(OPERATOR, gov.advertising)
    assert violation["state"] == "reversed"
    [measure] = violation["measures"]
    assert measure["type"] == "listing_takedown" and measure["state"] == "reversed" and measure["lift_action_ids"]
    lifts = anxin.actions.list(OPERATOR, target="listing:l1")
    assert {(a["kind"], a["cause"]["type"]) for a in lifts} >= {("listing.takedown", "governance.measure"),
                                                                 ("listing.restore", "governance.lift")}
    trace = operator.get(f"/ops/governance/violations/{gov.advertising}").text
    assert "governance-2026.12" in trace and "Reversed" in trace and measure["lift_action_ids"][0] in trace
    after = merchant.get("/merchant/governance/s1").text
    assert "申诉成功" in visible(after) and "已撤销" in visible(after)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_console_tabs_render_and_their_forms_work(app, anxin, gov, lang) -> None:
    operator = signed_in(app, anxin, "operator", "ops1", lang)
    assert 'href="/ops/governance"' in operator.get("/ops/cases").text  # in the operator navigation
    for path in ("/ops/governance", "/ops/governance?state=all", "/ops/governance/violations",
                 f"/ops/governance/violations/{gov.fake_shipment}", "/ops/governance/findings",
                 "/ops/governance/ip?state=all", f"/ops/governance/ip/{gov.complaint_id}",
                 "/ops/governance/inspections", f"/ops/governance/inspections/{gov.plan_id}"):
        r = operator.get(path)
        assert r.status_code == 200, (path, r.text[:400])
        no_raw(r.text)
    trace = operator.get(f"/ops/governance/violations/{gov.fake_shipment}").text
    assert "GOV.KIND.fake_shipment" in trace or "GOV.MEASURE" in trace
    assert operator.get("/ops/governance/violations/nope").status_code == 404
    assert operator.get("/ops/governance/inspections/nope").status_code == 404

    # a listing finding confirmed: a false-advertising violation of that listing
    findings = operator.get("/ops/governance/findings").text
    assert gov.finding_id is not None and gov.finding_id in findings
    r = operator.post(f"/ops/governance/findings/{gov.finding_id}/decision",
                      data={"csrf": csrf_of(findings), "decision": "confirm"}, follow_redirects=False)
    assert r.status_code == 303, re.findall(r'data-code="[^"]+"|<div class="muted">.*?</div>', r.text, flags=re.S)
    assert anxin.governance.listings.findings(OPERATOR, state="confirmed")[0]["violation_id"]

    # an IP complaint cannot be decided inside the merchant's window: the error in words
    ip = operator.get(f"/ops/governance/ip/{gov.complaint_id}").text
    r = operator.post(f"/ops/governance/ip/{gov.complaint_id}/decision",
                      data={"csrf": csrf_of(ip), "outcome": "upheld", "reason": "infringement_confirmed"})
    assert r.status_code == 409 and 'data-code="governance.ip_window_open"' in r.text
    assert ("反通知期尚未结束" if lang == "zh-CN" else "counter-notice window is still open") in r.text

    # a plan created on the page; a sample failed with a defect records a violation and shows in the report
    plans = operator.get("/ops/governance/inspections").text
    bad = operator.post("/ops/governance/inspections", data={"csrf": csrf_of(plans), "period": "2026-09",
                                                             "seed": "seven"})
    assert bad.status_code == 422 and 'data-code="governance.invalid_plan"' in bad.text
    made = operator.post("/ops/governance/inspections", data={"csrf": csrf_of(plans), "period": "2026-09",
                                                              "seed": "11"}, follow_redirects=False)
    assert made.status_code == 303
    plan_page = operator.get(made.headers["location"]).text
    sample = re.search(r'data-sample="([^"]+)" data-state="pending"', plan_page)
    assert sample, plan_page[:500]
    action = re.search(r'action="(/ops/governance/inspections/[^"]+/samples/' + re.escape(sample.group(1)) +
                       r'/result)"', plan_page)
    assert action
    r = operator.post(html.unescape(action.group(1)), data={"csrf": csrf_of(plan_page), "outcome": "failed",
                                                            "defect": ["label", "quality"], "detail": "标签缺失"},
                      follow_redirects=False)
    assert r.status_code == 303
    after = operator.get(r.headers["location"]).text
    assert 'data-state="failed"' in after and "100" in after and 'class="chart' in after
    failed = re.search(r'data-sample="' + re.escape(sample.group(1)) + r'".*?/ops/governance/violations/([^"]+)"',
                       after, flags=re.S)
    assert failed and anxin.governance.queries.violation(OPERATOR, failed.group(1))["kind"] == "low_quality_product"


def test_every_governance_code_has_words_in_both_languages() -> None:
    wanted = ([f"err.{c.value}" for c in GovernanceErrorCode] + [f"gv.kind.{k}" for k in ALL_KINDS]
              + [f"gv.class.{c}" for c in ladder.CLASSES] + [f"gv.measure_state.{s}" for s in MEASURE_STATES]
              + [f"gv.violation_state.{s}" for s in VIOLATION_STATES] + [f"gv.ip_state.{s}" for s in ip_rules.STATES]
              + [f"gv.reason.{r}" for r in (ladder.NODE_CROSSED, ladder.CAUTION, ladder.WEAKER_THAN_ACTIVE,
                                             ladder.EXTENDED, ladder.ALREADY_ACTIVE, ladder.SUPERSEDED,
                                             ladder.KIND_MEASURE, ladder.OTHER_SUBJECT)])
    assert sorted(k for k in wanted if k not in catalogs.ZH or k not in catalogs.EN) == []


def test_every_measure_type_and_listing_reason_of_the_rulebook_has_words(anxin) -> None:
    rb = anxin.governance.rulebook
    wanted = [f"gv.measure.{m.type}" for m in rb.catalogue.measures.values()]
    wanted += [g.reason for g in rb.listing_terms.groups]
    wanted += [f"gv.ip.reason.{r}" for o in ("upheld", "rejected")
               for r in getattr(rb.ip_complaints.spec.decision.reasons, o)]
    assert sorted(k for k in wanted if k not in catalogs.ZH or k not in catalogs.EN) == []


def test_a_blocked_listing_records_its_violation_through_the_real_ledger(app, anxin, gov) -> None:
    # false_advertising is scored by severity: a listing check's violation carries one (it was refused without)
    ingest_ok(anxin, [listing("l9", "s1", "home", title="全网最好的马克杯")])
    found = [x for x in anxin.governance.queries.list(OPERATOR, shop_id="s1") if x["subject"] == "listing:l9"]
    assert found and found[0]["severity"] == "minor" and found[0]["source"]["type"] == "governance.listing_check"
    page = signed_in(app, anxin, "merchant", "m1").get("/merchant/governance/s1").text
    assert "“最好”" in visible(page) or "「最好」" in visible(page) or "全网最好" in visible(page)


def test_the_actions_page_words_every_governance_measure_and_its_lift(anxin) -> None:
    ids = [r for m in anxin.governance.rulebook.catalogue.measures.values()
           for r in (m.rule_id, f"GOV.LIFT.{m.id}")]
    assert sorted(f"act.rule.{r}" for r in ids if f"act.rule.{r}" not in catalogs.ZH
                  or f"act.rule.{r}" not in catalogs.EN) == []
