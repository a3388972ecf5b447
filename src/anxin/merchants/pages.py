"""The merchant centre (server-rendered, zh-CN and en): a merchant's shops, one shop's centre (status and history,
novice tasks and programmes, the deposit with its ledger and a top-up form, the fee statement of a period, financing
offers, open after-sale cases) and one order's settlement, line by line with the rulebook version.

Thin: every read and write goes through the merchant use cases (``anxin.merchants.service``) with the signed-in
principal, so isolation is theirs (another merchant's shop or order is simply not found, the same 404 page as
everywhere). ``centre_view`` words
and formats what the service returns. Operators see the same pages for any shop; only merchants pay in.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.idempotency.service import Replay
from anxin.merchants import centre_view as cv
from anxin.merchants import match_view as mv
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.shops import service as registry
from anxin.web.auth import app_of
from anxin.web.i18n import translator
from anxin.web.render import (
    PageRoute,
    check_csrf,
    error_status,
    error_view,
    form_str,
    lang_of,
    read_form,
    render,
    require,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
ROLES = (Role.MERCHANT, Role.OPERATOR)
MAX_KEY = 64


def _names(request: Request, shop_ids: list[str]) -> dict[str, str]:
    with app_of(request).uow_factory() as uow:  # the shops' names for headings, nothing else
        found = {sid: registry.get_shop(uow, sid) for sid in shop_ids}
    return {sid: shop.name for sid, shop in found.items() if shop is not None}


def _day(value: str, field: str, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise AnxinError(E.INVALID_PERIOD, f"{field}: a date like 2026-11-01", field=field)
    return day


# --- the shop list -----------------------------------------------------------------------------------------------

@router.get("/merchant")
@router.get("/merchant/shops")
def shops(request: Request) -> Response:
    who = require(request, *ROLES)
    t = translator(lang_of(request))
    overview = app_of(request).merchants.centre.overview(who)
    names = _names(request, [s["shop_id"] for s in overview["shops"]])
    return render(request, "merchants/shops.html", {
        "who": who, "shops": cv.shop_rows(overview, names, t), "section": cv.section_of(who.role.value)},
        here="/merchant/shops")


# --- one shop's centre -------------------------------------------------------------------------------------------

def _statement(request: Request, who: Principal, shop_id: str, start: str, end: str,
               names: cv.Names) -> tuple[dict[str, Any], AnxinError | None]:
    anxin = app_of(request)
    lang = lang_of(request)
    first, last = cv.month_of(cv.local_date(anxin.clock.now()))
    form = {"start": start or first.isoformat(), "end": end or last.isoformat()}
    try:
        st = anxin.merchants.statements.period_statement(who, shop_id, _day(start, "start", first),
                                                         _day(end, "end", last))
    except AnxinError as exc:
        if exc.code is not E.INVALID_PERIOD:
            raise
        return {"form": form, "view": None}, exc
    return {"form": form, "view": cv.statement_view(st, names, translator(lang), lang)}, None


def _shop_page(request: Request, who: Principal, shop_id: str, *, start: str = "", end: str = "",
               error: AnxinError | None = None, form: dict[str, str] | None = None) -> Response:
    anxin = app_of(request)
    svc = anxin.merchants
    lang = lang_of(request)
    t, now = translator(lang), anxin.clock.now()
    status = svc.centre.status(who, shop_id)  # someone else's shop: not found, before anything else
    section = cv.section_of(who.role.value)
    waivers = cv.waiver_names(svc.campaigns.fee_rules_view())
    statement, period_error = _statement(request, who, shop_id, start, end, waivers)
    fin = svc.rulebook.financing
    offer_names = {"loan": fin.loan.name, "early_payout": fin.early_payout.name, "instalment": fin.instalments.name}
    topped = request.query_params.get("topped_up", "")
    shown = error or period_error
    return render(request, "merchants/shop.html", {
        "who": who, "section": section, "shop_id": shop_id, "shop": _names(request, [shop_id]).get(shop_id, shop_id),
        "status": cv.status_view(status, t, lang),
        "novice": cv.novice_view(svc.programmes.novice(who, shop_id), svc.rulebook.programmes, t, lang),
        "deposit": cv.deposit_view(svc.money.deposit(who, shop_id), t, lang),
        "statement": statement, "period_error": error_view(period_error, t) if period_error else None,
        "offers": cv.offers_view(svc.financing.offers(who, shop_id), offer_names, t, lang),
        "cases": cv.cases_view(svc.centre.open_cases(who, shop_id), section, t, now),
        "invitations": mv.invitations_view(svc.matchmaking.shop_invitations(who, shop_id, limit=5, outcome=True),
                                           svc.rulebook.matchmaking, t, lang),
        "can_pay": who.role is Role.MERCHANT and status["state"] != "closed",
        "error": error_view(error, t) if error else None, "form": form or {}, "pay_key": secrets.token_hex(12),
        "topped": t.money(int(topped)) if topped.isdigit() and len(topped) <= 12 else "",
        "replayed": request.query_params.get("replayed") == "1", "rulebook_version": svc.rulebook.version,
        "base": f"/merchant/shops/{cv.q(shop_id)}", "score_url": f"/{section}/shops/{cv.q(shop_id)}/score",
        "fulfilment_url": f"/{section}/shops/{cv.q(shop_id)}/fulfilment"},
        status=error_status(shown) if shown else 200, here=f"/merchant/shops/{cv.q(shop_id)}")


@router.get("/merchant/shops/{shop_id}")
def shop(shop_id: str, request: Request, start: str = "", end: str = "") -> Response:
    return _shop_page(request, require(request, *ROLES), shop_id, start=start[:10], end=end[:10])


@router.post("/merchant/shops/{shop_id}/deposit/top-ups")
async def top_up(shop_id: str, request: Request) -> Response:
    who = require(request, Role.MERCHANT)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    svc = app_of(request).merchants
    await run_in_threadpool(svc.centre.status, who, shop_id)  # someone else's shop: not found
    values = {"amount": form_str(form, "amount", max_len=32), "key": form_str(form, "key", max_len=MAX_KEY)}
    try:
        fen = cv.parse_yuan(values["amount"])
        out = await run_in_threadpool(svc.money.top_up, who, shop_id, amount_fen=fen,
                                      key=f"page:{values['key'] or secrets.token_hex(12)}")
    except AnxinError as exc:
        return await run_in_threadpool(_shop_page, request, who, shop_id, error=exc, form=values)
    answer = out.body if isinstance(out, Replay) else out  # a page sends no idempotency key: always the dict
    query = urlencode({"topped_up": fen, **({} if answer["applied"] else {"replayed": "1"})})
    return RedirectResponse(f"/merchant/shops/{cv.q(shop_id)}?{query}#deposit", status_code=303)


# --- one order's settlement --------------------------------------------------------------------------------------

@router.get("/merchant/orders/{order_id}/statement")
def order_statement(order_id: str, request: Request) -> Response:
    who = require(request, *ROLES)
    svc = app_of(request).merchants
    lang = lang_of(request)
    t = translator(lang)
    out = svc.statements.order_statement(who, order_id)  # someone else's order, or one not settled: not found
    names = {**svc.campaigns.commission_names(), **cv.waiver_names(svc.campaigns.fee_rules_view())}
    view = cv.order_view(out, names, t, lang)
    return render(request, "merchants/order_statement.html", {
        "who": who, "o": view, "shop": _names(request, [out["shop_id"]]).get(out["shop_id"], out["shop_id"]),
        "shop_url": f"/merchant/shops/{cv.q(out['shop_id'])}", "rulebook_version": view["version"]},
        here=f"/merchant/orders/{cv.q(order_id)}/statement")


# Matchmaking's pages (``match_pages``: the shop's creator matches and invitations, the creator's invitations).
from anxin.merchants import match_pages  # noqa: E402

router.include_router(match_pages.router)
