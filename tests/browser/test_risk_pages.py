"""The operator risk console in a real headless Chromium: the queue, one review with the evidence thumbnails beside
their near-duplicates and the linked-accounts graph (inline SVG, nothing fetched from elsewhere), a confirmation
with a reason and a note, and the case closed; then the same review in English."""

from __future__ import annotations

import pytest

from tests.api.test_risk_api import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.fixture
def world(anxin, clock) -> World:
    return build_world(anxin, clock)


def test_an_operator_confirms_a_reused_photo_and_the_case_closes(traffic, expect, open_as, world, anxin,
                                                                 artifacts) -> None:
    page = open_as(world.operator_key, "/ops/risk")
    traffic.watch(page)
    page.reload()
    expect(page.locator("h1")).to_contain_text("风险审核队列")
    row = page.locator(f'tr[data-review="{world.review_id}"]')
    expect(row.locator(".badge-block")).to_have_text("拦截")
    expect(row).to_contain_text("剩余 4 小时")
    expect(page.get_by_test_id("states").locator('[data-state="open"] .rk-count')).to_have_text("1")

    row.get_by_test_id("open-review").click()
    expect(page.locator("h1")).to_contain_text(world.review_id)
    pair = page.get_by_test_id("evidence-pair")
    mine = pair.locator(".rk-mine img")
    match = pair.locator(f'.rk-match[data-sha="{world.first_sha}"]')
    expect(mine).to_be_visible()
    expect(match.locator("img")).to_be_visible()
    expect(match).to_contain_text("汉明距离")
    expect(match).to_contain_text(world.first_case_id)
    for img in (mine, match.locator("img")):  # decoded, not a broken image
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    assert match.bounding_box()["x"] > mine.bounding_box()["x"]  # beside it, to the right
    graph = page.get_by_test_id("graph").locator("svg.link-graph")
    expect(graph).to_be_visible()
    assert graph.bounding_box()["width"] > 300
    expect(graph.locator('g.lg-account[data-account="consumer:c1"]')).to_have_count(1)
    expect(graph.locator('g.lg-attr[data-hub="true"]')).to_have_count(1)
    expect(page.get_by_test_id("graph-table").locator('tr[data-kind="device"]')).to_contain_text("consumer:c1")
    expect(page.get_by_test_id("case-state")).to_have_text("平台审核中")
    page.screenshot(path=str(artifacts / "ops-risk-review.png"), full_page=True)

    form = page.locator('form[data-decision="confirm"]')
    form.get_by_test_id("confirm-reason").select_option("evidence_reuse")
    form.get_by_test_id("confirm-note").fill("与 c1 的凭证为同一张照片")
    form.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("decided")).to_contain_text("已确认为恶意售后")
    expect(page.get_by_test_id("decided")).to_contain_text("已关闭")
    expect(page.get_by_test_id("case-state")).to_have_text("已关闭")
    expect(page.get_by_test_id("decision")).to_contain_text("与 c1 的凭证为同一张照片")
    expect(page.get_by_test_id("audit").locator('[data-action="review.confirmed"]')).to_be_visible()
    expect(page.get_by_test_id("decide")).to_have_count(0)
    staff = anxin.access.authenticate(world.operator_key)
    assert anxin.aftersales.get_case(staff, world.case_id).case.state.value == "closed"

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("case-state")).to_have_text("Closed")
    expect(page.get_by_test_id("reasons")).to_contain_text("An evidence photo nearly matches one filed by another")
    page.get_by_test_id("back").click()
    expect(page.get_by_test_id("empty")).to_have_text("No reviews.")
    page.screenshot(path=str(artifacts / "ops-risk-queue.png"), full_page=True)
    assert traffic.failed == [] and traffic.foreign == [], (traffic.failed, traffic.foreign)
