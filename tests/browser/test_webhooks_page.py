"""The /ops/webhooks page in a real headless Chromium: the dead message listed first with its endpoint's answer,
the redeliver button, the notice, and the same page in English."""

from __future__ import annotations

import pytest

from anxin.outbox.model import DEFAULT_ENDPOINT_ID, REFUND, RetryPolicy
from anxin.outbox.service import enqueue

pytestmark = [pytest.mark.browser, pytest.mark.db]
DOWN = "http://127.0.0.1:9/unused"


def test_an_operator_redelivers_a_dead_message(traffic, expect, open_as, anxin, transport, clock):
    with anxin.uow_factory() as uow:
        msg = enqueue(uow, clock=clock, kind=REFUND, idempotency_key="case_7:refund", amount_fen=100,
                      subject_ref="case_7", payload={})
        uow.commit()
    transport.by_url[DOWN] = 503
    for _ in range(RetryPolicy().max_attempts):
        anxin.outbox.deliver_due()
        clock.advance(hours=2)
    key = anxin.access.create_key("operator", "ops")[1]

    page = open_as(key, "/ops/webhooks")
    traffic.watch(page)
    expect(page.locator("h1")).to_have_text("回调（Webhook）投递")
    expect(page.locator(f'tr[data-endpoint="{DEFAULT_ENDPOINT_ID}"] [data-col="dead"]')).to_have_text("1")
    row = page.locator(f'tr[data-message="{msg.message_id}"]')
    expect(row).to_contain_text("HTTP 503")
    expect(page.locator('[data-testid="deliveries"] tbody tr').first).to_have_attribute("data-status", "dead")

    del transport.by_url[DOWN]
    with page.expect_navigation():
        row.get_by_test_id("redeliver-message").click()
    expect(page.get_by_test_id("notice")).to_contain_text(msg.message_id)
    expect(page.get_by_test_id("no-dead")).to_be_visible()
    assert anxin.outbox.deliver_due().delivered == 1
    page.reload()
    expect(page.locator('[data-testid="stats"] [data-status="delivered"]')).to_contain_text("1")

    english = open_as(key, "/ops/webhooks", locale="en")
    expect(english.locator("h1")).to_have_text("Webhook deliveries")
    expect(english.get_by_test_id("no-dead")).to_have_text("No dead messages.")
    assert traffic.failed == []
