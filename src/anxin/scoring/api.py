"""Scoring HTTP API: a shop's experience score (snapshot, live, history, drill-down), creators, consumers,
rankings and the deduction ledger.

Thin: parse, call ScoringService with the caller, serialise. Points stay integer hundredths (``*_x100``) with a
display string next to them ("84.25"); consumer credit is whole points; instants are ISO 8601. A shop that is not
the merchant's is not found, like an unknown one (the service decides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from anxin.access.service import require_role
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.scoring import api_models as out
from anxin.scoring.error_codes import ScoringErrorCode as E
from anxin.scoring.model import ScoreReport, Suggestion
from anxin.scoring.service import CreditReport, Drilldown, parse_day
from anxin.web.auth import app_of, principal
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1", tags=["scoring"])
KINDS = ("merchant", "creator", "consumer")
# What a drill-down can answer (``ScoringService._drill``): a shop's is refused as not found unless visible, a
# creator's when the rulebook scores no creators.
SHOP_DRILL = (E.SHOP_NOT_FOUND, E.UNKNOWN_INDICATOR, E.INVALID_SIDE, E.INVALID_DATE)
CREATOR_DRILL = (E.SUBJECT_NOT_FOUND, E.UNKNOWN_INDICATOR, E.INVALID_SIDE, E.INVALID_DATE)
AS_OF = Query(None, description="local date YYYY-MM-DD; the latest snapshot on or before it (default: the latest)")


class DeductionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: StrictStr = Field(description="fake_orders, fake_reviews, bad_service, abnormal_return_address, …")
    points_x100: StrictInt = Field(description="hundredths of a point taken off the total: 300 = 3 points")
    reason: StrictStr = Field(max_length=2000, description="shown to the merchant")
    effective_at: AwareDatetime | None = Field(None, description="ISO 8601 with an offset; default now")
    days: StrictInt | None = Field(None, description="in force for this many days; default until revoked")


# --- formatting --------------------------------------------------------------------------------------------

def points_text(x100: int | None) -> str | None:
    """Hundredths as an exact decimal with two places: 8425 -> "84.25", -300 -> "-3.00"; None stays None."""
    if x100 is None:
        return None
    whole, frac = divmod(abs(int(x100)), 100)
    return f"{'-' if x100 < 0 else ''}{whole}.{frac:02d}"


def iso_at(epoch: object) -> str | None:
    if isinstance(epoch, bool) or not isinstance(epoch, int):
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


def day_of(value: str | None) -> dt.date | None:
    """A query's local date, or None when absent; anything else is ``scoring.invalid_date`` (422)."""
    if value is None or value == "":
        return None
    day = parse_day(value)
    if not 1971 <= day.year <= 9998:  # instants of the window must exist
        raise AnxinError(E.INVALID_DATE, f"date out of range: {value!r}", value=value)
    return day


def eligibility(report: ScoreReport) -> dict[str, Any]:
    reason = None if report.eligible else f"not enough orders: {report.valid_orders} of {report.min_valid_orders}"
    return {"eligible": report.eligible, "valid_orders": report.valid_orders,
            "min_valid_orders": report.min_valid_orders, "reason": reason}


def report_json(report: ScoreReport, names: Mapping[str, Mapping[str, str]], name: Mapping[str, str],
                *, live: bool = False) -> dict[str, Any]:
    """The report as JSON; a subject that is not eligible shows no score, raw score or dimension points."""
    ok = report.eligible
    score = report.score_x100 if ok else None
    raw = report.raw_x100 if ok else None
    lo, hi = report.scale
    return {
        "kind": report.kind, "subject_id": report.subject_id, "as_of": report.as_of.isoformat(), "live": live,
        "name": dict(name), "rulebook_version": report.rulebook_version,
        "scale": {"min_x100": lo, "max_x100": hi, "min": points_text(lo), "max": points_text(hi)},
        "eligible": ok, "eligibility": eligibility(report),
        "score_x100": score, "score": points_text(score), "raw_x100": raw, "raw": points_text(raw),
        "deductions_x100": report.deductions_x100, "deductions": points_text(report.deductions_x100),
        "primary_category": report.primary_category, "peer_group": report.peer_group,
        "dimensions": [{"id": d.id, "name": dict(names.get(d.id) or {}), "weight": d.weight,
                        "points_x100": d.points_x100 if ok else None,
                        "points": points_text(d.points_x100) if ok else None,
                        "raw_x100": d.raw_x100 if ok else None,
                        "excellence_floor_x100": d.excellence_floor_x100,
                        "excellence_floor": points_text(d.excellence_floor_x100),
                        "floored": ok and d.floored} for d in report.dimensions],
        "indicators": [{"id": i.id, "dimension": i.dimension, "measure": i.measure, "better": i.better, "unit": i.unit,
                        "weight": i.weight, "value": i.value, "num": i.num, "den": i.den,
                        "peer_group": i.peer_group, "peer_n": i.peer_n, "peer_median": i.peer_median,
                        "peer_top_quartile": i.peer_top_quartile,
                        "percentile": {"num": i.pct_num, "den": i.pct_den} if i.percentile is not None else None,
                        "points_x100": i.points_x100, "points": points_text(i.points_x100),
                        "lost_x100": i.lost_x100, "lost": points_text(i.lost_x100)} for i in report.indicators],
    }


