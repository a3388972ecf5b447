"""Score pages: a shop's experience score and the diagnosis of each indicator (merchant: own shops; operator: any),
a creator's reputation score and the rankings (operators).

Thin: every figure comes from ScoringService with the signed-in principal, so isolation is the service's own (a
shop that is not the merchant's is simply not found). This module only words and formats: points are hundredths
written as exact decimals, rates as percentages, instants in Beijing time; nothing is recomputed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from anxin.catalog import service as catalog
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.scoring.error_codes import ScoringErrorCode as E
from anxin.scoring.model import IndicatorReport, ScoreReport, Suggestion, top_quartile_x100
from anxin.scoring.rulebook import SubjectRules
from anxin.scoring.service import parse_day
from anxin.shops import service as shops
from anxin.web.auth import app_of
from anxin.web.chart_widgets import data_table, gauge
from anxin.web.charts import Series, fixed, line_chart
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.i18n import Translator, translator
from anxin.web.render import PageRoute, check_csrf, fmt_time, form_str, lang_of, read_form, render, require

router = APIRouter(include_in_schema=False, route_class=PageRoute)

TREND_DAYS = 90
RANK_PAGE = 50
KINDS = ("merchant", "creator", "consumer")
# The drilled rows' columns worth showing, in this order (each only when the rows have it).
ROW_COLUMNS = ("order_id", "case_id", "complaint_id", "session_id", "feedback_id", "rating", "reason", "case_type",
               "final_state", "paid_at", "opened_at", "to_human_at", "first_reply_at", "collected_at", "signed_at",
               "posted_at", "filed_at", "closed_at", "creator_id")
ID_COLUMNS = ("order_id", "case_id", "complaint_id", "session_id", "feedback_id", "creator_id")
DURATIONS = {"collection_timeliness": ("paid_at", "collected_at"), "delivery_hours": ("collected_at", "signed_at"),
             "aftersales_hours": ("opened_at", "closed_at"), "im_reply_rate": ("to_human_at", "first_reply_at")}
_POINTS = re.compile(r"(\d{1,3})(?:\.(\d{1,2}))?")


# --- formatting ------------------------------------------------------------------------------------------------

def points_text(x100: int | None) -> str:
    """Hundredths as an exact decimal with two places: 8425 -> "84.25"; None is a dash."""
    if x100 is None:
        return "—"
    whole, frac = divmod(abs(int(x100)), 100)
    return f"{'-' if x100 < 0 else ''}{whole}.{frac:02d}"


def parse_points(text: str) -> int | None:
    """A form's points ("3", "3.5", "0.25") as hundredths, exactly; None when it is not such a number."""
    found = _POINTS.fullmatch(text.strip())
    if not found:
        return None
    return int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))


def value_text(value: float | None, unit: str, t: Translator) -> str:
    if value is None:
        return "—"
    if unit == "rate":
        return f"{value * 100:.2f} %"
    if unit == "hours":
        return t("sc.hours", h=f"{value:.1f}")
    return f"{value:.2f}"


def duration_text(seconds: int | None, t: Translator) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return t("sc.seconds", s=seconds)
    if seconds < 2 * 3600:
        return t("sc.minutes", m=seconds // 60)
    return t("sc.hours", h=f"{seconds / 3600:.1f}")


def percentile_text(ind: IndicatorReport) -> str:
    p = ind.percentile
    return "—" if p is None else f"{round(p * 100)} %"


def _at(epoch: object) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch, dt.UTC) if isinstance(epoch, int) and not isinstance(epoch, bool) else None


def _label(t: Translator, family: str, value: object) -> str:
    text = t(f"{family}.{value}")
    return str(value if value is not None else "—") if text == f"{family}.{value}" else text


def _reason(t: Translator, code: object) -> str:
    text = t(f"reason.{code}")
    return _label(t, "sc.reason", code) if text == f"reason.{code}" else text


def suggestion_text(s: Suggestion, t: Translator) -> str:
    """The suggestion in the page's words: from the catalog where it names a code (a reason by its label), else
    the text the diagnosis wrote in this language."""
    key = f"sc.sug.{s.code}"
    if t(key) == key:
        return s.text.get(t.lang) or s.text.get("en", "")
    return t(key, **{**s.facts, "reason": _reason(t, s.facts.get("reason"))})


