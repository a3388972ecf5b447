"""The merchant's worry-free page in a real Chromium, zh-CN and en: a refused enrolment shows its reasons as words,
an enrolment shows the tag and why it is missing (no stock), a lot passing gives the tag, a withdrawal takes it; no
raw code where a person reads."""

from __future__ import annotations

import re

import pytest

from anxin.worryfree import service as wf
from tests.browser.page_text import visible_text
from tests.db.builders import T0, category, event, listing, shop

pytestmark = [pytest.mark.browser, pytest.mark.db]
RAW = re.compile(r"\b(?:wf\.[a-z_.]+|worryfree\.[a-z_.]+|category_not_eligible|stock_empty|score_band_below|"
                 r"not_enrolled|stock_available|tag\.[a-z_]+|enrol\.[a-z_]+)\b")


def _seed(anxin) -> str:
    anxin.wf_tags.score = lambda uow, shop_id: 9000
    import yaml

    from anxin.worryfree.tag_rules import DEFAULT_TAG_RULEBOOK, parse_tag_rules
    raw = yaml.safe_load(DEFAULT_TAG_RULEBOOK.read_text())
    raw["tag"]["window"]["too_few_orders"] = "waive"
    anxin.wf_tags.rules = parse_tag_rules(raw)
    result = anxin.ingestion.ingest([category("food", name="食品", tags=["food"]), category("3c", name="数码"),
                                     shop("s1", "m1", name="安心果园"), listing("l1", "s1", "food", title="坚果礼盒"),
                                     listing("l2", "s1", "3c", title="蓝牙耳机")])
    assert not result.rejected
    return anxin.access.create_key("merchant", "m1")[1]


def _pass_lot(anxin) -> None:
    anxin.ingestion.ingest([event("warehouse.lot_received", {
        "lot_id": "lot1", "listing_id": "l1", "quantity": 3, "produced_on": "2026-10-01",
        "expires_on": "2027-10-01", "supplier_id": "sup1", "received_at": T0.isoformat()})])
    with anxin.uow_factory() as uow:
        wf.set_lot_verdict(uow, "lot1", status="passed", units_removed=0, at=T0)
        uow.commit()
    anxin.process_events()


@pytest.mark.parametrize(("locale", "words"), [
    ("zh-CN", {"title": "无忧服务", "refused": "类目不在无忧服务范围内", "no_stock": "无已质检的仓内现货",
               "enrolled": "商品已报名", "tagged": "无忧", "gained": "获得标签", "withdrawn": "已退出"}),
    ("en", {"title": "Worry-free programme", "refused": "The category is not in the programme",
            "no_stock": "No inspected warehouse stock available", "enrolled": "The listing is enrolled",
            "tagged": "Worry-free", "gained": "Tag gained", "withdrawn": "Withdrawn"})])
def test_a_merchant_enrols_sees_why_and_withdraws(open_as, anxin, artifacts, locale, words) -> None:
    key = _seed(anxin)
    page = open_as(key, "/merchant/cases", locale=locale)
    with page.expect_navigation():
        page.locator('[data-testid="nav-worry-free"]').click()
    assert words["title"] in page.locator("h1").inner_text()

    with page.expect_navigation():
        page.locator('[data-testid="enrol-l2"]').click()
    assert words["refused"] in page.locator('[data-testid="refused"]').inner_text()
    assert page.locator('[role="alert"]').get_attribute("data-code") == "worryfree.not_eligible"
    assert RAW.findall(visible_text(page)) == []

    with page.expect_navigation():
        page.locator('[data-testid="enrol-l1"]').click()
    assert words["enrolled"] in page.locator('[data-testid="notice"]').inner_text()
    row = page.locator('tr[data-listing="l1"]')
    assert row.get_attribute("data-tagged") == "no" and words["no_stock"] in row.inner_text()
    assert page.locator('tr[data-listing="l2"]').get_attribute("data-state") == "refused"
    assert RAW.findall(visible_text(page)) == []

    _pass_lot(anxin)
    page.reload()
    row = page.locator('tr[data-listing="l1"]')
    assert row.get_attribute("data-tagged") == "yes"
    assert words["tagged"] in row.locator('[data-testid="tag"]').inner_text() and words["gained"] in row.inner_text()
    assert RAW.findall(visible_text(page)) == []
    page.screenshot(path=str(artifacts / f"wf-merchant-{locale}.png"), full_page=True)

    with page.expect_navigation():
        page.locator('[data-testid="withdraw-l1"]').click()
    row = page.locator('tr[data-listing="l1"]')
    assert row.get_attribute("data-state") == "withdrawn" and words["withdrawn"] in row.inner_text()
    assert RAW.findall(visible_text(page)) == []