def _in_force(ledger: list[dict[str, Any]], end: dt.datetime) -> list[dict[str, Any]]:
    """Ledger entries the score as of a day takes off: not revoked, started before the day, not expired by it."""
    def at(value: object) -> dt.datetime | None:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None

    out = []
    for d in ledger:
        start, expires = at(d["effective_at"]), at(d["expires_at"])
        if d["revoked_at"] is None and start is not None and start < end and (expires is None or expires >= end):
            out.append(d)
    return out


def deduction_json(d: Mapping[str, Any]) -> dict[str, Any]:
    return {**d, "points": points_text(d["points_x100"])}


def suggestion_json(s: Suggestion | None) -> dict[str, Any] | None:
    return None if s is None else {"code": s.code, "text": dict(s.text), "facts": dict(s.facts)}


def duration_seconds(measure: str, row: Mapping[str, Any]) -> int | None:
    """The wait a drilled row stands for: payment to collection, collection to sign-off, case open to close, chat
    handed over to the first human reply. None where the measure has no duration or the row has no end."""
    start, end = {"collection_timeliness": ("paid_at", "collected_at"), "delivery_hours": ("collected_at", "signed_at"),
                  "aftersales_hours": ("opened_at", "closed_at"),
                  "im_reply_rate": ("to_human_at", "first_reply_at")}.get(measure, ("", ""))
    a, b = row.get(start), row.get(end)
    return b - a if isinstance(a, int) and isinstance(b, int) else None


