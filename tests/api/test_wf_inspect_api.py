"""Inbound inspection over HTTP: GET a lot (its merchant and staff; anyone else 404), POST the sampled units'
results (operator) with every refusal a problem with a declared code; the queue and a merchant's lots page by
cursor."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.db.builders import T0, category, event, ingest_ok, listing, shop

pytestmark = pytest.mark.db


def _lot(anxin, lot_id, *, at=T0, days_left=80, listing_id="l1"):
    day = (at + dt.timedelta(hours=8)).date()
    expires = day + dt.timedelta(days=days_left)
    ingest_ok(anxin, [event("warehouse.lot_received", {
        "lot_id": lot_id, "listing_id": listing_id, "quantity": 40,
        "produced_on": (expires - dt.timedelta(days=100)).isoformat(),
        "expires_on": expires.isoformat(), "supplier_id": "sup-1", "received_at": at.isoformat()}, at=at)])
    anxin.process_events()


@pytest.fixture
def lots(anxin):
    ingest_ok(anxin, [category("cat_food", tags=["food"]), shop("s1", "m1"), listing("l1", "s1", "cat_food")])
    _lot(anxin, "lot-a")
    _lot(anxin, "lot-b", at=T0 + dt.timedelta(hours=1))
    _lot(anxin, "lot-c", at=T0 + dt.timedelta(hours=2))
    return ["lot-a", "lot-b", "lot-c"]


def _units(n, bad=()):
    return {"units": [{"unit_no": i, "outer_packaging": "pass", "labels": "fail" if i in bad else "pass"}
                      for i in range(1, n + 1)]}


@pytest.mark.parametrize(("who", "status"), [("m1", 200), ("operator", 200), ("platform", 200), ("m2", 404),
                                             ("c1", 404), ("creator", 404)])
def test_get_a_lot(client, keys, lots, who, status):
    got = client.get("/v1/worry-free/lots/lot-a", headers=keys[who])
    assert got.status_code == status, got.text
    if status == 200:
        body = got.json()
        assert body["lot"]["lot_id"] == "lot-a" and body["inspection"]["plan"]["sample_size"] == 5
        assert body["inspection"]["status"] == "pending" and body["inspection"]["verdict"] is None
    else:
        assert got.json()["code"] == "worryfree.inspection.lot_not_found"


def test_record_results_once(client, keys, lots):
    url = "/v1/worry-free/lots/lot-a/inspection"
    short = client.post(url, json=_units(4), headers=keys["operator"])
    assert (short.status_code, short.json()["code"]) == (422, "worryfree.inspection.invalid_units")
    assert client.post(url, json=_units(5), headers=keys["m1"]).status_code == 403
    bad_value = client.post(url, json={"units": [{"unit_no": 1, "outer_packaging": "meh", "labels": "pass"}]},
                            headers=keys["operator"])
    assert bad_value.status_code == 422
    done = client.post(url, json=_units(5, bad={2}), headers=keys["operator"])
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["inspection"]["verdict"]["outcome"] == "rejected" and body["lot"]["status"] == "rejected"
    assert body["inspection"]["verdict"]["reason_codes"] == ["defects_over_acceptance", "labels_failed"]
    again = client.post(url, json=_units(5), headers=keys["operator"])
    assert (again.status_code, again.json()["code"]) == (409, "worryfree.inspection.already_decided")
    missing = client.post("/v1/worry-free/lots/nope/inspection", json=_units(5), headers=keys["operator"])
    assert (missing.status_code, missing.json()["code"]) == (404, "worryfree.inspection.lot_not_found")


def test_the_queue_and_the_merchants_lots_page_by_cursor(client, keys, lots):
    first = client.get("/v1/worry-free/inspections", params={"limit": 2}, headers=keys["operator"])
    assert first.status_code == 200, first.text
    assert [i["lot_id"] for i in first.json()["items"]] == ["lot-a", "lot-b"] and first.json()["next"]
    rest = client.get("/v1/worry-free/inspections", params={"limit": 2, "cursor": first.json()["next"]},
                      headers=keys["operator"])
    assert [i["lot_id"] for i in rest.json()["items"]] == ["lot-c"] and rest.json()["next"] is None
    assert client.get("/v1/worry-free/inspections", headers=keys["m1"]).status_code == 403
    mine = client.get("/v1/worry-free/lots", params={"limit": 2}, headers=keys["m1"])
    assert [i["lot_id"] for i in mine.json()["items"]] == ["lot-c", "lot-b"]
    more = client.get("/v1/worry-free/lots", params={"limit": 2, "cursor": mine.json()["next"]}, headers=keys["m1"])
    assert [i["lot_id"] for i in more.json()["items"]] == ["lot-a"]
    assert client.get("/v1/worry-free/lots", headers=keys["m2"]).json()["items"] == []
