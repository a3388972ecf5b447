"""The score pages in a real headless Chromium: a merchant's experience score (gauge, dimensions, trend with its
table, indicators by points lost) and the diagnosis of the worst indicator, in zh-CN then en; offline throughout."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.api.test_scoring_api import SHOP_NAME, build_world

pytestmark = [pytest.mark.browser, pytest.mark.db]


@dataclass(frozen=True)
class Keys:
    merchant: str  # m1, owner of s1
    other_merchant: str  # m2, owner of s2 and of s3 (too few orders to be scored)


@pytest.fixture
def world(anxin) -> Keys:  # the scored marketplace of the API tests: two runs, 2026-11-01 and 2026-11-02
    build_world(anxin)
    return Keys(anxin.access.create_key("merchant", "m1")[1], anxin.access.create_key("merchant", "m2")[1])


def test_the_merchant_reads_the_score_and_diagnoses_the_worst_indicator(traffic, expect, open_as, world, anxin,
                                                                         artifacts) -> None:
    report = anxin.scoring.report("merchant", "s1")
    worst = max(report.indicators, key=lambda i: i.lost_x100)
    staff = anxin.access.authenticate(anxin.access.create_key("operator", "ops")[1])
    drill = anxin.scoring.drilldown(staff, "s1", worst.id)
    assert drill.suggestion is not None and worst.lost_x100 > 0

    page = open_as(world.merchant, "/merchant/shops/s1/score")
    traffic.watch(page)
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_contain_text("商家体验分")
    expect(page.locator("h1")).to_contain_text(SHOP_NAME)  # the markup in the name is text
    total = page.get_by_test_id("total")
    expect(total.locator("svg.chart-gauge")).to_be_visible()
    whole, cents = divmod(report.score_x100, 100)
    expect(total.get_by_test_id("total-value")).to_have_text(f"{whole}.{cents:02d}")
    for dim, name in (("product", "商品体验"), ("logistics", "物流体验"), ("service", "服务体验")):
        expect(page.locator(f'[data-dimension="{dim}"]')).to_contain_text(name)
    trend = page.get_by_test_id("trend").locator("svg.chart-line")
    expect(trend).to_be_visible()
    assert trend.bounding_box()["width"] > 300  # laid out, not collapsed
    table = page.get_by_test_id("trend").locator("table.chart-data")
    expect(table).to_be_hidden()
    page.get_by_test_id("trend").locator("summary").click()
    expect(table).to_be_visible()
    expect(table).to_contain_text("2026-11-01")
    rows = page.locator("table.indicators tr[data-indicator]")
    expect(rows.first).to_have_attribute("data-indicator", worst.id)  # the biggest loss first
    assert rows.count() == len(report.indicators)
    expect(page.get_by_test_id("rules")).to_contain_text("M.IM_REPLY_RATE")
    expect(page.get_by_test_id("ledger")).to_contain_text("没有扣分记录")
    page.screenshot(path=str(artifacts / "merchant-score.png"), full_page=True)

    rows.first.locator("a[data-diagnose]").click()
    expect(page.locator("h1")).to_contain_text("指标诊断")
    expect(page.get_by_test_id("suggestion")).to_contain_text(drill.suggestion.text["zh-CN"])
    drilled = page.get_by_test_id("rows").locator("tbody tr")
    expect(drilled.first).to_be_visible()
    assert drilled.count() == len(drill.rows)
    expect(page.get_by_test_id("rows")).to_contain_text(f"共 {drill.total} 条")
    expect(drilled.first.locator("td").first).to_contain_text(str(drill.rows[0].get("order_id") or ""))
    expect(drilled.first).to_contain_text("+08:00")
    page.screenshot(path=str(artifacts / "merchant-score-diagnosis.png"), full_page=True)

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Diagnosis")
    expect(page.get_by_test_id("suggestion")).to_contain_text(drill.suggestion.text["en"])
    expect(page.get_by_test_id("rows")).to_contain_text(f"{drill.total} in all")
    page.get_by_test_id("back").click()
    expect(page.locator("h1")).to_contain_text("Merchant experience score")
    expect(page.locator('[data-dimension="logistics"]')).to_contain_text("Logistics")
    expect(page.locator("table.indicators thead")).to_contain_text("Lost vs top quartile")
    assert traffic.failed == [] and traffic.foreign == [], (traffic.failed, traffic.foreign)

    small = open_as(world.other_merchant, "/merchant/shops/s3/score", locale="en")
    expect(small.get_by_test_id("not-eligible")).to_have_text("Not enough orders (12 of 30): no score yet.")
    expect(small.get_by_test_id("total-value")).to_have_count(0)
