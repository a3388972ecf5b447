"""Fulfilment metrics per shop and for the platform, over a window. Pure, integers and exact fractions only.

Definitions (legacy 揽收及时率 / 订单配送时长, RULES.md §1.2; windows are half-open ``[start, end)``):
- **Exclusions**: presale orders, and cancelled orders that were never collected (nothing was shipped), take
  part in no figure; they are only counted. A cancelled order that *was* collected (intercepted, refused) was
  shipped, so it counts like any other.
- **Collection rates** (``collected_within_24h/36h/48h``): orders *collected in the window* with
  (collection − payment) **strictly less than** X h, over those orders (the legacy "< X h / collected orders").
  A collection at exactly 24:00:00 is not within 24 h. Buckets: [0, 24), [24, 36), [36, 48), [48, ∞) hours.
  Note the detectors' ship-by window is closed (collected exactly at ship-by is in time): the two rules differ
  by that one instant, on purpose, each following its source.
- **Average payment → collection**: over the same collected orders. **Average collection → sign-off**: over
  orders *signed in the window* that have a collection time (legacy "signed orders"). Whole seconds, the mean
  rounded to the nearest second (halves up); the exact totals are given too, so windows can be re-aggregated.
- **Shipped within 48 h** (``shipped_within_48h``): denominator = orders whose 48-hour mark (payment + 48 h)
  falls in the window; numerator = those collected strictly before it. Judging each order in the window where
  its 48 h run out makes the share final at the window's end (an order paid an hour before the end is judged
  in the next window), and, unlike the legacy rate, an order never shipped counts against the shop.
- **Exception rate**: collected-in-window orders flagged ``exception``, over the collected-in-window orders.
- Orders whose times are out of order (collected before payment, signed before collection or payment) are
  left out of every figure and counted in ``impossible``.
No facts after the window's end are used, so a window's metrics never change once it has closed.
A rate with an empty denominator, or an average over nothing, is None.

Daily series (``daily_series``): orders belong to the local day (UTC+8 by default) of their *payment*, so a
day's point follows one cohort of orders to its conclusion; points whose 48 h have not all run out by
``as_of`` are marked incomplete and judge only the orders whose 48 h have.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from anxin.fulfilment.detectors import KINDS, Finding

METRICS_RULE_ID = "F.METRICS.FULFILMENT"
H24, H36, H48 = (dt.timedelta(hours=h) for h in (24, 36, 48))
_SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Rate:
    """An exact share: ``numerator / denominator`` with 0 ≤ numerator ≤ denominator and denominator > 0."""

    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if not 0 <= self.numerator <= self.denominator or self.denominator <= 0:
            raise ValueError(f"not a rate: {self.numerator}/{self.denominator}")

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    @property
    def display(self) -> str:
        """Percent with one decimal, halves up: 7/8 → "87.5%", 2/3 → "66.7%"."""
        tenths = (2000 * self.numerator + self.denominator) // (2 * self.denominator)
        return f"{tenths // 10}.{tenths % 10}%"

    def as_dict(self) -> dict[str, object]:
        return {"numerator": self.numerator, "denominator": self.denominator, "display": self.display}


def rate(numerator: int, denominator: int) -> Rate | None:
    return Rate(numerator, denominator) if denominator else None


def mean_seconds(total: int, count: int) -> int | None:
    """Nearest whole second, halves up; None over nothing."""
    return (2 * total + count) // (2 * count) if count else None


def hours_display(seconds: int | None) -> str | None:
    """Hours with one decimal, halves up: 5_400 → "1.5"."""
    if seconds is None:
        return None
    tenths = (2 * seconds + 360) // 720
    return f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True)
class MetricOrder:
    shop_id: str
    paid_at: dt.datetime
    collected_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    presale: bool = False
    cancelled: bool = False
    exception: bool = False

    def __post_init__(self) -> None:
        for name in ("paid_at", "collected_at", "signed_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name}: needs a UTC offset")

    @property
    def excluded(self) -> bool:
        return self.presale or (self.cancelled and self.collected_at is None)

    @property
    def impossible(self) -> bool:
        c, s = self.collected_at, self.signed_at
        if c is not None and c < self.paid_at:
            return True
        return s is not None and (s < self.paid_at or (c is not None and s < c))


@dataclass(frozen=True)
class CollectionBuckets:
    under_24h: int = 0
    from_24h_to_36h: int = 0
    from_36h_to_48h: int = 0
    from_48h: int = 0  # 48 h or more


@dataclass(frozen=True)
class MetricCounts:
    paid: int  # paid in the window, before exclusions
    presale: int  # of those: presale (excluded everywhere)
    cancelled: int  # of those: cancelled and never collected (excluded everywhere)
    collected: int  # collected in the window: denominator of the collection rates and the exception rate
    signed: int  # signed in the window with a collection time: denominator of the collection → sign-off average
    due_48h: int  # 48-h mark in the window: denominator of shipped_within_48h
    exceptions: int
    signed_without_collection: int  # signed in the window, no collection time: not in the transit average
    impossible: int  # times out of order: left out of every figure


@dataclass(frozen=True)
class FulfilmentMetrics:
    shop_id: str | None  # None: the whole platform
    window_start: dt.datetime
    window_end: dt.datetime
    collected_within_24h: Rate | None
    collected_within_36h: Rate | None
    collected_within_48h: Rate | None
    buckets: CollectionBuckets
    avg_payment_to_collection_seconds: int | None
    avg_collection_to_signoff_seconds: int | None
    payment_to_collection_total_seconds: int
    collection_to_signoff_total_seconds: int
    shipped_within_48h: Rate | None
    exception_rate: Rate | None
    counts: MetricCounts
    rule_id: str = METRICS_RULE_ID

    def as_dict(self) -> dict[str, object]:
        def r(x: Rate | None) -> dict[str, object] | None:
            return x.as_dict() if x is not None else None

        return {"shop_id": self.shop_id, "window_start": self.window_start.isoformat(),
                "window_end": self.window_end.isoformat(), "collected_within_24h": r(self.collected_within_24h),
                "collected_within_36h": r(self.collected_within_36h),
                "collected_within_48h": r(self.collected_within_48h), "buckets": vars(self.buckets).copy(),
                "avg_payment_to_collection_seconds": self.avg_payment_to_collection_seconds,
                "avg_collection_to_signoff_seconds": self.avg_collection_to_signoff_seconds,
                "shipped_within_48h": r(self.shipped_within_48h), "exception_rate": r(self.exception_rate),
                "counts": vars(self.counts).copy(), "rule_id": self.rule_id}


def local_midnight(day: dt.date, offset_hours: int = 8) -> dt.datetime:
    """The UTC instant at which ``day`` starts in local time."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=offset_hours)


