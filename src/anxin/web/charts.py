"""Charts as inline SVG, drawn on the server: no JavaScript, no CDN, nothing fetched at view time.

Every function returns ``Markup`` so Jinja embeds it as is; every piece of text in it is escaped here.
Colours come from classes (``chart-series-1`` … ``chart-series-6``, ``chart-target``, ``chart-axis``,
``chart-grid``, ``chart-band-*``) styled by ``static/charts.css``. Output is deterministic: the same input
gives byte-identical SVG (fixed decimals, ids derived from the input, no clock, no randomness).
Each chart is ``<svg role="img">`` named by its ``<title>`` and summarised in ``<desc>``; ``data_table``
gives the numbers as an HTML table for a ``<details>`` fallback.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from anxin.web.i18n import translator

Fmt = Callable[[float], str]
Band = tuple[float, float, str]

# The words a chart writes, from the web shell's catalog (``chart.<word>``); "(" and ")" are the language's brackets.
_WORD_KEYS = {"last": "last", "min": "min", "max": "max", "total": "total", "target": "target", "range": "range",
              "trend": "trend", "date": "date", "sep": "sep", "colon": "colon", "comma": "comma", "to": "to",
              "(": "open", ")": "close"}


def words(lang: str) -> dict[str, str]:
    t = translator(lang)
    return {word: t(f"chart.{key}") for word, key in _WORD_KEYS.items()}


def empty_message(lang: str) -> str:
    return translator(lang)("chart.empty")


N_COLOURS = 6
CHAR_PX = 6.4  # rough advance of a half-width glyph at the 11px chart font; a CJK glyph counts double


@dataclass(frozen=True)
class Series:
    """One named row of values, one per x label; ``None`` (or NaN) is a missing point and leaves a gap."""

    name: str
    values: Sequence[float | None]


def nice_ticks(lo: float, hi: float, max_ticks: int = 5) -> list[float]:
    """Round ticks covering [lo, hi]: a step of 1, 2, 2.5 or 5 × 10^k, the smallest giving ≤ max_ticks ticks."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("tick range must be finite")
    lo, hi = min(lo, hi), max(lo, hi)
    if lo == hi:  # one value: open a small window around it (counts of zero get 0..1)
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = (0.0, 1.0) if lo == 0 else (lo - pad, hi + pad)
    intervals = max(1, max_ticks - 1)
    exp = math.floor(math.log10((hi - lo) / intervals))
    for e in range(exp - 1, exp + 3):
        for m in (1.0, 2.0, 2.5, 5.0):
            step = m * 10.0**e
            first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
            if last - first <= intervals:
                places = max(0, -e + (1 if m == 2.5 else 0))
                return [round(k * step, places) + 0.0 for k in range(first, last + 1)]
    return [lo, hi]  # pragma: no cover - the loop always finds a step by exp + 2


def _places(ticks: Sequence[float]) -> int:
    return max(len(f"{t:.9f}".rstrip("0").split(".")[1]) for t in ticks)


def _zero(s: str) -> str:
    return s[1:] if s.startswith("-") and not s.strip("-0.,% ") else s


def _num(v: float) -> str:
    """Default value format: thousands separators, at most two decimals, no trailing zeros."""
    return _zero(f"{v:,.2f}".rstrip("0").rstrip("."))


def fixed(decimals: int = 0) -> Fmt:
    """A formatter with a fixed number of decimals (thousands separated)."""
    return lambda v: _zero(f"{v:,.{decimals}f}")


def percent(decimals: int = 1) -> Fmt:
    """A formatter for ratios: 0.962 → "96.2 %"."""
    return lambda v: _zero(f"{v * 100:.{decimals}f} %")


def _grid(series: Sequence[Series], x_labels: Sequence[str]) -> tuple[int, list[list[float | None]], list[str]]:
    """Series and labels squared up: n columns, short rows padded with None, missing labels blank."""
    n = max([len(x_labels)] + [len(s.values) for s in series])
    rows = [[None if v is None or not math.isfinite(v) else float(v) for v in s.values] for s in series]
    return n, [r[:n] + [None] * (n - len(r)) for r in rows], [str(x) for x in x_labels][:n] + [""] * (n - len(x_labels))


def _c(v: float) -> str:
    """A coordinate: one decimal, never "-0.0"."""
    return _zero(f"{v:.1f}")


def _e(text: object) -> str:
    return str(escape(str(text)))


