"""The stock's pure rules, table-driven at every edge: shelf-life shares, FEFO plans, the rulebook's minimums by
category tag, the local ship day, and the warehouse promise."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from anxin.orders.fulfilment_rules import load_fulfilment_rulebook
from anxin.orders.promise import PromiseInput, PromiseItem, promise_for
from anxin.worryfree.model import Lot, LotStatus, merge_items, plan_fefo, shelf_life_share
from anxin.worryfree.rules import WorryFreeRulebookError, packaged_rules, parse_worryfree_rules

D = dt.date
T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("produced", "expires", "day", "share"), [
    (D(2026, 1, 1), D(2026, 4, 11), D(2026, 1, 1), Fraction(1)),  # the day it was made
    (D(2026, 1, 1), D(2026, 4, 11), D(2025, 12, 1), Fraction(1)),  # before: never more than all of it
    (D(2026, 1, 1), D(2026, 4, 11), D(2026, 3, 2), Fraction(40, 100)),
    (D(2026, 1, 1), D(2026, 4, 11), D(2026, 4, 10), Fraction(1, 100)),
    (D(2026, 1, 1), D(2026, 4, 11), D(2026, 4, 11), Fraction(0)),  # expires that day
    (D(2026, 1, 1), D(2026, 4, 11), D(2026, 5, 1), Fraction(0)),  # expired
    (D(2026, 1, 1), D(2026, 1, 1), D(2026, 1, 1), Fraction(0)),  # no shelf life at all
])
def test_shelf_life_share(produced, expires, day, share):
    assert shelf_life_share(produced, expires, day) == share


def _lot(lot_id: str, avail: int, expires: D, *, status: LotStatus = LotStatus.PASSED, hour: int = 0,
         produced: D = D(2026, 1, 1)) -> Lot:
    return Lot(lot_id, "l1", "s1", "sup", avail, produced, expires, T0 + dt.timedelta(hours=hour), status,
               units_available=avail)


@pytest.mark.parametrize(("wanted", "picks", "short"), [
    (1, [("a", 1)], 0), (2, [("a", 2)], 0), (3, [("a", 2), ("b", 1)], 0), (5, [("a", 2), ("b", 3)], 0),
    (6, [("a", 2), ("b", 3)], 1),
])
def test_fefo_plans_take_the_first_expiring_first(wanted, picks, short):
    lots = [_lot("b", 3, D(2026, 12, 31)), _lot("a", 2, D(2026, 12, 1)), _lot("z", 9, D(2026, 12, 1),
                                                                            status=LotStatus.INSPECTING)]
    plan = plan_fefo("l1", wanted, lots, ship_day=D(2026, 11, 3), min_share=Fraction(0))
    assert [(p.lot_id, p.quantity) for p in plan.picks] == picks and plan.short == short


def test_fefo_ties_break_by_arrival_then_lot_id_and_skip_short_shelf_life():
    lots = [_lot("c", 1, D(2026, 12, 1), hour=1), _lot("b", 1, D(2026, 12, 1), hour=1),
            _lot("a", 1, D(2026, 12, 1), hour=2), _lot("old", 5, D(2026, 11, 10))]
    plan = plan_fefo("l1", 3, lots, ship_day=D(2026, 11, 3), min_share=Fraction(1, 20))
    assert [p.lot_id for p in plan.picks] == ["b", "c", "a"] and plan.skipped_shelf_life == ("old",)


@pytest.mark.parametrize(("left", "minimum", "taken"), [(33, "0.33", True), (32, "0.33", False),
                                                       (50, "0.5", True), (49, "0.5", False)])
def test_a_share_exactly_at_the_minimum_is_kept(left, minimum, taken):
    ship = D(2026, 11, 3)
    expires = ship + dt.timedelta(days=left)
    lot = _lot("a", 1, expires, produced=expires - dt.timedelta(days=100))
    plan = plan_fefo("l1", 1, [lot], ship_day=ship, min_share=Fraction(minimum))
    assert bool(plan.picks) is taken


def test_merge_items_adds_the_same_listing_and_refuses_non_positive():
    assert merge_items([("a", 1), ("b", 2), ("a", 3)]) == [("a", 4), ("b", 2)]
    with pytest.raises(ValueError):
        merge_items([("a", 0)])


@pytest.mark.parametrize(("tags", "tag", "share"), [
    (frozenset(), "default", Fraction(33, 100)), (frozenset({"3c"}), "default", Fraction(33, 100)),
    (frozenset({"food"}), "food", Fraction(1, 2)), (frozenset({"cosmetics", "fresh"}), "fresh", Fraction(1, 2)),
    (frozenset({"food", "fresh"}), "food", Fraction(1, 2)),  # a tie: the first by name
])
def test_the_strictest_listed_tag_sets_the_minimum_at_shipment(tags, tag, share):
    assert packaged_rules().min_at_shipment(tags) == (tag, share)


def test_inbound_minimums_and_the_local_day():
    rules = packaged_rules()
    assert rules.min_at_inbound(frozenset({"fresh"})) == ("fresh", Fraction(7, 10))
    assert rules.local_day(dt.datetime(2026, 11, 2, 15, 59, tzinfo=dt.UTC)) == D(2026, 11, 2)
    assert rules.local_day(dt.datetime(2026, 11, 2, 16, 0, tzinfo=dt.UTC)) == D(2026, 11, 3)  # midnight in Beijing
    assert rules.checkout_hold == dt.timedelta(minutes=15)


BASE = {"kind": "worryfree", "version": "v", "effective_from": "2026-12-01T00:00:00+08:00",
        "local_utc_offset_hours": 8, "stock": {"checkout_hold_minutes": 15},
        "shelf_life": {"default": {"at_inbound": 0.5, "at_shipment": 0.33}}}


@pytest.mark.parametrize(("change", "problem"), [
    ({"shelf_life": {"food": {"at_inbound": 0.5, "at_shipment": 0.33}}}, "default"),
    ({"shelf_life": {"default": {"at_inbound": 0.3, "at_shipment": 0.33}}}, "must not exceed at_inbound"),
    ({"shelf_life": {"default": {"at_inbound": 1.5, "at_shipment": 0.33}}}, "at_inbound"),
    ({"stock": {"checkout_hold_minutes": 0}}, "checkout_hold_minutes"),
    ({"kind": "fulfilment"}, "kind"),
])
def test_a_bad_rulebook_names_its_problem(change, problem):
    with pytest.raises(WorryFreeRulebookError) as err:
        parse_worryfree_rules({**BASE, **change})
    assert problem in str(err.value)


def test_a_minimal_rulebook_loads():
    assert parse_worryfree_rules(BASE).min_at_shipment(frozenset({"food"})) == ("default", Fraction(33, 100))


@pytest.mark.parametrize(("hold", "basis", "hours", "exemption"), [
    (False, "warehouse", 24, None), (True, "warehouse", 24, "consumer_hold")])
def test_a_warehouse_order_is_promised_within_the_warehouse_window(hold, basis, hours, exemption):
    rb = load_fulfilment_rulebook()
    p = promise_for(PromiseInput("o1", T0, (PromiseItem("l1"), PromiseItem("l2", 2)), consumer_hold=hold,
                                 from_warehouse=True), [], rb)
    assert (p.basis, p.rule_id, p.ship_by, p.exemption) == (basis, "fulfilment.warehouse",
                                                            T0 + dt.timedelta(hours=hours), exemption)
    assert {i.basis for i in p.items} == {"warehouse"}
    assert promise_for(PromiseInput("o1", T0, (PromiseItem("l1"),)), [], rb).basis == "in_stock_default"
