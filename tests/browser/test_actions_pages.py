"""The /ops/actions page in a real browser: a banned shop's restriction, a failed ack first, filters, both languages."""

from __future__ import annotations

import pytest

from anxin.core.principal import Principal, Role
from tests.db.builders import ingest_ok, shop

pytestmark = pytest.mark.db
OPERATOR = Principal("k_op", Role.OPERATOR, "ops")
PLATFORM = Principal("k_pf", Role.PLATFORM, "platform")


@pytest.mark.parametrize(("locale", "title", "restrict", "failed"), [
    ("zh-CN", "发给平台的指令", "限制店铺", "执行失败"),
    ("en", "Actions sent to the platform", "Restrict shop", "Failed")])
def test_operators_see_failed_actions_first_and_filter_them(open_as, anxin, artifacts, locale, title, restrict,
                                                            failed):
    ingest_ok(anxin, [shop("bad", "m-bad", credentials={"licence": "91330000MA0001"})])
    anxin.risk.ban_shop(OPERATOR, "bad", reason="售假被清退")
    held = anxin.actions.issue_by_hand(OPERATOR, {
        "kind": "funds.hold", "target": "shop:other", "parameters": {"amount_fen": 120_000},
        "cause": {"type": "ticket", "id": "T-7"}})
    anxin.actions.ack(PLATFORM, held["action_id"], {"status": "failed", "reason": "account frozen already"})
    key = anxin.access.create_key("operator", "ops")[1]

    page = open_as(key, "/ops/actions", locale=locale)
    assert page.locator("h1").inner_text() == title
    rows = page.locator('table[data-testid="actions"] tbody tr')
    assert rows.count() == 2
    first, second = rows.nth(0), rows.nth(1)
    assert first.get_attribute("data-state") == "failed" and failed in first.inner_text()
    assert "account frozen already" in first.locator('[data-col="failure"]').inner_text()
    assert restrict in second.inner_text() and "shop:bad" in second.inner_text()
    assert "A.SHOP_BLOCKED.RESTRICT" in second.inner_text() and "risk.shop_banned" in second.inner_text()
    page.screenshot(path=str(artifacts / f"ops-actions-{locale}.png"), full_page=True)

    page.locator('[data-testid="target-filter"]').fill("shop:bad")
    with page.expect_navigation():
        page.locator('[data-testid="target-filter"]').press("Enter")
    assert page.locator('table[data-testid="actions"] tbody tr').count() == 1
    with page.expect_navigation():
        page.locator('nav[data-testid="states"] a[data-state="failed"]').click()
    assert page.locator('[data-testid="empty"]').is_visible()  # the failed one is another shop's
    assert page.locator('nav[data-testid="states"] a[data-state="failed"] [data-count]').inner_text() == "0"
