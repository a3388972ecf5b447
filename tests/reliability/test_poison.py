"""A poison event never stops money: refunds are delivered whatever else the tick meets."""

from __future__ import annotations

import httpx
import pytest

from tests.db import builders as b
from tests.reliability.harness import PRICE_FEN, SHOP, World, record, send_all

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


def test_an_order_paid_in_year_one_does_not_stop_refund_webhooks(world: World) -> None:
    world.seed_orders(1, prefix="first")  # the shop and listing exist
    poison = b.event("order.paid", {"order_id": "o_poison", "consumer_id": "c0399", "shop_id": SHOP,
                                    "items": [b.item("l_rel", 1, PRICE_FEN)], "paid_fen": PRICE_FEN,
                                    "paid_at": "0001-01-01T00:00:00+00:00"}, id="ev-poison")
    r = httpx.post(f"{world.base}/v1/events", json={"events": [poison]}, timeout=30,
                   headers={"Authorization": f"Bearer {world.keys['platform']}"})
    body = r.json()
    refused = (400 <= r.status_code < 500 and bool(body.get("error", {}).get("code"))) or (
        r.status_code == 200 and any(x.get("code") for x in body.get("rejected", [])))
    assert r.status_code < 500, r.text
    orders = world.seed_orders(5, prefix="after")
    replies = send_all(world.base, [world.filing(o, c) for o, c in orders])
    assert [x.status for x in replies] == [201] * 5, replies
    cases = {x.body["case_id"] for x in replies if x.body["state"] == "refunded"}
    assert len(cases) == 5
    missing = world.receiver.wait_for_cases(cases, timeout=20)
    record("poison_refused", refused)
    record("poison_refunds_delivered_of_5", 5 - len(missing))
    assert not missing, f"{len(missing)}/5 refund webhooks not delivered after the poison event"
