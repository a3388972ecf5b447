"""Hand-built service reports for the rendering tests (until the reports facade computes them from facts): every
unit, both directions of "better", a figure without data, one with a daily series and its comparison month's."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from anxin.core.principal import Principal
from anxin.reports.model import Figure, ServiceReport, Unsupported
from anxin.reports.periods import parse_period


def _days(period: str, f) -> tuple[tuple[str, float], ...]:
    p = parse_period(period)
    return tuple((f"{p}-{d:02d}", f(d)) for d in range(1, p.days + 1))


def _change(value: float | None, compare: float | None) -> float | None:
    return None if value is None or not compare else (value - compare) / compare


def figure(key: str, value: float | None, compare: float | None, unit: str, better: str, **kw) -> Figure:
    return Figure(key=key, value=value, compare=compare, change=_change(value, compare), unit=unit, better=better, **kw)


def sample_report(period: str = "2026-11", compare: str | None = "2026-10") -> ServiceReport:
    """A report shaped like the demo month's: the numbers are made up for the tests, and say so nowhere else."""
    consultations = _days(period, lambda d: float(round(120 + 10 * math.sin(d / 3) + d)))
    consultations_before = _days(compare, lambda d: float(round(150 + 8 * math.cos(d / 4)))) if compare else ()
    reply = _days(period, lambda d: round(0.82 + 0.004 * d, 4))
    reply_before = _days(compare, lambda d: round(0.78 + 0.002 * d, 4)) if compare else ()
    figures = (
        figure("malicious_aftersales_users", 31, 150, "count", "down"),
        figure("consultations_served", sum(v for _, v in consultations), sum(v for _, v in consultations_before),
               "count", "up", series=consultations, compare_series=consultations_before),
        figure("reply_3min_rate", 0.8742, 0.8123, "share", "up", series=reply, compare_series=reply_before),
        figure("avg_ship_hours", 21.5, 31.5, "hours", "down"),
        figure("instant_refund_coverage", 0.79, 0.81, "share", "up"),
        figure("extortion_gang_losses_fen", 1_234_550, 2_000_000, "fen", "down"),
        figure("csat", 4.62, 4.62, "score", "up"),
        figure("shipping_help_per_1000_orders", 2.35, 5.1, "per_1000_orders", "down"),
        figure("appeal_resolution_hours", None, 40.0, "hours", "down"),
        figure("sampling_coverage", 0.12, 0.0, "share", "up"),
    )
    unsupported = (Unsupported("credential_scraping_rate", "no_traffic_data"),
                   Unsupported("csat", "the care context publishes no satisfaction facts"))
    fingerprint = hashlib.sha256(f"facts {period} {compare}".encode()).hexdigest()
    return ServiceReport(report_id=f"rp_{period}_{fingerprint[:8]}", period=period, compare=compare,
                         figures=figures, unsupported=unsupported,
                         rulebooks={"guarantees": "guarantees-2026.10", "care": "care-2026.12", "risk": "risk-2026.11"},
                         fingerprint=fingerprint, computed_at=dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC),
                         engine="duckdb")


class SampleReports:
    """The facade's two calls over the sample: what ``Anxin.reports`` answers in these tests."""

    def __init__(self) -> None:
        self.built: list[tuple[str, str, str | None, str]] = []
        self.reports: dict[str, ServiceReport] = {}

    def build(self, who: Principal, period: str, compare: str | None = None, engine: str = "duckdb") -> ServiceReport:
        self.built.append((who.subject, period, compare, engine))
        report = sample_report(period, compare)
        self.reports[report.report_id] = report
        return report

    def get(self, report_id: str) -> ServiceReport:
        return self.reports[report_id]
