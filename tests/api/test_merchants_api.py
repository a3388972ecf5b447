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


def _pages(client, url, headers, limit=1):
    """Every item of a list, read page by page by following ``next``."""
    items, cursor, pages = [], None, 0
    while True:
        r = client.get(url, params={"limit": limit, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next", "limit"} and len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            return items, pages


def test_the_lists_page_by_cursor_and_every_answer_has_its_documented_shape(client, keys, shopfront):
    """Money moves (answers now carry no postings: they are a list of their own), the state, transfer and
    campaign answers match their models (unknown members would be a 500), and the lists page without gaps."""
    for n in range(3):  # the same instant: the posting key breaks the tie
        r = client.post("/v1/merchants/shops/n1/deposit/top-ups",
                        json={"amount_fen": 40_000, "idempotency_key": f"t{n}"}, headers=keys["m1"])
        assert r.status_code == 200 and "postings" not in r.json()
    r = client.post("/v1/merchants/shops/n1/deposit/withdrawals", json={"amount_fen": 1_000, "idempotency_key": "w1"},
                    headers=keys["m1"])
    assert r.status_code == 200 and r.json()["held_fen"] == 119_000
    deposit = client.get("/v1/merchants/shops/n1/deposit", headers=keys["m1"]).json()
    assert deposit["held_fen"] == 119_000 and "postings" not in deposit
    postings, pages = _pages(client, "/v1/merchants/shops/n1/postings", keys["m1"])
    assert pages == 4 and [p["key"] for p in postings] == ["withdraw:n1:w1", "topup:n1:t2", "topup:n1:t1",
                                                            "topup:n1:t0"]
    assert sum(p["legs"]["deposit"] for p in postings) == 119_000
    foreign = client.get("/v1/merchants/shops/n1/cases", params={"cursor": client.get(
        "/v1/merchants/shops/n1/postings", params={"limit": 1}, headers=keys["m1"]).json()["next"]}, headers=keys["m1"])
    assert (foreign.status_code, problem_code(foreign)) == (400, "request.invalid_cursor")

    r = client.post("/v1/merchants/applications", json={**APPLY, "shop_id": "n0"}, headers=keys["m1"])
    assert r.status_code == 201
    shops, _ = _pages(client, "/v1/merchants/shops", keys["m1"])
    assert [s["shop_id"] for s in shops] == ["n0", "n1"]
    assert [s["shop_id"] for s in _pages(client, "/v1/merchants/shops", keys["operator"], limit=50)[0]] == ["n0", "n1"]
    offers, pages = _pages(client, "/v1/merchants/shops/n1/offers", keys["m1"])
    assert pages == 3 and [o["kind"] for o in offers] == ["loan", "early_payout", "instalment"]

    r = client.post("/v1/merchants/shops/n1/state", json={"action": "restrict", "reason": "late"},
                    headers=keys["operator"])
    assert r.status_code == 200 and r.json()["state"] == "restricted"
    r = client.post("/v1/merchants/shops/n0/transfer", json={"kind": "transfer", "to_merchant_id": "m2",
                                                             "licence_no": "L-2"}, headers=keys["operator"])
    assert r.status_code == 200 and r.json()["merchant_id"] == "m2"
    spec = {"id": "camp.double11", "name": {"zh-CN": "双11免佣", "en": "Double 11 waiver"},
            "from": "2026-11-10T00:00:00+08:00", "until": "2026-11-12T00:00:00+08:00", "kind": "waive", "scope": {}}
    r = client.post("/v1/merchants/fees/campaigns", json=spec, headers=keys["operator"])
    assert r.status_code == 201 and r.json()["waiver_id"] == "camp.double11"


def test_statement_entries_are_a_list_of_their_own(anxin, client, keys):
    ingest_ok(anxin, [category("fruit", tags=["fresh"]), shop("s1", "m1"), listing("l1", "s1", "fruit",
                                                                                   price_fen=5_000)])
    ingest_ok(anxin, [order_paid(f"o{n}", items=[item("l1", 1, 5_000)], channel="product_card") for n in range(3)])
    assert client.post("/v1/merchants/settlement", headers=keys["operator"]).json()["sales"] == 3
    period = {"start": "2026-11-01", "end": "2026-11-30"}
    st = client.get("/v1/merchants/shops/s1/statement", params=period, headers=keys["m1"]).json()
    assert st["orders"] == 3 and "entries" not in st
    entries, pages = _pages(client, "/v1/merchants/shops/s1/statement/entries?start=2026-11-01&end=2026-11-30",
                            keys["m1"], limit=2)
    assert pages == 2 and sorted(e["order_id"] for e in entries) == ["o0", "o1", "o2"]
    assert sum(e["receivable_fen"] for e in entries) == st["receivable_fen"]
    first = client.get("/v1/merchants/shops/s1/statement/entries", params={**period, "limit": 1},
                       headers=keys["m1"]).json()
    other = client.get("/v1/merchants/shops/s1/statement/entries",
                       params={"start": "2026-11-02", "end": "2026-11-30", "cursor": first["next"]}, headers=keys["m1"])
    assert (other.status_code, problem_code(other)) == (400, "request.invalid_cursor")  # other filters
    r = client.post("/v1/merchants/shops/s1/payouts", json={"amount_fen": 100, "idempotency_key": "p1"},
                    headers=keys["m1"])
    assert r.status_code == 200 and r.json()["applied"] is True


def test_open_cases_page_by_deadline_with_the_undated_last(anxin, client, keys, shopfront):
    """Ties on the deadline and cases without one: the keyset (deadline, opened, id) reads each once, in order."""
    import datetime as dt

    from anxin.aftersales.store import CaseRow

    t0 = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    deadlines = {"c1": t0, "c2": t0, "c3": None, "c4": t0 + dt.timedelta(hours=1), "c5": None, "c6": t0}
    with anxin.uow_factory() as uow:
        for n, (case_id, deadline) in enumerate(deadlines.items()):
            uow.session.add(CaseRow(case_id=case_id, order_id=f"o{n}", consumer_id="c", shop_id="n1", merchant_id="m1",
                                    case_type="refund_only", reason="other", amount_fen=100, state="pending_merchant",
                                    opened_at=t0 - dt.timedelta(hours=n % 2), rulebook_version="v",
                                    merchant_response_hours=48, deadline_at=deadline,
                                    deadline_kind="merchant_response" if deadline else None, decision={}))
        uow.commit()
    cases, pages = _pages(client, "/v1/merchants/shops/n1/cases", keys["m1"], limit=2)
    assert [c["case_id"] for c in cases] == ["c2", "c6", "c1", "c4", "c3", "c5"] and pages == 3
