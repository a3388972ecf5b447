"""Service Guarantee Hall, merchant case list, operator console (server-rendered, zh-CN and en).

Thin: every read and write goes through AfterSalesService with the signed-in principal, so isolation is
the API's own (someone else's order or case is simply not found). What a page offers to do comes from
the state machine's table (``model.RULES``), never from rules restated here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from anxin.access.model import Principal, Role
from anxin.aftersales import model as m
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.policy import Coverage
from anxin.aftersales.rulebook import CASE_TYPES, REASONS
from anxin.aftersales.service import CaseView, FileCase
from anxin.catalog import service as catalog
from anxin.core.clock import parse_instant
from anxin.core.errors import AnxinError
from anxin.core.money import format_fen
from anxin.fulfilment.pages import merchant_shops, order_panel
from anxin.merchants import service as merchants
from anxin.orders import service as orders
from anxin.orders.model import OrderStatus, OrderTimeline
from anxin.web.auth import app_of
from anxin.web.i18n import Translator, translator
from anxin.web.render import (
    PageRoute,
    check_csrf,
    error_status,
    error_view,
    fmt_left,
    fmt_time,
    form_str,
    lang_of,
    progress,
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


def _label(t: Translator, family: str, value: str | None) -> str:
    text = t(f"{family}.{value}")
    return (value or "") if text == f"{family}.{value}" else text


# --- view models: plain dicts, already translated where words depend on data ------------------------

def _reason(raw: dict[str, Any], t: Translator) -> dict[str, str]:
    code = str(raw.get("code", "?"))
    extra = ""
    detail = raw.get("detail") or {}
    for key in ("closed_at", "opens_at"):
        if isinstance(detail, dict) and isinstance(detail.get(key), str):
            try:
                extra = fmt_time(parse_instant(detail[key]))
            except ValueError:
                extra = detail[key]
    return {"code": code, "text": _label(t, "code", code), "rule": str(raw.get("rule", "")),
            "version": str(raw.get("version", "")), "extra": extra}


def _coverage(c: Coverage, lang: str, t: Translator, now: dt.datetime) -> dict[str, Any]:
    g = c.guarantee
    note = ""
    if c.state == "active" and c.closes_at:
        note = t("hall.closes_in", left=fmt_left(c.closes_at - now, t))
    elif c.state == "pending" and c.opens_at and now < c.opens_at:
        note = t("hall.opens_in", left=fmt_left(c.opens_at - now, t))
    elif c.state == "pending":
        note = t("hall.window_pending", anchor=t(f"anchor.{g.window.anchor}"))
    return {"id": g.id, "name": g.name.get(lang) or g.id, "summary": g.summary.get(lang, ""), "state": c.state,
            "opens": c.opens_at, "closes": c.closes_at, "note": note,
            "bar": progress(c.opens_at, c.closes_at, now) if c.state == "active" else None,
            # a pending window's only reason is "not open yet", which the note already says
            "reasons": [] if c.state == "pending" else [_reason(r.as_dict(), t) for r in c.reasons]}


def _event(case_id: str, e: m.CaseEvent, t: Translator) -> dict[str, Any]:
    data = e.data if isinstance(e.data, dict) else {}
    lines = []
    if e.deadline_at:
        lines.append(t("tl.deadline", at=fmt_time(e.deadline_at), kind=_label(t, "deadline", e.deadline_kind)))
    if data.get("rule"):
        lines.append(t("tl.rule", rule=data["rule"], version=data.get("version", "")))
    if e.action == "ship_return":
        lines.append(t("tl.pickup") if data.get("method") == "pickup" else t(
            "tl.return", carrier=data.get("carrier", ""), tracking=data.get("tracking_no", ""),
            freight=format_fen(data.get("freight_fen") or 0)))
    reasons = [_reason(x, t) for x in data.get("reasons") or [] if isinstance(x, dict)]
    return {"kind": "case", "case_id": case_id, "title": _label(t, "action", e.action),
            "actor": f"{_label(t, 'role', e.actor_role)} · {e.actor_id}", "from": e.from_state, "to": e.to_state,
            "note": e.note, "lines": lines, "reasons": reasons}


def _timeline(tl: OrderTimeline, views: list[CaseView], t: Translator,
              extra: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Order facts, every case event and ``extra`` entries (fulfilment notices) on one time axis (order facts
    first when times tie)."""
    o = tl.order
    rows: list[tuple[dt.datetime, int, dict[str, Any]]] = [
        (o.paid_at, 0, {"kind": "paid", "title": t("tl.paid", amount=format_fen(o.paid_fen))})]
    if o.shipped_at:
        rows.append((o.shipped_at, 1, {"kind": "shipped", "title": t(
            "tl.shipped", carrier=o.carrier or "", tracking=o.tracking_no or "")}))
    rows += [(s.scanned_at, 2, {"kind": "scan", "title": t("tl.scan", status=_label(t, "scan", s.status)),
                                "lines": [s.location] if s.location else []}) for s in tl.scans]
    if o.signed_at:
        rows.append((o.signed_at, 3, {"kind": "signed", "title": t("tl.signed")}))
    if o.cancelled_at:
        rows.append((o.cancelled_at, 3, {"kind": "cancelled", "title": t("tl.cancelled",
                                                                            reason=o.cancel_reason or "")}))
    rows += [(e.at, 4, _event(v.case.case_id, e, t)) for v in views for e in v.events]
    rows += [(x["at"], 5, {k: v for k, v in x.items() if k != "at"}) for x in extra]
    rows.sort(key=lambda row: (row[0], row[1]))  # stable: case events keep their recorded order
    return [{"at": at, "lines": [], **entry} for at, _, entry in rows]


