"""Fulfilment detectors at the edges of every window; incremental and batch detection agree."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from anxin.fulfilment.detectors import (
    KINDS,
    Finding,
    ListingPeer,
    OrderView,
    ScanView,
    detect_batch,
    detect_order,
    finding_id,
    order_state,
)
from anxin.orders.fulfilment_rules import (
    DEFAULT_FULFILMENT_RULEBOOK,
    FulfilmentRulebook,
    load_fulfilment_rulebook,
    parse_fulfilment_rulebook,
)
from anxin.orders.model import Scan
from anxin.orders.promise import Promise

RB = load_fulfilment_rulebook()
PAID = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
H, M, S = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(seconds=1)
SHIP_BY = PAID + 48 * H
SHIPPED = PAID + 2 * H
LATER = PAID + 30 * 24 * H  # a "now" long after everything


def promise(order_id: str = "o1", ship_by: dt.datetime = SHIP_BY, exemption: str | None = None,
            basis: str = "in_stock_default") -> Promise:
    return Promise(order_id, ship_by, basis, "F.PROMISE.IN_STOCK", RB.version, exemption=exemption)


def scan(status: str, at: dt.datetime, region: str | None = "CN-ZJ-HZ", tracking: str = "YT1") -> ScanView:
    return ScanView("yto", tracking, status, f"{region} hub", at, region)


def view(order_id: str = "o1", *, scans: tuple[ScanView, ...] = (), paid_at: dt.datetime = PAID,
         promise_: Promise | None = None, **kw: Any) -> OrderView:
    base: dict[str, Any] = {
        "shop_id": "s1", "consumer_id": "c1", "listing_ids": ("L1",), "carrier": "yto",
        "tracking_no": f"T-{order_id}", "shipped_at": SHIPPED, "origin_region": "CN-ZJ", "destination_region": "CN-BJ"}
    base.update(kw)
    return OrderView(order_id, paid_at=paid_at, promise=promise_ or promise(order_id, paid_at + 48 * H), scans=scans,
                     **base)


def kinds(findings: list[Finding], kind: str | None = None) -> list[Finding]:
    return [f for f in findings if kind is None or f.kind == kind]


def detect(v: OrderView, now: dt.datetime = LATER, rb: FulfilmentRulebook = RB) -> list[Finding]:
    return detect_order(v, rb, now)


def delivered_path(t0: dt.datetime) -> tuple[ScanView, ...]:
    return (scan("collected", t0), scan("in_transit", t0 + 10 * H, "CN-JS"),
            scan("out_for_delivery", t0 + 30 * H, "CN-BJ-CY"), scan("delivered", t0 + 33 * H, "CN-BJ-CY"))


# --- late shipment ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("collected", "late"), [
    (SHIP_BY - S, False),
    (SHIP_BY, False),       # exactly at ship-by is in time
    (SHIP_BY + S, True),
])
def test_late_shipment_at_the_ship_by_edge(collected: dt.datetime, late: bool) -> None:
    found = kinds(detect(view(scans=delivered_path(collected))), "late_shipment")
    assert bool(found) is late
    if late:
        f = found[0]
        assert f.at == SHIP_BY and f.subject_id == "o1" and f.rule_id == "F.LATE_SHIPMENT"
        assert f.evidence["collected_at"] == collected.isoformat() and f.rulebook_version == RB.version


@pytest.mark.parametrize(("now", "late"), [(SHIP_BY - S, False), (SHIP_BY, False), (SHIP_BY + S, True)])
def test_a_tracking_number_alone_is_not_shipment(now: dt.datetime, late: bool) -> None:
    found = kinds(detect(view(tracking_no="YT9", shipped_at=PAID + H), now), "late_shipment")
    assert bool(found) is late
    if late:  # late *at* the ship-by time, not at the moment detection ran
        assert found[0].at == SHIP_BY and found[0].evidence["tracking_alone"] is True


GRACE = RB.detectors.feed_grace


@pytest.mark.parametrize(("now", "late"), [(SHIP_BY + S, False), (SHIP_BY + GRACE, False),
                                           (SHIP_BY + GRACE + S, True)])
def test_the_feed_grace_delays_judging_not_the_finding(now: dt.datetime, late: bool) -> None:
    found = kinds(detect_batch([view(tracking_no="YT9", shipped_at=PAID + H)], RB, now, grace=GRACE),
                  "late_shipment")
    assert bool(found) is late
    if late:
        assert found[0].at == SHIP_BY
    state = order_state(view(tracking_no="YT9", shipped_at=PAID + H), RB, SHIP_BY, GRACE)
    assert state.next_check_at == SHIP_BY + GRACE + S


def test_the_shipped_rulebook_waits_three_hours_for_late_feeds() -> None:
    assert RB.detectors.feed_grace_minutes == 180


def test_an_in_transit_scan_before_ship_by_proves_collection() -> None:
    v = view(scans=(scan("in_transit", SHIP_BY - H), scan("delivered", SHIP_BY + 20 * H, "CN-BJ")))
    assert not kinds(detect(v), "late_shipment")


def test_an_exception_scan_is_not_collection() -> None:
    assert kinds(detect(view(scans=(scan("lost", SHIP_BY - H),))), "late_shipment")


@pytest.mark.parametrize(("kw", "late"), [
    ({"promise_": promise(exemption="consumer_hold")}, False),
    ({"promise_": promise(exemption="force_majeure")}, False),
    ({"hold_requested_at": SHIP_BY}, False),
    ({"hold_requested_at": SHIP_BY + S}, True),      # asked after it was already late
    ({"cancelled_at": SHIP_BY}, False),
    ({"cancelled_at": SHIP_BY + S}, True),
    ({"promise_": promise(ship_by=PAID + 240 * H, exemption="presale_before_date", basis="presale_date")}, False),
])
def test_exemptions_and_cancellations(kw: dict[str, Any], late: bool) -> None:
    v = view(scans=(scan("collected", SHIP_BY + 5 * H),), **kw)
    assert bool(kinds(detect(v), "late_shipment")) is late


def test_force_majeure_declared_after_payment_exempts_through_the_current_rulebook() -> None:
    raw = copy.deepcopy(yaml.safe_load(DEFAULT_FULFILMENT_RULEBOOK.read_text(encoding="utf-8")))
    raw["force_majeure"] = [{"region": "CN-BJ", "from": (PAID + 40 * H).isoformat(),
                             "to": (PAID + 100 * H).isoformat(), "reason": "snowstorm"}]
    rb = parse_fulfilment_rulebook(raw)
    assert not kinds(detect(view(), rb=rb), "late_shipment")
    assert kinds(detect(view(destination_region="CN-SH"), rb=rb), "late_shipment")


# --- fake shipment ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("first_scan", "flag"), [
    (SHIPPED + 24 * H - M, False),
    (SHIPPED + 24 * H, False),
    (SHIPPED + 24 * H + M, True),
])
def test_no_carrier_scan_within_n_hours_of_shipped(first_scan: dt.datetime, flag: bool) -> None:
    found = kinds(detect(view(scans=(scan("collected", first_scan),))), "fake_shipment.no_carrier_scan")
    assert bool(found) is flag
    if flag:
        assert found[0].at == SHIPPED + 24 * H and found[0].evidence["first_scan_at"] == first_scan.isoformat()


@pytest.mark.parametrize(("now", "flag"), [(SHIPPED + 24 * H - M, False), (SHIPPED + 24 * H + M, True)])
def test_no_carrier_scan_at_all(now: dt.datetime, flag: bool) -> None:
    assert bool(kinds(detect(view(), now), "fake_shipment.no_carrier_scan")) is flag


def test_no_tracking_uploaded_means_no_fake_shipment_check() -> None:
    assert not kinds(detect(view(tracking_no=None, carrier=None, shipped_at=None)), "fake_shipment.no_carrier_scan")


def test_tracking_reused_by_two_shops_flags_the_later_order_only() -> None:
    a = view("o1", shop_id="s1", tracking_no="YT1", shipped_at=PAID + H)
    b = view("o2", shop_id="s2", consumer_id="c2", carrier="YTO ", tracking_no="yt1", shipped_at=PAID + 3 * H)
    found = kinds(detect_batch([a, b], RB, LATER), "fake_shipment.tracking_reused")
    assert [(f.subject_id, f.at) for f in found] == [("o2", PAID + 3 * H)]
    assert found[0].evidence["across_shops"] is True and found[0].evidence["earlier_orders"] == ["o1"]
    assert kinds(detect_order(b, RB, LATER, peers=[a]), "fake_shipment.tracking_reused") == found
    assert not kinds(detect_order(a, RB, LATER, peers=[b]), "fake_shipment.tracking_reused")


@pytest.mark.parametrize(("shop", "consumer", "flag"), [
    ("s1", "c1", False),   # the same shop's parcel for the same consumer: one parcel, several orders
    ("s1", "c2", True),    # the same shop, another consumer: reuse
    ("s2", "c1", True),
])
def test_tracking_reuse_within_a_shop(shop: str, consumer: str, flag: bool) -> None:
    a = view("o1", tracking_no="YT1")
    b = view("o2", shop_id=shop, consumer_id=consumer, tracking_no="YT1", shipped_at=SHIPPED + H)
    assert bool(kinds(detect_batch([a, b], RB, LATER), "fake_shipment.tracking_reused")) is flag


def test_a_merged_parcel_does_not_excuse_a_third_shop() -> None:
    a, b = view("o1", tracking_no="YT1"), view("o2", tracking_no="YT1", shipped_at=SHIPPED + H)
    c = view("o3", shop_id="s9", consumer_id="c9", tracking_no="YT1", shipped_at=SHIPPED + 2 * H)
    found = kinds(detect_batch([c, b, a], RB, LATER), "fake_shipment.tracking_reused")
    assert [f.subject_id for f in found] == ["o3"] and found[0].evidence["earlier_shops"] == ["s1"]


T0 = PAID + 5 * H
STUCK = T0 + 48 * H


@pytest.mark.parametrize(("extra", "kw", "now", "flag"), [
    ((), {}, STUCK + S, True),
    ((), {}, STUCK, False),                                            # the window has not closed yet
    ((scan("in_transit", STUCK, "CN-JS"),), {}, LATER, False),         # left exactly in time
    ((scan("in_transit", STUCK + S, "CN-JS"),), {}, LATER, True),      # left too late: still true at STUCK
    ((), {"destination_region": "CN-ZJ-NB"}, LATER, False),           # a same-area order need not leave
    ((), {"origin_region": None}, LATER, False),                        # nothing to compare with
    ((scan("refused", T0 + 3 * H),), {}, LATER, False),                # sent back: an exception, not a fake
    ((), {"signed_at": T0 + 20 * H}, LATER, False),
])
def test_scans_that_never_leave_the_origin(extra, kw, now, flag) -> None:  # type: ignore[no-untyped-def]
    scans = (scan("collected", T0), scan("in_transit", T0 + 10 * H, "CN-ZJ-HZ"), *extra)
    found = kinds(detect(view(scans=scans, **kw), now), "fake_shipment.never_left_origin")
    assert bool(found) is flag
    if flag:
        assert found[0].at == STUCK


def test_unlocated_scans_are_not_judged_for_origin() -> None:
    scans = (scan("collected", T0, None), scan("in_transit", T0 + 10 * H, None))
    assert not kinds(detect(view(scans=scans)), "fake_shipment.never_left_origin")


@pytest.mark.parametrize(("region", "flag"), [("CN-BJ-CY", False), ("CN-BJ", False), ("CN-SH", True), (None, False)])
def test_route_inconsistent_with_the_address(region: str | None, flag: bool) -> None:
    scans = (scan("collected", T0), scan("in_transit", T0 + 5 * H, "CN-SH"),
             scan("out_for_delivery", T0 + 9 * H, region))
    found = kinds(detect(view(scans=scans)), "fake_shipment.route_mismatch")
    assert bool(found) is flag  # passing through CN-SH in transit is fine; delivering there is not
    if flag:
        assert found[0].at == T0 + 9 * H and found[0].evidence["destination_region"] == "CN-BJ"


# --- parcels ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("gap", "flag"), [(72 * H - S, False), (72 * H, False), (72 * H + S, True)])
def test_stalled_between_scans(gap: dt.timedelta, flag: bool) -> None:
    scans = (scan("collected", T0), scan("in_transit", T0 + H, "CN-JS"), scan("in_transit", T0 + H + gap, "CN-SD"))
    found = kinds(detect(view(scans=scans), T0 + H + gap + H), "parcel.stalled")
    assert bool(found) is flag
    if flag:
        assert found[0].at == T0 + 73 * H and found[0].evidence["next_scan_at"] == (T0 + H + gap).isoformat()


@pytest.mark.parametrize(("now", "flag"), [(T0 + 72 * H, False), (T0 + 72 * H + S, True)])
def test_stalled_after_the_last_scan(now: dt.datetime, flag: bool) -> None:
    found = kinds(detect(view(scans=(scan("collected", T0),)), now), "parcel.stalled")
    assert bool(found) is flag
    if flag:
        assert found[0].at == T0 + 72 * H and found[0].evidence["next_scan_at"] is None


@pytest.mark.parametrize(("last", "kw"), [("delivered", {}), ("lost", {}), ("in_transit", {"signed_at": T0 + 70 * H})])
def test_a_parcel_that_arrived_or_failed_does_not_stall(last: str, kw: dict[str, Any]) -> None:
    scans = (scan("collected", T0), scan(last, T0 + 10 * H, "CN-BJ"))
    assert not kinds(detect(view(scans=scans, **kw)), "parcel.stalled")


@pytest.mark.parametrize("status", ["returned", "refused", "lost", " Lost "])
def test_delivery_exceptions(status: str) -> None:
    found = kinds(detect(view(scans=(scan("collected", T0), scan(status, T0 + 30 * H, "CN-BJ")))), "parcel.exception")
    assert len(found) == 1 and found[0].evidence["status"] == status.strip().lower() and found[0].at == T0 + 30 * H


# --- odd data --------------------------------------------------------------------------------------------------

def test_scans_out_of_order_are_sorted_before_judging_and_reported_once() -> None:
    sent = (scan("in_transit", T0 + 50 * H, "CN-JS"), scan("collected", T0), scan("in_transit", T0 + 10 * H),
            scan("delivered", T0 + 60 * H, "CN-BJ"))
    found = detect(view(scans=sent))
    data = kinds(found, "data.scan_out_of_order")
    assert len(data) == 1 and data[0].evidence["scans_out_of_order"] == 2 and data[0].at == T0
    # Sorted: collected T0 → T0+10 h → T0+50 h, no gap over 72 h, collected in time.
    assert not kinds(found, "parcel.stalled") and not kinds(found, "late_shipment")
    assert not kinds(detect(view(scans=tuple(sorted(sent, key=lambda s: s.scanned_at)))), "data.scan_out_of_order")


def test_duplicate_scans_are_ignored_but_reported_once() -> None:
    c = scan("collected", T0)
    lost = scan("lost", T0 + 30 * H, "CN-JS")
    found = detect(view(scans=(c, c, lost, c, lost)))
    dupes = kinds(found, "data.duplicate_scan")
    assert sorted(f.evidence["copies"] for f in dupes) == [2, 3]
    assert len(kinds(found, "parcel.exception")) == 1 and not kinds(found, "data.scan_out_of_order")


@pytest.mark.parametrize(("kw", "problem"), [
    ({"scans": (scan("collected", PAID - M),)}, "scan_before_payment"),
    ({"scans": (scan("collected", LATER + H),)}, "scan_after_now"),
    ({"shipped_at": PAID - H}, "shipped_before_payment"),
    ({"signed_at": PAID - H, "shipped_at": None}, "signed_before_payment"),
    ({"signed_at": SHIPPED - M}, "signed_before_shipment"),
])
def test_impossible_times(kw: dict[str, Any], problem: str) -> None:
    found = detect(view(**kw))
    assert [f.evidence["problem"] for f in kinds(found, "data.impossible_time")] == [problem]


def test_a_scan_from_before_payment_is_not_a_collection() -> None:
    # A reused tracking number usually brings the other parcel's old scans with it.
    found = detect(view(scans=(scan("collected", PAID - 24 * H), scan("delivered", PAID - 2 * H, "CN-BJ"))))
    assert {"data.impossible_time", "late_shipment", "fake_shipment.no_carrier_scan"} <= {f.kind for f in found}


def test_scan_views_from_model_scans() -> None:
    s = Scan("YTO", "YT1", "collected", "Hangzhou", T0)
    assert ScanView.of(s, "CN-ZJ-HZ") == ScanView("YTO", "YT1", "collected", "Hangzhou", T0, "CN-ZJ-HZ")


# --- listings --------------------------------------------------------------------------------------------------

def late_order(n: int, day: int, listing: str = "L1") -> OrderView:
    return view(f"o{n}", paid_at=PAID + day * 24 * H, listing_ids=(listing,), shipped_at=None, tracking_no=None)


@pytest.mark.parametrize(("days", "flags"), [
    ((0, 1), 0),                       # two late shipments: not more than 2
    ((0, 1, 2), 1),
    ((0, 29, 30), 0),                  # the first one falls out of the 30-day window (window is (at − 30 d, at])
    ((0, 1, 29), 1),
    ((0, 1, 2, 3, 4, 5), 1),           # one flag per episode
    ((0, 1, 2, 40, 41, 42), 2),        # a new episode after the count came back under the limit
    ((0, 1, 2, 3, 4), 1),
])
def test_more_than_two_late_shipments_flag_the_listing(days: tuple[int, ...], flags: int) -> None:
    orders = [late_order(i, d) for i, d in enumerate(days)]
    found = kinds(detect_batch(orders, RB, LATER + 30 * 24 * H), "listing.repeated_late")
    assert len(found) == flags
    if flags:
        third = orders[2]
        assert found[0].subject_type == "listing" and found[0].subject_id == "L1"
        assert found[0].at == third.promise.ship_by and found[0].evidence["late_orders"] == ["o0", "o1", "o2"]


def test_late_shipments_on_other_listings_do_not_count() -> None:
    orders = [late_order(0, 0, "L1"), late_order(1, 0, "L2"), late_order(2, 1, "L1")]
    assert not kinds(detect_batch(orders, RB, LATER), "listing.repeated_late")


def test_listing_keeps_selling_past_what_it_ships_on_time() -> None:
    overdue = [view(f"o{i}", paid_at=PAID + i * H, shipped_at=None, tracking_no=None) for i in range(3)]
    t = PAID + 2 * H + 48 * H + M  # all three are now past ship-by and uncollected
    newer = [view("o8", paid_at=t), view("o9", paid_at=t + H)]
    found = kinds(detect_batch([*overdue, *newer], RB, LATER), "listing.oversold")
    assert [(f.subject_id, f.at) for f in found] == [("L1", t)]  # one finding for the episode
    assert found[0].evidence["overdue_orders"] == ["o0", "o1", "o2"]
    # One of them collected in time: only two overdue, below the threshold of three.
    shipped = dataclasses.replace(overdue[1], scans=(scan("collected", PAID + 10 * H),))
    assert not kinds(detect_batch([overdue[0], shipped, overdue[2], *newer], RB, LATER), "listing.oversold")
    # Paid just before the third went overdue: not yet.
    early = view("o7", paid_at=PAID + 2 * H + 48 * H)
    assert not kinds(detect_batch([*overdue, early], RB, LATER), "listing.oversold")


# --- identity and idempotence ----------------------------------------------------------------------------------

def world() -> list[OrderView]:
    return [
        view("o1", scans=delivered_path(PAID + 3 * H)),
        view("o2", shop_id="s2", consumer_id="c2", tracking_no="T-o1", shipped_at=PAID + 5 * H,
             scans=(scan("collected", PAID - H, tracking="T-o1"),)),
        view("o3", scans=(scan("collected", T0), scan("collected", T0), scan("returned", T0 + 80 * H, "CN-BJ"))),
        view("o4", scans=(scan("in_transit", T0 + 5 * H), scan("collected", T0))),
        *[late_order(n, n - 5, "L2") for n in range(5, 10)],
        view("o10", paid_at=PAID + 8 * 24 * H, listing_ids=("L2", "L1")),
    ]


def test_incremental_and_batch_give_identical_findings() -> None:
    views = world()
    batch = detect_batch(views, RB, LATER)
    incremental = {f.finding_id: f for v in views
                   for f in detect_order(v, RB, LATER, peers=[p for p in views if p is not v])}
    assert sorted(incremental.values(), key=lambda f: (f.at, f.finding_id)) == batch
    assert {f.kind for f in batch} >= {"late_shipment", "fake_shipment.tracking_reused", "data.duplicate_scan",
                                       "data.scan_out_of_order", "data.impossible_time", "parcel.exception",
                                       "listing.repeated_late", "listing.oversold", "parcel.stalled"}
    assert {f.kind for f in batch} <= set(KINDS)


def test_detection_is_idempotent_and_ids_are_stable() -> None:
    a, b = detect_batch(world(), RB, LATER), detect_batch(list(reversed(world())), RB, LATER)
    assert a == b and len({f.finding_id for f in a}) == len(a)
    late = kinds(detect(view()), "late_shipment")[0]
    assert late.finding_id == finding_id("late_shipment", "order:o1", "ship_by")
    # A later run sees the same late shipment, at the same moment, under the same id.
    assert kinds(detect(view(), LATER + 99 * H), "late_shipment") == [late]
    assert late.as_dict()["at"] == SHIP_BY.isoformat()


statuses = st.sampled_from(["collected", "in_transit", "out_for_delivery", "delivered", "lost", "weird"])
offsets = st.integers(min_value=-10, max_value=400)


@given(st.lists(st.tuples(statuses, offsets), min_size=0, max_size=8), st.randoms(use_true_random=False),
       st.integers(min_value=0, max_value=3))
def test_arrival_order_and_duplicates_never_change_the_verdicts(raw, rng, dupes) -> None:  # type: ignore[no-untyped-def]
    scans = [scan(s, PAID + h * H, "CN-BJ" if s in ("out_for_delivery", "delivered") else "CN-ZJ") for s, h in raw]
    base = {f.finding_id for f in detect(view(scans=tuple(sorted(scans, key=lambda s: s.scanned_at))))
            if not f.kind.startswith("data.")}
    shuffled = scans + scans[:dupes]
    rng.shuffle(shuffled)
    found = detect(view(scans=tuple(shuffled)))
    assert {f.finding_id for f in found if not f.kind.startswith("data.")} == base
    assert all(f.at <= LATER or f.kind == "data.impossible_time" for f in found)


@pytest.mark.parametrize("due", [0, 1, 2])
def test_listing_peers_summed_up_give_the_same_listing_findings(due: int) -> None:
    """The pass judges some orders whole and counts the rest of the listing by their collection time only."""
    orders = [late_order(i, d) for i, d in enumerate((0, 1, 2))]
    full = kinds(detect_batch(orders, RB, LATER), "listing.repeated_late")
    peers = [ListingPeer(dataclasses.replace(v, scans=()), None) for i, v in enumerate(orders) if i != due]
    partial = kinds(detect_batch([orders[due]], RB, LATER, listing_peers=peers), "listing.repeated_late")
    assert [f.finding_id for f in partial] == [f.finding_id for f in full] and len(full) == 1
