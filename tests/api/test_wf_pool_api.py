"""The creators' selection pool and the worry-free metrics over HTTP: filters at their edges (price bounds and the
commission minimum inclusive), category descendants, guarantees and score bands, cursor pages, badges that explain
themselves, who may call (creators, operators, the platform; never merchants or consumers), bad input (never a 500);
and the creator's own score (GET /v1/creators/me/score: their own, nobody else's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.api.problems import code as problem_code
from tests.db import builders as b

pytestmark = pytest.mark.db

POOL = "/v1/selection-pool"


def offered(listing_id: str, shop_id: str, category_id: str, *, price_fen: int, commission_bp: int | None,
            at: dt.datetime = b.T0) -> dict[str, Any]:
    ev = b.listing(listing_id, shop_id, category_id, price_fen=price_fen, at=at)
    if commission_bp is not None:
        ev["data"]["commission_bp"] = commission_bp
    return ev


def world(anxin: Any) -> None:
    b.ingest_ok(anxin, [
        b.category("food", tags=["food"]), b.category("snacks", parent_id="food"),
        b.category("nuts", parent_id="snacks"), b.category("home"),
        b.shop("s1", "m1", services=["anxin_gou"], name="Nut House"), b.shop("s2", "m2", name="Home Goods"),
        offered("l_nuts", "s1", "nuts", price_fen=5000, commission_bp=2000),
        offered("l_snack", "s1", "snacks", price_fen=9999, commission_bp=1999),
        offered("l_food", "s1", "food", price_fen=10000, commission_bp=1000),
        offered("l_home", "s2", "home", price_fen=4999, commission_bp=0),
        offered("l_none", "s2", "home", price_fen=3000, commission_bp=None),  # not offered to creators
        offered("l_orphan", "s9", "home", price_fen=3000, commission_bp=500),  # shop not in the registry
    ])


def ids(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [i["listing_id"] for i in resp.json()["items"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["l_food", "l_home", "l_nuts", "l_snack"]),
    ("price_min_fen=5000", ["l_food", "l_nuts", "l_snack"]),          # the lower bound is inclusive
    ("price_min_fen=5001", ["l_food", "l_snack"]),
    ("price_max_fen=9999", ["l_home", "l_nuts", "l_snack"]),          # the upper bound is inclusive
    ("price_max_fen=9998", ["l_home", "l_nuts"]),
    ("price_min_fen=5000&price_max_fen=5000", ["l_nuts"]),
    ("min_commission_bp=2000", ["l_nuts"]),                           # the commission minimum is inclusive
    ("min_commission_bp=1999", ["l_nuts", "l_snack"]),
    ("min_commission_bp=2001", []),
    ("min_commission_bp=0", ["l_food", "l_home", "l_nuts", "l_snack"]),
    ("category_id=food", ["l_food", "l_nuts", "l_snack"]),            # with every category below it
    ("category_id=snacks", ["l_nuts", "l_snack"]),
    ("category_id=nuts", ["l_nuts"]),
    ("guarantee=fresh_spoilage", []),
    ("worry_free=true", []),
    ("worry_free=false", ["l_food", "l_home", "l_nuts", "l_snack"]),
    ("score_band=low", []),                                           # nobody is scored: unscored is in no band
    ("sort=commission", ["l_nuts", "l_snack", "l_food", "l_home"]),
    ("sort=price_asc", ["l_home", "l_nuts", "l_snack", "l_food"]),
    ("sort=price_desc", ["l_food", "l_snack", "l_nuts", "l_home"]),
])
def test_filters_at_their_edges(anxin, client, keys, query, expected):
    world(anxin)
    assert ids(client.get(f"{POOL}?{query}", headers=keys["creator"])) == expected


def test_guarantee_filter_uses_the_hall_service_names(anxin, client, keys):
    world(anxin)
    got = ids(client.get(f"{POOL}?guarantee=instant_refund", headers=keys["creator"]))
    assert got == ["l_food", "l_nuts", "l_snack"]  # s1 has 安心购, which implies instant refund


@pytest.mark.parametrize("sort", ["listing", "commission", "price_asc", "price_desc"])
def test_cursor_pages_walk_every_listing_once(anxin, client, keys, sort):
    world(anxin)
    everything = ids(client.get(f"{POOL}?sort={sort}", headers=keys["operator"]))
    seen, cursor = [], ""
    for _ in range(10):
        r = client.get(f"{POOL}?sort={sort}&limit=1" + (f"&cursor={cursor}" if cursor else ""),
                       headers=keys["operator"])
        seen += ids(r)
        cursor = r.json()["next"]
        if not cursor:
            break
    assert seen == everything


def test_a_cursor_of_other_filters_is_refused(anxin, client, keys):
    world(anxin)
    nxt = client.get(f"{POOL}?limit=1", headers=keys["creator"]).json()["next"]
    r = client.get(f"{POOL}?limit=1&sort=commission&cursor={nxt}", headers=keys["creator"])
    assert r.status_code == 400 and problem_code(r) == "request.invalid_cursor"


def test_badges_explain_themselves(anxin, client, keys):
    world(anxin)
    item = next(i for i in client.get(POOL, headers=keys["creator"]).json()["items"] if i["listing_id"] == "l_nuts")
    assert item["commission_bp"] == 2000 and item["score_band"] == "unscored" and not item["worry_free"]
    codes = [bd["code"] for bd in item["badges"]]
    assert "score_band.unscored" in codes and "commission" in codes and "guarantee.instant_refund" in codes
    for bd in item["badges"]:
        assert bd["label"]["zh-CN"] and bd["label"]["en"] and bd["explanation"]["zh-CN"] and bd["explanation"]["en"]
        assert bd["rule_id"] and bd["rulebook_version"]
    commission = next(bd for bd in item["badges"] if bd["code"] == "commission")
    assert commission["label"]["en"] == "Commission 20%"


@pytest.mark.parametrize(("query", "code"), [
    ("price_min_fen=6000&price_max_fen=5999", "worryfree.pool.invalid_filter"),
    ("price_min_fen=-1", "worryfree.pool.invalid_filter"),
    ("min_commission_bp=10001", "worryfree.pool.invalid_filter"),
    ("min_commission_bp=-1", "worryfree.pool.invalid_filter"),
    ("guarantee=teleport", "worryfree.pool.invalid_filter"),
    ("score_band=legendary", "worryfree.pool.invalid_filter"),
    ("category_id=nowhere", "worryfree.pool.unknown_category"),
    ("price_min_fen=abc", "request.invalid"),
    ("sort=random", "request.invalid"),
    ("cursor=garbage", "request.invalid_cursor"),
])
def test_bad_filters_are_refused_with_their_code(anxin, client, keys, query, code):
    world(anxin)
    r = client.get(f"{POOL}?{query}", headers=keys["creator"])
    assert r.status_code in (400, 422) and problem_code(r) == code, r.text


def test_min_commission_at_the_top_of_the_scale_is_accepted(anxin, client, keys):
    world(anxin)
    assert ids(client.get(f"{POOL}?min_commission_bp=10000", headers=keys["creator"])) == []


@pytest.mark.parametrize("who", ["m1", "c1", "rh1"])
@pytest.mark.parametrize("path", [POOL, "/v1/worry-free/metrics", "/v1/creators/me/score"])
def test_merchants_and_consumers_cannot_use_creator_endpoints(anxin, client, keys, who, path):
    r = client.get(path, headers=keys[who])
    assert r.status_code == 403 and problem_code(r) == "access.forbidden_role"


def test_the_pool_needs_a_key(client):
    assert client.get(POOL).status_code == 401


def test_a_creator_sees_only_their_own_score(anxin, client, keys):
    r = client.get("/v1/creators/me/score", headers=keys["creator"])
    assert r.status_code == 404 and problem_code(r) == "scoring.subject_not_found"  # not scored yet
    r = client.get("/v1/creators/cr2/score", headers=keys["creator"])
    assert r.status_code == 404 and problem_code(r) == "scoring.subject_not_found"
    r = client.get("/v1/creators/cr1/score/indicators/C.CONTENT/rows", headers=keys["creator"])
    assert r.status_code in (403, 404)


def test_metrics_split_worry_free_from_other_orders(anxin, client, keys, clock):
    world(anxin)
    paid = b.T0 - 5 * b.D
    b.ingest_ok(anxin, [
        b.order_paid("o1", "c1", "s1", items=[b.item("l_nuts")], paid_at=paid),
        b.shipped("o1", tracking_no="T1", shipped_at=paid + 24 * b.H),  # exactly 24 h: on time
        b.delivered("o1", signed_at=paid + 30 * b.H),
        b.order_paid("o2", "c1", "s1", items=[b.item("l_nuts")], paid_at=paid),
        b.shipped("o2", tracking_no="T2", shipped_at=paid + 24 * b.H + dt.timedelta(seconds=1)),
        b.complaint("cp1", "o2", reason="quality", filed_at=paid + 3 * b.D),
        b.order_paid("o3", "c1", "s1", items=[b.item("l_nuts")], paid_at=paid),
        b.cancelled("o3", at=paid + b.H),  # cancelled before shipping: left out
    ])
    r = client.get("/v1/worry-free/metrics", headers=keys["creator"])
    assert r.status_code == 200, r.text
    other = r.json()["groups"]["other"]
    assert other["orders"] == 2
    assert (other["ship_24h"]["num"], other["ship_24h"]["den"]) == (1, 2)
    assert (other["next_day_delivery"]["num"], other["next_day_delivery"]["den"]) == (1, 2)
    assert (other["product_complaint"]["num"], other["product_complaint"]["den"]) == (1, 2)
    assert other["ship_24h"]["percent"] == "50.0%"
    assert r.json()["groups"]["worry_free"]["orders"] == 0
    assert r.json()["groups"]["worry_free"]["ship_24h"]["rate"] is None
    bad = client.get("/v1/worry-free/metrics?since=2026-11-02T00:00:00%2B08:00&until=2026-11-01T00:00:00%2B08:00",
                     headers=keys["operator"])
    assert bad.status_code == 422 and problem_code(bad) == "worryfree.pool.invalid_period"
