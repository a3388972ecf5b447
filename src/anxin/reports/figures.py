"""Compute the report's figures on an engine that has loaded a snapshot: two statements (every figure's value for
the period and the comparison; the daily series of the period), assembled into ``Figure`` values.

Values are rounded to 6 decimal places (counts and money to whole numbers) after the engine answers, so the same
snapshot gives the same report on DuckDB and on Spark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from anxin.reports.definition import FIGURES, UNSUPPORTED, Q, chosen_sql, figure_union, missing_reason
from anxin.reports.engines import ReportEngine
from anxin.reports.model import Figure, Number, Unsupported, Window, change

WHOLE_UNITS = ("count", "fen")
EPOCH_DAY = dt.date(1970, 1, 1)


def _number(unit: str, value: float | None) -> Number | None:
    if value is None:
        return None
    return round(value) if unit in WHOLE_UNITS else round(float(value), 6)


def compute(engine: ReportEngine, period: Window, compare: Window | None, available: Iterable[str]
            ) -> tuple[tuple[Figure, ...], tuple[Unsupported, ...]]:
    """Every figure of ``FIGURES`` that the snapshot's tables support, and what is not computable and why."""
    have = set(available)
    runnable: dict[str, Any] = {}
    unsupported: list[Unsupported] = []
    for key, fig in FIGURES.items():
        build = chosen_sql(fig, have)
        if build is None:
            unsupported.append(Unsupported(key, missing_reason(fig, set(fig.requires) - have)))
        else:
            runnable[key] = build
    unsupported += [Unsupported(u.key, u.en) for u in UNSUPPORTED.values()]
    wins = [w for w in (period, compare) if w is not None]
    totals: dict[tuple[str, str], float | None] = {}
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    if runnable:
        d = engine.dialect
        parts = [(key, w.name, build(Q(d, w.lo, w.hi))) for key, build in runnable.items() for w in wins]
        for row in engine.query(figure_union(parts)).to_pylist():
            totals[(row["figure"], row["win"])] = row["value"]
        daily = [(key, w.name, build(Q(d, w.lo, w.hi, per_day=True)))
                 for key, build in runnable.items() if FIGURES[key].series for w in wins]
        if daily:
            for row in engine.query(figure_union(daily)).to_pylist():
                if row["value"] is not None:
                    series.setdefault((row["figure"], row["win"]), []).append((row["bucket"], row["value"]))
    figures = []
    for key in runnable:
        fig = FIGURES[key]
        value = _number(fig.unit, totals.get((key, period.name), fig.empty))
        other = None if compare is None else _number(fig.unit, totals.get((key, compare.name), fig.empty))
        figures.append(Figure(key, value, other, change(value, other), fig.unit, fig.better,
                              _points(series.get((key, period.name), [])),
                              () if compare is None else _points(series.get((key, compare.name), []))))
    return tuple(figures), tuple(unsupported)


def _points(rows: list[tuple[int, float]]) -> tuple[tuple[str, float], ...]:
    return tuple(((EPOCH_DAY + dt.timedelta(days=day)).isoformat(), round(float(v), 6)) for day, v in sorted(rows))
