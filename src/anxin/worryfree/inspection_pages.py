"""Pages of inbound inspection: the merchant's lots (and one lot: plan, units, verdict with its reasons), the
operators' inspection queue by receipt (oldest first) and one lot with the form that records the sampled units'
results. Thin: the use cases are ``worryfree.inspections.Inspections``. Every code shown is rendered as a label."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.web.auth import app_of
from anxin.web.i18n import Translator, translator
from anxin.web.paging import decode_cursor, encode_cursor, scope_of
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
from anxin.worryfree.inspections import Inspections, UnitIn

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 50


def _inspections(request: Request) -> Inspections:
    return app_of(request).inspections


def _label(t: Translator, prefix: str, code: str | None) -> str:
    if code is None:
        return ""
    text = t(f"{prefix}.{code}")
    return code if text == f"{prefix}.{code}" else text


def _view(item: dict[str, Any], t: Translator) -> dict[str, Any]:
    """An inspection with the labels its codes are shown by."""
    plan, verdict = item["plan"], item["verdict"]
    reasons = []
    if verdict is not None:
        reasons = [{"code": c, "text": _label(t, "wfi.reason", c), "rule": ", ".join(verdict["rule_ids"]),
                    "version": None} for c in verdict["reason_codes"]]
    decided = verdict["decided_at"] if verdict is not None else None
    return {**item, "received": dt.datetime.fromisoformat(item["received_at"]),
            "decided": dt.datetime.fromisoformat(decided) if decided else None,
            "status_label": _label(t, "wfi.status", item["status"]),
            "severity_label": _label(t, "wfi.severity", plan["severity"]),
            "plan_reasons": [_label(t, "wfi.plan_reason", c) for c in plan["reason_codes"]],
            "checks": [{"id": c, "label": _label(t, "wfi.check", c)} for c in plan["checks"]],
            "reasons": reasons,
            "units_view": [{**u, "labels": {c: _label(t, "wfi.result", v) for c, v in u["results"].items()}}
                           for u in item["units"]]}


def _lot_view(lot: dict[str, Any], t: Translator) -> dict[str, Any]:
    return {**lot, "status_label": _label(t, "wfi.lot_status", lot["status"]),
            "received": dt.datetime.fromisoformat(lot["received_at"]),
            "produced": dt.date.fromisoformat(lot["produced_on"]), "expires": dt.date.fromisoformat(lot["expires_on"])}


def _page(request: Request, rows: list[dict[str, Any]], scope: str,
          base: str) -> tuple[list[dict[str, Any]], str | None]:
    t = translator(lang_of(request))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    nxt = None
    if more:
        last = rows[-1]
        nxt = f"{base}?cursor=" + quote(encode_cursor((last["received_at"], last["lot_id"]), scope=scope))
    return [_view(r, t) for r in rows], nxt


def _after(cursor: str, scope: str) -> tuple[dt.datetime, str] | None:
    if not cursor:
        return None
    try:
        key = decode_cursor(cursor, scope=scope, shape=(str, str))
    except AnxinError:
        return None
    if key is None:
        return None
    return dt.datetime.fromisoformat(str(key[0])), str(key[1])


# --- the merchant -----------------------------------------------------------------------------------------------

@router.get("/merchant/worry-free/lots")
def merchant_lots(request: Request, cursor: str = "") -> Response:
    who = require(request, Role.MERCHANT)
    scope = scope_of("page.wf.lots", who.subject)
    after = _after(cursor, scope)
    rows = _inspections(request).lots_of_merchant(who, after=after, limit=PAGE_SIZE + 1)
    items, nxt = _page(request, rows, scope, "/merchant/worry-free/lots")
    return render(request, "worryfree/merchant_lots.html", {
        "who": who, "items": items, "next": nxt, "first": "/merchant/worry-free/lots" if after else None},
        here="/merchant/worry-free/lots")


@router.get("/merchant/worry-free/lots/{lot_id}")
def merchant_lot(lot_id: str, request: Request) -> Response:
    who = require(request, Role.MERCHANT)
    return _lot_page(request, who, lot_id, section="merchant")


# --- operators ----------------------------------------------------------------------------------------------------

@router.get("/ops/worry-free/inspections")
def ops_queue(request: Request, status: str = "pending", cursor: str = "") -> Response:
    who = require(request, Role.OPERATOR)
    status = status if status in ("pending", "decided") else "pending"
    scope = scope_of("page.wf.inspections", status)
    after = _after(cursor, scope)
    rows = _inspections(request).queue(who, pending=status == "pending", after=after, limit=PAGE_SIZE + 1)
    base = f"/ops/worry-free/inspections?status={status}"
    items, nxt = _page(request, rows, scope, "/ops/worry-free/inspections")
    if nxt:
        nxt = nxt.replace("?cursor=", f"?status={status}&cursor=")
    return render(request, "worryfree/ops_inspections.html", {
        "who": who, "items": items, "next": nxt, "first": base if after else None, "status": status},
        here="/ops/worry-free/inspections")


@router.get("/ops/worry-free/inspections/{lot_id}")
def ops_lot(lot_id: str, request: Request) -> Response:
    return _lot_page(request, require(request, Role.OPERATOR), lot_id, section="ops")


@router.post("/ops/worry-free/inspections/{lot_id}")
async def ops_record(lot_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    inspections = _inspections(request)
    view = await run_in_threadpool(inspections.lot_view, who, lot_id)
    plan = (view["inspection"] or {}).get("plan") or {"sample_size": 0, "checks": []}
    units = [UnitIn(n, {c: form_str(form, f"u{n}_{c}", max_len=8) for c in plan["checks"]},
                    form_str(form, f"u{n}_note", max_len=500)) for n in range(1, plan["sample_size"] + 1)]
    try:
        await run_in_threadpool(inspections.record_results, who, lot_id, units)
    except AnxinError as exc:
        return await run_in_threadpool(_lot_page, request, who, lot_id, "ops", exc)
    return RedirectResponse(f"/ops/worry-free/inspections/{quote(lot_id, safe='')}?done=1", status_code=303)


def _lot_page(request: Request, who: Principal, lot_id: str, section: str,
              error: AnxinError | None = None) -> Response:
    t = translator(lang_of(request))
    view = _inspections(request).lot_view(who, lot_id)  # another merchant's lot: 404 page
    inspection = _view(view["inspection"], t) if view["inspection"] is not None else None
    base = "/merchant/worry-free/lots" if section == "merchant" else "/ops/worry-free/inspections"
    here = f"{base}/{quote(lot_id, safe='')}"
    return render(request, "worryfree/lot.html", {
        "who": who, "section": section, "lot": _lot_view(view["lot"], t), "inspection": inspection,
        "back": base, "action": here, "done": request.query_params.get("done") == "1",
        "error": error_view(error, t) if error else None,
        "unit_numbers": list(range(1, inspection["plan"]["sample_size"] + 1)) if inspection else []},
        status=error_status(error) if error else 200, here=here)
