"""Worry-free HTTP API: the one router the web shell finds; the other slices' routers are added to it.

This module's own endpoints are the stock guarantee's (现货保障): the platform's checkout reserves warehouse stock for
an order before payment (``POST /v1/worry-free/reservations``, idempotent by order id), gives it up when the
consumer leaves (``DELETE``), and anyone entitled reads a listing's warehouse stock. Thin: ``Anxin.worryfree``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.worryfree.error_codes import WorryFreeErrorCode as E
from anxin.worryfree.service import WorryFree

router = APIRouter(prefix="/v1", tags=["worry-free"])

IdStr = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WfReservationItemIn(_Strict):
    listing_id: IdStr
    quantity: int = Field(ge=1, le=10_000)


class WfReservationIn(_Strict):
    order_id: IdStr = Field(description="the checkout's order id: the reservation's holder and idempotency key")
    items: list[WfReservationItemIn] = Field(min_length=1, max_length=100)


class WfItem(BaseModel):
    listing_id: str
    quantity: int


class WfReservation(BaseModel):
    reservation_id: str
    holder: str
    listing_id: str
    lot_id: str
    quantity: int
    state: str = Field(description="held | confirmed | shipped | released | expired")
    source: str = Field(description="checkout | payment | lucky_bag | prize")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    reason: str | None
    rule_ids: list[str]
    rulebook_version: str | None
    facts: dict[str, Any]


class WfHold(BaseModel):
    order_id: str
    holder: str
    state: str = Field(description="held until expires_at, confirmed once paid, shipped, or released")
    expires_at: dt.datetime | None
    items: list[WfItem] = Field(description="what the order holds now, by listing")
    reservations: list[WfReservation] = Field(description="per lot, FEFO, with the rule ids and facts")


class WfStock(BaseModel):
    listing_id: str
    available: int = Field(description="units in passed lots free to reserve")
    reserved: int
    shipped: int
    lots_by_status: dict[str, int]


def worryfree_of(request: Request) -> WorryFree:
    return app_of(request).worryfree


def _platform(who: Principal) -> None:
    if who.role is not Role.PLATFORM:
        raise AnxinError(E.FORBIDDEN, "only the platform's checkout reserves stock")


@router.post("/worry-free/reservations", status_code=201, response_model=WfHold,
             summary="Reserve warehouse stock for a checkout (platform)",
             description="Holds the items' units from passed lots, first-expiring first, skipping lots whose "
                         "remaining shelf-life share on the promised ship-by day (now + the warehouse window) is "
                         "below the category's minimum at shipment. All or nothing: 409 `worryfree.out_of_stock` "
                         "names what was short and holds nothing. The hold lasts `checkout_hold_minutes` "
                         "(rulebook); `order.paid` confirms it, else the job `worryfree.expire_holds` releases it. "
                         "Idempotent by `order_id`: the same items again answer the same hold with 200; other items "
                         "(or an order already paid) are 409 `worryfree.reservation_conflict`.",
             openapi_extra=codes(E.OUT_OF_STOCK, E.RESERVATION_CONFLICT, E.INVALID, E.FORBIDDEN))
def reserve(body: WfReservationIn, request: Request, response: Response,
            who: Principal = Depends(principal)) -> dict[str, Any]:
    _platform(who)
    hold = worryfree_of(request).hold(body.order_id, [(i.listing_id, i.quantity) for i in body.items])
    if not hold.created:
        response.status_code = 200
    return hold.as_dict()


@router.get("/worry-free/reservations/{order_id}", response_model=WfHold,
            summary="What an order holds of the warehouse stock (platform, operators)",
            openapi_extra=codes(E.RESERVATION_NOT_FOUND, E.FORBIDDEN))
def held(order_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    if who.role not in (Role.PLATFORM, Role.OPERATOR):
        raise AnxinError(E.FORBIDDEN, "the platform and operators read reservations")
    hold = worryfree_of(request).held(order_id)
    if hold is None:
        raise AnxinError(E.RESERVATION_NOT_FOUND, f"order {order_id} holds nothing", order_id=order_id)
    return hold.as_dict()


@router.delete("/worry-free/reservations/{order_id}", response_model=WfHold,
               summary="Give up a checkout's reservation (platform)",
               description="The order's held and confirmed units go back to their lots; again is a no-op. 404 "
                           "`worryfree.reservation_not_found` when the order never held anything; 409 "
                           "`worryfree.not_releasable` once it has shipped.",
               openapi_extra=codes(E.RESERVATION_NOT_FOUND, E.NOT_RELEASABLE, E.FORBIDDEN))
def drop(order_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    _platform(who)
    return worryfree_of(request).drop(order_id).as_dict()


@router.get("/worry-free/stock/{listing_id}", response_model=WfStock,
            summary="A listing's warehouse stock (its merchant, operators, the platform)",
            description="Units available in passed lots, reserved, shipped, and the listing's lots by status. A "
                        "merchant sees only their shops' listings (another's is 404).",
            openapi_extra=codes(E.LISTING_NOT_FOUND))
def stock(listing_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return worryfree_of(request).stock_for(who, listing_id).as_dict()


# The slices' routers, one API for the context (each keeps its own file and error codes).
from anxin.worryfree import inspection_api, lucky_bag_api, pool_api, tag_api  # noqa: E402

for _part in (inspection_api, tag_api, lucky_bag_api, pool_api):
    router.routes.extend(_part.router.routes)
