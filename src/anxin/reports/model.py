"""The service-experience report as a value (CARE_SPEC.md, Reports): figures for a period beside a comparison
period, the figures anxin cannot compute and why, the rulebooks in force and the fingerprint of the facts it was
computed from. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

UNITS = ("count", "share", "hours", "fen", "score", "per_1000_orders")
BETTER = ("up", "down")

Series = tuple[tuple[str, float], ...]  # daily points: (ISO date, value)


@dataclass(frozen=True)
class Figure:
    key: str  # e.g. "malicious_aftersales_users"
    value: int | float | None  # None when not computable from the data of that period
    compare: int | float | None
    change: float | None  # relative change (value - compare) / compare; None when compare is 0 or None
    unit: str  # one of UNITS
    better: str  # "up" | "down": which direction is an improvement
    series: Series = ()  # the period's daily points, for a chart; may be empty
    # The comparison period's daily points, drawn ghosted behind the period's (an addition to the spec's shape,
    # defaulted so the spec's constructor calls still hold).
    compare_series: Series = ()

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "compare": self.compare, "change": self.change,
                "unit": self.unit, "better": self.better, "series": [[d, v] for d, v in self.series],
                "compare_series": [[d, v] for d, v in self.compare_series]}


@dataclass(frozen=True)
class Unsupported:
    key: str
    reason: str  # why anxin cannot compute it (e.g. credential scraping: anxin sees no traffic)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "reason": self.reason}


@dataclass(frozen=True)
class ServiceReport:
    report_id: str
    period: str  # "2026-11"
    compare: str | None
    figures: tuple[Figure, ...]
    unsupported: tuple[Unsupported, ...]
    rulebooks: dict[str, str]  # kind -> version in force
    fingerprint: str  # sha256 of the facts snapshot
    computed_at: dt.datetime
    engine: str  # "duckdb" | "spark"

    def as_dict(self) -> dict[str, Any]:
        return {"report_id": self.report_id, "period": self.period, "compare": self.compare,
                "figures": [f.as_dict() for f in self.figures],
                "unsupported": [u.as_dict() for u in self.unsupported],
                "rulebooks": dict(sorted(self.rulebooks.items())), "fingerprint": self.fingerprint,
                "computed_at": self.computed_at.isoformat(), "engine": self.engine}
