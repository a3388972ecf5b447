"""The report as a value: figures with their comparison and change, what anxin cannot compute, and the periods.

Pure. A period is a calendar month in Beijing time (``"2026-11"`` is 2026-11-01T00:00+08:00 up to, not including,
2026-12-01T00:00+08:00). ``ServiceReport`` is what the reports context produces and the renderers (HTML, PDF,
JSON, the API) show; ``as_dict``/``from_dict`` are its JSON form, also how a stored run is read back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from anxin.core.errors import AnxinError
from anxin.reports.error_codes import ReportsErrorCode as E
from anxin.reports.periods import Period as Period
from anxin.reports.periods import parse_period as parse_period

UNITS = ("count", "share", "hours", "fen", "score", "per_1000_orders")
BETTER = ("up", "down")
ENGINES = ("duckdb", "spark")

Number = int | float


@dataclass(frozen=True)
class Figure:
    key: str                      # e.g. "malicious_aftersales_users" (reports.definition.FIGURES)
    value: Number | None          # None when not computable from the data of that period
    compare: Number | None
    change: float | None          # relative change (value-compare)/compare, None when compare is 0/None
    unit: str                     # "count" | "share" | "hours" | "fen" | "score" | "per_1000_orders"
    better: str                   # "up" | "down" (which direction is an improvement)
    series: tuple[tuple[str, float], ...] = ()   # daily points (ISO date, value) for a chart, may be empty
    # The comparison period's daily points, drawn ghosted behind the period's.
    compare_series: tuple[tuple[str, float], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "compare": self.compare, "change": self.change,
                "unit": self.unit, "better": self.better, "series": [[d, v] for d, v in self.series],
                "compare_series": [[d, v] for d, v in self.compare_series]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Figure:
        return cls(d["key"], d["value"], d["compare"], d["change"], d["unit"], d["better"],
                   tuple((str(p[0]), float(p[1])) for p in d.get("series", ())),
                   tuple((str(p[0]), float(p[1])) for p in d.get("compare_series", ())))


@dataclass(frozen=True)
class Unsupported:
    key: str
    reason: str  # why anxin cannot compute it (never a number made up instead)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "reason": self.reason}


@dataclass(frozen=True)
class ServiceReport:
    report_id: str
    period: str                   # "2026-11"
    compare: str | None           # "2026-10", or None for a report without a comparison period
    figures: tuple[Figure, ...]
    unsupported: tuple[Unsupported, ...]
    rulebooks: dict[str, str]     # rulebook kind -> version in force at the end of the period
    fingerprint: str              # sha256 of the facts snapshot (reports.snapshots)
    computed_at: dt.datetime
    engine: str                   # "duckdb" | "spark"

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {"report_id": self.report_id, "period": self.period, "compare": self.compare,
                "figures": [f.as_dict() for f in self.figures],
                "unsupported": [u.as_dict() for u in self.unsupported], "rulebooks": dict(self.rulebooks),
                "fingerprint": self.fingerprint, "computed_at": self.computed_at.isoformat(), "engine": self.engine}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ServiceReport:
        return cls(d["report_id"], d["period"], d.get("compare"), tuple(Figure.from_dict(f) for f in d["figures"]),
                   tuple(Unsupported(u["key"], u["reason"]) for u in d["unsupported"]), dict(d["rulebooks"]),
                   d["fingerprint"], dt.datetime.fromisoformat(d["computed_at"]), d["engine"])


@dataclass(frozen=True)
class Window:
    """What a figure is computed over: ``[lo, hi)`` in epoch seconds; ``hi`` is the period's end, or the moment the
    report was asked for when the period has not ended yet."""

    name: str  # "period" | "compare"
    lo: int
    hi: int


def windows(period: Period, compare: Period | None, now: dt.datetime) -> tuple[Window, Window | None]:
    """The period's window and the comparison's. A period not yet begun, or a comparison not before the period,
    is refused; a period still running is cut at ``now`` (a report of it so far)."""
    if period.start >= now:
        raise AnxinError(E.FUTURE_PERIOD, f"{period.label} has not begun", period=period.label)
    if compare is not None and compare.end > period.start:
        raise AnxinError(E.INVALID_COMPARE, f"the comparison period {compare.label} must end before "
                         f"{period.label} begins", field="compare")
    hi = min(period.end, now)
    main = Window("period", int(period.start.timestamp()), int(hi.timestamp()))
    other = None if compare is None else Window("compare", int(compare.start.timestamp()), int(compare.end.timestamp()))
    return main, other


def change(value: Number | None, compare: Number | None) -> float | None:
    if value is None or compare is None or compare == 0:
        return None
    return round((value - compare) / compare, 6)
