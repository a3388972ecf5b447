"""Fulfilment metrics: the legacy "< X h" edges, cohorts and exclusions, empty windows, local days, exactness."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anxin.fulfilment.detectors import KINDS, Finding
from anxin.fulfilment.metrics import (
    CollectionBuckets,
    FulfilmentMetrics,
    MetricOrder,
    Rate,
    by_shop,
    daily_series,
    findings_by_kind,
    fulfilment_metrics,
    hours_display,
    local_day,
    local_midnight,
    local_window,
    mean_seconds,
    rate,
)

UTC = dt.UTC
H, S = dt.timedelta(hours=1), dt.timedelta(seconds=1)
DAY0 = dt.date(2026, 11, 2)
START = dt.datetime(2026, 11, 1, 16, 0, tzinfo=UTC)  # 2026-11-02 00:00 in Beijing
END = START + 7 * 24 * H
PAID = START + 2 * 24 * H  # day 3 of the window; its 48-hour mark (START + 4 d) is inside too


def order(paid: dt.datetime = PAID, collected: dt.timedelta | None = None, signed: dt.timedelta | None = None,
          **kw: object) -> MetricOrder:
    return MetricOrder(kw.pop("shop_id", "s1"), paid,  # type: ignore[arg-type]
                       None if collected is None else paid + collected,
                       None if signed is None else paid + signed, **kw)  # type: ignore[arg-type]


def metrics(*orders: MetricOrder, start: dt.datetime | dt.date = START,
            end: dt.datetime | dt.date = END) -> FulfilmentMetrics:
    return fulfilment_metrics(orders, window_start=start, window_end=end)


# --- the "< X h" edges ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("delay", "bucket", "within"), [
    (0 * H, 0, (1, 1, 1)),
    (24 * H - S, 0, (1, 1, 1)),       # 23:59:59: within 24 h
    (24 * H, 1, (0, 1, 1)),           # 24:00:00 is not "< 24 h"
    (36 * H - S, 1, (0, 1, 1)),
    (36 * H, 2, (0, 0, 1)),
    (48 * H - S, 2, (0, 0, 1)),
    (48 * H, 3, (0, 0, 0)),           # 48:00:00 is not within 48 h
    (150 * H, 3, (0, 0, 0)),
])
def test_collection_rates_at_the_edges(delay: dt.timedelta, bucket: int, within: tuple[int, int, int]) -> None:
    m = metrics(order(START + H, collected=delay))
    buckets = [0, 0, 0, 0]
    buckets[bucket] = 1
    assert m.buckets == CollectionBuckets(*buckets)
    rates = (m.collected_within_24h, m.collected_within_36h, m.collected_within_48h)
    assert tuple(r.numerator for r in rates if r) == within and all(r and r.denominator == 1 for r in rates)
    assert m.avg_payment_to_collection_seconds == delay // S


@pytest.mark.parametrize(("collected", "shipped"), [
    (48 * H - S, (1, 1)),
    (48 * H, (0, 1)),
    (None, (0, 1)),                   # never shipped: counts against the shop, unlike the legacy rate
])
def test_shipped_within_48h(collected: dt.timedelta | None, shipped: tuple[int, int]) -> None:
    m = metrics(order(collected=collected))
    assert m.shipped_within_48h == Rate(*shipped)
    assert m.collected_within_48h is None if collected is None else m.collected_within_48h is not None


@pytest.mark.parametrize(("paid", "due"), [
    (START - 48 * H - S, 0),          # its 48 h ran out before the window
    (START - 48 * H, 1),              # ... exactly at the start: judged here
    (END - 48 * H - S, 1),
    (END - 48 * H, 0),                # ... exactly at the end: judged in the next window
    (END - H, 0),                     # paid an hour before the end: not judged yet
])
def test_orders_are_judged_in_the_window_where_their_48_hours_run_out(paid: dt.datetime, due: int) -> None:
    assert metrics(order(paid)).counts.due_48h == due


@pytest.mark.parametrize(("collected_at", "inside"), [(START - S, False), (START, True), (END - S, True), (END, False)])
def test_collection_window_is_half_open(collected_at: dt.datetime, inside: bool) -> None:
    m = metrics(MetricOrder("s1", collected_at - 5 * H, collected_at))
    assert m.counts.collected == int(inside)


# --- exclusions and odd data ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kw", "counted", "presale", "cancelled"), [
    ({}, True, 0, 0),
    ({"presale": True}, False, 1, 0),
    ({"cancelled": True}, True, 0, 0),                    # collected, then cancelled: it was shipped
    ({"cancelled": True, "collected": None}, False, 0, 1),  # never shipped
    ({"presale": True, "cancelled": True}, False, 1, 0),
])
def test_presale_and_unshipped_cancelled_orders_are_excluded(kw: dict[str, object], counted: bool, presale: int,
                                                             cancelled: int) -> None:
    kw = {"collected": 50 * H, "signed": 70 * H, **kw}
    m = metrics(order(**kw))  # type: ignore[arg-type]
    assert (m.counts.paid, m.counts.presale, m.counts.cancelled) == (1, presale, cancelled)
    figures = (m.collected_within_48h, m.shipped_within_48h, m.avg_payment_to_collection_seconds,
               m.avg_collection_to_signoff_seconds, m.exception_rate)
    assert all(f is not None for f in figures) if counted else all(f is None for f in figures)


@pytest.mark.parametrize(("collected", "signed"), [(-S, None), (5 * H, 5 * H - S), (None, -S)])
def test_impossible_times_are_left_out_and_counted(collected: dt.timedelta | None,
                                                   signed: dt.timedelta | None) -> None:
    m = metrics(order(collected=collected, signed=signed), order(collected=2 * H, signed=30 * H))
    assert m.counts.impossible == 1 and m.counts.collected == 1 and m.counts.due_48h == 1
    assert m.avg_payment_to_collection_seconds == 7200


def test_signed_without_collection_is_counted_but_not_averaged() -> None:
    m = metrics(order(signed=30 * H), order(collected=2 * H, signed=32 * H))
    assert m.counts.signed_without_collection == 1 and m.counts.signed == 1
    assert m.avg_collection_to_signoff_seconds == 30 * 3600


def test_signed_orders_are_those_signed_in_the_window() -> None:
    early = MetricOrder("s1", START - 60 * H, START - 50 * H, START + H)   # collected before, signed inside
    late = MetricOrder("s1", END - 5 * H, END - 4 * H, END + H)            # signed after the window: unknown yet
    m = metrics(early, late)
    assert m.counts.signed == 1 and m.avg_collection_to_signoff_seconds == 51 * 3600
    assert m.counts.collected == 1 and m.collection_to_signoff_total_seconds == 51 * 3600


def test_exception_rate_is_over_collected_orders() -> None:
    m = metrics(order(collected=H, exception=True), order(collected=H), order(collected=H), order())
    assert m.exception_rate == Rate(1, 3) and m.counts.exceptions == 1


# --- empty windows and exact figures -------------------------------------------------------------------------------

def test_an_empty_window_has_no_figures_and_no_division_by_zero() -> None:
    for m in (metrics(), metrics(order(START - 30 * 24 * H, collected=H))):
        assert m.collected_within_24h is None and m.shipped_within_48h is None and m.exception_rate is None
        assert m.avg_payment_to_collection_seconds is None and m.avg_collection_to_signoff_seconds is None
        assert m.counts.collected == m.counts.signed == m.counts.due_48h == 0
        assert m.as_dict()["collected_within_48h"] is None


def test_averages_round_to_the_nearest_second_halves_up() -> None:
    m = metrics(order(collected=S), order(collected=2 * S))
    assert m.payment_to_collection_total_seconds == 3 and m.avg_payment_to_collection_seconds == 2
    assert [mean_seconds(t, n) for t, n in ((5, 2), (4, 3), (5, 3), (0, 0))] == [3, 1, 2, None]


@pytest.mark.parametrize(("num", "den", "display"), [
    (7, 8, "87.5%"), (2, 3, "66.7%"), (1, 1, "100.0%"), (0, 5, "0.0%"), (1, 2000, "0.1%"), (1, 2001, "0.0%"),
])
def test_rates_are_exact_fractions_with_a_display(num: int, den: int, display: str) -> None:
    r = Rate(num, den)
    assert r.fraction == Fraction(num, den) and r.display == display
    assert r.as_dict() == {"numerator": num, "denominator": den, "display": display}


@pytest.mark.parametrize(("num", "den"), [(1, 0), (0, 0), (2, 1), (-1, 3)])
def test_a_rate_must_be_a_share(num: int, den: int) -> None:
    with pytest.raises(ValueError):
        Rate(num, den)
    if den == 0:
        assert rate(num, den) is None


@pytest.mark.parametrize(("seconds", "shown"), [(None, None), (0, "0.0"), (5_400, "1.5"), (180, "0.1"), (179, "0.0"),
                                                (86_400 * 2, "48.0")])
def test_hours_display(seconds: int | None, shown: str | None) -> None:
    assert hours_display(seconds) == shown


# --- windows ---------------------------------------------------------------------------------------------------------

def test_date_bounds_mean_local_midnight() -> None:
    orders = [order(collected=H), order(START + 1 * H, collected=25 * H)]
    assert metrics(*orders, start=DAY0, end=DAY0 + dt.timedelta(days=7)) == metrics(*orders)
    assert local_window(DAY0 + dt.timedelta(days=6), 7) == (START, END)
    assert local_midnight(DAY0) == START and local_day(START - S) == DAY0 - dt.timedelta(days=1)


@pytest.mark.parametrize(("start", "end"), [(END, START), (START, START), (START.replace(tzinfo=None), END)])
def test_bad_windows_are_refused(start: dt.datetime, end: dt.datetime) -> None:
    with pytest.raises(ValueError):
        metrics(start=start, end=end)


def test_naive_order_times_are_refused() -> None:
    with pytest.raises(ValueError, match="paid_at"):
        MetricOrder("s1", PAID.replace(tzinfo=None))


# --- per shop and platform -------------------------------------------------------------------------------------------

def test_by_shop_and_platform() -> None:
    orders = [order(collected=10 * H, shop_id="s2"), order(collected=30 * H, shop_id="s1"),
              order(collected=50 * H, shop_id="s1"), order(START - 90 * 24 * H, shop_id="s3")]
    shops = by_shop(orders, window_start=START, window_end=END)
    assert list(shops) == ["s1", "s2", "s3"] and shops["s1"].shop_id == "s1"
    assert shops["s1"].collected_within_48h == Rate(1, 2) and shops["s2"].collected_within_24h == Rate(1, 1)
    assert shops["s3"].collected_within_48h is None  # the shop exists but did nothing in the window
    platform = metrics(*orders)
    assert platform.shop_id is None and platform.collected_within_48h == Rate(2, 3)
    assert platform.avg_payment_to_collection_seconds == 30 * 3600


def finding(kind: str, shop: str = "s1", at: dt.datetime = PAID) -> Finding:
    return Finding(f"f-{kind}-{shop}-{at}", kind, "order", "o1", shop, at, {}, "R", "v")


def test_findings_by_kind() -> None:
    found = [finding("late_shipment"), finding("late_shipment", "s2"), finding("parcel.stalled"),
             finding("zz.new_kind"), finding("late_shipment", at=END)]
    all_kinds = findings_by_kind(found)
    assert list(all_kinds)[: len(KINDS)] == list(KINDS) and list(all_kinds)[-1] == "zz.new_kind"
    assert all_kinds["late_shipment"] == 3 and all_kinds["listing.oversold"] == 0
    assert findings_by_kind(found, shop_id="s1", window_start=START, window_end=END)["late_shipment"] == 1
    assert findings_by_kind([]) == dict.fromkeys(KINDS, 0)


# --- daily series ----------------------------------------------------------------------------------------------------

def test_orders_belong_to_their_local_payment_day() -> None:
    last_second = START + 24 * H - S   # 2026-11-02 23:59:59 in Beijing
    midnight = START + 24 * H          # 2026-11-03 00:00:00 in Beijing
    series = daily_series([order(last_second, collected=10 * H), order(midnight, collected=50 * H),
                           order(START - S, collected=H)], DAY0, 3)
    assert [p.day for p in series] == [DAY0 + dt.timedelta(days=i) for i in range(3)]
    assert [p.paid for p in series] == [1, 1, 0]
    assert series[0].collected_within_48h == Rate(1, 1) and series[1].collected_within_48h == Rate(0, 1)
    assert series[0].avg_collection_hours == "10.0" and series[2].collected_within_48h is None
    assert daily_series([order(midnight)], DAY0, 3, offset_hours=0)[1].paid == 0  # in UTC it is still 11-02


def test_a_day_is_incomplete_until_its_48_hours_have_run_out() -> None:
    orders = [order(START + H, collected=2 * H), order(START + 20 * H), order(START + 5 * H, presale=True)]
    end_of_day = START + 24 * H
    early = daily_series(orders, DAY0, 1, as_of=START + 49 * H)[0]
    assert not early.complete and early.shipped_within_48h == Rate(1, 1)  # the second order's 48 h still run
    done = daily_series(orders, DAY0, 1, as_of=end_of_day + 48 * H)[0]
    assert done.complete and done.shipped_within_48h == Rate(1, 2) and done.eligible == 2 and done.paid == 3
    assert daily_series(orders, DAY0, 1, as_of=START + 2 * H)[0].collected == 0  # collected at 3 h: not yet known
    assert daily_series(orders, DAY0, 1)[0].complete


def test_empty_series() -> None:
    assert daily_series([], DAY0, 0) == []
    point = daily_series([], DAY0, 1)[0]
    assert point.collected_within_48h is None and point.avg_payment_to_collection_seconds is None


# --- properties ------------------------------------------------------------------------------------------------------

hours = st.integers(min_value=-5 * 3600, max_value=300 * 3600)
orders_st = st.lists(st.builds(
    lambda shop, paid, c, s, presale, cancelled, exc: MetricOrder(
        shop, START + dt.timedelta(seconds=paid), None if c is None else START + dt.timedelta(seconds=paid + c),
        None if s is None else START + dt.timedelta(seconds=paid + s), presale, cancelled, exc),
    st.sampled_from(["s1", "s2", "s3"]), st.integers(min_value=-3 * 86_400, max_value=8 * 86_400),
    st.one_of(st.none(), hours), st.one_of(st.none(), hours), st.booleans(), st.booleans(), st.booleans()),
    max_size=40)


def rates_of(m: FulfilmentMetrics) -> list[Rate | None]:
    return [m.collected_within_24h, m.collected_within_36h, m.collected_within_48h, m.shipped_within_48h,
            m.exception_rate]


@given(orders_st)
def test_rates_are_shares_and_shops_add_up_to_the_platform(orders: list[MetricOrder]) -> None:
    platform = metrics(*orders)
    shops = by_shop(orders, window_start=START, window_end=END)
    for m in [platform, *shops.values()]:
        for r in rates_of(m):
            assert r is None or (0 <= r.numerator <= r.denominator and 0 <= r.fraction <= 1)
        a, b, c = m.collected_within_24h, m.collected_within_36h, m.collected_within_48h
        assert (a is None) == (b is None) == (c is None) == (m.counts.collected == 0)
        assert a is None or a.numerator <= b.numerator <= c.numerator  # type: ignore[union-attr]
        assert sum(vars(m.buckets).values()) == m.counts.collected
    for name in vars(platform.counts):
        assert getattr(platform.counts, name) == sum(getattr(s.counts, name) for s in shops.values())
    assert platform.payment_to_collection_total_seconds == sum(
        s.payment_to_collection_total_seconds for s in shops.values())
    for point in daily_series(orders, DAY0 - dt.timedelta(days=3), 12, as_of=END):
        for r in (point.collected_within_48h, point.shipped_within_48h):
            assert r is None or 0 <= r.numerator <= r.denominator
