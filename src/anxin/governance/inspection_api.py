"""Sampling inspection HTTP API (operators): plan a period's samples, read a plan with its samples, record a sample's
result, report coverage and failure rate by stratum. Thin: the use cases are ``governance.inspections``.

The router is included by the governance context's ``api`` (the core slice) once merged; until then the tests include
it in their app themselves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import Field

from anxin.core.principal import Principal
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.inspections import Inspections
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, decode_cursor, page_of, scope_of
from anxin.web.schema import Free, Instant, Out, Texts

router = APIRouter(prefix="/v1/governance", tags=["governance"])


def inspections_of(request: Request) -> Inspections:
    """The use cases, from the composition root's governance facade (``Anxin.governance.inspections``)."""
    return app_of(request).governance.inspections


# --- responses ----------------------------------------------------------------------------------------------------

class StratumTally(Out):
    stratum: str = Field(description="the stratum's rule id (inspect.stratum.<name>)")
    candidates: int = Field(description="listings in the stratum when the plan was drawn")
    eligible: int = Field(description="of them with a weight above 0")
    weight_total: float
    min_samples: int
    drawn: int


class Plan(Out):
    plan_id: str
    period: str
    budget: int
    seed: int
    outcome: str = Field(description="planned")
    reason_codes: list[str]
    rule_ids: list[str] = Field(description="every rule that priced a pick")
    rulebook_version: str
    candidates: int
    drawn: int = Field(description="samples in the plan (at most the budget)")
    strata: list[StratumTally]
    facts: Free = Field(description="when the facts were read and the windows they cover")
    created_by: str
    created_at: Instant


class CreatedPlan(Plan):
    created: bool = Field(description="false: the period already had this plan (this is it)")


class Factor(Out):
    name: str = Field(description="stratum, shop_score, complaints, shop_age or previous_failures")
    fact: str | int | None = Field(description="what the listing's fact was (matched tag or category, score in "
                                               "hundredths, complaints per mille or orders, days, failures)")
    rule_id: str
    factor_pct: int = Field(description="the multiplier in percent (100 neutral)")


class Defect(Out):
    kind: str
    severity: str
    detail: str


class InspectionFinding(Out):
    violation: str = Field(description="the violation kind recorded: low_quality_product or counterfeit")
    severity: str
    rule_ids: list[str]
    rulebook_version: str


class Sample(Out):
    sample_id: str
    plan_id: str
    rank: int = Field(description="1: the largest draw key")
    listing_id: str
    shop_id: str
    stratum: str
    weight: float = Field(description="the product of the factors")
    key: float = Field(description="the Efraimidis–Spirakis key log(u)/weight: the larger, the earlier")
    pick: str = Field(description="minimum (the stratum's minimum) or weighted (the rest of the budget)")
    factors: list[Factor]
    rule_ids: list[str]
    facts: Free = Field(description="the listing's facts when drawn")
    rulebook_version: str
    state: str = Field(description="pending, passed or failed")
    defects: list[Defect]
    finding: InspectionFinding | None
    result_by: str | None
    result_at: Instant | None
    violation_id: str | None = Field(description="the violation a failed sample recorded")


class ReportRow(Out):
    stratum: str
    name: Texts | None = Field(None, description="the stratum's name (absent on the total)")
    candidates: int
    eligible: int
    min_samples: int
    drawn: int
    inspected: int
    passed: int
    failed: int
    pending: int
    coverage: float | None = Field(description="drawn / candidates")
    failure_rate: float | None = Field(description="failed / inspected; null while none is inspected")


class Report(Out):
    plan_id: str
    period: str
    rulebook_version: str
    budget: int
    seed: int
    strata: list[ReportRow]
    total: ReportRow


# --- routes -------------------------------------------------------------------------------------------------------

@router.post("/inspections/plans", summary="Plan a period's risk-weighted inspection samples (operators)",
             description='`{"period": "2026-12", "seed": 7, "budget": 200}` (budget optional: the rulebook\'s). '
                         "Weights come from category risk, the shop's score band, complaint rate, age and previous "
                         "failures; the draw is reproducible from the seed. One plan per period: the same request "
                         'again answers the same plan (`"created": false`); another seed or budget is 409.',
             response_model=CreatedPlan, openapi_extra=codes(E.INVALID_PLAN, E.PLAN_CONFLICT))
def create_plan(body: Any = Body(...), who: Principal = Depends(principal),
                inspections: Inspections = Depends(inspections_of)) -> dict[str, Any]:
    return inspections.create_plan(who, body)


@router.get("/inspections/report", summary="A plan's coverage and failure rate by stratum (operators)",
            response_model=Report, openapi_extra=codes(E.PLAN_NOT_FOUND))
def report(plan_id: str = Query(..., max_length=64), who: Principal = Depends(principal),
           inspections: Inspections = Depends(inspections_of)) -> dict[str, Any]:
    return inspections.report(who, plan_id)


@router.get("/inspections/plans/{plan_id}", summary="A plan (operators)", response_model=Plan,
            openapi_extra=codes(E.PLAN_NOT_FOUND))
def get_plan(plan_id: str, who: Principal = Depends(principal),
             inspections: Inspections = Depends(inspections_of)) -> dict[str, Any]:
    plan, _ = inspections.plan(who, plan_id, limit=0)
    return plan


@router.get("/inspections/plans/{plan_id}/samples", summary="A plan's samples in rank order, a page at a time "
            "(operators)", response_model=Page[Sample], openapi_extra=codes(E.PLAN_NOT_FOUND))
def plan_samples(plan_id: str, limit: int = LIMIT, cursor: str | None = CURSOR, who: Principal = Depends(principal),
                 inspections: Inspections = Depends(inspections_of)) -> Page[dict[str, Any]]:
    scope = scope_of("inspection_samples", plan_id)
    key = decode_cursor(cursor, scope=scope, shape=(int,))  # the last rank shown
    _, samples = inspections.plan(who, plan_id, after_rank=None if key is None else int(key[0]), limit=limit + 1)
    return page_of(samples, limit=limit, scope=scope, key=lambda s: (s["rank"],))


@router.post("/inspections/{sample_id}/result", summary="Record a sample's result, once (operators)",
             description='`{"outcome": "passed"}` or `{"outcome": "failed", "defects": [{"kind": "label", '
                         '"severity": "major", "detail": "..."}]}` (defect kinds and severities: the rulebook; a '
                         "defect's severity defaults to its kind's). A failed sample records one violation "
                         "(low_quality_product, or counterfeit) on the listing, whose default measures take it down. "
                         "The same result again answers the sample; another result is 409.",
             response_model=Sample,
             openapi_extra=codes(E.INVALID_RESULT, E.SAMPLE_NOT_FOUND, E.RESULT_CONFLICT))
def record_result(sample_id: str, body: Any = Body(...), who: Principal = Depends(principal),
                  inspections: Inspections = Depends(inspections_of)) -> dict[str, Any]:
    return inspections.record_result(who, sample_id, body)
