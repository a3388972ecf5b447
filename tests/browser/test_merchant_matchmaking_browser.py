"""Matchmaking in a real headless Chromium: the merchant centre's creator section leads to the shop's creator matches
with their reasons; the merchant invites the best match through the form; the creator signs in, sees the invitation
on /creator/invitations and accepts it; the merchant sees the session scheduled; then both pages in English. Nothing
is fetched from elsewhere and no raw catalog key is shown."""

from __future__ import annotations

import pytest

from tests.db.test_merchant_matchmaking_flow import MatchWorld, build_match_world

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.fixture
def world(anxin) -> MatchWorld:
    return build_match_world(anxin)


def test_a_merchant_invites_a_matched_creator_who_accepts(traffic, expect, open_as, world, artifacts) -> None:
    page = open_as(world.merchant_key, "/merchant/shops/s1")
    traffic.watch(page)
    expect(page.get_by_test_id("creators")).to_contain_text("达人匹配")
    page.get_by_test_id("find-creators").click()
    expect(page.locator("h1")).to_contain_text("达人匹配")
    expect(page.get_by_test_id("gate")).to_have_attribute("data-eligible", "true")
    rows = page.get_by_test_id("proposal")
    expect(rows).to_have_count(4)
    expect(rows.first).to_have_attribute("data-creator", "cr1")
    expect(rows.first.locator('li[data-code="match.category_fit"]')).to_contain_text("契合度为100.00%")
    expect(rows.first.locator('li[data-code="match.reputation"]')).to_contain_text("档位：良好")
    page.screenshot(path=str(artifacts / "matchmaking-proposals.png"), full_page=True)
    rows.first.get_by_test_id("invite").click()
    expect(page.get_by_test_id("invited")).to_contain_text("已向cr1发出邀约")
    invitation = page.get_by_test_id("invitations").locator('tr[data-creator="cr1"]')
    expect(invitation).to_have_attribute("data-state", "pending")
    expect(invitation.get_by_test_id("state")).to_have_text("待回复")

    creator = open_as(world.creator_keys["cr1"], "/creator/invitations")
    traffic.watch(creator)
    expect(creator.locator("h1")).to_have_text("我的邀约")
    card = creator.get_by_test_id("invitation")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Bloom")
    expect(card.get_by_test_id("state")).to_have_text("待回复")
    card.get_by_test_id("accept").click()
    expect(creator.get_by_test_id("answered")).to_contain_text("已接受")
    expect(creator.get_by_test_id("invitation")).to_have_attribute("data-state", "accepted")
    expect(creator.get_by_test_id("invitation").get_by_test_id("phase")).to_have_text("未开始")
    expect(creator.get_by_test_id("outcome").get_by_test_id("orders")).to_have_text("0")
    creator.screenshot(path=str(artifacts / "matchmaking-creator.png"), full_page=True)
    creator.get_by_test_id("lang-switch").click()
    expect(creator.locator("h1")).to_have_text("My invitations")
    expect(creator.get_by_test_id("invitation").get_by_test_id("state")).to_have_text("Accepted")
    expect(creator.get_by_test_id("outcome")).to_contain_text("Late shipments")

    page.reload()
    expect(page.get_by_test_id("invitations").locator('tr[data-creator="cr1"]')).to_have_attribute(
        "data-state", "accepted")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("h1")).to_contain_text("Creator matchmaking")
    expect(page.get_by_test_id("proposals")).to_contain_text("Proposed creators")
    expect(page.get_by_test_id("invitations").locator('tr[data-creator="cr1"]').get_by_test_id("phase")).to_have_text(
        "Upcoming")
    for p in (page, creator):
        assert "mc.mm." not in p.content() and "mc.reason." not in p.content()
    assert traffic.failed == [] and traffic.foreign == [], (traffic.failed, traffic.foreign)


def test_a_merchant_withdraws_a_pending_invitation(open_as, world, server) -> None:
    from playwright.sync_api import expect

    page = open_as(world.merchant_key, "/merchant/shops/s1/creators")
    page.get_by_test_id("proposal").first.get_by_test_id("invite").click()
    invitation = page.get_by_test_id("invitations").locator('tr[data-creator="cr1"]')
    expect(invitation).to_have_attribute("data-state", "pending")
    invitation.get_by_test_id("withdraw").click()
    invitation = page.get_by_test_id("invitations").locator('tr[data-creator="cr1"]')
    expect(invitation).to_have_attribute("data-state", "withdrawn")
    expect(invitation.get_by_test_id("state")).to_have_text("商家已撤回")
    expect(invitation.get_by_test_id("withdraw")).to_have_count(0)
    creator = open_as(world.creator_keys["cr1"], "/creator/invitations?lang=en")
    expect(creator.get_by_test_id("invitation").get_by_test_id("state")).to_have_text("Withdrawn by the shop")
    expect(creator.get_by_test_id("accept")).to_have_count(0)
