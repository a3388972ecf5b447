"""After-sales HTTP API: guarantees of an order, filing and acting on cases, evidence."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from anxin.access.service import require_role
from anxin.aftersales import disclosure
from anxin.aftersales.api_models import Case, Evidence, OrderGuarantees
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.model import CaseState
from anxin.aftersales.service import FileCase
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.idempotency.service import Replay
from anxin.web.auth import app_of, idempotent_request, principal, replayed, role_guard
from anxin.web.guard import MAX_ID
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1", tags=["after-sales"])
IDEMPOTENCY_HELP = ("Optional. Name this money-moving request: a retry with the same key and body answers the first "
                    "response (header Idempotent-Replayed: true) without acting again; the same key with another "
                    "body is 409 idempotency.key_reused. Keys are kept at least 24 h.")


class FileCaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: StrictStr = Field(min_length=1, max_length=64)
    type: StrictStr = Field(description="refund_only | return_refund | exchange | compensation")
    reason: StrictStr = Field(description="no_reason, quality, damaged, spoiled, allergy, counterfeit, not_received, …")
    amount_fen: StrictInt = Field(description="amount claimed in fen (integer)")
    evidence: list[StrictStr] = Field(default_factory=list, description="sha256 of uploaded evidence images")
    description: StrictStr = ""
    listing_id: StrictStr | None = None
    unsealed: StrictBool = False


class ActBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "reject", "review_approve", "review_reject", "escalate", "arbitrate_for_consumer",
                    "arbitrate_for_merchant", "ship_return", "confirm_receipt", "reject_receipt", "cancel"]
    note: StrictStr = ""
    evidence: list[StrictStr] = Field(default_factory=list)
    method: Literal["self", "pickup"] | None = None
    carrier: StrictStr | None = None
    tracking_no: StrictStr | None = None
    freight_fen: StrictInt | None = None
    weight_g: StrictInt | None = None


def disclosed(request: Request, who: Principal, view: dict[str, Any]) -> dict[str, Any]:
    """A case (``CaseView.as_dict``) as ``who`` may read it: risk internals stay with operators and the platform.
    Every response carrying a case goes through it."""
    hours = disclosure.promised_hours(app_of(request).risk.rulebook.review_sla_hours)
    return disclosure.disclose(view, who.role, review_hours=hours)


@router.get("/orders/{order_id}/guarantees", summary="Guarantees covering an order now, with windows and state",
            response_model=OrderGuarantees, openapi_extra=codes(E.ORDER_NOT_FOUND))
def order_guarantees(order_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    g = app_of(request).aftersales.guarantees(who, order_id)
    return {"order_id": order_id, "rulebook_version": g.rulebook_version,
            "guarantees": [c.as_dict() for c in g.coverage]}


# What filing can refuse (the checks in ``filing``); acting adds the state machine's refusals (``model``), and a
# superseding request files anew, so it can answer filing's codes too: everything but the evidence upload's.
FILING = (E.FORBIDDEN_ROLE, E.ORDER_NOT_FOUND, E.INVALID_FIELD, E.INVALID_CASE_TYPE, E.INVALID_REASON, E.INVALID_AMOUNT,
          E.AMOUNT_EXCEEDS_REFUNDABLE, E.ORDER_CANCELLED, E.CASE_ALREADY_OPEN, E.EVIDENCE_NOT_FOUND,
          E.TOO_MANY_EVIDENCE, E.CONCURRENT_CHANGE)
ACTING = tuple(c for c in E if c not in (E.EVIDENCE_TOO_LARGE, E.EVIDENCE_NOT_IMAGE, E.NO_SUCH_EVIDENCE,
                                         E.RULEBOOK_INVALID))


@router.post("/aftersales/cases", status_code=201, summary="File an after-sale request; decided at once",
             response_model=Case, openapi_extra={
                 **codes(*FILING),
                 "requestBody": {"required": True, "content": {
                     "application/json": {"schema": FileCaseBody.model_json_schema()}}},
                 "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                 "description": IDEMPOTENCY_HELP, "schema": {"type": "string", "maxLength": 255}}]})
async def file_case(request: Request) -> Any:
    raw = await request.body()

    def authenticate_and_file() -> Any:
        # One thread-pool hop for key lookup, validation and the use case (the hottest endpoint); the key is
        # checked before the body, so a caller without one learns nothing about the schema.
        who = require_role(principal(request), Role.CONSUMER)
        try:
            body = FileCaseBody.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        cmd = FileCase(order_id=body.order_id, case_type=body.type, reason=body.reason, amount_fen=body.amount_fen,
                       evidence=tuple(body.evidence), description=body.description, listing_id=body.listing_id,
                       unsealed=body.unsealed)
        result = app_of(request).aftersales.file_case(
            who, cmd, request=idempotent_request(request, who, body))
        if isinstance(result, Replay):
            return replayed(result, disclosed(request, who, result.body))
        return disclosed(request, who, result.as_dict())

    return await run_in_threadpool(authenticate_and_file)


@router.get("/aftersales/cases", summary="Cases you may see, nearest deadline first (none last), then newest",
            response_model=Page[Case], openapi_extra=codes())
def list_cases(request: Request, state: list[CaseState] | None = Query(None, max_length=20),
               shop_id: str | None = Query(None, max_length=MAX_ID), limit: int = LIMIT, cursor: str | None = CURSOR,
               who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    states = sorted({s.value for s in state}) if state else None
    scope = scope_of("aftersales.cases", who.role, who.subject, states, shop_id)
    key = decode_cursor(cursor, scope=scope, shape=(str, str, str))  # (deadline or "", opened at, case id)
    after = None if key is None else (cursor_instant(key[0]) if key[0] else None, cursor_instant(key[1]),
                                      str(key[2]))
    views = app_of(request).aftersales.list_cases(who, states=states, shop_id=shop_id, limit=limit + 1, after=after)
    return page_of(views, limit=limit, scope=scope, item=lambda v: disclosed(request, who, v.as_dict()),
                   key=lambda v: (v.case.deadline_at.isoformat() if v.case.deadline_at else "",
                                  v.case.opened_at.isoformat(), v.case.case_id))


@router.get("/aftersales/cases/{case_id}", summary="A case with its decision and full timeline",
            response_model=Case, openapi_extra=codes(E.CASE_NOT_FOUND))
def get_case(case_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return disclosed(request, who, app_of(request).aftersales.get_case(who, case_id).as_dict())


@router.post("/aftersales/cases/{case_id}/actions", summary="Approve, reject, escalate, ship a return, arbitrate …",
             response_model=Case, openapi_extra=codes(*ACTING))
async def act(case_id: str, body: ActBody, request: Request, who: Principal = Depends(principal),
              _key: str | None = Header(None, alias="Idempotency-Key", max_length=255,
                                        description=IDEMPOTENCY_HELP)) -> Any:
    data = {k: v for k, v in {"method": body.method, "carrier": body.carrier, "tracking_no": body.tracking_no,
                              "freight_fen": body.freight_fen, "weight_g": body.weight_g}.items() if v is not None}
    if body.action == "ship_return":
        data.setdefault("method", "self")
    result = await run_in_threadpool(app_of(request).aftersales.act, who, case_id, body.action, note=body.note,
                                     data=data, evidence=tuple(body.evidence),
                                     request=idempotent_request(request, who, body))
    if isinstance(result, Replay):
        return replayed(result, disclosed(request, who, result.body))
    return disclosed(request, who, result.as_dict())


@router.post("/evidence", status_code=201, summary="Upload an evidence image (JPEG, PNG or WebP)",
             response_model=Evidence,
             openapi_extra=codes(E.EVIDENCE_TOO_LARGE, E.EVIDENCE_NOT_IMAGE))
async def upload_evidence(file: UploadFile, request: Request,
                          who: Principal = Depends(role_guard(Role.CONSUMER, Role.MERCHANT, Role.OPERATOR))
                          ) -> dict[str, Any]:
    anxin = app_of(request)
    limit = anxin.rulebooks.in_force(anxin.clock.now()).max_evidence_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise AnxinError(E.EVIDENCE_TOO_LARGE, f"evidence is larger than {limit} bytes")
    info = await run_in_threadpool(anxin.aftersales.upload_evidence, who, data)
    return {"sha256": info.sha256, "content_type": info.content_type, "size": info.size,
            "width": info.width, "height": info.height}


@router.get("/evidence/{sha256}", summary="An evidence image", response_class=Response,
            responses={200: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                                         "image/png": {"schema": {"type": "string", "format": "binary"}},
                                         "image/webp": {"schema": {"type": "string", "format": "binary"}}}}},
            openapi_extra=codes(E.NO_SUCH_EVIDENCE))
def get_evidence(sha256: str, request: Request, who: Principal = Depends(principal)) -> Response:
    found = app_of(request).aftersales.evidence_file(who, sha256)
    if found is None:
        raise AnxinError(E.NO_SUCH_EVIDENCE, "no such evidence")
    return Response(found[0], media_type=found[1], headers={"Cache-Control": "private, max-age=86400"})
