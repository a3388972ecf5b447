"""The fulfilment JSON endpoints over HTTP: who sees which shop and order, window validation, and never a 500."""

from __future__ import annotations

import pytest
from tests.api.problems import code as problem_code
from tests.db.builders import T0, H, ingest_ok, scanned, seed_order

from anxin.fulfilment.detectors import KINDS

pytestmark = pytest.mark.db




@pytest.fixture
def late(anxin, clock):
    """o1 (c1 at m1's s1, ¥99.00) never shipped and judged 49 h after payment; o2 (c2 at m2's s2) collected in time."""
    seed_order(anxin, order_id="o1", consumer_id="c1", shop_id="s1", merchant_id="m1")
    o2 = seed_order(anxin, order_id="o2", consumer_id="c2", shop_id="s2", merchant_id="m2", shipped_at=T0 + H)
    ingest_ok(anxin, [scanned(o2.tracking_no or "", status="collected", scanned_at=T0 + 2 * H)])
    clock.set(T0 + 52 * H)  # past ship-by and the 3 h grace for late feeds
    anxin.tick()


def _code(resp) -> str:
    return problem_code(resp)


# --- a shop's figures ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("days", [7, 30, 90])
def test_a_merchant_reads_their_shop_over_each_window(client, keys, late, days) -> None:
    r = client.get("/v1/shops/s1/fulfilment", params={"days": days}, headers=keys["m1"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shop_id"] == "s1" and body["days"] == days and len(body["daily"]) == days
    assert set(body["findings_by_kind"]) <= set(KINDS) and body["findings_by_kind"]["late_shipment"] == 1
    late_shipments = body["late_shipments"]
    assert late_shipments["orders"] == 1 and late_shipments["coupon_fen"] == 495  # 5 % of 9 900 fen
    assert late_shipments["points"] == 10 and late_shipments["points_today"] == 10  # 0.1 point, in hundredths
    assert [f["kind"] for f in body["recent_findings"]] == ["late_shipment"]
    assert body["recent_findings"][0]["rule_id"] and body["recent_findings"][0]["rulebook_version"]


def test_the_default_window_is_30_days(client, keys, late) -> None:
    assert client.get("/v1/shops/s1/fulfilment", headers=keys["m1"]).json()["days"] == 30


@pytest.mark.parametrize("who", ["m2", "c1", "c2"])
def test_others_do_not_see_a_shop_and_it_looks_like_an_unknown_one(client, keys, late, who) -> None:
    theirs = client.get("/v1/shops/s1/fulfilment", headers=keys[who])
    unknown = client.get("/v1/shops/nope/fulfilment", headers=keys[who])
    assert theirs.status_code == unknown.status_code == 404
    assert _code(theirs) == _code(unknown) == "fulfilment.shop_not_found"


@pytest.mark.parametrize("who", ["operator", "platform"])
def test_operators_and_the_platform_read_any_shop(client, keys, late, who) -> None:
    for shop_id in ("s1", "s2"):
        assert client.get(f"/v1/shops/{shop_id}/fulfilment", headers=keys[who]).status_code == 200


@pytest.mark.parametrize("days", ["5", "0", "-7", "365", "10000000000000000000000000"])
def test_a_window_outside_7_30_90_is_422_with_its_code(client, keys, late, days) -> None:
    r = client.get("/v1/shops/s1/fulfilment", params={"days": days}, headers=keys["m1"])
    assert r.status_code == 422 and _code(r) == "fulfilment.invalid_window"


@pytest.mark.parametrize("days", ["abc", "7.5", "1e3", "", "３０"])
def test_a_window_that_is_not_a_number_is_422_with_its_code(client, keys, late, days) -> None:
    r = client.get("/v1/shops/s1/fulfilment", params={"days": days}, headers=keys["m1"])
    assert r.status_code == 422 and _code(r) in ("request.invalid", "fulfilment.invalid_window")


# --- the platform's figures ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["operator", "platform"])
def test_the_platform_report_is_for_operators_and_the_platform(client, keys, late, who) -> None:
    r = client.get("/v1/fulfilment", params={"days": 7}, headers=keys[who])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shop_id"] is None and body["late_shipments"]["orders"] == 1


@pytest.mark.parametrize("who", ["m1", "c1"])
def test_merchants_and_consumers_get_no_platform_report(client, keys, late, who) -> None:
    r = client.get("/v1/fulfilment", headers=keys[who])
    assert r.status_code == 403 and _code(r) == "access.forbidden_role"


def test_the_platform_report_validates_its_window(client, keys, late) -> None:
    r = client.get("/v1/fulfilment", params={"days": 14}, headers=keys["operator"])
    assert r.status_code == 422 and _code(r) == "fulfilment.invalid_window"


# --- one order -----------------------------------------------------------------------------------------------

def test_the_consumer_reads_their_orders_promise_consequence_and_notice(client, keys, late) -> None:
    r = client.get("/v1/orders/o1/fulfilment", headers=keys["c1"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["promise"]["ship_by"] == (T0 + 48 * H).isoformat() and body["promise"]["basis"] == "in_stock_default"
    assert [f["kind"] for f in body["findings"]] == ["late_shipment"]
    assert [(c["coupon_fen"], c["points"]) for c in body["late_shipment"]] == [(495, 10)]
    assert [(n["kind"], n["reason"]) for n in body["notices"]] == [("late_shipment", "not_collected_by_ship_by")]
    assert body["eta"]["current"]["stage"] == "awaiting_collection"


@pytest.mark.parametrize(("who", "order_id", "status"), [
    ("c1", "o1", 200), ("c2", "o1", 404), ("c1", "o2", 404), ("m1", "o1", 200), ("m2", "o1", 404),
    ("m1", "o2", 404), ("operator", "o1", 200), ("platform", "o2", 200), ("c1", "nope", 404)])
def test_an_order_is_seen_by_its_consumer_its_merchant_and_staff_only(client, keys, late, who, order_id,
                                                                      status) -> None:
    r = client.get(f"/v1/orders/{order_id}/fulfilment", headers=keys[who])
    assert r.status_code == status
    if status == 404:
        assert _code(r) == "fulfilment.order_not_found"


@pytest.mark.parametrize("path", ["/v1/shops/s1/fulfilment", "/v1/fulfilment", "/v1/orders/o1/fulfilment"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}])
def test_no_key_or_a_bad_key_is_401(client, late, path, headers) -> None:
    r = client.get(path, headers=headers)
    assert r.status_code == 401 and _code(r) == "access.unauthenticated"


@pytest.mark.parametrize("path", ["/v1/shops/%3Cscript%3E/fulfilment", "/v1/orders/%00/fulfilment",
                                  "/v1/shops/" + "x" * 5000 + "/fulfilment", "/v1/orders/o1%2F..%2Fo2/fulfilment"])
def test_odd_ids_are_not_found_never_500(client, keys, late, path) -> None:
    r = client.get(path, headers=keys["operator"])
    assert 400 <= r.status_code < 500 and problem_code(r)
