"""Inbound inspection end to end through the real use cases (SQLite; PostgreSQL with ANXIN_TEST_DATABASE_URL): a lot
received by ingestion gets its plan from the handler; shelf life below the minimum at receipt rejects it at once (at
the minimum exactly it is sampled); per-unit results decide at the acceptance number; a rejected lot tightens its
supplier's and category's next lots and becomes a governance violation; a lot is visible to its merchant and staff
only; two operators recording results at once make one verdict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.concurrency import all_at_once
from tests.db.builders import T0, category, event, listing, shop

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.worryfree.inspections import UnitIn

OPERATOR = Principal("k_op", Role.OPERATOR, "op-1")
OPERATOR_2 = Principal("k_op2", Role.OPERATOR, "op-2")
MERCHANT = Principal("k_m1", Role.MERCHANT, "m1")
OTHER_MERCHANT = Principal("k_m2", Role.MERCHANT, "m2")
CONSUMER = Principal("k_c1", Role.CONSUMER, "c1")
RECEIVED = T0  # 10:00 in Beijing, 2026-11-02
DAY = dt.date(2026, 11, 2)


def _seed(anxin: Any) -> None:
    result = anxin.ingestion.ingest([
        category("cat_food", tags=["food"]), category("cat_toys"), shop("s1", "m1"), shop("s2", "m2"),
        listing("l_food", "s1", "cat_food"), listing("l_food2", "s1", "cat_food"), listing("l_toy", "s1", "cat_toys"),
        listing("l_other", "s2", "cat_toys")])
    assert not result.rejected, result.as_dict()


def _lot(anxin: Any, lot_id: str, *, listing_id: str = "l_food", quantity: int = 60, days_left: int = 80,
         shelf_days: int = 100, supplier_id: str = "sup-a", at: dt.datetime = RECEIVED) -> dict[str, Any]:
    day = (at + dt.timedelta(hours=8)).date()
    expires = day + dt.timedelta(days=days_left)
    produced = expires - dt.timedelta(days=shelf_days)
    result = anxin.ingestion.ingest([event("warehouse.lot_received", {
        "lot_id": lot_id, "listing_id": listing_id, "quantity": quantity, "produced_on": produced.isoformat(),
        "expires_on": expires.isoformat(), "supplier_id": supplier_id, "received_at": at.isoformat()}, at=at)])
    assert not result.rejected, result.as_dict()
    anxin.process_events()
    return anxin.inspections.lot_view(OPERATOR, lot_id)  # type: ignore[no-any-return]


def _units(n: int, bad: set[int] = frozenset(), check: str = "labels") -> list[UnitIn]:  # type: ignore[assignment]
    return [UnitIn(i, {"outer_packaging": "fail" if i in bad and check == "outer_packaging" else "pass",
                       "labels": "fail" if i in bad and check == "labels" else "pass"}) for i in range(1, n + 1)]


def _violations(anxin: Any, shop_id: str) -> list[dict[str, Any]]:
    return anxin.governance.queries.list(OPERATOR, shop_id=shop_id,  # type: ignore[no-any-return]
                                         kind="worry_free_inbound_rejected")


# --- the plan ------------------------------------------------------------------------------------------------

def test_a_received_lot_gets_a_normal_plan_with_its_facts(anxin: Any) -> None:
    _seed(anxin)
    view = _lot(anxin, "lot-1", quantity=60)
    insp = view["inspection"]
    assert insp["status"] == "pending" and view["lot"]["status"] == "inspecting"
    assert (insp["plan"]["severity"], insp["plan"]["sample_size"], insp["plan"]["accept_number"]) == ("normal", 13, 1)
    assert insp["plan"]["rule_ids"] == ["inspection.plan.normal", "inspection.checks"]
    assert insp["plan"]["rulebook_version"] == "worryfree-inspection-2026.12.1"
    facts = insp["plan"]["facts"]
    assert facts["shelf_life_share"] == "4/5" and facts["shelf_life_tag"] == "food"
    assert facts["category_id"] == "cat_food" and facts["supplier_failures"] == 0
    assert insp["plan"]["checks"] == ["outer_packaging", "labels"]


def test_a_replayed_receipt_plans_nothing_new(anxin: Any) -> None:
    _seed(anxin)
    first = _lot(anxin, "lot-1")
    with anxin.uow_factory() as uow:
        again = anxin.inspections.plan(uow, "lot-1")
        uow.commit()
    planned = dt.datetime.fromisoformat(first["inspection"]["plan"]["planned_at"])
    assert again.planned_at == planned


# --- shelf life at receipt: the minimum exactly is sampled, one day less is rejected -------------------------

@pytest.mark.parametrize(("listing_id", "days_left", "outcome"), [
    ("l_food", 67, "pending"), ("l_food", 66, "rejected"),      # food: 0.67 of 100 days
    ("l_toy", 50, "pending"), ("l_toy", 49, "rejected"),        # default: 0.5
])
def test_shelf_life_at_inbound_edge(anxin: Any, listing_id: str, days_left: int, outcome: str) -> None:
    _seed(anxin)
    view = _lot(anxin, "lot-edge", listing_id=listing_id, days_left=days_left, shelf_days=100)
    insp = view["inspection"]
    assert insp["status"] == outcome
    if outcome == "rejected":
        assert view["lot"]["status"] == "rejected" and view["lot"]["units_available"] == 0
        v = insp["verdict"]
        assert v["reason_codes"] == ["shelf_life_at_inbound"]
        assert v["rule_ids"] == ["inspection.shelf_life_at_inbound", "worryfree.shelf_life.at_inbound"]
        assert v["facts"]["sampled"] is False
        assert (v["facts"]["shelf_life_days_left"], v["facts"]["shelf_life_days"]) == (days_left, 100)
        assert v["decided_at"] == RECEIVED.isoformat()
        assert len(_violations(anxin, "s1")) == 1
        with pytest.raises(AnxinError) as exc:
            anxin.inspections.record_results(OPERATOR, "lot-edge", _units(insp["plan"]["sample_size"]))
        assert exc.value.code.value == "worryfree.inspection.already_decided"
    else:
        assert view["lot"]["status"] == "inspecting" and _violations(anxin, "s1") == []


# --- the verdict at the acceptance number -------------------------------------------------------------------

@pytest.mark.parametrize(("defective", "outcome", "available"), [(0, "passed", 60), (1, "passed", 59),
                                                                  (2, "rejected", 0)])
def test_verdict_at_the_acceptance_number(anxin: Any, defective: int, outcome: str, available: int) -> None:
    _seed(anxin)
    _lot(anxin, "lot-1", quantity=60)  # n 13, Ac 1
    view = anxin.inspections.record_results(OPERATOR, "lot-1", _units(13, set(range(1, defective + 1))))
    insp = view["inspection"]
    assert insp["status"] == outcome and view["lot"]["status"] == outcome
    assert view["lot"]["units_available"] == available
    assert insp["verdict"]["defective_units"] == defective and insp["verdict"]["decided_by"] == "operator:op-1"
    assert insp["verdict"]["rule_ids"] == ["inspection.plan.normal", "inspection.verdict"]
    assert [u["unit_no"] for u in insp["units"]] == list(range(1, 14))
    assert sum(u["defective"] for u in insp["units"]) == defective
    assert len(_violations(anxin, "s1")) == (1 if outcome == "rejected" else 0)
    if outcome == "rejected":
        assert insp["verdict"]["reason_codes"] == ["defects_over_acceptance", "labels_failed"]


def test_results_must_match_the_plan(anxin: Any) -> None:
    _seed(anxin)
    _lot(anxin, "lot-1", quantity=60)
    with pytest.raises(AnxinError) as exc:
        anxin.inspections.record_results(OPERATOR, "lot-1", _units(12))
    assert exc.value.code.value == "worryfree.inspection.invalid_units"
    assert anxin.inspections.lot_view(OPERATOR, "lot-1")["inspection"]["status"] == "pending"


def test_only_staff_record_results(anxin: Any) -> None:
    _seed(anxin)
    _lot(anxin, "lot-1")
    with pytest.raises(AnxinError) as exc:
        anxin.inspections.record_results(MERCHANT, "lot-1", _units(13))
    assert exc.value.code.value == "access.forbidden_role"


# --- tightened after a failure -------------------------------------------------------------------------------

def test_a_rejected_lot_tightens_its_supplier_and_category_within_the_window(anxin: Any, clock: Any) -> None:
    _seed(anxin)
    _lot(anxin, "lot-bad", quantity=60, supplier_id="sup-a")
    anxin.inspections.record_results(OPERATOR, "lot-bad", _units(13, {1, 2}))  # rejected at T0
    later = RECEIVED + dt.timedelta(days=1)
    same_supplier = _lot(anxin, "lot-2", listing_id="l_toy", quantity=60, supplier_id="sup-a", at=later)
    same_category = _lot(anxin, "lot-3", listing_id="l_food2", quantity=60, supplier_id="sup-b", at=later)
    neither = _lot(anxin, "lot-4", listing_id="l_toy", quantity=60, supplier_id="sup-b", at=later)
    assert same_supplier["inspection"]["plan"]["reason_codes"] == ["tightened", "tightened_supplier"]
    assert same_category["inspection"]["plan"]["reason_codes"] == ["tightened", "tightened_category"]
    assert (same_supplier["inspection"]["plan"]["sample_size"],
            same_supplier["inspection"]["plan"]["accept_number"]) == (13, 0)
    assert "inspection.tightening" in same_supplier["inspection"]["plan"]["rule_ids"]
    assert neither["inspection"]["plan"]["reason_codes"] == ["normal"]
    # 90 days after the failure the window has passed: normal again
    outside = _lot(anxin, "lot-5", listing_id="l_toy", quantity=60, supplier_id="sup-a",
                   at=RECEIVED + dt.timedelta(days=90, seconds=1))
    at_edge = _lot(anxin, "lot-6", listing_id="l_toy", quantity=60, supplier_id="sup-a",
                   at=RECEIVED + dt.timedelta(days=90))
    assert outside["inspection"]["plan"]["severity"] == "normal"
    assert at_edge["inspection"]["plan"]["severity"] == "tightened"


# --- who sees a lot ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "sees"), [(MERCHANT, True), (OPERATOR, True), (OTHER_MERCHANT, False),
                                           (CONSUMER, False)])
def test_a_lot_is_seen_by_its_merchant_and_staff_only(anxin: Any, who: Principal, sees: bool) -> None:
    _seed(anxin)
    _lot(anxin, "lot-1")
    if sees:
        assert anxin.inspections.lot_view(who, "lot-1")["lot"]["lot_id"] == "lot-1"
    else:
        with pytest.raises(AnxinError) as exc:
            anxin.inspections.lot_view(who, "lot-1")
        assert exc.value.code.value == "worryfree.inspection.lot_not_found"


def test_lists_the_queue_oldest_first_and_a_merchants_own_lots(anxin: Any) -> None:
    _seed(anxin)
    _lot(anxin, "lot-1")
    _lot(anxin, "lot-2", at=RECEIVED + dt.timedelta(hours=1))
    _lot(anxin, "lot-o", listing_id="l_other", at=RECEIVED + dt.timedelta(hours=2))
    assert [r["lot_id"] for r in anxin.inspections.queue(OPERATOR)] == ["lot-1", "lot-2", "lot-o"]
    assert [r["lot_id"] for r in anxin.inspections.lots_of_merchant(MERCHANT)] == ["lot-2", "lot-1"]
    assert [r["lot_id"] for r in anxin.inspections.lots_of_merchant(OTHER_MERCHANT)] == ["lot-o"]
    anxin.inspections.record_results(OPERATOR, "lot-1", _units(13))
    assert [r["lot_id"] for r in anxin.inspections.queue(OPERATOR)] == ["lot-2", "lot-o"]
    assert [r["lot_id"] for r in anxin.inspections.queue(OPERATOR, pending=False)] == ["lot-1"]


# --- two operators at once ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("round_", range(3))
def test_two_operators_recording_at_once_make_one_verdict(anxin: Any, round_: int) -> None:
    _seed(anxin)
    _lot(anxin, "lot-race", quantity=60)
    results = all_at_once([
        lambda: anxin.inspections.record_results(OPERATOR, "lot-race", _units(13)),
        lambda: anxin.inspections.record_results(OPERATOR_2, "lot-race", _units(13, {1, 2, 3}))])
    ok = [r for r in results if not isinstance(r, Exception)]
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(ok) == 1 and len(failed) == 1, results
    assert isinstance(failed[0], AnxinError) and failed[0].code.value == "worryfree.inspection.already_decided"
    view = anxin.inspections.lot_view(OPERATOR, "lot-race")
    insp = view["inspection"]
    assert insp["verdict"]["decided_by"] == ok[0]["inspection"]["verdict"]["decided_by"]
    assert len(insp["units"]) == 13
    assert view["lot"]["status"] == insp["status"]
    assert len(_violations(anxin, "s1")) == (1 if insp["status"] == "rejected" else 0)


def test_the_bulk_path_plans_the_same(anxin: Any) -> None:
    """A lot ingested in bulk is planned by the same handler, with the same plan as the per-event path."""
    _seed(anxin)
    per_event = _lot(anxin, "lot-1", quantity=60)["inspection"]
    day = (RECEIVED + dt.timedelta(hours=8)).date()
    result = anxin.ingestion.ingest_bulk([event("warehouse.lot_received", {
        "lot_id": "lot-bulk", "listing_id": "l_food", "quantity": 60,
        "produced_on": (day - dt.timedelta(days=20)).isoformat(),
        "expires_on": (day + dt.timedelta(days=80)).isoformat(), "supplier_id": "sup-a",
        "received_at": RECEIVED.isoformat()})])
    assert not result.rejected, result.as_dict()
    anxin.process_events()
    bulk = anxin.inspections.lot_view(OPERATOR, "lot-bulk")["inspection"]
    assert bulk is not None
    for key in ("severity", "sample_size", "accept_number", "reason_codes", "rule_ids"):
        assert bulk["plan"][key] == per_event["plan"][key], key
    assert bulk["plan"]["facts"]["shelf_life_share"] == per_event["plan"]["facts"]["shelf_life_share"]
