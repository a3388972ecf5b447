"""Ship-by promises: the default, the shorter listing promise, presale, tiers, several items, exemptions."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from anxin.orders.fulfilment_rules import (
    DEFAULT_FULFILMENT_RULEBOOK,
    load_fulfilment_rulebook,
    parse_fulfilment_rulebook,
)
from anxin.orders.promise import (
    ListingPromise,
    PromiseInput,
    PromiseInputError,
    PromiseItem,
    Tiers,
    promise_for,
)

RB = load_fulfilment_rulebook()
PAID = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
H = dt.timedelta(hours=1)


def order(*items: tuple[str, int], **kw: object) -> PromiseInput:
    return PromiseInput("o1", PAID, tuple(PromiseItem(lid, qty) for lid, qty in items or (("L1", 1),)), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("listing", "hours", "basis", "rule_id"), [
    (None, 48, "in_stock_default", "F.PROMISE.IN_STOCK"),
    (ListingPromise("L1"), 48, "in_stock_default", "F.PROMISE.IN_STOCK"),
    (ListingPromise("L1", page_hours=24), 24, "listing_shorter", "F.PROMISE.LISTING_SHORTER"),
    (ListingPromise("L1", setting_hours=36), 36, "listing_shorter", "F.PROMISE.LISTING_SHORTER"),
    # Page and setting disagree: the shorter applies, whichever side it is on.
    (ListingPromise("L1", page_hours=24, setting_hours=36), 24, "listing_shorter", "F.PROMISE.LISTING_SHORTER"),
    (ListingPromise("L1", page_hours=36, setting_hours=24), 24, "listing_shorter", "F.PROMISE.LISTING_SHORTER"),
    # A listing may promise less, never more; equal is simply the default.
    (ListingPromise("L1", page_hours=72), 48, "in_stock_default", "F.PROMISE.IN_STOCK"),
    (ListingPromise("L1", page_hours=48, setting_hours=96), 48, "in_stock_default", "F.PROMISE.IN_STOCK"),
    (ListingPromise("L1", page_hours=47), 47, "listing_shorter", "F.PROMISE.LISTING_SHORTER"),
])
def test_in_stock_promises(listing, hours, basis, rule_id) -> None:  # type: ignore[no-untyped-def]
    p = promise_for(order(), [listing] if listing else [], RB)
    assert (p.ship_by, p.basis, p.rule_id, p.exemption) == (PAID + hours * H, basis, rule_id, None)
    assert p.rulebook_version == RB.version and p.judged_ship_by == p.ship_by


def test_presale_has_its_explicit_date_and_is_marked_exempt_until_then() -> None:
    date = PAID + dt.timedelta(days=10)
    p = promise_for(order(), [ListingPromise("L1", page_hours=24, presale_ship_by=date)], RB)
    assert (p.ship_by, p.basis, p.exemption, p.exemption_rule_id) == (date, "presale_date", "presale_before_date",
                                                                       "F.EXEMPT.PRESALE")
    assert p.judged_ship_by == date  # presale moves the deadline, it does not suspend judging


@pytest.mark.parametrize("date", [PAID, PAID - H])
def test_a_presale_date_already_past_is_judged_as_in_stock(date: dt.datetime) -> None:
    p = promise_for(order(), [ListingPromise("L1", setting_hours=24, presale_ship_by=date)], RB)
    assert (p.ship_by, p.basis, p.exemption, p.notes) == (PAID + 24 * H, "listing_shorter", None,
                                                           ("presale_date_passed:L1",))


@pytest.mark.parametrize(("qty", "tiers", "hours", "basis"), [
    (5, Tiers(spot_remaining=5, presale_hours=240), 48, "tiered_spot"),           # the last spot units
    (6, Tiers(spot_remaining=5, presale_hours=240), 240, "tiered_presale"),      # one short: waits for presale
    (1, Tiers(spot_remaining=0, presale_hours=240), 240, "tiered_presale"),
    (1, Tiers(spot_remaining=3, spot_hours=24, presale_hours=240), 24, "tiered_spot"),
    (1, Tiers(spot_remaining=3, spot_hours=96, presale_hours=240), 48, "tiered_spot"),  # never more than 48 h
    (9, Tiers(spot_remaining=3, presale_ship_by=PAID + 100 * H), 100, "tiered_presale"),
])
def test_tiered_spot_then_presale(qty, tiers, hours, basis) -> None:  # type: ignore[no-untyped-def]
    p = promise_for(order(("L1", qty)), [ListingPromise("L1", tiers=tiers)], RB)
    assert (p.ship_by, p.basis, p.rule_id) == (PAID + hours * H, basis, f"F.PROMISE.{basis.upper()}")
    assert p.exemption == ("presale_before_date" if basis == "tiered_presale" else None)


def test_tiered_spot_respects_the_listing_page_promise_too() -> None:
    tiers = Tiers(spot_remaining=3, spot_hours=36, presale_hours=240)
    p = promise_for(order(), [ListingPromise("L1", page_hours=12, tiers=tiers)], RB)
    assert (p.ship_by, p.basis) == (PAID + 12 * H, "tiered_spot")


def test_several_items_the_earliest_item_promise_governs() -> None:
    listings = [ListingPromise("L1", presale_ship_by=PAID + 200 * H), ListingPromise("L2", page_hours=24),
                ListingPromise("L3")]
    p = promise_for(order(("L1", 1), ("L2", 1), ("L3", 2)), listings, RB)
    assert (p.ship_by, p.basis, p.exemption) == (PAID + 24 * H, "listing_shorter", None)
    assert [(i.listing_id, i.basis) for i in p.items] == [("L1", "presale_date"), ("L2", "listing_shorter"),
                                                          ("L3", "in_stock_default")]
    # All presale: the earliest presale date, and the order is marked presale.
    p = promise_for(order(("L1", 1), ("L4", 1)), [listings[0], ListingPromise("L4", presale_ship_by=PAID + 90 * H)], RB)
    assert (p.ship_by, p.exemption) == (PAID + 90 * H, "presale_before_date")


def test_ties_are_broken_by_item_order() -> None:
    p = promise_for(order(("L2", 1), ("L1", 1)), [ListingPromise("L1", page_hours=48)], RB)
    assert p.items[0].listing_id == "L2" and p.basis == "in_stock_default"


def test_consumer_hold_suspends_judging_but_keeps_the_promise() -> None:
    p = promise_for(order(consumer_hold=True), [], RB)
    assert (p.ship_by, p.exemption, p.exemption_rule_id, p.judged_ship_by) == (
        PAID + 48 * H, "consumer_hold", "F.EXEMPT.CONSUMER_HOLD", None)


def with_force_majeure(region: str, starts: dt.datetime, ends: dt.datetime):  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(yaml.safe_load(DEFAULT_FULFILMENT_RULEBOOK.read_text(encoding="utf-8")))
    raw["force_majeure"] = [{"region": region, "from": starts.isoformat(), "to": ends.isoformat(), "reason": "flood"}]
    return parse_fulfilment_rulebook(raw)


@pytest.mark.parametrize(("kw", "starts", "exempt"), [
    ({"destination_region": "CN-HB-WH"}, PAID + 47 * H, True),     # declared inside the shipping window
    ({"origin_region": "CN-HB"}, PAID + 47 * H, True),             # the shop's area counts too
    ({"destination_region": "CN-HB-WH"}, PAID + 48 * H, False),    # starts exactly at ship-by: no overlap
    ({"destination_region": "CN-ZJ"}, PAID + 1 * H, False),        # another region
    ({"destination_region": "CN-HB", "consumer_hold": True}, PAID, False),  # the hold is named first
])
def test_force_majeure(kw, starts, exempt) -> None:  # type: ignore[no-untyped-def]
    rb = with_force_majeure("CN-HB", starts, starts + dt.timedelta(days=3))
    p = promise_for(order(**kw), [], rb)
    assert (p.exemption == "force_majeure") is exempt
    assert p.ship_by == PAID + 48 * H
    if exempt:
        assert p.exemption_detail == "CN-HB: flood" and p.judged_ship_by is None


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda: (PromiseInput("o", PAID.replace(tzinfo=None), (PromiseItem("L1"),)), []), "paid_at"),
    (lambda: (PromiseInput("o", PAID, ()), []), "at least one item"),
    (lambda: (order(("L1", 0)), []), "items[0].qty"),
    (lambda: (order(), [ListingPromise("L1", page_hours=0)]), "L1.page_hours"),
    (lambda: (order(), [ListingPromise("L1", setting_hours=-5)]), "L1.setting_hours"),
    (lambda: (order(), [ListingPromise("L1", tiers=Tiers(1))]), "exactly one of"),
    (lambda: (order(), [ListingPromise("L1", tiers=Tiers(1, presale_hours=5, presale_ship_by=PAID))]),
     "exactly one of"),
    (lambda: (order(), [ListingPromise("L1", tiers=Tiers(-1, presale_hours=5))]), "spot_remaining"),
    (lambda: (order(), [ListingPromise("L1", presale_ship_by=PAID, tiers=Tiers(1, presale_hours=5))]),
     "inside tiers"),
    (lambda: (order(), [ListingPromise("L1", presale_ship_by=dt.datetime(2026, 12, 1))]), "presale_ship_by"),
])
def test_bad_input_is_refused_with_every_problem(make, fragment) -> None:  # type: ignore[no-untyped-def]
    facts, listings = make()
    with pytest.raises(PromiseInputError) as err:
        promise_for(facts, listings, RB)
    assert any(fragment in p for p in err.value.problems), err.value.problems


def test_same_facts_same_promise_and_a_plain_dict() -> None:
    listings = [ListingPromise("L1", page_hours=24)]
    a, b = promise_for(order(), listings, RB), promise_for(order(), listings, RB)
    assert a == b
    assert a.as_dict()["ship_by"] == "2026-11-03T02:00:00+00:00"
    assert a.as_dict()["items"][0]["basis"] == "listing_shorter"  # type: ignore[index]


hours = st.one_of(st.none(), st.integers(min_value=1, max_value=500))


@given(st.lists(st.tuples(hours, hours), min_size=1, max_size=5))
def test_in_stock_promise_is_never_later_than_the_default_and_is_the_earliest_item(pairs) -> None:  # type: ignore[no-untyped-def]
    listings = [ListingPromise(f"L{i}", page_hours=p, setting_hours=s) for i, (p, s) in enumerate(pairs)]
    p = promise_for(order(*((lp.listing_id, 1) for lp in listings)), listings, RB)
    assert PAID < p.ship_by <= PAID + 48 * H
    assert p.ship_by == min(i.ship_by for i in p.items)
    for item, (page, setting) in zip(p.items, pairs, strict=True):
        given_hours = [h for h in (page, setting) if h is not None]
        assert item.ship_by == PAID + min([48, *given_hours]) * H