def _name(names: Mapping[str, str], lang: str, t: Translator, fallback_key: str) -> str:
    return str(names.get(lang) or t(fallback_key))


def _q(value: str) -> str:
    return quote(value, safe="")


def _day(value: str) -> dt.date | None:
    """A page's ``as_of`` (empty: the latest); anything else is ``scoring.invalid_date``."""
    if not value:
        return None
    day = parse_day(value)
    if not 1971 <= day.year <= 9998:
        raise AnxinError(E.INVALID_DATE, f"date out of range: {value!r}", value=value)
    return day


# --- views: plain values, already worded ----------------------------------------------------------------------

def indicator_name(t: Translator, ind: IndicatorReport) -> str:
    return _label(t, "sc.m", ind.measure)


def indicator_view(ind: IndicatorReport, t: Translator, dims: Mapping[str, str], url: str | None) -> dict[str, Any]:
    return {"id": ind.id, "name": indicator_name(t, ind), "dimension": dims.get(ind.dimension, ind.dimension),
            "better": t(f"sc.better.{ind.better}"), "value": value_text(ind.value, ind.unit, t),
            "fraction": t("sc.fraction", n=ind.num, d=ind.den) if ind.unit == "rate" and ind.den else "",
            "median": value_text(ind.peer_median, ind.unit, t), "top": value_text(ind.peer_top_quartile, ind.unit, t),
            "percentile": percentile_text(ind), "points": points_text(ind.points_x100),
            "lost": points_text(ind.lost_x100) if ind.lost_x100 else "0.00", "lost_x100": ind.lost_x100,
            "present": ind.present, "scored": ind.points_x100 is not None, "url": url}


