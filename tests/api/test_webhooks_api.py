"""Webhooks for operators over HTTP: endpoints (secret once), messages with deliveries and attempts, redelivery;
and the /ops/webhooks page's redeliver form (zh-CN, en)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from tests.api.problems import code as problem_code

from anxin.outbox.model import DEFAULT_ENDPOINT_ID, NOTICE, REFUND, RetryPolicy
from anxin.outbox.service import enqueue
from anxin.outbox.signing import verify

pytestmark = pytest.mark.db
BASE = "/v1/ops/webhooks"
DOWN = "http://127.0.0.1:9/unused"  # the conftest's ANXIN_WEBHOOK_URL: the default endpoint


def put(anxin, key, kind=REFUND, subject="case_1"):
    with anxin.uow_factory() as uow:
        msg = enqueue(uow, clock=anxin.clock, kind=kind, idempotency_key=key, amount_fen=100, subject_ref=subject,
                      payload={"case_id": subject})
        uow.commit()
    return msg


def deliver_with_default_down(anxin, transport, clock) -> tuple[int, int]:
    """The default endpoint answers 503 until its retries are spent; returns (delivered, dead)."""
    transport.by_url[DOWN] = 503
    delivered = dead = 0
    for _ in range(RetryPolicy().max_attempts):
        report = anxin.outbox.deliver_due()
        delivered, dead = delivered + report.delivered, dead + report.dead
        clock.advance(hours=2)
    return delivered, dead


def test_endpoints_create_list_update_rotate(client, keys, anxin, transport):
    op = keys["operator"]
    created = client.post(f"{BASE}/endpoints", json={"url": "https://platform.example/hooks",
                                                     "event_types": [REFUND], "description": "refunds"}, headers=op)
    assert created.status_code == 201, created.text
    body = created.json()
    secret, ep = body["secret"], body["endpoint"]
    assert secret.startswith("whsec_") and ep["event_types"] == [REFUND] and ep["enabled"] is True
    listed = client.get(f"{BASE}/endpoints", headers=op).json()["endpoints"]
    assert {e["endpoint_id"] for e in listed} == {DEFAULT_ENDPOINT_ID, ep["endpoint_id"]}
    assert all("secret" not in e for e in listed) and secret not in client.get(f"{BASE}/endpoints", headers=op).text
    changed = client.patch(f"{BASE}/endpoints/{ep['endpoint_id']}", json={"enabled": False,
                                                                         "event_types": [REFUND, NOTICE]}, headers=op)
    assert changed.status_code == 200 and changed.json()["endpoint"]["enabled"] is False
    assert changed.json()["endpoint"]["event_types"] == [NOTICE, REFUND]
    rotated = client.post(f"{BASE}/endpoints/{ep['endpoint_id']}/rotate-secret", headers=op).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != secret
    assert rotated["endpoint"]["previous_secret_until"] is not None
    errors = [
        (client.post(f"{BASE}/endpoints", json={"url": "ftp://x", "event_types": ["*"]}, headers=op), 422,
         "outbox.invalid_endpoint"),
        (client.post(f"{BASE}/endpoints", json={"url": "https://x.example", "event_types": ["nope"]}, headers=op),
         422, "outbox.invalid_endpoint"),
        (client.patch(f"{BASE}/endpoints/ep_missing", json={"enabled": True}, headers=op), 404,
         "outbox.endpoint_not_found"),
        (client.post(f"{BASE}/endpoints/{DEFAULT_ENDPOINT_ID}/rotate-secret", headers=op), 409,
         "outbox.endpoint_configured"),
    ]
    for resp, status, code in errors:
        assert (resp.status_code, problem_code(resp)) == (status, code)
    for who in ("platform", "m1", "c1"):
        assert client.get(f"{BASE}/endpoints", headers=keys[who]).status_code == 403
        assert client.post(f"{BASE}/endpoints", json={"url": "https://x.example"}, headers=keys[who]).status_code == 403
    assert client.get(f"{BASE}/endpoints").status_code == 401


def test_messages_paging_detail_and_redelivery(client, keys, anxin, transport, clock):
    op = keys["operator"]
    good = client.post(f"{BASE}/endpoints", json={"url": "https://ok.example/hooks"}, headers=op).json()
    msgs = [put(anxin, f"case_{i}:refund", subject=f"case_{i}") for i in range(3)]
    put(anxin, "n1", kind=NOTICE, subject="order_1")
    assert deliver_with_default_down(anxin, transport, clock) == (4, 4)
    ok_call = transport.to("https://ok.example/hooks")[0]
    assert verify([good["secret"]], ok_call.headers, ok_call.body, now_ts=int(time.time()))  # signed at wall time

    first = client.get(f"{BASE}/messages", params={"status": "dead", "kind": REFUND, "limit": 2}, headers=op).json()
    assert len(first["items"]) == 2 and first["next"] is not None
    assert client.get(f"{BASE}/message-counts", headers=op).json() == {"pending": 0, "delivered": 0, "dead": 4}
    rest = client.get(f"{BASE}/messages", params={"status": "dead", "kind": REFUND, "limit": 2,
                                                  "cursor": first["next"]}, headers=op).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    ids = {m["message_id"] for m in first["items"] + rest["items"]}
    assert ids == {m.message_id for m in msgs}
    only = client.get(f"{BASE}/messages", params={"subject_ref": "case_1"}, headers=op).json()["items"]
    assert [m["idempotency_key"] for m in only] == ["case_1:refund"]

    detail = client.get(f"{BASE}/messages/{msgs[0].message_id}", headers=op).json()
    assert detail["message"]["status"] == "dead"
    by_endpoint = {d["endpoint_id"]: d for d in detail["deliveries"]}
    dead = by_endpoint[DEFAULT_ENDPOINT_ID]
    assert (dead["status"], dead["last_status_code"], dead["url"]) == ("dead", 503, DOWN)
    assert [(a["status_code"], a["error"]) for a in dead["attempt_log"]] == [(503, "HTTP 503")] * 12
    assert by_endpoint[good["endpoint"]["endpoint_id"]]["status"] == "delivered"

    del transport.by_url[DOWN]
    again = client.post(f"{BASE}/deliveries/{dead['delivery_id']}/redeliver", headers=op)
    assert again.status_code == 200 and again.json()["delivery"]["status"] == "pending"
    whole = client.post(f"{BASE}/messages/{msgs[1].message_id}/redeliver", headers=op)
    assert whole.status_code == 200 and whole.json()["message"]["status"] == "pending"
    assert anxin.outbox.deliver_due().delivered == 2
    assert {c.headers["webhook-id"] for c in transport.to(DOWN)[-2:]} == {msgs[0].message_id, msgs[1].message_id}
    errors = [
        (client.post(f"{BASE}/messages/{msgs[0].message_id}/redeliver", headers=op), 409, "outbox.not_redeliverable"),
        (client.post(f"{BASE}/messages/msg_missing/redeliver", headers=op), 404, "outbox.message_not_found"),
        (client.post(f"{BASE}/deliveries/dlv_missing/redeliver", headers=op), 404, "outbox.delivery_not_found"),
        (client.get(f"{BASE}/messages/msg_missing", headers=op), 404, "outbox.message_not_found"),
        (client.get(f"{BASE}/messages", params={"status": "lost"}, headers=op), 422, "request.invalid"),  # an enum
        (client.get(f"{BASE}/messages", params={"kind": "refund.maybe"}, headers=op), 422, "outbox.invalid_filter"),
    ]
    for resp, status, code in errors:
        assert (resp.status_code, problem_code(resp)) == (status, code)
    assert client.post(f"{BASE}/messages/{msgs[2].message_id}/redeliver", headers=keys["platform"]).status_code == 403


@pytest.mark.parametrize(("lang", "title", "button"), [("zh-CN", "回调（Webhook）投递", "重新投递"),
                                                       ("en", "Webhook deliveries", "Redeliver")])
def test_the_page_lists_dead_first_and_redelivers(app, anxin, transport, clock, lang, title, button):
    dead = put(anxin, "case_9:refund", subject="case_9")
    assert deliver_with_default_down(anxin, transport, clock) == (0, 1)
    client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    key = anxin.access.create_key("operator", "ops")[1]
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    page = client.get("/ops/webhooks")
    assert page.status_code == 200 and title in page.text and button in page.text
    assert f'data-message="{dead.message_id}"' in page.text and f'data-endpoint="{DEFAULT_ENDPOINT_ID}"' in page.text
    forged = client.post(f"/ops/webhooks/messages/{dead.message_id}/redeliver", data={"csrf": "nope"},
                         follow_redirects=False)
    assert forged.status_code == 403 and anxin.outbox.get_message(dead.message_id).status == "dead"
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    done = client.post(f"/ops/webhooks/messages/{dead.message_id}/redeliver", data={"csrf": token},
                       follow_redirects=False)
    assert done.status_code == 303 and anxin.outbox.get_message(dead.message_id).status == "pending"
    again = client.post(f"/ops/webhooks/messages/{dead.message_id}/redeliver", data={"csrf": token})
    assert again.status_code == 409 and "outbox.not_redeliverable" in again.text
    consumer = TestClient(app, raise_server_exceptions=False)
    ckey = anxin.access.create_key("consumer", "c1")[1]
    consumer.post("/login", data={"key": ckey})
    assert consumer.get("/ops/webhooks").status_code == 403
