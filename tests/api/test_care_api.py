"""The care API over HTTP: a consumer opens a consultation about an order (routed to the merchant's customer service, a
ticket with a 3-minute first reply), the merchant answers in the queue, resolves, the consumer confirms and rates;
staff read the queue, CSAT and the SLA report. Every refusal is a problem with a code the operation documents, and
who may see what: a consumer never reads another's ticket, a merchant only their shops', and the routing decision's
internals (confidence, rules, facts) are for staff only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.api.problems import code
from tests.care_fakes import FakeRouter
from tests.db.builders import T0, seed_order

from anxin.bootstrap import bootstrap
from anxin.settings import Settings

pytestmark = pytest.mark.db
MIN = dt.timedelta(minutes=1)


@pytest.fixture
def anxin(engine, clock, transport, tmp_path: Path):
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence",
                        webhook_url="http://127.0.0.1:9/unused", webhook_secret="test-secret")
    return bootstrap(settings=settings, clock=clock, engine=engine, transport=transport, run_migrations=False,
                     care_router=FakeRouter())


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").json()


def documented(spec, path: str, method: str) -> set[str]:
    return {c for r in spec["paths"][path][method]["responses"].values() if "content" in r
            for m in r["content"].values() if "allOf" in m["schema"]
            for c in m["schema"]["allOf"][1]["properties"]["code"]["enum"]}


def refused(resp, spec, path: str, method: str, status: int, expected: str) -> None:
    assert resp.status_code == status, resp.text
    assert code(resp) == expected
    assert expected in documented(spec, path, method), (method, path, expected)


def _open(client, keys, who="c1", cid="q1", text="这个杯子是什么材质的", **extra):
    body = {"consultation_id": cid, "channel": "consumer" if who.startswith("c") else "merchant", "text": text,
            **extra}
    return client.post("/v1/care/consultations", json=body, headers=keys[who])


def test_a_consultation_becomes_a_merchant_ticket_answered_resolved_and_rated(client, keys, anxin, clock):
    seed_order(anxin)
    opened = _open(client, keys, order_id="o1", topic="pre_sale")
    assert opened.status_code == 201, opened.text
    body = opened.json()
    ticket = body["ticket"]
    assert (ticket["owner"], ticket["state"], ticket["shop_id"], ticket["intent"]) == (
        "merchant_cs", "open", "s1", "pre_sale.product_info")
    assert ticket["next_due_at"] == ticket["sla"]["first_reply"]["due"] == (T0 + 3 * MIN).isoformat()
    assert body["consultation"]["routing"] == {"intent": "pre_sale.product_info", "topic": "pre_sale",
                                               "route": "merchant_cs", "owner": "merchant_cs", "confidence": None,
                                               "reason_codes": None, "rule_ids": None, "rulebook_version": None,
                                               "model_version": None, "facts": None}
    again = _open(client, keys, order_id="o1", topic="pre_sale")  # the same client id: the same consultation
    assert again.status_code == 201 and again.json()["ticket"]["ticket_id"] == ticket["ticket_id"]
    tid = ticket["ticket_id"]

    queue = client.get("/v1/care/tickets", headers=keys["m1"]).json()
    assert [t["ticket_id"] for t in queue["items"]] == [tid] and queue["next"] is None

    clock.advance(seconds=150)
    reply = {"message_id": "m1-r1", "text": "您好，是陶瓷的。"}
    posted = client.post(f"/v1/care/tickets/{tid}/messages", json=reply, headers=keys["m1"])
    assert posted.status_code == 201, posted.text
    assert posted.json()["ticket"]["sla"]["first_reply"]["replied_at"] == (T0 + 150 * dt.timedelta(seconds=1)
                                                                           ).isoformat()
    assert client.post(f"/v1/care/tickets/{tid}/messages", json=reply, headers=keys["m1"]).status_code == 201

    moved = client.post(f"/v1/care/tickets/{tid}/transitions", json={"to_state": "resolved", "reason": "answered"},
                        headers=keys["m1"])
    assert moved.status_code == 200 and moved.json()["state"] == "resolved", moved.text
    closed = client.post(f"/v1/care/tickets/{tid}/transitions", json={"to_state": "closed"}, headers=keys["c1"])
    assert closed.json()["state"] == "closed", closed.text
    rated = client.post(f"/v1/care/tickets/{tid}/satisfaction", json={"rating": 5, "comment": "很快"},
                        headers=keys["c1"])
    assert rated.status_code == 201 and rated.json()["rating"] == 5, rated.text

    detail = client.get(f"/v1/care/tickets/{tid}", headers=keys["c1"]).json()
    assert [m["author"]["role"] for m in detail["messages"]] == ["merchant"]
    assert [r["rating"] for r in detail["ratings"]] == [5]
    assert all("facts" not in e["data"] for e in detail["timeline"])  # the customer reads no routing facts
    assert {e["actor"] for e in detail["timeline"]} <= {"consumer", "merchant", "system"}
    staff = client.get(f"/v1/care/tickets/{tid}", headers=keys["operator"]).json()
    assert staff["consultation"]["routing"]["confidence"] == 0.9 and staff["consultation"]["routing"]["facts"]

    clock.advance(minutes=1)
    since = (T0 - dt.timedelta(days=1)).isoformat()
    csat = client.get("/v1/care/csat", params={"by": "intent", "since": since}, headers=keys["operator"])
    assert csat.status_code == 200, csat.text
    assert csat.json()["groups"] == [{"key": "pre_sale.product_info", "ratings": 1, "average": 5.0, "csat": 1.0}]
    sla = client.get("/v1/care/sla", params={"since": since}, headers=keys["operator"])
    assert sla.status_code == 200, sla.text
    assert (sla.json()["merchant_cs"]["tickets"], sla.json()["merchant_cs"]["first_reply_breached"]) == (1, 0)


def test_a_case_answer_links_its_case_and_a_follow_up_opens_a_ticket(client, keys, anxin):
    seed_order(anxin, paid_at=T0 - dt.timedelta(days=3), signed_at=T0 - dt.timedelta(hours=2))
    filed = client.post("/v1/aftersales/cases", json={"order_id": "o1", "type": "refund_only", "reason": "quality",
                                                      "amount_fen": 9900}, headers=keys["c1"])
    assert filed.status_code == 201, filed.text
    answered = _open(client, keys, text="退款什么时候到", order_id="o1").json()
    assert answered["ticket"] is None and answered["answer"]["kind"] == "case"
    assert answered["answer"]["case_id"] == filed.json()["case_id"]
    assert [m["author"]["role"] for m in answered["messages"]] == ["bot"]
    follow = client.post("/v1/care/consultations/q1/messages", json={"message_id": "f1", "text": "还是没到账"},
                         headers=keys["c1"])
    assert follow.status_code == 201, follow.text
    assert follow.json()["ticket"]["owner"] == "merchant_cs"
    read = client.get("/v1/care/consultations/q1", headers=keys["c1"]).json()
    assert read["consultation"]["ticket_id"] == follow.json()["ticket"]["ticket_id"]


def test_who_may_read_and_act(client, keys, anxin, spec):
    seed_order(anxin)
    seed_order(anxin, order_id="o2", consumer_id="c2", shop_id="s2", merchant_id="m2")
    tid = _open(client, keys, order_id="o1").json()["ticket"]["ticket_id"]
    path = "/v1/care/tickets/{ticket_id}"
    refused(client.get(f"/v1/care/tickets/{tid}", headers=keys["c2"]), spec, path, "get", 404, "care.not_found")
    refused(client.get(f"/v1/care/tickets/{tid}", headers=keys["m2"]), spec, path, "get", 404, "care.not_found")
    assert client.get(f"/v1/care/tickets/{tid}", headers=keys["m1"]).status_code == 200
    assert client.get("/v1/care/tickets", headers=keys["c2"]).json()["items"] == []
    assert client.get("/v1/care/tickets", headers=keys["m2"]).json()["items"] == []
    refused(client.get("/v1/care/consultations/q1", headers=keys["c2"]), spec,
            "/v1/care/consultations/{consultation_id}", "get", 404, "care.not_found")
    refused(client.post(f"/v1/care/tickets/{tid}/messages", json={"message_id": "x", "text": "hi"},
                        headers=keys["m2"]), spec, "/v1/care/tickets/{ticket_id}/messages", "post", 404,
            "care.not_found")
    # another consumer's order is not theirs to ask about; staff open no consultations
    refused(_open(client, keys, who="c2", cid="q2", order_id="o1"), spec, "/v1/care/consultations", "post", 422,
            "care.order_not_found")
    refused(client.post("/v1/care/consultations", json={"consultation_id": "q3", "channel": "consumer", "text": "x"},
                        headers=keys["operator"]), spec, "/v1/care/consultations", "post", 403, "care.forbidden")
    # a merchant does not rate, a consumer does not resolve
    refused(client.post(f"/v1/care/tickets/{tid}/transitions", json={"to_state": "resolved"}, headers=keys["c1"]),
            spec, "/v1/care/tickets/{ticket_id}/transitions", "post", 403, "care.forbidden")
    for report in ("/v1/care/csat", "/v1/care/sla"):
        refused(client.get(report, headers=keys["m1"]), spec, report, "get", 403, "access.forbidden_role")


def test_bad_input_is_refused_with_the_codes_documented(client, keys, anxin, spec):
    seed_order(anxin)
    post = "/v1/care/consultations"
    refused(_open(client, keys, text=""), spec, post, "post", 422, "request.invalid")
    refused(_open(client, keys, topic="gossip"), spec, post, "post", 422, "request.invalid")
    refused(client.post(post, json={"consultation_id": "bad id!", "channel": "consumer", "text": "x"},
                        headers=keys["c1"]), spec, post, "post", 422, "request.invalid")
    refused(_open(client, keys, order_id="nope"), spec, post, "post", 422, "care.order_not_found")
    refused(_open(client, keys, channel="merchant"), spec, post, "post", 422, "care.invalid")
    tid = _open(client, keys, order_id="o1").json()["ticket"]["ticket_id"]
    refused(_open(client, keys, text="另一个问题", order_id="o1"), spec, post, "post", 409, "care.id_reused")

    one = "/v1/care/tickets/{ticket_id}"
    refused(client.get("/v1/care/tickets/nope", headers=keys["operator"]), spec, one, "get", 404, "care.not_found")
    moves = one + "/transitions"
    refused(client.post(f"/v1/care/tickets/{tid}/transitions", json={"to_state": "limbo"}, headers=keys["m1"]),
            spec, moves, "post", 422, "request.invalid")
    refused(client.post(f"/v1/care/tickets/{tid}/transitions", json={"to_state": "closed"}, headers=keys["operator"]),
            spec, moves, "post", 409, "care.illegal_transition")
    rate = one + "/satisfaction"
    refused(client.post(f"/v1/care/tickets/{tid}/satisfaction", json={"rating": 5}, headers=keys["c1"]),
            spec, rate, "post", 409, "care.not_rateable")
    refused(client.post(f"/v1/care/tickets/{tid}/satisfaction", json={"rating": 9}, headers=keys["c1"]),
            spec, rate, "post", 422, "care.invalid")
    refused(client.post(f"/v1/care/tickets/{tid}/satisfaction", json={"rating": "5"}, headers=keys["c1"]),
            spec, rate, "post", 422, "request.invalid")
    msgs = one + "/messages"
    refused(client.post(f"/v1/care/tickets/{tid}/messages", json={"message_id": "m", "text": "x" * 2001},
                        headers=keys["m1"]), spec, msgs, "post", 422, "request.invalid")
    assert client.post(f"/v1/care/tickets/{tid}/messages", json={"message_id": "m", "text": "好的"},
                       headers=keys["m1"]).status_code == 201
    refused(client.post(f"/v1/care/tickets/{tid}/messages", json={"message_id": "m", "text": "另一句"},
                        headers=keys["m1"]), spec, msgs, "post", 409, "care.id_reused")

    queue = "/v1/care/tickets"
    refused(client.get(queue, params={"state": "limbo"}, headers=keys["operator"]), spec, queue, "get", 422,
            "request.invalid")
    refused(client.get(queue, params={"intent": "gossip"}, headers=keys["operator"]), spec, queue, "get", 422,
            "care.invalid_filter")
    refused(client.get(queue, params={"cursor": "garbage"}, headers=keys["operator"]), spec, queue, "get", 400,
            "request.invalid_cursor")
    refused(client.get("/v1/care/sla", params={"since": "yesterday"}, headers=keys["operator"]), spec,
            "/v1/care/sla", "get", 422, "care.invalid_filter")
    refused(client.get("/v1/care/csat", params={"by": "mood"}, headers=keys["operator"]), spec, "/v1/care/csat",
            "get", 422, "request.invalid")


def test_the_queue_pages_by_next_deadline(client, keys, anxin, clock):
    seed_order(anxin)
    ids = []
    for n in range(3):
        ids.append(_open(client, keys, cid=f"q{n}", text=f"问题{n}", order_id="o1").json()["ticket"]["ticket_id"])
        clock.advance(seconds=30)
    first = client.get("/v1/care/tickets", params={"limit": 2}, headers=keys["operator"]).json()
    assert [t["ticket_id"] for t in first["items"]] == ids[:2] and first["next"]
    rest = client.get("/v1/care/tickets", params={"limit": 2, "cursor": first["next"]},
                      headers=keys["operator"]).json()
    assert [t["ticket_id"] for t in rest["items"]] == ids[2:] and rest["next"] is None
    other = client.get("/v1/care/tickets", params={"limit": 2, "cursor": first["next"], "owner": "platform_cs"},
                       headers=keys["operator"])
    assert other.status_code == 400  # a cursor of another list


def test_a_missed_first_reply_is_a_breach_and_escalates(client, keys, anxin, clock):
    seed_order(anxin)
    tid = _open(client, keys, order_id="o1").json()["ticket"]["ticket_id"]
    clock.advance(minutes=3, seconds=1)
    anxin.care.sla.check_due(clock.now())
    breached = client.get("/v1/care/tickets", params={"breached": "true"}, headers=keys["operator"]).json()["items"]
    assert [t["ticket_id"] for t in breached] == [tid]
    assert breached[0]["owner"] == "platform_cs" and breached[0]["sla"]["escalated_at"]
    detail = client.get(f"/v1/care/tickets/{tid}", headers=keys["operator"]).json()
    assert [b["kind"] for b in detail["breaches"]] == ["first_reply"]
