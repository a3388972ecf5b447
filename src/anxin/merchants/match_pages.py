"""Matchmaking pages (zh-CN and en): the shop's creator matches with an invitation form and its invitations with
their live sessions' outcomes (``/merchant/shops/{shop_id}/creators``), and the creator's invitations with accept and
decline (``/creator/invitations``). Thin: the matchmaking use cases with the signed-in principal do the work and the
isolation; ``match_view`` words what they return."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.merchants import centre_view as cv
from anxin.merchants import match_view as mv
from anxin.merchants.match_error_codes import MatchErrorCode as E
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
SHOWN = 50


def _creators_page(request: Request, who: Principal, shop_id: str, *, error: AnxinError | None = None,
                   form: dict[str, str] | None = None) -> Response:
    anxin = app_of(request)
    svc = anxin.merchants
    lang = lang_of(request)
    t, now = translator(lang), anxin.clock.now()
    rules = svc.rulebook.matchmaking
    status = svc.centre.status(who, shop_id)  # someone else's shop: not found, before anything else
    found = svc.matchmaking.matches(who, shop_id)
    invitations = svc.matchmaking.shop_invitations(who, shop_id, limit=SHOWN, outcome=True)
    start = now.replace(second=0, microsecond=0) + dt.timedelta(days=1)
    default = {"start": mv.local_input(start), "end": mv.local_input(start + dt.timedelta(hours=2))}
    return render(request, "merchants/creators.html", {
        "who": who, "shop_id": shop_id, "state": status["state"], "matches": found,
        "gate": cv.reasons(found["gate"]["reasons"], lang),
        "proposals": [mv.proposal_view(p, rules, t, lang) for p in found["proposals"]],
        "invitations": mv.invitations_view(invitations, rules, t, lang),
        "can_invite": who.role is Role.MERCHANT and found["eligible"], "form": {**default, **(form or {})},
        "error": error_view(error, t) if error else None,
        "error_reasons": cv.reasons((error.details.get("reasons") or []) if error else [], lang),
        "rules": rules, "rulebook_version": svc.rulebook.version,
        "base": f"/merchant/shops/{cv.q(shop_id)}"},
        status=error_status(error) if error else 200, here=f"/merchant/shops/{cv.q(shop_id)}/creators")


@router.get("/merchant/shops/{shop_id}/creators")
def creators(shop_id: str, request: Request) -> Response:
    return _creators_page(request, require(request, *ROLES), shop_id)


@router.post("/merchant/shops/{shop_id}/creators/invitations")
async def invite(shop_id: str, request: Request) -> Response:
    who = require(request, Role.MERCHANT)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    values = {"creator_id": form_str(form, "creator_id", max_len=64), "start": form_str(form, "start", max_len=20),
              "end": form_str(form, "end", max_len=20), "note": form_str(form, "note", max_len=500)}
    start, end = mv.parse_local(values["start"]), mv.parse_local(values["end"])
    try:
        if start is None or end is None:
            raise AnxinError(E.INVALID_SESSION, "start and end: a date and time such as 2026-12-10T20:00")
        await run_in_threadpool(app_of(request).merchants.matchmaking.invite, who, shop_id,
                                creator_id=values["creator_id"], session_start=start, session_end=end,
                                note=values["note"])
    except AnxinError as exc:
        return await run_in_threadpool(_creators_page, request, who, shop_id, error=exc, form=values)
    return RedirectResponse(f"/merchant/shops/{cv.q(shop_id)}/creators?invited={cv.q(values['creator_id'])}"
                            "#invitations", status_code=303)


@router.post("/merchant/shops/{shop_id}/creators/invitations/{invitation_id}/withdraw")
async def withdraw(shop_id: str, invitation_id: str, request: Request) -> Response:
    who = require(request, Role.MERCHANT)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    try:
        await run_in_threadpool(app_of(request).merchants.matchmaking.withdraw, who, invitation_id)
    except AnxinError as exc:
        if exc.code is E.INVITATION_NOT_FOUND:
            raise
        return await run_in_threadpool(_creators_page, request, who, shop_id, error=exc)
    return RedirectResponse(f"/merchant/shops/{cv.q(shop_id)}/creators#invitations", status_code=303)


# --- the creator's side -------------------------------------------------------------------------------------------

def _invitations_page(request: Request, who: Principal, *, error: AnxinError | None = None) -> Response:
    anxin = app_of(request)
    svc = anxin.merchants
    lang = lang_of(request)
    t = translator(lang)
    rows = svc.matchmaking.my_invitations(who, limit=SHOWN, outcome=True)
    names = _shop_names(request, sorted({r["shop_id"] for r in rows}))
    shown: list[dict[str, Any]] = []
    for view in mv.invitations_view(rows, svc.rulebook.matchmaking, t, lang):
        view["shop"] = names.get(view["shop_id"], view["shop_id"])
        shown.append(view)
    return render(request, "merchants/creator_invitations.html", {
        "who": who, "invitations": shown, "error": error_view(error, t) if error else None,
        "answered": request.query_params.get("answered", "")[:16],
        "rulebook_version": svc.rulebook.version},
        status=error_status(error) if error else 200, here="/creator/invitations")


def _shop_names(request: Request, shop_ids: list[str]) -> dict[str, str]:
    with app_of(request).uow_factory() as uow:
        found = {sid: registry.get_shop(uow, sid) for sid in shop_ids}
    return {sid: shop.name for sid, shop in found.items() if shop is not None}


@router.get("/creator/invitations")
def my_invitations(request: Request) -> Response:
    return _invitations_page(request, require(request, Role.CREATOR))


@router.post("/creator/invitations/{invitation_id}/{answer}")
async def answer(invitation_id: str, answer: str, request: Request) -> Response:
    who = require(request, Role.CREATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    svc = app_of(request).merchants.matchmaking
    if answer not in ("accept", "decline"):
        raise AnxinError(E.INVITATION_NOT_FOUND, "no such answer", invitation_id=invitation_id)
    try:
        await run_in_threadpool(svc.accept if answer == "accept" else svc.decline, who, invitation_id)
    except AnxinError as exc:
        if exc.code is E.INVITATION_NOT_FOUND:
            raise
        return await run_in_threadpool(_invitations_page, request, who, error=exc)
    return RedirectResponse(f"/creator/invitations?answered={answer}#inv-{cv.q(invitation_id)}", status_code=303)
