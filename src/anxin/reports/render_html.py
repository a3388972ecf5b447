"""The service report as people read it: each figure with its value, the comparison value, the change (its arrow
coloured by whether the figure moved the better way), its unit written the reader's way, its one-line definition and
a chart; the figures anxin cannot compute and why; the rulebooks in force and the facts' fingerprint.

``report_view`` turns a ``ServiceReport`` into the words and numbers of one language (the console page renders it in
the page shell); ``document`` writes it as one standalone HTML file — styles inline, charts inline SVG, no link to
anything — that opens offline and is what the PDF is printed from. The words come from the reports catalog
(``rp.*``): a figure's name is ``rp.fig.<key>``; its one-line definition, and why a figure cannot be computed, come in
both languages from the figures' definitions (``reports.definition``). A key neither knows is shown as code rather
than guessed at.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import re
from pathlib import Path
from typing import Any

from babel.dates import format_skeleton
from jinja2 import Environment, FileSystemLoader, PrefixLoader, select_autoescape
from markupsafe import Markup

from anxin.reports import charts
from anxin.reports.definition import FIGURES, MISSING_FACTS, UNSUPPORTED
from anxin.reports.model import Figure, ServiceReport, Unsupported
from anxin.reports.periods import WEEK, Period, parse_period
from anxin.web import formatting
from anxin.web.charts import words
from anxin.web.i18n import Translator, translator

TEMPLATES = Path(__file__).parent / "templates"
# One stylesheet: the console page links it (/static/reports.css), the standalone document carries it inline.
STYLESHEET = Path(formatting.__file__).parent / "static" / "reports.css"
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
BARS = ("count", "fen")  # daily amounts add up: bars; rates and durations: a line
MINUS = "−"

_env = Environment(loader=PrefixLoader({"reports": FileSystemLoader(TEMPLATES)}),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def month_name(period: str | None, lang: str) -> str:
    """``2026-11`` as the reader says it: 2026年11月, November 2026; a week as its first and last day."""
    if not period:
        return "—"
    p = parse_period(period)
    locale = formatting.LOCALES.get(lang, "zh_Hans_CN")
    if p.kind == WEEK:
        last = p.first + dt.timedelta(days=p.days - 1)
        span = f"{format_skeleton('MMMd', p.first, locale=locale)}–{format_skeleton('MMMd', last, locale=locale)}"
        return f"{p.label} ({span})"
    return format_skeleton("yMMMM", p.first, locale=locale)


def _known(t: Translator, key: str) -> str | None:
    text = t(key)
    return None if text == key else text


def _number(value: float, lang: str, digits: int) -> str:
    return formatting.number(value, lang, digits=digits)


def value_text(value: float | None, unit: str, t: Translator) -> str:
    """A figure's value in its unit: counts grouped, shares as %, hours with one decimal, fen as yuan (2 decimals)."""
    lang = t.lang
    if value is None:
        return "—"
    if unit == "share":
        return formatting.percent(value, lang, digits=1)
    if unit == "hours":
        return t("rp.unit.hours", h=_number(value, lang, 1))
    if unit == "fen":
        return formatting.money(round(value), lang)
    if unit == "score":
        return _number(value, lang, 2)
    if unit == "per_1000_orders":
        return t("rp.unit.per_1000_orders", v=_number(value, lang, 2))
    return _number(value, lang, 0 if float(value).is_integer() else 1)


def tick_text(value: float, unit: str, t: Translator) -> str:
    """A chart axis tick: the unit's short form (no currency symbol on every tick, whole shares)."""
    if unit == "share":
        return formatting.percent(value, t.lang, digits=0 if round(value * 100, 6).is_integer() else 1)
    if unit == "fen":
        return _number(value / 100, t.lang, 0 if value % 100 == 0 else 2)
    return formatting.number(value, t.lang)


def _signed(text: str, negative: bool) -> str:
    return (MINUS if negative else "+") + text


def change_view(f: Figure, t: Translator) -> dict[str, Any]:
    """The change: its direction, whether that is the better way (``good``, ``bad``, ``flat``, ``none``), the arrow,
    the relative change and, for shares and hours, the difference in points or hours."""
    lang = t.lang
    if f.value is None or f.compare is None:
        return {"cls": "none", "arrow": "", "text": "—", "verdict": t("rp.change.none"), "delta": ""}
    diff = float(f.value) - float(f.compare)
    direction = "flat" if diff == 0 else "up" if diff > 0 else "down"
    delta = ""
    if f.unit == "share" and diff:
        delta = t("rp.delta.points", d=_signed(_number(abs(diff) * 100, lang, 1), diff < 0))
    elif f.unit == "hours" and diff:
        delta = t("rp.delta.hours", d=_signed(_number(abs(diff), lang, 1), diff < 0))
    if direction == "flat":
        return {"cls": "flat", "arrow": "=", "text": formatting.percent(0, lang, digits=1),
                "verdict": t("rp.change.flat"), "delta": ""}
    cls = "good" if direction == f.better else "bad"
    text = "—" if f.change is None else _signed(formatting.percent(abs(f.change), lang, digits=1), f.change < 0)
    return {"cls": cls, "arrow": "▲" if direction == "up" else "▼", "text": text, "direction": direction,
            "verdict": t("rp.change.better" if cls == "good" else "rp.change.worse"), "delta": delta}


def _by_day(series: tuple[tuple[str, float], ...], period: Period) -> list[float | None]:
    out: list[float | None] = [None] * period.days
    for day, value in series:
        try:
            d = dt.date.fromisoformat(day[:10])
        except ValueError:
            continue
        if 0 <= (d - period.first).days < period.days:
            out[(d - period.first).days] = value
    return out


