"""HTTP API of lucky bags (无忧福袋): campaigns, entries, draws. Thin: the use cases are
``worryfree.lucky_bags.LuckyBags``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from anxin.core.clock import parse_instant
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of
from anxin.web.schema import Free, Instant, Out
from anxin.worryfree.error_codes import WorryFreeErrorCode as WE
from anxin.worryfree.lucky_bag_error_codes import LuckyBagErrorCode as E
from anxin.worryfree.lucky_bags import LuckyBags, NewBag, NewEntry

router = APIRouter(prefix="/v1", tags=["worry-free"])

ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")


def bags_of(request: Request) -> LuckyBags:
    return app_of(request).lucky_bags


# --- request and response models ---------------------------------------------------------------------------------

class LuckyBagPrizeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    listing_id: StrictStr = ID
    quantity: StrictInt = Field(ge=1, le=100_000)


class LuckyBagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    live_room_id: StrictStr = ID
    shop_id: StrictStr = ID
    creator_id: StrictStr | None = Field(None, min_length=1, max_length=64,
                                         description="the creator of the live room (a creator's own id is taken "
                                                     "from the key; a merchant or the platform names one)")
    title: StrictStr = Field("", max_length=200)
    prizes: list[LuckyBagPrizeIn] = Field(min_length=1, max_length=100,
                                          description="worry-free tagged listings of the shop, each once")
    opens_at: Instant
    closes_at: Instant


class LuckyBagEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    consumer_id: StrictStr = ID
    region: StrictStr = Field(min_length=2, max_length=32, description="where a prize would go, e.g. CN-ZJ-HZ")
    entered_at: Instant


class LuckyBagCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: StrictStr = Field(min_length=1, max_length=200, description="why, shown to the creator and the shop")


class LuckyBagPrizeOut(Out):
    listing_id: str
    quantity: int


class LuckyBagWinnerOut(Out):
    position: int
    consumer_id: str
    listing_id: str
    unit_no: int
    order_id: str = Field(description="the prize order: zero price, shipped from the warehouse")


class LuckyBagReleasedOut(Out):
    listing_id: str
    lot_id: str
    quantity: int


class LuckyBagOut(Out):
    bag_id: str
    live_room_id: str
    creator_id: str | None
    shop_id: str
    title: str
    created_by: str
    state: str = Field(json_schema_extra={"enum": ["open", "drawn", "cancelled"]})
    prizes: list[LuckyBagPrizeOut]
    prize_units: int
    opens_at: Instant
    closes_at: Instant
    seed_hash: str = Field(description="SHA-256 of the server seed, fixed at creation (the commitment)")
    seed: str | None = Field(description="the server seed (hex), revealed once drawn")
    entries: int
    eligible_entries: int
    created_at: Instant
    drawn_at: Instant | None
    drawn_by: str | None
    cancelled_at: Instant | None = None
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    decision: Free
    rulebook_version: str
    audit: Free | None = Field(None, description="the draw's record: algorithm, seed, entrants digest, key, each "
                                                 "entrant's chance (k of n) and place, winners, undrawn units")
    released: list[LuckyBagReleasedOut] | None = None
    winners: list[LuckyBagWinnerOut] | None = None


class LuckyBagEntryOut(Out):
    entry_id: str
    bag_id: str
    consumer_id: str
    region: str
    entered_at: Instant
    eligible: bool
    reasons: list[str]
    rule_ids: list[str]
    facts: Free
    rulebook_version: str
    recorded_at: Instant


def _instant(value: str, name: str) -> dt.datetime:
    try:
        return parse_instant(value)
    except ValueError:
        raise AnxinError(E.INVALID, f"{name} must be an ISO 8601 instant with an offset", field=name) from None


# --- routes ------------------------------------------------------------------------------------------------------

@router.post("/lucky-bags", status_code=201, response_model=LuckyBagOut,
             summary="Create a lucky bag (creator, merchant of the shop, platform): prizes reserved from stock",
             description="Every prize must be a listing of the shop carrying the worry-free tag; its units are "
                         "reserved from passed warehouse stock (all or nothing: 409 `worryfree.out_of_stock`). The "
                         "answer shows `seed_hash`, the commitment to the server seed the draw will use.",
             openapi_extra=codes(E.INVALID, E.FORBIDDEN, E.WRONG_SHOP, E.NOT_TAGGED, WE.OUT_OF_STOCK))
def create_bag(body: LuckyBagIn, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    cmd = NewBag(live_room_id=body.live_room_id, shop_id=body.shop_id, creator_id=body.creator_id, title=body.title,
                 prizes=tuple((p.listing_id, p.quantity) for p in body.prizes),
                 opens_at=_instant(body.opens_at, "opens_at"), closes_at=_instant(body.closes_at, "closes_at"))
    return bags_of(request).create(who, cmd)


@router.get("/lucky-bags", response_model=Page[LuckyBagOut],
            summary="Lucky bags, newest first (a creator's own, a merchant's shops', all for staff and platform)",
            openapi_extra=codes(E.INVALID))
def list_bags(request: Request, state: str | None = Query(None, max_length=16), limit: int = LIMIT,
              cursor: str | None = CURSOR, who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("worryfree.lucky_bags", who.role.value, who.subject, state)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = bags_of(request).list(who, state=state, limit=limit + 1, after=after)
    return page_of(rows, limit=limit, scope=scope, key=lambda b: (b["created_at"], b["bag_id"]))


@router.get("/lucky-bags/{bag_id}", response_model=LuckyBagOut,
            summary="One lucky bag with its draw's audit once drawn (owner, staff, platform)",
            openapi_extra=codes(E.NOT_FOUND))
def get_bag(bag_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return bags_of(request).get(who, bag_id)


@router.post("/lucky-bags/{bag_id}/entries", status_code=201, response_model=LuckyBagEntryOut,
             summary="Enter a consumer in a lucky bag's draw (platform); one entry per consumer",
             description="The entry is recorded with its eligibility decision (the window opens_at ≤ entered_at < "
                         "closes_at, the region, the account's age) and its reasons. The same consumer again answers "
                         "the first entry with 200.",
             openapi_extra=codes(E.NOT_FOUND, E.INVALID, E.NOT_OPEN))
def enter_bag(bag_id: str, body: LuckyBagEntryIn, request: Request, response: Response,
              who: Principal = Depends(principal)) -> dict[str, Any]:
    entry, created = bags_of(request).enter(
        who, bag_id, NewEntry(body.consumer_id, body.region, _instant(body.entered_at, "entered_at")))
    if not created:
        response.status_code = 200
    return entry


@router.get("/lucky-bags/{bag_id}/entries", response_model=Page[LuckyBagEntryOut],
            summary="A lucky bag's entries with their eligibility, by consumer id (owner, staff, platform)",
            openapi_extra=codes(E.NOT_FOUND))
def list_entries(bag_id: str, request: Request, limit: int = LIMIT, cursor: str | None = CURSOR,
                 who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("worryfree.lucky_bag_entries", bag_id)
    key = decode_cursor(cursor, scope=scope, shape=(str,))
    rows = bags_of(request).entries(who, bag_id, limit=limit + 1, after=None if key is None else str(key[0]))
    return page_of(rows, limit=limit, scope=scope, key=lambda e: (e["consumer_id"],))


@router.post("/lucky-bags/{bag_id}/draw", response_model=LuckyBagOut,
             summary="Draw a lucky bag (owner after the close; operator once the owner's time passed; platform)",
             description="Idempotent: the first draw makes one zero-price prize order per winner (shipped from the "
                         "warehouse under its promise, the platform told through the outbox `prize.ship`) and "
                         "releases the units nobody won; every later or concurrent draw answers that result (200).",
             openapi_extra=codes(E.NOT_FOUND, E.NOT_OPEN, E.WINDOW_NOT_CLOSED, E.OWNER_WINDOW_PASSED,
                                 E.FORBIDDEN, WE.OUT_OF_STOCK))
def draw_bag(bag_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return bags_of(request).draw(who, bag_id)[0]


@router.post("/lucky-bags/{bag_id}/cancel", response_model=LuckyBagOut,
             summary="Cancel an open lucky bag (owner before the window opens; operator until the draw)",
             description="Idempotent: the prize stock goes back to its lots and the bag takes no entries; a second "
                         "cancel answers the cancelled bag (200). A drawn bag is never cancelled.",
             openapi_extra=codes(E.NOT_FOUND, E.NOT_OPEN, E.CANCEL_WINDOW_PASSED, E.INVALID))
def cancel_bag(bag_id: str, body: LuckyBagCancelIn, request: Request,
               who: Principal = Depends(principal)) -> dict[str, Any]:
    return bags_of(request).cancel(who, bag_id, body.reason)[0]
