"""无忧服务's upgrades end to end (SQLite; PostgreSQL with ANXIN_TEST_DATABASE_URL): an order of a tagged listing
paid with stock reserved is worry-free and shipped from the warehouse; its instant refund reaches 1,000 yuan; when
it ships late the coupon is the platform's and the shop gets no points and no violation, unlike its own orders."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import yaml
from tests.db.builders import T0, D, H, category, event, item, listing, order_paid, shop

from anxin.aftersales.service import FileCase
from anxin.core.principal import Principal, Role
from anxin.orders import service as orders
from anxin.worryfree import service as wf
from anxin.worryfree.tag_rules import DEFAULT_TAG_RULEBOOK, parse_tag_rules

pytestmark = pytest.mark.db

M1 = Principal("k1", Role.MERCHANT, "m1")


@pytest.fixture
def tagged(anxin):
    """s1's listing l1 enrolled and tagged with 5 passed units; l2 is the shop's own, not enrolled."""
    anxin.wf_tags.score = lambda uow, shop_id: 9000
    raw = yaml.safe_load(DEFAULT_TAG_RULEBOOK.read_text())
    raw["tag"]["window"]["too_few_orders"] = "waive"
    anxin.wf_tags.rules = parse_tag_rules(raw)
    result = anxin.ingestion.ingest([category("food", tags=["food"]), shop("s1", "m1"),
                                     listing("l1", "s1", "food", price_fen=50000),
                                     listing("l2", "s1", "food", price_fen=50000)])
    assert not result.rejected
    anxin.wf_enrolments.enrol(M1, "l1")
    anxin.ingestion.ingest([event("warehouse.lot_received", {
        "lot_id": "lot1", "listing_id": "l1", "quantity": 5, "produced_on": "2026-10-01",
        "expires_on": "2027-10-01", "supplier_id": "sup1", "received_at": T0.isoformat()})])
    with anxin.uow_factory() as uow:
        wf.set_lot_verdict(uow, "lot1", status="passed", units_removed=0, at=T0)
        uow.commit()
    anxin.process_events()
    assert anxin.wf_tags.listing_view(M1, "l1")["tag"]["tagged"] is True
    return anxin


def test_a_worry_free_order_gets_the_instant_refund_up_to_1000_yuan(tagged, clock):
    result = tagged.ingestion.ingest([order_paid("o1", shop_id="s1", items=[item("l1", 1, 50000)], paid_at=T0 + H),
                                      order_paid("o2", shop_id="s1", items=[item("l2", 1, 50000)], paid_at=T0 + H)])
    assert not result.rejected
    with tagged.uow_factory() as uow:
        o1, o2 = orders.get_order(uow, "o1"), orders.get_order(uow, "o2")
    assert (o1.worry_free, o1.fulfilled_from) == (True, "warehouse")
    assert (o2.worry_free, o2.fulfilled_from) == (False, None)
    clock.set(T0 + 2 * H)
    consumer = tagged.access.create_key("consumer", "c1")[0]
    wfc = tagged.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 50000))
    own = tagged.aftersales.file_case(consumer, FileCase("o2", "refund_only", "other", 50000))
    assert wfc.case.guarantee_id == "G.WORRY_FREE_INSTANT_REFUND" and wfc.case.state.value == "refunded"
    assert wfc.decision["facts"]["worry_free"] is True and wfc.decision["facts"]["fulfilled_from"] == "warehouse"
    assert own.case.guarantee_id == "G.UNSHIPPED_REFUND"


def test_a_late_warehouse_order_is_the_platforms(tagged, clock, engine):
    result = tagged.ingestion.ingest([order_paid("o1", shop_id="s1", items=[item("l1", 1, 50000)], paid_at=T0 + H),
                                      order_paid("o2", shop_id="s1", items=[item("l2", 1, 50000)], paid_at=T0 + H)])
    assert not result.rejected
    clock.set(T0 + 4 * D)
    tagged.fulfilment.check_due()
    tagged.process_events()
    with engine.connect() as conn:
        rows = {r.order_id: r for r in conn.execute(sa.text(
            "SELECT order_id, points, coupon_fen, points_rule_id FROM late_shipment_consequences"))}
        violations = [r.source_id for r in conn.execute(sa.text(
            "SELECT source_id FROM governance_violations WHERE kind = 'late_shipment'"))]
    assert (rows["o1"].points, rows["o1"].points_rule_id) == (0, "F.CONSEQ.WAREHOUSE_LATE")
    assert rows["o2"].points == 10 and rows["o1"].coupon_fen == rows["o2"].coupon_fen > 0
    coupons = {m.payload["order_id"]: m.payload for m in tagged.outbox.list_messages(limit=100)
               if m.kind == "coupon.issue"}
    assert coupons["o1"]["funded_by"] == "platform" and "funded_by" not in coupons["o2"]
    assert len(violations) == 1  # the shop's own late order only
