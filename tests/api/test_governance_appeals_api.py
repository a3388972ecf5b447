"""The appeals routes over HTTP. Until the core slice merges (its ``api.py`` includes this router and the bootstrap
wires ``Anxin.governance.appeals``), the test app includes ``appeal_api.router`` itself and hands it appeals on a fake
ledger whose violations the tests seed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.appeal_fakes import FakeLedger
from tests.conftest import T0

from anxin.governance import appeal_api
from anxin.governance.appeal_rules import load_appeal_book
from anxin.governance.appeals import Appeals
from anxin.shops import service as shops
from anxin.shops.model import Shop
from anxin.web.app import create_app

SAY = {"statement": "the parcel was collected in time: see the carrier scan",
       "evidence": [{"kind": "image", "ref": "up_1"}]}


@pytest.fixture
def ledger(anxin: Any) -> FakeLedger:
    with anxin.uow_factory() as uow:
        shops.upsert_shop(uow, Shop("s1", "m1", "Shop s1", "enterprise", frozenset()), as_of=T0)
        uow.commit()
    fake = FakeLedger()
    fake.seed("v1", recorded_at=T0)
    fake.seed("v2", recorded_at=T0)
    return fake


@pytest.fixture
def client(anxin: Any, ledger: FakeLedger):  # type: ignore[no-untyped-def]
    app = create_app(anxin)
    app.include_router(appeal_api.router)
    appeals = Appeals(uow_factory=anxin.uow_factory, clock=anxin.clock, book=load_appeal_book(), ledger=ledger)
    app.dependency_overrides[appeal_api.appeals_of] = lambda: appeals
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_appeal_decide_and_read(client: TestClient, keys: dict[str, Any], ledger: FakeLedger) -> None:
    r = client.post("/v1/governance/violations/v1/appeals", json=SAY, headers=keys["m1"])
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert (appeal["state"], appeal["number"], appeal["overdue"], appeal["decision"]) == ("submitted", 1, False, None)
    again = client.post("/v1/governance/violations/v1/appeals", json=SAY, headers=keys["m1"])
    assert (again.status_code, again.json()["code"]) == (409, "governance.appeal_open")
    assert again.json()["reason_codes"] == ["appeal_open"]

    url = f"/v1/governance/appeals/{appeal['appeal_id']}"
    assert client.post(f"{url}/decision", json={"outcome": "upheld"}, headers=keys["m1"]).status_code == 403
    d = client.post(f"{url}/decision", json={"outcome": "upheld", "reason_codes": ["scan_found"]},
                    headers=keys["operator"])
    assert d.status_code == 200, d.text
    assert d.json()["decision"]["rule_ids"] == ["appeal.decision_sla"]
    assert ledger.violations["v1"].state == "reversed"
    twice = client.post(f"{url}/decision", json={"outcome": "rejected"}, headers=keys["operator"])
    assert (twice.status_code, twice.json()["code"]) == (409, "governance.appeal_already_decided")
    assert client.get(url, headers=keys["m1"]).json() == d.json()
    assert client.get(url, headers=keys["m2"]).status_code == 404


def test_refusals_and_bad_input(client: TestClient, keys: dict[str, Any]) -> None:
    r = client.post("/v1/governance/violations/v1/appeals", json=SAY, headers=keys["m2"])
    assert (r.status_code, r.json()["code"]) == (404, "governance.violation_not_found")
    short = client.post("/v1/governance/violations/v1/appeals", json={"statement": "no"}, headers=keys["m1"])
    assert (short.status_code, short.json()["code"]) == (422, "governance.invalid_appeal")
    assert short.json()["problems"][0]["rule_id"] == "appeal.statement"
    video = client.post("/v1/governance/violations/v1/appeals",
                        json={**SAY, "evidence": [{"kind": "video", "ref": "x"}]}, headers=keys["m1"])
    assert video.status_code == 422
    bad = client.post("/v1/governance/appeals/nope/decision", json={"outcome": "maybe"}, headers=keys["operator"])
    assert bad.status_code == 422
    abusive_upheld = client.post("/v1/governance/appeals/nope/decision", json={"outcome": "upheld", "abusive": True},
                                 headers=keys["operator"])
    assert (abusive_upheld.status_code, abusive_upheld.json()["code"]) == (422, "governance.invalid_decision")
    missing = client.post("/v1/governance/appeals/nope/decision", json={"outcome": "upheld"}, headers=keys["operator"])
    assert (missing.status_code, missing.json()["code"]) == (404, "governance.appeal_not_found")


def test_queue_pages_by_deadline_and_the_report(anxin: Any, client: TestClient, keys: dict[str, Any]) -> None:
    ids = []
    for vid in ("v1", "v2"):
        ids.append(client.post(f"/v1/governance/violations/{vid}/appeals", json=SAY, headers=keys["m1"]).json()
                   ["appeal_id"])
        anxin.clock.advance(hours=1)
    first = client.get("/v1/governance/appeals?state=submitted&limit=1", headers=keys["operator"]).json()
    assert [a["appeal_id"] for a in first["items"]] == ids[:1] and first["next"]
    second = client.get(f"/v1/governance/appeals?state=submitted&limit=1&cursor={first['next']}",
                        headers=keys["operator"]).json()
    assert [a["appeal_id"] for a in second["items"]] == ids[1:] and second["next"] is None
    assert client.get("/v1/governance/appeals", headers=keys["m2"]).json()["items"] == []
    assert len(client.get("/v1/governance/appeals", headers=keys["m1"]).json()["items"]) == 2
    other = client.get(f"/v1/governance/appeals?limit=1&cursor={first['next']}", headers=keys["operator"])
    assert other.status_code == 400  # a cursor of other filters

    anxin.clock.advance(hours=2)
    client.post(f"/v1/governance/appeals/{ids[0]}/decision", json={"outcome": "rejected"}, headers=keys["operator"])
    start = T0.isoformat().replace("+00:00", "Z")
    end = (T0.replace(day=T0.day + 1)).isoformat()
    rep = client.get("/v1/governance/appeals/report", params={"from": start, "to": end}, headers=keys["operator"])
    assert rep.status_code == 200, rep.text
    body = rep.json()
    assert body["current"]["decided"] == 1 and body["current"]["median_seconds"] == 4 * 3600
    assert body["current"]["from"] == T0.isoformat() and body["previous"]["decided"] == 0
    assert body["median_change_pct"] is None
    bad = client.get("/v1/governance/appeals/report", params={"from": "yesterday", "to": end},
                     headers=keys["operator"])
    assert (bad.status_code, bad.json()["code"]) == (422, "governance.invalid_period")
    assert client.get("/v1/governance/appeals/report", params={"from": start, "to": end},
                      headers=keys["m1"]).status_code == 403
