"""The merchants JSON API over HTTP: every use case reachable, stable codes for bad input, no 500s, and a merchant
sees only their own shops."""

from __future__ import annotations

import pytest
from tests.api.problems import code as problem_code
from tests.api.problems import problem
from tests.db.builders import category, ingest_ok, item, listing, order_paid, shop

pytestmark = pytest.mark.db

APPLY = {"shop_id": "n1", "name": "Tea House", "store_type": "enterprise", "categories": ["tea"],
         "licence_no": "L-1", "legal_rep": "Li"}


@pytest.fixture
def shopfront(anxin, client, keys):
    ingest_ok(anxin, [category("tea"), category("fruit", tags=["fresh"])])
    r = client.post("/v1/merchants/applications", json=APPLY, headers=keys["m1"])
    assert r.status_code == 201, r.text
    return r.json()


def test_apply_status_and_history(client, keys, shopfront):
    assert (shopfront["state"], shopfront["screening"]["outcome"]) == ("novice", "approve")
    r = client.get("/v1/merchants/shops/n1", headers=keys["m1"])
    assert r.status_code == 200 and [h["to_state"] for h in r.json()["history"]] == ["applied", "novice"]
    assert client.get("/v1/merchants/shops", headers=keys["m1"]).json()["items"][0]["shop_id"] == "n1"


def test_another_merchant_gets_not_found_everywhere(client, keys, shopfront):
    for path in ("", "/novice", "/deposit", "/postings", "/offers", "/cases", "/statement", "/statement/entries"):
        r = client.get(f"/v1/merchants/shops/n1{path}", headers=keys["m2"])
        assert (r.status_code, problem_code(r)) == (404, "merchants.shop_not_found"), path
    r = client.post("/v1/merchants/shops/n1/deposit/top-ups", json={"amount_fen": 100, "idempotency_key": "x"},
                    headers=keys["m2"])
    assert r.status_code == 404
    assert client.get("/v1/merchants/shops", headers=keys["m2"]).json()["items"] == []


@pytest.mark.parametrize(("body", "status", "code"), [
    ({**APPLY, "shop_id": "n2", "store_type": "corp"}, 422, "merchants.invalid_field"),
    ({**APPLY, "shop_id": "n2", "categories": []}, 422, "merchants.invalid_field"),
    ({**APPLY, "shop_id": "n2", "categories": ["nope"]}, 422, "merchants.invalid_field"),
    ({**APPLY, "shop_id": "n2", "credentials": {"shoe_size": "42"}}, 422, "merchants.invalid_field"),
    ({**APPLY, "shop_id": "n\x002"}, 422, "request.nul_character"),  # refused before any handler
    (APPLY, 409, "merchants.shop_exists"),
    ({**APPLY, "trial": "yes"}, 422, "request.invalid"),
    ({"shop_id": "n2"}, 422, "request.invalid"),
])
def test_bad_applications_get_stable_codes(client, keys, shopfront, body, status, code):
    r = client.post("/v1/merchants/applications", json=body, headers=keys["m1"])
    assert (r.status_code, problem_code(r)) == (status, code), r.text


def test_deposit_money_moves_once_and_limits_hold(client, keys, shopfront):
    body = {"amount_fen": 100_000, "idempotency_key": "k1"}
    first = client.post("/v1/merchants/shops/n1/deposit/top-ups", json=body, headers=keys["m1"]).json()
    retry = client.post("/v1/merchants/shops/n1/deposit/top-ups", json=body, headers=keys["m1"])
    # a retry answers the first response (payment-API semantics) and moves nothing
    assert (retry.json(), retry.headers["Idempotent-Replayed"]) == (first, "true")
    assert (first["held_fen"], first["applied"]) == (100_000, True)
    by_header = client.post("/v1/merchants/shops/n1/deposit/top-ups", json={"amount_fen": 100},
                            headers={**keys["m1"], "Idempotency-Key": "h1"})
    assert by_header.json()["held_fen"] == 100_100
    assert client.post("/v1/merchants/shops/n1/deposit/top-ups", json={"amount_fen": 100},
                       headers={**keys["m1"], "Idempotency-Key": "h1"}).json() == by_header.json()
    r = client.post("/v1/merchants/shops/n1/deposit/top-ups", json={"amount_fen": 100}, headers=keys["m1"])
    assert (r.status_code, problem_code(r)) == (422, "merchants.invalid_field")
    for bad, code in (({"amount_fen": 0, "idempotency_key": "k2"}, "merchants.invalid_amount"),
                      ({"amount_fen": -5, "idempotency_key": "k2"}, "merchants.invalid_amount"),
                      ({"amount_fen": 10**30, "idempotency_key": "k2"}, "merchants.invalid_amount"),
                      ({"amount_fen": 5, "idempotency_key": "k1"}, "idempotency.key_reused")):
        r = client.post("/v1/merchants/shops/n1/deposit/top-ups", json=bad, headers=keys["m1"])
        assert problem_code(r) == code
    r = client.post("/v1/merchants/shops/n1/deposit/top-ups", json={"amount_fen": 1.5, "idempotency_key": "k3"},
                    headers=keys["m1"])
    assert r.status_code == 422
    r = client.post("/v1/merchants/shops/n1/deposit/withdrawals", json={"amount_fen": 100_000,
                                                                       "idempotency_key": "w"}, headers=keys["m1"])
    assert (r.status_code, problem_code(r)) == (422, "merchants.withdrawal_over_limit")
    assert problem(r)["limit_fen"] == 100_100 - first["required"]["fen"]
    r = client.post("/v1/merchants/shops/n1/deposit/deductions", json={
        "amount_fen": 500, "idempotency_key": "d", "reason": "penalty"}, headers=keys["m1"])
    assert r.status_code == 403
    r = client.post("/v1/merchants/shops/n1/deposit/deductions", json={
        "amount_fen": 500, "idempotency_key": "d", "reason": "penalty"}, headers=keys["operator"])
    assert r.status_code == 200 and r.json()["held_fen"] == 99_600


