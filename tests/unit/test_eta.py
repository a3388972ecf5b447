"""Estimated delivery: exact quantiles, fallbacks by sample count, revision at scans, proactive notices."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anxin.fulfilment.eta import (
    DEFAULT_PRIOR,
    MIN_TAIL_SECONDS,
    Eta,
    EtaInput,
    LastScan,
    TransitHistory,
    TransitObservation,
    city,
    end_of_local_day,
    estimate,
    is_late,
    nearest_rank,
    notice_needs,
    province,
)
from anxin.orders.fulfilment_rules import load_fulfilment_rulebook

RB = load_fulfilment_rulebook()
UTC = dt.UTC
H, S = dt.timedelta(hours=1), dt.timedelta(seconds=1)
T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
LANE_HOURS = (20, 24, 30, 36, 40, 48, 60, 72, 90, 100)  # p50 = 40 h, p80 = 72 h, p95 = 100 h (nearest rank)
ORIGIN, DEST = "CN-ZJ-HZ", "CN-BJ-BJ"


def obs(hours: int, carrier: str = "yto", origin: str = ORIGIN, dest: str = DEST,
        at: dt.datetime = T0) -> TransitObservation:
    return TransitObservation(carrier, origin, dest, at, at + dt.timedelta(hours=hours))


def lane_history(hours: tuple[int, ...] = LANE_HOURS, min_samples: int = 5) -> TransitHistory:
    return TransitHistory.from_observations([obs(h) for h in hours], min_samples=min_samples)


HIST = lane_history()


def order(**kw: object) -> EtaInput:
    base: dict[str, object] = {"carrier": "yto", "origin_region": ORIGIN, "destination_region": DEST,
                               "paid_at": T0, "ship_by": T0 + 48 * H}
    base.update(kw)
    return EtaInput(**base)  # type: ignore[arg-type]


def span(eta: Eta, anchor: dt.datetime) -> tuple[dt.timedelta, dt.timedelta, dt.timedelta]:
    return eta.earliest - anchor, eta.likely - anchor, eta.latest - anchor


# --- quantiles ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "percent", "expected"), [
    ((7,), 50, 7), ((7,), 95, 7),
    ((10, 20), 50, 10),            # rank ⌈1.0⌉ = 1
    ((10, 20), 80, 20),            # rank ⌈1.6⌉ = 2
    ((1, 2, 3, 4), 50, 2), ((1, 2, 3, 4), 80, 4), ((1, 2, 3, 4), 95, 4),
    (tuple(range(1, 11)), 50, 5), (tuple(range(1, 11)), 80, 8), (tuple(range(1, 11)), 95, 10),
    (tuple(range(1, 21)), 95, 19),  # rank exactly 19: no interpolation
    (tuple(range(1, 101)), 50, 50), (tuple(range(1, 101)), 100, 100),
])
def test_nearest_rank_is_exact(values: tuple[int, ...], percent: int, expected: int) -> None:
    assert nearest_rank(values, percent) == expected


@pytest.mark.parametrize(("values", "percent"), [((), 50), ((1,), 0), ((1,), 101)])
def test_nearest_rank_rejects_nonsense(values: tuple[int, ...], percent: int) -> None:
    with pytest.raises(ValueError):
        nearest_rank(values, percent)


def test_lane_quantiles_on_a_small_sample() -> None:
    q = HIST.quantiles("yto", ORIGIN, DEST)
    assert (q.basis, q.samples, q.key) == ("lane", 10, "lane|yto|CN-ZJ-HZ|CN-BJ-BJ")
    assert (q.p50, q.p80, q.p95) == (40 * 3600, 72 * 3600, 100 * 3600)


def test_quantiles_do_not_depend_on_arrival_order_and_add_matches_batch() -> None:
    observations = [obs(h) for h in LANE_HOURS] + [obs(h, dest="CN-BJ-CY") for h in (5, 15)]
    shuffled = observations[:]
    random.Random(3).shuffle(shuffled)
    built = TransitHistory(min_samples=5)
    for o in shuffled:
        built = built.add(o)
    batch = TransitHistory.from_observations(observations, min_samples=5)
    assert built == batch and len(batch) == 12
    assert batch.quantiles("yto", ORIGIN, DEST) == HIST.quantiles("yto", ORIGIN, DEST)


def test_add_returns_a_new_history_and_leaves_the_old_one_alone() -> None:
    before = lane_history()
    after = before.add(obs(1)).add(obs(2))  # 12 samples: the median is rank 6, 36 h
    assert len(before) == 10 and len(after) == 12
    assert before.quantiles("yto", ORIGIN, DEST).p50 == 40 * 3600
    assert after.quantiles("yto", ORIGIN, DEST).p50 == 36 * 3600


def test_impossible_observations_are_counted_not_learned() -> None:
    bad = [TransitObservation("yto", ORIGIN, DEST, T0, T0 - S),
           TransitObservation("yto", ORIGIN, DEST, T0.replace(tzinfo=None), T0.replace(tzinfo=None) + H)]
    h = TransitHistory.from_observations([*bad, obs(5)], min_samples=1)
    assert h.rejected == 2 and len(h) == 1
    assert h.add(bad[0]).rejected == 3 and h.add(obs(0)).quantiles("yto", ORIGIN, DEST).p50 == 0


def test_sub_second_parts_are_dropped() -> None:
    assert TransitObservation("yto", ORIGIN, DEST, T0, T0 + H + dt.timedelta(microseconds=999_999)).seconds == 3600


# --- fallbacks ---------------------------------------------------------------------------------------------------

def test_region_levels() -> None:
    assert city(" cn-hb-wh-01 ") == "CN-HB-WH" and province("CN-HB-WH") == "CN-HB" and province("CN") == "CN"


def lane(n: int, carrier: str = "yto", origin: str = ORIGIN, dest: str = DEST) -> list[TransitObservation]:
    return [obs(10 + i, carrier, origin, dest) for i in range(n)]


@pytest.mark.parametrize(("observations", "basis", "samples"), [
    (lane(3), "lane", 3),
    (lane(2) + lane(1, origin="CN-SH-SH"), "province", 3),               # another origin, same destination
    (lane(2) + lane(1, dest="CN-BJ-CY"), "province", 3),                  # another city of the same province
    (lane(2) + lane(1, dest="CN-SH-SH"), "carrier", 3),                  # another province: carrier level
    (lane(2) + lane(1, carrier="zto"), "prior", 3),                       # platform-wide
    (lane(1) + lane(1, carrier="zto"), "prior", 0),                       # below min_samples everywhere: default
    ([], "prior", 0),
    (lane(3, origin="cn-zj-hz-07", carrier=" YTO"), "lane", 3),          # district cut to city, carrier normalised
])
def test_fallback_by_sample_count(observations: list[TransitObservation], basis: str, samples: int) -> None:
    h = TransitHistory.from_observations(observations, min_samples=3)
    q = h.quantiles("yto", ORIGIN, DEST)
    assert (q.basis, q.samples) == (basis, samples)
    if samples == 0:
        assert q == DEFAULT_PRIOR


@pytest.mark.parametrize(("carrier", "origin", "basis"), [
    (None, ORIGIN, "prior"),     # no carrier yet: carrier levels are skipped
    ("yto", None, "province"),   # no origin: the lane is skipped
])
def test_unknown_carrier_or_origin_skips_levels(carrier: str | None, origin: str | None, basis: str) -> None:
    assert HIST.quantiles(carrier, origin, DEST).basis == basis


def test_min_samples_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TransitHistory(min_samples=0)


# --- estimate: before and after collection ---------------------------------------------------------------------

P50, P80, P95 = 40 * H, 72 * H, 100 * H


@pytest.mark.parametrize(("kw", "now", "anchor"), [
    ({}, T0 + H, T0 + 48 * H),                                  # the promise's ship-by
    ({}, T0 + 50 * H, T0 + 50 * H),                             # ship-by passed: cannot be collected in the past
    ({"ship_by": None}, T0 + H, T0 + H),                         # no promise: now
])
def test_before_collection_the_anchor_is_ship_by_or_now(kw: dict[str, object], now: dt.datetime,
                                                        anchor: dt.datetime) -> None:
    eta = estimate(order(**kw), HIST, now)
    assert eta.stage == "awaiting_collection" and eta.anchor == anchor and eta.rule_id == "F.ETA.BEFORE_COLLECTION"
    assert span(eta, anchor) == (P50, P80, P95) and eta.revised_at == now and eta.basis == "lane"


def test_after_collection_quantiles_are_added_to_collection() -> None:
    c = T0 + 5 * H
    eta = estimate(order(collected_at=c, last_scan=LastScan("in_transit", c + H, "CN-JS")), HIST, c + 2 * H)
    assert eta.stage == "in_transit" and span(eta, c) == (P50, P80, P95) and eta.samples == 10


def test_a_moving_scan_without_a_collection_time_anchors_at_the_scan() -> None:
    at = T0 + 7 * H
    eta = estimate(order(last_scan=LastScan("in_transit", at)), HIST, at + H)
    assert eta.stage == "in_transit" and eta.anchor == at


# --- revision at scans -----------------------------------------------------------------------------------------

C = T0 + 5 * H


@pytest.mark.parametrize(("now", "stage", "expected", "samples", "rule_id"), [
    (C + P80, "in_transit", (C + P50, C + P80, C + P95), 10, "F.ETA.IN_TRANSIT"),     # exactly at likely: kept
    # One second past likely: the parcels slower than 72 h took 90 h and 100 h.
    (C + P80 + S, "overdue", (C + 90 * H, C + 100 * H, C + 100 * H), 2, "F.ETA.OVERDUE_SURVIVORS"),
    (C + 95 * H, "overdue", (C + 100 * H,) * 3, 1, "F.ETA.OVERDUE_SURVIVORS"),
    (C + P95, "overdue", None, 0, "F.ETA.OVERDUE_TAIL"),                             # none slower than 100 h
])
def test_overdue_parcels_are_estimated_from_the_slower_ones(now: dt.datetime, stage: str,
                                                            expected: tuple[dt.datetime, ...] | None,
                                                            samples: int, rule_id: str) -> None:
    eta = estimate(order(collected_at=C, last_scan=LastScan("in_transit", C + H)), HIST, now)
    assert (eta.stage, eta.samples, eta.rule_id) == (stage, samples, rule_id)
    if expected is None:  # tail = p95 − p50 = 60 h
        expected = (now, now + 60 * H, now + 120 * H)
    assert (eta.earliest, eta.likely, eta.latest) == expected
    assert eta.likely > now or stage == "in_transit"


def test_the_tail_is_at_least_six_hours() -> None:
    h = lane_history((10,) * 5)
    now = C + 11 * H
    eta = estimate(order(collected_at=C), h, now)
    tail = dt.timedelta(seconds=MIN_TAIL_SECONDS)
    assert (eta.earliest, eta.likely, eta.latest) == (now, now + tail, now + 2 * tail)


def test_overdue_on_the_default_prior_uses_the_tail() -> None:
    now = C + 73 * H
    eta = estimate(order(collected_at=C), TransitHistory(), now)
    assert eta.basis == "prior" and eta.rule_id == "F.ETA.OVERDUE_TAIL" and eta.likely == now + 48 * H


# 2026-11-03 in Beijing ends at 15:59:59 UTC.
EOD = dt.datetime(2026, 11, 3, 15, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(("now", "likely"), [
    (dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC), EOD),
    (EOD, EOD),                                           # the day's last second: still today
    (EOD + S, EOD + 24 * H),                              # local midnight: a new today
])
def test_out_for_delivery_means_today(now: dt.datetime, likely: dt.datetime) -> None:
    eta = estimate(order(collected_at=C, last_scan=LastScan("Out_For_Delivery ", C + 20 * H, DEST)), HIST, now)
    assert (eta.stage, eta.earliest, eta.likely, eta.latest) == ("out_for_delivery", now, likely, likely)


def test_end_of_local_day_follows_the_offset() -> None:
    assert end_of_local_day(EOD - 3 * H) == EOD
    assert end_of_local_day(EOD - 3 * H, dt.timedelta(0)) == dt.datetime(2026, 11, 3, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("status", ["delivered", "signed"])
def test_a_delivered_parcel_has_arrived(status: str) -> None:
    at = C + 30 * H
    eta = estimate(order(collected_at=C, last_scan=LastScan(status, at)), HIST, at + 5 * H, rb=RB)
    assert (eta.earliest, eta.likely, eta.latest, eta.stage) == (at, at, at, "delivered")
    assert eta.rulebook_version == RB.version and eta.rule_id == "F.ETA.DELIVERED"


@pytest.mark.parametrize("kw", [{"collected_at": C}, {}])
def test_an_exception_scan_keeps_the_estimate_and_marks_it(kw: dict[str, object]) -> None:
    eta = estimate(order(last_scan=LastScan("lost", C), **kw), HIST, C + 99 * H)
    assert eta.stage == "exception" and span(eta, C) == (P50, P80, P95)


def test_built_in_scan_classes_match_the_shipped_rulebook() -> None:
    for status in ("picked_up", "arrived", "departed", "refused", "returned"):
        scanned = order(last_scan=LastScan(status, C))
        assert estimate(scanned, HIST, C + H) == dataclasses.replace(estimate(scanned, HIST, C + H, rb=RB),
                                                                     rulebook_version=None)


@pytest.mark.parametrize("field", ["paid_at", "ship_by", "collected_at"])
def test_naive_times_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        estimate(order(**{field: T0.replace(tzinfo=None)}), HIST, T0)


def test_as_dict_is_plain() -> None:
    d = estimate(order(), HIST, T0, rb=RB).as_dict()
    assert d["basis"] == "lane" and d["likely"] == (T0 + 48 * H + P80).isoformat() and d["rulebook_version"]


# --- notices -------------------------------------------------------------------------------------------------------

SHOWN = estimate(order(collected_at=C), HIST, C)  # likely C + 72 h


@pytest.mark.parametrize(("scan", "now", "kinds"), [
    (LastScan("in_transit", C + 10 * H), C + P80, []),
    (LastScan("in_transit", C + 10 * H), C + P80 + S, ["late_vs_eta"]),
    (LastScan("in_transit", C), C + 72 * H, []),                                     # stalled window closed at 72 h
    (LastScan("in_transit", C), C + 72 * H + S, ["stalled", "late_vs_eta"]),
    (LastScan("lost", C + 10 * H), C + 20 * H, ["exception"]),
    (LastScan("lost", C + 10 * H), C + 200 * H, ["exception"]),                       # lateness is moot
    (LastScan("delivered", C + 80 * H), C + 200 * H, []),
    (None, C + 80 * H, ["late_vs_eta"]),
])
def test_notice_needs(scan: LastScan | None, now: dt.datetime, kinds: list[str]) -> None:
    needs = notice_needs(SHOWN, now, scan, rb=RB)
    assert [n.kind for n in needs] == kinds
    assert all(n.rulebook_version == RB.version and n.rule_id.startswith("F.NOTICE.") for n in needs)


def test_notice_reasons_and_since_are_stable() -> None:
    scan = LastScan("in_transit", C)
    a = notice_needs(SHOWN, C + 100 * H, scan)
    b = notice_needs(SHOWN, C + 300 * H, scan)
    assert a == b
    assert [(n.reason, n.since) for n in a] == [("no_scan_72h", C + 72 * H), ("past_likely_eta", C + P80)]
    assert notice_needs(SHOWN, C + 10 * H, LastScan("refused", C))[0].reason == "scan_refused"
    assert notice_needs(SHOWN, C + 25 * H, scan, stalled_hours=24)[0].reason == "no_scan_24h"


def test_is_late_compares_with_the_shown_estimate() -> None:
    assert not is_late(SHOWN, SHOWN.likely) and is_late(SHOWN, SHOWN.likely + S)
    revised = estimate(order(collected_at=C), HIST, SHOWN.likely + S)
    assert not is_late(revised, SHOWN.likely + S)  # a revised estimate moves on with the parcel


# --- properties ----------------------------------------------------------------------------------------------------

statuses = st.sampled_from([None, "collected", "in_transit", "out_for_delivery", "delivered", "lost", "weird"])


@given(st.lists(st.integers(min_value=0, max_value=400 * 3600), max_size=30),
       st.integers(min_value=1, max_value=10), st.booleans(), st.one_of(st.none(), st.integers(-100, 300)),
       statuses, st.integers(min_value=0, max_value=500 * 3600), st.integers(min_value=0, max_value=50 * 3600))
def test_earliest_likely_latest_are_ordered(samples, min_samples, collected, ship_by_h, status, later, scan_s) -> None:  # type: ignore[no-untyped-def]
    h = TransitHistory.from_observations(
        [TransitObservation("yto", ORIGIN, DEST, T0, T0 + dt.timedelta(seconds=s)) for s in samples],
        min_samples=min_samples)
    assert sorted(samples) == list(h.groups.get(("prior", "platform"), ()))
    q = h.quantiles("yto", ORIGIN, DEST)
    assert q.p50 <= q.p80 <= q.p95
    scan = LastScan(status, C + dt.timedelta(seconds=scan_s)) if status else None
    now = C + dt.timedelta(seconds=scan_s + later)
    eta = estimate(order(collected_at=C if collected else None, last_scan=scan,
                         ship_by=None if ship_by_h is None else T0 + ship_by_h * H), h, now)
    assert eta.earliest <= eta.likely <= eta.latest
    if eta.stage not in ("delivered", "exception", "in_transit"):
        assert eta.likely >= now
