"""Service Guarantee Hall, merchant case list, operator console (server-rendered, zh-CN and en).

Thin: every read and write goes through AfterSalesService with the signed-in principal, so isolation is
the API's own (someone else's order or case is simply not found). What a page offers to do comes from
the state machine's table (``model.RULES``), never from rules restated here. What a role may read of a case
(risk internals stay with operators) comes from ``disclosure``, applied to every case before it is worded.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from anxin.aftersales import disclosure
from anxin.aftersales import model as m
from anxin.aftersales import page_views as pv
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.rulebook import CASE_TYPES, REASONS
from anxin.aftersales.service import FileCase
from anxin.catalog import service as catalog
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.orders import service as orders
from anxin.orders.service import OrderStatus
from anxin.shops import service as shops
from anxin.web.auth import app_of
from anxin.web.delivery_panel import order_panel
from anxin.web.i18n import translator
from anxin.web.merchant_nav import merchant_shops
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

# What each page may post; the service still decides whether the role and the state allow it.
CONSUMER_ACTIONS = frozenset({"escalate", "cancel", "ship_return"})
MERCHANT_ACTIONS = frozenset({"approve", "reject", "confirm_receipt", "reject_receipt"})
OPERATOR_ACTIONS = frozenset({"review_approve", "review_reject", "arbitrate_for_consumer", "arbitrate_for_merchant"})
QUEUE_STATES = [m.CaseState.UNDER_REVIEW.value, m.CaseState.ARBITRATION.value]
_YUAN = re.compile(r"[0-9]{1,10}(\.[0-9]{1,6})?")  # ASCII digits only: no "1e3", "NaN" or "１２"


def parse_yuan(text: str, *, field: str = "amount", allow_zero: bool = False) -> int:
    """'12.30' -> 1230 fen, exactly (Decimal); '12.345' is a fraction of a fen and refused."""
    s = (text or "").strip()
    if not _YUAN.fullmatch(s):
        raise AnxinError(E.INVALID_AMOUNT, f"{field} must be an amount in yuan such as 12.30", field=field)
    fen = Decimal(s) * 100
    if fen != fen.to_integral_value():
        raise AnxinError(E.INVALID_AMOUNT, f"{field} {s} has a fraction of a fen", field=field)
    if fen < 0 or (fen == 0 and not allow_zero):
        raise AnxinError(E.INVALID_AMOUNT, f"{field} must be more than 0", field=field)
    return int(fen)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _q(value: str) -> str:
    return quote(value, safe="")


def _review_hours(request: Request) -> int | None:
    return disclosure.promised_hours(app_of(request).risk.rulebook.review_sla_hours)


# --- pages ---------------------------------------------------------------------------------------

def _hall(request: Request, who: Principal, order_id: str, *, error: AnxinError | None = None,
          form: dict[str, Any] | None = None, error_case: str | None = None) -> Response:
    anxin = app_of(request)
    lang = lang_of(request)
    t, now = translator(lang), anxin.clock.now()
    g = anxin.aftersales.guarantees(who, order_id)  # someone else's order: not found, before anything else
    tl, raw_views = anxin.aftersales.order_timeline(who, order_id)
    hours = _review_hours(request)
    shown = [pv.shown(v, who, hours) for v in raw_views]
    views = [v for v, _ in shown]
    delivery = order_panel(anxin.fulfilment.order_report_for(who, order_id), t)
    order = g.order
    with anxin.uow_factory() as uow:  # a read of names for the header, nothing else
        shop = shops.get_shop(uow, order.shop_id)
        listings = catalog.get_listings(uow, [i.listing_id for i in order.items])
    refundable = order.paid_fen - sum(v.case.refunded_fen for v in views)
    # Active first, then what could still help, then what has run out; the rulebook's order within each.
    rank = {"active": 0, "unavailable": 1, "pending": 2, "expired": 3}
    covs = sorted((pv.coverage_view(c, lang, t, now) for c in g.coverage), key=lambda c: rank.get(c["state"], 4))
    ctx = {
        "who": who, "order": order, "shop": shop.name if shop else order.shop_id,
        "items": [{"id": i.listing_id, "title": listings[i.listing_id].title if i.listing_id in listings
                   else i.listing_id, "qty": i.qty, "price": i.price_fen} for i in order.items],
        "rulebook_version": g.rulebook_version,
        "applicable": [c for c in covs if c.get("state") != "not_applicable"],
        "not_applicable": [c for c in covs if c.get("state") == "not_applicable"],
        "timeline": pv.timeline_view(tl, views, t, delivery["timeline"]), "delivery": delivery,
        "cases": [pv.case_view(v, who, t, now, notice) for v, notice in reversed(shown)],
        "can_file": who.role is Role.CONSUMER and order.status is not OrderStatus.CANCELLED
        and refundable > 0 and not any(v.case.state in m.OPEN_STATES for v in views),
        "has_open": any(v.case.state in m.OPEN_STATES for v in views),
        "case_types": CASE_TYPES, "reasons": REASONS, "max_amount": t.money(max(refundable, 0)),
        "form": form or {"amount": yuan(max(refundable, 0)), "type": "refund_only", "reason": "quality"},
        "error": error_view(error, t) if error else None, "error_case": error_case,
        "filed": request.query_params.get("filed", ""),
    }
    return render(request, "aftersales/hall.html", ctx, status=error_status(error) if error else 200,
                  here=f"/hall/orders/{_q(order_id)}")


@router.get("/hall")
def hall_orders(request: Request) -> Response:
    who = require(request, Role.CONSUMER)
    anxin = app_of(request)
    with anxin.uow_factory() as uow:  # the consumer's own orders: a read, by subject
        mine = orders.orders_of_consumer(uow, who.subject)
        shop_of = {sid: shops.get_shop(uow, sid) for sid in {o.shop_id for o in mine}}
    latest: dict[str, tuple[str, str]] = {}
    for v in anxin.aftersales.list_cases(who, limit=500):
        if v.case.order_id not in latest or v.case.state in m.OPEN_STATES:
            latest[v.case.order_id] = (v.case.state.value, pv.state_family(v))
    names = {sid: shop.name for sid, shop in shop_of.items() if shop}
    rows = [{"order": o, "shop": names.get(o.shop_id, o.shop_id), "case_state": latest.get(o.order_id, (None,))[0],
             "case_family": latest.get(o.order_id, (None, "state"))[1]} for o in mine]
    return render(request, "aftersales/hall_orders.html", {"who": who, "orders": rows})


@router.get("/hall/orders/{order_id}")
def hall(order_id: str, request: Request) -> Response:
    return _hall(request, require(request, Role.CONSUMER, Role.OPERATOR), order_id)


async def _upload(request: Request, who: Principal, form: FormData) -> tuple[str, ...]:
    """Store each chosen image through the service; the case then cites them by sha256."""
    anxin = app_of(request)
    rb = anxin.rulebooks.in_force(anxin.clock.now())
    files = [f for f in form.getlist("evidence") if isinstance(f, UploadFile) and f.filename]
    if len(files) > rb.max_evidence_images:
        raise AnxinError(E.TOO_MANY_EVIDENCE, f"at most {rb.max_evidence_images} evidence images")
    shas = []
    for f in files:
        data = await f.read(rb.max_evidence_bytes + 1)
        if len(data) > rb.max_evidence_bytes:
            raise AnxinError(E.EVIDENCE_TOO_LARGE, f"evidence is larger than {rb.max_evidence_bytes} bytes")
        shas.append((await run_in_threadpool(anxin.aftersales.upload_evidence, who, data)).sha256)
    return tuple(dict.fromkeys(shas))


@router.post("/hall/orders/{order_id}/cases")
async def file_case(order_id: str, request: Request) -> Response:
    who = require(request, Role.CONSUMER)
    form = await read_form(request)
    check_csrf(request, form)
    values: dict[str, Any] = {k: form_str(form, k) for k in ("type", "reason", "amount", "description", "listing_id")}
    values["unsealed"] = form.get("unsealed") in ("1", "on", "true")
    try:
        amount = parse_yuan(values["amount"])  # before any upload: a bad amount writes nothing
        evidence = await _upload(request, who, form)
        cmd = FileCase(order_id=order_id, case_type=values["type"], reason=values["reason"], amount_fen=amount,
                       evidence=evidence, description=values["description"],
                       listing_id=values["listing_id"] or None, unsealed=bool(values["unsealed"]))
        view = await run_in_threadpool(app_of(request).aftersales.file_case, who, cmd)
    except AnxinError as exc:
        return await run_in_threadpool(_hall, request, who, order_id, error=exc, form=values)
    case_id = _q(view.case.case_id)
    return RedirectResponse(f"/hall/orders/{_q(order_id)}?filed={case_id}#case-{case_id}", status_code=303)


@router.post("/hall/cases/{case_id}/act")
async def consumer_act(case_id: str, request: Request) -> Response:
    who = require(request, Role.CONSUMER)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    svc = app_of(request).aftersales
    view = await run_in_threadpool(svc.get_case, who, case_id)  # someone else's case: not found
    action = form_str(form, "action")
    try:
        if action not in CONSUMER_ACTIONS:
            raise AnxinError(E.INVALID_ACTION, f"unknown action {action!r}")
        data: dict[str, Any] = {}
        if action == "ship_return":
            data["method"] = form_str(form, "method") or "self"
            if data["method"] == "self":
                data.update(carrier=form_str(form, "carrier", max_len=64),
                            tracking_no=form_str(form, "tracking_no", max_len=128),
                            freight_fen=parse_yuan(form_str(form, "freight") or "0", field="freight",
                                                   allow_zero=True))
        await run_in_threadpool(svc.act, who, case_id, action, note=form_str(form, "note"), data=data)
    except AnxinError as exc:
        return await run_in_threadpool(_hall, request, who, view.case.order_id, error=exc, error_case=case_id)
    return RedirectResponse(f"/hall/orders/{_q(view.case.order_id)}#case-{_q(case_id)}", status_code=303)


def _case_list(request: Request, who: Principal, section: str, states: list[str] | None,
               state: str = "") -> Response:
    t, now = translator(lang_of(request)), app_of(request).clock.now()
    views = app_of(request).aftersales.list_cases(who, states=states, limit=200)
    hours = _review_hours(request)
    return render(request, "aftersales/case_list.html", {
        "who": who, "section": section, "cases": [pv.case_view(shown, who, t, now, notice)
                                                  for shown, notice in (pv.shown(v, who, hours) for v in views)],
        "state": state,
        "states": [s.value for s in m.CaseState],
        "shops": merchant_shops(request, who) if section == "merchant" else []})


@router.get("/merchant/cases")
def merchant_cases(request: Request, state: str = "") -> Response:
    who = require(request, Role.MERCHANT)
    known = state in {s.value for s in m.CaseState}
    return _case_list(request, who, "merchant", [state] if known else None, state if known else "")


@router.get("/ops/cases")
def ops_cases(request: Request) -> Response:
    return _case_list(request, require(request, Role.OPERATOR), "ops", QUEUE_STATES)


def _detail(request: Request, who: Principal, case_id: str, section: str, *,
            error: AnxinError | None = None) -> Response:
    svc = app_of(request).aftersales
    t, now = translator(lang_of(request)), app_of(request).clock.now()
    view, notice = pv.shown(svc.get_case(who, case_id), who, _review_hours(request))
    tl, _ = svc.order_timeline(who, view.case.order_id)
    return render(request, "aftersales/case_detail.html", {
        "who": who, "section": section, "case": pv.case_view(view, who, t, now, notice),
        "timeline": pv.timeline_view(tl, [view], t),
        "error": error_view(error, t) if error else None}, status=error_status(error) if error else 200,
        here=f"/{section}/cases/{_q(case_id)}")


@router.get("/merchant/cases/{case_id}")
def merchant_case(case_id: str, request: Request) -> Response:
    return _detail(request, require(request, Role.MERCHANT), case_id, "merchant")


@router.get("/ops/cases/{case_id}")
def ops_case(case_id: str, request: Request) -> Response:
    return _detail(request, require(request, Role.OPERATOR), case_id, "ops")


async def _staff_act(request: Request, case_id: str, role: Role, allowed: frozenset[str], section: str) -> Response:
    who = require(request, role)
    form = await read_form(request)
    check_csrf(request, form)
    svc = app_of(request).aftersales
    await run_in_threadpool(svc.get_case, who, case_id)  # someone else's case: not found
    action, note = form_str(form, "action"), form_str(form, "note")
    try:
        if action not in allowed:
            raise AnxinError(E.INVALID_ACTION, f"unknown action {action!r}")
        if action in m.NEEDS_NOTE and not note:  # refuse before storing any evidence image
            raise AnxinError(E.NOTE_REQUIRED, f"{action} needs a reason note")
        evidence = await _upload(request, who, form)
        await run_in_threadpool(svc.act, who, case_id, action, note=note, evidence=evidence)
    except AnxinError as exc:
        return await run_in_threadpool(_detail, request, who, case_id, section, error=exc)
    return RedirectResponse(f"/{section}/cases/{_q(case_id)}", status_code=303)


@router.post("/merchant/cases/{case_id}/act")
async def merchant_act(case_id: str, request: Request) -> Response:
    return await _staff_act(request, case_id, Role.MERCHANT, MERCHANT_ACTIONS, "merchant")


@router.post("/ops/cases/{case_id}/act")
async def ops_act(case_id: str, request: Request) -> Response:
    return await _staff_act(request, case_id, Role.OPERATOR, OPERATOR_ACTIONS, "ops")
