"""Inbound sample plans: sample size and acceptance number by lot size and tightening, the lot's shelf-life share at
inbound, the verdict on per-unit results, and the operating characteristic of a plan (the probability it accepts a
lot with a given share of defective units). Pure: the tables come from the inspection rulebook as plain values.

A plan is single sampling after GB/T 2828.1 (ISO 2859-1): draw ``sample_size`` units at random from the lot, check
each unit; the lot is accepted when at most ``accept_number`` units are defective, rejected otherwise. A lot smaller
than the sample is inspected completely.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

NORMAL: Final = "normal"
TIGHTENED: Final = "tightened"
SEVERITIES: Final = (NORMAL, TIGHTENED)

# Per-unit checks (the lot-level one, shelf life, is judged at receipt) and their results.
OUTER_PACKAGING: Final = "outer_packaging"
LABELS: Final = "labels"
UNIT_CHECKS: Final = (OUTER_PACKAGING, LABELS)
PASS: Final = "pass"
FAIL: Final = "fail"

# Verdicts and their reason codes.
PASSED: Final = "passed"
REJECTED: Final = "rejected"
SHELF_LIFE_AT_INBOUND: Final = "shelf_life_at_inbound"  # rejected at receipt, no sampling
DEFECTS_OVER_ACCEPTANCE: Final = "defects_over_acceptance"
DEFECTS_WITHIN_ACCEPTANCE: Final = "defects_within_acceptance"
DEFECT_REASONS: Final = {OUTER_PACKAGING: "outer_packaging_failed", LABELS: "labels_failed"}


@dataclass(frozen=True)
class PlanRow:
    """Lots of up to ``max_lot`` units (None: any larger lot) draw ``sample`` units and accept ``accept`` defects."""

    max_lot: int | None
    sample: int
    accept: int


@dataclass(frozen=True)
class SamplePlan:
    lot_size: int
    severity: str
    sample_size: int  # min(the row's sample, the lot size)
    accept_number: int
    row_max_lot: int | None
    rule_id: str


def plan_for(rows: Sequence[PlanRow], lot_size: int, *, severity: str, rule_id: str) -> SamplePlan:
    """The plan of the first row whose ``max_lot`` holds ``lot_size`` (rows ascend; the last is open-ended)."""
    if lot_size < 1:
        raise ValueError(f"a lot has at least one unit, got {lot_size}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    for row in rows:
        if row.max_lot is None or lot_size <= row.max_lot:
            return SamplePlan(lot_size=lot_size, severity=severity, sample_size=min(row.sample, lot_size),
                              accept_number=row.accept, row_max_lot=row.max_lot, rule_id=rule_id)
    raise ValueError(f"no plan row holds a lot of {lot_size} units")


# --- tightening ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tightening:
    severity: str
    reasons: tuple[str, ...]  # tightened_category, tightened_supplier


def severity_of(*, category_failures: int, supplier_failures: int, min_failures: int,
                by: Iterable[str]) -> Tightening:
    """Tightened when the lot's category or supplier had at least ``min_failures`` rejected lots in the window."""
    by = tuple(by)
    reasons = tuple(r for r, n, on in (("tightened_category", category_failures, "category" in by),
                                       ("tightened_supplier", supplier_failures, "supplier" in by))
                    if on and n >= min_failures)
    return Tightening(TIGHTENED if reasons else NORMAL, reasons)


# --- shelf life --------------------------------------------------------------------------------------------------

def shelf_life_ok(share: Fraction, minimum: Fraction) -> bool:
    """The lot's remaining share of shelf life (``model.shelf_life_share``, exact) against the category's minimum
    at inbound (exact too): at the minimum is enough; below it is not."""
    return share >= minimum


# --- the verdict -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitResult:
    unit_no: int
    checks: Mapping[str, str]  # check -> pass | fail
    note: str = ""

    @property
    def defective(self) -> bool:
        return any(v == FAIL for v in self.checks.values())


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    defective_units: int
    facts: Mapping[str, Any] = field(default_factory=dict)


