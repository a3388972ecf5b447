"""The creator's side in a real headless Chromium, in zh-CN then en: a creator signs in and lands on the creator
centre, opens the selection pool, filters it with the form (price bounds in yuan, minimum commission in percent,
worry-free only), opens a badge to read why it is there, reads the worry-free vs other metrics; reads their own
reputation score and the diagnosis of an indicator; an operator reads the programme's page. Offline throughout."""

from __future__ import annotations

import pytest

from tests.api.test_scoring_api import build_world
from tests.api.test_wf_pool_api import tag
from tests.api.test_wf_pool_api import world as pool_world
from tests.db import builders as b

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_creator_picks_from_the_pool(traffic, expect, open_as, anxin, engine, server, artifacts, locale) -> None:
    zh = locale == "zh-CN"
    pool_world(anxin)
    tag(engine, "l_nuts", "s1", tagged=True, since=b.T0 - 3 * b.D)
    key = anxin.access.create_key("creator", "cr1")[1]
    page = open_as(key, "/", locale=locale)
    traffic.watch(page)
    expect(page).to_have_url(f"{server}/creator")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("h1")).to_contain_text("达人中心" if zh else "Creator centre")
    expect(page.get_by_test_id("nav-pool")).to_be_visible()
    expect(page.get_by_test_id("nav-score")).to_be_visible()

    page.get_by_test_id("creator-pool").click()
    expect(page.locator("h1")).to_contain_text("选品池" if zh else "Selection pool")
    items = page.locator("article.pool-item")
    expect(items).to_have_count(4)
    nuts = page.locator('article[data-listing="l_nuts"]')
    expect(nuts).to_have_attribute("data-worry-free", "true")
    badge = nuts.locator('li[data-badge="worry_free"]')
    expect(badge).to_contain_text("无忧" if zh else "Worry-free")
    explanation = badge.locator("details p").first
    expect(explanation).to_be_hidden()
    badge.locator("summary").click()
    expect(explanation).to_be_visible()
    expect(explanation).to_contain_text("2026-10-30")
    expect(badge).to_contain_text("tag.enrolled")
    expect(nuts.locator('li[data-badge="commission"]')).to_contain_text("20%")
    metrics = page.get_by_test_id("wf-metrics")
    expect(metrics).to_contain_text("24 小时发货率" if zh else "24-hour ship rate")
    expect(metrics.locator('tr[data-metric="after_sale"]')).to_be_visible()
    page.screenshot(path=str(artifacts / f"creator-pool-{locale}.png"), full_page=True)

    form = page.get_by_test_id("pool-filters")
    form.locator('input[name="price_min"]').fill("50")
    form.locator('input[name="price_max"]').fill("99.99")  # both bounds inclusive
    form.locator('input[name="min_commission"]').fill("19.99")
    with page.expect_navigation():
        page.get_by_test_id("pool-apply").click()
    listed = [items.nth(i).get_attribute("data-listing") for i in range(items.count())]
    assert listed == ["l_nuts", "l_snack"]
    form.locator('select[name="worry_free"]').select_option("yes")
    with page.expect_navigation():
        page.get_by_test_id("pool-apply").click()
    expect(items).to_have_count(1)
    expect(form.locator('input[name="price_min"]')).to_have_value("50")  # the form keeps what was asked

    form.locator('input[name="price_min"]').fill("abc")
    with page.expect_navigation():
        page.get_by_test_id("pool-apply").click()
    expect(page.get_by_test_id("pool-error")).to_have_attribute("data-code", "worryfree.pool.invalid_filter")
    expect(page.get_by_test_id("pool-error")).not_to_contain_text("err.")
    assert not traffic.failed and not traffic.foreign, (traffic.failed, traffic.foreign)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_creator_reads_their_own_score_and_its_diagnosis(expect, open_as, anxin, server, artifacts, locale) -> None:
    build_world(anxin)  # cr1 sold 12 of s1's orders: scored
    report = anxin.scoring.report("creator", "cr1")
    assert report is not None and report.eligible
    page = open_as(anxin.access.create_key("creator", "cr1")[1], "/creator/score", locale=locale)
    expect(page.locator("h1")).to_contain_text("带货口碑分" if locale == "zh-CN" else "Creator reputation score")
    expect(page.get_by_test_id("total").get_by_test_id("total-value")).to_be_visible()
    expect(page.get_by_test_id("diagnosis-hint")).to_be_visible()
    rows = page.locator("table.indicators tr[data-indicator]")
    assert rows.count() == len(report.indicators)
    worst = max(report.indicators, key=lambda i: (i.lost_x100, i.id))
    if worst.lost_x100:
        expect(rows.first).to_have_attribute("data-indicator", worst.id)
    page.screenshot(path=str(artifacts / f"creator-score-{locale}.png"), full_page=True)
    first = rows.first.get_attribute("data-indicator")
    rows.first.locator("a[data-diagnose]").click()
    expect(page).to_have_url(f"{server}/creator/score/{first}")
    expect(page.get_by_test_id("suggestion")).to_be_visible()
    expect(page.get_by_test_id("rows")).to_have_count(0)  # other people's orders stay with the operators
    expect(page.get_by_test_id("rows-total")).to_be_visible()
    page.get_by_test_id("back").click()
    expect(page).to_have_url(f"{server}/creator/score")


def test_another_creator_sees_no_score_and_an_operator_reads_the_programme(expect, open_as, anxin, server) -> None:
    page = open_as(anxin.access.create_key("creator", "cr-new")[1], "/creator/score", locale="en")
    expect(page.get_by_test_id("no-score")).to_be_visible()
    ops = open_as(anxin.access.create_key("operator", "ops")[1], "/ops/cases", locale="zh-CN")
    ops.get_by_test_id("nav-worry-free").click()
    expect(ops.locator("h1")).to_contain_text("无忧服务")
    expect(ops.get_by_test_id("wf-metrics")).to_contain_text("次日达率")
    ops.get_by_test_id("ops-pool").click()
    expect(ops.locator("h1")).to_contain_text("选品池")
