"""The one score definition on DuckDB, at the edges of every window and rule, with hand-built facts."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pyarrow as pa
import pytest
import yaml

from anxin.scoring.definition import DAY, all_steps, drilldown_sql
from anxin.scoring.engines import DuckDBEngine
from anxin.scoring.facts import FACTS
from anxin.scoring.rulebook import DEFAULT_SCORE_RULEBOOK, ScoreRulebook, parse_score_rulebook

RAW = yaml.safe_load(DEFAULT_SCORE_RULEBOOK.read_text(encoding="utf-8"))
AS_OF = dt.date(2026, 11, 2)
H = 3600


def rulebook(**merchant: Any) -> ScoreRulebook:
    raw = copy.deepcopy(RAW)
    raw["merchant"].update(merchant)
    return parse_score_rulebook(raw)


RB = rulebook()
END = RB.day_end(AS_OF)
# The weights as written, values ranked raw (the method of 2026.12.1): for the tests of a rule the weights only carry.
WRITTEN = rulebook(method={"shrinkage": {"prior_strength": 0}, "weighting": "rulebook"})
RELIABILITY = rulebook(method={"shrinkage": {"prior_strength": "estimated"}, "weighting": "reliability",
                               "min_reliability": 0.05})


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACTS[name].schema
    return pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)


def shop_orders(shop: str, n: int, *, category: str = "apparel", paid: int | None = None, collect_h: float = 10,
                sign_h: float = 40, **extra: Any) -> list[dict[str, Any]]:
    paid = paid if paid is not None else END - 10 * DAY
    return [{"order_id": f"{shop}-o{i}", "shop_id": shop, "category_id": category, "consumer_id": f"c{i % 7}",
             "paid_at": paid, "paid_fen": 1000, "presale": False, "collected_at": paid + int(collect_h * H),
             "signed_at": paid + int((collect_h + sign_h) * H), **extra} for i in range(n)]


def run(rb: ScoreRulebook = RB, end: int = END, **tables: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    eng = DuckDBEngine(threads=1)
    eng.load_arrow({name: table(name, rows) for name, rows in tables.items()})
    eng.run(all_steps(rb, eng.dialect, end))
    out = {n: eng.fetch(n).to_pylist() for n in ("merchant_scores", "merchant_indicators", "merchant_dimensions",
                                                 "consumer_scores", "creator_scores")}
    eng.close()
    return out


def by(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    hits = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(hits) == 1, (match, hits)
    return hits[0]


def five_shops(**per_shop: Any) -> list[dict[str, Any]]:
    return [o for s in ("s1", "s2", "s3", "s4", "s5") for o in shop_orders(s, 30, **per_shop.get(s, {}))]


@pytest.mark.parametrize(("n", "eligible"), [(29, False), (30, True)])
def test_no_score_below_the_minimum_of_valid_orders(n: int, eligible: bool) -> None:
    orders = five_shops() + shop_orders("s0", n)
    got = by(run(orders=orders)["merchant_scores"], subject_id="s0")
    assert got["eligible"] is eligible
    assert (got["total_x100"] is not None) is eligible


def test_cancelled_orders_are_not_valid() -> None:
    orders = five_shops() + shop_orders("s0", 30)
    orders[-1]["cancelled_at"] = orders[-1]["paid_at"] + 60
    got = by(run(orders=orders)["merchant_scores"], subject_id="s0")
    assert (got["valid_orders"], got["eligible"], got["total_x100"]) == (29, False, None)


def test_identical_shops_all_get_full_points_ties_count_in_their_favour() -> None:
    out = run(orders=five_shops())
    assert {r["total_x100"] for r in out["merchant_scores"]} == {10000}
    assert {r["points_x100"] for r in out["merchant_indicators"] if r["value"] is not None} == {10000}


@pytest.mark.parametrize(("signed_at", "counted"), [
    (END - 30 * DAY, True),       # the window's first instant
    (END - 30 * DAY - 1, False),  # a second before it
    (END - 1, True),              # the last second before local midnight
    (END, False),                 # as-of day itself is not scored yet (and later facts are clock skew)
    (END + 5 * DAY, False),
])
def test_negative_review_window_edges(signed_at: int, counted: bool) -> None:
    orders = five_shops()
    orders[0].update(signed_at=signed_at)
    reviews = [{"order_id": orders[0]["order_id"], "shop_id": "s1", "rating": 1, "posted_at": signed_at,
                "signed_at": signed_at}]
    ind = by(run(orders=orders, reviews=reviews)["merchant_indicators"], subject_id="s1",
             indicator_id="M.NEGATIVE_REVIEW_RATE")
    assert ind["num"] == (1 if counted else 0)


@pytest.mark.parametrize(("posted_at", "counted"), [(END - 1, True), (END, False)])
def test_a_review_posted_after_the_as_of_day_is_not_known_yet(posted_at: int, counted: bool) -> None:
    orders = five_shops()
    reviews = [{"order_id": orders[0]["order_id"], "shop_id": "s1", "rating": 1, "posted_at": posted_at,
                "signed_at": orders[0]["signed_at"]}]
    ind = by(run(orders=orders, reviews=reviews)["merchant_indicators"], subject_id="s1",
             indicator_id="M.NEGATIVE_REVIEW_RATE")
    assert ind["num"] == int(counted)


@pytest.mark.parametrize(("cancelled_at", "valid"), [(END - 1, 29), (END, 30)])
def test_a_cancellation_after_the_as_of_day_does_not_count_yet(cancelled_at: int, valid: int) -> None:
    orders = five_shops() + shop_orders("s0", 30)
    orders[-1]["cancelled_at"] = cancelled_at
    assert by(run(orders=orders)["merchant_scores"], subject_id="s0")["valid_orders"] == valid


@pytest.mark.parametrize(("paid_at", "counted"), [
    (END - 45 * DAY, True), (END - 45 * DAY - 1, False), (END - 15 * DAY - 1, True), (END - 15 * DAY, False)])
def test_quality_returns_are_lagged_fifteen_days(paid_at: int, counted: bool) -> None:
    orders = five_shops() + shop_orders("s1", 1, paid=paid_at)
    orders[-1]["order_id"] = "late"
    case = {"case_id": "k1", "order_id": "late", "shop_id": "s1", "consumer_id": "c1", "case_type": "refund_only",
            "reason": "quality", "order_paid_at": paid_at, "opened_at": paid_at + H, "closed_at": paid_at + 2 * H,
            "final_state": "refunded", "refunded": True, "arbitrated": False, "merchant_at_fault": False,
            "consumer_at_fault": False}
    ind = by(run(orders=orders, cases=[case])["merchant_indicators"], subject_id="s1",
             indicator_id="M.QUALITY_RETURN_RATE")
    assert ind["num"] == (1 if counted else 0)


@pytest.mark.parametrize(("collect_h", "hits"), [(24, 100), (24.01, 50), (36, 50), (36.01, 20), (48, 20),
                                                 (48.01, 0)])
def test_collection_bands_weighted(collect_h: float, hits: int) -> None:
    orders = five_shops(s1={"collect_h": collect_h})
    ind = by(run(orders=orders)["merchant_indicators"], subject_id="s1", indicator_id="M.COLLECTION_TIMELINESS")
    assert (ind["num"], ind["den"]) == (30 * hits, 30 * 100)


def test_presale_orders_are_left_out_of_collection_timeliness() -> None:
    orders = five_shops(s1={"collect_h": 100, "presale": True})
    ind = by(run(orders=orders)["merchant_indicators"], subject_id="s1", indicator_id="M.COLLECTION_TIMELINESS")
    assert ind["den"] == 0 and ind["value"] is None and ind["points_x100"] is None


def chat(shop: str, local_hm: tuple[int, int], reply_s: int | None, n: int = 0) -> dict[str, Any]:
    day_start = END - 3 * DAY  # a local midnight
    opened = day_start + local_hm[0] * H + local_hm[1] * 60
    return {"session_id": f"{shop}-{local_hm}-{n}", "shop_id": shop, "opened_at": opened, "to_human_at": opened + 10,
            "first_reply_at": None if reply_s is None else opened + 10 + reply_s}


@pytest.mark.parametrize(("hm", "counted"), [((7, 59), False), ((8, 0), True), ((22, 59), True), ((23, 0), False)])
def test_im_sessions_count_only_between_8_and_2259_local(hm: tuple[int, int], counted: bool) -> None:
    ind = by(run(orders=five_shops(), chats=[chat("s1", hm, 30)])["merchant_indicators"], subject_id="s1",
             indicator_id="M.IM_REPLY_RATE")
    assert ind["den"] == (1 if counted else 0)


@pytest.mark.parametrize(("reply_s", "fast"), [(180, True), (181, False), (None, False)])
def test_im_three_minute_reply(reply_s: int | None, fast: bool) -> None:
    ind = by(run(orders=five_shops(), chats=[chat("s1", (10, 0), reply_s)])["merchant_indicators"],
             subject_id="s1", indicator_id="M.IM_REPLY_RATE")
    assert (ind["num"], ind["den"]) == (int(fast), 1)


def test_a_shop_without_chats_is_not_scored_on_them() -> None:
    """Absent chat data must not distort: the other service indicators share the weight."""
    chats = [chat(s, (10, 0), 30, n) for s in ("s2", "s3", "s4", "s5") for n in range(3)]
    paid = {"paid": END - 20 * DAY}  # inside the complaint rate's lagged window too
    out = run(orders=five_shops(**{s: paid for s in ("s1", "s2", "s3", "s4", "s5")}), chats=chats)
    s1 = by(out["merchant_indicators"], subject_id="s1", indicator_id="M.IM_REPLY_RATE")
    assert s1["value"] is None and s1["points_x100"] is None
    dims = by(out["merchant_dimensions"], subject_id="s1", dimension="service")
    assert dims["raw_x100"] == 10000  # only the complaint rate has data: not dragged down by the missing ones
    assert by(out["merchant_scores"], subject_id="s1")["total_x100"] == 10000


def test_percentile_points_are_integer_hundredths_and_worst_gets_the_floor() -> None:
    # Collection hours 10, 30, 40, 45, 50 -> timeliness 1.0, 0.5, 0.2, 0.2, 0 (two tie).
    hours = {"s1": 10, "s2": 30, "s3": 40, "s4": 45, "s5": 50}
    orders = five_shops(**{s: {"collect_h": h} for s, h in hours.items()})
    pts = {r["subject_id"]: r["points_x100"] for r in run(orders=orders)["merchant_indicators"]
           if r["indicator_id"] == "M.COLLECTION_TIMELINESS"}
    # not-better counts 5, 4, 3, 3, 1 of 5 -> 50 + 50 * (k - 1) / 4
    assert pts == {"s1": 10000, "s2": 8750, "s3": 7500, "s4": 7500, "s5": 5000}


def test_peer_group_falls_back_to_everyone_below_the_minimum_of_shops() -> None:
    orders = five_shops() + shop_orders("f1", 30, category="fresh")
    scores = {r["subject_id"]: r for r in run(orders=orders)["merchant_scores"]}
    assert scores["s1"]["peer_group"] == "apparel"
    assert scores["f1"]["peer_group"] == "*" and scores["f1"]["primary_category"] == "fresh"


def test_primary_category_is_the_best_selling_one() -> None:
    orders = five_shops() + shop_orders("m1", 20, category="food") + shop_orders("m1", 15, category="3c")
    for i, o in enumerate(orders[-15:]):
        o["order_id"], o["paid_fen"] = f"m1-3c-{i}", 5000
    got = by(run(orders=orders)["merchant_scores"], subject_id="m1")
    assert got["primary_category"] == "3c"  # 15 x 50 yuan outsell 20 x 10 yuan


def test_a_shop_with_no_category_is_scored_against_everyone() -> None:
    orders = five_shops() + shop_orders("u1", 30, category="")
    got = by(run(orders=orders)["merchant_scores"], subject_id="u1")
    assert (got["primary_category"], got["peer_group"], got["eligible"]) == ("", "*", True)


def test_excellent_logistics_raises_the_dimension_to_90() -> None:
    # s1 collects within 24 h (timeliness 1.0) but delivers slowest of five (still <= 60 h): floor applies.
    orders = five_shops(s1={"sign_h": 50}, s2={"sign_h": 20}, s3={"sign_h": 21}, s4={"sign_h": 22},
                        s5={"sign_h": 23})
    dim = by(run(WRITTEN, orders=orders)["merchant_dimensions"], subject_id="s1", dimension="logistics")
    assert dim["raw_x100"] == (60 * 10000 + 40 * 5000) // 100
    assert (dim["excellence_floor_x100"], dim["points_x100"]) == (9000, 9000)
    # Weighted by reliability: timeliness is 1.0 everywhere (no signal: the minimum, 50 per mille), delivery hours
    # differ with no noise at all (every order alike: 1000 per mille); the floor still applies.
    dim = by(run(RELIABILITY, orders=orders)["merchant_dimensions"], subject_id="s1", dimension="logistics")
    assert dim["raw_x100"] == (60 * 50 * 10000 + 40 * 1000 * 5000) // (60 * 50 + 40 * 1000)
    assert dim["reliability_x1000"] == (60 * 50 + 40 * 1000) // 100
    assert (dim["excellence_floor_x100"], dim["points_x100"]) == (9000, 9000)


def test_excellence_needs_every_condition() -> None:
    orders = five_shops(s1={"sign_h": 61}, s2={"sign_h": 20}, s3={"sign_h": 21}, s4={"sign_h": 22},
                        s5={"sign_h": 23})
    dim = by(run(WRITTEN, orders=orders)["merchant_dimensions"], subject_id="s1", dimension="logistics")
    assert dim["excellence_floor_x100"] is None and dim["points_x100"] == dim["raw_x100"] == 8000


@pytest.mark.parametrize(("effective", "expires", "applied"), [
    (END - DAY, None, 500), (END - DAY, END, 500), (END - DAY, END - 1, 0), (END, None, 0)])
def test_deductions_apply_last_while_in_force(effective: int, expires: int | None, applied: int) -> None:
    ded = {"deduction_id": "d1", "shop_id": "s1", "points_x100": 500, "effective_at": effective, "expires_at": expires,
           "kind": "fake_reviews"}
    got = by(run(orders=five_shops(), deductions=[ded])["merchant_scores"], subject_id="s1")
    assert (got["raw_x100"], got["deductions_x100"], got["total_x100"]) == (10000, applied, 10000 - applied)


def test_deductions_stop_at_the_rulebook_floor() -> None:
    ded = {"deduction_id": "d1", "shop_id": "s1", "points_x100": 20000, "effective_at": END - DAY,
           "kind": "fake_orders"}
    got = by(run(orders=five_shops(), deductions=[ded])["merchant_scores"], subject_id="s1")
    assert got["total_x100"] == 0


def test_industry_weights_override_the_default() -> None:
    # A fresh shop that is worst on logistics loses more than an apparel shop in the same place.
    fresh = {s: {"category": "fresh"} for s in ("s1", "s2", "s3", "s4", "s5")}
    fresh["s1"]["collect_h"] = 47
    for rb in (WRITTEN, RELIABILITY):  # weights as written, or times reliability (consistency weights ignore them)
        out = run(rb, orders=five_shops(**fresh))
        apparel = run(rb, orders=five_shops(s1={"collect_h": 47}))
        f1, a1 = by(out["merchant_scores"], subject_id="s1"), by(apparel["merchant_scores"], subject_id="s1")
        assert f1["total_x100"] < a1["total_x100"]
    out = run(orders=five_shops(**fresh))
    apparel = run(orders=five_shops(s1={"collect_h": 47}))
    f1, a1 = by(out["merchant_scores"], subject_id="s1"), by(apparel["merchant_scores"], subject_id="s1")
    assert f1["total_x100"] == a1["total_x100"]  # the packaged method (consistency weights) has no industry weights


def test_empty_window_gives_no_scores_and_no_error() -> None:
    out = run(orders=[])
    assert out["merchant_scores"] == [] and out["consumer_scores"] == []


def test_orders_only_outside_the_window_give_no_valid_orders() -> None:
    got = by(run(orders=shop_orders("s1", 40, paid=END - 60 * DAY))["merchant_scores"], subject_id="s1")
    assert (got["valid_orders"], got["eligible"], got["total_x100"]) == (0, False, None)


def test_drilldown_returns_the_rows_counted() -> None:
    orders = five_shops(s1={"collect_h": 30})
    orders[0]["collected_at"] = orders[0]["paid_at"] + 5 * H  # one on time
    eng = DuckDBEngine(threads=1)
    eng.load_arrow({"orders": table("orders", orders)})
    miss = eng.query(drilldown_sql(RB, RB.merchant, "M.COLLECTION_TIMELINESS", "miss", "s1", eng.dialect, END))
    assert miss.num_rows == 29 and orders[0]["order_id"] not in miss.column("order_id").to_pylist()
    n = eng.query(drilldown_sql(RB, RB.merchant, "M.COLLECTION_TIMELINESS", "miss", "s1", eng.dialect, END,
                                count=True)).column(0)[0].as_py()
    assert n == 29


def test_consumer_credit_components_are_clamped_and_banded() -> None:
    orders = shop_orders("s1", 40)
    for o in orders:
        o["consumer_id"] = "good"
    bad = shop_orders("s1", 4)
    cases = []
    for i, o in enumerate(bad):
        o["order_id"], o["consumer_id"] = f"b{i}", "bad"
        cases.append({"case_id": f"k{i}", "order_id": o["order_id"], "shop_id": "s1", "consumer_id": "bad",
                      "case_type": "refund_only", "reason": "quality", "order_paid_at": o["paid_at"],
                      "opened_at": o["paid_at"] + DAY, "closed_at": o["paid_at"] + 2 * DAY, "final_state": "closed",
                      "refunded": False, "arbitrated": True, "merchant_at_fault": False, "consumer_at_fault": True})
    consumers = [{"consumer_id": "good", "registered_at": END - 400 * DAY}, {"consumer_id": "bad",
                                                                              "registered_at": END - 10 * DAY}]
    out = {r["consumer_id"]: r for r in run(orders=orders + bad, cases=cases, consumers=consumers)["consumer_scores"]}
    good, worst = out["good"], out["bad"]
    assert good["signed_orders_points"] == 150  # 40 x 5 capped at 150
    assert good["account_age_30d"] == 13 and good["account_age_30d_points"] == 52
    assert (good["credit"], good["band"]) == (600 + 150 + 52, "trusted")
    assert worst["disputes_lost_points"] == -280  # 4 x -70, at its floor
    assert worst["rejected_claims_points"] == -60
    assert worst["band"] == "doubtful"


def test_a_shop_without_enough_category_peers_is_ranked_among_every_eligible_shop() -> None:
    # f1 (fresh, alone) collects in 30 h; the five apparel shops in 10 h. Among themselves f1 would be the lone
    # peer (full points); among everyone it is the worst.
    orders = five_shops() + shop_orders("f1", 30, category="fresh", collect_h=30)
    out = run(orders=orders)
    f1 = by(out["merchant_indicators"], subject_id="f1", indicator_id="M.COLLECTION_TIMELINESS")
    s1 = by(out["merchant_indicators"], subject_id="s1", indicator_id="M.COLLECTION_TIMELINESS")
    assert (f1["peer_group"], f1["peer_n"], f1["points_x100"]) == ("*", 6, 5000)
    assert (s1["peer_group"], s1["peer_n"], s1["points_x100"]) == ("apparel", 5, 10000)  # its category only
    assert f1["peer_median"] == 1.0
