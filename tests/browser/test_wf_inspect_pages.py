"""Inbound inspection in a real Chromium, zh-CN and en: the operators' queue lists the received lots oldest first; an
operator opens one, records the sampled units (one labels failure on a lot accepting none) and sees it rejected with
its reasons; the merchant's lots page shows both lots with their states, the rejected lot's page its verdict, and
another merchant's lot is not found. No page shows a raw code where a person reads."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.browser.page_text import visible_text
from tests.db.builders import T0, category, event, ingest_ok, listing, shop

pytestmark = [pytest.mark.browser, pytest.mark.db]

RAW = re.compile(r"\b(?:outer_packaging|labels_failed|shelf_life_at_inbound|defects_over_acceptance|"
                 r"defects_within_acceptance|tightened_\w+|wfi\.[a-z_.]+|worryfree\.[a-z_.]+|pending|inspecting)\b")
WORDS = {
    "zh-CN": {"queue": "入仓质检", "pending": "待质检", "rejected": "不合格", "reason": "标签标识不合格",
              "recorded": "质检结果已记录", "lots": "入仓批次", "plan": "正常：抽 5 件，允收 ≤ 0",
              "shelf": "入仓时剩余保质期不足"},
    "en": {"queue": "Inbound inspections", "pending": "Awaiting results", "rejected": "Rejected",
           "reason": "Labels or markings failed", "recorded": "Results recorded.", "lots": "Warehouse lots",
           "plan": "Normal: 5 units, accept ≤ 0", "shelf": "Too little shelf life left at receipt"},
}


def _lot(anxin, lot_id, listing_id, *, at, days_left=80):
    day = (at + dt.timedelta(hours=8)).date()
    expires = day + dt.timedelta(days=days_left)
    ingest_ok(anxin, [event("warehouse.lot_received", {
        "lot_id": lot_id, "listing_id": listing_id, "quantity": 40,
        "produced_on": (expires - dt.timedelta(days=100)).isoformat(), "expires_on": expires.isoformat(),
        "supplier_id": "sup-1", "received_at": at.isoformat()}, at=at)])


@pytest.fixture
def keys(anxin):
    ingest_ok(anxin, [category("cat_food", tags=["food"]), shop("s1", "m1"), shop("s2", "m2"),
                      listing("l1", "s1", "cat_food"), listing("l2", "s2", "cat_food")])
    _lot(anxin, "lot-1", "l1", at=T0 - dt.timedelta(hours=2))
    _lot(anxin, "lot-2", "l1", at=T0 - dt.timedelta(hours=1), days_left=60)  # below food's 0.67: rejected at receipt
    _lot(anxin, "lot-9", "l2", at=T0 - dt.timedelta(hours=1))
    anxin.process_events()
    return {name: anxin.access.create_key(role, subject)[1]
            for name, role, subject in [("op", "operator", "op-1"), ("m1", "merchant", "m1"),
                                        ("m2", "merchant", "m2")]}


def no_raw_code(page) -> None:
    found = RAW.findall(visible_text(page, options=False))
    assert found == [], (page.url, found)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_record_results_and_see_them_as_the_merchant(open_as, keys, artifacts, locale) -> None:
    words = WORDS[locale]
    ops = open_as(keys["op"], "/ops/worry-free/inspections", locale=locale)
    assert words["queue"] in ops.locator("h1").inner_text()
    rows = ops.locator('[data-testid="queue"] tbody tr')
    assert [rows.nth(i).get_attribute("data-lot") for i in range(rows.count())] == ["lot-1", "lot-9"]
    assert words["pending"] in rows.first.inner_text() and words["plan"] in rows.first.inner_text()
    no_raw_code(ops)
    ops.screenshot(path=str(artifacts / f"wf-inspections-{locale}.png"), full_page=True)
    with ops.expect_navigation():
        rows.first.locator("a").click()
    form = ops.locator('[data-testid="results-form"]')
    assert form.locator("tbody tr").count() == 5
    no_raw_code(ops)
    form.locator('select[name="u2_labels"]').select_option("fail")
    form.locator('input[name="u2_note"]').fill("标签模糊")
    with ops.expect_navigation():
        ops.locator('[data-testid="submit"]').click()
    assert words["recorded"] in ops.locator('[data-testid="done"]').inner_text()
    verdict = ops.locator('[data-testid="verdict"]')
    assert words["rejected"] in verdict.inner_text() and words["reason"] in verdict.inner_text()
    assert ops.locator('[data-testid="units"] tr.defective').count() == 1
    assert ops.locator('[data-testid="results-form"]').count() == 0
    assert ops.locator('[data-testid="available"]').inner_text() == "0"
    no_raw_code(ops)
    ops.screenshot(path=str(artifacts / f"wf-inspection-lot-{locale}.png"), full_page=True)

    merchant = open_as(keys["m1"], "/merchant/worry-free/lots", locale=locale)
    assert words["lots"] in merchant.locator("h1").inner_text()
    lots = merchant.locator('[data-testid="lots"] tbody tr')
    assert [lots.nth(i).get_attribute("data-lot") for i in range(lots.count())] == ["lot-2", "lot-1"]
    assert all(lots.nth(i).get_attribute("data-status") == "rejected" for i in range(2))
    no_raw_code(merchant)
    with merchant.expect_navigation():
        lots.first.locator("a").click()
    assert words["shelf"] in merchant.locator('[data-testid="verdict"]').inner_text()
    assert merchant.locator('[data-testid="results-form"]').count() == 0
    no_raw_code(merchant)
    merchant.screenshot(path=str(artifacts / f"wf-merchant-lot-{locale}.png"), full_page=True)
    other = merchant.goto(merchant.url.rsplit("/", 1)[0] + "/lot-9")
    assert other is not None and other.status == 404
