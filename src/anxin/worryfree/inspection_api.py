"""HTTP API of inbound inspection: lots and their inspection results. Thin: the use cases are
``worryfree.inspections.Inspections``; ``worryfree/api.py`` adds these routes to the context's router."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from anxin.core.principal import Principal
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of
from anxin.web.schema import Free, Instant, Out
from anxin.worryfree.inspection_error_codes import InspectionErrorCode as E
from anxin.worryfree.inspections import Inspections, UnitIn

router = APIRouter(prefix="/v1", tags=["worry-free"])


def inspections_of(request: Request) -> Inspections:
    return app_of(request).inspections


# --- request and response models ---------------------------------------------------------------------------------

Check = Literal["pass", "fail"]


class WfUnitResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_no: StrictInt = Field(ge=1, le=100_000, description="1 … the plan's sample size, once each")
    outer_packaging: Check
    labels: Check
    note: StrictStr = Field("", max_length=500)


class WfInspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: list[WfUnitResultIn] = Field(min_length=1, max_length=2000,
                                        description="one result per sampled unit (exactly the plan's sample size)")


class WfInspectionLot(Out):
    lot_id: str
    listing_id: str
    shop_id: str
    supplier_id: str
    quantity: int
    produced_on: str
    expires_on: str
    received_at: Instant
    status: str = Field(description="received | inspecting | passed | rejected")
    units_available: int
    units_reserved: int
    units_shipped: int
    units_removed: int
    verdict_at: Instant | None


class WfInspectionPlan(Out):
    severity: str = Field(description="normal | tightened")
    sample_size: int
    accept_number: int
    checks: list[str]
    reason_codes: list[str]
    rule_ids: list[str]
    rulebook_version: str
    facts: Free
    planned_at: Instant


class WfInspectionUnit(Out):
    unit_no: int
    results: dict[str, str]
    defective: bool
    note: str
    recorded_by: str
    recorded_at: Instant


class WfInspectionVerdict(Out):
    outcome: str = Field(description="passed | rejected")
    reason_codes: list[str]
    rule_ids: list[str]
    rulebook_version: str
    facts: Free
    defective_units: int | None
    decided_at: Instant
    decided_by: str | None


class WfInspection(Out):
    lot_id: str
    shop_id: str
    listing_id: str
    supplier_id: str
    category_id: str | None
    lot_size: int
    received_at: Instant
    status: str = Field(description="pending (awaiting results) | passed | rejected")
    plan: WfInspectionPlan
    units: list[WfInspectionUnit]
    verdict: WfInspectionVerdict | None


class WfLotView(Out):
    lot: WfInspectionLot
    inspection: WfInspection | None


# --- routes ------------------------------------------------------------------------------------------------------

@router.get("/worry-free/lots/{lot_id}", response_model=WfLotView,
            summary="A warehouse lot with its inspection plan, units and verdict (its merchant, staff)",
            description="A merchant sees the lots of their own shops only; any other caller (another merchant, a "
                        "consumer) gets 404, whether the lot exists or not.",
            openapi_extra=codes(E.LOT_NOT_FOUND))
def get_lot(lot_id: str, who: Principal = Depends(principal),
            inspections: Inspections = Depends(inspections_of)) -> dict[str, Any]:
    return inspections.lot_view(who, lot_id)


@router.post("/worry-free/lots/{lot_id}/inspection", response_model=WfLotView,
             summary="Record the sampled units' results; the lot's verdict follows (operator)",
             description="One result per sampled unit (`unit_no` 1 … the plan's sample size): `outer_packaging` and "
                         "`labels`, each `pass` or `fail`. A unit failing either check is defective; the lot passes "
                         "when the defective units are at most the plan's acceptance number, else it is rejected "
                         "(the stock gets the verdict in the same transaction; a rejected lot is published to "
                         "governance). A lot has one verdict: 409 `worryfree.inspection.already_decided` when it "
                         "has one (also to the second of two operators recording at once, or for a lot rejected "
                         "at receipt for its shelf life).",
             openapi_extra=codes(E.LOT_NOT_FOUND, E.NOT_PLANNED, E.ALREADY_DECIDED, E.INVALID_UNITS))
def record_inspection(lot_id: str, body: WfInspectionIn, who: Principal = Depends(principal),
                      inspections: Inspections = Depends(inspections_of)) -> dict[str, Any]:
    units = [UnitIn(u.unit_no, {"outer_packaging": u.outer_packaging, "labels": u.labels}, u.note)
             for u in body.units]
    return inspections.record_results(who, lot_id, units)


@router.get("/worry-free/inspections", response_model=Page[WfInspection],
            summary="Inbound inspections: the operators' queue by receipt, oldest first (staff)",
            description="`status`: `pending` (default: awaiting results), `decided` or `all`.",
            openapi_extra=codes())
def list_inspections(status: Literal["pending", "decided", "all"] = Query("pending"), limit: int = LIMIT,
                     cursor: str | None = CURSOR, who: Principal = Depends(principal),
                     inspections: Inspections = Depends(inspections_of)) -> Page[dict[str, Any]]:
    scope = scope_of("worryfree.inspections", status)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    pending = {"pending": True, "decided": False, "all": None}[status]
    rows = inspections.queue(who, pending=pending, after=after, limit=limit + 1)
    return page_of(rows, limit=limit, scope=scope, key=lambda r: (r["received_at"], r["lot_id"]))


@router.get("/worry-free/lots", response_model=Page[WfInspection],
            summary="A merchant's lots with their inspections, newest receipt first (merchant; staff by shop)",
            description="A merchant sees their own shops' lots (`shop_id`: one of them); staff may name any shop.",
            openapi_extra=codes())
def list_lots(shop_id: str | None = Query(None, max_length=64), limit: int = LIMIT, cursor: str | None = CURSOR,
              who: Principal = Depends(principal),
              inspections: Inspections = Depends(inspections_of)) -> Page[dict[str, Any]]:
    scope = scope_of("worryfree.lots", who.role.value, who.subject, shop_id)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = inspections.lots_of_merchant(who, shop_id=shop_id, after=after, limit=limit + 1)
    return page_of(rows, limit=limit, scope=scope, key=lambda r: (r["received_at"], r["lot_id"]))
