"""The lucky-bag pages in a real headless Chromium: the creator's list and a drawn bag's audit (seed commitment,
revealed seed, every entrant's chance, winners), in zh-CN then en, and the merchant's view of the shop's bags."""

from __future__ import annotations

import pytest

from tests.db.builders import MIN
from tests.db.test_wf_lucky_bags import CLOSES, CREATOR, OPENS, enter, new_bag
from tests.db.test_wf_lucky_bags import world as lucky_world  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.db]


@pytest.fixture
def drawn(lucky_world, clock):  # noqa: F811
    bag = new_bag(lucky_world)
    bag_id = str(bag["bag_id"])
    clock.set(OPENS + MIN)
    open_bag = new_bag(lucky_world, prizes=(("l2", 1),))  # created later, never drawn
    for c in ("c1", "c2", "c3", "c4"):
        enter(lucky_world, bag_id, c, OPENS + MIN)
    enter(lucky_world, bag_id, "c_hk", OPENS + MIN, region="CN-HK")
    clock.set(CLOSES)
    return lucky_world.lucky_bags.draw(CREATOR, bag_id)[0], open_bag


def test_the_creator_reads_a_drawn_bags_audit(traffic, expect, open_as, drawn, anxin, server) -> None:
    bag, open_bag = drawn
    key = anxin.access.create_key("creator", "cr1")[1]
    page = open_as(key, "/creator/lucky-bags")
    traffic.watch(page)
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("福袋")
    expect(page.get_by_test_id("bag-row")).to_have_count(2)
    expect(page.get_by_test_id("bag-state").first).to_have_text("进行中")  # newest first: the open one
    page.get_by_role("link", name="福袋").last.click()
    expect(page.get_by_test_id("seed-hash")).to_have_text(str(bag["seed_hash"]))
    expect(page.get_by_test_id("seed")).to_have_text(str(bag["seed"]))
    expect(page.get_by_test_id("winners").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("chances").locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("chances")).to_contain_text("3/4")
    expect(page.get_by_test_id("entries")).to_contain_text("地区不在配送范围")
    page.goto(f"{server}/creator/lucky-bags/{bag['bag_id']}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("bag-state")).to_have_text("Drawn")
    expect(page.get_by_test_id("entries")).to_contain_text("Region not served")
    page.goto(f"{server}/creator/lucky-bags/{open_bag['bag_id']}?lang=en")
    expect(page.get_by_test_id("not-drawn")).to_be_visible()
    expect(page.get_by_test_id("seed-hash")).to_have_text(str(open_bag["seed_hash"]))
    assert page.get_by_test_id("seed").count() == 0  # the seed stays secret until the draw
    assert traffic.failed == []


def test_the_merchant_sees_its_shops_bags(expect, open_as, drawn, anxin, server) -> None:
    bag, _ = drawn
    page = open_as(anxin.access.create_key("merchant", "m1")[1], "/merchant/lucky-bags?lang=en")
    expect(page.locator("h1")).to_have_text("Lucky bags")
    expect(page.get_by_test_id("bag-row")).to_have_count(2)
    page.goto(f"{server}/merchant/lucky-bags/{bag['bag_id']}")
    expect(page.get_by_test_id("digest")).to_have_text(str(bag["audit"]["entrants_digest"]))
    other = open_as(anxin.access.create_key("merchant", "m2")[1], "/merchant/lucky-bags?lang=en")
    expect(other.get_by_test_id("no-bags")).to_be_visible()


def test_a_cancelled_bag_says_who_cancelled_it_and_why(expect, open_as, drawn, anxin, server) -> None:
    _, open_bag = drawn
    operator = anxin.access.create_key("operator", "ops1")[0]
    from anxin.core.principal import Principal, Role

    anxin.lucky_bags.cancel(Principal(operator.key_id, Role.OPERATOR, "ops1"), str(open_bag["bag_id"]), "违规福袋")
    page = open_as(anxin.access.create_key("merchant", "m1")[1], f"/merchant/lucky-bags/{open_bag['bag_id']}")
    expect(page.get_by_test_id("bag-state")).to_have_text("已取消")
    expect(page.get_by_test_id("bag-cancelled")).to_contain_text("违规福袋")
    page.goto(f"{server}/merchant/lucky-bags/{open_bag['bag_id']}?lang=en")
    expect(page.get_by_test_id("bag-state")).to_have_text("Cancelled")
    expect(page.get_by_test_id("bag-cancelled")).to_contain_text("operator:ops1")
