"""Merchants HTTP API: applications and the shop lifecycle, deposits and payouts, fee statements and campaigns,
novice tasks and programmes, financing offers, open cases, the settlement job.

Thin: parse, call the merchant use case with the caller, return what it returns. A merchant key sees only its own shops
(another merchant's shop is ``merchants.shop_not_found``); operators and the platform see every shop. Money is
integer fen; amounts that move money take an ``idempotency_key``: the same key again does nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from anxin.core.clock import beijing_day
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.idempotency.service import HEADER, IdempotentRequest, Replay, request_for
from anxin.merchants import api_models as out
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.web.auth import app_of, idempotent_request, principal, replayed
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1/merchants", tags=["merchants"])

# The codes each operation can answer (``anxin.web.openapi.codes``), as its use case raises them. Every movement: a bad
# amount or key, a shop not visible, a key the ledger already holds for another posting (another caller's).
MOVEMENT = (E.INVALID_AMOUNT, E.INVALID_FIELD, E.SHOP_NOT_FOUND, E.IDEMPOTENCY_CONFLICT)
# A transfer is refused whole, for the first reason ``merchants.lifecycle.plan_transfer`` finds.
TRANSFER = (E.FORBIDDEN_ROLE, E.INVALID_FIELD, E.SHOP_NOT_FOUND, E.SHOP_CLOSED, E.SHOP_NOT_OPEN, E.TRANSFER_TO_BANNED,
            E.TRANSFER_SAME_OWNER, E.ENTITY_CHANGE_INVALID, E.UPGRADE_INVALID, E.LICENCE_REQUIRED,
            E.LICENCE_AT_LIMIT, E.CATEGORY_NOT_ALLOWED)


class Application(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shop_id: StrictStr
    name: StrictStr
    store_type: StrictStr = Field(description="enterprise | individual | personal")
    categories: list[StrictStr] = Field(description="category ids the shop will sell in")
    licence_no: StrictStr | None = Field(None, description="business licence (enterprise and individual shops)")
    legal_rep: StrictStr | None = None
    qualifications: list[StrictStr] = Field([], description="e.g. food_permit, cosmetics_filing, alcohol_licence")
    credentials: dict[str, StrictStr] = Field({}, description="bank_account, phone … screened against banned shops")
    trial: StrictBool = Field(False, description="ask for the zero-deposit trial (0元入驻)")
    merchant_id: StrictStr | None = Field(None, description="only when the platform applies for a merchant")


class ApplicationDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: StrictBool
    note: StrictStr = ""


class StateMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: StrictStr = Field(description="restrict | suspend | reinstate | close")
    reason: StrictStr = ""


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: StrictStr = Field(description="transfer | entity_change | upgrade")
    to_merchant_id: StrictStr | None = None
    store_type: StrictStr | None = None
    licence_no: StrictStr | None = None
    credentials: dict[str, StrictStr] = {}


class Money(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: StrictInt = Field(description="positive, in fen")
    idempotency_key: StrictStr | None = Field(None, max_length=120, description=(
        "names the movement: the same key again does nothing twice (or send the Idempotency-Key header)"))


class Deduction(Money):
    reason: StrictStr = Field(description="penalty | compensation")
    allow_debt: StrictBool = Field(False, description="book what the deposit cannot cover to the shop's debt")
    memo: StrictStr = ""


def _day(value: str | None, name: str, default: dt.date) -> dt.date:
    if value is None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise AnxinError(E.INVALID_PERIOD, f"{name}: a date like 2026-11-01", field=name) from None


def _instant(value: str | int) -> dt.datetime:
    """An instant a cursor carries (it was an answer's ISO 8601 text)."""
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise AnxinError(W.INVALID_CURSOR, "the cursor is not one this API gave out", field="cursor") from None


@router.get("/shops", summary="The caller's shops at a glance, by shop id (a merchant: their own)",
            response_model=Page[out.ShopGlance], openapi_extra=codes())
def shops(request: Request, limit: int = LIMIT, cursor: str | None = CURSOR,
          who: Principal = Depends(principal)) -> Page[Any]:
    scope = scope_of("merchant-shops", who.role.value, who.subject)
    after = decode_cursor(cursor, scope=scope, shape=(str,))
    got = app_of(request).merchants.centre.overview(who, after=None if after is None else str(after[0]),
                                                    limit=limit + 1)
    return page_of(got["shops"], limit=limit, scope=scope, key=lambda s: (s["shop_id"],))


@router.post("/applications", status_code=201, summary="Apply for a shop: screened at once, with reasons",
             response_model=out.ShopStatus, openapi_extra=codes(E.FORBIDDEN_ROLE, E.INVALID_FIELD, E.SHOP_EXISTS))
def apply(body: Application, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.lifecycle.apply(who, body.model_dump(exclude_none=True))


@router.get("/shops/{shop_id}", summary="A shop's state, screening, what carried over, and its full history",
            response_model=out.ShopStatus, openapi_extra=codes(E.SHOP_NOT_FOUND))
def status(shop_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.centre.status(who, shop_id)


@router.post("/shops/{shop_id}/decision", summary="Approve or reject an application waiting for review (operators)",
             response_model=out.ShopStatus,
             openapi_extra=codes(E.FORBIDDEN_ROLE, E.SHOP_NOT_FOUND, E.ILLEGAL_TRANSITION))
def decide(shop_id: str, body: ApplicationDecision, request: Request,
           who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.lifecycle.decide_application(who, shop_id, approve=body.approve, note=body.note)


@router.post("/shops/{shop_id}/state", summary="Restrict, suspend, reinstate or close (a merchant may only close)",
             response_model=out.ShopStatus,
             openapi_extra=codes(E.INVALID_FIELD, E.FORBIDDEN_ROLE, E.SHOP_NOT_FOUND, E.ILLEGAL_TRANSITION))
def move(shop_id: str, body: StateMove, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.lifecycle.change_state(who, shop_id, action=body.action, reason=body.reason)


@router.post("/shops/{shop_id}/transfer", summary="Transfer, change entity or upgrade; the history stays (operators)",
             response_model=out.ShopStatus, openapi_extra=codes(*TRANSFER))
def transfer(shop_id: str, body: Transfer, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.lifecycle.transfer(who, shop_id, body.model_dump(exclude_none=True))


@router.get("/shops/{shop_id}/novice", summary="Novice tasks, XP, level, unlocks; creator matching; traffic support",
            response_model=out.Novice, openapi_extra=codes(E.SHOP_NOT_FOUND))
def novice(shop_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.programmes.novice(who, shop_id)


@router.get("/shops/{shop_id}/deposit", summary="Deposit held and required (and why), debt, goods payment",
            response_model=out.Deposit, openapi_extra=codes(E.SHOP_NOT_FOUND))
def deposit(shop_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.money.deposit(who, shop_id, postings=False)


@router.get("/shops/{shop_id}/postings", summary="The shop's ledger postings (deposit, debt, goods), latest first",
            response_model=Page[out.Posting], openapi_extra=codes(E.SHOP_NOT_FOUND))
def postings(shop_id: str, request: Request, limit: int = LIMIT, cursor: str | None = CURSOR,
             who: Principal = Depends(principal)) -> Page[Any]:
    scope = scope_of("postings", shop_id)
    after = decode_cursor(cursor, scope=scope, shape=(str, str))
    rows = app_of(request).merchants.money.postings(
        who, shop_id, after=None if after is None else (_instant(after[0]), str(after[1])), limit=limit + 1)
    return page_of(rows, limit=limit, scope=scope, key=lambda p: (p["at"], p["key"]))


def _money_call(request: Request, who: Principal, body: Money) -> tuple[str | None, IdempotentRequest | None]:
    """The movement's key (body field or Idempotency-Key header, one is needed) and the request it names: a retry
    with the same key and body answers the first response, another body is 409 idempotency.key_reused."""
    header = request.headers.get(HEADER)
    key = body.idempotency_key if body.idempotency_key is not None else header
    named = idempotent_request(request, who, body)
    if named is None and key is not None:
        named = request_for(f"{who.role.value}:{who.subject}", key, request.method, request.url.path,
                            body.model_dump())
    return key, named


def _answer(result: dict[str, Any] | Replay) -> Any:
    return replayed(result, result.body) if isinstance(result, Replay) else result


_KEY_HEADER = Header(None, alias=HEADER, max_length=255, description="alternative to the body's idempotency_key")


@router.post("/shops/{shop_id}/deposit/top-ups", summary="Pay into the deposit", response_model=out.Movement,
             openapi_extra=codes(*MOVEMENT, E.SHOP_CLOSED))
def top_up(shop_id: str, body: Money, request: Request, who: Principal = Depends(principal),
           _key: str | None = _KEY_HEADER) -> Any:
    key, named = _money_call(request, who, body)
    return _answer(app_of(request).merchants.money.top_up(who, shop_id, amount_fen=body.amount_fen, key=key,
                                                    request=named))


@router.post("/shops/{shop_id}/deposit/withdrawals", summary="Withdraw what exceeds the required deposit",
             response_model=out.Movement, openapi_extra=codes(*MOVEMENT, E.WITHDRAWAL_OVER_LIMIT))
def withdraw(shop_id: str, body: Money, request: Request, who: Principal = Depends(principal),
             _key: str | None = _KEY_HEADER) -> Any:
    key, named = _money_call(request, who, body)
    return _answer(app_of(request).merchants.money.withdraw_deposit(who, shop_id, amount_fen=body.amount_fen, key=key,
                                                              request=named))


@router.post("/shops/{shop_id}/deposit/deductions", summary="Deduct a penalty or compensation (operators)",
             response_model=out.Movement, openapi_extra=codes(*MOVEMENT, E.FORBIDDEN_ROLE, E.INSUFFICIENT_DEPOSIT))
def deduct(shop_id: str, body: Deduction, request: Request, who: Principal = Depends(principal),
           _key: str | None = _KEY_HEADER) -> Any:
    key, named = _money_call(request, who, body)
    return _answer(app_of(request).merchants.money.deduct(who, shop_id, amount_fen=body.amount_fen, reason=body.reason,
                                                    key=key, allow_debt=body.allow_debt, memo=body.memo,
                                                    request=named))


@router.post("/shops/{shop_id}/payouts", summary="Pay the goods payment out (trial shops: the trial's limits)",
             response_model=out.Movement, openapi_extra=codes(*MOVEMENT, E.WITHDRAWAL_OVER_LIMIT, E.INSUFFICIENT_GOODS))
def payout(shop_id: str, body: Money, request: Request, who: Principal = Depends(principal),
           _key: str | None = _KEY_HEADER) -> Any:
    key, named = _money_call(request, who, body)
    return _answer(app_of(request).merchants.money.payout_goods(who, shop_id, amount_fen=body.amount_fen, key=key,
                                                          request=named))


def _period(request: Request, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    today = beijing_day(app_of(request).clock.now())
    return _day(start, "start", today.replace(day=1)), _day(end, "end", today)


_START = Query(None, max_length=10, description="first Beijing day, YYYY-MM-DD (default: the month's first)")
_END = Query(None, max_length=10, description="last Beijing day, YYYY-MM-DD (default: today)")


@router.get("/shops/{shop_id}/statement", summary="Fee statement for a period (Beijing days): every line explained",
            response_model=out.PeriodStatement, openapi_extra=codes(E.SHOP_NOT_FOUND, E.INVALID_PERIOD))
def statement(shop_id: str, request: Request, start: str | None = _START, end: str | None = _END,
              who: Principal = Depends(principal)) -> dict[str, Any]:
    first, last = _period(request, start, end)
    return app_of(request).merchants.statements.period_statement(who, shop_id, first, last, entries=False)


@router.get("/shops/{shop_id}/statement/entries", summary="The fee entries of a period (Beijing days), oldest first",
            response_model=Page[out.FeeEntry], openapi_extra=codes(E.SHOP_NOT_FOUND, E.INVALID_PERIOD))
def statement_entries(shop_id: str, request: Request, start: str | None = _START, end: str | None = _END,
                      limit: int = LIMIT, cursor: str | None = CURSOR,
                      who: Principal = Depends(principal)) -> Page[Any]:
    first, last = _period(request, start, end)
    scope = scope_of("fee-entries", shop_id, first, last)
    after = decode_cursor(cursor, scope=scope, shape=(str, str))
    rows = app_of(request).merchants.statements.period_entries(
        who, shop_id, first, last, after=None if after is None else (_instant(after[0]), str(after[1])),
        limit=limit + 1)
    return page_of(rows, limit=limit, scope=scope, key=lambda e: (e["at"].isoformat(), e["key"]))


@router.get("/orders/{order_id}/statement", summary="One order's settlement: fee, waivers, refunds, net",
            response_model=out.OrderStatement, openapi_extra=codes(E.SHOP_NOT_FOUND))
def order_statement(order_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.statements.order_statement(who, order_id)


@router.get("/shops/{shop_id}/offers", summary="Loan, early payout and instalment offers with reasons (recorded)",
            response_model=Page[out.Offer], openapi_extra=codes(E.SHOP_NOT_FOUND))
def offers(shop_id: str, request: Request, refresh: bool = False, limit: int = LIMIT, cursor: str | None = CURSOR,
           who: Principal = Depends(principal)) -> Page[Any]:
    # Today's decisions, one per kind (three at most): paged like every list, in the rulebook's order.
    scope = scope_of("offers", shop_id)
    after = decode_cursor(cursor, scope=scope, shape=(int,))
    got = app_of(request).merchants.financing.offers(who, shop_id, refresh=refresh and after is None)["offers"]
    start = 0 if after is None else int(after[0]) + 1
    rows = list(enumerate(got))[start:start + limit + 1]
    return page_of(rows, limit=limit, scope=scope, key=lambda r: (r[0],), item=lambda r: r[1])


@router.get("/shops/{shop_id}/cases", summary="Open after-sale cases, nearest deadline first (none: last)",
            response_model=Page[out.OpenCase], openapi_extra=codes(E.SHOP_NOT_FOUND))
def cases(shop_id: str, request: Request, limit: int = LIMIT, cursor: str | None = CURSOR,
          who: Principal = Depends(principal)) -> Page[Any]:
    scope = scope_of("open-cases", shop_id)
    after = decode_cursor(cursor, scope=scope, shape=(str, str, str))
    key = None if after is None else (_instant(after[0]) if after[0] else None, _instant(after[1]), str(after[2]))
    rows = app_of(request).merchants.centre.open_cases(who, shop_id, after=key, limit=limit + 1)
    return page_of(rows, limit=limit, scope=scope,
                   key=lambda c: (c["deadline_at"].isoformat() if c["deadline_at"] else "", c["opened_at"].isoformat(),
                                  c["case_id"]))


@router.get("/fees", summary="The fee rules in force: channel floor, waivers and campaigns",
            response_model=out.FeeRules, openapi_extra=codes())
def fees(request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.campaigns.fee_rules_view()


@router.post("/fees/campaigns", status_code=201, summary="Add a time-boxed waiver or rebate (operators)",
             response_model=out.CampaignAdded,
             openapi_extra=codes(E.FORBIDDEN_ROLE, E.INVALID_WAIVER, E.INVALID_WINDOW, E.WAIVER_OVERLAP))
def campaign(request: Request, spec: dict[str, Any] = Body(...), who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.campaigns.add_campaign(who, spec)


@router.post("/settlement", summary="Run the settlement job now (operators; the tick runs it too)",
             response_model=out.SettlementRun, openapi_extra=codes(E.FORBIDDEN_ROLE))
def settle(request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.settlement.run_settlement(who)


# Matchmaking's routes (``match_api``: /v1/shops/{id}/creator-matches, invitations): one router for the context.
from anxin.merchants import match_api  # noqa: E402

router.routes.extend(match_api.router.routes)