class UnitsInvalid(ValueError):
    """The results do not match the plan; ``problems`` names each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def check_units(plan: SamplePlan, units: Sequence[UnitResult], checks: Sequence[str]) -> None:
    """Exactly one result per sampled unit (numbered 1..sample_size), each with every check of the plan."""
    problems: list[str] = []
    numbers = [u.unit_no for u in units]
    if len(units) != plan.sample_size:
        problems.append(f"expected {plan.sample_size} units, got {len(units)}")
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        problems.append(f"units repeated: {repeated}")
    outside = sorted(n for n in set(numbers) if not 1 <= n <= plan.sample_size)
    if outside:
        problems.append(f"units outside 1..{plan.sample_size}: {outside}")
    for u in units:
        missing = [c for c in checks if c not in u.checks]
        unknown = [c for c in u.checks if c not in checks]
        bad = [c for c, v in u.checks.items() if v not in (PASS, FAIL)]
        if missing or unknown or bad:
            problems.append(f"unit {u.unit_no}: " + ", ".join(
                [f"missing {m}" for m in missing] + [f"unknown {k}" for k in unknown] +
                [f"{b} must be pass or fail" for b in bad]))
    if problems:
        raise UnitsInvalid(problems)


def judge(plan: SamplePlan, units: Sequence[UnitResult], *, verdict_rule_id: str) -> Verdict:
    """Passed when the defective units are at most the acceptance number, else rejected; the reasons name the
    failed checks. (``check_units`` first.)"""
    defective = sum(1 for u in units if u.defective)
    failed_checks = sorted({c for u in units for c, v in u.checks.items() if v == FAIL}, key=_check_order)
    facts = {"lot_size": plan.lot_size, "severity": plan.severity, "sample_size": plan.sample_size,
             "accept_number": plan.accept_number, "defective_units": defective,
             "failed_by_check": {c: sum(1 for u in units if u.checks.get(c) == FAIL) for c in _checks_of(units)}}
    if defective > plan.accept_number:
        return Verdict(REJECTED, (DEFECTS_OVER_ACCEPTANCE, *(DEFECT_REASONS.get(c, f"{c}_failed")
                                                              for c in failed_checks)),
                       (plan.rule_id, verdict_rule_id), defective, facts)
    return Verdict(PASSED, (DEFECTS_WITHIN_ACCEPTANCE,), (plan.rule_id, verdict_rule_id), defective, facts)


def _check_order(check: str) -> int:
    return UNIT_CHECKS.index(check) if check in UNIT_CHECKS else len(UNIT_CHECKS)


def _checks_of(units: Sequence[UnitResult]) -> list[str]:
    return sorted({c for u in units for c in u.checks}, key=_check_order)


# --- operating characteristic ----------------------------------------------------------------------------------

def accept_probability_hypergeometric(*, lot_size: int, defectives: int, sample_size: int,
                                      accept_number: int) -> Fraction:
    """Exact: the chance that a sample of ``sample_size`` drawn without replacement from a lot with ``defectives``
    defective units holds at most ``accept_number`` of them."""
    n = min(sample_size, lot_size)
    total = math.comb(lot_size, n)
    hits = sum(math.comb(defectives, d) * math.comb(lot_size - defectives, n - d)
               for d in range(0, min(accept_number, n, defectives) + 1))
    return Fraction(hits, total)


def accept_probability_binomial(*, rate: Fraction, sample_size: int, accept_number: int) -> Fraction:
    """Exact for an endless stream of units each defective with probability ``rate`` (the binomial model)."""
    return sum((Fraction(math.comb(sample_size, d)) * rate ** d * (1 - rate) ** (sample_size - d)
                for d in range(0, min(accept_number, sample_size) + 1)), Fraction(0))
