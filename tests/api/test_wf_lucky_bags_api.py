"""The lucky-bag HTTP API: create (201, problems with stable codes), entries (201 then 200 for the same consumer),
the draw (200 with the audit, the same again), lists with cursors, and who may see what."""

from __future__ import annotations

import pytest
from tests.db.builders import MIN
from tests.db.test_wf_lucky_bags import CLOSES, OPENS
from tests.db.test_wf_lucky_bags import world as lucky_world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.db


def body(**kw: object) -> dict[str, object]:
    return {"live_room_id": "room1", "shop_id": "s1", "title": "福袋", "opens_at": OPENS.isoformat(),
            "closes_at": CLOSES.isoformat(), "prizes": [{"listing_id": "l1", "quantity": 2}], **kw}


def test_a_bag_from_creation_to_draw(client, keys, lucky_world, clock):  # noqa: F811
    r = client.post("/v1/lucky-bags", json=body(), headers=keys["creator"])
    assert r.status_code == 201, r.text
    bag = r.json()
    assert bag["seed"] is None and len(bag["seed_hash"]) == 64 and bag["creator_id"] == "cr1"
    bag_id = bag["bag_id"]
    clock.set(OPENS + MIN)
    entry = {"consumer_id": "c1", "region": "CN-ZJ-HZ", "entered_at": (OPENS + MIN).isoformat()}
    first = client.post(f"/v1/lucky-bags/{bag_id}/entries", json=entry, headers=keys["platform"])
    again = client.post(f"/v1/lucky-bags/{bag_id}/entries", json=entry, headers=keys["platform"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["entry_id"] == again.json()["entry_id"] and first.json()["eligible"] is True
    assert client.post(f"/v1/lucky-bags/{bag_id}/entries", json=entry,
                       headers=keys["creator"]).status_code == 403  # entries come from the platform
    early = client.post(f"/v1/lucky-bags/{bag_id}/draw", headers=keys["creator"])
    assert early.status_code == 409 and early.json()["code"] == "worryfree.lucky_bag.window_not_closed"
    clock.set(CLOSES)
    drawn = client.post(f"/v1/lucky-bags/{bag_id}/draw", headers=keys["creator"])
    assert drawn.status_code == 200, drawn.text
    audit = drawn.json()["audit"]
    assert audit["chances"] == [{"entrant_id": "c1", "numerator": 1, "denominator": 1, "position": 1}]
    assert [w["consumer_id"] for w in drawn.json()["winners"]] == ["c1"]
    assert client.post(f"/v1/lucky-bags/{bag_id}/draw", headers=keys["creator"]).json() == drawn.json()
    listed = client.get("/v1/lucky-bags", params={"limit": 1}, headers=keys["m1"])
    assert listed.status_code == 200 and [b["bag_id"] for b in listed.json()["items"]] == [bag_id]
    entries = client.get(f"/v1/lucky-bags/{bag_id}/entries", headers=keys["operator"])
    assert [e["consumer_id"] for e in entries.json()["items"]] == ["c1"]
    assert client.get(f"/v1/lucky-bags/{bag_id}", headers=keys["m2"]).status_code == 404


@pytest.mark.parametrize(("who", "changes", "status", "code"), [
    ("creator", {"prizes": [{"listing_id": "l3", "quantity": 1}]}, 422, "worryfree.lucky_bag.not_tagged"),
    ("creator", {"prizes": [{"listing_id": "l1", "quantity": 9}]}, 409, "worryfree.out_of_stock"),
    ("creator", {"closes_at": OPENS.isoformat()}, 422, "worryfree.lucky_bag.invalid"),
    ("creator", {"opens_at": "tomorrow"}, 422, "worryfree.lucky_bag.invalid"),
    ("m2", {}, 403, "worryfree.lucky_bag.forbidden"),
    ("c1", {}, 403, None),
])
def test_a_bad_bag_is_a_problem_with_its_code(client, keys, lucky_world, who, changes, status, code):  # noqa: F811
    r = client.post("/v1/lucky-bags", json=body(**changes), headers=keys[who])
    assert r.status_code == status, r.text
    if code is not None:
        assert r.json()["code"] == code


def test_a_bag_is_cancelled_over_http(client, keys, lucky_world, clock):  # noqa: F811
    bag_id = client.post("/v1/lucky-bags", json=body(), headers=keys["creator"]).json()["bag_id"]
    empty = client.post(f"/v1/lucky-bags/{bag_id}/cancel", json={"reason": ""}, headers=keys["creator"])
    assert empty.status_code == 422
    extra = client.post(f"/v1/lucky-bags/{bag_id}/cancel", json={"reason": "x", "why": 1}, headers=keys["creator"])
    assert extra.status_code == 422
    clock.set(OPENS)
    late = client.post(f"/v1/lucky-bags/{bag_id}/cancel", json={"reason": "换货"}, headers=keys["creator"])
    assert late.status_code == 409 and late.json()["code"] == "worryfree.lucky_bag.cancel_window_passed"
    r = client.post(f"/v1/lucky-bags/{bag_id}/cancel", json={"reason": "违规福袋"}, headers=keys["operator"])
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "cancelled" and r.json()["cancel_reason"] == "违规福袋"
    assert [(x["listing_id"], x["quantity"]) for x in r.json()["released"]] == [("l1", 2)]
    again = client.post(f"/v1/lucky-bags/{bag_id}/cancel", json={"reason": "违规福袋"}, headers=keys["operator"])
    assert again.status_code == 200 and again.json() == r.json()
    assert client.post(f"/v1/lucky-bags/{bag_id}/cancel", json={"reason": "x"},
                       headers=keys["m2"]).status_code == 404
