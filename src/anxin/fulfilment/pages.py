"""Fulfilment pages: a shop's promise-keeping page (merchant: own shops; operator: any) and the Hall's delivery panel.

Thin: every figure comes from FulfilmentService with the signed-in principal, so isolation is the API's own (a shop
that is not the merchant's is simply not found). This module only words and formats: rates keep the service's exact
display, money is fen formatted exactly, points are hundredths written as decimals; nothing is recomputed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from anxin.core.principal import Principal, Role
from anxin.fulfilment.detectors import KINDS
from anxin.fulfilment.detectors import RULE_IDS as FINDING_RULES
from anxin.fulfilment.metrics import hours_display
from anxin.fulfilment.reporting import WINDOWS
from anxin.shops import service as shops
from anxin.web.auth import app_of
from anxin.web.chart_widgets import data_table
from anxin.web.charts import Series, bar_chart, fixed, line_chart, percent
from anxin.web.delivery_panel import evidence_text
from anxin.web.delivery_panel import label as _label
from anxin.web.delivery_panel import parse_at as _at
from anxin.web.i18n import Translator, translator
from anxin.web.render import PageRoute, lang_of, render, require

router = APIRouter(include_in_schema=False, route_class=PageRoute)

BUCKETS = ("under_24h", "from_24h_to_36h", "from_36h_to_48h", "from_48h")
HEADLINE = (("collected_within_24h", "rate"), ("collected_within_36h", "rate"), ("collected_within_48h", "rate"),
            ("shipped_within_48h", "rate"), ("avg_payment_to_collection_seconds", "hours"),
            ("avg_collection_to_signoff_seconds", "hours"), ("exception_rate", "rate"))


# --- formatting ------------------------------------------------------------------------------------------------

def points_text(hundredths: int) -> str:
    """Violation points are stored in hundredths: 10 -> "0.1", 200 -> "2", 125 -> "1.25" (exact, no floats)."""
    sign = "-" if hundredths < 0 else ""
    whole, frac = divmod(abs(hundredths), 100)
    return f"{sign}{whole}" + (f".{frac:02d}".rstrip("0") if frac else "")


def _ratio(raw: object) -> float | None:
    """A rate as a float for drawing only; the page prints the service's exact display."""
    if not isinstance(raw, dict) or not raw.get("denominator"):
        return None
    return int(raw["numerator"]) / int(raw["denominator"])


