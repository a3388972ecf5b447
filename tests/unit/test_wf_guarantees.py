"""无忧服务's upgraded guarantees at their edges: a worry-free order is refunded at once up to 1,000 yuan within 24 h
of payment while unshipped (G.WORRY_FREE_INSTANT_REFUND, whatever the shop opted into); a warehouse order's late
shipment is the platform's (no points for the shop, no governance violation)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from anxin.aftersales.policy import Claim, OrderFacts, Outcome, decide
from anxin.aftersales.rulebook import DEFAULT_RULEBOOK, load_rulebook
from anxin.fulfilment.consequences import PLATFORM, SHOP, WAREHOUSE_RULE_ID, LateOrder, responsible_for, warehouse_award
from anxin.fulfilment.events import LateShipmentRecorded
from anxin.governance.findings import late_with_points
from anxin.orders.fulfilment_rules import load_fulfilment_rulebook

RB = load_rulebook(DEFAULT_RULEBOOK)
PAID = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
H, M = dt.timedelta(hours=1), dt.timedelta(minutes=1)

WF = OrderFacts(order_id="o1", consumer_id="c1", shop_id="s1", merchant_id="m1", store_type="enterprise",
                shop_services=frozenset(), item_tags=frozenset(), paid_fen=50000, paid_at=PAID, shipped_at=None,
                signed_at=None, shipped=False, exemption_confirmed=False, worry_free=True, fulfilled_from="warehouse")


@pytest.mark.parametrize(("change", "at", "outcome", "guarantee"), [
    ({}, PAID + H, Outcome.APPROVED, "G.WORRY_FREE_INSTANT_REFUND"),
    ({"paid_fen": 99999}, PAID + H, Outcome.APPROVED, "G.WORRY_FREE_INSTANT_REFUND"),
    ({"paid_fen": 100000}, PAID + H, Outcome.PENDING_MERCHANT, "G.UNSHIPPED_REFUND"),
    ({}, PAID + 24 * H - M, Outcome.APPROVED, "G.WORRY_FREE_INSTANT_REFUND"),
    ({}, PAID + 24 * H, Outcome.PENDING_MERCHANT, "G.UNSHIPPED_REFUND"),
    ({"worry_free": False}, PAID + H, Outcome.PENDING_MERCHANT, "G.UNSHIPPED_REFUND"),
    ({"item_tags": frozenset({"virtual"})}, PAID + H, Outcome.PENDING_MERCHANT, "G.UNSHIPPED_REFUND"),
    ({"paid_fen": 9900, "shop_services": frozenset({"anxin_gou"})}, PAID + H, Outcome.APPROVED,
     "G.INSTANT_REFUND"),  # the shop's own instant refund comes first when it applies
])
def test_worry_free_instant_refund_edges(change, at, outcome, guarantee) -> None:  # type: ignore[no-untyped-def]
    facts = replace(WF, **change)
    d = decide(facts, Claim("refund_only", "other", facts.paid_fen, 0), RB, at, refundable_fen=facts.paid_fen,
               consumer_cases_30d=0)
    assert (d.outcome, d.guarantee_id) == (outcome, guarantee)
    assert d.facts["worry_free"] is facts.worry_free and d.facts["fulfilled_from"] == "warehouse"


def test_shipped_worry_free_order_is_not_refunded_at_once() -> None:
    facts = replace(WF, shipped=True, shipped_at=PAID + H)
    d = decide(facts, Claim("refund_only", "other", facts.paid_fen, 0), RB, PAID + 2 * H,
               refundable_fen=facts.paid_fen, consumer_cases_30d=0)
    assert d.guarantee_id != "G.WORRY_FREE_INSTANT_REFUND"


@pytest.mark.parametrize(("fulfilled_from", "responsible"), [("warehouse", PLATFORM), (None, SHOP), ("", SHOP)])
def test_who_is_responsible_for_a_late_shipment(fulfilled_from, responsible) -> None:  # type: ignore[no-untyped-def]
    assert responsible_for(fulfilled_from) == responsible


def test_a_warehouse_late_shipment_carries_no_points_and_no_violation() -> None:
    rb = load_fulfilment_rulebook()
    award = warehouse_award(LateOrder("o1", PAID), rb)
    assert (award.points, award.capped_by, award.rule_id) == (0, None, WAREHOUSE_RULE_ID)
    base = dict(order_id="o1", shop_id="s1", finding_id="f1", capped_by=None, points_rule_id="x", coupon_fen=500,
                late_at=PAID)
    assert late_with_points(LateShipmentRecorded(points_hundredths=10, **base))  # the shop's own
    assert not late_with_points(LateShipmentRecorded(points_hundredths=10, responsible=PLATFORM, **base))
    assert not late_with_points(LateShipmentRecorded(points_hundredths=0, **base))
