"""The operator console's webhooks page (/ops/webhooks), zh-CN and en: endpoints with their deliveries by status,
dead messages first, recent deliveries with their last answer, and redelivery (POST forms with the session's CSRF
token, then back to the page with a notice). Thin: reads and writes go through OutboxService."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from anxin.core.principal import Role
from anxin.outbox.model import DEAD
from anxin.web.auth import app_of
from anxin.web.render import PageRoute, check_csrf, read_form, render, require

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 100


@router.get("/ops/webhooks")
def console(request: Request, redelivered: str = "") -> Response:
    require(request, Role.OPERATOR)
    outbox = app_of(request).outbox
    endpoints = outbox.endpoints.list()
    return render(request, "outbox/console.html", {
        "endpoints": endpoints, "counts": outbox.delivery_counts(), "stats": outbox.stats(),
        "urls": {e.endpoint_id: e.url for e in endpoints},
        "dead": outbox.list_messages(status=DEAD, limit=PAGE_SIZE, newest_first=True),
        "deliveries": outbox.recent_deliveries(limit=PAGE_SIZE), "limit": PAGE_SIZE,
        "redelivered": redelivered[:64]})


@router.post("/ops/webhooks/messages/{message_id}/redeliver")
async def redeliver_message(request: Request, message_id: str) -> Response:
    require(request, Role.OPERATOR)
    check_csrf(request, await read_form(request, max_files=0))
    app_of(request).outbox.redeliver(message_id)
    return RedirectResponse("/ops/webhooks?" + urlencode({"redelivered": message_id}), status_code=303)


@router.post("/ops/webhooks/deliveries/{delivery_id}/redeliver")
async def redeliver_delivery(request: Request, delivery_id: str) -> Response:
    require(request, Role.OPERATOR)
    check_csrf(request, await read_form(request, max_files=0))
    app_of(request).outbox.redeliver_delivery(delivery_id)
    return RedirectResponse("/ops/webhooks?" + urlencode({"redelivered": delivery_id}), status_code=303)
