"""Fulfilment HTTP API: a shop's promise-keeping figures and one order's promise, findings, ETA and notices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from anxin.core.principal import Principal
from anxin.fulfilment import api_models as out
from anxin.fulfilment.error_codes import FulfilmentErrorCode as E
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes

router = APIRouter(prefix="/v1", tags=["fulfilment"])
DAYS = Query(30, description="rolling window in days: 7, 30 or 90")


@router.get("/shops/{shop_id}/fulfilment", summary="A shop's collection rates, timings, findings and points",
            response_model=out.FulfilmentReport, openapi_extra=codes(E.SHOP_NOT_FOUND, E.INVALID_WINDOW))
def shop_fulfilment(shop_id: str, request: Request, days: int = DAYS,
                    who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).fulfilment.shop_report(who, shop_id, days=days)


@router.get("/fulfilment", summary="The platform's fulfilment figures (operators and the platform)",
            response_model=out.FulfilmentReport, openapi_extra=codes(E.INVALID_WINDOW))
def platform_fulfilment(request: Request, days: int = DAYS, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).fulfilment.platform_report(who, days=days)


@router.get("/orders/{order_id}/fulfilment", summary="One order's promise, findings, consequences, ETA, notices",
            response_model=out.OrderFulfilment, openapi_extra=codes(E.ORDER_NOT_FOUND))
def order_fulfilment(order_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).fulfilment.order_report_for(who, order_id)