def report_view(report: ScoreReport, rules: SubjectRules, t: Translator, lang: str,
                indicator_url: Any = None, categories: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report as the page shows it: gauge, dimensions, indicators sorted by points lost."""
    ok = report.eligible and report.score_x100 is not None
    lo, hi = report.scale
    top_q = top_quartile_x100(rules)
    dims = {d.id: _name(d.name, lang, t, f"sc.dim.{d.id}") for d in rules.dimensions}
    short = t("sc.not_eligible_short", n=report.valid_orders, m=report.min_valid_orders)
    bands = [(lo / 100, (lo + hi) / 200, "chart-band-warn"), ((lo + hi) / 200, top_q / 100, "chart-band-ok"),
             (top_q / 100, hi / 100, "chart-band-good")]
    inds = sorted(report.indicators, key=lambda i: (-i.lost_x100, i.points_x100 is None,
                                                      i.points_x100 if i.points_x100 is not None else 0, i.id))
    return {
        "eligible": ok, "valid_orders": report.valid_orders, "min_orders": report.min_valid_orders,
        "not_eligible": "" if ok else t("sc.not_eligible", n=report.valid_orders, m=report.min_valid_orders),
        "total": points_text(report.score_x100) if ok else "",
        "raw": points_text(report.raw_x100) if ok and report.deductions_x100 else "",
        "deducted": points_text(report.deductions_x100) if ok and report.deductions_x100 else "",
        "gauge": gauge(report.score_x100 / 100 if ok and report.score_x100 is not None else None, lo / 100, hi / 100,
                       bands, title=t("sc.total"), value_format=fixed(2), lang=lang, empty_message=short,
                       width=260, height=160),
        "scale": t("sc.scale", min=points_text(lo), max=points_text(hi)),
        "kind": report.kind,
        "peer_group": t("sc.peer_group", group=t(f"sc.peer_all.{report.kind}") if report.peer_group in (None, "*")
                        else report.peer_group),
        "category": (categories or {}).get(report.primary_category or "", report.primary_category or "—"),
        "dimensions": [{"id": d.id, "name": dims[d.id], "weight": t("sc.weight", w=d.weight),
                        "points": points_text(d.points_x100) if ok else "—",
                        "floored": t("sc.floored", floor=points_text(d.excellence_floor_x100))
                        if ok and d.floored else ""} for d in report.dimensions],
        "indicators": [indicator_view(i, t, dims, indicator_url(i.id) if indicator_url else None) for i in inds],
        "rule_ids": [i.id for i in rules.indicators], "version": report.rulebook_version, "as_of": report.as_of,
        "window_days": rules.window_days, "top_quartile": points_text(top_q),
    }


def trend_view(history: Sequence[Mapping[str, Any]], rules: SubjectRules, t: Translator, lang: str,
               title: str) -> dict[str, Any]:
    labels = [str(p["as_of"]) for p in history]
    total = Series(t("sc.series.total"), [p["score_x100"] / 100 if p["eligible"] and p["score_x100"] is not None
                                          else None for p in history])
    dims = [Series(_name(d.name, lang, t, f"sc.dim.{d.id}"),
                   [(v / 100 if (v := (p.get("dimensions") or {}).get(d.id)) is not None and p["eligible"] else None)
                    for p in history]) for d in rules.dimensions]
    top_q = top_quartile_x100(rules)
    return {
        "chart": line_chart([total], x_labels=[x[5:] for x in labels], title=title, y_format=fixed(2),
                            y_min=rules.min_x100 / 100, y_max=rules.max_x100 / 100, target=top_q / 100,
                            target_label=t("sc.top_quartile_line", points=points_text(top_q)), lang=lang,
                            width=560, height=240, empty_message=t("sc.trend_empty")),
        "table": data_table([total, *dims], x_labels=labels, caption=title, y_format=fixed(2), lang=lang),
    }


def deduction_view(d: Mapping[str, Any], t: Translator, now: dt.datetime) -> dict[str, Any]:
    start = dt.datetime.fromisoformat(d["effective_at"])
    expires = dt.datetime.fromisoformat(d["expires_at"]) if d["expires_at"] else None
    state = ("revoked" if d["revoked_at"] else "scheduled" if start > now
             else "expired" if expires is not None and expires < now else "in_force")
    return {"id": d["deduction_id"], "kind": d["kind"], "kind_text": _label(t, "sc.ded", d["kind"]),
            "points": points_text(d["points_x100"]), "reason": d["reason"], "effective_at": start,
            "expires_at": expires, "state": state, "state_text": t(f"sc.ded_state.{state}"), "by": d["created_by"]}


def row_view(row: Mapping[str, Any], columns: Sequence[str], measure: str, t: Translator) -> dict[str, Any]:
    cells = []
    for c in columns:
        v = row.get(c)
        if c.endswith("_at"):
            at = _at(v)
            text = fmt_time(at) if at else (t("sc.no_reply") if c == "first_reply_at" else "—")
        elif c == "rating":
            text = t("sc.stars", n=v) if v is not None else "—"
        elif c == "reason":
            text = _reason(t, v) if v is not None else "—"
        elif c == "case_type":
            text = _label(t, "type", v)
        elif c == "final_state":
            text = _label(t, "state", v)
        else:
            text = "—" if v is None else str(v)
        cells.append({"key": c, "text": text, "id": c in ID_COLUMNS and v is not None})
    start, end = DURATIONS.get(measure, ("", ""))
    a, b = row.get(start), row.get(end)
    if measure in DURATIONS:
        cells.append({"key": "duration", "id": False,
                      "text": duration_text(b - a if isinstance(a, int) and isinstance(b, int) else None, t)})
    key = next((str(row[c]) for c in ID_COLUMNS if row.get(c) is not None), "")
    return {"key": key, "cells": cells}


# --- the shop page ---------------------------------------------------------------------------------------------

def _categories(request: Request, ids: Sequence[str | None]) -> dict[str, Markup]:
    """Each category by the platform's name for it, with its id as code beside (the id alone if not known)."""
    with app_of(request).uow_factory() as uow:
        names = catalog.category_names(uow, sorted({i for i in ids if i}))
    return {i: Markup('{} <code class="id">{}</code>').format(names[i], i) if i in names
            else Markup('<code class="id">{}</code>').format(i) for i in ids if i}


def _shop_name(request: Request, shop_id: str) -> str:
    with app_of(request).uow_factory() as uow:  # the shop's name for the heading, nothing else
        shop = shops.get_shop(uow, shop_id)
    return shop.name if shop else shop_id


def _shop_page(request: Request, who: Principal, shop_id: str, section: str, as_of: str, live: str) -> Response:
    anxin = app_of(request)
    svc = anxin.scoring
    lang = lang_of(request)
    t = translator(lang)
    is_live = live in ("1", "true", "on")
    report = svc.live_shop_report(who, shop_id) if is_live else svc.shop_report(who, shop_id, _day(as_of))
    base = f"/{section}/shops/{_q(shop_id)}/score"
    keep = f"?{urlencode({'as_of': as_of})}" if as_of and not is_live else ""
    view = report_view(report, svc.rules.merchant, t, lang, lambda iid: f"{base}/{_q(iid)}{keep}",
                       _categories(request, [report.primary_category]))
    now = anxin.clock.now()
    return render(request, "scoring/shop_score.html", {
        "who": who, "section": section, "shop_id": shop_id, "shop": _shop_name(request, shop_id), "live": is_live,
        "base": base, "fulfilment_url": f"/{section}/shops/{_q(shop_id)}/fulfilment",
        "trend": trend_view(svc.history(who, "merchant", shop_id, days=TREND_DAYS), svc.rules.merchant, t, lang,
                            t("sc.trend")),
        "ledger": [deduction_view(d, t, now) for d in anxin.deductions.deductions(who, shop_id)],
        "kinds": [{"id": k, "text": _label(t, "sc.ded", k)} for k in sorted(svc.rules.merchant.deduction_kinds)],
        "rulebook_version": report.rulebook_version, "v": view})


@router.get("/merchant/shops/{shop_id}/score")
def merchant_score(shop_id: str, request: Request, as_of: str = "", live: str = "") -> Response:
    return _shop_page(request, require(request, Role.MERCHANT), shop_id, "merchant", as_of, live)


@router.get("/ops/shops/{shop_id}/score")
def ops_score(shop_id: str, request: Request, as_of: str = "", live: str = "") -> Response:
    return _shop_page(request, require(request, Role.OPERATOR), shop_id, "ops", as_of, live)


# --- the diagnosis page ----------------------------------------------------------------------------------------

def _diagnosis(request: Request, who: Principal, shop_id: str, indicator_id: str, section: str, as_of: str,
               side: str) -> Response:
    svc = app_of(request).scoring
    lang = lang_of(request)
    t = translator(lang)
    day = _day(as_of)
    drill = svc.drilldown(who, shop_id, indicator_id, as_of=day, side=side or None, limit=100)
    try:
        report: ScoreReport | None = svc.shop_report(who, shop_id, day)
    except AnxinError as exc:
        if exc.code is not E.NO_SNAPSHOT:
            raise
        report = None
    rules = svc.rules.merchant
    ind = report.indicator(indicator_id) if report else None
    measure = rules.indicator(indicator_id).measure.name
    dims = {d.id: _name(d.name, lang, t, f"sc.dim.{d.id}") for d in rules.dimensions}
    columns = [c for c in ROW_COLUMNS if any(c in r for r in drill.rows)]
    window = drill.rows[0].get("window") if drill.rows else None
    base = f"/{section}/shops/{_q(shop_id)}/score"
    s = drill.suggestion
    return render(request, "scoring/indicator.html", {
        "who": who, "section": section, "shop_id": shop_id, "shop": _shop_name(request, shop_id),
        "indicator_id": indicator_id, "name": _label(t, "sc.m", measure), "measure": measure,
        "indicator": indicator_view(ind, t, dims, None) if ind else None,
        "eligible": bool(report and report.eligible), "as_of": report.as_of if report else None,
        "not_eligible": t("sc.not_eligible", n=report.valid_orders, m=report.min_valid_orders)
        if report and not report.eligible else "",
        "suggestion": {"code": s.code, "text": suggestion_text(s, t)} if s else None,
        "side": drill.side, "side_text": t(f"sc.side.{drill.side}"), "total": drill.total,
        "shown": len(drill.rows),
        "columns": [{"key": c, "text": t(f"sc.col.{c}")} for c in columns]
        + ([{"key": "duration", "text": t("sc.col.duration")}] if measure in DURATIONS else []),
        "rows": [row_view(r, columns, measure, t) for r in drill.rows],
        "window": t("sc.diag.window", lo=fmt_time(_at(window[0])), hi=fmt_time(_at(window[1])))
        if isinstance(window, list | tuple) and len(window) == 2 else "",
        "back": base + (f"?{urlencode({'as_of': as_of})}" if as_of else ""),
        "rule_ids": [indicator_id], "rulebook_version": report.rulebook_version if report else svc.rules.version})


@router.get("/merchant/shops/{shop_id}/score/{indicator_id}")
def merchant_indicator(shop_id: str, indicator_id: str, request: Request, as_of: str = "",
                       side: str = "") -> Response:
    return _diagnosis(request, require(request, Role.MERCHANT), shop_id, indicator_id, "merchant", as_of, side)


@router.get("/ops/shops/{shop_id}/score/{indicator_id}")
def ops_indicator(shop_id: str, indicator_id: str, request: Request, as_of: str = "", side: str = "") -> Response:
    return _diagnosis(request, require(request, Role.OPERATOR), shop_id, indicator_id, "ops", as_of, side)


# --- deductions (operators) ------------------------------------------------------------------------------------

@router.post("/ops/shops/{shop_id}/score/deductions")
async def ops_add_deduction(shop_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    raw_points, raw_days = form_str(form, "points", max_len=20), form_str(form, "days", max_len=10)
    points: object = parse_points(raw_points)
    days: object = None
    if raw_days:
        days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() else raw_days
    await run_in_threadpool(lambda: app_of(request).deductions.add_deduction(
        who, shop_id=shop_id, kind=form_str(form, "kind", max_len=40),
        points=points if points is not None else raw_points, reason=form_str(form, "reason"), days=days))
    return RedirectResponse(f"/ops/shops/{_q(shop_id)}/score#ledger", status_code=303)


@router.post("/ops/score-deductions/{deduction_id}/revoke")
async def ops_revoke_deduction(deduction_id: str, request: Request) -> Response:
    who = require(request, Role.OPERATOR)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    d = await run_in_threadpool(app_of(request).deductions.revoke_deduction, who, deduction_id)
    return RedirectResponse(f"/ops/shops/{_q(d['shop_id'])}/score#ledger", status_code=303)


# --- the creator page and the rankings (operators) -------------------------------------------------------------

def _creator_page(request: Request, who: Principal, creator_id: str, section: str, as_of: str) -> Response:
    svc = app_of(request).scoring
    lang = lang_of(request)
    t = translator(lang)
    rules = svc.rules.creator
    try:
        report: ScoreReport | None = svc.creator_report(who, creator_id, _day(as_of))
    except AnxinError as exc:  # a creator not scored yet reads that on their own page; operators get the 404
        if section != "creator" or exc.code is not E.SUBJECT_NOT_FOUND:
            raise
        report = None
    title = _name(rules.name, lang, t, "sc.creator_title") if rules is not None else t("sc.creator_title")
    if report is None or rules is None:
        return render(request, "scoring/creator_score.html", {
            "who": who, "creator_id": creator_id, "section": section, "title": title, "v": None,
            "rulebook_version": svc.rules.version})
    base = f"/{section}/score" if section == "creator" else None
    keep = f"?{urlencode({'as_of': as_of})}" if as_of else ""
    return render(request, "scoring/creator_score.html", {
        "who": who, "creator_id": creator_id, "section": section, "rulebook_version": report.rulebook_version,
        "title": title,
        "trend": trend_view(svc.history(who, "creator", creator_id, days=TREND_DAYS), rules, t, lang, t("sc.trend")),
        "v": report_view(report, rules, t, lang, (lambda iid: f"{base}/{_q(iid)}{keep}") if base else None,
                         categories=_categories(request, [report.primary_category]))})


@router.get("/ops/creators/{creator_id}/score")
def ops_creator(creator_id: str, request: Request, as_of: str = "") -> Response:
    return _creator_page(request, require(request, Role.OPERATOR), creator_id, "ops", as_of)


@router.get("/creator/score")
def creator_own_score(request: Request, as_of: str = "") -> Response:
    """The creator's own reputation score: the report, the trend, and a diagnosis page per indicator."""
    who = require(request, Role.CREATOR)
    return _creator_page(request, who, who.subject, "creator", as_of)


@router.get("/creator/score/{indicator_id}")
def creator_own_indicator(indicator_id: str, request: Request, as_of: str = "") -> Response:
    """One indicator of the creator's own score: value, peers, points lost and the suggestion (no rows: they
    are other people's orders)."""
    who = require(request, Role.CREATOR)
    svc = app_of(request).scoring
    lang = lang_of(request)
    t = translator(lang)
    rules = svc.rules.creator
    if rules is None or all(i.id != indicator_id for i in rules.indicators):
        raise AnxinError(E.UNKNOWN_INDICATOR, f"no indicator {indicator_id!r}")
    day = _day(as_of)
    drill = svc.creator_drilldown(who, who.subject, indicator_id, as_of=day, rows=False)
    try:
        report: ScoreReport | None = svc.creator_report(who, who.subject, day)
    except AnxinError as exc:
        if exc.code is not E.SUBJECT_NOT_FOUND:
            raise
        report = None
    ind = report.indicator(indicator_id) if report else None
    measure = rules.indicator(indicator_id).measure.name
    dims = {d.id: _name(d.name, lang, t, f"sc.dim.{d.id}") for d in rules.dimensions}
    s = drill.suggestion
    return render(request, "scoring/indicator.html", {
        "who": who, "section": "creator", "shop_id": who.subject, "shop": who.subject,
        "indicator_id": indicator_id, "name": _label(t, "sc.m", measure), "measure": measure,
        "indicator": indicator_view(ind, t, dims, None) if ind else None,
        "eligible": bool(report and report.eligible), "as_of": report.as_of if report else None,
        "not_eligible": t("sc.not_eligible", n=report.valid_orders, m=report.min_valid_orders)
        if report and not report.eligible else "",
        "suggestion": {"code": s.code, "text": suggestion_text(s, t)} if s else None,
        "side": drill.side, "side_text": t(f"sc.side.{drill.side}"), "total": drill.total, "shown": 0,
        "columns": [], "rows": [], "show_rows": False, "window": "",
        "back": "/creator/score" + (f"?{urlencode({'as_of': as_of})}" if as_of else ""),
        "rule_ids": [indicator_id], "rulebook_version": report.rulebook_version if report else svc.rules.version})


@router.get("/ops/scores")
def ops_ranking(request: Request, kind: str = "merchant", as_of: str = "", offset: str = "0") -> Response:
    who = require(request, Role.OPERATOR)
    if kind not in KINDS:
        raise AnxinError(W.NOT_FOUND, f"no ranking of {kind!r}", kind=kind)
    start = int(offset) if offset.isascii() and offset.isdigit() and len(offset) <= 9 else 0
    lang = lang_of(request)
    t = translator(lang)
    out = app_of(request).scoring.ranking(who, kind, _day(as_of), limit=RANK_PAGE, offset=start)
    rb = app_of(request).scoring.rules
    min_orders = (rb.creator if kind == "creator" and rb.creator is not None else rb.merchant).min_valid_orders
    rows, categories = [], _categories(request, [r["primary_category"] for r in out["rows"]])
    for n, r in enumerate(out["rows"]):
        scored = r["score_x100"] is not None
        url = (f"/ops/shops/{_q(r['subject_id'])}/score" if kind == "merchant"
               else f"/ops/creators/{_q(r['subject_id'])}/score" if kind == "creator" else None)
        rows.append({"rank": start + n + 1 if scored else "—", "id": r["subject_id"], "url": url,
                     "score": (str(r["score_x100"]) if kind == "consumer" else points_text(r["score_x100"]))
                     if scored else t("sc.eligible_no", n=min_orders),
                     "scored": scored, "band": r["band"], "band_text": _label(t, "sc.band", r["band"]),
                     "category": categories.get(r["primary_category"] or "", "—"), "orders": r["valid_orders"]})

    def page(to: int) -> str:
        return "/ops/scores?" + urlencode({k: v for k, v in (("kind", kind), ("as_of", as_of), ("offset", to)) if v})

    total = int(out["total"])
    return render(request, "scoring/ranking.html", {
        "who": who, "kind": kind, "rows": rows, "total": total, "as_of": out["as_of"],
        "rulebook_version": out.get("rulebook_version"),
        "tabs": [{"kind": k, "text": t(f"sc.tab.{k}"), "url": "/ops/scores?" + urlencode(
            {"kind": k, **({"as_of": as_of} if as_of else {})}), "current": k == kind} for k in KINDS],
        "prev": page(max(0, start - RANK_PAGE)) if start > 0 else "",
        "next": page(start + RANK_PAGE) if start + RANK_PAGE < total else ""})
