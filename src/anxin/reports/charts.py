"""The report's charts as inline SVG, drawn here: nothing fetched, no script, readable offline and in the PDF.

Two kinds: a figure's daily points over its period with the comparison period's ghosted behind them (bars for
counts, a line for rates), and a period-over-period bar pair for a figure without a daily series.

They follow the pages' charts (``anxin.web.charts``): the same Okabe–Ito blue for the period, the same grid, tick and
label sizes, ``<svg role="img">`` named by its ``<title>`` and summarised in ``<desc>``, a ``<title>`` tooltip on each
point, byte-identical output for the same input (fixed decimals, ids hashed from the input). Unlike those, every
colour and the font are written on the elements themselves rather than left to a stylesheet's classes: the report is
also a standalone file and a PDF, and WeasyPrint draws inline SVG without the document's stylesheet. Pure: the
caller passes every word and the number formatter, already in the reader's language.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Fmt = Callable[[float], str]

CURRENT = "#0072b2"  # the period: chart-series-1 of the pages
CURRENT_INK = "#005a8c"
GHOST = "#c3c8d0"  # the comparison period, behind it
GHOST_INK = "#6b7280"
GRID = "#e5e7eb"
AXIS = "#9ca3af"
TEXT = "#4b5563"
FONT = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
CHAR_PX = 6.4  # rough advance of a half-width glyph at 11px; a CJK glyph counts double


@dataclass(frozen=True)
class Legend:
    """The words of a chart: what it shows (its ``<title>``), the period's name and the comparison period's."""

    title: str
    current: str
    compare: str


def nice_ticks(lo: float, hi: float, max_ticks: int = 5) -> list[float]:
    """Round ticks covering [lo, hi]: a step of 1, 2, 2.5 or 5 × 10^k, the smallest giving ≤ max_ticks ticks."""
    lo, hi = min(lo, hi), max(lo, hi)
    if lo == hi:
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


def _c(v: float) -> str:
    s = f"{v:.1f}"
    return "0.0" if s == "-0.0" else s


def _e(text: object) -> str:
    return str(escape(str(text)))


def _units(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text(x: float, y: float, text: str, *, fill: str = TEXT, anchor: str = "start", size: int = 11,
          weight: str = "normal") -> str:
    bold = ' font-weight="600"' if weight == "bold" else ""
    return (f'<text x="{_c(x)}" y="{_c(y)}" fill="{fill}" font-size="{size}" text-anchor="{anchor}"{bold}>'
            f"{_e(text)}</text>")


def _id(kind: str, *parts: object) -> str:
    return f"rp-{kind}-" + hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:10]


def _svg(cid: str, kind: str, width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rp-chart rp-chart-{kind}" id="{cid}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{_e(FONT)}" font-size="11">'
        f'<title id="{cid}-title">{_e(title)}</title><desc id="{cid}-desc">{_e(desc)}</desc>'
        + "".join(body) + "</svg>")


def _clean(values: Sequence[float | None], n: int) -> list[float | None]:
    out = [None if v is None or not math.isfinite(v) else float(v) for v in values[:n]]
    return out + [None] * (n - len(out))


def _legend(x: float, y: float, legend: Legend, *, ghost: bool, bars: bool) -> list[str]:
    def swatch(at: float, colour: str) -> str:
        if bars:
            return f'<rect x="{_c(at)}" y="{_c(y - 8)}" width="12" height="8" fill="{colour}"/>'
        dash = ' stroke-dasharray="4 3"' if colour == GHOST else ""
        return (f'<line x1="{_c(at)}" y1="{_c(y - 4)}" x2="{_c(at + 14)}" y2="{_c(y - 4)}" stroke="{colour}" '
                f'stroke-width="2"{dash}/>')

    out = [f'<g class="rp-legend-current">{swatch(x, CURRENT)}{_text(x + 18, y, legend.current)}</g>']
    if ghost:
        x += 18 + _units(legend.current) * CHAR_PX + 16
        out.append(f'<g class="rp-legend-compare">{swatch(x, GHOST)}'
                   f'{_text(x + 18, y, legend.compare, fill=GHOST_INK)}</g>')
    return out


def daily_chart(current: Sequence[float | None], ghost: Sequence[float | None] = (), *, x_labels: Sequence[str],
                legend: Legend, fmt: Fmt, desc: str, bars: bool, tick_format: Fmt | None = None,
                width: int = 560, height: int = 190) -> Markup:
    """The period's daily values (bars, or a line with a dot per day) with the comparison period's, day by day of
    its month, ghosted behind them. ``x_labels`` names the period's days; a missing value leaves a gap."""
    n = max(len(current), len(ghost), len(x_labels), 1)
    cur, gho = _clean(current, n), _clean(ghost, n)
    labels = [str(x) for x in x_labels][:n] + [""] * (n - len(x_labels))
    cid = _id("daily", legend, cur, gho, labels, bars, width, height)
    values = [v for v in cur + gho if v is not None]
    if not values:
        return _svg(cid, "daily", width, height, legend.title, desc,
                    [_text(width / 2, height / 2, "—", anchor="middle", size=13)])
    ticks = nice_ticks(min([0.0, *values]) if bars else min(values), max([0.0, *values]) if bars else max(values))
    tfmt = tick_format or fmt
    left = min(96.0, max(28.0, max(_units(tfmt(t)) for t in ticks) * CHAR_PX + 12))
    x0, x1, y0, y1 = left, width - 10.0, 30.0, height - 22.0
    lo, hi = ticks[0], ticks[-1]

    def y(v: float) -> float:
        return y1 - (v - lo) / (hi - lo) * (y1 - y0)

    slot = (x1 - x0) / n
    xs = [x0 + slot * (j + 0.5) for j in range(n)]
    has_ghost = any(v is not None for v in gho)
    body = _legend(x0, 14, legend, ghost=has_ghost, bars=bars)
    grid = "".join(f'<line x1="{_c(x0)}" y1="{_c(y(t))}" x2="{_c(x1)}" y2="{_c(y(t))}"/>' for t in ticks)
    body.append(f'<g class="rp-grid" stroke="{GRID}" stroke-width="1">{grid}</g>')
    body += [_text(x0 - 6, y(t) + 4, tfmt(t), anchor="end") for t in ticks]
    base = y(0.0) if lo <= 0 <= hi else y1
    body.append(f'<line x1="{_c(x0)}" y1="{_c(base)}" x2="{_c(x1)}" y2="{_c(base)}" stroke="{AXIS}" '
                f'stroke-width="1"/>')
    need = min(16, max(_units(x) for x in labels)) * CHAR_PX + 8
    every = max(1, math.ceil(need / max(slot, 1.0)))
    body += [_text(xs[j], height - 6, labels[j], anchor="middle") for j in range(n) if j % every == 0 and labels[j]]

    def tip(j: int, name: str, v: float) -> str:
        day = labels[j] or str(j + 1)
        return f"<title>{_e(f'{day} · {name}: {fmt(v)}')}</title>"

    if bars:
        for series, colour, share, name, cls in ((gho, GHOST, 0.8, legend.compare, "compare"),
                                                 (cur, CURRENT, 0.5, legend.current, "current")):
            rects = []
            for j, v in enumerate(series):
                if v is None:
                    continue
                top, bottom = min(y(v), base), max(y(v), base)
                rects.append(f'<rect x="{_c(xs[j] - slot * share / 2)}" y="{_c(top)}" '
                             f'width="{_c(max(slot * share, 1.0))}" height="{_c(max(bottom - top, 0.5))}" '
                             f'fill="{colour}">{tip(j, name, v)}</rect>')
            body.append(f'<g class="rp-series-{cls}">' + "".join(rects) + "</g>")
    else:
        for series, colour, name, cls in ((gho, GHOST, legend.compare, "compare"),
                                          (cur, CURRENT, legend.current, "current")):
            path, pen = [], False
            for j, v in enumerate(series):
                if v is not None:
                    path.append(f"{'L' if pen else 'M'}{_c(xs[j])} {_c(y(v))}")
                pen = v is not None
            dash = ' stroke-dasharray="4 3"' if cls == "compare" else ""
            dots = "".join(f'<circle cx="{_c(xs[j])}" cy="{_c(y(v))}" r="{2 if cls == "compare" else 2.5}" '
                           f'fill="{colour}">{tip(j, name, v)}</circle>'
                           for j, v in enumerate(series) if v is not None and (n <= 40 or cls == "current"))
            line = (f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="2" '
                    f'stroke-linejoin="round" stroke-linecap="round"{dash}/>') if path else ""
            body.append(f'<g class="rp-series-{cls}">{line}{dots}</g>')
    return _svg(cid, "daily", width, height, legend.title, desc, body)


