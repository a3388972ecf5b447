"""The inspection rulebook (``rulebooks/worryfree_inspection.yaml``, ``kind: worryfree_inspection``) as a strict
model: the normal and tightened sample-plan tables by lot size, when a category or supplier is inspected tightened,
the per-unit checks, the shelf-life rule at receipt and the verdict rule. Validated completely on load: every
problem at once, with its path. Imports only ``core`` (and the context's pure ``sampling``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from anxin.core.rulebook_models import Between, Instant, NonEmpty, RulebookKind, RulebookModel, RulebookProblems, refuse
from anxin.worryfree.sampling import NORMAL, UNIT_CHECKS, PlanRow, SamplePlan, plan_for

DEFAULT_INSPECTION_RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "worryfree_inspection.yaml"

RuleId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_.]*$")]


class PlanRowSpec(RulebookModel):
    """Lots of up to ``max_lot`` units (null: every larger lot) sample ``sample`` units and accept at most
    ``accept`` defective ones."""

    max_lot: Annotated[int, Between(1)] | None
    sample: Annotated[int, Between(1, 100_000)]
    accept: Annotated[int, Between(0, 100_000)]


class PlanTable(RulebookModel):
    id: RuleId
    rows: list[PlanRowSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _ascending(self) -> PlanTable:
        found: list[tuple[str, str]] = []
        last = 0
        for i, row in enumerate(self.rows):
            if row.accept >= row.sample:
                found.append((f".rows[{i}].accept", f"must be less than the sample ({row.sample}), got {row.accept}"))
            if row.max_lot is None:
                if i != len(self.rows) - 1:
                    found.append((f".rows[{i}].max_lot", "only the last row may be open-ended (null)"))
                continue
            if row.max_lot <= last:
                found.append((f".rows[{i}].max_lot", f"must ascend: {row.max_lot} after {last}"))
            last = row.max_lot
        if self.rows[-1].max_lot is not None:
            found.append((f".rows[{len(self.rows) - 1}].max_lot", "the last row must be open-ended (null)"))
        refuse(found, self)
        return self

    def table(self) -> tuple[PlanRow, ...]:
        return tuple(PlanRow(r.max_lot, r.sample, r.accept) for r in self.rows)


class Plans(RulebookModel):
    normal: PlanTable
    tightened: PlanTable

    @model_validator(mode="after")
    def _tightened_is_stricter(self) -> Plans:
        found: list[tuple[str, str]] = []
        if [r.max_lot for r in self.normal.rows] != [r.max_lot for r in self.tightened.rows]:
            found.append((".tightened.rows", "must have the same lot-size rows as normal"))
        else:
            for i, (n, t) in enumerate(zip(self.normal.rows, self.tightened.rows, strict=True)):
                if t.sample < n.sample:
                    found.append((f".tightened.rows[{i}].sample", f"must be at least normal's {n.sample}"))
                if t.accept > n.accept:
                    found.append((f".tightened.rows[{i}].accept", f"must be at most normal's {n.accept}"))
        refuse(found, self)
        return self


class TighteningRule(RulebookModel):
    """A lot is inspected tightened when its category or its supplier (``by``) had at least ``min_failures``
    rejected lots decided in the last ``window_days`` days before its receipt."""

    id: RuleId
    window_days: Annotated[int, Between(1, 365)]
    min_failures: Annotated[int, Between(1, 100)]
    by: list[Literal["category", "supplier"]] = Field(min_length=1)


class ChecksRule(RulebookModel):
    id: RuleId
    per_unit: list[Literal["outer_packaging", "labels"]] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> ChecksRule:
        if len(set(self.per_unit)) != len(self.per_unit):
            refuse([(".per_unit", "checks must be distinct")], self)
        return self


class ShelfLifeRule(RulebookModel):
    """A lot whose remaining share of shelf life on its receipt day is below its category's minimum at inbound
    (the stock rulebook's ``shelf_life``) is rejected at receipt without sampling."""

    id: RuleId
    reject_at_receipt: StrictBool


class VerdictRule(RulebookModel):
    id: RuleId


class InspectionRulebookSpec(RulebookModel):
    kind: Literal["worryfree_inspection"]
    version: NonEmpty
    effective_from: Instant
    plans: Plans
    tightening: TighteningRule
    checks: ChecksRule
    shelf_life: ShelfLifeRule
    verdict: VerdictRule

    @model_validator(mode="after")
    def _distinct_ids(self) -> InspectionRulebookSpec:
        ids = [self.plans.normal.id, self.plans.tightened.id, self.tightening.id, self.checks.id, self.shelf_life.id,
               self.verdict.id]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            refuse([("", f"rule ids must be distinct, repeated: {', '.join(repeated)}")], self)
        return self

    def plan(self, lot_size: int, severity: str) -> SamplePlan:
        table = self.plans.normal if severity == NORMAL else self.plans.tightened
        return plan_for(table.table(), lot_size, severity=severity, rule_id=table.id)

    @property
    def unit_checks(self) -> tuple[str, ...]:
        return tuple(c for c in UNIT_CHECKS if c in self.checks.per_unit)


class InspectionRulebookError(RulebookProblems):
    title = "invalid worry-free inspection rulebook"


INSPECTION_KIND = RulebookKind(InspectionRulebookSpec, InspectionRulebookError, DEFAULT_INSPECTION_RULEBOOK)
parse_inspection_rules = INSPECTION_KIND.parse
load_inspection_rules = INSPECTION_KIND.load  # the packaged file by default
