"""The fulfilment pages in a real headless Chromium: the merchant's charts and figures (offline, nothing fetched
from elsewhere), the window and language switches, and the Hall's notice of a late shipment."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.world import World, seed_fulfilment

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.fixture
def world(anxin) -> World:  # the page world plus a late and a stalled order, judged by a tick
    return seed_fulfilment(anxin)


def test_the_merchant_sees_charts_figures_and_consequences(traffic, expect, open_as, world, artifacts) -> None:
    page = open_as(world.merchant, "/merchant/shops/s1/fulfilment")
    traffic.watch(page)
    page.reload()
    expect(page.locator("h1")).to_contain_text("履约表现")
    trend = page.get_by_test_id("trend").locator("svg.chart-line")
    expect(trend).to_be_visible()
    expect(trend.locator("title").first).to_contain_text("每日 48 小时履约率")
    assert trend.bounding_box()["width"] > 300  # laid out by the stylesheet, not collapsed
    bars = page.get_by_test_id("buckets").locator("svg.chart-bar rect")
    expect(bars.first).to_be_visible()
    assert bars.count() >= 1
    expect(page.locator('[data-metric="collected_within_24h"] .stat-value')).to_contain_text("%")
    expect(page.locator('[data-metric="avg_payment_to_collection_seconds"] .stat-value')).to_contain_text("小时")
    late = page.get_by_test_id("late-shipments")
    expect(late.locator('[data-late="coupons"]')).to_contain_text("¥")
    expect(late.locator('[data-late="points"]')).to_have_text("0.2")
    expect(late.locator('[data-cap="today"]')).to_contain_text("上限 2")
    expect(page.get_by_test_id("findings-by-kind").locator('[data-kind="late_shipment"]')).to_contain_text("延迟发货")
    recent = page.get_by_test_id("recent-findings")
    expect(recent.locator('[data-kind="parcel.stalled"]')).to_contain_text("F.PARCEL.STALLED")
    expect(recent.locator('[data-kind="parcel.stalled"]')).to_contain_text("<b>转运中心</b>")  # shown as text

    table = page.get_by_test_id("trend").locator("table.chart-data")
    expect(table).to_be_hidden()  # the fallback table waits behind its <details>
    page.get_by_test_id("trend").locator("summary").click()
    expect(table).to_be_visible()
    page.screenshot(path=str(artifacts / "merchant-fulfilment.png"), full_page=True)

    page.locator('[data-testid="windows"] a[data-days="7"]').click()
    expect(page.locator('[data-testid="windows"] a[aria-current="page"]')).to_have_attribute("data-days", "7")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert "days=7" in urlsplit(page.url).query
    expect(page.locator('[data-metric="shipped_within_48h"]')).to_contain_text("Shipped within 48 h")
    expect(page.get_by_test_id("late-shipments")).to_contain_text("Today 0.1 points (cap 2)")
    assert traffic.failed == [] and traffic.foreign == [], (traffic.failed, traffic.foreign)


def test_another_merchants_shop_is_not_found(expect, open_as, world) -> None:
    page = open_as(world.merchant, "/merchant/shops/s2/fulfilment")
    expect(page.locator('.error[data-code="fulfilment.shop_not_found"]')).to_be_visible()


def test_the_case_list_leads_to_the_shop_page(expect, open_as, world) -> None:
    page = open_as(world.merchant, "/merchant/cases")
    page.get_by_test_id("shop-links").locator('a[data-shop="s1"]').click()
    expect(page.locator("h1")).to_contain_text("安心果园旗舰店")
    expect(page.get_by_test_id("trend").locator("svg.chart-line")).to_be_visible()


def test_the_hall_shows_the_late_shipment_notice(expect, open_as, world, artifacts) -> None:
    page = open_as(world.consumer, "/hall/orders/o_late")
    panel = page.get_by_test_id("fulfilment")
    expect(panel.get_by_test_id("promise")).to_contain_text("2026-11-02 06:00 +08:00")
    expect(panel.get_by_test_id("promise")).to_contain_text("未按时发货")
    notice = panel.locator('[data-notice="late_shipment"]')
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("商家未在承诺时间")
    expect(notice).to_contain_text("已向你发放 ¥6.17 平台优惠券作为补偿。")
    expect(panel.get_by_test_id("eta")).to_contain_text("待揽收")
    expect(page.get_by_test_id("timeline").locator(".tl-notice")).to_contain_text("商家未在承诺时间")
    page.screenshot(path=str(artifacts / "hall-late-shipment.png"), full_page=True)

    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("fulfilment").locator('[data-notice="late_shipment"]')).to_contain_text(
        "A coupon of CN¥6.17 has been issued to you.")


def test_the_hall_shows_the_stalled_parcel_notice_in_english(expect, open_as, world) -> None:
    page = open_as(world.consumer, "/hall/orders/o_stall", locale="en")
    notice = page.get_by_test_id("fulfilment").locator('[data-notice="stalled"]')
    expect(notice).to_contain_text("No carrier scan for 72 h")
    expect(notice).to_contain_text("We are chasing the carrier")