def pair_bars(value: float | None, compare: float | None, *, legend: Legend, fmt: Fmt, desc: str,
              width: int = 360, height: int = 58) -> Markup:
    """The period's value under the comparison period's, as two bars from zero with their values written."""
    cid = _id("pair", legend, value, compare, width, height)
    rows = [(legend.compare, compare, GHOST, GHOST_INK, "compare"), (legend.current, value, CURRENT, CURRENT_INK,
                                                                      "current")]
    label_w = min(140.0, max(_units(name) for name, *_ in rows) * CHAR_PX + 10)
    value_w = max(_units(fmt(v)) for _, v, *_ in rows if v is not None) * CHAR_PX + 10 if any(
        v is not None for _, v, *_ in rows) else 20.0
    x0, x1 = label_w, width - value_w
    top = max([abs(v) for _, v, *_ in rows if v is not None] + [0.0]) or 1.0
    body = []
    for i, (name, v, colour, ink, cls) in enumerate(rows):
        y = 6 + i * 26
        body.append(f'<g class="rp-series-{cls}">' + _text(0, y + 13, name, fill=ink))
        if v is None:
            body.append(_text(x0 + 4, y + 13, "—", fill=ink) + "</g>")
            continue
        w = max(abs(v) / top * (x1 - x0), 1.0 if v else 0.0)
        body.append(f'<rect x="{_c(x0)}" y="{_c(y)}" width="{_c(w)}" height="18" fill="{colour}">'
                    f"<title>{_e(f'{name}: {fmt(v)}')}</title></rect>"
                    + _text(x0 + w + 6, y + 13, fmt(v), fill=ink, weight="bold" if cls == "current" else "normal")
                    + "</g>")
    body.append(f'<line x1="{_c(x0)}" y1="2" x2="{_c(x0)}" y2="{height - 2}" stroke="{AXIS}" stroke-width="1"/>')
    return _svg(cid, "pair", width, height, legend.title, desc, body)
