"""Worry-free vs other orders: 24-hour ship rate, next-day delivery, complaint and after-sale rates.

The claim of the programme (worry-free orders ship and arrive faster and draw fewer complaints and after-sale
requests) measured over the orders paid in a period, split by ``Order.worry_free``:

- ``ship_24h``: shipped (tracking uploaded) within 24 hours of payment, of the orders whose 24 hours have passed
  (or that have shipped);
- ``next_day_delivery``: signed for on the local day (UTC+8) after payment or earlier, of the orders whose next
  local day has ended (or that are signed);
- ``product_complaint``: orders with a complaint about the product (quality or false advertising), of all orders;
- ``after_sale``: orders with at least one after-sale case, of all orders.
Orders cancelled before they shipped are left out of every rate. Each rate comes with its numerator and
denominator; a rate with no denominator is None (nothing to judge), never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from anxin.access.service import require_role
from anxin.aftersales import service as aftersales
from anxin.care import service as care
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UowFactory
from anxin.orders import service as orders
from anxin.worryfree.pool_error_codes import PoolErrorCode as E

VERSION = "worryfree-metrics-2026.12.1"
SHIP_WITHIN = dt.timedelta(hours=24)
LOCAL = dt.timezone(dt.timedelta(hours=8))
PRODUCT_REASONS = frozenset({"quality", "false_advertising"})
METRICS = ("ship_24h", "next_day_delivery", "product_complaint", "after_sale")
BETTER = {"ship_24h": "higher", "next_day_delivery": "higher", "product_complaint": "lower", "after_sale": "lower"}
GROUPS = ("worry_free", "other")
MAX_DAYS = 366
READERS = (Role.CREATOR, Role.OPERATOR, Role.PLATFORM)


@dataclass(frozen=True)
class MetricOrder:
    order_id: str
    worry_free: bool
    paid_at: dt.datetime
    shipped_at: dt.datetime | None
    signed_at: dt.datetime | None
    cancelled_at: dt.datetime | None


@dataclass(frozen=True)
class Rate:
    num: int
    den: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.num, self.den) if self.den else None

    def as_dict(self) -> dict[str, Any]:
        v = self.value
        return {"num": self.num, "den": self.den, "rate": None if v is None else round(float(v), 6),
                "percent": None if v is None else percent(v)}


def percent(v: Fraction) -> str:
    """A share as a percentage with one decimal, rounded half up: 2/3 -> "66.7%"."""
    tenths = (v * 1000 + Fraction(1, 2)).__floor__()
    return f"{tenths // 10}.{tenths % 10}%"


@dataclass(frozen=True)
class GroupMetrics:
    orders: int
    rates: dict[str, Rate]

    def as_dict(self) -> dict[str, Any]:
        return {"orders": self.orders, **{k: self.rates[k].as_dict() for k in METRICS}}


@dataclass(frozen=True)
class ProgrammeMetrics:
    since: dt.datetime
    until: dt.datetime
    as_of: dt.datetime
    groups: dict[str, GroupMetrics]

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "as_of": self.as_of.isoformat(),
                "version": VERSION, "better": dict(BETTER),
                "groups": {g: self.groups[g].as_dict() for g in GROUPS}}


def next_day_end(paid_at: dt.datetime) -> dt.datetime:
    """The end of the local day after the day of payment (UTC+8)."""
    day = paid_at.astimezone(LOCAL).date() + dt.timedelta(days=2)
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL)


def compute(rows: Iterable[MetricOrder], complaints: Mapping[str, set[str]], with_cases: set[str], *,
            now: dt.datetime) -> dict[str, GroupMetrics]:
    """The four rates per group. Pure."""
    counts = {g: {m: [0, 0] for m in METRICS} for g in GROUPS}
    totals = dict.fromkeys(GROUPS, 0)
    for o in rows:
        if o.cancelled_at is not None and o.shipped_at is None:
            continue
        g = "worry_free" if o.worry_free else "other"
        c = counts[g]
        totals[g] += 1
        ship_by = o.paid_at + SHIP_WITHIN
        if o.shipped_at is not None or ship_by <= now:
            c["ship_24h"][1] += 1
            c["ship_24h"][0] += o.shipped_at is not None and o.shipped_at <= ship_by
        deliver_by = next_day_end(o.paid_at)
        if o.signed_at is not None or deliver_by <= now:
            c["next_day_delivery"][1] += 1
            c["next_day_delivery"][0] += o.signed_at is not None and o.signed_at < deliver_by
        c["product_complaint"][1] += 1
        c["product_complaint"][0] += bool(complaints.get(o.order_id, set()) & PRODUCT_REASONS)
        c["after_sale"][1] += 1
        c["after_sale"][0] += o.order_id in with_cases
    return {g: GroupMetrics(totals[g], {m: Rate(*counts[g][m]) for m in METRICS}) for g in GROUPS}


class ProgrammeMetricsReader:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def period(self, since: dt.datetime | None, until: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
        now = self.clock.now()
        until = until or now
        since = since or until - dt.timedelta(days=30)
        if since >= until:
            raise AnxinError(E.INVALID_PERIOD, "since must be before until", field="since")
        if until - since > dt.timedelta(days=MAX_DAYS):
            raise AnxinError(E.INVALID_PERIOD, f"a period is at most {MAX_DAYS} days", field="since")
        return since, until

    def metrics(self, who: Principal, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None) -> ProgrammeMetrics:
        """Orders paid in [since, until) (default: the last 30 days), judged as of now."""
        require_role(who, *READERS)
        since, until = self.period(since, until)
        now = self.clock.now()
        with self.uow_factory() as uow:
            paid = [o for o, _ in orders.orders_paid_between(uow, None, since, until)]
            rows = [MetricOrder(o.order_id, o.worry_free, o.paid_at, o.shipped_at,
                                o.signed_at, o.cancelled_at) for o in paid]
            ids = [r.order_id for r in rows]
            complaints = care.complaint_reasons_of_orders(uow, ids)
            with_cases = aftersales.cases_of_orders(uow, ids)
        return ProgrammeMetrics(since, until, now, compute(rows, complaints, with_cases, now=now))
