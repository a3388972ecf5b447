"""The operator risk console (server-rendered, zh-CN and en): the review queue, one review with everything needed
to decide it (reasons, near-duplicate evidence side by side, the linked-accounts graph, the case timeline, the
audit trail, the account's history), and the rules with their backtests.

Thin: every read and write goes through RiskService (and AfterSalesService for the case) with the signed-in
operator; ``console`` only words and formats what they return. Forms carry the session's CSRF token and, once
done, redirect back with a notice; a refusal re-renders the page with the error and its figures.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.risk import console as cv
from anxin.risk.error_codes import RiskErrorCode as E
from anxin.risk.rule_admin import BACKTEST_DAYS
from anxin.risk.service import CLEAR_REASONS, CONFIRM_REASONS, MAX_NOTE
from anxin.web.auth import app_of
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
PAGE_SIZE = 100
STATUSES = ("live", "shadow", "off")
MAX_DEFINITION = 20_000


def _q(value: str) -> str:
    return quote(value, safe="")


def _error(exc: AnxinError | None, t: Translator) -> dict[str, Any] | None:
    """The error box, with what a refusal carries: the rule's problems, or the backtest that refused it."""
    if exc is None:
        return None
    problems = exc.details.get("problems")
    return {**error_view(exc, t), "problems": [str(p) for p in problems] if isinstance(problems, list) else [],
            "backtest": cv.backtest_view(exc.details.get("backtest"), t)}


# --- the queue -------------------------------------------------------------------------------------------------

@router.get("/ops/risk")
def queue(request: Request, state: str = "open", cursor: str = "") -> Response:
    who = require(request, Role.OPERATOR)
    svc = app_of(request).risk
    lang = lang_of(request)
    t, now = translator(lang), app_of(request).clock.now()
    state = state if state in cv.QUEUE_STATES else "open"
    scope = scope_of("ops.risk", state)
    try:  # paged like the API, by the last review shown
        key = decode_cursor(cursor[:512], scope=scope, shape=(int, str, str))
        after = None if key is None else (int(key[0]), cursor_instant(key[1]), str(key[2]))
    except AnxinError:  # a stale or edited link: the first page
        after = None
    rows = svc.queue(who, state=state, limit=PAGE_SIZE + 1, after=after)
    page: Page[dict[str, Any]] = page_of(rows, limit=PAGE_SIZE, scope=scope,
                                         key=lambda r: (r["priority"], r["due_at"], r["review_id"]))
    counts = svc.review_counts(who)
    messages = cv.code_messages(app_of(request).risk_rules.rules(who), lang)
    return render(request, "risk/queue.html", {
        "who": who, "state": state, "tabs": cv.state_tabs(counts, state), "overdue": counts["overdue"],
        "items": [cv.queue_item(i, t, lang, now, messages) for i in page.items],
        "first": "/ops/risk?" + urlencode({"state": state}) if after is not None else None,
        "next": "/ops/risk?" + urlencode({"state": state, "cursor": page.next}) if page.next else None})


# --- one review ------------------------------------------------------------------------------------------------

def _review_page(request: Request, who: Principal, review_id: str, *, error: AnxinError | None = None,
                 form: dict[str, str] | None = None) -> Response:
    anxin = app_of(request)
    lang = lang_of(request)
    t, now = translator(lang), anxin.clock.now()
    detail = anxin.risk.review(who, review_id)  # an unknown review: not found, before anything else
    case = None
    if detail.get("case_id"):
        try:
            case = anxin.aftersales.get_case(who, detail["case_id"])
        except AnxinError:  # the review stays readable even if its case cannot be shown
            case = None
    decided = request.query_params.get("decided", "")
    return render(request, "risk/review.html", {
        "who": who, "r": cv.review_view(detail, case, t, lang, now), "error": _error(error, t),
        "form": form or {}, "clear_reasons": CLEAR_REASONS, "confirm_reasons": CONFIRM_REASONS,
        "max_note": MAX_NOTE, "decided": decided if decided in ("clear", "confirm") else ""},
        status=error_status(error) if error else 200, here=f"/ops/risk/reviews/{_q(review_id)}")


@router.get("/ops/risk/reviews/{review_id}")
def review(review_id: str, request: Request) -> Response:
    return _review_page(request, require(request, Role.OPERATOR), review_id)


