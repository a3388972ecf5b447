"""The governance API: operators record violations (idempotent by their id), the shop's merchant and operators read
its record, merchants see only their own shops and never the decision trace."""

from __future__ import annotations

import pytest
from tests.api.problems import code
from tests.db.builders import ingest_ok, shop

pytestmark = pytest.mark.db

BODY = {"id": "T-1", "kind": "late_shipment", "subject": "shop:s1", "shop_id": "s1",
        "evidence": {"order_id": "o1", "finding_id": "f1"}, "note": "late"}


@pytest.fixture
def shops(anxin):
    ingest_ok(anxin, [shop("s1", "m1"), shop("s2", "m2")])


def test_an_operator_records_once_per_id_and_a_changed_body_conflicts(client, keys, shops):
    first = client.post("/v1/governance/violations", json=BODY, headers=keys["operator"])
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["created"] and body["points_hundredths"] == 10 and body["class"] == "general"
    assert body["decisions"][0]["rulebook_version"] == "governance-2026.12"
    again = client.post("/v1/governance/violations", json=BODY, headers=keys["operator"])
    assert again.status_code == 200 and not again.json()["created"]
    assert again.json()["violation_id"] == body["violation_id"]
    other = client.post("/v1/governance/violations", json={**BODY, "kind": "fake_shipment"},
                        headers=keys["operator"])
    assert other.status_code == 409 and code(other) == "governance.source_conflict"


@pytest.mark.parametrize(("change", "status", "expected"), [
    ({"kind": "nope"}, 422, "governance.unknown_kind"),
    ({"evidence": {}}, 422, "governance.evidence_missing"),
    ({"kind": "counterfeit", "subject": "listing:l1", "evidence": {"description": "x"}}, 422,
     "governance.severity_required"),
    ({"subject": "order:1"}, 422, "governance.invalid_subject"),
    ({"shop_id": None}, 422, "governance.no_owner"),
    ({"extra": 1}, 422, "governance.invalid_request"),
    ({"at": "yesterday"}, 422, "governance.invalid_request"),
])
def test_bad_requests_are_4xx_with_stable_codes(client, keys, shops, change, status, expected):
    resp = client.post("/v1/governance/violations", json={**BODY, **change}, headers=keys["operator"])
    assert resp.status_code == status and code(resp) == expected, resp.text


def test_only_operators_record(client, keys, shops):
    resp = client.post("/v1/governance/violations", json=BODY, headers=keys["m1"])
    assert resp.status_code == 403


def test_the_shop_record_shows_points_ladder_measures_and_violations(client, keys, shops):
    crossing = {**BODY, "id": "T-2", "kind": "aftersales_obstruction", "evidence": {"case_id": "k1"}}
    for i in range(3):  # 3 × 4 = 12 general points: the first node
        client.post("/v1/governance/violations", json={**crossing, "id": f"T-{i}"}, headers=keys["operator"])
    resp = client.get("/v1/shops/s1/governance", headers=keys["m1"])
    assert resp.status_code == 200, resp.text
    rec = resp.json()
    general = next(p for p in rec["points"] if p["class"] == "general")
    assert general["points_hundredths"] == 1200 and len(general["entries"]) == 3
    position = next(p for p in rec["ladder"] if p["class"] == "general")
    assert position["reached_node"] == "GOV.GENERAL.12" and position["next_node"] == "GOV.GENERAL.24"
    assert position["distance_hundredths"] == 1200 and position["caution"] is False
    assert {m["type"] for m in rec["measures"]} == {"warning", "traffic_limit"}
    assert all(m["ends_at"] for m in rec["measures"])
    assert len(rec["violations"]) == 3 and rec["appeals"] == []
    assert client.get("/v1/shops/s1/governance", headers=keys["operator"]).status_code == 200


def test_merchants_see_only_their_own_shops_and_no_decision_trace(client, keys, shops):
    made = client.post("/v1/governance/violations", json=BODY, headers=keys["operator"]).json()
    other = client.get("/v1/shops/s1/governance", headers=keys["m2"])
    assert other.status_code == 404 and code(other) == "governance.shop_not_found"
    assert client.get(f"/v1/governance/violations/{made['violation_id']}", headers=keys["m2"]).status_code == 404
    mine = client.get(f"/v1/governance/violations/{made['violation_id']}", headers=keys["m1"])
    assert mine.status_code == 200 and mine.json().get("decisions") is None
    assert client.get("/v1/shops/s1/governance", headers=keys["c1"]).status_code == 403


def test_the_operators_list_is_paged_and_filtered(client, keys, shops):
    for i in range(3):
        client.post("/v1/governance/violations", json={**BODY, "id": f"P-{i}"}, headers=keys["operator"])
    first = client.get("/v1/governance/violations?limit=2", headers=keys["operator"]).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = client.get(f"/v1/governance/violations?limit=2&cursor={first['next']}", headers=keys["operator"]).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    ids = {v["violation_id"] for v in first["items"] + rest["items"]}
    assert len(ids) == 3
    bad = client.get("/v1/governance/violations?state=nope", headers=keys["operator"])
    assert bad.status_code == 422 and code(bad) == "governance.invalid_filter"
    assert client.get("/v1/governance/violations", headers=keys["m1"]).status_code == 403
    assert len(client.get("/v1/governance/violations?shop_id=s1", headers=keys["m1"]).json()["items"]) == 3


def test_a_creator_reads_their_own_governance_record_and_nobody_elses(client, keys):
    body = {"id": "live-1", "kind": "fraudulent_marketing", "subject": "live_room:r1", "creator_id": "cr1",
            "severity": "major", "evidence": {"description": "staged buyers"}}
    recorded = client.post("/v1/governance/violations", json=body, headers=keys["operator"])
    assert recorded.status_code == 200, recorded.text
    mine = client.get("/v1/creators/cr1/governance", headers=keys["creator"])
    assert mine.status_code == 200, mine.text
    record = mine.json()
    assert record["creator_id"] == "cr1" and record["points"][1]["points_hundredths"] == 600
    assert sorted(m["type"] for m in record["measures"]) == ["creator_restrict", "live_room_penalise"]
    assert [v["violation_id"] for v in record["violations"]] == [recorded.json()["violation_id"]]
    assert client.get("/v1/creators/cr1/governance", headers=keys["operator"]).status_code == 200
    other = client.get("/v1/creators/cr2/governance", headers=keys["creator"])
    assert other.status_code == 404 and code(other) == "governance.creator_not_found"
    assert client.get("/v1/creators/cr1/governance", headers=keys["m1"]).status_code == 403
    one = client.get(f"/v1/governance/violations/{recorded.json()['violation_id']}", headers=keys["creator"])
    assert one.status_code == 200 and one.json().get("decisions") is None  # the trace is for operators
