"""A lucky bag end to end with the real programme (SQLite; PostgreSQL with ANXIN_TEST_DATABASE_URL): a listing
enrolled, stocked, inspected and tagged is given away; the prize ships late from the warehouse: the lateness is the
platform's (no points, no violation for the shop)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.db.builders import MIN, D, H
from tests.db.test_wf_guarantees_flow import tagged  # noqa: F401  (the fixture: l1 enrolled and tagged)

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.orders import service as orders
from anxin.worryfree.lucky_bag_error_codes import LuckyBagErrorCode as E
from anxin.worryfree.lucky_bags import NewBag, NewEntry

pytestmark = pytest.mark.db

CREATOR = Principal("k_cr", Role.CREATOR, "cr1")
PLATFORM = Principal("k_pf", Role.PLATFORM, "platform")


def test_a_tagged_listing_given_away_and_its_late_prize_is_the_platforms(tagged, clock, engine):  # noqa: F811
    opens = clock.now()
    with pytest.raises(AnxinError) as exc:  # l2 is the shop's own listing, not tagged
        tagged.lucky_bags.create(CREATOR, NewBag("room1", "s1", (("l2", 1),), opens, opens + H))
    assert exc.value.code is E.NOT_TAGGED
    bag = tagged.lucky_bags.create(CREATOR, NewBag("room1", "s1", (("l1", 2),), opens, opens + H, title="福袋"))
    clock.set(opens + MIN)
    for c in ("c1", "c2", "c3"):
        tagged.lucky_bags.enter(PLATFORM, bag["bag_id"], NewEntry(c, "CN-ZJ-HZ", opens + MIN))
    clock.set(opens + H)
    drawn, _ = tagged.lucky_bags.draw(CREATOR, bag["bag_id"])
    prize_ids = [w["order_id"] for w in drawn["winners"]]
    assert len(prize_ids) == 2
    clock.set(opens + H + 4 * D)  # nobody shipped them: late against the 24-hour warehouse promise
    tagged.fulfilment.check_due()
    tagged.process_events()
    with engine.connect() as conn:
        rows = {r.order_id: r for r in conn.execute(sa.text(
            "SELECT order_id, points, points_rule_id FROM late_shipment_consequences"))}
        violations = [r.source_id for r in conn.execute(sa.text(
            "SELECT source_id FROM governance_violations WHERE kind = 'late_shipment'"))]
    assert {o: (rows[o].points, rows[o].points_rule_id) for o in prize_ids} == {
        o: (0, "F.CONSEQ.WAREHOUSE_LATE") for o in prize_ids}
    assert violations == []
    with tagged.uow_factory() as uow:
        assert all(orders.get_order(uow, o).prize_of == bag["bag_id"] for o in prize_ids)
