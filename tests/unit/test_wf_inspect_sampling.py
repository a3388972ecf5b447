"""Inbound sample plans, tightening, the shelf-life edge and the verdict: table-driven at every edge."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from anxin.worryfree.inspection_rules import (
    DEFAULT_INSPECTION_RULEBOOK,
    InspectionRulebookError,
    load_inspection_rules,
    parse_inspection_rules,
)
from anxin.worryfree.sampling import (
    DEFECTS_OVER_ACCEPTANCE,
    DEFECTS_WITHIN_ACCEPTANCE,
    FAIL,
    NORMAL,
    PASS,
    PASSED,
    REJECTED,
    TIGHTENED,
    PlanRow,
    UnitResult,
    UnitsInvalid,
    accept_probability_binomial,
    accept_probability_hypergeometric,
    check_units,
    judge,
    plan_for,
    severity_of,
    shelf_life_ok,
)

RB = load_inspection_rules()
RAW = yaml.safe_load(Path(DEFAULT_INSPECTION_RULEBOOK).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("lot", "severity", "sample", "accept"), [
    (1, NORMAL, 1, 0), (4, NORMAL, 4, 0), (5, NORMAL, 5, 0), (50, NORMAL, 5, 0),
    (51, NORMAL, 13, 1), (90, NORMAL, 13, 1), (91, NORMAL, 20, 1), (150, NORMAL, 20, 1),
    (151, NORMAL, 32, 2), (280, NORMAL, 32, 2), (281, NORMAL, 50, 3), (500, NORMAL, 50, 3),
    (501, NORMAL, 80, 5), (1200, NORMAL, 80, 5), (1201, NORMAL, 125, 7), (3200, NORMAL, 125, 7),
    (3201, NORMAL, 200, 10), (10000, NORMAL, 200, 10), (10001, NORMAL, 315, 14), (35000, NORMAL, 315, 14),
    (35001, NORMAL, 500, 21), (1_000_000, NORMAL, 500, 21),
    (7, TIGHTENED, 7, 0), (8, TIGHTENED, 8, 0), (50, TIGHTENED, 8, 0), (51, TIGHTENED, 13, 0),
    (90, TIGHTENED, 13, 0), (91, TIGHTENED, 20, 1), (151, TIGHTENED, 32, 1), (281, TIGHTENED, 50, 2),
    (501, TIGHTENED, 80, 3), (1201, TIGHTENED, 125, 5), (3201, TIGHTENED, 200, 8), (10001, TIGHTENED, 315, 12),
    (35001, TIGHTENED, 500, 18),
])
def test_plan_by_lot_size_at_every_row_edge(lot: int, severity: str, sample: int, accept: int) -> None:
    plan = RB.plan(lot, severity)
    assert (plan.sample_size, plan.accept_number, plan.severity) == (sample, accept, severity)
    assert plan.rule_id == ("inspection.plan.normal" if severity == NORMAL else "inspection.plan.tightened")


@pytest.mark.parametrize("lot", [0, -1])
def test_plan_refuses_an_empty_lot(lot: int) -> None:
    with pytest.raises(ValueError):
        plan_for((PlanRow(None, 5, 0),), lot, severity=NORMAL, rule_id="r")


def test_plan_refuses_an_unknown_severity() -> None:
    with pytest.raises(ValueError):
        plan_for((PlanRow(None, 5, 0),), 10, severity="reduced", rule_id="r")


@pytest.mark.parametrize(("category", "supplier", "by", "severity", "reasons"), [
    (0, 0, ("category", "supplier"), NORMAL, ()),
    (1, 0, ("category", "supplier"), TIGHTENED, ("tightened_category",)),
    (0, 1, ("category", "supplier"), TIGHTENED, ("tightened_supplier",)),
    (2, 3, ("category", "supplier"), TIGHTENED, ("tightened_category", "tightened_supplier")),
    (1, 0, ("supplier",), NORMAL, ()),
    (0, 1, ("category",), NORMAL, ()),
])
def test_tightening_at_one_failure(category: int, supplier: int, by: tuple[str, ...], severity: str,
                                   reasons: tuple[str, ...]) -> None:
    t = severity_of(category_failures=category, supplier_failures=supplier, min_failures=1, by=by)
    assert (t.severity, t.reasons) == (severity, reasons)


@pytest.mark.parametrize(("failures", "severity"), [(1, NORMAL), (2, TIGHTENED), (3, TIGHTENED)])
def test_tightening_at_the_minimum_failures(failures: int, severity: str) -> None:
    assert severity_of(category_failures=failures, supplier_failures=0, min_failures=2,
                       by=("category",)).severity == severity


@pytest.mark.parametrize(("share", "minimum", "ok"), [
    (Fraction(50, 100), Fraction("0.5"), True), (Fraction(49, 100), Fraction("0.5"), False),
    (Fraction(67, 100), Fraction("0.67"), True), (Fraction(66, 100), Fraction("0.67"), False),
    (Fraction(70, 100), Fraction("0.7"), True), (Fraction(69, 100), Fraction("0.7"), False),
    (Fraction(1), Fraction("0.7"), True), (Fraction(0), Fraction(0), True),
])
def test_shelf_life_at_the_minimum_passes_below_fails(share: Fraction, minimum: Fraction, ok: bool) -> None:
    assert shelf_life_ok(share, minimum) is ok


def _units(n: int, bad: dict[int, tuple[str, ...]]) -> list[UnitResult]:
    return [UnitResult(i, {c: FAIL if c in bad.get(i, ()) else PASS for c in ("outer_packaging", "labels")})
            for i in range(1, n + 1)]


@pytest.mark.parametrize(("lot", "bad", "outcome", "reasons"), [
    (50, {}, PASSED, (DEFECTS_WITHIN_ACCEPTANCE,)),
    (50, {3: ("labels",)}, REJECTED, (DEFECTS_OVER_ACCEPTANCE, "labels_failed")),
    (60, {1: ("outer_packaging",)}, PASSED, (DEFECTS_WITHIN_ACCEPTANCE,)),  # Ac 1: one defective is accepted
    (60, {1: ("outer_packaging", "labels")}, PASSED, (DEFECTS_WITHIN_ACCEPTANCE,)),  # one unit, two checks
    (60, {1: ("outer_packaging",), 2: ("labels",)}, REJECTED,
     (DEFECTS_OVER_ACCEPTANCE, "outer_packaging_failed", "labels_failed")),
    (300, {1: ("labels",), 2: ("labels",), 3: ("labels",)}, PASSED, (DEFECTS_WITHIN_ACCEPTANCE,)),  # Ac 3
    (300, {i: ("labels",) for i in range(1, 5)}, REJECTED, (DEFECTS_OVER_ACCEPTANCE, "labels_failed")),
])
def test_verdict_at_the_acceptance_number(lot: int, bad: dict[int, tuple[str, ...]], outcome: str,
                                          reasons: tuple[str, ...]) -> None:
    plan = RB.plan(lot, NORMAL)
    units = _units(plan.sample_size, bad)
    check_units(plan, units, RB.unit_checks)
    v = judge(plan, units, verdict_rule_id=RB.verdict.id)
    assert (v.outcome, v.reasons, v.defective_units) == (outcome, reasons, len(bad))
    assert v.rule_ids == (plan.rule_id, "inspection.verdict")
    assert v.facts["accept_number"] == plan.accept_number and v.facts["sample_size"] == plan.sample_size


@pytest.mark.parametrize(("units", "problem"), [
    (_units(4, {}), "expected 5 units, got 4"),
    ([*_units(5, {})[:4], UnitResult(4, {"outer_packaging": PASS, "labels": PASS})], "units repeated: [4]"),
    ([*_units(4, {}), UnitResult(6, {"outer_packaging": PASS, "labels": PASS})], "units outside 1..5: [6]"),
    ([*_units(4, {}), UnitResult(5, {"outer_packaging": PASS})], "unit 5: missing labels"),
    ([*_units(4, {}), UnitResult(5, {"outer_packaging": PASS, "labels": "maybe"})],
     "unit 5: labels must be pass or fail"),
    ([*_units(4, {}), UnitResult(5, {"outer_packaging": PASS, "labels": PASS, "smell": PASS})],
     "unit 5: unknown smell"),
])
def test_units_must_match_the_plan(units: list[UnitResult], problem: str) -> None:
    plan = RB.plan(50, NORMAL)
    with pytest.raises(UnitsInvalid) as exc:
        check_units(plan, units, RB.unit_checks)
    assert problem in exc.value.problems


@pytest.mark.parametrize(("lot", "defectives", "n", "ac", "expected"), [
    (10, 0, 5, 0, Fraction(1)),
    (10, 1, 5, 0, Fraction(1, 2)),  # C(9,5)/C(10,5)
    (10, 10, 5, 0, Fraction(0)),
    (10, 2, 5, 1, Fraction(7, 9)),  # (C(8,5) + 2 C(8,4)) / C(10,5) = (56 + 140) / 252
    (5, 1, 5, 0, Fraction(0)),  # the whole lot is inspected
    (5, 1, 5, 1, Fraction(1)),
])
def test_hypergeometric_acceptance(lot: int, defectives: int, n: int, ac: int, expected: Fraction) -> None:
    assert accept_probability_hypergeometric(lot_size=lot, defectives=defectives, sample_size=n,
                                             accept_number=ac) == expected


def test_binomial_acceptance() -> None:
    assert accept_probability_binomial(rate=Fraction(1, 10), sample_size=2, accept_number=0) == Fraction(81, 100)
    assert accept_probability_binomial(rate=Fraction(1, 10), sample_size=2, accept_number=1) == Fraction(99, 100)
    assert accept_probability_binomial(rate=Fraction(0), sample_size=50, accept_number=0) == 1


def test_the_packaged_rulebook_loads() -> None:
    assert RB.version == "worryfree-inspection-2026.12.1"
    assert RB.unit_checks == ("outer_packaging", "labels")
    assert RB.tightening.window_days == 90 and RB.tightening.min_failures == 1


def _broken(edit) -> list[str]:  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(RAW)
    edit(raw)
    with pytest.raises(InspectionRulebookError) as exc:
        parse_inspection_rules(raw)
    return exc.value.problems


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda r: r["plans"]["normal"]["rows"][1].update(max_lot=40), "plans.normal.rows[1].max_lot: must ascend"),
    (lambda r: r["plans"]["normal"]["rows"][-1].update(max_lot=99999),
     "plans.normal.rows[9].max_lot: the last row must be open-ended"),
    (lambda r: r["plans"]["normal"]["rows"][0].update(accept=5), "plans.normal.rows[0].accept: must be less"),
    (lambda r: r["plans"]["tightened"]["rows"][2].update(accept=2), "plans.tightened.rows[2].accept: must be at "
                                                                   "most normal's 1"),
    (lambda r: r["plans"]["tightened"]["rows"][0].update(sample=4), "plans.tightened.rows[0].sample: must be at "
                                                                   "least normal's 5"),
    (lambda r: r["plans"]["tightened"]["rows"].pop(0), "plans.tightened.rows: must have the same lot-size rows"),
    (lambda r: r["tightening"].update(window_days=0), "tightening.window_days: must be an integer 1–365"),
    (lambda r: r["tightening"].update(by=["brand"]), "tightening.by[0]: must be one of"),
    (lambda r: r["checks"].update(per_unit=["labels", "labels"]), "checks.per_unit: checks must be distinct"),
    (lambda r: r["checks"].update(per_unit=[]), "checks.per_unit: must not be empty"),
    (lambda r: r["verdict"].update(id="inspection.checks"), "rule ids must be distinct, repeated: "
                                                            "inspection.checks"),
    (lambda r: r.update(extra=1), "extra: unknown key"),
    (lambda r: r["shelf_life"].update(reject_at_receipt="yes"), "shelf_life.reject_at_receipt: must be true"),
])
def test_the_rulebook_is_validated_with_paths(edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    problems = _broken(edit)
    assert any(expected in p for p in problems), problems


def test_the_rulebook_is_registered() -> None:
    from anxin.cli.rulebooks import check

    report = check(Path(DEFAULT_INSPECTION_RULEBOOK))
    assert report.kind == "worryfree_inspection" and not report.problems, report.problems