@router.post("/ops/risk/reviews/{review_id}/decision")
async def decide(review_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    values = {k: form_str(form, k, max_len=MAX_NOTE + 1) for k in ("decision", "reason", "note")}
    try:
        await run_in_threadpool(app_of(request).risk.decide, who, review_id, decision=values["decision"],
                                reason=values["reason"], note=values["note"])
    except AnxinError as exc:
        if exc.code is E.REVIEW_NOT_FOUND:
            raise
        return await run_in_threadpool(_review_page, request, who, review_id, error=exc, form=values)
    decision = values["decision"]
    return RedirectResponse(f"/ops/risk/reviews/{_q(review_id)}?{urlencode({'decided': decision})}",
                            status_code=303)


# --- rules -----------------------------------------------------------------------------------------------------

def _rules_page(request: Request, who: Principal, *, error: AnxinError | None = None,
                form: dict[str, str] | None = None, result: dict[str, Any] | None = None) -> Response:
    anxin = app_of(request)
    lang = lang_of(request)
    t = translator(lang)
    rules = anxin.risk_rules.rules(who)
    known = {str(r["id"]) for r in rules["rules"]}  # a notice names a rule that exists, nothing else

    def named(param: str) -> str:
        value = request.query_params.get(param, "")
        return value if value in known else ""

    status = request.query_params.get("status", "")
    return render(request, "risk/rules.html", {
        "who": who, "version": rules["version"], "mode": rules["mode"], "rules": cv.rules_view(rules, t, lang),
        "statuses": STATUSES, "error": _error(error, t), "form": form or {"days": str(BACKTEST_DAYS)},
        "result": cv.backtest_view(result, t), "proposed": named("proposed"), "changed": named("changed"),
        "changed_status": status if status in STATUSES else ""},
        status=error_status(error) if error else 200, here="/ops/risk/rules")


@router.get("/ops/risk/rules")
def rules(request: Request) -> Response:
    return _rules_page(request, require(request, Role.OPERATOR))


def _definition(text: str) -> Any:
    """The textarea's JSON; text that is not JSON is an invalid rule, with the parser's words as the problem."""
    if not text.strip():
        raise AnxinError(E.INVALID_RULE, "the rule is not valid", problems=["rule: give the rule as a JSON object"])
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise AnxinError(E.INVALID_RULE, "the rule is not valid", problems=[f"not JSON: {exc}"]) from None


def _days(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 3):
        raise AnxinError(E.INVALID_FIELD, "days must be 1..365", field="days")
    return int(text)


@router.post("/ops/risk/rules")
async def propose(request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    values = {"definition": form_str(form, "definition", max_len=MAX_DEFINITION), "days": form_str(form, "days")}
    try:
        out = await run_in_threadpool(app_of(request).risk_rules.propose_rule, who, _definition(values["definition"]))
    except AnxinError as exc:
        return await run_in_threadpool(_rules_page, request, who, error=exc, form=values)
    rule_id = str(out["rule_id"])
    return RedirectResponse(f"/ops/risk/rules?{urlencode({'proposed': rule_id})}#rule-{_q(rule_id)}",
                            status_code=303)


@router.post("/ops/risk/rules/backtest")
async def backtest(request: Request) -> Response:
    """A rule's (``rule_id``) or a definition's replay, shown on the rules page; nothing is stored."""
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    values = {"definition": form_str(form, "definition", max_len=MAX_DEFINITION),
              "days": form_str(form, "days") or str(BACKTEST_DAYS), "rule_id": form_str(form, "rule_id", max_len=80)}
    try:
        days = _days(values["days"])
        definition = None if values["rule_id"] else _definition(values["definition"])
        result = await run_in_threadpool(app_of(request).risk_rules.backtest, who, rule_id=values["rule_id"] or None,
                                         definition=definition, days=days)
    except AnxinError as exc:
        return await run_in_threadpool(_rules_page, request, who, error=exc, form=values)
    return await run_in_threadpool(_rules_page, request, who, form=values, result=result)


@router.post("/ops/risk/rules/{rule_id}/status")
async def set_status(rule_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    status = form_str(form, "status", max_len=16)
    try:
        await run_in_threadpool(app_of(request).risk_rules.set_rule_status, who, rule_id, status)
    except AnxinError as exc:
        return await run_in_threadpool(_rules_page, request, who, error=exc)
    query = urlencode({"changed": rule_id, "status": status})
    return RedirectResponse(f"/ops/risk/rules?{query}#rule-{_q(rule_id)}", status_code=303)
