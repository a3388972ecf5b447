"""The companion's HTTP API: the outreach queue with cursors and filters, one task, transitions with a remedy, the
effect report; staff only; every error is a problem with a code the operation declares and the catalogs name."""

from __future__ import annotations

import pytest
from tests import catalogs
from tests.db.builders import T0, D, ingest_ok, review, seed_order

from anxin.care.companion_error_codes import CareOutreachErrorCode
from anxin.care.companion_policy import held_out
from anxin.care.companion_store import task_id_for

pytestmark = pytest.mark.db


@pytest.fixture
def orders(anxin):
    """Three orders outside the hold-out, each with a bad review a day apart (due 24 h after each)."""
    found = [f"o{i}" for i in range(5000) if not held_out(f"o{i}", anxin.companion.rules)][:3]
    for i, order_id in enumerate(found):
        seed_order(anxin, order_id=order_id, shop_id=f"s{i}", merchant_id=f"m{i}")
    ingest_ok(anxin, [review(o, rating=1, posted_at=T0 + (3 - i) * D) for i, o in enumerate(found)])
    return found


def test_the_queue_pages_by_due_time(client, keys, orders):
    first = client.get("/v1/care/outreach", params={"limit": 2}, headers=keys["operator"])
    assert first.status_code == 200, first.text
    body = first.json()
    assert [t["order_id"] for t in body["items"]] == [orders[2], orders[1]] and body["next"]
    rest = client.get("/v1/care/outreach", params={"limit": 2, "cursor": body["next"]}, headers=keys["operator"])
    assert [t["order_id"] for t in rest.json()["items"]] == [orders[0]] and rest.json()["next"] is None
    other = client.get("/v1/care/outreach", params={"limit": 2, "cursor": body["next"], "shop_id": "s1"},
                       headers=keys["operator"])
    assert other.status_code == 400 and other.json()["code"] == "request.invalid_cursor"
    shop = client.get("/v1/care/outreach", params={"shop_id": "s1", "trouble": "bad_review", "state": "open"},
                      headers=keys["operator"])
    assert [t["order_id"] for t in shop.json()["items"]] == [orders[1]]
    bad = client.get("/v1/care/outreach", params={"trouble": "weather"}, headers=keys["operator"])
    assert (bad.status_code, bad.json()["code"]) == (422, "care.outreach.invalid_filter")


@pytest.mark.parametrize("who", ["c1", "m1", "platform"])
def test_staff_only(client, keys, orders, who):
    response = client.get("/v1/care/outreach", headers=keys[who])
    assert (response.status_code, response.json()["code"]) == (403, "access.forbidden_role")
    assert client.get("/v1/care/outreach").status_code == 401


def test_one_task_and_its_moves(client, keys, orders):
    task_id = task_id_for(orders[0], "bad_review")
    got = client.get(f"/v1/care/outreach/{task_id}", headers=keys["operator"])
    assert got.status_code == 200 and got.json()["decision"]["outcome"] == "opened"
    missing = client.get("/v1/care/outreach/otr_nope", headers=keys["operator"])
    assert (missing.status_code, missing.json()["code"]) == (404, "care.outreach.task_not_found")
    url = f"/v1/care/outreach/{task_id}/transitions"
    contacted = client.post(url, json={"to": "contacted", "note": "called"}, headers=keys["operator"])
    assert contacted.status_code == 200 and contacted.json()["state"] == "contacted"
    refused = client.post(url, json={"to": "done"}, headers=keys["operator"])
    assert (refused.status_code, refused.json()["code"]) == (422, "care.outreach.remedy_required")
    unknown = client.post(url, json={"to": "done", "remedy": "cash"}, headers=keys["operator"])
    assert unknown.status_code == 422 and unknown.json()["code"] == "request.invalid"
    done = client.post(url, json={"to": "done", "remedy": "coupon"}, headers=keys["operator"])
    assert done.status_code == 200 and (done.json()["state"], done.json()["coupon_fen"]) == ("done", 500)
    again = client.post(url, json={"to": "done"}, headers=keys["operator"])
    assert (again.status_code, again.json()["code"]) == (409, "care.outreach.invalid_transition")
    assert client.post(url, json={"to": "contacted"}, headers=keys["m1"]).status_code == 403


def test_the_effect_report(client, keys, orders):
    response = client.get("/v1/care/outreach-effect", params={"since": T0.isoformat(),
                                                             "until": (T0 + 5 * D).isoformat()},
                          headers=keys["operator"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cared_for"]["tasks"] == 3 and body["held_out"]["tasks"] == 0
    assert body["csat_source"] is None and body["contact_rate_difference"] is None
    bad = client.get("/v1/care/outreach-effect", params={"since": "yesterday", "until": T0.isoformat()},
                     headers=keys["operator"])
    assert (bad.status_code, bad.json()["code"]) == (422, "care.outreach.invalid_period")


def test_the_operations_declare_their_codes_and_the_catalogs_name_them(app):
    spec = app.openapi()
    responses = spec["paths"]["/v1/care/outreach/{task_id}/transitions"]["post"]["responses"]
    assert "`care.outreach.coupon_cap_reached`" in responses["409"]["description"]
    assert "`care.outreach.task_not_found`" in responses["404"]["description"]
    assert "care.outreach.coupon_cap_reached" not in str(spec["paths"]["/v1/care/outreach"]["get"]["responses"])
    wanted = [f"err.{c.value}" for c in CareOutreachErrorCode]
    assert sorted(k for k in wanted if k not in catalogs.ZH) == []
    assert sorted(k for k in wanted if k not in catalogs.EN) == []
