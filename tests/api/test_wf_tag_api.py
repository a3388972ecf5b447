"""The enrolment and tag API: enrol (201 now, 200 already), a refusal as 422 worryfree.not_eligible with its
reasons, withdrawal, a shop's enrolments by page, and a listing's worry-free status by role."""

from __future__ import annotations

import pytest
import yaml
from tests.db.builders import category, listing, shop

from anxin.worryfree.tag_rules import DEFAULT_TAG_RULEBOOK, parse_tag_rules

pytestmark = pytest.mark.db


@pytest.fixture
def seeded(anxin):
    anxin.wf_tags.score = lambda uow, shop_id: 9000
    raw = yaml.safe_load(DEFAULT_TAG_RULEBOOK.read_text())
    raw["tag"]["window"]["too_few_orders"] = "waive"
    anxin.wf_tags.rules = parse_tag_rules(raw)
    result = anxin.ingestion.ingest([category("food", tags=["food"]), category("3c"), shop("s1", "m1"),
                                     shop("s2", "m2"), *(listing(f"l{n}", "s1", "food") for n in range(1, 4)),
                                     listing("lx", "s1", "3c")])
    assert not result.rejected
    return anxin


def test_enrol_withdraw_and_read(client, keys, seeded):
    first = client.post("/v1/worry-free/enrolments", json={"listing_id": "l1"}, headers=keys["m1"])
    assert first.status_code == 201, first.text
    assert first.json()["state"] == "active" and first.json()["reasons"][0] == "category_eligible"
    again = client.post("/v1/worry-free/enrolments", json={"listing_id": "l1"}, headers=keys["m1"])
    assert again.status_code == 200 and again.json()["version"] == first.json()["version"]

    refused = client.post("/v1/worry-free/enrolments", json={"listing_id": "lx"}, headers=keys["m1"])
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "worryfree.not_eligible"
    assert body["reasons"] == ["category_not_eligible"]
    assert body["failed_rule_ids"] == ["enrol.category"] and body["rulebook_version"]

    status = client.get("/v1/listings/l1/worry-free", headers=keys["m1"]).json()
    assert status["enrolment"]["state"] == "active" and status["tag"]["tagged"] is False
    assert status["tag"]["reasons"] == ["stock_empty"] and status["tag"]["failed_rule_ids"] == ["tag.stock"]
    assert status["stock"]["available"] == 0 and status["history"] == [] and status["upgrades"] == []
    for who in ("operator", "platform", "creator"):
        assert client.get("/v1/listings/l1/worry-free", headers=keys[who]).status_code == 200
    assert client.get("/v1/listings/l1/worry-free", headers=keys["m2"]).status_code == 404
    assert client.get("/v1/listings/l1/worry-free", headers=keys["c1"]).status_code == 404
    assert client.get("/v1/listings/nope/worry-free", headers=keys["m1"]).status_code == 404

    assert client.post("/v1/worry-free/enrolments", json={"listing_id": "l1"},
                       headers=keys["c1"]).status_code == 403
    assert client.post("/v1/worry-free/enrolments", json={"listing_id": "l1"},
                       headers=keys["m2"]).status_code == 404
    assert client.post("/v1/worry-free/enrolments", json={"listing": "l1"}, headers=keys["m1"]).status_code == 422

    out = client.delete("/v1/worry-free/enrolments/l1", headers=keys["m1"])
    assert out.status_code == 200 and out.json()["state"] == "withdrawn"
    twice = client.delete("/v1/worry-free/enrolments/l1", headers=keys["m1"])
    assert twice.status_code == 409 and twice.json()["code"] == "worryfree.not_enrolled"


def test_a_shops_enrolments_by_page(client, keys, seeded):
    for lid in ("l1", "l2", "l3"):
        assert client.post("/v1/worry-free/enrolments", json={"listing_id": lid}, headers=keys["platform"]
                           ).status_code == 201
    first = client.get("/v1/shops/s1/worry-free/enrolments?limit=2", headers=keys["m1"]).json()
    assert [e["listing_id"] for e in first["items"]] == ["l1", "l2"] and first["next"]
    rest = client.get(f"/v1/shops/s1/worry-free/enrolments?limit=2&cursor={first['next']}", headers=keys["m1"])
    assert [e["listing_id"] for e in rest.json()["items"]] == ["l3"] and rest.json()["next"] is None
    assert client.get("/v1/shops/s1/worry-free/enrolments?state=active", headers=keys["operator"]).status_code == 200
    assert client.get("/v1/shops/s1/worry-free/enrolments?state=bogus", headers=keys["m1"]).status_code == 422
    assert client.get("/v1/shops/s1/worry-free/enrolments", headers=keys["m2"]).status_code == 404
