"""Small chart widgets for tables and headers: sparklines, the score gauge, and the data-table fallback."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

from anxin.web.charts import (
    N_COLOURS,
    Band,
    Fmt,
    Series,
    _c,
    _chart_id,
    _e,
    _empty,
    _Frame,
    _grid,
    _heading,
    _num,
    _path,
    _summary,
    _svg,
    _text,
    words,
)
from anxin.web.charts import empty_message as no_data_message


def sparkline(values: Sequence[float | None], *, title: str = "", y_format: Fmt | None = None,
              y_min: float | None = None, y_max: float | None = None, width: int = 96, height: int = 24,
              colour: int = 1, lang: str = "zh-CN", empty_message: str | None = None,
              chart_id: str | None = None) -> Markup:
    """A word-sized line for a table cell: no axes, the last point dotted; ``colour`` picks chart-series-N."""
    w = words(lang)
    vs = _grid([Series(title, values)], [])[1][0]
    name = title or w["trend"]
    cid = chart_id or _chart_id("spark", name, vs, y_min, y_max, width, height, colour, lang)
    finite = [v for v in vs if v is not None]
    if not finite:
        body = [_text(width / 2, height / 2 + 4, "—", "chart-empty", anchor="middle")]
        return _svg(cid, "spark", width, height, name, empty_message or no_data_message(lang),
                    body)
    bounds = finite + [v for v in (y_min, y_max) if v is not None]
    lo, hi = min(bounds), max(bounds)
    lo, hi = (lo - 1, hi + 1) if lo == hi else (lo, hi)
    n = len(vs)
    xs = [2 + (width - 6) * j / (n - 1) if n > 1 else width / 2 for j in range(n)]
    fr = _Frame(2, width - 4, 3, height - 3, lo, hi)
    j = max(k for k, v in enumerate(vs) if v is not None)
    last = vs[j] or 0.0
    body = [f'<g class="chart-series chart-series-{(colour - 1) % N_COLOURS + 1}">'
            + _path(xs, [None if v is None else fr.y(v) for v in vs])
            + f'<circle cx="{_c(xs[j])}" cy="{_c(fr.y(last))}" r="2" fill="currentColor"/></g>']
    return _svg(cid, "spark", width, height, name, _summary(name, vs, y_format or _num, w), body)


def gauge(value: float | None, lo: float = 50.0, hi: float = 100.0, bands: Sequence[Band] = (), *, title: str,
          value_format: Fmt | None = None, width: int = 240, height: int = 150, lang: str = "zh-CN",
          empty_message: str | None = None, show_title: bool = True, chart_id: str | None = None) -> Markup:
    """A half-dial from lo to hi: coloured bands (lo, hi, css class) or a filled track, and a needle."""
    w = words(lang)
    hi = hi if hi > lo else lo + 1
    cid = chart_id or _chart_id("gauge", title, value, lo, hi, list(bands), width, height, lang, show_title)
    if value is None or not math.isfinite(value):
        return _empty(cid, "gauge", width, height, title, show_title, empty_message, lang)
    fmt = value_format or _num
    top = 26.0 if show_title else 8.0
    cx, cy = width / 2, height - 26.0
    r = max(10.0, min(width / 2 - 22, cy - top - 14))

    def at(v: float, rad: float) -> tuple[float, float]:
        a = math.pi * (1 - (min(max(v, lo), hi) - lo) / (hi - lo))
        return cx + rad * math.cos(a), cy - rad * math.sin(a)

    def arc(a: float, b: float, cls: str) -> str:
        (ax, ay), (bx, by) = at(a, r), at(b, r)
        return (f'<path class="{cls}" d="M{_c(ax)} {_c(ay)} A{_c(r)} {_c(r)} 0 0 1 {_c(bx)} {_c(by)}" '
                f'fill="none" stroke="currentColor" stroke-width="14"/>')

    body = _heading(title, width, show_title)
    body.append(arc(lo, hi, "chart-gauge-track"))
    marks = {lo, hi}
    for b_lo, b_hi, cls in bands:
        body.append(arc(max(lo, b_lo), min(hi, b_hi), f"chart-band {_e(cls)}"))
        marks |= {v for v in (b_lo, b_hi) if lo < v < hi}
    if not bands:
        body.append(arc(lo, value, "chart-gauge-fill chart-series-1"))
    for m in sorted(marks):  # lo and hi under the ends of the dial, band edges outside it
        mx, my = at(m, r) if m in (lo, hi) else at(m, r + 14)
        body.append(_text(mx, my + (20 if m in (lo, hi) else 4), fmt(m), "chart-tick", anchor="middle"))
    (nx, ny), (tx, ty) = at(value, r - 16), at(value, r + 8)
    body.append(f'<g class="chart-gauge-needle"><line x1="{_c(nx)}" y1="{_c(ny)}" x2="{_c(tx)}" y2="{_c(ty)}" '
                f'stroke="currentColor" stroke-width="3"/></g>')
    band = next((cls for b_lo, b_hi, cls in bands if b_lo <= value <= b_hi), "")
    body.append(_text(cx, cy - 4, fmt(value), f"chart-gauge-value {_e(band)}".strip(), anchor="middle"))
    desc = f"{title}{w['colon']}{fmt(value)}{w['(']}{w['range']} {fmt(lo)}–{fmt(hi)}{w[')']}"
    return _svg(cid, "gauge", width, height, title, desc, body)


def data_table(series: Sequence[Series], *, x_labels: Sequence[str], caption: str, y_format: Fmt | None = None,
               x_header: str | None = None, lang: str = "zh-CN") -> Markup:
    """The chart's numbers as a plain table (one row per x label, one column per series), missing as "—"."""
    fmt = y_format or _num
    _, rows, labels = _grid(series, x_labels)
    head = "".join(f'<th scope="col">{_e(s.name)}</th>' for s in series)
    out = [f'<table class="chart-data"><caption>{_e(caption)}</caption><thead><tr>'
           f'<th scope="col">{_e(x_header or words(lang)["date"])}</th>{head}</tr></thead><tbody>']
    for j, label in enumerate(labels):
        cells = "".join(f"<td>{'—' if (v := r[j]) is None else _e(fmt(v))}</td>" for r in rows)
        out.append(f'<tr><th scope="row">{_e(label)}</th>{cells}</tr>')
    return Markup("".join(out) + "</tbody></table>")
