"""The operators' customer-service console: the queue of every open ticket by its next SLA deadline (filters: owner,
state, intent, shop, breached), the breached tickets, the escalated ones (a merchant missed the first reply and
platform customer service took over), the CSAT and SLA report, and one ticket with its routing decision explained
(intent, route, confidence, rules and versions: operators only). The "Proactive care" tab belongs to the outreach
pages (``/ops/care/outreach``); until a route answers there, the tab is shown without a link.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.routing import Match

from anxin.care import page_views as pv
from anxin.care.inbox_pages import staff_post, stats_of, ticket_page
from anxin.care.page_actions import PAGE_SIZE, care_of, paged, queue_after
from anxin.core.principal import Principal, Role
from anxin.web.auth import app_of
from anxin.web.i18n import translator
from anxin.web.paging import scope_of
from anxin.web.render import PageRoute, lang_of, render, require

router = APIRouter(include_in_schema=False, route_class=PageRoute)
TABS = ("queue", "breaches", "escalated", "report", "outreach")
TAB_URL = {"queue": "/ops/care", "breaches": "/ops/care/breaches", "escalated": "/ops/care/escalated",
           "report": "/ops/care/report", "outreach": "/ops/care/outreach"}
REPORT_DAYS = (1, 7, 30, 90)
CSAT_BY = ("channel", "intent", "merchant", "owner")
ESCALATED_MAX = 500


def _answers(request: Request, path: str) -> bool:
    """Whether some page route of the app answers GET ``path`` (the outreach tab links only once one does)."""
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.routes)


def tabs(request: Request, current: str) -> list[dict[str, Any]]:
    out = []
    for x in TABS:
        url = TAB_URL[x] if x != "outreach" or _answers(request, TAB_URL[x]) else None
        out.append({"id": x, "url": url, "current": x == current})
    return out


def _queue(request: Request, who: Principal, tab: str, *, owner: str, state: str, intent: str, shop_id: str,
           breached: bool, cursor: str) -> Response:
    care = care_of(request)
    t, now = translator(lang_of(request)), app_of(request).clock.now()
    picked_owner = owner if owner in pv.OWNERS else None
    picked_state = state if state in pv.STATES else None
    picked_intent = intent if intent in pv.INTENTS else None
    shop = shop_id.strip()[:64] or None
    filters = {"owner": picked_owner or "", "state": picked_state or "", "intent": picked_intent or "",
               "shop_id": shop or "", "breached": "1" if breached and tab == "queue" else ""}
    late = True if breached or tab == "breaches" else None
    if tab == "escalated":
        # The queue has no "escalated" filter: platform CS's tickets that a merchant's missed first reply brought,
        # from the first ESCALATED_MAX by deadline (one page).
        rows = [r for r in care.queries.queue(who, owner="platform_cs", state=picked_state, shop_id=shop,
                                              intent=picked_intent, limit=ESCALATED_MAX)
                if r["sla"]["escalated_at"] is not None]
        items, links = rows, {"first": None, "next": None}
    else:
        scope = scope_of("ops.care", tab, picked_owner, picked_state, picked_intent, shop, late)
        after = queue_after(cursor, scope)
        rows = care.queries.queue(who, owner=picked_owner, state=picked_state, shop_id=shop, breached=late,
                                  intent=picked_intent, limit=PAGE_SIZE + 1, after=after)
        items, links = paged(TAB_URL[tab], filters, rows, scope, after is None)
    everything = care.queries.queue(who, limit=500)
    here = TAB_URL[tab] + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "care/console_queue.html", {
        "who": who, "section": "ops", "tab": tab, "tabs": tabs(request, tab), "base": TAB_URL[tab],
        "items": [pv.ticket_row(r, now, care.policy, t, section="ops") for r in items],
        "stats": stats_of([pv.ticket_row(r, now, care.policy, t, section="ops") for r in everything]),
        "filters": filters, "owners": pv.choices(t, "cw.owner", pv.OWNERS),
        "states": pv.choices(t, "cw.state", pv.STATES), "intents": pv.choices(t, "cw.intent", pv.INTENTS),
        "here": here, **links}, here=TAB_URL[tab])


@router.get("/ops/care")
def queue(request: Request, owner: str = "", state: str = "", intent: str = "", shop_id: str = "",
          breached: str = "", cursor: str = "") -> Response:
    return _queue(request, require(request, Role.OPERATOR), "queue", owner=owner, state=state, intent=intent,
                  shop_id=shop_id, breached=breached == "1", cursor=cursor)


@router.get("/ops/care/breaches")
def breaches(request: Request, owner: str = "", state: str = "", intent: str = "", shop_id: str = "",
             cursor: str = "") -> Response:
    return _queue(request, require(request, Role.OPERATOR), "breaches", owner=owner, state=state, intent=intent,
                  shop_id=shop_id, breached=True, cursor=cursor)


@router.get("/ops/care/escalated")
def escalated(request: Request, owner: str = "", state: str = "", intent: str = "", shop_id: str = "",
              cursor: str = "") -> Response:
    return _queue(request, require(request, Role.OPERATOR), "escalated", owner=owner, state=state, intent=intent,
                  shop_id=shop_id, breached=False, cursor=cursor)


@router.get("/ops/care/report")
def report(request: Request, days: int = 7, by: str = "channel") -> Response:
    who = require(request, Role.OPERATOR)
    care = care_of(request)
    t, now = translator(lang_of(request)), app_of(request).clock.now()
    days = days if days in REPORT_DAYS else 7
    by = by if by in CSAT_BY else "channel"
    since = now - dt.timedelta(days=days)
    sla = care.queries.sla_report(who, since=since, until=now)
    csat = care.queries.csat(who, by=by, since=since, until=now)
    return render(request, "care/console_report.html", {
        "who": who, "tab": "report", "tabs": tabs(request, "report"), "days": days, "by": by, "since": since,
        "until": now, **pv.sla_report_view(sla, t), "csat": pv.csat_rows(csat, by, t),
        "overall": csat["overall"]},
        here="/ops/care/report")


# --- one ticket --------------------------------------------------------------------------------------------------

@router.get("/ops/care/tickets/{ticket_id}")
def ops_ticket(ticket_id: str, request: Request) -> Response:
    return ticket_page(request, require(request, Role.OPERATOR), ticket_id, "ops", tabs=tabs(request, "queue"))


@router.post("/ops/care/tickets/{ticket_id}/messages")
async def ops_reply(ticket_id: str, request: Request) -> Response:
    return await staff_post(request, ticket_id, "messages", Role.OPERATOR, "ops", tabs(request, "queue"))


@router.post("/ops/care/tickets/{ticket_id}/transitions")
async def ops_transition(ticket_id: str, request: Request) -> Response:
    return await staff_post(request, ticket_id, "transitions", Role.OPERATOR, "ops", tabs(request, "queue"))