def _actions(who: Principal, case: m.Case) -> list[str]:
    return [a.value for a, (role, states) in m.RULES.items()
            if a not in m.IMPLICIT and role == who.role.value and case.state in states]


def _case(v: CaseView, who: Principal, t: Translator, now: dt.datetime) -> dict[str, Any]:
    c, d = v.case, v.decision if isinstance(v.decision, dict) else {}
    deadline = None
    if c.deadline_at:
        # The bar runs from the moment the current deadline was set (the event that set it).
        started = next((e.at for e in reversed(v.events) if e.deadline_at == c.deadline_at), c.opened_at)
        left = c.deadline_at - now
        deadline = {"at": c.deadline_at, "kind": _label(t, "deadline", c.deadline_kind),
                    "text": t("case.left" if left > dt.timedelta(0) else "case.overdue", left=fmt_left(left, t)),
                    "bar": progress(started, c.deadline_at, now)}
    reasons = [_reason(r, t) for r in d.get("reasons") or [] if isinstance(r, dict)]
    facts = d.get("facts")
    facts = facts if isinstance(facts, dict) else {}
    return {
        "id": c.case_id, "order_id": c.order_id, "type": c.case_type, "reason": c.reason, "amount": c.amount_fen,
        "state": c.state.value, "opened_at": c.opened_at, "deadline": deadline, "outcome": d.get("outcome", ""),
        "reasons": reasons, "summary": reasons[-1]["text"] if reasons else "",  # the last one settled it
        "passed_over": [_reason(r, t) for r in d.get("passed_over") or [] if isinstance(r, dict)],
        "guarantee": d.get("guarantee") or c.guarantee_id or "—", "version": c.rulebook_version,
        "facts": [(k, _fact(k, val)) for k, val in sorted(facts.items())],
        "trace": [s for s in d.get("trace") or [] if isinstance(s, dict)],
        "evidence": list(v.evidence), "description": v.description,
        "return": {"method": c.return_method, "carrier": c.return_carrier, "tracking_no": c.return_tracking_no,
                   "freight": c.return_freight_fen} if c.return_method else None,
        "money": [(key, amount) for key, amount in (("case.refunded", c.refunded_fen),
                                                   ("case.compensated", c.compensated_fen),
                                                   ("case.freight_paid", c.freight_paid_fen)) if amount],
        "actions": _actions(who, c), "needs_note": sorted(a.value for a in m.NEEDS_NOTE),
        "pickup_covered": c.pickup_covered, "freight_covered": c.freight_covered,
    }


