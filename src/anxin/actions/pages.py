"""The operator console's page of actions sent to the platform (/ops/actions), zh-CN and en: those needing someone
(failed, unconfirmed) first, with their cause, reasons and the platform's answer. Read-only. Paged like the API, by
cursor (the last action shown): a page boundary does not shift when actions are issued meanwhile."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from anxin.actions.model import URGENCY, VIEW_STATES
from anxin.core.errors import AnxinError
from anxin.core.principal import Role
from anxin.web.auth import app_of
from anxin.web.paging import Page, cursor_instant, decode_cursor, page_of, scope_of
from anxin.web.render import PageRoute, render, require

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 100


@router.get("/ops/actions")
def actions(request: Request, state: str = "", target: str = "", cursor: str = "") -> Response:
    who = require(request, Role.OPERATOR)
    picked = state if state in VIEW_STATES else None
    target = target.strip()[:80]
    scope = scope_of("ops.actions", picked, target or None)
    try:
        key = decode_cursor(cursor[:512], scope=scope, shape=(int, str, str))
        after = None if key is None else (int(key[0]), cursor_instant(key[1]), str(key[2]))
    except AnxinError:  # a stale or edited link: the first page
        after = None
    svc = app_of(request).actions
    rows = svc.list(who, state=picked, target=target or None, limit=PAGE_SIZE + 1, after=after, iso=False)
    page: Page[dict[str, Any]] = page_of(rows, limit=PAGE_SIZE, scope=scope,
                   key=lambda a: (URGENCY[a["state"]], a["issued_at"].isoformat(), a["action_id"]))
    counts = svc.counts(who, target=target or None)
    filters = {k: v for k, v in (("state", picked), ("target", target)) if v}
    return render(request, "actions/list.html", {
        "items": page.items, "counts": counts, "states": VIEW_STATES, "state": picked, "target": target,
        "first": "/ops/actions" + ("?" + urlencode(filters) if filters else "") if after is not None else None,
        "next": "/ops/actions?" + urlencode({**filters, "cursor": page.next}) if page.next else None,
        "total": sum(counts.values())})
