"""IP complaints over HTTP: a rights holder files, the shop's merchant answers, an operator decides; who may do
what, the problems answered, paging. Until the core slice is merged, the app gets the router and the use case here
(``Anxin.governance.ip`` with the fake ledger); the lead drops this wiring for the real facade."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.problems import code, problem
from tests.db.builders import T0, category, ingest_ok, listing, shop
from tests.ip_fakes import FakeLedger

from anxin.governance import ip_api
from anxin.governance.ip_complaints import IpComplaints
from anxin.governance.ip_rules import load_ip_rules
from anxin.web.app import create_app

pytestmark = pytest.mark.db
URL = "/v1/governance/ip-complaints"


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def client(anxin: Any, ledger: FakeLedger) -> Any:
    ingest_ok(anxin, [category(), shop("s1", "m1"), shop("s2", "m2"), listing("l1", "s1"), listing("l2", "s1"),
                      listing("l3", "s2")])
    anxin.governance = SimpleNamespace(ip=IpComplaints(uow_factory=anxin.uow_factory, clock=anxin.clock,
                                                       rules=load_ip_rules(), ledger=ledger))
    app = create_app(anxin)
    app.include_router(ip_api.router)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def filing(key: str = "k1", listings: tuple[str, ...] = ("l1", "l2"), **changes: Any) -> dict[str, Any]:
    return {"client_key": key, "listing_ids": list(listings), "statement": "sells goods under our mark",
            "proof": {"rights_kind": "trademark", "owner": "BrandCo", "registration_number": "12345678",
                      "authorisation_chain": [{"grantor": "BrandCo", "grantee": "rh1", "document_ref": "auth-1",
                                               "valid_until": "2027-12-31T00:00:00+08:00"}]},
            "evidence": ["page-shot-1"], **changes}


def test_file_answer_decide(client: TestClient, keys: dict[str, Any], anxin: Any, ledger: FakeLedger) -> None:
    resp = client.post(URL, json=filing(), headers=keys["rh1"])
    assert resp.status_code == 200, resp.text
    c = resp.json()
    cid = c["complaint_id"]
    assert (c["state"], c["created"], c["counter_notice_deadline"]) == (
        "awaiting_counter_notice", True, "2026-11-05T02:00:00+00:00")
    assert c["proof"]["authorisation_chain"][0]["grantee"] == "rh1"
    again = client.post(URL, json=filing(), headers=keys["rh1"]).json()
    assert (again["complaint_id"], again["created"]) == (cid, False)

    early = client.post(f"{URL}/{cid}/decision", json={"outcome": "upheld", "reason_codes": ["infringement_confirmed"]},
                        headers=keys["operator"])
    assert (early.status_code, code(early)) == (409, "governance.ip_window_open")
    resp = client.post(f"{URL}/{cid}/counter-notice", json={"statement": "we hold a licence from BrandCo"},
                       headers=keys["m1"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "counter_noticed"

    resp = client.post(f"{URL}/{cid}/decision", json={"outcome": "upheld", "reason_codes": ["infringement_confirmed"],
                                                      "note": "the licence is forged"}, headers=keys["operator"])
    assert resp.status_code == 200, resp.text
    d = resp.json()["decision"]
    assert (d["outcome"], [v["listing_id"] for v in d["violations"]]) == ("upheld", ["l1", "l2"])
    assert {v["severity"] for v in d["violations"]} == {"minor"} and len(ledger.recorded) == 2
    second = client.post(f"{URL}/{cid}/decision", json={"outcome": "rejected", "reason_codes": ["no_infringement"]},
                         headers=keys["operator"])
    assert (second.status_code, code(second)) == (409, "governance.ip_complaint_closed")
    late = client.post(f"{URL}/{cid}/withdraw", headers=keys["rh1"])
    assert (late.status_code, code(late)) == (409, "governance.ip_complaint_closed")
    seen = client.get(f"{URL}/{cid}", headers=keys["m1"]).json()
    assert seen["decision"]["decided_by"] is None and seen["client_key"] is None
    assert client.get(f"{URL}/{cid}", headers=keys["operator"]).json()["decision"]["decided_by"] == "operator:ops"


@pytest.mark.parametrize(("who", "path", "payload", "status", "expected"), [
    ("m1", "", filing(), 403, "access.forbidden_role"),
    ("consumer", "", filing(), 403, "access.forbidden_role"),
    ("rh1", "", filing(listings=("l1", "l3")), 422, "governance.ip_listings_span_shops"),
    ("rh1", "", filing(listings=("ghost",)), 422, "governance.ip_listing_unknown"),
    ("rh2", "", filing(), 422, "governance.ip_proof_invalid"),  # the chain ends at rh1, not rh2
    ("rh1", "", filing(proof={"rights_kind": "copyright", "owner": "rh1"}), 422, "governance.ip_proof_invalid"),
    ("rh1", "", [1, 2], 422, "governance.invalid_ip_complaint"),
    ("rh1", "/ipc_missing/withdraw", None, 404, "governance.ip_complaint_not_found"),
    ("m1", "/ipc_missing/counter-notice", {"statement": "long enough statement"}, 404,
     "governance.ip_complaint_not_found"),
    ("operator", "/ipc_missing/decision", {"outcome": "upheld", "reason_codes": ["bogus"]}, 422,
     "governance.invalid_ip_decision"),
    ("m1", "/ipc_missing/decision", {"outcome": "upheld"}, 403, "access.forbidden_role"),
])
def test_refusals_are_problems(client: TestClient, keys: dict[str, Any], who: str, path: str, payload: Any,
                               status: int, expected: str) -> None:
    headers = keys["c1"] if who == "consumer" else keys[who]
    resp = client.post(URL + path, json=payload, headers=headers)
    assert (resp.status_code, code(resp)) == (status, expected), resp.text


def test_counter_notice_after_the_window_and_withdrawal(client: TestClient, keys: dict[str, Any], anxin: Any) -> None:
    cid = client.post(URL, json=filing(), headers=keys["rh1"]).json()["complaint_id"]
    assert client.get(f"{URL}/{cid}", headers=keys["m2"]).status_code == 404
    anxin.clock.set(T0.replace(day=5))  # the deadline itself: the window is over
    resp = client.post(f"{URL}/{cid}/counter-notice", json={"statement": "we hold a licence from BrandCo"},
                       headers=keys["m1"])
    assert resp.status_code == 409
    assert problem(resp)["state"] == "window_lapsed"
    resp = client.post(f"{URL}/{cid}/withdraw", headers=keys["rh1"])
    assert (resp.status_code, resp.json()["state"]) == (200, "withdrawn")


def test_lists_page_by_deadline_and_show_each_their_own(client: TestClient, keys: dict[str, Any],
                                                        anxin: Any) -> None:
    made = []
    for i, lid in enumerate(("l1", "l2", "l3")):
        made.append(client.post(URL, json=filing(f"k{i}", (lid,)), headers=keys["rh1"]).json()["complaint_id"])
        anxin.clock.advance(hours=1)
    seen, cursor = [], None
    while True:
        resp = client.get(URL, params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=keys["operator"])
        assert resp.status_code == 200, resp.text
        page = resp.json()
        seen += [c["complaint_id"] for c in page["items"]]
        if not (cursor := page["next"]):
            break
    assert seen == made  # next deadline first: filed earlier, due earlier
    assert [c["complaint_id"] for c in client.get(URL, headers=keys["m1"]).json()["items"]] == made[:2]
    assert [c["complaint_id"] for c in client.get(URL, headers=keys["m2"]).json()["items"]] == made[2:]
    assert client.get(URL, headers=keys["rh2"]).json()["items"] == []
    bad = client.get(URL, params={"state": "nope"}, headers=keys["operator"])
    assert (bad.status_code, code(bad)) == (422, "governance.ip_invalid_filter")
    foreign = client.get(URL, params={"cursor": page["next"] or "x"}, headers=keys["m1"])
    assert foreign.status_code == 400
    anxin.clock.advance(days=3)
    queue = client.get(URL, params={"state": "ready"}, headers=keys["operator"]).json()["items"]
    assert [c["state"] for c in queue] == ["window_lapsed"] * 3


def test_the_unfounded_report(client: TestClient, keys: dict[str, Any], anxin: Any) -> None:
    cid = client.post(URL, json=filing(), headers=keys["rh1"]).json()["complaint_id"]
    anxin.clock.advance(days=3)
    client.post(f"{URL}/{cid}/decision", json={"outcome": "rejected", "reason_codes": ["proof_insufficient"]},
                headers=keys["operator"])
    [row] = client.get("/v1/governance/ip-rights-holders", headers=keys["operator"]).json()["items"]
    assert (row["rights_holder_id"], row["rejected"], row["unfounded_rate_bp"], row["flagged"]) == ("rh1", 1, 10000,
                                                                                                    False)
    assert client.get("/v1/governance/ip-rights-holders", headers=keys["rh2"]).json()["items"] == []
    assert client.get("/v1/governance/ip-rights-holders", headers=keys["m1"]).status_code == 403