def _days(raw: str) -> object:
    """The window as the service wants it; anything not a short number passes through and is refused there."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 4 else raw


def _count_tick(v: float) -> str:
    return f"{v:,.0f}" if v == int(v) else ""  # counts: whole ticks only


def _q(value: str) -> str:
    return quote(value, safe="")


# --- the shop page ---------------------------------------------------------------------------------------------

def _headline(m: dict[str, Any], t: Translator) -> list[dict[str, str]]:
    out = []
    for key, kind in HEADLINE:
        raw = m.get(key)
        if kind == "rate":
            value = raw["display"] if isinstance(raw, dict) else "—"
            detail = t("ff.fraction", n=raw["numerator"], d=raw["denominator"]) if isinstance(raw, dict) else ""
        else:
            hours = hours_display(raw if isinstance(raw, int) else None)
            value, detail = (t("ff.hours", h=hours) if hours else "—"), ""
        out.append({"key": key, "label": t(f"ff.m.{key}"), "hint": t(f"ff.hint.{key}"), "value": value,
                    "detail": detail})
    return out


def _charts(report: dict[str, Any], t: Translator, lang: str) -> dict[str, Any]:
    daily = report["daily"]
    labels = [str(p["day"])[5:] for p in daily]
    trend = [Series(t("ff.series.collected_48h"), [_ratio(p["collected_within_48h"]) for p in daily]),
             Series(t("ff.series.shipped_48h"), [_ratio(p["shipped_within_48h"]) for p in daily])]
    buckets = report["metrics"].get("buckets") or {}
    bars = [Series(t("ff.series.orders"), [float(buckets.get(b, 0)) for b in BUCKETS])]
    bucket_labels = [t(f"ff.bucket.{b}") for b in BUCKETS]
    return {
        "trend": line_chart(trend, x_labels=labels, title=t("ff.chart.trend"), y_format=percent(1),
                            tick_format=percent(0), y_min=0.0, y_max=1.0, lang=lang, width=540, height=260,
                            empty_message=t("ff.chart.empty")),
        "trend_table": data_table(trend, x_labels=[p["day"] for p in daily], caption=t("ff.chart.trend"),
                                  y_format=percent(1), lang=lang),
        "buckets": bar_chart(bars, x_labels=bucket_labels, title=t("ff.chart.buckets"), y_format=fixed(0),
                             tick_format=_count_tick, lang=lang, width=540, height=260,
                             empty_message=t("ff.chart.empty")),
        "buckets_table": data_table(bars, x_labels=bucket_labels, caption=t("ff.chart.buckets"),
                                    y_format=fixed(0), x_header=t("ff.bucket"), lang=lang),
        "incomplete": sum(1 for p in daily if not p["complete"]),
    }


def _finding(f: dict[str, Any], t: Translator) -> dict[str, Any]:
    evidence = f.get("evidence")
    evidence = evidence if isinstance(evidence, dict) else {}
    return {"id": f["finding_id"], "kind": f["kind"], "name": _label(t, "fkind", f["kind"]), "at": _at(f["at"]),
            "subject_type": _label(t, "ff.subject", f["subject_type"]), "subject_id": f["subject_id"],
            "order": f["subject_type"] == "order",
            "evidence": [(k, evidence_text(v)) for k, v in evidence.items()],
            "rule_id": f["rule_id"], "version": f["rulebook_version"]}


def _cap(used: int, cap: int) -> dict[str, Any]:
    pct = 100 if cap <= 0 else min(100, used * 100 // cap)
    return {"used": points_text(used), "cap": points_text(cap), "pct": pct,
            "level": "over" if used >= cap else "late" if pct >= 80 else "mid" if pct >= 50 else "ok"}


def shop_view(report: dict[str, Any], t: Translator, lang: str) -> dict[str, Any]:
    """The shop report as the page shows it (plain values, already worded)."""
    m, late = report["metrics"], report["late_shipments"]
    counts = m.get("counts") or {}
    by_kind = report["findings_by_kind"]
    return {
        "headline": _headline(m, t), "charts": _charts(report, t, lang),
        "counts": t("ff.counts", paid=counts.get("paid", 0), collected=counts.get("collected", 0),
                    signed=counts.get("signed", 0)),
        # every detector kind, zero or not, then any kind this page does not know yet
        "kinds": [{"kind": k, "name": _label(t, "fkind", k), "count": by_kind.get(k, 0),
                   "rule_id": FINDING_RULES.get(k, "")} for k in [*KINDS, *(k for k in by_kind if k not in KINDS)]],
        "findings": [_finding(f, t) for f in report["recent_findings"]],
        "late": {"orders": late["orders"], "coupon": t.money(late["coupon_fen"]),
                 "points": points_text(late["points"]), "capped": late["capped_orders"],
                 "today": _cap(late["points_today"], late["day_cap"]),
                 "week": _cap(late["points_this_week"], late["week_cap"])},
        "as_of": _at(report["as_of"]), "version": report["rulebook_version"], "days": report["days"],
    }


def _shop_page(request: Request, who: Principal, shop_id: str, days: str, section: str) -> Response:
    anxin = app_of(request)
    lang = lang_of(request)
    t = translator(lang)
    report = anxin.fulfilment.shop_report(who, shop_id, days=_days(days))  # not theirs or bad window: raises
    with anxin.uow_factory() as uow:  # the shop's name for the heading, nothing else
        shop = shops.get_shop(uow, shop_id)
    base = f"/{section}/shops/{_q(shop_id)}/fulfilment"
    return render(request, "fulfilment/shop.html", {
        "who": who, "section": section, "shop_id": shop_id, "shop": shop.name if shop else shop_id,
        "windows": [{"days": d, "url": f"{base}?days={d}", "current": d == report["days"]} for d in WINDOWS],
        "rulebook_version": report["rulebook_version"], **shop_view(report, t, lang)})


@router.get("/merchant/shops/{shop_id}/fulfilment")
def merchant_shop(shop_id: str, request: Request, days: str = "30") -> Response:
    return _shop_page(request, require(request, Role.MERCHANT), shop_id, days, "merchant")


@router.get("/ops/shops/{shop_id}/fulfilment")
def ops_shop(shop_id: str, request: Request, days: str = "30") -> Response:
    return _shop_page(request, require(request, Role.OPERATOR), shop_id, days, "ops")
