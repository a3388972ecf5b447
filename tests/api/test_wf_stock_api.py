"""The stock guarantee's HTTP API: checkout reservations (platform only, idempotent by order id, all or nothing),
giving them up, and a listing's stock as its merchant, operators and the platform see it."""

from __future__ import annotations

import pytest
from tests.db.builders import T0, category, listing, shop
from tests.db.test_wf_stock_service import lot_received

from anxin.worryfree import service as wf

pytestmark = pytest.mark.db


def _stocked(anxin, quantity: int = 3) -> None:
    assert anxin.ingestion.ingest([category(), shop(), listing("l1"), listing("l2"),
                                   lot_received("lot1", "l1", quantity)]).applied == 5
    with anxin.uow_factory() as uow:
        wf.set_lot_verdict(uow, "lot1", status="passed", units_removed=0, at=T0)
        uow.commit()


def _body(order_id: str = "o1", qty: int = 2, listing_id: str = "l1") -> dict[str, object]:
    return {"order_id": order_id, "items": [{"listing_id": listing_id, "quantity": qty}]}


def test_a_checkout_holds_once_and_a_replay_answers_the_same_hold(anxin, client, keys):
    _stocked(anxin)
    first = client.post("/v1/worry-free/reservations", json=_body(), headers=keys["platform"])
    assert first.status_code == 201, first.text
    hold = first.json()
    assert (hold["state"], hold["items"]) == ("held", [{"listing_id": "l1", "quantity": 2}])
    assert hold["expires_at"] is not None and hold["reservations"][0]["lot_id"] == "lot1"
    again = client.post("/v1/worry-free/reservations", json=_body(), headers=keys["platform"])
    assert again.status_code == 200 and again.json()["reservations"] == hold["reservations"]
    other = client.post("/v1/worry-free/reservations", json=_body(qty=1), headers=keys["platform"])
    assert (other.status_code, other.json()["code"]) == (409, "worryfree.reservation_conflict")
    stock = client.get("/v1/worry-free/stock/l1", headers=keys["platform"]).json()
    assert (stock["available"], stock["reserved"]) == (1, 2)


def test_out_of_stock_holds_nothing_and_names_what_was_short(anxin, client, keys):
    _stocked(anxin, quantity=1)
    r = client.post("/v1/worry-free/reservations", json=_body(qty=2), headers=keys["platform"])
    assert (r.status_code, r.json()["code"]) == (409, "worryfree.out_of_stock")
    assert r.json()["short"] == [{"listing_id": "l1", "wanted": 2, "available": 1}]
    unstocked = client.post("/v1/worry-free/reservations", json=_body("o2", 1, "l2"), headers=keys["platform"])
    assert (unstocked.status_code, unstocked.json()["code"]) == (409, "worryfree.out_of_stock")
    assert client.get("/v1/worry-free/stock/l1", headers=keys["operator"]).json()["reserved"] == 0


def test_giving_a_hold_up_returns_its_units(anxin, client, keys):
    _stocked(anxin)
    assert client.post("/v1/worry-free/reservations", json=_body(), headers=keys["platform"]).status_code == 201
    dropped = client.delete("/v1/worry-free/reservations/o1", headers=keys["platform"])
    assert dropped.status_code == 200 and dropped.json()["state"] == "released"
    assert client.delete("/v1/worry-free/reservations/o1", headers=keys["platform"]).status_code == 200
    missing = client.delete("/v1/worry-free/reservations/nope", headers=keys["platform"])
    assert (missing.status_code, missing.json()["code"]) == (404, "worryfree.reservation_not_found")
    assert client.get("/v1/worry-free/stock/l1", headers=keys["m1"]).json()["available"] == 3


@pytest.mark.parametrize("who", ["operator", "m1", "c1", "creator"])
def test_only_the_platform_reserves(anxin, client, keys, who):
    _stocked(anxin)
    r = client.post("/v1/worry-free/reservations", json=_body(), headers=keys[who])
    assert (r.status_code, r.json()["code"]) == (403, "worryfree.forbidden")


@pytest.mark.parametrize(("who", "status"), [("m1", 200), ("operator", 200), ("platform", 200), ("m2", 404),
                                             ("c1", 404), ("creator", 404)])
def test_a_listings_stock_is_its_merchants_and_the_staffs(anxin, client, keys, who, status):
    _stocked(anxin)
    r = client.get("/v1/worry-free/stock/l1", headers=keys[who])
    assert r.status_code == status
    if status == 404:
        assert r.json()["code"] == "worryfree.listing_not_found"


@pytest.mark.parametrize("body", [{"order_id": "o1", "items": []}, {"order_id": "", "items": [{"listing_id": "l1",
                                                                                               "quantity": 1}]},
                                  {"order_id": "o1", "items": [{"listing_id": "l1", "quantity": 0}]}])
def test_a_bad_body_is_422_never_500(anxin, client, keys, body):
    _stocked(anxin)
    assert client.post("/v1/worry-free/reservations", json=body, headers=keys["platform"]).status_code == 422