def test_settlement_statements_and_campaigns(anxin, client, keys):
    ingest_ok(anxin, [category("fruit", tags=["fresh"]), shop("s1", "m1"), listing("l1", "s1", "fruit",
                                                                                   price_fen=5_000)])
    ingest_ok(anxin, [order_paid("o1", items=[item("l1", 2, 5_000)], channel="product_card")])
    assert client.post("/v1/merchants/settlement", headers=keys["m1"]).status_code == 403
    r = client.post("/v1/merchants/settlement", headers=keys["operator"])
    assert r.status_code == 200 and r.json()["sales"] == 1
    st = client.get("/v1/merchants/orders/o1/statement", headers=keys["m1"]).json()
    assert st["base_fen"] == 10_000 and st["waived"]
    assert client.get("/v1/merchants/orders/o1/statement", headers=keys["m2"]).status_code == 404
    period = client.get("/v1/merchants/shops/s1/statement?start=2026-11-01&end=2026-11-30", headers=keys["m1"])
    assert period.status_code == 200 and period.json()["by_kind"]["sale"]["count"] == 1
    for q in ("start=2026-11-30&end=2026-11-01", "start=nonsense"):
        r = client.get(f"/v1/merchants/shops/s1/statement?{q}", headers=keys["m1"])
        assert (r.status_code, problem_code(r)) == (422, "merchants.invalid_period")
    spec = {"id": "c1", "name": {"zh-CN": "活动", "en": "Campaign"}, "from": "2026-12-01T00:00:00+08:00",
            "until": "2026-11-01T00:00:00+08:00", "kind": "waive", "scope": {}}
    r = client.post("/v1/merchants/fees/campaigns", json=spec, headers=keys["operator"])
    assert r.status_code == 422 and problem_code(r) in ("fees.invalid_window", "fees.invalid_waiver")
    assert client.post("/v1/merchants/fees/campaigns", json=[1], headers=keys["operator"]).status_code == 422
    assert "waivers" in client.get("/v1/merchants/fees", headers=keys["m1"]).json()


def test_novice_offers_cases_and_transfer(client, keys, shopfront):
    assert client.get("/v1/merchants/shops/n1/novice", headers=keys["m1"]).json()["tasks"]
    offers = client.get("/v1/merchants/shops/n1/offers", headers=keys["m1"]).json()["items"]
    assert {o["kind"] for o in offers} == {"loan", "early_payout", "instalment"}
    assert client.get("/v1/merchants/shops/n1/cases", headers=keys["m1"]).json() == {"items": [], "next": None,
                                                                                  "limit": 50}
    r = client.post("/v1/merchants/shops/n1/transfer", json={"kind": "transfer", "to_merchant_id": "m2"},
                    headers=keys["m1"])
    assert r.status_code == 403
    r = client.post("/v1/merchants/shops/n1/transfer", json={"kind": "sideways"}, headers=keys["operator"])
    assert r.status_code == 422
    r = client.post("/v1/merchants/shops/n1/state", json={"action": "explode"}, headers=keys["operator"])
    assert (r.status_code, problem_code(r)) == (422, "merchants.invalid_field")
    r = client.post("/v1/merchants/shops/n1/decision", json={"approve": True}, headers=keys["operator"])
    assert (r.status_code, problem_code(r)) == (409, "merchants.illegal_transition")
