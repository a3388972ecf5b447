"""Sampling inspections against the database (SQLite, and PostgreSQL with ANXIN_TEST_DATABASE_URL): a plan per
period read from the other contexts' facts (idempotent; another seed is a conflict), results recorded once, a failed
sample records one violation through the ledger, the shop's failure raises its next plan's weight, and the report
counts coverage and failure rate by stratum."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.db.builders import T0, D, category, complaint, ingest_ok, item, listing, order_paid, shop

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.governance.inspection_rules import load_inspection_rules
from anxin.governance.inspections import Inspections
from anxin.governance.model import RecordViolation, ViolationView

pytestmark = pytest.mark.db

OPS = Principal("k_ops", Role.OPERATOR, "ops")


class FakeLedger:
    """The ViolationLedger seam, in memory: idempotent per (source type, source id, kind), as the real one."""

    def __init__(self) -> None:
        self.calls: list[RecordViolation] = []
        self.views: dict[tuple[str, str, str], ViolationView] = {}

    def record(self, uow: Any, cmd: RecordViolation) -> tuple[ViolationView, bool]:
        assert uow is not None  # joins the caller's unit of work
        self.calls.append(cmd)
        key = (cmd.source_type, cmd.source_id, cmd.kind)
        if key in self.views:
            return self.views[key], False
        view = ViolationView(f"vio_{len(self.views) + 1}", cmd.kind, "severe", cmd.subject, cmd.shop_id,
                             cmd.creator_id, 600, True, "active", cmd.at, cmd.source_type, cmd.source_id)
        self.views[key] = view
        return view, True

    def get(self, uow: Any, violation_id: str) -> ViolationView | None:
        return next((v for v in self.views.values() if v.violation_id == violation_id), None)

    def reverse(self, uow: Any, violation_id: str, *, cause_type: str, cause_id: str, at: dt.datetime,
                by: str) -> ViolationView:
        raise NotImplementedError("inspections never reverse")

    def count(self, uow: Any, *, kind: str, shop_id: str, since: dt.datetime) -> int:
        return sum(1 for v in self.views.values() if v.kind == kind and v.shop_id == shop_id)


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def inspections(anxin, clock, ledger) -> Inspections:
    return Inspections(uow_factory=anxin.uow_factory, clock=clock, rules=load_inspection_rules(), ledger=ledger)


@pytest.fixture
def market(anxin) -> None:
    """A new baby-goods shop, an old food shop with many complaints, an old general shop; 10 listings each."""
    events = [category("cat_baby", tags=["baby"]), category("cat_food", tags=["food"]), category("cat_misc"),
              category("cat_card", tags=["virtual"]),
              shop("s_new", "m1", opened_at=T0 - 10 * D), shop("s_food", "m2", opened_at=T0 - 400 * D),
              shop("s_misc", "m3", opened_at=T0 - 400 * D)]
    for i in range(10):
        events += [listing(f"lb{i}", "s_new", "cat_baby"), listing(f"lf{i}", "s_food", "cat_food"),
                   listing(f"lm{i}", "s_misc", "cat_misc"), listing(f"lv{i}", "s_misc", "cat_card")]
    for i in range(40):  # the food shop: 40 paid orders in the lookback, 4 complaints (100 ‰)
        events.append(order_paid(f"of{i}", "c1", "s_food", items=[item("lf0")], paid_at=T0 - 20 * D))
    for i in range(4):
        events.append(complaint(f"cp{i}", f"of{i}", filed_at=T0 - 10 * D))
    ingest_ok(anxin, events)


def test_a_period_is_planned_once_from_the_other_contexts_facts(inspections, market):
    plan = inspections.create_plan(OPS, {"period": "2026-11", "seed": 42, "budget": 40})
    assert plan["created"] and plan["candidates"] == 40 and plan["drawn"] == 30  # the 10 virtual never drawn
    assert plan["rulebook_version"] == "governance-2026.12" and plan["outcome"] == "planned"
    again = inspections.create_plan(OPS, {"period": "2026-11", "seed": 42, "budget": 40})
    assert again == {**plan, "created": False}
    with pytest.raises(AnxinError) as conflict:
        inspections.create_plan(OPS, {"period": "2026-11", "seed": 43, "budget": 40})
    assert conflict.value.code.value == "governance.plan_conflict"
    shown, samples = inspections.plan(OPS, plan["plan_id"], limit=100)
    assert shown["plan_id"] == plan["plan_id"] and len(samples) == 30
    by_listing = {s["listing_id"]: s for s in samples}
    food = by_listing["lf3"]
    assert food["facts"]["paid_orders"] == 40 and food["facts"]["complaints"] == 4
    assert {f["name"]: f["rule_id"] for f in food["factors"]}["complaints"] == "inspect.complaints.high"
    baby = by_listing["lb3"]
    assert baby["stratum"] == "inspect.stratum.baby" and baby["facts"]["shop_age_days"] == 10
    assert baby["weight"] == pytest.approx(4.0 * 1.5 * 2.5)  # baby × unscored × new shop
    assert baby["rulebook_version"] == "governance-2026.12" and baby["state"] == "pending"


def test_a_plan_is_reproducible_from_its_seed(inspections, market, clock):
    first = inspections.create_plan(OPS, {"period": "a", "seed": 9, "budget": 32})
    second = inspections.create_plan(OPS, {"period": "b", "seed": 9, "budget": 32})
    listings = [[s["listing_id"] for s in inspections.plan(OPS, p["plan_id"], limit=100)[1]]
                for p in (first, second)]
    assert listings[0] == listings[1] and len(listings[0]) == 30


def test_bad_plans_are_refused_with_a_code(inspections, market):
    for body, field in [({"period": "", "seed": 1}, "period"), ({"period": "p", "seed": -1}, "seed"),
                        ({"period": "p", "seed": 1, "budget": 0}, "budget"),
                        ({"period": "p", "seed": 1, "budget": 24}, "budget"),  # below the minimums (10 + 10 + 5)
                        ({"period": "p", "seed": "1"}, "seed")]:
        with pytest.raises(AnxinError) as bad:
            inspections.create_plan(OPS, body)
        assert bad.value.code.value == "governance.invalid_plan" and bad.value.details["field"] == field
    with pytest.raises(AnxinError) as forbidden:
        inspections.create_plan(Principal("k", Role.MERCHANT, "m1"), {"period": "p", "seed": 1})
    assert forbidden.value.code.value == "access.forbidden_role"


def test_a_result_is_recorded_once_and_a_failure_records_one_violation(inspections, market, ledger, clock):
    plan = inspections.create_plan(OPS, {"period": "2026-11", "seed": 42})
    samples = inspections.plan(OPS, plan["plan_id"], limit=100)[1]
    passed, failed = samples[0], samples[1]
    ok = inspections.record_result(OPS, passed["sample_id"], {"outcome": "passed"})
    assert ok["state"] == "passed" and ok["result_by"] == "operator:ops" and ok["violation_id"] is None
    assert inspections.record_result(OPS, passed["sample_id"], {"outcome": "passed"}) == ok
    with pytest.raises(AnxinError) as conflict:
        inspections.record_result(OPS, passed["sample_id"], {"outcome": "failed", "defects": [{"kind": "label"}]})
    assert conflict.value.code.value == "governance.result_conflict"
    assert ledger.calls == []

    body = {"outcome": "failed", "defects": [{"kind": "label", "detail": "no maker"},
                                             {"kind": "counterfeit", "detail": "fake hologram"}]}
    bad = inspections.record_result(OPS, failed["sample_id"], body)
    assert bad["state"] == "failed" and bad["violation_id"] == "vio_1"
    assert bad["finding"]["violation"] == "counterfeit" and bad["finding"]["severity"] == "critical"
    assert bad["defects"][0] == {"kind": "label", "severity": "minor", "detail": "no maker"}
    assert len(ledger.calls) == 1
    cmd = ledger.calls[0]
    assert (cmd.kind, cmd.subject, cmd.shop_id) == ("counterfeit", f"listing:{failed['listing_id']}",
                                                    failed["shop_id"])
    assert (cmd.source_type, cmd.source_id, cmd.severity) == ("governance.inspection", failed["sample_id"],
                                                              "critical")
    assert cmd.evidence["defects"] == bad["defects"] and cmd.at == clock.now()
    assert inspections.record_result(OPS, failed["sample_id"], body) == bad
    assert len(ledger.calls) == 1  # the same result again records nothing
    with pytest.raises(AnxinError) as missing:
        inspections.record_result(OPS, "insp_nope", {"outcome": "passed"})
    assert missing.value.code.value == "governance.sample_not_found"


@pytest.mark.parametrize("body", [
    {"outcome": "pass"}, {"outcome": "failed"}, {"outcome": "failed", "defects": []},
    {"outcome": "failed", "defects": [{"kind": "smell"}]},
    {"outcome": "failed", "defects": [{"kind": "label", "severity": "awful"}]},
    {"outcome": "passed", "defects": [{"kind": "label"}]}, {"outcome": "passed", "note": "x"}, ["passed"],
])
def test_bad_results_are_refused_with_a_code(inspections, market, body):
    plan = inspections.create_plan(OPS, {"period": "2026-11", "seed": 42})
    sample = inspections.plan(OPS, plan["plan_id"], limit=1)[1][0]
    with pytest.raises(AnxinError) as bad:
        inspections.record_result(OPS, sample["sample_id"], body)
    assert bad.value.code.value == "governance.invalid_result"


def test_the_report_counts_coverage_and_failure_rate_by_stratum(inspections, market, clock):
    plan = inspections.create_plan(OPS, {"period": "2026-11", "seed": 42, "budget": 40})
    samples = inspections.plan(OPS, plan["plan_id"], limit=100)[1]
    baby = [s for s in samples if s["stratum"] == "inspect.stratum.baby"]
    assert len(baby) == 10  # all ten: the minimum and then the heaviest weights
    for s in baby[:4]:
        inspections.record_result(OPS, s["sample_id"], {"outcome": "failed", "defects": [{"kind": "quality"}]})
    for s in baby[4:8]:
        inspections.record_result(OPS, s["sample_id"], {"outcome": "passed"})
    report = inspections.report(OPS, plan["plan_id"])
    rows = {r["stratum"]: r for r in report["strata"]}
    b = rows["inspect.stratum.baby"]
    assert (b["candidates"], b["drawn"], b["inspected"], b["failed"], b["pending"]) == (10, 10, 8, 4, 2)
    assert b["coverage"] == 1.0 and b["failure_rate"] == 0.5 and b["name"]["en"] == "Mother and baby"
    v = rows["inspect.stratum.virtual"]
    assert (v["candidates"], v["eligible"], v["drawn"], v["coverage"], v["failure_rate"]) == (10, 0, 0, 0.0, None)
    assert report["total"]["candidates"] == 40 and report["total"]["drawn"] == 30
    assert report["total"]["failure_rate"] == 0.5

    # The next period sees the new shop's 4 failures: 'repeated', its listings weigh twice as much as before.
    clock.advance(days=30)
    later = inspections.create_plan(OPS, {"period": "2026-12", "seed": 42, "budget": 40})
    again = {s["listing_id"]: s for s in inspections.plan(OPS, later["plan_id"], limit=100)[1]}
    factors = {f["name"]: f for f in again["lb9"]["factors"]}
    assert factors["previous_failures"]["fact"] == 4
    assert factors["previous_failures"]["rule_id"] == "inspect.failures.repeated"
    with pytest.raises(AnxinError) as missing:
        inspections.report(OPS, "iplan_nope")
    assert missing.value.code.value == "governance.plan_not_found"
