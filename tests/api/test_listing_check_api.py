"""The listing-compliance endpoints: a draft check answers findings and stores nothing; bad bodies are 422 with a
stable code; operators page the findings and decide them.

Until the core slice's governance/api.py includes ``listing_api.router`` (and bootstrap wires ``Anxin.governance``),
the test app includes the router itself and attaches the use case."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.db.test_listing_checks import FakeLedger

from anxin.catalog import service as catalog
from anxin.catalog.model import Category
from anxin.governance import listing_api
from anxin.governance.listing_checks import ListingChecks
from anxin.governance.listing_store import ListingCheckRepository
from anxin.governance.listing_terms_rules import load_listing_terms
from anxin.web.app import create_app

CHECK = "/v1/governance/listings/check"
FINDINGS = "/v1/governance/listings/findings"


@pytest.fixture
def gov(anxin: Any) -> ListingChecks:
    with anxin.uow_factory() as uow:
        catalog.upsert_category(uow, Category("beauty", "美妆", None, frozenset({"cosmetics"})),
                                as_of=anxin.clock.now())
        uow.commit()
    checks = ListingChecks(uow_factory=anxin.uow_factory, clock=anxin.clock, terms=load_listing_terms(),
                           ledger=FakeLedger())
    anxin.governance = SimpleNamespace(listings=checks)
    return checks


@pytest.fixture
def client(anxin: Any, gov: ListingChecks) -> Any:
    app = create_app(anxin)
    if not any(getattr(r, "path", "") == CHECK for r in app.routes):  # before the core slice includes it
        app.include_router(listing_api.router)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _stored(anxin: Any) -> int:
    with anxin.uow_factory() as uow:
        return ListingCheckRepository(uow.session).count()


def test_draft_check_answers_findings_and_stores_nothing(anxin: Any, client: Any, keys: Any) -> None:
    r = client.post(CHECK, headers=keys["m1"],
                    json={"title": "最近上新 消炎祛痘精华", "description": "全网最低", "category_id": "beauty"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "blocked"
    assert [(m["field"], m["start"], m["end"], m["term"], m["rule_id"]) for m in body["matches"]] == [
        ("title", 5, 7, "消炎", "terms.medical.claims"),
        ("description", 0, 4, "全网最低", "terms.absolute.superlative")]
    assert body["rulebook_version"] == "governance-2026.12" and body["facts"]["tags"] == ["cosmetics"]
    assert _stored(anxin) == 0
    assert client.post(CHECK, headers=keys["platform"], json={"title": "纯棉T恤"}).json()["outcome"] == "pass"
    assert client.post(CHECK, headers=keys["operator"], json={"title": "x"}).status_code == 403


@pytest.mark.parametrize("body", [
    {}, {"title": ""}, {"title": 5}, {"title": "x" * 301}, {"title": "ok", "description": 3},
    {"title": "ok", "category_id": ""}, {"title": "ok", "extra": 1}, [], "text",
])
def test_bad_body_is_422_with_a_stable_code(client: Any, keys: Any, body: Any) -> None:
    r = client.post(CHECK, headers=keys["m1"], json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "governance.invalid_listing_text"


def test_unknown_category_is_422(client: Any, keys: Any) -> None:
    r = client.post(CHECK, headers=keys["m1"], json={"title": "面膜", "category_id": "nope"})
    assert (r.status_code, r.json()["code"]) == (422, "governance.unknown_category")


def test_operators_page_and_decide_findings(anxin: Any, gov: ListingChecks, client: Any, keys: Any) -> None:
    with anxin.uow_factory() as uow:
        for i in range(3):
            gov.check_listing(uow, listing_id=f"l{i}", shop_id="s1", category_id="beauty", title=f"独家精华{i}")
        gov.check_listing(uow, listing_id="l9", shop_id="s2", category_id="beauty", title="顶级精华")
        uow.commit()
    first = client.get(FINDINGS, headers=keys["operator"], params={"state": "open", "limit": 2}).json()
    second = client.get(FINDINGS, headers=keys["operator"],
                        params={"state": "open", "limit": 2, "cursor": first["next"]}).json()
    ids = [f["check_id"] for f in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 3 and second["next"] is None
    blocked = client.get(FINDINGS, headers=keys["operator"], params={"outcome": "blocked"}).json()["items"]
    assert [(f["shop_id"], f["review_state"]) for f in blocked] == [("s2", "none")]
    assert client.get(FINDINGS, headers=keys["operator"], params={"outcome": "bad"}).status_code == 422
    assert client.get(FINDINGS, headers=keys["m1"]).status_code == 403

    r = client.post(f"{FINDINGS}/{ids[0]}/decision", headers=keys["operator"], json={"decision": "confirm"})
    assert r.status_code == 200 and r.json()["review_state"] == "confirmed" and r.json()["violation_id"]
    r = client.post(f"{FINDINGS}/{ids[0]}/decision", headers=keys["operator"], json={"decision": "clear"})
    assert (r.status_code, r.json()["code"]) == (409, "governance.finding_already_decided")
    r = client.post(f"{FINDINGS}/{ids[1]}/decision", headers=keys["operator"], json={"decision": "maybe"})
    assert (r.status_code, r.json()["code"]) == (422, "governance.invalid_finding_decision")
    r = client.post(f"{FINDINGS}/nope/decision", headers=keys["operator"], json={"decision": "clear"})
    assert (r.status_code, r.json()["code"]) == (404, "governance.finding_not_found")
