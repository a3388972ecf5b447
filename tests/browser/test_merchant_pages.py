"""The merchant centre in a real headless Chromium: the shop list, one shop's centre with the deposit chart (inline
SVG) and its table, a top-up through the form that moves the held amount, the fee statement with the waiver's name,
an order's settlement with the rulebook version; then the same centre in English. Nothing is fetched from
elsewhere."""

from __future__ import annotations

import pytest

from tests.api.test_merchant_pages import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.fixture
def world(anxin, clock) -> World:
    return build_world(anxin, clock)


def test_a_merchant_reads_the_centre_pays_in_and_switches_language(traffic, expect, open_as, world, anxin,
                                                                     artifacts) -> None:
    page = open_as(world.merchant_key, "/merchant/shops")
    traffic.watch(page)
    page.reload()
    expect(page.locator("h1")).to_contain_text("我的店铺")
    expect(page.locator('tr[data-shop="s2"]')).to_have_count(0)
    page.locator('tr[data-shop="s1"]').get_by_test_id("open-shop").click()
    expect(page.locator("h1")).to_contain_text("店铺 Orchard")

    deposit = page.get_by_test_id("deposit")
    expect(deposit.get_by_test_id("held")).to_have_text("¥0.00")
    chart = page.get_by_test_id("deposit-chart").locator("svg")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 300
    expect(chart.locator("title").first).to_have_text("每笔流水后的保证金与货款余额")
    table = page.get_by_test_id("balances")
    expect(table).to_be_hidden()
    page.get_by_test_id("deposit-chart").locator("summary").click()
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(page.get_by_test_id("postings").locator('tr[data-kind="sale_proceeds"]')).to_have_count(4)
    expect(page.get_by_test_id("waived").locator('tr[data-waiver="waiver.fresh_2024"]')).to_contain_text("生鲜类目免佣")
    expect(page.get_by_test_id("open-cases").get_by_test_id("case-link")).to_have_text(world.case_id)
    page.screenshot(path=str(artifacts / "merchant-centre.png"), full_page=True)

    form = page.get_by_test_id("top-up")
    form.get_by_test_id("amount").fill("500")
    form.get_by_test_id("pay").click()
    expect(page.get_by_test_id("topped")).to_contain_text("已缴纳 ¥500.00")
    expect(page.get_by_test_id("held")).to_have_text("¥500.00")
    expect(page.get_by_test_id("deposit")).to_have_attribute("data-state", "ok")
    expect(page.get_by_test_id("postings").locator('tr[data-kind="top_up"]')).to_have_count(1)
    merchant = anxin.access.authenticate(world.merchant_key)
    assert anxin.merchants.money.deposit(merchant, "s1")["held_fen"] == 50000

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Shop Orchard")
    expect(page.get_by_test_id("deposit")).to_contain_text("Deposit held")
    expect(page.get_by_test_id("deposit-chart").locator("svg title").first).to_have_text(
        "Deposit and goods balance after each posting")
    expect(page.get_by_test_id("waived")).to_contain_text("Fresh produce commission-free")
    page.locator('tr[data-entry="sale:o1"]').get_by_test_id("order-statement").click()
    expect(page.locator("h1")).to_have_text("Settlement of order o1")
    expect(page.get_by_test_id("version")).to_have_text(world.version)
    expect(page.locator('tr[data-line="waiver"]')).to_contain_text("Fresh produce commission-free")
    expect(page.get_by_test_id("net")).to_have_text("CN¥99.40")  # Babel: the yuan spelled out for English readers
    page.screenshot(path=str(artifacts / "merchant-order-statement.png"), full_page=True)
    assert traffic.failed == [] and traffic.foreign == [], (traffic.failed, traffic.foreign)
