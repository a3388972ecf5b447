"""Appeals HTTP API: merchants and creators appeal violations, operators decide and watch the queue and the report.
Thin: the use cases are ``governance.appeals.Appeals``. The core slice's ``api.py`` includes this router."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from anxin.core.clock import parse_instant
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.governance.appeal_rules import STATES
from anxin.governance.appeals import Appeals
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of
from anxin.web.schema import Free, Instant, Out

router = APIRouter(prefix="/v1/governance", tags=["governance"])


def appeals_of(request: Request) -> Appeals:
    return app_of(request).governance.appeals


# --- request and response models ---------------------------------------------------------------------------------

class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["image", "document"]
    ref: StrictStr = Field(max_length=1000, description="an uploaded file's id or address")


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    statement: StrictStr = Field(max_length=20_000, description="why the violation is wrong (rulebook bounds)")
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=100)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["upheld", "rejected"]
    reason_codes: list[Annotated[StrictStr, Field(min_length=1, max_length=60)]] = Field(default_factory=list,
                                                                                      max_length=20)
    note: StrictStr = Field("", max_length=4000)
    abusive: StrictBool = Field(False, description="a rejected appeal flagged abusive; enough of them close the "
                                                   "appellant's appeal channel")


class EvidenceOut(Out):
    kind: str
    ref: str


class Filing(Out):
    rule_ids: list[str]
    rulebook_version: str
    facts: Free


class DecisionOut(Out):
    outcome: str | None
    decided_at: Instant | None
    decided_by: str | None
    abusive: bool
    reason_codes: list[str]
    rule_ids: list[str]
    rulebook_version: str | None
    facts: Free
    note: str


class AppealOut(Out):
    appeal_id: str
    violation_id: str
    appellant: str = Field(description="merchant:<merchant_id> or creator:<creator_id>")
    shop_id: str | None
    creator_id: str | None
    number: int = Field(description="the violation's 1st, 2nd … appeal")
    statement: str
    evidence: list[EvidenceOut]
    state: str = Field(json_schema_extra={"enum": list(STATES)})
    outcome: str | None = Field(description="upheld or rejected once decided")
    filed_at: Instant
    deadline_at: Instant = Field(description="the decision SLA's deadline")
    overdue: bool = Field(description="undecided past its deadline")
    filing: Filing
    decision: DecisionOut | None


class Period(Out):
    from_: Instant = Field(alias="from")
    to: Instant
    decided: int
    median_seconds: int | None
    p90_seconds: int | None


class AppealReport(Out):
    current: Period
    previous: Period = Field(description="the period of the same length just before")
    median_change_pct: float | None = Field(description="median's change against the previous period, in %")
    p90_change_pct: float | None
    open_overdue: int = Field(description="undecided appeals past their deadline now")
    sla_hours: int
    rulebook_version: str


def _instant(value: str, name: str) -> dt.datetime:
    try:
        return parse_instant(value)
    except ValueError:
        raise AnxinError(E.INVALID_PERIOD, f"{name} must be an ISO 8601 instant with an offset", field=name) from None


# --- routes ------------------------------------------------------------------------------------------------------

@router.post("/violations/{violation_id}/appeals", status_code=201, response_model=AppealOut,
             summary="Appeal a violation (the merchant owning its shop, or its creator)",
             description="At most 2 appeals per violation (the first within 30 days of the penalty, the next within "
                         "15 days of a rejection: rulebook values), one open at a time, while the appellant's "
                         "channel is open. The penalty stays in force until an operator upholds the appeal. A "
                         "refusal names every reason (`reason_codes`, `rule_ids`).",
             openapi_extra=codes(E.VIOLATION_NOT_FOUND, E.INVALID_APPEAL, E.NOT_APPEALABLE, E.VIOLATION_NOT_ACTIVE,
                                 E.APPEAL_CHANNEL_CLOSED, E.APPEAL_OPEN, E.APPEAL_LIMIT_REACHED,
                                 E.APPEAL_WINDOW_CLOSED))
def file_appeal(violation_id: str, body: AppealIn, who: Principal = Depends(principal),
                appeals: Appeals = Depends(appeals_of)) -> dict[str, Any]:
    return appeals.file(who, violation_id, statement=body.statement,
                        evidence=[{"kind": e.kind, "ref": e.ref} for e in body.evidence])


@router.post("/appeals/{appeal_id}/decision", response_model=AppealOut,
             summary="Decide an appeal: upheld reverses the violation, rejected may be flagged abusive (operators)",
             description="Once: a second decision is 409 `governance.appeal_already_decided`.",
             openapi_extra=codes(E.APPEAL_NOT_FOUND, E.INVALID_DECISION, E.APPEAL_ALREADY_DECIDED))
def decide_appeal(appeal_id: str, body: DecisionIn, who: Principal = Depends(principal),
                  appeals: Appeals = Depends(appeals_of)) -> dict[str, Any]:
    return appeals.decide(who, appeal_id, outcome=body.outcome, reason_codes=body.reason_codes, note=body.note,
                          abusive=body.abusive)


@router.post("/appeals/{appeal_id}/withdrawal", response_model=AppealOut,
             summary="Withdraw an undecided appeal (its appellant); it does not count towards the limit",
             openapi_extra=codes(E.APPEAL_NOT_FOUND, E.APPEAL_ALREADY_DECIDED))
def withdraw_appeal(appeal_id: str, who: Principal = Depends(principal),
                    appeals: Appeals = Depends(appeals_of)) -> dict[str, Any]:
    return appeals.withdraw(who, appeal_id)


@router.get("/appeals", response_model=Page[AppealOut],
            summary="Appeals by SLA deadline, earliest first: the operators' queue; merchants and creators see their "
                    "own",
            description="`state`: submitted (the queue), upheld, rejected, withdrawn; `overdue=true`: undecided "
                        "past the deadline only.",
            openapi_extra=codes(E.INVALID_FILTER))
def list_appeals(state: str | None = Query(None, max_length=16), overdue: bool = Query(False),
                 limit: int = LIMIT, cursor: str | None = CURSOR, who: Principal = Depends(principal),
                 appeals: Appeals = Depends(appeals_of)) -> Page[dict[str, Any]]:
    scope = scope_of("governance.appeals", who.role.value, who.subject, state, overdue)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))  # (deadline iso, appeal id)
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = appeals.queue(who, state=state, overdue=overdue, limit=limit + 1, after=after)
    return page_of(rows, limit=limit, scope=scope, key=lambda a: (a["deadline_at"], a["appeal_id"]))


@router.get("/appeals/report", response_model=AppealReport, response_model_by_alias=True,
            summary="Appeal resolution time, median and p90, against the previous period (operators)",
            description="Appeals decided in [from, to); the previous period is the same length just before.",
            openapi_extra=codes(E.INVALID_PERIOD))
def appeal_report(from_: str = Query(..., alias="from", max_length=40), to: str = Query(..., max_length=40),
                  who: Principal = Depends(principal), appeals: Appeals = Depends(appeals_of)) -> dict[str, Any]:
    return appeals.report(who, start=_instant(from_, "from"), end=_instant(to, "to"))


@router.get("/appeals/{appeal_id}", response_model=AppealOut, summary="One appeal (operators, its appellant)",
            openapi_extra=codes(E.APPEAL_NOT_FOUND))
def get_appeal(appeal_id: str, who: Principal = Depends(principal),
               appeals: Appeals = Depends(appeals_of)) -> dict[str, Any]:
    return appeals.get(who, appeal_id)