def _units(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _truncate(text: str, max_units: int) -> str:
    if _units(text) <= max_units:
        return text
    while len(text) > 1 and _units(text) > max_units - 1:
        text = text[:-1]
    return text + "…"


def _text(x: float, y: float, text: str, cls: str, *, anchor: str = "start", max_units: int = 0) -> str:
    """A <text>; when cut to max_units the full text stays in its <title> (a hover tooltip)."""
    short = _truncate(text, max_units) if max_units else text
    tip = f"<title>{_e(text)}</title>" if short != text else ""
    return f'<text class="{cls}" x="{_c(x)}" y="{_c(y)}" text-anchor="{anchor}">{tip}{_e(short)}</text>'


def _chart_id(kind: str, *parts: object) -> str:
    return f"chart-{kind}-" + hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:10]


def _svg(cid: str, kind: str, width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" id="{cid}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-labelledby="{cid}-title {cid}-desc">'
            f'<title id="{cid}-title">{_e(title)}</title><desc id="{cid}-desc">{_e(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _heading(title: str, width: int, show: bool) -> list[str]:
    return [_text(8, 16, title, "chart-title", max_units=int(width / CHAR_PX) - 2)] if show and title else []


def _path(xs: Sequence[float], ys: Sequence[float | None]) -> str:
    """A polyline as a path; a missing point lifts the pen, so the line shows a gap."""
    out, pen = [], False
    for x, y in zip(xs, ys, strict=True):
        if y is not None:
            out.append(f"{'L' if pen else 'M'}{_c(x)} {_c(y)}")
        pen = y is not None
    return f'<path class="chart-line" d="{" ".join(out)}" fill="none" stroke="currentColor"/>'


def _empty(cid: str, kind: str, width: int, height: int, title: str, show_title: bool, message: str | None,
           lang: str) -> Markup:
    message = message or empty_message(lang)
    body = _heading(title, width, show_title)
    body.append(_text(width / 2, height / 2 + 4, message, "chart-empty", anchor="middle"))
    return _svg(cid, kind, width, height, title, message, body)


def _summary(name: str, values: Sequence[float | None], fmt: Fmt, w: dict[str, str]) -> str:
    """"name: last 96.2 %, min 88.0 %, max 99.1 %" (or "name: —" with no values)."""
    if not (vs := [v for v in values if v is not None]):
        return f"{name}{w['colon']}—"
    stats = [f"{w['last']} {fmt(vs[-1])}", f"{w['min']} {fmt(min(vs))}", f"{w['max']} {fmt(max(vs))}"]
    return name + w["colon"] + w["comma"].join(stats)


def _span(labels: Sequence[str], w: dict[str, str]) -> str:
    """The x range for a description, e.g. " (11-01 to 11-30)"; nothing when there are no labels."""
    named = [x for x in labels if x]
    if not named:
        return ""
    return w["("] + (named[0] if len(named) == 1 else f"{named[0]} {w['to']} {named[-1]}") + w[")"]


@dataclass(frozen=True)
class _Frame:
    x0: float
    x1: float
    y0: float
    y1: float
    lo: float
    hi: float

    def y(self, v: float) -> float:
        return self.y1 - (v - self.lo) / (self.hi - self.lo) * (self.y1 - self.y0)


def _axes(fr: _Frame, ticks: list[float], tfmt: Fmt) -> list[str]:
    grid = "".join(f'<line x1="{_c(fr.x0)}" y1="{_c(fr.y(t))}" x2="{_c(fr.x1)}" y2="{_c(fr.y(t))}"/>' for t in ticks)
    out = [f'<g class="chart-grid" stroke="currentColor">{grid}</g>', '<g class="chart-axis">']
    out += [_text(fr.x0 - 6, fr.y(t) + 4, tfmt(t), "chart-tick", anchor="end") for t in ticks]
    base = fr.y(0.0) if fr.lo <= 0 <= fr.hi else fr.y1
    out.append(f'<line class="chart-baseline" stroke="currentColor" x1="{_c(fr.x0)}" y1="{_c(base)}" '
               f'x2="{_c(fr.x1)}" y2="{_c(base)}"/></g>')
    return out


def _x_axis(labels: list[str], xs: list[float], slot: float, y: float, width: int) -> str:
    if not labels:
        return ""
    need = min(16, max(_units(x) for x in labels)) * CHAR_PX + 8
    k = max(1, math.ceil(need / max(slot, 1.0)))
    room = max(2, int((k * slot - 6) / CHAR_PX))
    out = []
    for i, (label, x) in enumerate(zip(labels, xs, strict=True)):
        if i % k or not label:
            continue
        half = min(_units(label), room) * CHAR_PX / 2
        out.append(_text(min(max(x, half + 2), width - half - 2), y, label, "chart-xlabel", anchor="middle",
                         max_units=room))
    return '<g class="chart-axis">' + "".join(out) + "</g>"


def _legend(series: Sequence[Series], x: float, y: float, width: float) -> str:
    if len(series) < 2:
        return ""
    room = max(4, int(width / len(series) / CHAR_PX) - 4)
    out = ['<g class="chart-legend">']
    for i, s in enumerate(series):
        name = _truncate(s.name, room)
        out.append(f'<g class="chart-series chart-series-{i % N_COLOURS + 1}">'
                   f'<rect x="{_c(x)}" y="{_c(y - 8)}" width="12" height="8" fill="currentColor"/>'
                   + _text(x + 16, y, s.name, "chart-legend-label", max_units=room) + "</g>")
        x += 16 + _units(name) * CHAR_PX + 14
    return "".join(out) + "</g>"


def _chrome(series: Sequence[Series], labels: list[str], ticks: list[float], tfmt: Fmt, title: str, *, width: int,
            height: int, right: float, show_title: bool, bars: bool) -> tuple[_Frame, list[float], list[str]]:
    """The plot area (room for tick labels, title, legend, x labels), the x of each column, and the chrome."""
    left = min(96.0, max(28.0, max(_units(tfmt(t)) for t in ticks) * CHAR_PX + 12))
    top = 10 + (20 if show_title else 0) + (18 if len(series) > 1 else 0)
    fr = _Frame(left, width - right, top, height - 24, ticks[0], ticks[-1])
    n, span = len(labels), fr.x1 - fr.x0
    if bars:
        slot = span / n
        xs = [fr.x0 + slot * (j + 0.5) for j in range(n)]
    else:
        slot = span / max(n - 1, 1)
        xs = [fr.x0 + slot * j if n > 1 else fr.x0 + span / 2 for j in range(n)]
    return fr, xs, [*_heading(title, width, show_title), _legend(series, fr.x0, fr.y0 - 12, span),
                    *_axes(fr, ticks, tfmt), _x_axis(labels, xs, slot, height - 8, width)]


def line_chart(series: Sequence[Series], *, x_labels: Sequence[str], title: str, y_format: Fmt | None = None,
               y_min: float | None = None, y_max: float | None = None, target: float | None = None,
               target_label: str | None = None, tick_format: Fmt | None = None, width: int = 640, height: int = 240,
               lang: str = "zh-CN", empty_message: str | None = None, show_title: bool = True,
               chart_id: str | None = None) -> Markup:
    """Lines over x labels, gaps at missing points, the last value of each line labelled.

    The y axis covers all data, the target and at least ``y_min``..``y_max``, widened to nice ticks.
    """
    w = words(lang)
    n, rows, labels = _grid(series, x_labels)
    cid = chart_id or _chart_id("line", title, [(s.name, r) for s, r in zip(series, rows, strict=True)], labels,
                                y_min, y_max, target, target_label, width, height, lang, show_title)
    finite = [v for r in rows for v in r if v is not None]
    if not finite:
        return _empty(cid, "line", width, height, title, show_title, empty_message, lang)
    bounds = finite + [v for v in (y_min, y_max, target) if v is not None and math.isfinite(v)]
    ticks = nice_ticks(min(bounds), max(bounds))
    fmt = y_format or _num
    tfmt = tick_format or y_format or fixed(_places(ticks))
    lasts = [(i, max(j for j, v in enumerate(r) if v is not None)) for i, r in enumerate(rows)
             if any(v is not None for v in r)]
    right = max([14.0] + [_units(fmt(rows[i][j] or 0.0)) * CHAR_PX + 14 for i, j in lasts])
    fr, xs, body = _chrome(series, labels, ticks, tfmt, title, width=width, height=height, right=min(right, 110.0),
                           show_title=show_title, bars=False)
    desc = [_summary(s.name, r, fmt, w) for s, r in zip(series, rows, strict=True)]
    if target is not None and math.isfinite(target):
        ty, tl = fr.y(target), target_label or f"{w['target']} {fmt(target)}"
        body.append(f'<g class="chart-target"><line x1="{_c(fr.x0)}" y1="{_c(ty)}" x2="{_c(fr.x1)}" y2="{_c(ty)}" '
                    f'stroke="currentColor" stroke-dasharray="6 4"/>'
                    + _text(fr.x0 + 4, ty - 4, tl, "chart-target-label", max_units=int((fr.x1 - fr.x0) / CHAR_PX / 2))
                    + "</g>")
        desc.append(tl)
    for i, (s, r) in enumerate(zip(series, rows, strict=True)):
        dots = []
        for j, v in enumerate(r):
            if v is None:
                continue
            alone = (j == 0 or r[j - 1] is None) and (j == n - 1 or r[j + 1] is None)
            if n <= 40 or alone or (i, j) in lasts:  # a dot with a hover title on each point while there is room
                dots.append(f'<circle cx="{_c(xs[j])}" cy="{_c(fr.y(v))}" r="{3 if alone else 2.5}" '
                            f'fill="currentColor"><title>{_e(f"{labels[j]} · {s.name}: {fmt(v)}")}</title></circle>')
        body.append(f'<g class="chart-series chart-series-{i % N_COLOURS + 1}">'
                    + _path(xs, [None if v is None else fr.y(v) for v in r]) + "".join(dots) + "</g>")
    ends = sorted((fr.y(v), i, fmt(v)) for i, j in lasts if (v := rows[i][j]) is not None)
    placed: list[float] = []
    for y, _, _ in ends:  # keep end labels 12px apart, then inside the plot
        placed.append(max(y, placed[-1] + 12) if placed else y)
    shift = max(0.0, placed[-1] - fr.y1)
    for (_, i, label), y in zip(ends, placed, strict=True):
        body.append(f'<g class="chart-series chart-series-{i % N_COLOURS + 1}">'
                    + _text(fr.x1 + 6, y - shift + 4, label, "chart-value") + "</g>")
    return _svg(cid, "line", width, height, title, w["sep"].join(desc) + _span(labels, w), body)


def bar_chart(series: Sequence[Series], *, x_labels: Sequence[str], title: str, stacked: bool = False,
              y_format: Fmt | None = None, tick_format: Fmt | None = None, width: int = 640, height: int = 240,
              lang: str = "zh-CN", empty_message: str | None = None, show_title: bool = True,
              chart_id: str | None = None) -> Markup:
    """Bars per x label, one per series side by side (grouped) or piled up (stacked; negatives pile down)."""
    w = words(lang)
    n, rows, labels = _grid(series, x_labels)
    cid = chart_id or _chart_id("bar", title, [(s.name, r) for s, r in zip(series, rows, strict=True)], labels,
                                stacked, width, height, lang, show_title)
    if not any(v is not None for r in rows for v in r):
        return _empty(cid, "bar", width, height, title, show_title, empty_message, lang)
    if stacked:
        bounds = [sum(v for r in rows if (v := r[j]) is not None and v > 0) for j in range(n)]
        bounds += [sum(v for r in rows if (v := r[j]) is not None and v < 0) for j in range(n)]
    else:
        bounds = [v for r in rows for v in r if v is not None]
    ticks = nice_ticks(min([0.0, *bounds]), max([0.0, *bounds]))
    fmt = y_format or _num
    tfmt = tick_format or y_format or fixed(_places(ticks))
    fr, xs, body = _chrome(series, labels, ticks, tfmt, title, width=width, height=height, right=14.0,
                           show_title=show_title, bars=True)
    slot = (fr.x1 - fr.x0) / n
    group = slot * 0.72
    bar = group if stacked else group / max(1, len(series))
    up, down = [0.0] * n, [0.0] * n
    for i, (s, r) in enumerate(zip(series, rows, strict=True)):
        rects = []
        for j, v in enumerate(r):
            if v is None or v == 0:
                continue
            x = xs[j] - group / 2 + (0 if stacked else i * bar)
            a = 0.0
            if stacked:  # positives pile up from zero, negatives hang down from it
                pile = up if v > 0 else down
                a, pile[j] = pile[j], pile[j] + v
            b = a + v
            top, bottom = min(fr.y(a), fr.y(b)), max(fr.y(a), fr.y(b))
            rects.append(f'<rect x="{_c(x)}" y="{_c(top)}" width="{_c(max(bar - 1, 1.0))}" '
                         f'height="{_c(max(bottom - top, 0.5))}" fill="currentColor">'
                         f'<title>{_e(f"{labels[j]} · {s.name}: {fmt(v)}")}</title></rect>')
        body.append(f'<g class="chart-series chart-series-{i % N_COLOURS + 1}">' + "".join(rects) + "</g>")
    desc = []
    for s, r in zip(series, rows, strict=True):
        if not (vs := [(v, -j) for j, v in enumerate(r) if v is not None]):
            desc.append(f"{s.name}{w['colon']}—")
            continue
        top_v, top_j = max(vs)  # the first day with the highest value
        where = f"{w['(']}{labels[-top_j]}{w[')']}" if labels[-top_j] else ""
        desc.append(f"{s.name}{w['colon']}{w['total']} {fmt(sum(v for v, _ in vs))}{w['comma']}"
                    f"{w['max']} {fmt(top_v)}{where}")
    return _svg(cid, "bar", width, height, title, w["sep"].join(desc) + _span(labels, w), body)