def _summary(name: str, values: list[float | None], fmt: charts.Fmt, bars: bool, w: dict[str, str]) -> str:
    vs = [v for v in values if v is not None]
    if not vs:
        return f"{name}{w['colon']}—"
    stats = ([f"{w['total']} {fmt(sum(vs))}"] if bars else [f"{w['last']} {fmt(vs[-1])}", f"{w['min']} {fmt(min(vs))}"])
    return name + w["colon"] + w["comma"].join([*stats, f"{w['max']} {fmt(max(vs))}"])


def figure_chart(f: Figure, report: ServiceReport, t: Translator, name: str) -> Markup | None:
    """The daily chart where the figure has a series, else the period-over-period pair where both values exist."""
    lang, w = t.lang, words(t.lang)
    legend = charts.Legend(title=name, current=month_name(report.period, lang),
                           compare=month_name(report.compare, lang) if report.compare else "—")

    def fmt(v: float) -> str:
        return value_text(v, f.unit, t)

    if f.series:
        period = parse_period(report.period)
        current = _by_day(f.series, period)
        ghost = _by_day(f.compare_series, parse_period(report.compare)) if report.compare and f.compare_series else []
        labels = [(period.first + dt.timedelta(days=d)).strftime("%m-%d") for d in range(period.days)]
        bars = f.unit in BARS
        desc = w["sep"].join(s for s in (_summary(legend.current, current, fmt, bars, w),
                                         _summary(legend.compare, ghost, fmt, bars, w) if ghost else "") if s)
        return charts.daily_chart(current, ghost, x_labels=labels, legend=legend, fmt=fmt, desc=desc, bars=bars,
                                  tick_format=lambda v: tick_text(v, f.unit, t))
    if f.value is not None and f.compare is not None:
        desc = w["sep"].join([f"{legend.compare}{w['colon']}{fmt(f.compare)}",
                              f"{legend.current}{w['colon']}{fmt(f.value)}"])
        return charts.pair_bars(f.value, f.compare, legend=legend, fmt=fmt, desc=desc)
    return None


_CARE_TABLES_ZH = {"consultations": "咨询", "tickets": "工单", "satisfaction": "满意度"}


def reason_text(u: Unsupported, lang: str) -> str:
    """Why a figure is not computed, in ``lang``: a figure the seed reports name that anxin cannot compute, or one
    whose facts the snapshot lacks; any other reason is shown as it was stored."""
    zh = lang == "zh-CN"
    if u.key in UNSUPPORTED:
        return UNSUPPORTED[u.key].zh if zh else UNSUPPORTED[u.key].en
    if u.key in FIGURES and FIGURES[u.key].requires:
        tables = FIGURES[u.key].requires
        if zh:
            return MISSING_FACTS.zh.format(tables="、".join(_CARE_TABLES_ZH.get(name, name) for name in tables))
        return MISSING_FACTS.en.format(tables=", ".join(tables))
    return u.reason


def figure_view(f: Figure, report: ServiceReport, t: Translator) -> dict[str, Any]:
    name = _known(t, f"rp.fig.{f.key}")
    known = FIGURES.get(f.key)
    definition = None if known is None else (known.zh if t.lang == "zh-CN" else known.en)
    return {"key": f.key, "name": name, "definition": definition, "unit": f.unit,
            "better": f.better, "better_text": t(f"rp.better.{f.better}") if f.better in ("up", "down") else "",
            "value": value_text(f.value, f.unit, t), "compare": value_text(f.compare, f.unit, t),
            "missing": f.value is None, "change": change_view(f, t),
            "chart": figure_chart(f, report, t, name or f.key)}


def report_view(report: ServiceReport, lang: str) -> dict[str, Any]:
    """Everything the report shows, in ``lang``: the template only lays it out."""
    t = translator(lang)
    current, compare = month_name(report.period, lang), month_name(report.compare, lang)
    unsupported = []
    for u in report.unsupported:
        unsupported.append({"key": u.key, "name": _known(t, f"rp.fig.{u.key}"), "reason": reason_text(u, lang)})
    return {
        "lang": lang, "report_id": report.report_id, "period": report.period, "compare": report.compare,
        "title": t("rp.title.period", period=current), "current_name": current, "compare_name": compare,
        "periods": t("rp.periods", period=current, compare=compare) if report.compare else t("rp.period_only",
                                                                                              period=current),
        "figures": [figure_view(f, report, t) for f in report.figures],
        "unsupported": unsupported,
        "rulebooks": [{"kind": kind, "name": _known(t, f"rp.kind.{kind}"), "version": version}
                      for kind, version in sorted(report.rulebooks.items())],
        "fingerprint": report.fingerprint, "fingerprint_short": report.fingerprint[:12],
        "computed_at": formatting.time(report.computed_at, lang), "engine": report.engine,
    }


@functools.cache
def stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def document(report: ServiceReport, lang: str) -> str:
    """The report as one standalone HTML document (inline styles and charts, nothing linked)."""
    t = translator(lang)
    return _env.get_template("reports/report.html").render(v=report_view(report, lang), t=t, lang=t.lang,
                                                           css=Markup(stylesheet()))


def content_policy(html: str) -> str:
    """The Content-Security-Policy to serve a document with: nothing may load or run, and only its own inline
    styles (by their hash) apply — the server's pages otherwise allow no inline style at all."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
                      for m in _STYLE.findall(html)) or "'none'"
    return (f"default-src 'none'; style-src {hashes}; img-src 'none'; form-action 'none'; frame-ancestors 'none'; "
            "base-uri 'none'")
