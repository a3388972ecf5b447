"""The reports API's response: the service report as its JSON value (``ServiceReport.as_dict``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from anxin.web.schema import Instant, Out

Point = tuple[str, float]


class ReportFigure(Out):
    key: str = Field(description="the figure's stable key, e.g. malicious_aftersales_users")
    value: float | None = Field(description="the period's value; null when the period's data cannot support it")
    compare: float | None = Field(description="the comparison period's value")
    change: float | None = Field(description="relative change (value - compare) / compare; null when compare is 0 "
                                             "or null")
    unit: Literal["count", "share", "hours", "fen", "score", "per_1000_orders"] = Field(
        description="share: a fraction 0..1; fen: money in fen (100 fen = 1 yuan); hours: a duration")
    better: Literal["up", "down"] = Field(description="which direction is an improvement")
    series: list[Point] = Field(description="the period's daily points [ISO date, value], for a chart")
    compare_series: list[Point] = Field(description="the comparison period's daily points")


class UnsupportedFigure(Out):
    key: str
    reason: str = Field(description="why anxin cannot compute it")


class ServiceReport(Out):
    report_id: str
    period: str = Field(description="the month, YYYY-MM")
    compare: str | None = Field(description="the month compared with, YYYY-MM")
    figures: list[ReportFigure]
    unsupported: list[UnsupportedFigure] = Field(description="figures the seed reports name that anxin's data "
                                                             "cannot support: listed, never estimated")
    rulebooks: dict[str, str] = Field(description="rulebook kind → version in force")
    fingerprint: str = Field(description="sha256 of the facts snapshot the report was computed from")
    computed_at: Instant
    engine: str = Field(description="duckdb or spark")