def local_day(at: dt.datetime, offset_hours: int = 8) -> dt.date:
    return (at.astimezone(dt.UTC) + dt.timedelta(hours=offset_hours)).date()


def local_window(last_day: dt.date, days: int, offset_hours: int = 8) -> tuple[dt.datetime, dt.datetime]:
    """The ``days`` local days ending with ``last_day`` (inclusive), as a half-open UTC window."""
    if days < 1:
        raise ValueError("days must be positive")
    end = local_midnight(last_day + dt.timedelta(days=1), offset_hours)
    return end - dt.timedelta(days=days), end


def _bound(value: dt.datetime | dt.date, offset_hours: int, name: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            raise ValueError(f"{name}: needs a UTC offset (or pass a date: local midnight)")
        return value.astimezone(dt.UTC)
    return local_midnight(value, offset_hours)


def _collection_delay(o: MetricOrder) -> dt.timedelta:
    assert o.collected_at is not None
    return o.collected_at - o.paid_at


def fulfilment_metrics(orders: Iterable[MetricOrder], *, window_start: dt.datetime | dt.date,
                       window_end: dt.datetime | dt.date, rb_offset_hours: int = 8,
                       shop_id: str | None = None) -> FulfilmentMetrics:
    """Metrics over the window for the orders given (all of them; filter by shop first, or use ``by_shop``).
    A date bound means local midnight at ``rb_offset_hours`` (an end date is exclusive)."""
    start = _bound(window_start, rb_offset_hours, "window_start")
    end = _bound(window_end, rb_offset_hours, "window_end")
    if end <= start:
        raise ValueError("window_end must be after window_start")

    def inside(at: dt.datetime | None) -> bool:
        return at is not None and start <= at < end

    paid = presale = cancelled = impossible = exceptions = signed_bare = 0
    buckets = [0, 0, 0, 0]
    collect_total = signoff_total = signed = due = shipped = 0
    for o in orders:
        if inside(o.paid_at):
            paid += 1
            presale += o.presale
            cancelled += not o.presale and o.excluded
        if o.excluded:
            continue
        is_collected, is_signed, is_due = inside(o.collected_at), inside(o.signed_at), inside(o.paid_at + H48)
        if not (is_collected or is_signed or is_due):
            continue
        if o.impossible:
            impossible += 1
            continue
        if is_collected:
            delay = _collection_delay(o)
            buckets[0 if delay < H24 else 1 if delay < H36 else 2 if delay < H48 else 3] += 1
            collect_total += delay // _SECOND
            exceptions += o.exception
        if is_signed and o.collected_at is None:
            signed_bare += 1
        elif is_signed and o.signed_at is not None and o.collected_at is not None:
            signed += 1
            signoff_total += (o.signed_at - o.collected_at) // _SECOND
        if is_due:
            due += 1
            shipped += o.collected_at is not None and _collection_delay(o) < H48
    collected = sum(buckets)
    return FulfilmentMetrics(
        shop_id=shop_id, window_start=start, window_end=end,
        collected_within_24h=rate(buckets[0], collected),
        collected_within_36h=rate(sum(buckets[:2]), collected),
        collected_within_48h=rate(sum(buckets[:3]), collected),
        buckets=CollectionBuckets(*buckets),
        avg_payment_to_collection_seconds=mean_seconds(collect_total, collected),
        avg_collection_to_signoff_seconds=mean_seconds(signoff_total, signed),
        payment_to_collection_total_seconds=collect_total, collection_to_signoff_total_seconds=signoff_total,
        shipped_within_48h=rate(shipped, due), exception_rate=rate(exceptions, collected),
        counts=MetricCounts(paid, presale, cancelled, collected, signed, due, exceptions, signed_bare, impossible))


def by_shop(orders: Iterable[MetricOrder], *, window_start: dt.datetime | dt.date,
            window_end: dt.datetime | dt.date, rb_offset_hours: int = 8) -> dict[str, FulfilmentMetrics]:
    """One entry per shop that has any order among those given, in shop-id order (figures may all be None)."""
    groups: dict[str, list[MetricOrder]] = defaultdict(list)
    for o in orders:
        groups[o.shop_id].append(o)
    return {shop: fulfilment_metrics(groups[shop], window_start=window_start, window_end=window_end,
                                     rb_offset_hours=rb_offset_hours, shop_id=shop) for shop in sorted(groups)}


def findings_by_kind(findings: Iterable[Finding], *, shop_id: str | None = None,
                     window_start: dt.datetime | None = None, window_end: dt.datetime | None = None) -> dict[str, int]:
    """Every known kind (0 when absent, in ``KINDS`` order), then any unknown kind in name order. Optionally one
    shop's, and only findings whose ``at`` is in ``[window_start, window_end)``."""
    counts = Counter(f.kind for f in findings
                     if (shop_id is None or f.shop_id == shop_id)
                     and (window_start is None or f.at >= window_start)
                     and (window_end is None or f.at < window_end))
    out = {kind: counts.pop(kind, 0) for kind in KINDS}
    out.update(sorted(counts.items()))
    return out


@dataclass(frozen=True)
class DailyPoint:
    day: dt.date  # local payment date
    paid: int  # paid that day, before exclusions
    eligible: int  # not presale, not cancelled-uncollected, times in order
    collected: int  # eligible and collected (by ``as_of``)
    collected_within_48h: Rate | None  # legacy: of the collected, collected < 48 h after payment
    shipped_within_48h: Rate | None  # of the eligible whose 48 h have run out, collected < 48 h after payment
    avg_payment_to_collection_seconds: int | None
    avg_collection_hours: str | None  # the same average in hours, one decimal, for display
    complete: bool  # every order of the day has had its 48 h by ``as_of``


def daily_series(orders: Iterable[MetricOrder], start_day: dt.date, days: int, offset_hours: int = 8, *,
                 as_of: dt.datetime | None = None) -> list[DailyPoint]:
    """One point per local day from ``start_day``, orders by their local payment date. Facts after ``as_of``
    (when given) are ignored, so a chart drawn at ``as_of`` can be reproduced later."""
    if days < 0:
        raise ValueError("days must not be negative")
    if as_of is not None and as_of.utcoffset() is None:
        raise ValueError("as_of: needs a UTC offset")
    by_day: dict[dt.date, list[MetricOrder]] = defaultdict(list)
    last = start_day + dt.timedelta(days=days)
    for o in orders:
        day = local_day(o.paid_at, offset_hours)
        if start_day <= day < last:
            by_day[day].append(o)
    return [_point(start_day + dt.timedelta(days=i), by_day.get(start_day + dt.timedelta(days=i), []),
                   offset_hours, as_of) for i in range(days)]


def _point(day: dt.date, orders: list[MetricOrder], offset_hours: int, as_of: dt.datetime | None) -> DailyPoint:
    eligible = collected = within = matured = shipped = total = 0
    for o in orders:
        if o.excluded or o.impossible:
            continue
        eligible += 1
        known = o.collected_at is not None and (as_of is None or o.collected_at <= as_of)
        fast = known and _collection_delay(o) < H48
        if known:
            collected += 1
            within += fast
            total += _collection_delay(o) // _SECOND
        if as_of is None or o.paid_at + H48 <= as_of:
            matured += 1
            shipped += fast
    avg = mean_seconds(total, collected)
    complete = as_of is None or as_of >= local_midnight(day + dt.timedelta(days=1), offset_hours) + H48
    return DailyPoint(day, len(orders), eligible, collected, rate(within, collected), rate(shipped, matured), avg,
                      hours_display(avg), complete)
