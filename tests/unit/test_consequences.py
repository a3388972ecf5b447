"""Late-shipment consequences: the coupon exact in fen, the points inside their day and week caps."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anxin.fulfilment.consequences import (
    LateOrder,
    PointsEntry,
    apply_points,
    late_shipment_compensation,
    local_day,
    week_start,
)
from anxin.orders.fulfilment_rules import load_fulfilment_rulebook

RB = load_fulfilment_rulebook()
HALF_UP = dataclasses.replace(RB, compensation=dataclasses.replace(RB.compensation, rounding="half_up"))
UTC = dt.UTC
MONDAY = dt.date(2026, 11, 2)
# Monday 00:00 in Beijing is Sunday 16:00 UTC.
WEEK0 = dt.datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
H, S = dt.timedelta(hours=1), dt.timedelta(seconds=1)


@pytest.mark.parametrize(("paid", "even", "up"), [
    (0, 0, 0),
    (1, 0, 0),
    (10, 0, 1),                # 0.5 fen: half-even keeps 0, half-up gives 1
    (30, 2, 2),                # 1.5 → 2 either way
    (12_345, 617, 617),        # 617.25
    (12_330, 616, 617),        # 616.5: the stated rounding decides
    (12_350, 618, 618),        # 617.5
    (199_980, 9_999, 9_999),
    (199_990, 10_000, 10_000),  # 9,999.5 rounds to the cap
    (199_999, 10_000, 10_000),  # 9,999.95 → 10,000, the 100-yuan cap
    (200_000, 10_000, 10_000),
    (10**9, 10_000, 10_000),
])
def test_compensation_is_five_percent_capped_at_100_yuan(paid: int, even: int, up: int) -> None:
    assert late_shipment_compensation(paid, RB) == even
    assert late_shipment_compensation(paid, HALF_UP) == up


@pytest.mark.parametrize("paid", [-1, 1.5, True, "100"])
def test_compensation_refuses_what_is_not_fen(paid: object) -> None:
    with pytest.raises(ValueError, match="paid_fen"):
        late_shipment_compensation(paid, RB)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**12))
def test_compensation_never_exceeds_the_cap_or_five_percent(paid: int) -> None:
    c = late_shipment_compensation(paid, RB)
    assert 0 <= c <= 10_000
    assert 2 * c * 10_000 <= 2 * paid * 500 + 10_000  # at most 5 % plus half a fen of rounding
    if paid * 500 <= 10_000 * 10_000:
        assert abs(c * 10_000 - paid * 500) * 2 <= 10_000  # uncapped: within half a fen of 5 %


def lates(n: int, start: dt.datetime, prefix: str = "o") -> list[LateOrder]:
    return [LateOrder(f"{prefix}{i:03d}", start + i * dt.timedelta(minutes=1)) for i in range(n)]


def test_local_day_and_week_boundaries_are_beijing_time() -> None:
    assert local_day(WEEK0 - S, RB) == dt.date(2026, 11, 1) and local_day(WEEK0, RB) == MONDAY
    assert week_start(WEEK0 - S, RB) == dt.date(2026, 10, 26)  # Sunday 23:59:59 local: the week before
    assert week_start(WEEK0 + 6 * 24 * H + 23 * H, RB) == MONDAY


def test_the_20th_late_order_in_a_day_scores_and_the_21st_does_not() -> None:
    awards = apply_points([], lates(21, WEEK0 + 2 * H), RB)
    assert [a.points for a in awards[18:]] == [10, 10, 0]
    assert [a.capped_by for a in awards[18:]] == [None, None, "day"]
    assert sum(a.points for a in awards) == 200
    assert all(a.rule_id == "F.CONSEQ.LATE_POINTS" and a.rulebook_version == RB.version for a in awards)


@pytest.mark.parametrize(("existing_points", "new", "expected"), [
    ([10] * 19, 2, [10, 0]),      # the cap counts what is already recorded
    ([10] * 20, 1, [0]),
    ([195], 2, [5, 0]),           # room for only part of an order
    ([], 0, []),
])
def test_day_cap_with_recorded_entries(existing_points: list[int], new: int, expected: list[int]) -> None:
    existing = [PointsEntry(f"x{i}", WEEK0 + H, p) for i, p in enumerate(existing_points)]
    assert [a.points for a in apply_points(existing, lates(new, WEEK0 + 5 * H), RB)] == expected


def test_local_midnight_starts_a_new_day() -> None:
    day1 = lates(20, WEEK0 + 23 * H)  # Monday 23:00–23:19 in Beijing: the day cap is used
    nxt = [LateOrder("next", WEEK0 + 24 * H), LateOrder("last", WEEK0 + 24 * H - S)]
    awards = {a.order_id: a for a in apply_points([], [*day1, *nxt], RB)}
    assert awards["last"].points == 0 and awards["last"].local_day == MONDAY
    assert awards["next"].points == 10 and awards["next"].local_day == MONDAY + dt.timedelta(days=1)


def test_the_week_cap_is_reached_on_day_four() -> None:
    orders = [o for d in range(4) for o in lates(16, WEEK0 + d * 24 * H + 3 * H, prefix=f"d{d}-")]
    awards = apply_points([], orders, RB)
    per_day: dict[dt.date, int] = defaultdict(int)
    for a in awards:
        per_day[a.local_day] += a.points
    assert list(per_day.values()) == [160, 160, 160, 120]  # 600 reached with day four's 12th order
    thursday = [a for a in awards if a.local_day == MONDAY + dt.timedelta(days=3)]
    assert [a.points for a in thursday[10:14]] == [10, 10, 0, 0]
    assert thursday[12].capped_by == "week"


def test_a_new_week_resets_the_cap() -> None:
    full = [PointsEntry(f"x{i}", WEEK0 + (i // 20) * 24 * H + H, 10) for i in range(60)]  # 600 by Wednesday
    sunday_night, monday = WEEK0 + 7 * 24 * H - S, WEEK0 + 7 * 24 * H
    awards = apply_points(full, [LateOrder("sun", sunday_night), LateOrder("mon", monday)], RB)
    assert [(a.order_id, a.points, a.capped_by) for a in awards] == [("sun", 0, "week"), ("mon", 10, None)]
    assert awards[1].week_start == MONDAY + dt.timedelta(days=7)


def test_replays_and_arrival_order_change_nothing() -> None:
    orders = lates(25, WEEK0 + H)
    first = apply_points([], orders, RB)
    assert apply_points([], list(reversed(orders)), RB) == first
    recorded = [PointsEntry(a.order_id, a.at, a.points) for a in first]
    assert apply_points(recorded, orders, RB) == []  # already recorded: nothing twice
    assert [a.order_id for a in apply_points([], [orders[0], orders[0]], RB)] == [orders[0].order_id]


def test_week_may_start_on_another_day() -> None:
    rb = dataclasses.replace(RB, points=dataclasses.replace(RB.points, week_starts=6))  # Sunday
    assert week_start(WEEK0 - S, rb) == dt.date(2026, 11, 1)


@given(st.lists(st.integers(min_value=0, max_value=21 * 24 * 60), max_size=150),
       st.lists(st.integers(min_value=1, max_value=150), max_size=6))
def test_points_never_exceed_the_caps_for_any_sequence(minutes: list[int], cuts: list[int]) -> None:
    orders = [LateOrder(f"o{i}", WEEK0 + dt.timedelta(minutes=m)) for i, m in enumerate(minutes)]
    # Record in several calls, as detection would over time, each call seeing what the earlier ones recorded.
    recorded: list[PointsEntry] = []
    start = 0
    for cut in [*sorted(cuts), len(orders)]:
        batch, start = orders[start:max(start, cut)], max(start, cut)
        recorded += [PointsEntry(a.order_id, a.at, a.points) for a in apply_points(recorded, batch, RB)]
    days: dict[dt.date, int] = defaultdict(int)
    weeks: dict[dt.date, int] = defaultdict(int)
    for e in recorded:
        assert 0 <= e.points <= 10 and isinstance(e.points, int)
        days[local_day(e.at, RB)] += e.points
        weeks[week_start(e.at, RB)] += e.points
    assert len(recorded) == len(orders)
    assert all(v <= 200 for v in days.values()) and all(v <= 600 for v in weeks.values())
