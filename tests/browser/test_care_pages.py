"""Customer care in a real Chromium, zh-CN and en: a consumer asks about an order from the Service Guarantee Hall, the
merchant's CS inbox shows the 3-minute first reply counting down (Beijing deadline, service time left, at risk), the
merchant replies and resolves; a second question nobody answers breaches its first reply and escalates, which the
operators' console shows in its queue, breaches and escalated tabs; the consumer confirms and rates, and the rating
reaches the console's CSAT report. No page shows a raw code (intent, route, owner, state) where a person reads."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from anxin.bootstrap import bootstrap
from anxin.settings import Settings
from tests.browser.page_text import visible_text
from tests.browser.world import seed
from tests.care_fakes import FakeRouter

pytestmark = [pytest.mark.browser, pytest.mark.db]

RAW = re.compile(r"\b(?:merchant_cs|platform_cs|waiting_customer|waiting_merchant|first_reply|pre_sale|after_sale|"
                 r"merchant_policy|(?:pre_sale|order|logistics|after_sale|complaint|account|merchant)\.[a-z_]+|"
                 r"cw\.[a-z_.]+|care\.[a-z_.]+)\b")
WORDS = {
    "zh-CN": {"sent": "已提交", "owner": "商家客服", "left": "剩余服务时长 0 分 30 秒",
              "due": "10:03 +08:00（北京时间）", "at_risk": "即将超时", "replied": "回复已发送",
              "resolved": "已解决", "rated": "评分：5 / 5", "breached": "已超时", "escalated": "已升级",
              "console": "客服管理台", "csat": "100.0%"},
    "en": {"sent": "Sent.", "owner": "Merchant customer service", "left": "0 min 30 s of service time left",
           "due": "10:03 +08:00 (Beijing time)", "at_risk": "At risk", "replied": "Reply sent", "resolved": "Resolved",
           "rated": "Rated 5 out of 5", "breached": "Breached", "escalated": "Escalated",
           "console": "Customer-service console", "csat": "100.0%"},
}


@pytest.fixture
def anxin(engine, clock, transport, tmp_path: Path):
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence",
                        webhook_url="http://127.0.0.1:9/unused", webhook_secret="test-secret")
    return bootstrap(settings=settings, clock=clock, engine=engine, transport=transport, run_migrations=False,
                     care_router=FakeRouter())


def no_raw_code(page) -> None:
    assert RAW.findall(visible_text(page, options=False)) == [], page.url


def origin(page) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def ask(page, order_id: str, text: str) -> str:
    """From the order's page in the Service Guarantee Hall, ask customer service; the conversation's id."""
    page.goto(origin(page) + f"/hall/orders/{order_id}")
    with page.expect_navigation():
        page.locator('[data-testid="care-link"]').click()
    assert page.locator('select[name="order_id"]').input_value() == order_id
    page.locator('[data-testid="text"]').fill(text)
    with page.expect_navigation():
        page.locator('[data-testid="open-submit"]').click()
    return page.locator('[data-testid="conversation-head"]').get_attribute("data-consultation") or ""


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_ask_reply_breach_escalate_confirm_and_rate(open_as, anxin, clock, artifacts, locale) -> None:
    words = WORDS[locale]
    world = seed(anxin)

    consumer = open_as(world.consumer, "/hall/orders/o_cup", locale=locale)
    ask(consumer, "o_cup", "这个杯子是什么材质的？")
    assert words["sent"] in consumer.locator('[data-testid="notice"]').inner_text()
    assert consumer.locator('[data-testid="conversation-head"] [data-state="open"]').is_visible()
    assert words["owner"] in consumer.locator('[data-testid="owner"]').inner_text()
    assert consumer.locator('[data-testid="messages"] [data-role="consumer"]').count() == 1
    no_raw_code(consumer)
    consumer.screenshot(path=str(artifacts / f"care-conversation-{locale}.png"), full_page=True)
    ask(consumer, "o_vase", "花瓶的釉面是手工的吗？")  # nobody will answer this one

    clock.advance(seconds=150)  # 2.5 of the 3 minutes gone: at risk
    merchant = open_as(world.merchant, "/merchant/cases", locale=locale)
    with merchant.expect_navigation():
        merchant.locator('[data-testid="nav-care"]').click()
    rows = merchant.locator('[data-testid="tickets"] tbody tr')
    assert rows.count() == 2
    first = rows.first
    assert first.get_attribute("data-level") == "at_risk"
    assert words["left"] in first.locator('[data-testid="remaining"]').inner_text()
    assert words["due"] in first.locator('[data-testid="due"]').inner_text()
    assert words["at_risk"] in first.locator('[data-testid="at-risk"]').inner_text()
    assert merchant.locator('[data-testid="at-risk-count"]').inner_text() == "2"
    no_raw_code(merchant)
    merchant.screenshot(path=str(artifacts / f"care-inbox-{locale}.png"), full_page=True)
    cup = merchant.locator('[data-testid="tickets"] tbody tr', has=merchant.locator("code", has_text="o_cup"))
    with merchant.expect_navigation():
        cup.locator('[data-testid="open-ticket"]').click()
    assert "这个杯子是什么材质的" in merchant.locator('[data-testid="question"]').inner_text()
    merchant.locator('[data-testid="reply-text"]').fill("您好，是高温陶瓷的，可以放心使用。")
    with merchant.expect_navigation():
        merchant.locator('[data-testid="reply-submit"]').click()
    assert words["replied"] in merchant.locator('[data-testid="notice"]').inner_text()
    assert merchant.locator('[data-testid="messages"] [data-role="merchant"]').count() == 1
    no_raw_code(merchant)

    clock.advance(seconds=31)  # 3 min 1 s: the vase's first reply is missed
    anxin.care.sla.check_due()
    ops = open_as(world.operator, "/ops/cases", locale=locale)
    with ops.expect_navigation():
        ops.locator('[data-testid="nav-care"]').click()
    assert words["console"] in ops.locator("h1").inner_text()
    queue = ops.locator('[data-testid="tickets"] tbody tr')
    assert queue.count() == 2 and queue.first.get_attribute("data-level") == "breached"  # the breach first
    assert ops.locator('[data-testid="breached-count"]').inner_text() == "1"
    no_raw_code(ops)
    ops.screenshot(path=str(artifacts / f"care-console-{locale}.png"), full_page=True)
    for tab in ("breaches", "escalated"):
        with ops.expect_navigation():
            ops.locator(f'[data-testid="tabs"] a[data-tab="{tab}"]').click()
        rows = ops.locator('[data-testid="tickets"] tbody tr')
        assert rows.count() == 1, tab
        assert words["breached"] in rows.first.locator('[data-testid="breached"]').inner_text()
        assert words["escalated"] in rows.first.locator('[data-testid="escalated"]').inner_text()
        no_raw_code(ops)
    assert ops.locator('[data-testid="tabs"] [data-tab="outreach"]').is_visible()
    with ops.expect_navigation():
        ops.locator('[data-testid="open-ticket"]').first.click()
    assert ops.locator('[data-testid="confidence"]').is_visible()  # the routing decision, explained to staff
    assert ops.locator('[data-testid="breaches"] [data-kind="first_reply"]').count() == 1
    no_raw_code(ops)

    merchant.locator('[data-testid="to-state"]').select_option("resolved")
    with merchant.expect_navigation():
        merchant.locator('[data-testid="transition-submit"]').click()
    assert merchant.locator('[data-testid="ticket-head"]').get_attribute("data-state") == "resolved"

    consumer.goto(origin(consumer) + "/care")
    mine = consumer.locator('[data-consultation]')
    assert mine.count() == 2
    with consumer.expect_navigation():
        consumer.locator('[data-consultation][data-state="resolved"]').click()
    assert consumer.locator('[data-testid="messages"] [data-role="merchant"]').count() == 1
    assert words["resolved"] in consumer.locator('[data-testid="conversation-head"]').inner_text()
    assert consumer.locator('[data-testid="confidence"]').count() == 0  # no classifier internals for consumers
    with consumer.expect_navigation():
        consumer.locator('[data-testid="confirm"]').click()
    consumer.locator('[data-testid="rating-5"]').check()
    consumer.locator('textarea[name="comment"]').fill("回复很快，谢谢！")
    with consumer.expect_navigation():
        consumer.locator('[data-testid="rate-submit"]').click()
    assert words["rated"] in consumer.locator('[data-testid="rating-given"]').inner_text()
    no_raw_code(consumer)
    consumer.screenshot(path=str(artifacts / f"care-rated-{locale}.png"), full_page=True)

    clock.advance(minutes=1)
    ops.goto(origin(ops) + "/ops/care/report")
    assert words["csat"] in ops.locator('[data-testid="csat-table"] tr[data-key="all"]').inner_text()
    assert ops.locator('[data-testid="sla-report"] [data-stat="escalated"] .stat-value').inner_text() == "1"
    no_raw_code(ops)
