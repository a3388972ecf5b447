"""Enrolment and the worry-free tag on a real database (SQLite; PostgreSQL with ANXIN_TEST_DATABASE_URL): decisions
stored with reasons, the tag gained when a lot passes and lost when stock reaches zero, the job, governance's
violations read model, the shop's figures from orders and complaints, and concurrent enrolments of one listing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import yaml
from tests.concurrency import at_once
from tests.db.builders import T0, D, H, category, complaint, event, listing, order_paid, shipped, shop

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.governance.events import ViolationRecorded, ViolationReversed
from anxin.worryfree import service as wf
from anxin.worryfree.tag_error_codes import TagErrorCode as E
from anxin.worryfree.tag_rules import DEFAULT_TAG_RULEBOOK, parse_tag_rules
from anxin.worryfree.tag_store import EnrolmentRow, TagHistoryRow
from anxin.worryfree.tags import shop_figures

pytestmark = pytest.mark.db

M1 = Principal("k1", Role.MERCHANT, "m1")
M2 = Principal("k2", Role.MERCHANT, "m2")
OPS = Principal("k3", Role.OPERATOR, "ops")


def rules(**tag_window: object):
    raw = yaml.safe_load(DEFAULT_TAG_RULEBOOK.read_text())
    raw["tag"]["window"].update(tag_window)
    return parse_tag_rules(raw)


@pytest.fixture
def wfa(anxin):
    """anxin with the rates waived below 20 orders and every shop scored 85.00 (band good)."""
    anxin.wf_tags.rules = rules(too_few_orders="waive")
    anxin.wf_tags.score = lambda uow, shop_id: 8500
    anxin.ingestion.ingest([category("food", tags=["food"]), category("food-snacks", parent_id="food"),
                            category("3c"), shop("s1", "m1"), shop("s2", "m2"),
                            listing("l1", "s1", "food-snacks"), listing("l2", "s1", "3c"),
                            listing("l3", "s2", "food-snacks")])
    return anxin


def lot(anxin, lot_id: str, listing_id: str = "l1", quantity: int = 2, at: dt.datetime = T0) -> None:
    result = anxin.ingestion.ingest([event("warehouse.lot_received", {
        "lot_id": lot_id, "listing_id": listing_id, "quantity": quantity, "produced_on": "2026-10-01",
        "expires_on": "2027-10-01", "supplier_id": "sup1", "received_at": at.isoformat()}, at=at)])
    assert result.applied == 1, result
    with anxin.uow_factory() as uow:
        wf.set_lot_verdict(uow, lot_id, status="passed", units_removed=0, at=at)
        uow.commit()
    anxin.process_events()


def view(anxin, listing_id: str = "l1", who: Principal = M1):
    return anxin.wf_tags.listing_view(who, listing_id)


def test_enrolment_is_decided_by_rule_and_a_refusal_is_stored(wfa):
    with pytest.raises(AnxinError) as refused:
        wfa.wf_enrolments.enrol(M1, "l2")  # category 3c is not eligible
    assert refused.value.code is E.NOT_ELIGIBLE
    assert refused.value.details["reasons"] == ["category_not_eligible"]
    assert refused.value.details["failed_rule_ids"] == ["enrol.category"]
    assert view(wfa, "l2")["enrolment"]["state"] == "refused"

    out, decided = wfa.wf_enrolments.enrol(M1, "l1")  # food-snacks under food: eligible by the ancestor
    assert decided and out["state"] == "active" and out["outcome"] == "eligible"
    assert out["facts"]["category_chain"] == ["food-snacks", "food"] and out["rulebook_version"]
    again, decided = wfa.wf_enrolments.enrol(M1, "l1")
    assert not decided and again["version"] == out["version"]

    with pytest.raises(AnxinError) as other:
        wfa.wf_enrolments.enrol(M2, "l1")  # not m2's listing
    assert other.value.code is E.LISTING_NOT_FOUND
    with pytest.raises(AnxinError) as missing:
        wfa.wf_enrolments.enrol(M1, "nope")
    assert missing.value.code is E.LISTING_NOT_FOUND


def test_score_band_decides_enrolment_and_refused_can_be_decided_again(wfa):
    wfa.wf_tags.score = lambda uow, shop_id: 7999
    with pytest.raises(AnxinError) as refused:
        wfa.wf_enrolments.enrol(M1, "l1")
    assert refused.value.details["reasons"] == ["score_band_below"]
    wfa.wf_tags.score = lambda uow, shop_id: 8000
    out, decided = wfa.wf_enrolments.enrol(M1, "l1")
    assert decided and out["state"] == "active" and out["version"] == 2


def test_the_tag_is_gained_when_a_lot_passes_and_lost_when_stock_reaches_zero(wfa):
    wfa.wf_enrolments.enrol(M1, "l1")
    first = view(wfa)["tag"]
    assert first["tagged"] is False and first["reasons"] == ["stock_empty"] and first["trigger"] == "enrolment"
    assert view(wfa)["history"] == []  # a first untagged state is not a loss

    lot(wfa, "lot1", quantity=2)
    got = view(wfa)
    assert got["tag"]["tagged"] is True and got["tag"]["trigger"] == "lot_passed"
    assert got["history"][0]["change"] == "gained" and got["stock"]["available"] == 2
    assert [u["rule_id"] for u in got["upgrades"]][:1] == ["G.WORRY_FREE_INSTANT_REFUND"]

    wfa.worryfree.hold("o1", [("l1", 2)])  # a checkout takes the last units
    wfa.process_events()
    got = view(wfa)
    assert got["tag"]["tagged"] is False and got["tag"]["reasons"] == ["stock_empty"]
    assert got["tag"]["trigger"] == "stock_depleted"
    assert [h["change"] for h in got["history"]] == ["lost", "gained"]
    assert got["history"][0]["rule_ids"] == ["tag.stock"]


def test_withdrawal_loses_the_tag_and_the_job_re_evaluates(wfa, clock):
    wfa.wf_enrolments.enrol(M1, "l1")
    lot(wfa, "lot1")
    assert view(wfa)["tag"]["tagged"] is True
    wfa.wf_tags.score = lambda uow, shop_id: 6000  # the shop's score falls: the job takes the tag
    assert wfa.wf_tags.run_due() == 1
    tag = view(wfa)["tag"]
    assert tag["tagged"] is False and tag["reasons"] == ["score_band_below"] and tag["trigger"] == "job"
    wfa.wf_tags.score = lambda uow, shop_id: 9500
    wfa.wf_tags.run_due()
    assert view(wfa)["tag"]["tagged"] is True
    out = wfa.wf_enrolments.withdraw(M1, "l1")
    assert out["state"] == "withdrawn"
    got = view(wfa)
    assert got["tag"]["tagged"] is False and got["tag"]["reasons"] == ["not_enrolled"]
    assert [h["change"] for h in got["history"]] == ["lost", "gained", "lost", "gained"]
    assert wfa.wf_tags.run_due() == 0  # withdrawn listings are not evaluated
    with pytest.raises(AnxinError) as twice:
        wfa.wf_enrolments.withdraw(M1, "l1")
    assert twice.value.code is E.NOT_ENROLLED


def violation(vid: str, shop_id: str, cls: str, at: dt.datetime) -> ViolationRecorded:
    return ViolationRecorded(violation_id=vid, kind="counterfeit", violation_class=cls, subject=f"shop:{shop_id}",
                             shop_id=shop_id, creator_id=None, points_hundredths=1200, source_type="finding",
                             source_id="f1", decision_id="d1", recorded_at=at)


def test_severe_violations_from_governance_refuse_enrolment_until_reversed(wfa, clock):
    with wfa.uow_factory() as uow:
        wfa.wf_enrolments.on_violation_recorded(violation("v1", "s1", "severe", clock.now() - 10 * D), uow)
        wfa.wf_enrolments.on_violation_recorded(violation("v1", "s1", "severe", clock.now() - 10 * D), uow)  # again
        wfa.wf_enrolments.on_violation_recorded(violation("v2", "s1", "general", clock.now() - D), uow)
        uow.commit()
    with pytest.raises(AnxinError) as refused:
        wfa.wf_enrolments.enrol(M1, "l1")
    assert refused.value.details["reasons"] == ["severe_violation_recent"]
    with wfa.uow_factory() as uow:
        wfa.wf_enrolments.on_violation_reversed(ViolationReversed(
            violation_id="v1", kind="counterfeit", shop_id="s1", creator_id=None, cause_type="appeal",
            cause_id="a1", decision_id="d2", reversed_at=clock.now() - D), uow)
        uow.commit()
    out, _ = wfa.wf_enrolments.enrol(M1, "l1")
    assert out["state"] == "active"


def test_severe_violations_arrive_through_the_bus(wfa, clock):
    with wfa.uow_factory() as uow:
        uow.record(violation("v9", "s1", "severe", clock.now() - D))
        uow.commit()
    wfa.process_events()
    with pytest.raises(AnxinError):
        wfa.wf_enrolments.enrol(M1, "l1")


def test_shop_figures_count_shipping_within_24_hours_and_complaints(wfa, clock):
    now = clock.now()
    events = []
    for n, ship_after in enumerate([H, 24 * H, 24 * H + dt.timedelta(seconds=1), None]):
        paid = now - 5 * D + n * H
        events.append(order_paid(f"o{n}", shop_id="s1", items=[{"listing_id": "l1", "qty": 1, "price_fen": 100}],
                                 paid_at=paid))
        if ship_after is not None:
            events.append(shipped(f"o{n}", tracking_no=f"T{n}", shipped_at=paid + ship_after))
    events.append(order_paid("o-recent", shop_id="s1", items=[{"listing_id": "l1", "qty": 1, "price_fen": 100}],
                             paid_at=now - H))  # its 24 hours have not passed: not judged yet
    events.append(order_paid("o-old", shop_id="s1", items=[{"listing_id": "l1", "qty": 1, "price_fen": 100}],
                             paid_at=now - 31 * D))  # before the window
    events.append(complaint("cp1", "o0", filed_at=now - D))
    result = wfa.ingestion.ingest(events)
    assert not result.rejected, result.as_dict()
    with wfa.uow_factory() as uow:
        fig = shop_figures(uow, wfa.wf_tags.rules, "s1", now, lambda u, s: None)
    assert (fig.orders, fig.shipped_within, fig.paid_orders, fig.complaints, fig.score_x100) == (4, 2, 5, 1, None)


def test_concurrent_enrolments_of_one_listing_make_one_enrolment(wfa, engine):
    results = at_once(6, lambda i: wfa.wf_enrolments.enrol(M1 if i % 2 else OPS, "l1"))
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(1 for _, decided in results if decided) == 1
    assert {out["state"] for out, _ in results} == {"active"}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(EnrolmentRow)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(TagHistoryRow)).scalar() == 0
