"""The merchant's customer-service inbox: the tickets merchant customer service owns at the merchant's shops, next
SLA deadline first, each with its countdown (the deadline in Beijing time and the service time left); and one
ticket's page with its conversation, timeline, a reply form and a transition form. The operators' console reuses
the ticket page (``ticket_page``) with its own section.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.care import page_views as pv
from anxin.care.page_actions import (
    MAX_TEXT,
    PAGE_SIZE,
    care_of,
    message_body,
    new_id,
    paged,
    queue_after,
    transition_body,
)
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.web.auth import app_of
from anxin.web.i18n import translator
from anxin.web.merchant_nav import merchant_shops
from anxin.web.paging import scope_of
from anxin.web.render import (
    PageRoute,
    check_csrf,
    error_status,
    error_view,
    lang_of,
    read_form,
    render,
    require,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
q = pv.q
REPLY_WINDOW = dt.timedelta(days=30)


def stats_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How many tickets are in flight, at risk and past a deadline, of the rows given (the queue's first 500)."""
    live = [r for r in rows if r["state"] in pv.ACTIVE]
    levels = [r["sla"]["level"] for r in live]
    return {"open": len(live), "at_risk": levels.count("at_risk"), "breached": levels.count("breached"),
            "reply_rate": None}


@router.get("/merchant/care")
def inbox(request: Request, shop_id: str = "", state: str = "", breached: str = "", cursor: str = "") -> Response:
    who = require(request, Role.MERCHANT)
    care = care_of(request)
    t, now = translator(lang_of(request)), app_of(request).clock.now()
    shops = merchant_shops(request, who)
    shop = shop_id if shop_id in {s["id"] for s in shops} else None
    picked = state if state in pv.STATES else None
    late = True if breached == "1" else None
    scope = scope_of("merchant.care.inbox", who.subject, shop, picked, late)
    after = queue_after(cursor, scope)
    rows = care.queries.queue(who, state=picked, shop_id=shop, breached=late, limit=PAGE_SIZE + 1, after=after)
    filters = {"shop_id": shop or "", "state": picked or "", "breached": "1" if late else ""}
    items, links = paged("/merchant/care", filters, rows, scope, after is None)
    waiting = care.queries.queue(who, shop_id=shop, limit=500)
    stats = stats_of([pv.ticket_row(r, now, care.policy, t, section="merchant") for r in waiting])
    stats["reply_rate"] = _reply_rate(request, who, [shop] if shop else [s["id"] for s in shops], now)
    here = "/merchant/care" + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "care/inbox.html", {
        "who": who, "section": "merchant", "items": [pv.ticket_row(r, now, care.policy, t, section="merchant")
                                                     for r in items],
        "stats": stats, "shops": shops, "filters": filters, "states": pv.choices(t, "cw.state", pv.STATES),
        "here": here, **links}, here="/merchant/care")


def _reply_rate(request: Request, who: Principal, shop_ids: list[str], now: dt.datetime) -> float | None:
    """The share of the merchant's first replies within the first-reply minutes over the last 30 days (tickets
    opened in served hours), across the shops shown: the figure the experience score reads."""
    handed = fast = 0
    for sid in shop_ids:
        got = care_of(request).queries.reply_stats(who, sid, since=now - REPLY_WINDOW, until=now)
        handed += int(got["handed"])
        fast += int(got["answered_within"])
    return fast / handed if handed else None


# --- one ticket (merchant and operators) -------------------------------------------------------------------------

def targets_for(ticket: dict[str, Any], section: str) -> tuple[str, ...]:
    """The moves a ticket page offers: the owner's side works an active ticket; operators may also close or reopen."""
    state = str(ticket.get("state"))
    if section == "ops":
        return {**pv.STAFF_TARGETS, "resolved": ("closed", "open"), "closed": ("open",)}.get(state, ())
    return pv.STAFF_TARGETS.get(state, ()) if ticket.get("owner") == "merchant_cs" else ()


def ticket_page(request: Request, who: Principal, ticket_id: str, section: str, *,
                error: AnxinError | None = None, tabs: list[dict[str, Any]] | None = None) -> Response:
    care = care_of(request)
    t, now = translator(lang_of(request)), app_of(request).clock.now()
    ticket = care.queries.ticket(who, ticket_id)  # another shop's: not found
    operator = section == "ops"
    view = pv.ticket_row(ticket, now, care.policy, t, section=section)
    view.update(can_reply=ticket["state"] != "closed", text=ticket["consultation"]["text"],
                ratings=ticket["ratings"], breaches=pv.breaches_view(ticket["breaches"], t))
    notice = {"replied": t("cw.notice.replied"), "moved": t("cw.notice.moved")}.get(
        request.query_params.get("done", ""), "")
    me = "platform" if operator else "merchant"
    return render(request, "care/ticket.html", {
        "who": who, "section": section, "tk": view, "tabs": tabs or [], "notice": notice,
        "back": "/ops/care" if operator else "/merchant/care",
        "routing": pv.routing_view(ticket["consultation"].get("routing"), t, operator=operator),
        "messages": [pv.message_view(m, t, me=me) for m in ticket["messages"]],
        "timeline": pv.timeline_view(ticket["timeline"], t),
        "targets": pv.choices(t, "cw.state", targets_for(ticket, section)),
        "message_id": new_id("msg"), "max_text": MAX_TEXT, "error": error_view(error, t) if error else None},
        status=error_status(error) if error else 200, here=f"/{section}/care/tickets/{q(ticket_id)}")


async def staff_post(request: Request, ticket_id: str, act: str, role: Role, section: str,
                     tabs: list[dict[str, Any]] | None = None) -> Response:
    who = require(request, role)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    care = care_of(request)
    await run_in_threadpool(care.queries.ticket, who, ticket_id)  # another shop's: not found
    try:
        if act == "messages":
            await run_in_threadpool(care.tickets.post_message, who, ticket_id, message_body(form))
        else:
            await run_in_threadpool(care.tickets.transition, who, ticket_id, transition_body(form))
    except AnxinError as exc:
        return await run_in_threadpool(ticket_page, request, who, ticket_id, section, error=exc, tabs=tabs)
    done = "replied" if act == "messages" else "moved"
    return RedirectResponse(f"/{section}/care/tickets/{q(ticket_id)}?done={done}", status_code=303)


@router.get("/merchant/care/tickets/{ticket_id}")
def merchant_ticket(ticket_id: str, request: Request) -> Response:
    return ticket_page(request, require(request, Role.MERCHANT), ticket_id, "merchant")


@router.post("/merchant/care/tickets/{ticket_id}/messages")
async def merchant_reply(ticket_id: str, request: Request) -> Response:
    return await staff_post(request, ticket_id, "messages", Role.MERCHANT, "merchant")


@router.post("/merchant/care/tickets/{ticket_id}/transitions")
async def merchant_transition(ticket_id: str, request: Request) -> Response:
    return await staff_post(request, ticket_id, "transitions", Role.MERCHANT, "merchant")