def drill_row(measure: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    row = {k: (iso_at(v) if k.endswith("_at") else v) for k, v in raw.items() if k != "window"}
    row["duration_seconds"] = duration_seconds(measure, raw)
    return row


def drilldown_json(subject_id: str, d: Drilldown, measure: str, unit: str, as_of: dt.date | None) -> dict[str, Any]:
    lo, hi = d.window
    return {"shop_id": subject_id, "subject_id": subject_id,
            "indicator_id": d.indicator_id, "measure": measure, "unit": unit, "side": d.side,
            "as_of": as_of.isoformat() if as_of else None, "window": {"from": iso_at(lo), "to": iso_at(hi)},
            "total": d.total, "suggestion": suggestion_json(d.suggestion)}


SIDE = Query(None, description="num | den | miss (default: what explains a shortfall)")


def _drill_page(request: Request, who: Principal, kind: str, subject_id: str, indicator_id: str,
                as_of: str | None, side: str | None, limit: int, cursor: str | None) -> Page[Any]:
    """A page of the rows behind an indicator, in the drill-down's order; the key is the last row's
    (contribution, at, ref) so a page boundary holds while facts arrive."""
    svc = app_of(request).scoring
    day = day_of(as_of)
    scope = scope_of("drill", kind, subject_id, indicator_id, day, side)
    after = decode_cursor(cursor, scope=scope, shape=(int, int, str))
    key = None if after is None else (int(after[0]), int(after[1]), str(after[2]))
    drill = svc.drilldown if kind == "merchant" else svc.creator_drilldown
    d = drill(who, subject_id, indicator_id, as_of=day, side=side, limit=limit + 1, after=key, summary=False)
    rules = svc.rules.merchant if kind == "merchant" else svc.rules.creator
    assert rules is not None  # creator_drilldown refused a rulebook without creators
    measure = rules.indicator(indicator_id).measure.name
    return page_of(d.rows, limit=limit, scope=scope, item=lambda r: drill_row(measure, r),
                   key=lambda r: (int(r["contribution"]), int(r[d.at]), str(r[d.ref])))


def credit_json(c: CreditReport) -> dict[str, Any]:
    return c.as_dict()


def _names(request: Request, kind: str) -> tuple[dict[str, Mapping[str, str]], Mapping[str, str]]:
    rb = app_of(request).scoring.rules
    rules = rb.merchant if kind == "merchant" else rb.creator
    if rules is None:
        return {}, {}
    return {d.id: d.name for d in rules.dimensions}, rules.name


def _shop_json(request: Request, who: Principal, report: ScoreReport, *, live: bool) -> dict[str, Any]:
    names, name = _names(request, "merchant")
    out = report_json(report, names, name, live=live)
    svc = app_of(request).scoring
    end = dt.datetime.fromtimestamp(svc.rules.day_end(report.as_of), dt.UTC)
    ledger = app_of(request).deductions.deductions(who, report.subject_id)
    out["deductions_applied"] = [deduction_json(d) for d in _in_force(ledger, end)]
    return out


# --- shops -------------------------------------------------------------------------------------------------

@router.get("/shops/{shop_id}/score", summary="A shop's experience score from the nightly snapshot",
            response_model=out.ShopScore, openapi_extra=codes(E.SHOP_NOT_FOUND, E.NO_SNAPSHOT, E.INVALID_DATE))
def shop_score(shop_id: str, request: Request, as_of: str | None = AS_OF,
               who: Principal = Depends(principal)) -> dict[str, Any]:
    report = app_of(request).scoring.shop_report(who, shop_id, day_of(as_of))
    return _shop_json(request, who, report, live=False)


@router.get("/shops/{shop_id}/score/live", summary="A shop's experience score computed now (same definition)",
            response_model=out.ShopScore, openapi_extra=codes(E.SHOP_NOT_FOUND, E.NO_SNAPSHOT))
def shop_score_live(shop_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    report = app_of(request).scoring.live_shop_report(who, shop_id)
    return _shop_json(request, who, report, live=True)


@router.get("/shops/{shop_id}/score/history", summary="A shop's daily scores over the last days",
            response_model=out.ShopHistory, openapi_extra=codes(E.SHOP_NOT_FOUND))
def shop_score_history(shop_id: str, request: Request, days: int = Query(90, ge=1, le=400),
                       who: Principal = Depends(principal)) -> dict[str, Any]:
    rows = app_of(request).scoring.history(who, "merchant", shop_id, days=days)
    return {"shop_id": shop_id, "days": days,
            "points": [{**r, "score": points_text(r["score_x100"]),
                        "dimensions": {k: {"points_x100": v, "points": points_text(v)}
                                       for k, v in (r.get("dimensions") or {}).items()}} for r in rows]}


@router.get("/shops/{shop_id}/score/indicators/{indicator_id}", response_model=out.DrilldownSummary,
            summary="One indicator of a shop: its window, how many rows explain it, a suggestion (zh-CN and en)",
            openapi_extra=codes(*SHOP_DRILL))
def shop_indicator(shop_id: str, indicator_id: str, request: Request, as_of: str | None = AS_OF,
                   side: str | None = SIDE, who: Principal = Depends(principal)) -> dict[str, Any]:
    svc = app_of(request).scoring
    day = day_of(as_of)
    d = svc.drilldown(who, shop_id, indicator_id, as_of=day, side=side, rows=False)
    ind = svc.rules.merchant.indicator(indicator_id)
    return drilldown_json(shop_id, d, ind.measure.name, ind.measure.unit, day)


@router.get("/shops/{shop_id}/score/indicators/{indicator_id}/rows", response_model=Page[out.DrilldownRow],
            summary="The rows behind one indicator of a shop (orders, reviews, cases, chats), the weightiest first",
            openapi_extra=codes(*SHOP_DRILL))
def shop_indicator_rows(shop_id: str, indicator_id: str, request: Request, as_of: str | None = AS_OF,
                        side: str | None = SIDE, limit: int = LIMIT, cursor: str | None = CURSOR,
                        who: Principal = Depends(principal)) -> Page[Any]:
    return _drill_page(request, who, "merchant", shop_id, indicator_id, as_of, side, limit, cursor)


# --- the ledger --------------------------------------------------------------------------------------------

@router.get("/shops/{shop_id}/score/deductions", summary="A shop's score deductions (revoked ones too), latest first",
            response_model=Page[out.ScoreDeduction], openapi_extra=codes(E.SHOP_NOT_FOUND))
def list_deductions(shop_id: str, request: Request, limit: int = LIMIT, cursor: str | None = CURSOR,
                    who: Principal = Depends(principal)) -> Page[Any]:
    scope = scope_of("score-deductions", shop_id)
    after = decode_cursor(cursor, scope=scope, shape=(str, str))
    key = None if after is None else (_instant(after[0]), str(after[1]))
    rows = app_of(request).deductions.deductions(who, shop_id, after=key, limit=limit + 1)
    return page_of(rows, limit=limit, scope=scope, key=lambda d: (d["effective_at"], d["deduction_id"]),
                   item=deduction_json)


def _instant(value: object) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise AnxinError(W.INVALID_CURSOR, "the cursor is not one this API gave out", field="cursor") from None


@router.post("/shops/{shop_id}/score/deductions", status_code=201,
             summary="Deduct points from a shop's score from the next run on (operators and the platform)",
             response_model=out.ScoreDeduction,
             openapi_extra={**codes(E.SHOP_NOT_FOUND, E.INVALID_DEDUCTION), "requestBody": {
                 "required": True, "content": {"application/json": {"schema": DeductionBody.model_json_schema()}}}})
async def add_deduction(shop_id: str, request: Request) -> dict[str, Any]:
    raw = await request.body()

    def add() -> dict[str, Any]:
        who = principal(request)  # the key before the body: a caller without one learns nothing about it
        try:
            body = DeductionBody.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        svc = app_of(request).deductions
        return deduction_json(svc.add_deduction(who, shop_id=shop_id, kind=body.kind, points=body.points_x100,
                                                reason=body.reason, effective_at=body.effective_at, days=body.days))

    return await run_in_threadpool(add)


@router.post("/score-deductions/{deduction_id}/revoke", summary="Revoke a deduction (operators and the platform)",
             response_model=out.ScoreDeduction, openapi_extra=codes(E.DEDUCTION_NOT_FOUND))
def revoke_deduction(deduction_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return deduction_json(app_of(request).deductions.revoke_deduction(who, deduction_id))


# --- creators, consumers, rankings -------------------------------------------------------------------------

@router.get("/creators/me/score", summary="The calling creator's own reputation score, with its diagnosis",
            description="Creators only: the latest snapshot of the creator's 带货口碑分 with each indicator's value, "
                        "peers and the points lost against the peer top quartile (the indicators are the diagnosis; "
                        "`/v1/creators/me/score/indicators/{indicator_id}` adds a suggestion for one).",
            response_model=out.ScoreReport, openapi_extra=codes(E.SUBJECT_NOT_FOUND, E.INVALID_DATE))
def my_creator_score(request: Request, as_of: str | None = AS_OF,
                     who: Principal = Depends(principal)) -> dict[str, Any]:
    require_role(who, Role.CREATOR)
    return creator_score(who.subject, request, as_of, who)


@router.get("/creators/me/score/indicators/{indicator_id}", response_model=out.DrilldownSummary,
            summary="One indicator of the calling creator: its window, how many rows explain it, a suggestion",
            openapi_extra=codes(*CREATOR_DRILL))
def my_creator_indicator(indicator_id: str, request: Request, as_of: str | None = AS_OF,
                         side: str | None = SIDE, who: Principal = Depends(principal)) -> dict[str, Any]:
    require_role(who, Role.CREATOR)
    return creator_indicator(who.subject, indicator_id, request, as_of, side, who)


@router.get("/creators/{creator_id}/score", summary="A creator's reputation score (operators, the platform, the "
                                                    "creator themself)",
            response_model=out.ScoreReport, openapi_extra=codes(E.SUBJECT_NOT_FOUND, E.INVALID_DATE))
def creator_score(creator_id: str, request: Request, as_of: str | None = AS_OF,
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    report = app_of(request).scoring.creator_report(who, creator_id, day_of(as_of))
    names, name = _names(request, "creator")
    return report_json(report, names, name)


@router.get("/creators/{creator_id}/score/indicators/{indicator_id}", response_model=out.DrilldownSummary,
            summary="One indicator of a creator: its window, how many rows explain it, a suggestion (operators)",
            openapi_extra=codes(*CREATOR_DRILL))
def creator_indicator(creator_id: str, indicator_id: str, request: Request, as_of: str | None = AS_OF,
                      side: str | None = SIDE, who: Principal = Depends(principal)) -> dict[str, Any]:
    svc = app_of(request).scoring
    day = day_of(as_of)
    d = svc.creator_drilldown(who, creator_id, indicator_id, as_of=day, side=side, rows=False)
    rules = svc.rules.creator
    assert rules is not None  # creator_drilldown refused a rulebook without creators
    ind = rules.indicator(indicator_id)
    return drilldown_json(creator_id, d, ind.measure.name, ind.measure.unit, day)


@router.get("/creators/{creator_id}/score/indicators/{indicator_id}/rows", response_model=Page[out.DrilldownRow],
            summary="The rows behind one indicator of a creator, the weightiest first (operators and the platform)",
            openapi_extra=codes(*CREATOR_DRILL))
def creator_indicator_rows(creator_id: str, indicator_id: str, request: Request, as_of: str | None = AS_OF,
                           side: str | None = SIDE, limit: int = LIMIT, cursor: str | None = CURSOR,
                           who: Principal = Depends(principal)) -> Page[Any]:
    return _drill_page(request, who, "creator", creator_id, indicator_id, as_of, side, limit, cursor)


@router.get("/consumers/{consumer_id}/credit", summary="A consumer's credit (operators and the platform)",
            description="Credit and its band are risk internals: consumers, their own included, and merchants "
                        "get 403.",
            response_model=out.Credit, openapi_extra=codes(E.SUBJECT_NOT_FOUND))
def consumer_credit(consumer_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return credit_json(app_of(request).scoring.consumer_credit_for(who, consumer_id))


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise AnxinError(W.NOT_FOUND, f"no ranking of {kind!r}: one of {list(KINDS)}", kind=kind)
    return kind


@router.get("/scores/{kind}", response_model=Page[out.Ranked],
            summary="Everyone's scores of one day, best first, unscored last (operators and the platform)",
            openapi_extra=codes(E.INVALID_DATE))
def ranking(kind: str, request: Request, as_of: str | None = AS_OF, limit: int = LIMIT, cursor: str | None = CURSOR,
            who: Principal = Depends(principal)) -> Page[Any]:
    _kind(kind)
    day = day_of(as_of)
    scope = scope_of("scores", kind, day)
    # The key: the run's day (later pages stay on the first page's run), the last row's score and subject, and
    # how many rows came before it, so ranks keep counting across pages.
    after = decode_cursor(cursor, scope=scope, shape=(str, int, int, str, int))
    if after is not None:
        run_day, scored, score, subject, seen = after
        got = app_of(request).scoring.ranking(who, kind, run_day, limit=limit + 1,
                                              after=(int(score) if scored else None, str(subject)))
    else:
        seen = 0
        got = app_of(request).scoring.ranking(who, kind, day, limit=limit + 1)
    rows = []
    for n, r in enumerate(got["rows"]):
        scored_row = r["score_x100"] is not None
        row = {**r, "as_of": got["as_of"], "rank": int(seen) + n + 1 if scored_row else None}
        if kind == "consumer":
            row["credit"] = r["score_x100"]
        else:
            row["score"] = points_text(r["score_x100"])
        rows.append((int(seen) + n + 1, row))
    return page_of(rows, limit=limit, scope=scope, item=lambda pr: pr[1],
                   key=lambda pr: (pr[1]["as_of"], int(pr[1]["score_x100"] is not None), pr[1]["score_x100"] or 0,
                                   pr[1]["subject_id"], pr[0]))


@router.get("/scores/{kind}/run", response_model=out.RankingRun,
            summary="The run a day's ranking is of: day, rulebook, engine, how many were scored (operators)",
            openapi_extra=codes(E.INVALID_DATE))
def ranking_run(kind: str, request: Request, as_of: str | None = AS_OF,
                who: Principal = Depends(principal)) -> dict[str, Any]:
    got = app_of(request).scoring.ranking(who, _kind(kind), day_of(as_of), limit=0)
    return {"kind": kind, "as_of": got["as_of"], "rulebook_version": got.get("rulebook_version"),
            "engine": got.get("engine"), "total": got["total"], "counts": got.get("counts") or {}}
