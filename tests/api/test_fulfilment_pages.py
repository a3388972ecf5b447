"""The fulfilment pages over HTTP: the shop page in both languages, merchant isolation, the window parameter, the
Hall's delivery panel and notices, escaping, and the catalog entries the pages need."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests import catalogs
from tests.browser.world import seed_fulfilment

from anxin.core.money import format_fen
from anxin.fulfilment import eta
from anxin.fulfilment.detectors import KINDS
from anxin.fulfilment.error_codes import FulfilmentErrorCode
from anxin.fulfilment.pages import points_text
from anxin.orders import promise
from anxin.web import i18n
from anxin.web.delivery_panel import evidence_text, order_panel

pytestmark = pytest.mark.db

SHOP = "/merchant/shops/s1/fulfilment"
METRICS = ("collected_within_24h", "collected_within_36h", "collected_within_48h", "shipped_within_48h",
           "avg_payment_to_collection_seconds", "avg_collection_to_signoff_seconds", "exception_rate")


@pytest.fixture
def world(anxin):
    return seed_fulfilment(anxin)



def signed_in(app, key: str, lang: str = "zh-CN") -> TestClient:
    client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    return client


def code_of(html: str) -> str | None:
    found = re.search(r'class="error" role="alert" data-code="([^"]+)"', html)
    return found.group(1) if found else None


def report_of(anxin, key: str, shop_id: str = "s1", days: int = 30) -> dict:
    return anxin.fulfilment.shop_report(anxin.access.authenticate(key), shop_id, days=days)


# --- the shop page -------------------------------------------------------------------------------------------

def test_the_shop_page_in_chinese(app, anxin, world) -> None:
    r = signed_in(app, world.merchant).get(SHOP)
    assert r.status_code == 200 and '<html lang="zh-CN"' in r.text
    page = r.text
    assert "履约表现" in page and "安心果园旗舰店" in page and "24 小时揽收率" in page
    assert 'class="chart chart-line"' in page and 'class="chart chart-bar"' in page  # offline SVG, no script
    assert page.count('class="chart-data"') == 2  # each chart's numbers as a table too
    assert all(f'data-metric="{m}"' in page for m in METRICS)
    assert all(catalogs.ZH[f"fkind.{k}"] in page for k in KINDS)  # every kind by name, zero or not
    report = report_of(anxin, world.merchant)
    late = report["late_shipments"]
    assert format_fen(late["coupon_fen"]) in page and late["coupon_fen"] > 0
    assert f'data-late="points">{points_text(late["points"])}<' in page
    assert f"今日扣分 {points_text(late['points_today'])}（上限 {points_text(late['day_cap'])}）" in page
    assert f"本周扣分 {points_text(late['points_this_week'])}（上限 {points_text(late['week_cap'])}）" in page
    for f in report["recent_findings"]:
        assert f'data-finding="{f["finding_id"]}"' in page and f["rule_id"] in page
    assert f"v{report['rulebook_version']}" in page
    assert "<script" not in page


def test_the_shop_page_in_english_keeps_the_window_when_switching(app, world) -> None:
    r = signed_in(app, world.merchant, "en").get(SHOP, params={"days": 7})
    assert r.status_code == 200 and '<html lang="en"' in r.text
    assert "Collected within 24 h" in r.text and "Late-shipment consequences" in r.text
    assert all(catalogs.EN[f"fkind.{k}"] in r.text for k in KINDS)
    assert re.search(r'aria-current="page">7 days<', r.text)
    switch = re.search(r'href="([^"]+)"[^>]*data-testid="lang-switch"', r.text)
    assert switch and "days=7" in switch.group(1) and "lang=zh-CN" in switch.group(1)


@pytest.mark.parametrize("days", ["7", "30", "90"])
def test_each_window_renders(app, world, days: str) -> None:
    r = signed_in(app, world.merchant).get(SHOP, params={"days": days})
    assert r.status_code == 200 and f'aria-current="page">{days} 天<' in r.text


@pytest.mark.parametrize("days", ["5", "0", "-7", "abc", "7.5", "", "３０", "9" * 5000, "<b>7</b>"])
def test_a_bad_window_is_an_error_page_never_a_500(app, world, days: str) -> None:
    r = signed_in(app, world.merchant).get(SHOP, params={"days": days})
    assert r.status_code == 422 and code_of(r.text) == "fulfilment.invalid_window"
    assert "7、30 或 90" in r.text and "<b>7</b>" not in r.text


def test_a_merchant_sees_only_their_own_shops(app, world) -> None:
    client = signed_in(app, world.merchant)
    theirs, unknown = client.get("/merchant/shops/s2/fulfilment"), client.get("/merchant/shops/nope/fulfilment")
    assert theirs.status_code == unknown.status_code == 404
    assert code_of(theirs.text) == code_of(unknown.text) == "fulfilment.shop_not_found"
    assert "Other Shop" not in theirs.text
    assert signed_in(app, world.other_merchant).get("/merchant/shops/s2/fulfilment").status_code == 200


def test_other_roles_and_strangers(app, world) -> None:
    assert signed_in(app, world.consumer).get(SHOP).status_code == 403
    assert signed_in(app, world.operator).get(SHOP).status_code == 403  # operators have their own address
    r = TestClient(app).get(SHOP, params={"days": 7}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_operators_see_any_shop_and_reach_its_orders(app, world) -> None:
    client = signed_in(app, world.operator)
    assert client.get("/ops/shops/s2/fulfilment").status_code == 200
    page = client.get("/ops/shops/s1/fulfilment").text
    assert 'href="/hall/orders/o_late"' in page
    assert signed_in(app, world.merchant).get("/ops/shops/s1/fulfilment").status_code == 403


def test_the_case_list_links_the_merchants_own_shops(app, world) -> None:
    page = signed_in(app, world.merchant).get("/merchant/cases").text
    assert 'href="/merchant/shops/s1/fulfilment"' in page and "/merchant/shops/s2/" not in page


def test_names_and_evidence_are_escaped(app, anxin, world) -> None:
    result = anxin.ingestion.ingest([{"id": "shop-1b", "type": "shop.upserted", "occurred_at": "2026-11-02T01:00:00Z",
                                      "data": {"shop_id": "s1", "merchant_id": "m1", "name": "<i>小店</i>",
                                               "store_type": "enterprise", "services": ["anxin_gou"]}}])
    assert not result.rejected
    page = signed_in(app, world.merchant).get(SHOP).text
    assert "&lt;i&gt;小店&lt;/i&gt;" in page and "<i>小店" not in page
    assert "&lt;b&gt;转运中心&lt;/b&gt;" in page and "<b>转运中心" not in page  # the stalled parcel's last scan


# --- the Hall ------------------------------------------------------------------------------------------------

def test_the_hall_tells_the_consumer_about_a_late_shipment_and_the_coupon(app, world) -> None:
    zh = signed_in(app, world.consumer).get("/hall/orders/o_late")
    assert zh.status_code == 200
    assert 'data-testid="fulfilment"' in zh.text and "承诺发货时间" in zh.text and "现货：平台默认发货时限" in zh.text
    assert 'data-notice="late_shipment"' in zh.text and "已向你发放 ¥6.17 平台优惠券作为补偿。" in zh.text
    assert 'class="tl tl-notice"' in zh.text  # the notice is on the timeline too
    en = signed_in(app, world.consumer, "en").get("/hall/orders/o_late").text
    assert "Your parcel was not collected by the promised time (2026-11-02 06:00 +08:00)" in en
    assert "A coupon of CN¥6.17 has been issued to you." in en and "you can ask for a refund" in en
    assert "Awaiting collection" in en and "Expected" in en


def test_the_hall_tells_the_consumer_about_a_stalled_parcel(app, world) -> None:
    en = signed_in(app, world.consumer, "en").get("/hall/orders/o_stall").text
    assert 'data-notice="stalled"' in en and "No carrier scan for 72 h" in en
    assert "We are chasing the carrier; if the parcel is lost you can ask for a refund" in en
    zh = signed_in(app, world.consumer).get("/hall/orders/o_stall").text
    assert "物流已超过 72 小时没有更新" in zh and "我们正在联系快递公司核实" in zh


def test_a_calm_order_shows_its_promise_and_estimate_without_notices(app, world) -> None:
    page = signed_in(app, world.consumer).get("/hall/orders/o_cup").text
    assert 'data-testid="promise"' in page and 'data-testid="eta"' in page and "data-notice=" not in page


def test_a_signed_order_shows_no_estimate(app, world) -> None:
    page = signed_in(app, world.consumer).get("/hall/orders/o_mango").text
    assert 'data-testid="promise"' in page and 'data-testid="eta"' not in page


def test_the_operator_hall_links_the_shops_fulfilment(app, world) -> None:
    page = signed_in(app, world.operator).get("/hall/orders/o_late").text
    assert 'data-notice="late_shipment"' in page and 'href="/ops/shops/s1/fulfilment"' in page


def test_another_consumers_order_stays_hidden(app, world) -> None:
    r = signed_in(app, world.other_consumer).get("/hall/orders/o_late")
    assert r.status_code == 404 and "¥6.17" not in r.text


# --- formatting and the catalog ------------------------------------------------------------------------------

@pytest.mark.parametrize(("hundredths", "text"), [(0, "0"), (10, "0.1"), (20, "0.2"), (125, "1.25"), (200, "2"),
                                                  (600, "6"), (1005, "10.05"), (-10, "-0.1")])
def test_points_are_hundredths_written_exactly(hundredths: int, text: str) -> None:
    assert points_text(hundredths) == text


def test_evidence_values() -> None:
    assert evidence_text("2026-11-02T01:00:00+00:00") == "2026-11-02 09:00 +08:00"
    assert evidence_text(None) == "—" and evidence_text(False) == "false" and evidence_text([]) == "—"
    assert evidence_text({"hours": 72, "at": "2026-11-02T01:00:00+00:00"}) == "hours: 72, at: 2026-11-02 09:00 +08:00"
    assert evidence_text("2026-11-02") == "2026-11-02" and evidence_text(["o1", "o2"]) == "o1, o2"


def _report(*notices: dict, status: str = "shipped", exemption: str | None = None) -> dict:
    eta_now = {"earliest": "2026-11-04T02:00:00+00:00", "likely": "2026-11-05T02:00:00+00:00",
               "latest": "2026-11-06T02:00:00+00:00", "basis": "lane", "samples": 42, "stage": "overdue",
               "rule_id": "F.ETA.OVERDUE_SURVIVORS", "revised_at": "2026-11-02T02:00:00+00:00"}
    return {"shop_id": "s1", "status": status, "findings": [], "late_shipment": [],
            "promise": {"ship_by": "2026-11-01T02:00:00+00:00", "basis": "presale_date", "rule_id": "F.PROMISE.PRESALE",
                        "rulebook_version": "2026.11.1", "exemption": exemption,
                        "exemption_rule_id": "F.EXEMPT.FORCE_MAJEURE" if exemption else None,
                        "exemption_detail": "typhoon <Haikui>" if exemption else None},
            "eta": {"current": eta_now, "shown": eta_now, "revised_at": eta_now["revised_at"]},
            "notices": [{"kind": "x", "reason": "y", "since": "2026-11-03T02:00:00+00:00",
                         "created_at": "2026-11-03T02:00:00+00:00", "rule_id": "F.NOTICE.X",
                         "rulebook_version": "2026.11.1", "eta": eta_now, **n} for n in notices]}


def test_every_notice_kind_says_what_happens_next() -> None:
    t = i18n.translator("en")
    panel = order_panel(_report({"kind": "late_vs_eta", "reason": "past_likely_eta"},
                                {"kind": "exception", "reason": "scan_lost"},
                                {"kind": "exception", "reason": "scan_returned"},
                                {"kind": "stalled", "reason": "no_scan_96h"},
                                {"kind": "stalled", "reason": "odd"}, {"kind": "new_kind"}), t)
    texts = [(n["title"], n["lines"]) for n in panel["notices"]]
    assert texts[0] == ("Your parcel is later than the delivery time we showed you (2026-11-03 10:00 +08:00)",
                        ["New estimate: by 2026-11-05 10:00 +08:00. We keep following it; there is nothing you "
                         "need to do."])
    assert texts[1][0] == "The carrier reports: parcel lost" and "ask for a refund" in texts[1][1][0]
    assert texts[2][0] == "The carrier reports: parcel returned to the sender"
    assert texts[3][0] == "No carrier scan for 96 h"
    assert texts[4] == texts[5] == ("Delivery notice", ["We are following it up."])
    assert len(panel["timeline"]) == 6 and {e["kind"] for e in panel["timeline"]} == {"notice"}
    assert panel["eta"]["stage_text"] == "Running late" and panel["eta"]["basis"] == "From 42 parcels on the same route"
    assert (panel["eta"]["earliest"], panel["eta"]["latest"]) == ("2026-11-04", "2026-11-06")
    assert panel["promise"]["basis"] == "Presale: the date on the listing" and not panel["promise"]["missed"]


def test_an_exemption_is_explained_and_a_finished_order_has_no_estimate() -> None:
    t = i18n.translator("zh-CN")
    panel = order_panel(_report(exemption="force_majeure", status="delivered"), t)
    assert panel["promise"]["exemption"] == "发货地或收货地遭遇不可抗力，期间不判定延迟"
    assert panel["promise"]["exemption_detail"] == "typhoon <Haikui>"  # escaped by the template, like every value
    assert panel["eta"] is None


def test_the_catalogs_cover_every_fulfilment_code() -> None:
    wanted = ([f"fkind.{k}" for k in KINDS] + [f"pbasis.{b}" for b in promise.BASES]
              + [f"pexempt.{e}" for e in promise.EXEMPTIONS] + [f"estage.{s}" for s in eta.STAGES]
              + [f"ebasis.{b}" for b in eta.BASES] + ["ebasis.default"]
              + [f"notice.{k}.{part}" for k in ("late_shipment", *eta.NOTICE_KINDS, "other")
                 for part in ("title", "next")]
              + [f"notice.scan.{s}" for s in ("lost", "returned", "refused")]
              + [f"err.{c.value}" for c in FulfilmentErrorCode])
    assert sorted(k for k in wanted if k not in catalogs.ZH) == []
