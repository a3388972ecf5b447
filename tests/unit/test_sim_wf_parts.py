"""The simulator's worry-free parts that need no service: suppliers and lots (defects, near expiry), live-stream burst
arrivals, creators' product choice, lucky-bag campaigns and their entrants."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from anxin.sim.bag_campaigns import Campaign, Prize, campaign, entrants
from anxin.sim.bursts import Burst, Wave, arrivals, live_burst, peak_per_minute
from anxin.sim.lots import (
    CAREFUL_SUPPLIER_RATE,
    DEFECTIVE_SUPPLIER_RATE,
    DURABLE_DAYS,
    LotTruth,
    Supplier,
    cast_suppliers,
    lot_size,
    make_lot,
    sample_units,
    shelf_share,
    unit_results,
)
from anxin.sim.selection import PoolItem, Taste, choice_probabilities, choose, utility

T0 = dt.datetime(2026, 11, 10, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DAY = dt.date(2026, 11, 10)


# --- suppliers and lots ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "share", "bad"), [
    (0, 0.15, 0), (1, 0.15, 0), (2, 0.15, 1), (10, 0.15, 2), (20, 0.15, 3), (10, 0.0, 0), (4, 1.0, 4),
])
def test_the_share_of_defective_suppliers(n: int, share: float, bad: int) -> None:
    suppliers = cast_suppliers(random.Random(1), n, defective_share=share)
    assert len(suppliers) == n and sum(s.defective for s in suppliers) == bad
    for s in suppliers:
        lo, hi = DEFECTIVE_SUPPLIER_RATE if s.defective else CAREFUL_SUPPLIER_RATE
        assert lo <= s.defect_rate <= hi
    assert len({s.supplier_id for s in suppliers}) == n


@pytest.mark.parametrize(("produced", "expires", "on", "share"), [
    (DAY, DAY + dt.timedelta(days=10), DAY, 1.0),
    (DAY, DAY + dt.timedelta(days=10), DAY + dt.timedelta(days=5), 0.5),
    (DAY, DAY + dt.timedelta(days=10), DAY + dt.timedelta(days=10), 0.0),
    (DAY, DAY + dt.timedelta(days=10), DAY + dt.timedelta(days=12), -0.2),
    (DAY, DAY, DAY, 0.0),  # no shelf life at all
])
def test_shelf_share(produced: dt.date, expires: dt.date, on: dt.date, share: float) -> None:
    assert shelf_share(produced, expires, on) == pytest.approx(share)


@pytest.mark.parametrize(("daily", "lo", "hi"), [(0.0, 20, 20), (1.0, 20, 20), (5.0, 40, 70), (30.0, 210, 420)])
def test_lot_sizes_cover_one_to_two_weeks_in_cartons(daily: float, lo: int, hi: int) -> None:
    for seed in range(20):
        q = lot_size(random.Random(seed), daily)
        assert lo <= q <= hi and q % 10 == 0


CAREFUL = Supplier("sup-001", 0.0, near_expiry_share=0.0)
SLOPPY = Supplier("sup-002", 1.0, near_expiry_share=1.0)


def _lot(seed: int, *, top: str = "food", supplier: Supplier = CAREFUL, near: bool | None = None,
         minimum: float = 0.67, quantity: int = 100) -> LotTruth:
    return make_lot(random.Random(seed), lot_id=f"lot-{seed}", listing_id="l-1", top=top, supplier=supplier,
                    quantity=quantity, received_at=T0, local_day=DAY, min_inbound_share=minimum, near_expiry=near)


@pytest.mark.parametrize("minimum", [0.33, 0.5, 0.67, 0.7])
def test_a_normal_lot_is_well_inside_the_inbound_minimum(minimum: float) -> None:
    for seed in range(50):
        lot = _lot(seed, near=False, minimum=minimum)
        assert lot.share_left(DAY) >= minimum and not lot.near_expiry
        assert lot.expires_on > DAY >= lot.produced_on


@pytest.mark.parametrize(("top", "minimum"), [("fresh", 0.7), ("food", 0.67), ("cosmetics", 0.5)])
def test_near_expiry_lots_straddle_the_inbound_minimum(top: str, minimum: float) -> None:
    below = above = 0
    for seed in range(200):
        lot = _lot(seed, top=top, near=True, minimum=minimum)
        share = lot.share_left(DAY)
        total = (lot.expires_on - lot.produced_on).days
        assert lot.near_expiry and share < 1.15 * minimum + 1 / total + 1e-9  # whole days: one day's share
        if share < minimum:
            below += 1
            assert share >= 0.6 * minimum - 1 / total - 1e-9
        else:
            above += 1
    assert below > 50 and above > 50  # about half each: refused at receipt, or accepted but soon too old


def test_durable_goods_and_the_suppliers_near_expiry_share() -> None:
    lot = _lot(3, top="3c", supplier=SLOPPY)  # near_expiry drawn: never for goods that do not expire
    assert not lot.near_expiry and (lot.expires_on - lot.produced_on).days == DURABLE_DAYS
    assert _lot(3, top="fresh", supplier=SLOPPY).near_expiry  # a supplier whose every perishable lot is old


@pytest.mark.parametrize(("rate", "quantity", "lo", "hi"), [
    (0.0, 100, 0, 0), (1.0, 100, 100, 100), (0.1, 1000, 60, 140), (0.01, 50, 0, 6),
])
def test_defective_units_follow_the_suppliers_rate(rate: float, quantity: int, lo: int, hi: int) -> None:
    lot = _lot(9, supplier=Supplier("s", rate, 0.0), quantity=quantity)
    assert lo <= lot.defective_units <= hi
    assert all(1 <= u <= quantity for u in lot.faults)
    assert set(lot.faults.values()) <= {"outer_packaging", "labels", "both"}


def test_sampled_units_reveal_the_truth() -> None:
    faults = {2: "outer_packaging", 5: "labels", 7: "both"}
    lot = LotTruth("lot-x", "l-1", "s", 10, DAY, DAY + dt.timedelta(days=100), T0, faults=faults)
    got = {r["unit_no"]: (r["outer_packaging"], r["labels"]) for r in unit_results(lot, [1, 2, 5, 7])}
    assert got == {1: ("pass", "pass"), 2: ("fail", "pass"), 5: ("pass", "fail"), 7: ("fail", "fail")}
    assert lot.defect_share == pytest.approx(0.3)
    assert lot.event_data()["expires_on"] == "2027-02-18"


@pytest.mark.parametrize(("quantity", "size", "expect"), [(10, 0, 0), (10, 3, 3), (10, 10, 10), (10, 13, 10)])
def test_sample_units_are_distinct_and_in_range(quantity: int, size: int, expect: int) -> None:
    units = sample_units(random.Random(4), quantity, size)
    assert len(units) == len(set(units)) == expect and all(1 <= u <= quantity for u in units)


# --- bursts --------------------------------------------------------------------------------------------------------

def test_exactly_n_arrivals_inside_the_window_in_order() -> None:
    rng = random.Random(7)
    burst = live_burst(rng, minutes=30)
    offsets = arrivals(rng, burst, 10_000)
    assert len(offsets) == 10_000 and offsets == sorted(offsets)
    assert offsets[0] >= 0 and offsets[-1] < 30 * 60
    # spiky: the busiest minute holds far more than the average minute's share (10,000 / 30 ≈ 333)
    assert peak_per_minute(offsets) > 2 * 10_000 / 30


@pytest.mark.parametrize("n", [0, -1])
def test_no_arrivals(n: int) -> None:
    assert arrivals(random.Random(1), live_burst(random.Random(1)), n) == []


def test_one_wave_decays_from_its_link() -> None:
    burst = Burst(600.0, (Wave(100.0, 1.0, 60.0),))
    offsets = arrivals(random.Random(2), burst, 5000)
    assert min(offsets) >= 100.0
    first, later = sum(1 for s in offsets if s < 160), sum(1 for s in offsets if 160 <= s < 220)
    assert first / 5000 == pytest.approx(1 - 1 / 2.718281828, abs=0.03)  # 1 − e^−1 within one τ
    assert later < first
    assert burst.intensity(99.0) == 0 and burst.intensity(100.0) == 1.0


def test_the_same_seed_gives_the_same_burst() -> None:
    a = arrivals(random.Random(5), live_burst(random.Random(5)), 100)
    b = arrivals(random.Random(5), live_burst(random.Random(5)), 100)
    assert a == b


# --- creators choosing ---------------------------------------------------------------------------------------------

def _item(n: int, *, wf: bool = False, commission: int = 1000, score: float | None = 85.0,
          price: int = 10000) -> PoolItem:
    return PoolItem(f"l-{n}", f"shop-{n}", price, commission, wf, score)


@pytest.mark.parametrize(("honesty", "wf", "commission", "score"), [
    (0.0, 0.5, 1.2, 0.2), (0.5, 1.25, 0.9, 0.5), (1.0, 2.0, 0.6, 0.8), (1.5, 2.0, 0.6, 0.8), (-1.0, 0.5, 1.2, 0.2),
])
def test_taste_from_honesty(honesty: float, wf: float, commission: float, score: float) -> None:
    t = Taste.of(honesty)
    assert (t.worry_free, t.commission, t.score) == pytest.approx((wf, commission, score))


def test_utility_terms() -> None:
    t = Taste(1.0, 1.0, 1.0, usual_price_fen=10000)
    assert utility(t, _item(1, score=80.0)) == pytest.approx(1.0)  # commission 1000 bp → 1.0
    assert utility(t, _item(1, wf=True, score=80.0)) == pytest.approx(2.0)
    assert utility(t, _item(1, score=90.0)) == pytest.approx(2.0)
    assert utility(t, _item(1, score=None)) == pytest.approx(1.0)  # a hidden score counts nothing
    assert utility(t, _item(1, score=80.0, price=100000)) < 1.0  # far from the usual price


def test_honest_creators_prefer_the_tag_the_least_honest_commission() -> None:
    tagged, paying = _item(1, wf=True, commission=1000), _item(2, wf=False, commission=2500)
    honest = choice_probabilities(Taste.of(1.0), [tagged, paying])
    dishonest = choice_probabilities(Taste.of(0.0), [tagged, paying])
    assert honest[0] > 0.5 > dishonest[0] and sum(honest) == pytest.approx(1.0)


def test_choices_are_distinct_and_follow_the_logit() -> None:
    items = [_item(1, wf=True), _item(2), _item(3), _item(4)]
    assert choose(random.Random(0), Taste.of(0.5), items, 0) == []
    assert len(choose(random.Random(0), Taste.of(0.5), items, 9)) == 4
    firsts = [choose(random.Random(s), Taste.of(1.0), items, 2)[0].listing_id for s in range(4000)]
    expected = choice_probabilities(Taste.of(1.0), items)[0]
    assert firsts.count("l-1") / 4000 == pytest.approx(expected, abs=0.03)


# --- lucky bags ----------------------------------------------------------------------------------------------------

def _bag(listings: list[tuple[str, int]], seed: int = 1) -> Campaign | None:
    return campaign(random.Random(seed), bag_id="b-1", creator_id="cr-1", shop_id="shop-1", live_room_id="room-1",
                    listings=listings, stream_start=T0)


@pytest.mark.parametrize(("listings", "most"), [([], 0), ([("l-1", 0)], 0), ([("l-1", 1)], 1), ([("l-1", 3)], 3),
                                                ([("l-1", 50), ("l-2", 50)], 10)])
def test_a_campaign_never_gives_away_more_than_there_is(listings: list[tuple[str, int]], most: int) -> None:
    for seed in range(30):
        bag = _bag(listings, seed)
        if most == 0:
            assert bag is None
            continue
        assert bag is not None and 1 <= bag.units <= most
        stock = dict(listings)
        assert all(0 < p.quantity <= stock[p.listing_id] for p in bag.prizes)
        assert T0 < bag.opens_at < bag.closes_at <= bag.opens_at + dt.timedelta(minutes=15)


def test_entrants_inside_the_window_with_duplicates_and_late_taps() -> None:
    bag = Campaign("b-1", "cr-1", "shop-1", "room-1", (Prize("l-1", 2),), T0, T0 + dt.timedelta(minutes=10))
    audience = [(f"c-{i:05d}", "CN-ZJ-HZ") for i in range(3000)]
    es = entrants(random.Random(3), bag, audience, 1000)
    first = [e for e in es if not e.duplicate and not e.late]
    assert len(first) == len({e.consumer_id for e in first}) == 1000
    assert all(bag.opens_at <= e.entered_at < bag.closes_at for e in es if not e.late)
    assert all(e.entered_at > bag.closes_at for e in es if e.late)
    dups, late = [e for e in es if e.duplicate], [e for e in es if e.late]
    assert 30 < len(dups) < 100 and len(late) == 20
    assert {e.consumer_id for e in dups} <= {e.consumer_id for e in first}
    assert not {e.consumer_id for e in late} & {e.consumer_id for e in first}
    assert es == sorted(es, key=lambda e: (e.entered_at, e.consumer_id))
    assert len(entrants(random.Random(3), bag, audience[:5], 1000)) >= 5  # no more people than the audience
