"""The operators' governance console (server-rendered, zh-CN and en), one tab per queue: appeals by SLA deadline
(overdue flagged) with each appeal's decision; recent violations with each one's trace (decisions with rule ids,
rulebook version and facts); listing findings to clear or confirm; IP complaints with their decisions; inspection
plans (create one) with a plan's report by stratum and its samples' result forms.

Thin: every read and write goes through ``Anxin.governance`` with the signed-in operator. Long lists are keyset
pages like the API's (a cursor bound to the list and its filters; a stale or edited one gives the first page).
A form that succeeds redirects back with a notice; a refusal re-renders the page with the error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.governance import page_views as pv
from anxin.governance.appeal_rules import STATES as APPEAL_STATES
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.ip_complaints import FILTERS as IP_FILTERS
from anxin.governance.queries import VIOLATION_STATES
from anxin.web.auth import app_of
from anxin.web.charts import Series, bar_chart, percent
from anxin.web.i18n import Translator, translator
from anxin.web.paging import Page, cursor_instant, decode_cursor, page_of, scope_of
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
PAGE_SIZE = 50
TABS = ("appeals", "violations", "findings", "ip", "inspections")
TAB_URL = {"appeals": "/ops/governance", "violations": "/ops/governance/violations",
           "findings": "/ops/governance/findings", "ip": "/ops/governance/ip",
           "inspections": "/ops/governance/inspections"}
FINDING_STATES = ("open", "cleared", "confirmed")
MAX_NOTE = 2000


def q(value: str) -> str:
    return quote(value, safe="")


def _after(cursor: str, scope: str) -> tuple[dt.datetime, str] | None:
    try:
        key = decode_cursor(cursor[:512], scope=scope, shape=(str, str))
        return None if key is None else (cursor_instant(key[0]), str(key[1]))
    except AnxinError:  # a stale or edited link: the first page
        return None


def _paged(base: str, filters: dict[str, str], rows: list[dict[str, Any]], scope: str, first: bool,
           key: Callable[[dict[str, Any]], tuple[str | int, ...]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    page: Page[dict[str, Any]] = page_of(rows, limit=PAGE_SIZE, scope=scope, key=key)
    shown = {k: v for k, v in filters.items() if v}
    return page.items, {
        "first": base + ("?" + urlencode(shown) if shown else "") if not first else None,
        "next": base + "?" + urlencode({**shown, "cursor": page.next}) if page.next else None}


def _console(request: Request, who: Principal, tab: str, name: str, context: dict[str, Any], *,
             here: str, error: AnxinError | None = None) -> Response:
    t = translator(lang_of(request))
    return render(request, name, {
        "who": who, "tab": tab, "tabs": [{"id": x, "url": TAB_URL[x], "current": x == tab} for x in TABS],
        "error": error_view(error, t) if error else None,
        "rulebook_version": app_of(request).governance.rulebook.version,
        **context}, status=error_status(error) if error else 200, here=here)


def _words(request: Request) -> tuple[Translator, dt.datetime, str]:
    lang = lang_of(request)
    return translator(lang), app_of(request).clock.now(), lang


# --- appeals -----------------------------------------------------------------------------------------------------

@router.get("/ops/governance")
def appeals(request: Request, state: str = "submitted", overdue: str = "", cursor: str = "") -> Response:
    who = require(request, Role.OPERATOR)
    gov = app_of(request).governance
    t, now, _ = _words(request)
    picked = state if state in APPEAL_STATES else None
    late = overdue == "1"
    scope = scope_of("ops.governance.appeals", picked, late)
    after = _after(cursor, scope)
    rows = gov.appeals.queue(who, state=picked, overdue=late, limit=PAGE_SIZE + 1, after=after)
    items, links = _paged("/ops/governance", {"state": picked or "all", "overdue": "1" if late else ""}, rows, scope,
                          after is None, lambda a: (a["deadline_at"], a["appeal_id"]))
    report = gov.appeals.report(who, start=now - dt.timedelta(days=30), end=now)
    return _console(request, who, "appeals", "governance/console_appeals.html", {
        "items": [pv.appeal_view(a, t, now) for a in items], "states": APPEAL_STATES, "state": picked or "all",
        "overdue": late, "report": report, **links}, here="/ops/governance")


def _appeal_page(request: Request, who: Principal, appeal_id: str, *, error: AnxinError | None = None,
                 form: dict[str, str] | None = None) -> Response:
    gov = app_of(request).governance
    t, now, lang = _words(request)
    appeal = gov.appeals.get(who, appeal_id)  # unknown: not found, before anything else
    violation = gov.queries.violation(who, appeal["violation_id"])
    return _console(request, who, "appeals", "governance/appeal.html", {
        "a": pv.appeal_view(appeal, t, now), "decision": appeal.get("decision"),
        "reasons": [{"code": c, "text": pv.label(t, "gv.reason", c)}
                    for c in (appeal.get("decision") or {}).get("reason_codes", [])],
        "v": pv.violation_view(violation, t, operator=True, defect_names=pv.defect_names(gov.inspections.rules, lang)),
        "decided": request.query_params.get("decided", "") in ("upheld", "rejected"), "form": form or {},
        "max_note": MAX_NOTE}, here=f"/ops/governance/appeals/{q(appeal_id)}", error=error)


@router.get("/ops/governance/appeals/{appeal_id}")
def appeal(appeal_id: str, request: Request) -> Response:
    return _appeal_page(request, require(request, Role.OPERATOR), appeal_id)


@router.post("/ops/governance/appeals/{appeal_id}/decision")
async def decide_appeal(appeal_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    values = {"outcome": form_str(form, "outcome", max_len=16), "note": form_str(form, "note", max_len=MAX_NOTE),
              "abusive": form_str(form, "abusive", max_len=4)}
    try:
        await run_in_threadpool(app_of(request).governance.appeals.decide, who, appeal_id, outcome=values["outcome"],
                                note=values["note"], abusive=values["abusive"] == "1")
    except AnxinError as exc:
        if exc.code is E.APPEAL_NOT_FOUND:
            raise
        return await run_in_threadpool(_appeal_page, request, who, appeal_id, error=exc, form=values)
    return RedirectResponse(f"/ops/governance/appeals/{q(appeal_id)}?{urlencode({'decided': values['outcome']})}",
                            status_code=303)


# --- violations --------------------------------------------------------------------------------------------------

@router.get("/ops/governance/violations")
def violations(request: Request, kind: str = "", state: str = "", shop: str = "", cursor: str = "") -> Response:
    who = require(request, Role.OPERATOR)
    gov = app_of(request).governance
    t, _, _ = _words(request)
    kinds = sorted(gov.rulebook.catalogue.kinds)
    picked_kind = kind if kind in kinds else None
    picked_state = state if state in VIOLATION_STATES else None
    shop = shop.strip()[:64]
    scope = scope_of("ops.governance.violations", picked_kind, picked_state, shop or None)
    after = _after(cursor, scope)
    rows = gov.queries.list(who, shop_id=shop or None, kind=picked_kind, state=picked_state, limit=PAGE_SIZE + 1,
                            after=after)
    items, links = _paged("/ops/governance/violations",
                          {"kind": picked_kind or "", "state": picked_state or "", "shop": shop}, rows, scope,
                          after is None, lambda v: (v["recorded_at"], v["violation_id"]))
    return _console(request, who, "violations", "governance/console_violations.html", {
        "items": [pv.violation_view(v, t, operator=True) for v in items],
        "kinds": [{"id": k, "text": pv.label(t, "gv.kind", k)} for k in kinds], "kind": picked_kind or "",
        "states": VIOLATION_STATES, "state": picked_state or "", "shop": shop, **links},
        here="/ops/governance/violations")


@router.get("/ops/governance/violations/{violation_id}")
def violation(violation_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    gov = app_of(request).governance
    t, now, lang = _words(request)
    out = gov.queries.violation(who, violation_id)
    return _console(request, who, "violations", "governance/violation.html", {
        "v": pv.violation_view(out, t, operator=True, defect_names=pv.defect_names(gov.inspections.rules, lang)),
        "measures": [pv.measure_view(m, t, now) for m in out["measures"]],
        "decisions": [pv.decision_view(d, t) for d in out.get("decisions", [])],
        "recorded_by": out.get("recorded_by")}, here=f"/ops/governance/violations/{q(violation_id)}")


# --- listing findings --------------------------------------------------------------------------------------------

def _findings_page(request: Request, who: Principal, *, state: str = "open", cursor: str = "",
                   error: AnxinError | None = None) -> Response:
    gov = app_of(request).governance
    t, _, _ = _words(request)
    picked = state if state in FINDING_STATES else None
    scope = scope_of("ops.governance.findings", picked)
    after = _after(cursor, scope)
    rows = gov.listings.findings(who, state=picked, limit=PAGE_SIZE + 1, after=after)
    items, links = _paged("/ops/governance/findings", {"state": picked or "all"}, rows, scope, after is None,
                          lambda f: (f["checked_at"], f["check_id"]))
    decided = request.query_params.get("decided", "")
    return _console(request, who, "findings", "governance/console_findings.html", {
        "items": [pv.finding_view(f, t) for f in items], "states": FINDING_STATES, "state": picked or "all",
        "decided": decided if decided in ("clear", "confirm") else "", "max_note": MAX_NOTE, **links},
        here="/ops/governance/findings", error=error)


@router.get("/ops/governance/findings")
def findings(request: Request, state: str = "open", cursor: str = "") -> Response:
    return _findings_page(request, require(request, Role.OPERATOR), state=state, cursor=cursor)


@router.post("/ops/governance/findings/{check_id}/decision")
async def decide_finding(check_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    body = {"decision": form_str(form, "decision", max_len=16), "note": form_str(form, "note", max_len=MAX_NOTE)}
    try:
        await run_in_threadpool(app_of(request).governance.listings.decide, who, check_id, body)
    except AnxinError as exc:
        if exc.code is E.FINDING_NOT_FOUND:
            raise
        return await run_in_threadpool(_findings_page, request, who, error=exc)
    return RedirectResponse(f"/ops/governance/findings?{urlencode({'decided': body['decision']})}", status_code=303)


# --- IP complaints -----------------------------------------------------------------------------------------------

@router.get("/ops/governance/ip")
def complaints(request: Request, state: str = "ready", cursor: str = "") -> Response:
    who = require(request, Role.OPERATOR)
    gov = app_of(request).governance
    t, now, _ = _words(request)
    picked = state if state in IP_FILTERS else None
    scope = scope_of("ops.governance.ip", picked)
    after = _after(cursor, scope)
    rows = gov.ip.complaints(who, state=picked, limit=PAGE_SIZE + 1, after=after)
    items, links = _paged("/ops/governance/ip", {"state": picked or "all"}, rows, scope, after is None,
                          lambda c: (c["due_at"], c["complaint_id"]))
    return _console(request, who, "ip", "governance/console_ip.html", {
        "items": [pv.complaint_view(c, t, now) for c in items], "states": ("ready", "open", *IP_FILTERS[:-2]),
        "state": picked or "all", **links}, here="/ops/governance/ip")


def _complaint_page(request: Request, who: Principal, complaint_id: str, *, error: AnxinError | None = None,
                    form: dict[str, str] | None = None) -> Response:
    gov = app_of(request).governance
    t, now, _ = _words(request)
    c = gov.ip.get(who, complaint_id)  # unknown: not found, before anything else
    reasons = gov.ip.rules.spec.decision.reasons
    return _console(request, who, "ip", "governance/ip.html", {
        "c": pv.complaint_view(c, t, now),
        "reasons": {o: [{"id": r, "text": pv.label(t, "gv.ip.reason", r)} for r in getattr(reasons, o)]
                    for o in ("upheld", "rejected")},
        "decided": request.query_params.get("decided", "") in ("upheld", "rejected"), "form": form or {},
        "max_note": MAX_NOTE}, here=f"/ops/governance/ip/{q(complaint_id)}", error=error)


@router.get("/ops/governance/ip/{complaint_id}")
def complaint(complaint_id: str, request: Request) -> Response:
    return _complaint_page(request, require(request, Role.OPERATOR), complaint_id)


@router.post("/ops/governance/ip/{complaint_id}/decision")
async def decide_complaint(complaint_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    values = {"outcome": form_str(form, "outcome", max_len=16), "reason": form_str(form, "reason", max_len=60),
              "note": form_str(form, "note", max_len=MAX_NOTE)}
    body = {"outcome": values["outcome"], "reason_codes": [values["reason"]] if values["reason"] else [],
            "note": values["note"]}
    try:
        await run_in_threadpool(app_of(request).governance.ip.decide, who, complaint_id, body)
    except AnxinError as exc:
        if exc.code is E.IP_COMPLAINT_NOT_FOUND:
            raise
        return await run_in_threadpool(_complaint_page, request, who, complaint_id, error=exc, form=values)
    return RedirectResponse(f"/ops/governance/ip/{q(complaint_id)}?{urlencode({'decided': values['outcome']})}",
                            status_code=303)


# --- inspections -------------------------------------------------------------------------------------------------

def _plans_page(request: Request, who: Principal, *, cursor: str = "", error: AnxinError | None = None,
                form: dict[str, str] | None = None) -> Response:
    gov = app_of(request).governance
    scope = scope_of("ops.governance.plans")
    after = _after(cursor, scope)
    rows = gov.inspections.plans(who, limit=PAGE_SIZE + 1, after=after)
    items, links = _paged("/ops/governance/inspections", {}, rows, scope, after is None,
                          lambda p: (p["created_at"], p["plan_id"]))
    for p in items:
        p["created"] = pv.instant(p["created_at"])
    return _console(request, who, "inspections", "governance/console_inspections.html", {
        "items": items, "form": form or {}, "default_budget": gov.inspections.rules.spec.budget, **links},
        here="/ops/governance/inspections", error=error)


@router.get("/ops/governance/inspections")
def plans(request: Request, cursor: str = "") -> Response:
    return _plans_page(request, require(request, Role.OPERATOR), cursor=cursor)


@router.post("/ops/governance/inspections")
async def create_plan(request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    values = {k: form_str(form, k, max_len=40) for k in ("period", "seed", "budget")}
    try:
        body: dict[str, Any] = {"period": values["period"], "seed": _int(values["seed"], "seed")}
        if values["budget"]:
            body["budget"] = _int(values["budget"], "budget")
        out = await run_in_threadpool(app_of(request).governance.inspections.create_plan, who, body)
    except AnxinError as exc:
        return await run_in_threadpool(_plans_page, request, who, error=exc, form=values)
    return RedirectResponse(f"/ops/governance/inspections/{q(out['plan_id'])}", status_code=303)


def _int(text: str, field: str) -> int:
    if not (text.isascii() and text.lstrip("-").isdigit() and len(text) <= 18):
        raise AnxinError(E.INVALID_PLAN, f"{field}: a whole number", field=field)
    return int(text)


def _plan_page(request: Request, who: Principal, plan_id: str, *, cursor: str = "", error: AnxinError | None = None,
               sample_id: str = "") -> Response:
    gov = app_of(request).governance
    t, _, lang = _words(request)
    scope = scope_of("ops.governance.samples", plan_id)
    try:
        key = decode_cursor(cursor[:512], scope=scope, shape=(int,))
    except AnxinError:
        key = None
    after = None if key is None else int(key[0])
    plan, rows = gov.inspections.plan(who, plan_id, after_rank=after, limit=PAGE_SIZE + 1)  # unknown: not found
    page: Page[dict[str, Any]] = page_of(rows, limit=PAGE_SIZE, scope=scope, key=lambda s: (s["rank"],))
    report = gov.inspections.report(who, plan_id)
    names = pv.defect_names(gov.inspections.rules, lang)
    strata = pv.report_rows(report, lang, t)
    labels = [r["label"] for r in strata[:-1]]
    series = [Series(t("gv.insp.coverage"), [r["coverage"] for r in strata[:-1]]),
              Series(t("gv.insp.failure_rate"), [r["failure_rate"] for r in strata[:-1]])]
    return _console(request, who, "inspections", "governance/plan.html", {
        "plan": {**plan, "created": pv.instant(plan["created_at"])}, "strata": strata,
        "chart": bar_chart(series, x_labels=labels, title=t("gv.insp.chart"), y_format=percent(1), lang=lang,
                           width=640, height=260, empty_message=t("gv.insp.chart_empty")),
        "samples": [pv.sample_view(s, t, names) for s in page.items],
        "defects": [{"id": k, "text": v} for k, v in names.items()], "error_sample": sample_id,
        "first": f"/ops/governance/inspections/{q(plan_id)}" if after is not None else None,
        "next": f"/ops/governance/inspections/{q(plan_id)}?{urlencode({'cursor': page.next})}" if page.next else None,
        "recorded": request.query_params.get("recorded", "")},
        here=f"/ops/governance/inspections/{q(plan_id)}", error=error)


@router.get("/ops/governance/inspections/{plan_id}")
def plan(plan_id: str, request: Request, cursor: str = "") -> Response:
    return _plan_page(request, require(request, Role.OPERATOR), plan_id, cursor=cursor)


@router.post("/ops/governance/inspections/{plan_id}/samples/{sample_id}/result")
async def record_result(plan_id: str, sample_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    outcome = form_str(form, "outcome", max_len=16)
    detail = form_str(form, "detail", max_len=500)
    kinds = [k for k in form.getlist("defect") if isinstance(k, str)][:10]
    body: dict[str, Any] = {"outcome": outcome}
    if outcome == "failed":
        body["defects"] = [{"kind": k, **({"detail": detail} if detail else {})} for k in kinds]
    try:
        await run_in_threadpool(app_of(request).governance.inspections.record_result, who, sample_id, body)
    except AnxinError as exc:
        if exc.code is E.SAMPLE_NOT_FOUND:
            raise
        return await run_in_threadpool(_plan_page, request, who, plan_id, error=exc, sample_id=sample_id)
    return RedirectResponse(f"/ops/governance/inspections/{q(plan_id)}?{urlencode({'recorded': sample_id})}"
                            f"#sample-{q(sample_id)}", status_code=303)
