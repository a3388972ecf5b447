"""HTTP API of the creators' selection pool and the programme's order metrics.

``GET /v1/selection-pool`` (creators, operators, the platform): listings offered to creators with a commission,
filtered and sorted, one cursor page at a time, each with badges that explain themselves.
``GET /v1/worry-free/metrics`` (the same readers): worry-free vs other orders over a period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from anxin.core.clock import parse_instant
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, decode_cursor, encode_cursor, scope_of
from anxin.worryfree.metrics import ProgrammeMetricsReader
from anxin.worryfree.pool import PoolItem, SelectionPool, TagBands
from anxin.worryfree.pool_error_codes import PoolErrorCode as E
from anxin.worryfree.pool_filters import PoolFilter

router = APIRouter(prefix="/v1", tags=["worry-free"])


def pool_of(request: Request) -> SelectionPool:
    a = app_of(request)
    return SelectionPool(uow_factory=a.uow_factory, clock=a.clock, guarantees=a.rulebooks,
                         bands=TagBands(a.wf_tags.rules))


def metrics_of(request: Request) -> ProgrammeMetricsReader:
    a = app_of(request)
    return ProgrammeMetricsReader(uow_factory=a.uow_factory, clock=a.clock)


class WfPoolText(BaseModel):
    zh_CN: str = Field(alias="zh-CN")
    en: str


class WfPoolBadge(BaseModel):
    code: str = Field(description="worry_free, score_band.<band>, guarantee.<service>, commission")
    label: WfPoolText
    explanation: WfPoolText
    rule_id: str
    rulebook_version: str
    facts: dict[str, Any]


class WfPoolItem(BaseModel):
    listing_id: str
    shop_id: str
    shop_name: str
    category_id: str
    title: str
    price_fen: int
    commission_bp: int = Field(description="basis points of the price paid to the creator (1500 = 15 %)")
    worry_free: bool
    score_band: str = Field(description="the shop's experience score band, or unscored")
    guarantees: list[str] = Field(description="the guarantee services the listing's orders would carry")
    badges: list[WfPoolBadge]


class WfRate(BaseModel):
    num: int
    den: int
    rate: float | None
    percent: str | None


class WfGroupMetrics(BaseModel):
    orders: int
    ship_24h: WfRate
    next_day_delivery: WfRate
    product_complaint: WfRate
    after_sale: WfRate


class WfMetricGroups(BaseModel):
    worry_free: WfGroupMetrics
    other: WfGroupMetrics


class WfMetrics(BaseModel):
    since: str
    until: str
    as_of: str
    version: str
    better: dict[str, str]
    groups: WfMetricGroups


def item_json(item: PoolItem) -> dict[str, Any]:
    c = item.candidate
    return {"listing_id": c.listing_id, "shop_id": c.shop_id, "shop_name": c.shop_name, "category_id": c.category_id,
            "title": c.title, "price_fen": c.price_fen, "commission_bp": c.commission_bp, "worry_free": c.worry_free,
            "score_band": c.band, "guarantees": sorted(c.services), "badges": [b.as_dict() for b in item.badges]}


Sort = Literal["listing", "commission", "price_asc", "price_desc"]


@router.get("/selection-pool", response_model=Page[WfPoolItem], response_model_by_alias=True,
            summary="The creators' selection pool: offered listings, filtered, with self-explaining badges",
            description="Creators, operators and the platform. Listings whose shop offers creators a commission "
                        "(`commission_bp` on `listing.upserted`). `category_id` includes every category below it; "
                        "`price_min_fen`, `price_max_fen` and `min_commission_bp` are inclusive; `guarantee` is a "
                        "service name of the Service Guarantee Hall (instant_refund, seven_day_no_reason, …); "
                        "`score_band` is that band of the shop's experience score or better; `worry_free` true "
                        "or false keeps tagged or untagged listings. Sort: listing id, commission (highest first), "
                        "price ascending or descending.",
            openapi_extra=codes(E.INVALID_FILTER, E.UNKNOWN_CATEGORY))
def selection_pool(request: Request, category_id: str | None = Query(None, max_length=64),
                   price_min_fen: int | None = None, price_max_fen: int | None = None,
                   min_commission_bp: int | None = None, guarantee: str | None = Query(None, max_length=64),
                   score_band: str | None = Query(None, max_length=32), worry_free: bool | None = None,
                   sort: Sort = "listing", limit: int = LIMIT, cursor: str | None = CURSOR,
                   who: Principal = Depends(principal)) -> Page[Any]:
    f = PoolFilter(category_id or None, price_min_fen, price_max_fen, min_commission_bp, guarantee or None,
                   score_band or None, worry_free, sort)
    scope = scope_of("worryfree.pool", *f.scope())
    key = decode_cursor(cursor, scope=scope, shape=(int, str))
    page = pool_of(request).search(who, f, after=(int(key[0]), str(key[1])) if key else None, limit=limit)
    return Page[Any](items=[item_json(i) for i in page.items], limit=limit,
                     next=encode_cursor(page.next_key, scope=scope) if page.next_key is not None else None)


def _instant(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise AnxinError(E.INVALID_PERIOD, f"{name} must be an ISO 8601 instant with an offset", field=name) from None


@router.get("/worry-free/metrics", response_model=WfMetrics,
            summary="Worry-free vs other orders: 24-hour ship rate, next-day delivery, complaint and after-sale rates",
            description="Creators, operators and the platform. Orders paid in [since, until) (default: the last 30 "
                        "days), split by the worry-free flag, each rate with its numerator and denominator.",
            openapi_extra=codes(E.INVALID_PERIOD))
def worry_free_metrics(request: Request, since: str | None = Query(None, max_length=40),
                       until: str | None = Query(None, max_length=40),
                       who: Principal = Depends(principal)) -> dict[str, Any]:
    m = metrics_of(request).metrics(who, since=_instant(since, "since"), until=_instant(until, "until"))
    return m.as_dict()
