"""HTTP API of enrolment and the worry-free tag. Thin: the use cases are ``worryfree.enrolment.Enrolments`` and
``worryfree.tags.Tags``; ``worryfree/api.py`` adds these routes to the context's router."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from anxin.core.principal import Principal
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, decode_cursor, page_of, scope_of
from anxin.web.schema import Free, Instant, Out
from anxin.worryfree.enrolment import Enrolments
from anxin.worryfree.tag_error_codes import TagErrorCode as E
from anxin.worryfree.tag_store import STATES
from anxin.worryfree.tags import Tags

router = APIRouter(prefix="/v1", tags=["worry-free"])


def enrolments_of(request: Request) -> Enrolments:
    found: Enrolments = app_of(request).wf_enrolments
    return found


def tags_of(request: Request) -> Tags:
    found: Tags = app_of(request).wf_tags
    return found


class WfEnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    listing_id: str = Field(min_length=1, max_length=64)


class WfEnrolment(Out):
    listing_id: str
    shop_id: str
    state: str = Field(json_schema_extra={"enum": list(STATES)})
    outcome: str | None = Field(description="the decision: eligible or refused")
    reasons: list[str] = Field(description="reason codes: what failed when refused, what was met when eligible")
    rule_ids: list[str] = Field(description="the rules checked")
    failed_rule_ids: list[str]
    rulebook_version: str
    facts: Free
    requested_by: str
    requested_at: Instant
    decided_at: Instant
    version: int


class WfTagState(Out):
    tagged: bool
    since: Instant | None = Field(description="when the current state (tagged or not) began")
    reasons: list[str]
    rule_ids: list[str]
    failed_rule_ids: list[str]
    rulebook_version: str
    facts: Free
    trigger: str = Field(description="what evaluated it last: job, enrolment, withdrawal, lot_passed, "
                                     "stock_depleted")
    evaluated_at: Instant


class WfTagChange(Out):
    change: str = Field(json_schema_extra={"enum": ["gained", "lost"]})
    at: Instant
    reasons: list[str]
    rule_ids: list[str]
    rulebook_version: str
    trigger: str
    facts: Free


class WfUpgrade(Out):
    rule_id: str
    zh_cn: str = Field(alias="zh-CN")
    en: str


class WfListingStatus(Out):
    listing_id: str
    shop_id: str
    title: str
    enrolment: WfEnrolment | None
    tag: WfTagState | None
    history: list[WfTagChange] = Field(description="tag changes, newest first (at most 50)")
    stock: Free | None = Field(description="warehouse stock: available, reserved, shipped, lots by status")
    upgrades: list[WfUpgrade] = Field(description="the upgraded guarantees while tagged")


@router.post("/worry-free/enrolments", status_code=201, response_model=WfEnrolment, response_model_by_alias=True,
             summary="Enrol a listing in the worry-free programme (its merchant, operators, the platform)",
             description="Decided at once by the rulebook (worryfree_tags.yaml: category, score band, no severe "
                         "violation in the window, the shop open). 201: enrolled now (the tag is evaluated at once); "
                         "200: already enrolled (answered as it is; concurrent requests make one enrolment). A "
                         "refusal is stored (state refused, shown on the merchant page) and answered 422 "
                         "`worryfree.not_eligible` with `reasons`, `failed_rule_ids` and `rulebook_version` in the "
                         "problem body; a later request decides again.",
             openapi_extra=codes(E.LISTING_NOT_FOUND, E.NOT_ELIGIBLE, E.FORBIDDEN))
def enrol(body: WfEnrolmentIn, response: Response, who: Principal = Depends(principal),
          enrolments: Enrolments = Depends(enrolments_of)) -> dict[str, Any]:
    out, decided = enrolments.enrol(who, body.listing_id)
    if not decided:
        response.status_code = 200
    return out


@router.delete("/worry-free/enrolments/{listing_id}", response_model=WfEnrolment, response_model_by_alias=True,
               summary="Withdraw a listing from the programme (its merchant, operators, the platform)",
               description="The enrolment becomes withdrawn and the tag is lost at once.",
               openapi_extra=codes(E.LISTING_NOT_FOUND, E.NOT_ENROLLED, E.FORBIDDEN))
def withdraw(listing_id: str, who: Principal = Depends(principal),
             enrolments: Enrolments = Depends(enrolments_of)) -> dict[str, Any]:
    return enrolments.withdraw(who, listing_id)


@router.get("/shops/{shop_id}/worry-free/enrolments", response_model=Page[WfEnrolment],
            response_model_by_alias=True, summary="A shop's enrolments by listing id (its merchant, staff)",
            openapi_extra=codes(E.SHOP_NOT_FOUND, E.INVALID_FILTER))
def shop_enrolments(shop_id: str, state: str | None = Query(None, max_length=16), limit: int = LIMIT,
                    cursor: str | None = CURSOR, who: Principal = Depends(principal),
                    enrolments: Enrolments = Depends(enrolments_of)) -> Page[dict[str, Any]]:
    scope = scope_of("wf.enrolments", shop_id, state)
    key = decode_cursor(cursor, scope=scope, shape=(str,))
    rows = enrolments.of_shop(who, shop_id, state=state, after=None if key is None else str(key[0]),
                              limit=limit + 1)
    return page_of(rows, limit=limit, scope=scope, key=lambda r: (r["listing_id"],))


@router.get("/listings/{listing_id}/worry-free", response_model=WfListingStatus, response_model_by_alias=True,
            summary="A listing's worry-free status: enrolment, tag with reasons, history, stock",
            description="Its merchant, operators, the platform and creators. The tag's reasons are what failed "
                        "(untagged) or what was met (tagged), with the rule ids and the facts judged.",
            openapi_extra=codes(E.LISTING_NOT_FOUND))
def listing_status(listing_id: str, who: Principal = Depends(principal),
                   tags: Tags = Depends(tags_of)) -> dict[str, Any]:
    return tags.listing_view(who, listing_id)
