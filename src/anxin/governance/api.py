"""Governance HTTP API: a shop's governance record (its merchant and operators), violations recorded by operators
(idempotent by the client's id), one violation, and the operators' list; listing compliance and sampling inspection
come from their own routers, included here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request

from anxin.core.principal import Principal
from anxin.governance import api_models as out
from anxin.governance import appeal_api, inspection_api, ip_api, listing_api
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of

router = APIRouter(tags=["governance"])


@router.get("/v1/shops/{shop_id}/governance", summary="A shop's governance record (its merchant, operators)",
            description="Points by class with when each entry expires, where the shop stands on each ladder (the "
                        "next node, the distance to it, a caution within the catalogue's caution distance), active "
                        "measures with their end, the latest violations and the shop's appeals.",
            response_model=out.ShopGovernance, response_model_by_alias=True,
            openapi_extra=codes(E.SHOP_NOT_FOUND))
def shop_governance(shop_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).governance.queries.shop_record(who, shop_id)


@router.get("/v1/creators/{creator_id}/governance", summary="A creator's governance record (the creator, operators)",
            description="Points on the creator's own record by class with each entry's expiry and where it stands "
                        "on each ladder; active measures on the creator and on the live rooms of violations naming "
                        "the creator (creator.restrict, live_room.penalise) with their end; the latest violations "
                        "naming the creator, whoever's record carries their points; the creator's appeals.",
            response_model=out.CreatorGovernance, response_model_by_alias=True,
            openapi_extra=codes(E.CREATOR_NOT_FOUND))
def creator_governance(creator_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).governance.queries.creator_record(who, creator_id)


@router.post("/v1/governance/violations", summary="Record a violation (operators)",
             description='`{"id": "<your id>", "kind": "counterfeit", "subject": "listing:l1", "shop_id": "s1", '
                         '"severity": "major", "evidence": {...}, "note": "..."}`. The ladder decides the points and '
                         "measures, enforced as platform actions. The same id again answers the same violation "
                         '(`"created": false`); the same id with another kind or subject is 409.',
             response_model=out.RecordedViolation, response_model_by_alias=True,
             openapi_extra=codes(E.INVALID_REQUEST, E.UNKNOWN_KIND, E.INVALID_SUBJECT, E.SEVERITY_REQUIRED,
                                 E.EVIDENCE_MISSING, E.NO_OWNER, E.INVALID_SOURCE, E.SOURCE_CONFLICT))
def record_violation(request: Request, body: Any = Body(...), who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).governance.queries.record_by_hand(who, body)


@router.get("/v1/governance/violations", summary="Violations, newest first (operators; merchants for their shop)",
            response_model=Page[out.Violation], response_model_by_alias=True,
            openapi_extra=codes(E.INVALID_FILTER, E.SHOP_NOT_FOUND))
def list_violations(request: Request, shop_id: str | None = Query(None, max_length=64),
                    kind: str | None = Query(None, max_length=40), state: str | None = Query(None, max_length=16),
                    limit: int = LIMIT, cursor: str | None = CURSOR,
                    who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("governance.violations", shop_id, kind, state)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = app_of(request).governance.queries.list(who, shop_id=shop_id, kind=kind, state=state, limit=limit + 1,
                                                   after=after)
    return page_of(rows, limit=limit, scope=scope, key=lambda v: (v["recorded_at"], v["violation_id"]))


@router.get("/v1/governance/violations/{violation_id}", summary="One violation and its measures",
            description="Its shop's merchant, the creator it names, and operators; operators also see every "
                        "decision and its facts.",
            response_model=out.ViolationDetail, response_model_by_alias=True, response_model_exclude_none=False,
            openapi_extra=codes(E.VIOLATION_NOT_FOUND))
def get_violation(violation_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).governance.queries.violation(who, violation_id)


# The use cases with routers of their own: listing compliance, sampling inspection, appeals, IP complaints.
router.include_router(listing_api.router)
router.include_router(inspection_api.router)
router.include_router(appeal_api.router)
router.include_router(ip_api.router)
