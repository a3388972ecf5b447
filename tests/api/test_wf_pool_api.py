"""The creators' selection pool and the worry-free metrics over HTTP: filters at their edges (price bounds and the
commission minimum inclusive), category descendants, guarantees and score bands, cursor pages, badges that explain
themselves, who may call (creators, operators, the platform; never merchants or consumers), bad input (never a 500);
and the creator's own score (GET /v1/creators/me/score: their own, nobody else's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from tests.api.problems import code as problem_code
from tests.db import builders as b

from anxin.db.tables import metadata

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


# --- the worry-free tag and the shop's score band, as the tag rules and the nightly run stored them ---------------

def tag(engine: Any, listing_id: str, shop_id: str, *, tagged: bool, since: dt.datetime) -> None:
    t = metadata.tables["wf_tag_states"]
    with engine.begin() as conn:
        conn.execute(t.insert().values(
            listing_id=listing_id, shop_id=shop_id, tagged=tagged, since=since,
            reasons=["enrolled", "stock_available", "ship_rate_met"], rule_ids=["tag.enrolled", "tag.stock"],
            rulebook_version="worryfree-tags-test", facts={}, trigger="job", evaluated_at=since))


def score(engine: Any, shop_id: str, score_x100: int | None, day: dt.date = dt.date(2026, 11, 1)) -> None:
    t = metadata.tables["score_snapshots"]
    with engine.begin() as conn:
        conn.execute(t.insert().values(as_of=day, subject_kind="merchant", subject_id=shop_id, rulebook_version="t",
                                       eligible=score_x100 is not None, score_x100=score_x100, band=None, detail={}))


def test_worry_free_filter_and_badge_say_since_when(anxin, engine, client, keys):
    world(anxin)
    tag(engine, "l_nuts", "s1", tagged=True, since=b.T0 - 3 * b.D)
    tag(engine, "l_snack", "s1", tagged=False, since=b.T0 - 1 * b.D)  # lost the tag: not worry-free
    r = client.get(f"{POOL}?worry_free=true", headers=keys["creator"])
    assert ids(r) == ["l_nuts"]
    badge = next(bd for bd in r.json()["items"][0]["badges"] if bd["code"] == "worry_free")
    assert badge["rule_id"] == "tag.enrolled" and badge["rulebook_version"] == "worryfree-tags-test"
    assert "2026-10-30" in badge["explanation"]["en"] and "2026-10-30" in badge["explanation"]["zh-CN"]
    assert badge["facts"]["reasons"] == ["enrolled", "stock_available", "ship_rate_met"]
    assert ids(client.get(f"{POOL}?worry_free=false", headers=keys["creator"])) == ["l_food", "l_home", "l_snack"]


@pytest.mark.parametrize(("score_x100", "band", "query", "expected"), [
    (9000, "excellent", "score_band=excellent", ["l_food", "l_nuts", "l_snack"]),  # the band's floor is in it
    (8999, "good", "score_band=excellent", []),
    (8999, "good", "score_band=good", ["l_food", "l_nuts", "l_snack"]),             # good or better
    (8000, "good", "score_band=fair", ["l_food", "l_nuts", "l_snack"]),
    (6999, "low", "score_band=fair", []),
    (5000, "low", "score_band=low", ["l_food", "l_nuts", "l_snack"]),
])
def test_score_band_is_that_band_or_better(anxin, engine, client, keys, score_x100, band, query, expected):
    world(anxin)
    score(engine, "s1", score_x100)
    r = client.get(f"{POOL}?{query}", headers=keys["creator"])
    assert ids(r) == expected
    items = client.get(f"{POOL}?category_id=food", headers=keys["creator"]).json()["items"]
    assert {i["score_band"] for i in items} == {band}
    badge = next(bd for bd in items[0]["badges"] if bd["code"].startswith("score_band."))
    assert badge["code"] == f"score_band.{band}" and badge["rule_id"] == "pool.score_band"


def test_metrics_count_worry_free_orders_apart(anxin, engine, client, keys):
    world(anxin)
    paid = b.T0 - 5 * b.D
    b.ingest_ok(anxin, [
        b.order_paid("w1", "c1", "s1", items=[b.item("l_nuts")], paid_at=paid),
        b.shipped("w1", tracking_no="TW1", shipped_at=paid + 2 * b.H),
        b.delivered("w1", signed_at=paid + 20 * b.H),
        b.order_paid("x1", "c2", "s1", items=[b.item("l_nuts")], paid_at=paid),
    ])
    orders = metadata.tables["orders"]
    with engine.begin() as conn:
        conn.execute(orders.update().where(orders.c.order_id == "w1").values(worry_free=True))
    g = client.get("/v1/worry-free/metrics", headers=keys["operator"]).json()["groups"]
    assert g["worry_free"]["orders"] == 1 and g["other"]["orders"] == 1
    assert g["worry_free"]["ship_24h"]["percent"] == "100.0%" and g["other"]["ship_24h"]["percent"] == "0.0%"
    assert g["worry_free"]["next_day_delivery"]["num"] == 1 and g["other"]["next_day_delivery"]["num"] == 0


def test_commission_is_stored_on_both_ingestion_paths(anxin, engine):
    events = [b.category("food"), b.shop("s1", "m1"), offered("l1", "s1", "food", price_fen=100, commission_bp=1234),
              offered("l2", "s1", "food", price_fen=100, commission_bp=None)]
    anxin.ingestion.ingest_bulk(events)
    listings = metadata.tables["listings"]
    with engine.connect() as conn:
        bulk = dict(conn.execute(sa.select(listings.c.listing_id, listings.c.commission_bp)).all())
    assert bulk == {"l1": 1234, "l2": None}
    later = offered("l1", "s1", "food", price_fen=100, commission_bp=0, at=b.T0 + b.H)
    b.ingest_ok(anxin, [later])  # the per-event path: a newer version overwrites
    with engine.connect() as conn:
        assert conn.execute(sa.select(listings.c.commission_bp).where(listings.c.listing_id == "l1")).scalar() == 0


@pytest.mark.parametrize("bp", [-1, 10_001, "15", 1.5])
def test_commission_outside_its_scale_is_rejected(anxin, bp):
    result = anxin.ingestion.ingest([b.shop("s1", "m1"), b.category("food"),
                                     offered("l1", "s1", "food", price_fen=100, commission_bp=bp)])  # type: ignore[arg-type]
    assert len(result.rejected) == 1
