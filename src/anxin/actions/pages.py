"""The operator console's page of actions sent to the platform (/ops/actions), zh-CN and en: those needing someone
(failed, unconfirmed) first, with their cause, reasons and the platform's answer. Read-only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from anxin.actions.model import VIEW_STATES
from anxin.core.principal import Role
from anxin.web.auth import app_of
from anxin.web.render import PageRoute, render, require

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 100


@router.get("/ops/actions")
def actions(request: Request, state: str = "", target: str = "", page: int = 0) -> Response:
    who = require(request, Role.OPERATOR)
    picked = state if state in VIEW_STATES else None
    listing = app_of(request).actions.list(who, state=picked, target=target.strip() or None, limit=PAGE_SIZE,
                                           offset=max(0, min(page, 100_000)) * PAGE_SIZE, iso=False)
    return render(request, "actions/list.html", {
        "items": listing["items"], "counts": listing["counts"], "states": VIEW_STATES, "state": picked,
        "target": target.strip(), "page": max(0, page), "more": listing["next_offset"] is not None,
        "total": sum(listing["counts"].values())})
