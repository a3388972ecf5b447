"""The governance pages in a real Chromium, zh-CN and en: the merchant's page (the ladder drawn inline, a caution near
the node, a measure's countdown, evidence in words, no raw code) and its appeal form, then the operators' console
deciding that appeal, after which the merchant's page shows the violation reversed."""

from __future__ import annotations

import re

import pytest

from tests.browser.page_text import visible_text
from tests.browser.world import seed
from tests.governance_world import seed_governance

pytestmark = [pytest.mark.browser, pytest.mark.db]
RAW = re.compile(r"\b(?:governance\.[a-z_.]+|gv\.[a-z_.]+|fake_shipment|false_advertising|aftersales_obstruction|"
                 r"listing_takedown|awaiting_counter_notice)\b")


@pytest.mark.parametrize(("locale", "words"), [
    ("zh-CN", {"title": "店铺治理", "caution": "注意：距下一节点", "left": "还剩", "claim": "宣传用语「全网最低」",
               "filed": "申诉已提交", "upheld": "申诉成功", "reversed": "已撤销", "console": "治理台"}),
    ("en", {"title": "Shop governance", "caution": "Caution: only", "left": "left", "claim": "The claim “全网最低”",
            "filed": "Appeal filed", "upheld": "Upheld", "reversed": "Reversed", "console": "Governance console"})])
def test_a_merchant_appeals_on_the_page_and_an_operator_upholds_it(open_as, anxin, artifacts, locale, words) -> None:
    world = seed(anxin)
    gov = seed_governance(anxin, shop_id="s1", merchant_id="m1", appeal=False)

    page = open_as(world.merchant, "/merchant/cases", locale=locale)
    with page.expect_navigation():
        page.locator('[data-testid="nav-governance"]').click()
    with page.expect_navigation():
        page.locator('[data-testid="open-shop"]').first.click()
    assert words["title"] in page.locator("h1").inner_text()
    ladder = page.locator('svg.gv-ladder[data-class="general"]')
    assert ladder.is_visible() and ladder.locator("title").count() == 1
    assert words["caution"] in page.locator('[data-testid="caution-general"]').inner_text()
    countdown = page.locator('[data-testid="measures"] [data-testid="countdown"][data-ends-at]').first  # a timed one
    assert words["left"] in countdown.inner_text() and countdown.get_attribute("data-ends-at")
    assert words["claim"] in page.locator(f'[data-violation="{gov.advertising}"] [data-testid="evidence"]').inner_text()
    assert RAW.findall(visible_text(page)) == []
    page.screenshot(path=str(artifacts / f"governance-merchant-{locale}.png"), full_page=True)

    card = page.locator(f'[data-violation="{gov.advertising}"]')
    card.locator('[data-testid="appeal-toggle"]').click()
    card.locator('textarea[name="statement"]').fill("这是消费者评价的引用，并非我们自己的宣传。")
    card.locator('textarea[name="evidence"]').fill("up-1")
    with page.expect_navigation():
        card.locator('[data-testid="appeal-submit"]').click()
    assert words["filed"] in page.locator('[data-testid="appeal-filed"]').inner_text()
    assert page.locator('[data-testid="appeals"] tr[data-state="submitted"]').count() == 1

    ops = open_as(world.operator, "/ops/cases", locale=locale)
    with ops.expect_navigation():
        ops.locator('[data-testid="nav-governance"]').click()
    assert words["console"] in ops.locator("h1").inner_text()
    row = ops.locator('[data-testid="appeal-queue"] tr[data-state="submitted"]')
    assert row.count() == 1 and row.locator('[data-testid="countdown"]').is_visible()
    assert RAW.findall(visible_text(ops)) == []
    with ops.expect_navigation():
        row.locator('[data-testid="open-appeal"]').click()
    ops.locator('input[name="outcome"][value="upheld"]').check()
    with ops.expect_navigation():
        ops.locator('[data-testid="decide-submit"]').click()
    assert ops.locator('[data-testid="decided"]').is_visible()
    assert RAW.findall(visible_text(ops)) == []
    ops.screenshot(path=str(artifacts / f"governance-appeal-{locale}.png"), full_page=True)

    page.reload()
    assert words["upheld"] in page.locator('[data-testid="appeals"]').inner_text()
    assert page.locator(f'[data-violation="{gov.advertising}"]').get_attribute("data-state") == "reversed"
    assert words["reversed"] in page.locator(f'[data-violation="{gov.advertising}"]').inner_text()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_console_tabs_show_no_raw_code(open_as, anxin, locale) -> None:
    world = seed(anxin)
    gov = seed_governance(anxin, shop_id="s1", merchant_id="m1")
    page = open_as(world.operator, "/ops/governance", locale=locale)
    for tab in ("violations", "findings", "ip", "inspections", "appeals"):
        with page.expect_navigation():
            page.locator(f'[data-testid="tabs"] a[data-tab="{tab}"]').click()
        assert RAW.findall(visible_text(page)) == [], tab
    for path in (f"/ops/governance/violations/{gov.fake_shipment}", f"/ops/governance/ip/{gov.complaint_id}",
                 f"/ops/governance/inspections/{gov.plan_id}", f"/ops/governance/appeals/{gov.appeal_id}"):
        page.goto(page.url.split("/ops/")[0] + path)
        assert page.locator("h1").is_visible() and RAW.findall(visible_text(page)) == [], path
