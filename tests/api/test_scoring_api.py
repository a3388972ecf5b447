"""The score endpoints and pages over HTTP, on a small scored marketplace: who sees which shop, creator and consumer,
the snapshot, live, history and drill-down of a shop's score, the rankings, the deduction ledger, bad input (never
a 500), and the merchant-centre and operator pages in both languages.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from tests import catalogs
from tests.api.problems import code as problem_code
from tests.db import builders as b

from anxin.db.tables import metadata
from anxin.scoring.error_codes import ScoringErrorCode
from anxin.web.auth import COOKIE
from anxin.web.render import csrf_token

pytestmark = pytest.mark.db

T0 = b.T0  # 2026-11-02 10:00 in Beijing: today is 2026-11-02
DAYS = ("2026-11-01", "2026-11-02")  # the two nightly runs
INDICATORS = ("M.NEGATIVE_REVIEW_RATE", "M.QUALITY_RETURN_RATE", "M.COLLECTION_TIMELINESS", "M.DELIVERY_HOURS",
              "M.COMPLAINT_RATE", "M.DISPUTE_RATE", "M.AFTERSALES_HOURS", "M.IM_REPLY_RATE")
SHOP_NAME = "安心果园<b>旗舰店</b>"  # shown as text, never as markup


# --- the world -------------------------------------------------------------------------------------------------

def world_events() -> list[dict[str, Any]]:
    """s1 (m1, 36 orders: a third collected after 30 h, one in six reviewed 1 star, 12 sold by creator cr1, slow
    chat replies, one complaint); s2 (m2, 34 orders, all prompt); s3 (m2, 12 orders: not enough to be scored)."""
    ev = [b.category("cat_home"), b.shop("s1", "m1", name=SHOP_NAME), b.shop("s2", "m2", name="Second Shop"),
          b.shop("s3", "m2", name="Small Shop")]
    ev += [b.listing(f"l_{s}", s, "cat_home") for s in ("s1", "s2", "s3")]
    ev += [b.consumer_registered(f"c{n}", registered_at=T0 - 400 * b.D) for n in range(1, 6)]
    for shop, count in (("s1", 36), ("s2", 34), ("s3", 12)):
        for k in range(count):
            oid = f"{shop}_o{k:02d}"
            paid = T0 - (28 - k % 25) * b.D - 3 * b.H  # 4 to 28 days ago, at 07:00 in Beijing
            ev.append(b.order_paid(oid, f"c{k % 5 + 1}", shop, items=[b.item(f"l_{shop}")], paid_at=paid,
                                   creator_id="cr1" if shop == "s1" and k < 12 else None))
            late = shop == "s1" and k % 3 == 0
            ev += [b.shipped(oid, tracking_no=f"T{oid}", shipped_at=paid + b.H),
                   b.scanned(f"T{oid}", status="collected", scanned_at=paid + (30 if late else 5) * b.H),
                   b.delivered(oid, signed_at=paid + 3 * b.D)]
            if shop == "s1" and k % 6 == 0:
                ev.append(b.review(oid, rating=1, posted_at=paid + 4 * b.D))
            elif k % 3 == 1:
                ev.append(b.review(oid, rating=5, posted_at=paid + 4 * b.D))
        for k in range(4):
            opened = T0 - (10 + k) * b.D + 2 * b.H  # 12:00 in Beijing, in service hours
            reply = 60 if shop != "s1" or k == 0 else 600
            ev.append(b.chat_session(f"cs_{shop}_{k}", shop, "c1", opened_at=opened, to_human_at=opened + b.MIN,
                                     first_human_reply_at=opened + b.MIN + dt.timedelta(seconds=reply)))
    ev.append(b.complaint("cp1", "s1_o01", reason="quality", filed_at=T0 - 20 * b.D))
    return ev


def build_world(anxin: Any) -> None:
    b.ingest_ok(anxin, world_events())
    anxin.tick()  # the fulfilment pass records each order's collection time
    for day in DAYS:
        anxin.scoring.run(day)


_SAVED: dict[str, list[dict[str, Any]]] = {}
_SKIP = {"api_keys", "webhook_endpoints"}  # keys are each test's own; bootstrap writes the default endpoint


def scored_world(anxin: Any) -> None:
    """Build the world once per module (ingest, tick, two runs: a few seconds), then copy its rows back in for
    each later test (the database is emptied between tests). Integer ids keep their sequences right on PostgreSQL."""
    engine: sa.Engine = anxin.engine
    tables = [t for t in metadata.sorted_tables if t.name not in _SKIP]
    if not _SAVED:
        build_world(anxin)
        with engine.connect() as conn:
            _SAVED.update({t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))] for t in tables})
        return
    with engine.begin() as conn:
        for t in tables:
            if _SAVED[t.name]:
                conn.execute(t.insert(), _SAVED[t.name])
        if engine.dialect.name == "postgresql":
            for t in tables:
                if "id" in t.c and isinstance(t.c.id.type, sa.Integer) and _SAVED[t.name]:
                    conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), "
                                         f"(SELECT MAX(id) FROM {t.name}))"))


@pytest.fixture
def world(anxin) -> None:
    scored_world(anxin)


def _code(resp) -> str:
    return problem_code(resp)


def _points(x100: int) -> str:
    return f"{x100 // 100}.{x100 % 100:02d}"


# --- a shop's score ------------------------------------------------------------------------------------------

def test_a_merchant_reads_their_shops_score(client, keys, world, anxin) -> None:
    r = client.get("/v1/shops/s1/score", headers=keys["m1"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "merchant" and body["subject_id"] == "s1" and body["as_of"] == "2026-11-02"
    assert body["rulebook_version"] == anxin.scoring.rules.version and body["live"] is False
    assert body["name"] == {"zh-CN": "商家体验分", "en": "Merchant experience score"}
    assert body["eligible"] is True
    assert body["eligibility"] == {"eligible": True, "valid_orders": 36, "min_valid_orders": 30, "reason": None}
    assert isinstance(body["score_x100"], int) and body["score"] == _points(body["score_x100"])
    assert body["scale"] == {"min_x100": 5000, "max_x100": 10000, "min": "50.00", "max": "100.00"}
    assert body["deductions_x100"] == 0 and body["deductions"] == "0.00" and body["deductions_applied"] == []
    assert [d["id"] for d in body["dimensions"]] == ["product", "logistics", "service"]
    for d in body["dimensions"]:
        assert set(d["name"]) == {"zh-CN", "en"} and isinstance(d["points_x100"], int)
        assert d["points"] == _points(d["points_x100"]) and d["floored"] in (True, False)
    inds = {i["id"]: i for i in body["indicators"]}
    assert tuple(inds) == INDICATORS
    late = inds["M.COLLECTION_TIMELINESS"]
    # 12 of 36 orders collected after 30 h: the 24 h band (weight 50) missed, the 36 and 48 h bands kept
    assert (late["num"], late["den"]) == (36 * 100 - 12 * 50, 36 * 100) and late["value"] == pytest.approx(5 / 6)
    assert late["peer_n"] == 2 and late["peer_top_quartile"] == pytest.approx(1.0)
    assert late["percentile"] == {"num": 0, "den": 1} and late["points_x100"] == 5000 and late["points"] == "50.00"
    assert late["lost_x100"] > 0 and late["lost"] == _points(late["lost_x100"])
    reviews = inds["M.NEGATIVE_REVIEW_RATE"]
    # six 1-star reviews, the last posted today (after the day scored)
    assert (reviews["num"], reviews["den"]) == (5, 36) and reviews["better"] == "lower" and reviews["unit"] == "rate"
    disputes = inds["M.DISPUTE_RATE"]  # no case closed in the window: no value, no points, nothing lost
    assert disputes["value"] is None and disputes["percentile"] is None and disputes["points_x100"] is None
    assert disputes["points"] is None and disputes["lost_x100"] == 0


def test_the_better_shop_scores_higher(client, keys, world) -> None:
    s1 = client.get("/v1/shops/s1/score", headers=keys["operator"]).json()
    s2 = client.get("/v1/shops/s2/score", headers=keys["operator"]).json()
    assert s2["score_x100"] > s1["score_x100"]
    assert all(i["lost_x100"] == 0 for i in s2["indicators"] if i["id"] != "M.DELIVERY_HOURS")


@pytest.mark.parametrize("who", ["m2", "c1", "c2"])
def test_others_do_not_see_a_shop_and_it_looks_like_an_unknown_one(client, keys, world, who) -> None:
    for path in ("/score", "/score/live", "/score/history", "/score/indicators/M.DISPUTE_RATE", "/score/deductions"):
        theirs = client.get(f"/v1/shops/s1{path}", headers=keys[who])
        unknown = client.get(f"/v1/shops/nope{path}", headers=keys[who])
        assert theirs.status_code == unknown.status_code == 404, path
        assert _code(theirs) == _code(unknown) == "scoring.shop_not_found", path


@pytest.mark.parametrize("who", ["operator", "platform"])
def test_operators_and_the_platform_read_any_shop(client, keys, world, who) -> None:
    for shop_id in ("s1", "s2", "s3"):
        assert client.get(f"/v1/shops/{shop_id}/score", headers=keys[who]).status_code == 200


def test_a_shop_without_enough_orders_shows_no_number(client, keys, world) -> None:
    body = client.get("/v1/shops/s3/score", headers=keys["m2"]).json()
    assert body["eligible"] is False
    assert body["eligibility"] == {"eligible": False, "valid_orders": 12, "min_valid_orders": 30,
                                   "reason": "not enough orders: 12 of 30"}
    assert body["score_x100"] is body["score"] is body["raw_x100"] is body["raw"] is None
    assert all(d["points_x100"] is None and d["points"] is None and d["floored"] is False
               for d in body["dimensions"])
    assert all(i["points_x100"] is None and i["percentile"] is None and i["lost_x100"] == 0
               for i in body["indicators"])


def test_a_score_as_of_an_earlier_day(client, keys, world) -> None:
    r = client.get("/v1/shops/s1/score", params={"as_of": "2026-11-01"}, headers=keys["m1"])
    assert r.status_code == 200 and r.json()["as_of"] == "2026-11-01"
    before = client.get("/v1/shops/s1/score", params={"as_of": "2026-10-15"}, headers=keys["m1"])
    assert before.status_code == 404 and _code(before) == "scoring.no_snapshot"


@pytest.mark.parametrize("as_of", ["2026-13-01", "2026-02-30", "yesterday", "2026/11/02", "0001-01-01", "１"])
def test_a_bad_date_is_422_with_its_code(client, keys, world, as_of) -> None:
    for path, who in (("/v1/shops/s1/score", "m1"), ("/v1/shops/s1/score/indicators/M.IM_REPLY_RATE", "m1"),
                      ("/v1/scores/merchant", "operator"), ("/v1/creators/cr1/score", "operator")):
        r = client.get(path, params={"as_of": as_of}, headers=keys[who])
        assert r.status_code == 422 and _code(r) == "scoring.invalid_date", (path, r.text)


def test_the_live_score_uses_the_same_definition(client, keys, world) -> None:
    live = client.get("/v1/shops/s1/score/live", headers=keys["m1"])
    assert live.status_code == 200, live.text
    body = live.json()
    snapshot = client.get("/v1/shops/s1/score", headers=keys["m1"]).json()  # as of today, same facts
    assert body["live"] is True and body["as_of"] == "2026-11-02"
    assert body["score_x100"] == snapshot["score_x100"] and body["indicators"] == snapshot["indicators"]
    assert client.get("/v1/shops/s3/score/live", headers=keys["m2"]).json()["score_x100"] is None


def test_the_history_lists_each_run(client, keys, world) -> None:
    r = client.get("/v1/shops/s1/score/history", headers=keys["m1"])
    assert r.status_code == 200
    body = r.json()
    assert body["days"] == 90 and [p["as_of"] for p in body["points"]] == list(DAYS)
    for p in body["points"]:
        assert p["eligible"] and p["score"] == _points(p["score_x100"])
        assert set(p["dimensions"]) == {"product", "logistics", "service"}
        assert all(v["points"] == _points(v["points_x100"]) for v in p["dimensions"].values())
    one = client.get("/v1/shops/s1/score/history", params={"days": 1}, headers=keys["m1"]).json()
    assert one["days"] == 1 and one["points"] == body["points"]  # since yesterday: both runs
    for days in ("0", "-1", "401", "abc", "1e3"):
        bad = client.get("/v1/shops/s1/score/history", params={"days": days}, headers=keys["m1"])
        assert bad.status_code == 422 and _code(bad) == "request.invalid", days


# --- the drill-down ------------------------------------------------------------------------------------------

def _all_rows(client, url, headers, limit=50, **params):
    """Every row of a drill-down, page by page, and how many pages it took."""
    rows, cursor, pages = [], None, 0
    while True:
        r = client.get(f"{url}/rows", params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})},
                       headers=headers)
        assert r.status_code == 200, r.text
        rows += r.json()["items"]
        pages += 1
        cursor = r.json()["next"]
        if cursor is None:
            return rows, pages


def test_the_drill_down_lists_the_late_collections_and_a_suggestion(client, keys, world) -> None:
    url = "/v1/shops/s1/score/indicators/M.COLLECTION_TIMELINESS"
    r = client.get(url, headers=keys["m1"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["side"] == "miss" and body["total"] == 12 and "rows" not in body
    assert body["measure"] == "collection_timeliness" and body["unit"] == "rate"
    assert body["window"] == {"from": "2026-10-02T16:00:00Z", "to": "2026-11-01T16:00:00Z"}
    rows, pages = _all_rows(client, url, keys["m1"])
    assert len(rows) == 12 and pages == 1
    row = rows[0]
    assert row["order_id"].startswith("s1_o") and int(row["order_id"][4:]) % 3 == 0
    paid, collected = dt.datetime.fromisoformat(row["paid_at"]), dt.datetime.fromisoformat(row["collected_at"])
    assert collected - paid == 30 * b.H and row["duration_seconds"] == 30 * 3600
    assert row["cancelled_at"] is None and "window" not in row
    paged, pages = _all_rows(client, url, keys["m1"], limit=5)  # ties on the instant: the id breaks them
    assert paged == rows and pages == 3
    s = body["suggestion"]
    assert s["code"].startswith("collection.") and set(s["text"]) == {"zh-CN", "en"}
    assert "12" in s["text"]["en"] and "12" in s["text"]["zh-CN"]


def test_the_drill_down_of_chats_and_reviews(client, keys, world) -> None:
    url = "/v1/shops/s1/score/indicators/M.IM_REPLY_RATE"
    chats = client.get(url, headers=keys["operator"]).json()
    rows, _ = _all_rows(client, url, keys["operator"], limit=1)
    assert chats["total"] == 3 and {r["session_id"] for r in rows} == {"cs_s1_1", "cs_s1_2", "cs_s1_3"}
    assert all(r["duration_seconds"] == 600 for r in rows)
    assert chats["suggestion"]["code"] == "im.hours" and "12:00" in chats["suggestion"]["text"]["en"]
    url = "/v1/shops/s1/score/indicators/M.NEGATIVE_REVIEW_RATE"
    reviews = client.get(url, headers=keys["m1"]).json()
    page = client.get(f"{url}/rows", params={"limit": 2}, headers=keys["m1"]).json()
    assert reviews["side"] == "num" and reviews["total"] == 5 and len(page["items"]) == 2 and page["next"]
    assert all(r["rating"] == 1 and r["duration_seconds"] is None for r in page["items"])
    den = client.get(url, params={"side": "den"}, headers=keys["m1"]).json()
    assert den["side"] == "den" and den["total"] == 36
    assert len(_all_rows(client, url, keys["m1"], limit=7, side="den")[0]) == 36
    other = client.get(f"{url}/rows", params={"side": "den", "cursor": page["next"]}, headers=keys["m1"])
    assert other.status_code == 400 and _code(other) == "request.invalid_cursor"  # a cursor of other filters


def test_the_drill_down_of_waits_pages_by_the_longest_first(client, keys, world) -> None:
    """Hours order by the wait first: the key carries it, so pages follow the same order as one long page."""
    url = "/v1/shops/s1/score/indicators/M.DELIVERY_HOURS"
    whole = client.get(f"{url}/rows", params={"limit": 500}, headers=keys["m1"]).json()["items"]
    paged, _ = _all_rows(client, url, keys["m1"], limit=4)
    assert paged == whole and whole
    assert [r["contribution"] for r in whole] == sorted((r["contribution"] for r in whole), reverse=True)


def test_the_drill_down_refuses_bad_input(client, keys, world) -> None:
    base = "/v1/shops/s1/score/indicators"
    unknown = client.get(f"{base}/M.NOPE", headers=keys["m1"])
    assert unknown.status_code == 404 and _code(unknown) == "scoring.unknown_indicator"
    for params in ({"side": "sideways"}, {"side": "miss"}):
        r = client.get(f"{base}/M.NEGATIVE_REVIEW_RATE", params=params, headers=keys["m1"])
        assert r.status_code == 422 and _code(r) == "scoring.invalid_side", params
    for params in ({"limit": 0}, {"limit": 501}, {"limit": "x"}):
        r = client.get(f"{base}/M.NEGATIVE_REVIEW_RATE/rows", params=params, headers=keys["m1"])
        assert r.status_code == 422 and _code(r) == "request.invalid", params
    for path in (f"{base}/M.IM_REPLY_RATE%00", "/v1/shops/s1%00/score", f"{base}/M.IM_REPLY_RATE?side=n%00m"):
        r = client.get(path, headers=keys["m1"])
        assert r.status_code == 404 and _code(r) == "request.not_found", path


def test_a_shop_never_scored_has_no_snapshot(client, keys, anxin) -> None:
    b.seed_order(anxin, shop_id="s9", merchant_id="m1")
    r = client.get("/v1/shops/s9/score", headers=keys["m1"])
    assert r.status_code == 404 and _code(r) == "scoring.no_snapshot"


# --- rankings, creators, consumers ---------------------------------------------------------------------------

def test_the_operator_ranks_merchants_creators_and_consumers(client, keys, world) -> None:
    run = client.get("/v1/scores/merchant/run", headers=keys["operator"]).json()
    assert run["kind"] == "merchant" and run["as_of"] == "2026-11-02" and run["total"] == 3
    merchants = client.get("/v1/scores/merchant", headers=keys["operator"]).json()
    assert merchants["next"] is None and merchants["limit"] == 50
    assert [(r["subject_id"], r["rank"]) for r in merchants["items"]] == [("s2", 1), ("s1", 2), ("s3", None)]
    assert {r["as_of"] for r in merchants["items"]} == {"2026-11-02"}
    assert merchants["items"][0]["score"] == _points(merchants["items"][0]["score_x100"])
    assert merchants["items"][2]["score"] is None and merchants["items"][2]["valid_orders"] == 12
    creators = client.get("/v1/scores/creator", headers=keys["operator"]).json()
    assert [r["subject_id"] for r in creators["items"]] == ["cr1"]
    consumers = client.get("/v1/scores/consumer", params={"as_of": "2026-11-01"}, headers=keys["operator"]).json()
    assert {r["as_of"] for r in consumers["items"]} == {"2026-11-01"} and {
        r["subject_id"] for r in consumers["items"]} == {f"c{n}" for n in range(1, 6)}
    assert all(r["credit"] == r["score_x100"] and r["band"] in ("trusted", "normal", "doubtful")
               for r in consumers["items"])
    assert client.get("/v1/scores/merchant", params={"as_of": "2026-10-01"},
                      headers=keys["operator"]).json() == {"items": [], "next": None, "limit": 50}
    assert client.get("/v1/scores/merchant/run", params={"as_of": "2026-10-01"}, headers=keys["operator"]).json() \
        == {"kind": "merchant", "as_of": None, "rulebook_version": None, "engine": None, "total": 0, "counts": {}}


def test_a_ranking_pages_by_cursor_and_ranks_keep_counting(client, keys, world) -> None:
    """Page after page gives the whole day once, the ranks count on across pages, and unscored subjects come
    last; a later run does not move the pages of a ranking already being read."""
    whole = client.get("/v1/scores/merchant", headers=keys["operator"]).json()["items"]
    seen, cursor = [], None
    while True:
        page = client.get("/v1/scores/merchant", params={"limit": 1, **({"cursor": cursor} if cursor else {})},
                          headers=keys["platform"]).json()
        assert len(page["items"]) <= 1
        seen += page["items"]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == whole and [r["rank"] for r in seen] == [1, 2, None]
    first = client.get("/v1/scores/consumer", params={"limit": 2}, headers=keys["operator"]).json()
    rest = client.get("/v1/scores/consumer", params={"limit": 10, "cursor": first["next"]},
                      headers=keys["operator"]).json()
    assert [r["rank"] for r in first["items"] + rest["items"]] == [1, 2, 3, 4, 5]
    other = client.get("/v1/scores/creator", params={"cursor": first["next"]}, headers=keys["operator"])
    assert other.status_code == 400 and _code(other) == "request.invalid_cursor"


@pytest.mark.parametrize("who", ["c1", "m1"])
def test_rankings_are_for_staff(client, keys, world, who) -> None:
    r = client.get("/v1/scores/merchant", headers=keys[who])
    assert r.status_code == 403 and _code(r) == "access.forbidden_role"


def test_rankings_refuse_bad_input(client, keys, world) -> None:
    r = client.get("/v1/scores/shops", headers=keys["operator"])
    assert r.status_code == 404 and _code(r) == "request.not_found"
    for params in ({"limit": 0}, {"limit": 501}, {"cursor": "x" * 513}):
        r = client.get("/v1/scores/merchant", params=params, headers=keys["operator"])
        assert r.status_code == 422 and _code(r) == "request.invalid", params
    assert client.get("/v1/scores/merchant").status_code == 401


def test_a_creators_score_is_for_staff(client, keys, world) -> None:
    r = client.get("/v1/creators/cr1/score", headers=keys["operator"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "creator" and body["eligible"] and body["eligibility"]["valid_orders"] == 12
    assert body["scale"]["min"] == "3.00" and body["scale"]["max"] == "5.00"
    assert body["name"]["zh-CN"] == "带货口碑分" and [d["id"] for d in body["dimensions"]] == [
        "content", "product", "service"]
    assert client.get("/v1/creators/cr1/score", headers=keys["m1"]).status_code == 403
    unknown = client.get("/v1/creators/nobody/score", headers=keys["operator"])
    assert unknown.status_code == 404 and _code(unknown) == "scoring.subject_not_found"


def test_a_creators_indicator_drills_down(client, keys, world) -> None:
    base = "/v1/creators/cr1/score/indicators"
    r = client.get(f"{base}/C.QUALITY_RETURN_RATE", headers=keys["operator"])
    assert r.status_code == 200, r.text
    body = r.json()
    rows, _ = _all_rows(client, f"{base}/C.QUALITY_RETURN_RATE", keys["operator"], limit=2)
    assert body["subject_id"] == "cr1" and body["side"] == "num" and body["total"] == len(rows)
    assert all(row["creator_id"] == "cr1" for row in rows)
    assert client.get(f"{base}/C.QUALITY_RETURN_RATE", headers=keys["m1"]).status_code == 403
    assert _code(client.get(f"{base}/M.NOPE", headers=keys["operator"])) == "scoring.unknown_indicator"


@pytest.mark.parametrize(("who", "consumer_id", "status"), [
    ("c1", "c1", 403), ("c2", "c1", 403), ("operator", "c1", 200), ("platform", "c3", 200), ("m1", "c1", 403),
    ("operator", "nobody", 404)])
def test_a_consumers_credit_is_for_staff_only(client, keys, world, who, consumer_id, status) -> None:
    """Credit bands are risk internals: not even the consumer reads their own."""
    r = client.get(f"/v1/consumers/{consumer_id}/credit", headers=keys[who])
    assert r.status_code == status
    if status == 200:
        body = r.json()
        assert body["consumer_id"] == consumer_id and isinstance(body["credit"], int) and body["band"]
        assert set(body["components"]) >= {"signed_orders", "account_age_30d"}
    elif status == 404:
        assert _code(r) == "scoring.subject_not_found"


# --- the deduction ledger ------------------------------------------------------------------------------------

def test_a_deduction_lowers_the_total_from_the_next_run_and_revoking_restores_it(client, keys, world, anxin) -> None:
    anxin.scoring.run("2026-11-03")  # tomorrow's run, before the deduction
    before = client.get("/v1/shops/s2/score", headers=keys["m2"]).json()
    assert before["as_of"] == "2026-11-03" and before["deductions_x100"] == 0
    r = client.post("/v1/shops/s2/score/deductions", headers=keys["operator"],
                    json={"kind": "fake_orders", "points_x100": 300, "reason": "刷单 3 笔"})
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["shop_id"] == "s2" and added["points"] == "3.00" and added["revoked_at"] is None
    assert dt.datetime.fromisoformat(added["effective_at"]) == T0 and added["created_by"] == "operator:ops"
    ledger = client.get("/v1/shops/s2/score/deductions", headers=keys["m2"]).json()["items"]
    assert [d["deduction_id"] for d in ledger] == [added["deduction_id"]]
    assert client.get("/v1/shops/s2/score", headers=keys["m2"]).json()["score_x100"] == before["score_x100"]

    anxin.scoring.run("2026-11-03")
    after = client.get("/v1/shops/s2/score", headers=keys["m2"]).json()
    assert after["score_x100"] == before["score_x100"] - 300 and after["raw_x100"] == before["raw_x100"]
    assert after["deductions_x100"] == 300 and after["deductions"] == "3.00"
    assert [d["deduction_id"] for d in after["deductions_applied"]] == [added["deduction_id"]]
    assert client.get("/v1/shops/s2/score", params={"as_of": "2026-11-02"},
                      headers=keys["m2"]).json()["deductions_applied"] == []  # it started after that day

    revoked = client.post(f"/v1/score-deductions/{added['deduction_id']}/revoke", headers=keys["platform"])
    assert revoked.status_code == 200 and dt.datetime.fromisoformat(revoked.json()["revoked_at"]) == T0
    anxin.scoring.run("2026-11-03")
    again = client.get("/v1/shops/s2/score", headers=keys["m2"]).json()
    assert again["score_x100"] == before["score_x100"] and again["deductions_applied"] == []


def test_deductions_are_added_by_staff_and_validated(client, keys, world) -> None:
    url = "/v1/shops/s2/score/deductions"
    good = {"kind": "bad_service", "points_x100": 150, "reason": "辱骂消费者"}
    for who in ("m2", "c1"):
        r = client.post(url, headers=keys[who], json=good)
        assert r.status_code == 403 and _code(r) == "access.forbidden_role"
    for body in ({**good, "kind": "nope"}, {**good, "points_x100": 0}, {**good, "points_x100": 10_001},
                 {**good, "reason": "  "}, {**good, "days": 0}):
        r = client.post(url, headers=keys["operator"], json=body)
        assert r.status_code == 422 and _code(r) == "scoring.invalid_deduction", body
    for body in ({**good, "points_x100": "150"}, {**good, "points_x100": 1.5}, {**good, "extra": 1},
                 {**good, "effective_at": "2026-11-02T10:00:00"}, {"kind": "bad_service"}):
        r = client.post(url, headers=keys["operator"], json=body)
        assert r.status_code == 422 and _code(r) == "request.invalid", body
    r = client.post(url, headers={**keys["operator"], "content-type": "application/json"}, content=b"{nope")
    assert r.status_code in (400, 422)
    unknown = client.post("/v1/shops/nope/score/deductions", headers=keys["operator"], json=good)
    assert unknown.status_code == 404 and _code(unknown) == "scoring.shop_not_found"
    timed = client.post(url, headers=keys["operator"],
                        json={**good, "effective_at": "2026-10-01T00:00:00+08:00", "days": 7})
    assert timed.status_code == 201
    assert dt.datetime.fromisoformat(timed.json()["expires_at"]) == dt.datetime(2026, 10, 7, 16, tzinfo=dt.UTC)
    assert client.post("/v1/score-deductions/ded_nope/revoke", headers=keys["operator"]).status_code == 404
    r = client.post(f"/v1/score-deductions/{timed.json()['deduction_id']}/revoke", headers=keys["m2"])
    assert r.status_code == 403


# --- pages -----------------------------------------------------------------------------------------------------

def signed_in(app, key: str, lang: str = "zh-CN") -> TestClient:
    client = TestClient(app, headers={"Accept-Language": lang}, raise_server_exceptions=False)
    assert client.post("/login", data={"key": key}, follow_redirects=False).status_code == 303
    return client


def raw_key(anxin, role: str, subject: str) -> str:
    return anxin.access.create_key(role, subject)[1]


def code_of(html: str) -> str | None:
    found = re.search(r'class="error" role="alert" data-code="([^"]+)"', html)
    return found.group(1) if found else None


def test_the_merchant_score_page_in_chinese(app, anxin, world) -> None:
    r = signed_in(app, raw_key(anxin, "merchant", "m1")).get("/merchant/shops/s1/score")
    assert r.status_code == 200 and '<html lang="zh-CN"' in r.text
    page = r.text
    report = anxin.scoring.report("merchant", "s1")
    total = _points(report.score_x100)
    assert "商家体验分" in page and "安心果园&lt;b&gt;旗舰店&lt;/b&gt;" in page and "<b>旗舰店" not in page
    assert 'class="chart chart-gauge"' in page and 'class="chart chart-line"' in page and "<script" not in page
    assert f'data-testid="total-value">{total}<' in page
    assert all(f'data-dimension="{d}"' in page for d in ("product", "logistics", "service"))
    assert "商品体验" in page and "物流体验" in page and "服务体验" in page
    order = re.findall(r'<tr data-indicator="([^"]+)"', page)
    assert sorted(order) == sorted(INDICATORS)
    lost = {i.id: i.lost_x100 for i in report.indicators}
    assert [lost[i] for i in order] == sorted(lost.values(), reverse=True)  # the biggest loss first
    assert 'href="/merchant/shops/s1/score/M.COLLECTION_TIMELINESS"' in page
    assert page.count('class="chart-data"') == 1 and "2026-11-01" in page  # the trend as a table too
    assert "揽收及时率" in page and "83.33 %" in page and "3000 / 3600" in page
    assert "规则版本 2026.12.2" in page and "M.IM_REPLY_RATE" in page
    assert "没有扣分记录" in page and 'data-testid="add-deduction"' not in page  # merchants cannot deduct
    assert 'href="/merchant/shops/s1/fulfilment"' in page


def test_the_merchant_score_page_in_english_and_live(app, anxin, world) -> None:
    client = signed_in(app, raw_key(anxin, "merchant", "m1"), "en")
    page = client.get("/merchant/shops/s1/score").text
    assert '<html lang="en"' in page and "Merchant experience score" in page and "Logistics" in page
    assert "Collection timeliness" in page and "Lost vs top quartile" in page and "Rulebook 2026.12.2" in page
    live = client.get("/merchant/shops/s1/score", params={"live": "1"})
    assert live.status_code == 200 and "Computed now" in live.text


def test_a_shop_without_enough_orders_says_so_and_shows_no_total(app, anxin, world) -> None:
    client = signed_in(app, raw_key(anxin, "merchant", "m2"))
    page = client.get("/merchant/shops/s3/score").text
    assert "订单量不足（12 / 30 单），暂不计分。" in page and 'data-testid="total-value"' not in page
    assert 'data-eligible="false"' in page and "订单不足 12 / 30" in page  # the gauge's own empty state
    en = signed_in(app, raw_key(anxin, "merchant", "m2"), "en").get("/merchant/shops/s3/score").text
    assert "Not enough orders (12 of 30): no score yet." in en


def test_a_merchant_sees_only_their_own_score_pages(app, anxin, world) -> None:
    client = signed_in(app, raw_key(anxin, "merchant", "m2"))
    for path in ("/merchant/shops/s1/score", "/merchant/shops/s1/score/M.IM_REPLY_RATE", "/merchant/shops/x/score"):
        r = client.get(path)
        assert r.status_code == 404 and code_of(r.text) == "scoring.shop_not_found" and SHOP_NAME not in r.text
    consumer = signed_in(app, raw_key(anxin, "consumer", "c1"))
    assert consumer.get("/merchant/shops/s1/score").status_code == 403
    assert consumer.get("/ops/scores").status_code == 403
    stranger = TestClient(app, raise_server_exceptions=False)
    r = stranger.get("/merchant/shops/s1/score", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?")


def test_bad_input_on_pages_is_an_error_page_never_a_500(app, anxin, world) -> None:
    client = signed_in(app, raw_key(anxin, "merchant", "m1"))
    for path, status, code in (("/merchant/shops/s1/score?as_of=2026-13-01", 422, "scoring.invalid_date"),
                               ("/merchant/shops/s1/score/M.NOPE", 404, "scoring.unknown_indicator"),
                               ("/merchant/shops/s1/score/M.NEGATIVE_REVIEW_RATE?side=miss", 422,
                                "scoring.invalid_side"),
                               ("/merchant/shops/s1/score/M.NEGATIVE_REVIEW_RATE?side=x", 422,
                                "scoring.invalid_side")):
        r = client.get(path)
        assert r.status_code == status and code_of(r.text) == code, path
    ops = signed_in(app, raw_key(anxin, "operator", "ops1"))
    for path, status in (("/ops/scores?kind=shops", 404), ("/ops/scores?as_of=x", 422),
                         ("/ops/creators/nobody/score", 404), ("/ops/scores?offset=-5", 200)):
        assert ops.get(path).status_code == status, path


def test_the_diagnosis_page_shows_the_suggestion_and_the_rows(app, anxin, world) -> None:
    page = signed_in(app, raw_key(anxin, "merchant", "m1")).get("/merchant/shops/s1/score/M.COLLECTION_TIMELINESS")
    assert page.status_code == 200, page.text
    html = page.text
    drill = anxin.scoring.drilldown(anxin.access.authenticate(raw_key(anxin, "operator", "o")), "s1",
                                    "M.COLLECTION_TIMELINESS")
    assert drill.suggestion is not None and drill.suggestion.text["zh-CN"] in html
    assert len(re.findall(r'<tr data-row="s1_o', html)) == 12 and "共 12 条，显示 12 条。" in html
    assert "付款时间" in html and "揽收时间" in html and "30.0 小时" in html and "+08:00" in html
    assert 'data-side="miss"' in html and "M.COLLECTION_TIMELINESS" in html
    assert 'href="/merchant/shops/s1/score"' in html
    en = signed_in(app, raw_key(anxin, "merchant", "m1"), "en").get("/merchant/shops/s1/score/M.IM_REPLY_RATE")
    assert drill.suggestion.text["en"] not in en.text  # another indicator, another suggestion
    assert "Chat replies in time" in en.text and "10 min" in en.text and "First reply" in en.text


def test_the_operator_ranks_and_opens_shops_and_creators(app, anxin, world) -> None:
    client = signed_in(app, raw_key(anxin, "operator", "ops1"))
    page = client.get("/ops/scores").text
    assert 'data-testid="nav-scores"' in page and re.findall(r'<tr data-subject="([^"]+)"', page) == ["s2", "s1", "s3"]
    assert 'href="/ops/shops/s1/score"' in page and "不足 30 单" in page
    consumers = client.get("/ops/scores", params={"kind": "consumer"}).text
    assert len(re.findall(r'data-band="(trusted|normal|doubtful)"', consumers)) == 5 and "信用良好" in consumers
    creators = client.get("/ops/scores", params={"kind": "creator"}).text
    assert 'href="/ops/creators/cr1/score"' in creators
    creator = client.get("/ops/creators/cr1/score")
    assert creator.status_code == 200 and "带货口碑分" in creator.text and "内容口碑" in creator.text
    assert 'class="chart chart-gauge"' in creator.text and "C.SHOP_EXPERIENCE" in creator.text
    shop = client.get("/ops/shops/s1/score").text
    assert 'data-testid="add-deduction"' in shop and 'href="/ops/shops/s1/score/M.COLLECTION_TIMELINESS"' in shop


def test_the_operator_deducts_and_revokes_from_the_page(app, anxin, world) -> None:
    key = raw_key(anxin, "operator", "ops1")
    client = signed_in(app, key)
    url = "/ops/shops/s1/score/deductions"
    token = csrf_token(client.cookies.get(COOKIE))
    form = {"csrf": token, "kind": "fake_reviews", "points": "2.5", "reason": "刷评 <i>5</i> 条", "days": ""}
    assert client.post(url, data={**form, "csrf": "nope"}).status_code == 403
    bad = client.post(url, data={**form, "points": "2.555"})
    assert bad.status_code == 422 and code_of(bad.text) == "scoring.invalid_deduction"
    r = client.post(url, data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ops/shops/s1/score#ledger"
    ledger = anxin.deductions.deductions(anxin.access.authenticate(key), "s1")
    assert [(d["kind"], d["points_x100"], d["expires_at"]) for d in ledger] == [("fake_reviews", 250, None)]
    page = client.get("/ops/shops/s1/score").text
    assert "虚假评价" in page and "−2.50" in page and "刷评 &lt;i&gt;5&lt;/i&gt; 条" in page and "生效中" in page
    merchant = signed_in(app, raw_key(anxin, "merchant", "m1")).get("/merchant/shops/s1/score").text
    assert "刷评 &lt;i&gt;5&lt;/i&gt; 条" in merchant and "/revoke" not in merchant
    r = client.post(f"/ops/score-deductions/{ledger[0]['deduction_id']}/revoke", data={"csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert 'data-state="revoked"' in client.get("/ops/shops/s1/score").text


def test_the_merchant_centre_links_the_score_pages(app, anxin, world) -> None:
    client = signed_in(app, raw_key(anxin, "merchant", "m1"))
    cases = client.get("/merchant/cases").text
    assert re.search(r'data-testid="score-links">[^<]*<a href="/merchant/shops/s1/score"', cases)
    assert 'href="/merchant/shops/s1/score" data-testid="score-link"' in client.get(
        "/merchant/shops/s1/fulfilment").text


def test_the_catalogs_cover_every_scoring_code() -> None:
    wanted = [f"err.{c.value}" for c in ScoringErrorCode] + [f"sc.band.{b}" for b in ("trusted", "normal", "doubtful")]
    from anxin.scoring.rulebook import MEASURES, load_score_rulebook

    rb = load_score_rulebook()
    wanted += [f"sc.m.{m}" for m in MEASURES] + [f"sc.ded.{k}" for k in rb.merchant.deduction_kinds]
    wanted += [f"sc.dim.{d.id}" for rules in (rb.merchant, rb.creator) if rules for d in rules.dimensions]
    assert sorted(k for k in wanted if k not in catalogs.ZH or k not in catalogs.EN) == []
