"""The sampling inspection API (operators): plan a period (idempotent, 409 on another seed), read the plan with its
samples a page at a time, record a result once (409 on another), and the report by stratum.

Until the core slice's governance facade and ``api`` are merged, this test wires the use cases into the app
(``anxin.governance.inspections``) and includes the router itself."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from tests.api.problems import code
from tests.db.builders import T0, D, category, ingest_ok, listing, shop
from tests.db.test_governance_inspections import FakeLedger

from anxin.governance import inspection_api
from anxin.governance.inspection_rules import load_inspection_rules
from anxin.governance.inspections import Inspections
from anxin.web.app import create_app

pytestmark = pytest.mark.db

PLANS = "/v1/governance/inspections/plans"


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def app(anxin, clock, ledger):
    anxin.governance = SimpleNamespace(inspections=Inspections(
        uow_factory=anxin.uow_factory, clock=clock, rules=load_inspection_rules(), ledger=ledger))
    app = create_app(anxin)
    app.include_router(inspection_api.router)  # the core slice's governance api includes it at merge
    return app


@pytest.fixture
def market(anxin) -> None:
    events = [category("cat_baby", tags=["baby"]), category("cat_misc"), shop("s1", "m1", opened_at=T0 - 5 * D),
              shop("s2", "m2", opened_at=T0 - 500 * D)]
    events += [listing(f"lb{i}", "s1", "cat_baby") for i in range(12)]
    events += [listing(f"lm{i}", "s2", "cat_misc") for i in range(20)]
    ingest_ok(anxin, events)


def test_an_operator_plans_reads_records_and_reports(client, keys, market, ledger):
    body = {"period": "2026-11", "seed": 11, "budget": 20}
    created = client.post(PLANS, json=body, headers=keys["operator"])
    assert created.status_code == 200, created.text
    plan = created.json()
    assert plan["created"] and plan["drawn"] == 20 and plan["candidates"] == 32
    again = client.post(PLANS, json=body, headers=keys["operator"])
    assert again.status_code == 200 and again.json() == {**plan, "created": False}
    conflict = client.post(PLANS, json={**body, "seed": 12}, headers=keys["operator"])
    assert conflict.status_code == 409 and code(conflict) == "governance.plan_conflict"

    url = f"{PLANS}/{plan['plan_id']}"
    assert client.get(url, headers=keys["operator"]).json()["plan_id"] == plan["plan_id"]
    first = client.get(f"{url}/samples", params={"limit": 15}, headers=keys["operator"]).json()
    assert len(first["items"]) == 15
    rest = client.get(f"{url}/samples", params={"limit": 15, "cursor": first["next"]}, headers=keys["operator"]).json()
    assert rest["next"] is None
    samples = first["items"] + rest["items"]
    assert [s["rank"] for s in samples] == list(range(1, 21))
    baby = [s for s in samples if s["stratum"] == "inspect.stratum.baby"]
    assert len(baby) >= 10 and all(s["factors"][0]["rule_id"] == "inspect.stratum.baby" for s in baby)

    result = f"/v1/governance/inspections/{baby[0]['sample_id']}/result"
    failed = {"outcome": "failed", "defects": [{"kind": "shelf_life", "detail": "expired 2026-10"}]}
    recorded = client.post(result, json=failed, headers=keys["operator"])
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["finding"]["violation"] == "low_quality_product" and recorded.json()["violation_id"]
    assert client.post(result, json=failed, headers=keys["operator"]).json() == recorded.json()
    other = client.post(result, json={"outcome": "passed"}, headers=keys["operator"])
    assert other.status_code == 409 and code(other) == "governance.result_conflict"
    assert len(ledger.calls) == 1 and ledger.calls[0].subject == f"listing:{baby[0]['listing_id']}"
    client.post(f"/v1/governance/inspections/{baby[1]['sample_id']}/result", json={"outcome": "passed"},
                headers=keys["operator"])

    report = client.get("/v1/governance/inspections/report", params={"plan_id": plan["plan_id"]},
                        headers=keys["operator"])
    assert report.status_code == 200, report.text
    rows = {r["stratum"]: r for r in report.json()["strata"]}
    assert rows["inspect.stratum.baby"]["inspected"] == 2 and rows["inspect.stratum.baby"]["failure_rate"] == 0.5
    assert report.json()["total"]["drawn"] == 20


@pytest.mark.parametrize(("method", "path", "body", "status", "expected"), [
    ("post", PLANS, {"period": "bad period!", "seed": 1}, 422, "governance.invalid_plan"),
    ("post", PLANS, {"period": "p", "seed": 1, "budget": 10_001}, 422, "governance.invalid_plan"),
    ("get", f"{PLANS}/iplan_nope", None, 404, "governance.plan_not_found"),
    ("get", "/v1/governance/inspections/report?plan_id=iplan_nope", None, 404, "governance.plan_not_found"),
    ("post", "/v1/governance/inspections/insp_nope/result", {"outcome": "passed"}, 404,
     "governance.sample_not_found"),
    ("post", "/v1/governance/inspections/insp_nope/result", {"outcome": "maybe"}, 422,
     "governance.invalid_result"),
])
def test_errors_are_problems_with_a_stable_code(client, keys, market, method, path, body, status, expected):
    resp = getattr(client, method)(path, headers=keys["operator"], **({"json": body} if body is not None else {}))
    assert resp.status_code == status and code(resp) == expected


def test_inspections_are_for_operators(client, keys, market):
    for who in ("m1", "platform", "c1"):
        resp = client.post(PLANS, json={"period": "p", "seed": 1}, headers=keys[who])
        assert resp.status_code == 403 and code(resp) == "access.forbidden_role"
    assert client.post(PLANS, json={"period": "p", "seed": 1}).status_code == 401