def _fact(key: str, value: object) -> object:
    if isinstance(value, str) and (key.endswith("_at") or key == "now"):
        try:
            return fmt_time(parse_instant(value))
        except ValueError:
            return value
    return value


# --- pages ---------------------------------------------------------------------------------------

def _hall(request: Request, who: Principal, order_id: str, *, error: AnxinError | None = None,
          form: dict[str, Any] | None = None, error_case: str | None = None) -> Response:
    anxin = app_of(request)
    lang = lang_of(request)
    t, now = translator(lang), anxin.clock.now()
    g = anxin.aftersales.guarantees(who, order_id)  # someone else's order: not found, before anything else
    tl, views = anxin.aftersales.order_timeline(who, order_id)
    delivery = order_panel(anxin.fulfilment.order_report_for(who, order_id), t)
    order = g.order
    with anxin.uow_factory() as uow:  # a read of names for the header, nothing else
        shop = merchants.get_shop(uow, order.shop_id)
        listings = catalog.get_listings(uow, [i.listing_id for i in order.items])
    refundable = order.paid_fen - sum(v.case.refunded_fen for v in views)
    # Active first, then what could still help, then what has run out; the rulebook's order within each.
    rank = {"active": 0, "unavailable": 1, "pending": 2, "expired": 3}
    covs = sorted((_coverage(c, lang, t, now) for c in g.coverage), key=lambda c: rank.get(c["state"], 4))
    ctx = {
        "who": who, "order": order, "shop": shop.name if shop else order.shop_id,
        "items": [{"id": i.listing_id, "title": listings[i.listing_id].title if i.listing_id in listings
                   else i.listing_id, "qty": i.qty, "price": i.price_fen} for i in order.items],
        "rulebook_version": g.rulebook_version,
        "applicable": [c for c in covs if c.get("state") != "not_applicable"],
        "not_applicable": [c for c in covs if c.get("state") == "not_applicable"],
        "timeline": _timeline(tl, views, t, delivery["timeline"]), "delivery": delivery,
        "cases": [_case(v, who, t, now) for v in reversed(views)],
        "can_file": who.role is Role.CONSUMER and order.status is not OrderStatus.CANCELLED
        and refundable > 0 and not any(v.case.state in m.OPEN_STATES for v in views),
        "has_open": any(v.case.state in m.OPEN_STATES for v in views),
        "case_types": CASE_TYPES, "reasons": REASONS, "max_amount": format_fen(max(refundable, 0)),
        "form": form or {"amount": yuan(max(refundable, 0)), "type": "refund_only", "reason": "quality"},
        "error": error_view(error, t) if error else None, "error_case": error_case,
        "filed": request.query_params.get("filed", ""),
    }
    return render(request, "hall.html", ctx, status=error_status(error) if error else 200,
                  here=f"/hall/orders/{_q(order_id)}")


@router.get("/hall")
def hall_orders(request: Request) -> Response:
    who = require(request, Role.CONSUMER)
    anxin = app_of(request)
    with anxin.uow_factory() as uow:  # the consumer's own orders: a read, by subject
        mine = orders.orders_of_consumer(uow, who.subject)
        shops = {sid: merchants.get_shop(uow, sid) for sid in {o.shop_id for o in mine}}
    latest: dict[str, str] = {}
    for v in anxin.aftersales.list_cases(who, limit=500):
        if v.case.order_id not in latest or v.case.state in m.OPEN_STATES:
            latest[v.case.order_id] = v.case.state.value
    names = {sid: shop.name for sid, shop in shops.items() if shop}
    rows = [{"order": o, "shop": names.get(o.shop_id, o.shop_id), "case_state": latest.get(o.order_id)} for o in mine]
    return render(request, "hall_orders.html", {"who": who, "orders": rows})


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
    return render(request, "case_list.html", {
        "who": who, "section": section, "cases": [_case(v, who, t, now) for v in views], "state": state,
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
    view = svc.get_case(who, case_id)
    tl, _ = svc.order_timeline(who, view.case.order_id)
    return render(request, "case_detail.html", {
        "who": who, "section": section, "case": _case(view, who, t, now), "timeline": _timeline(tl, [view], t),
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
