"""Estimated delivery, learned from history and revised at every scan. Pure: observations in, values out.

History (``TransitHistory``): each signed parcel is one observation of collection → sign-off time, in whole
seconds. Quantiles are nearest-rank (the value at rank ⌈p·n/100⌉ of the sorted samples), so every quantile is a
time some parcel really took: exact, deterministic, independent of insertion order.

Fallback: a group is used only when it holds at least ``min_samples`` observations (default 20, INF), trying
1. ``lane``     carrier × origin city × destination city (region codes cut to ``CN-HB-WH``, country-province-city),
2. ``province`` carrier × destination province (``CN-HB``): the origin is dropped, the destination kept,
3. ``carrier``  the carrier anywhere,
4. ``prior``    every observation on the platform, or, below ``min_samples`` even there, ``DEFAULT_PRIOR``
   (48 / 72 / 96 h, INF: typical domestic express). An unknown carrier or origin skips the levels that need it.
Observations with sign-off before collection (or naive times) are not learned from: they are counted in
``rejected``. Which observations to learn from (e.g. the last 90 days) is the caller's choice.

Incremental: ``TransitHistory`` is immutable. ``add`` returns a new history sharing every untouched group; it
copies the four groups the observation belongs to (O(group size), the platform group being the largest), so
``from_observations`` (one sort per group, O(n log n)) is the way to load a backlog.

Estimate (``estimate``): ``earliest``/``likely``/``latest`` = anchor + p50/p80/p95 of the chosen group, so the
"likely" date shown to the consumer is kept by four parcels in five. The anchor is
- before collection: the promise's ship-by, or ``now`` when there is none or it has passed (a parcel cannot be
  collected in the past); the merchant's own lateness is the late-shipment detector's business, not the ETA's;
- after collection: ``collected_at``; with no collection time but a moving (or exception) scan, that scan's time
  (it was collected by then at the latest).
Revision, applied in this order:
- a delivered scan: all three are the scan time;
- ``out_for_delivery``: delivered today: earliest = now, likely = latest = the end of the local day (23:59:59);
- overdue (``now`` past anchor + p80): the same quantiles of the parcels that took longer than this one has
  already taken (the group's survivors), i.e. the ETA given the time already spent; when no parcel in the group
  was ever this slow, the remaining tail is ``max(p95 − p50, 6 h)``: earliest = now, likely = now + tail,
  latest = now + 2 × tail (INF);
- an exception scan (returned/refused/lost) keeps the estimate but marks the stage, so notices can say so.
The scan's region is carried as evidence only: history holds end-to-end times, not per-hop ones.
"""

from __future__ import annotations

import datetime as dt
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from anxin.orders.published import FulfilmentRulebook, normalise_carrier

BASES = ("lane", "province", "carrier", "prior")
STAGES = ("awaiting_collection", "in_transit", "overdue", "out_for_delivery", "delivered", "exception")
RULE_IDS = {
    "awaiting_collection": "F.ETA.BEFORE_COLLECTION",
    "in_transit": "F.ETA.IN_TRANSIT",
    "overdue": "F.ETA.OVERDUE_SURVIVORS",
    "overdue_tail": "F.ETA.OVERDUE_TAIL",
    "out_for_delivery": "F.ETA.OUT_FOR_DELIVERY",
    "delivered": "F.ETA.DELIVERED",
    "exception": "F.ETA.EXCEPTION",
    "late_vs_eta": "F.NOTICE.LATE_VS_ETA",
    "stalled": "F.NOTICE.STALLED",
    "notice_exception": "F.NOTICE.EXCEPTION",
}
NOTICE_KINDS = ("late_vs_eta", "stalled", "exception")
DEFAULT_MIN_SAMPLES = 20
MIN_TAIL_SECONDS = 6 * 3600
OUT_FOR_DELIVERY = "out_for_delivery"
# The shipped fulfilment rulebook's scan classes and thresholds, used when no rulebook is passed.
_MOVED = frozenset({"collected", "picked_up", "in_transit", "arrived", "departed", "out_for_delivery"})
_DELIVERED = frozenset({"delivered", "signed"})
_EXCEPTION = frozenset({"returned", "refused", "lost"})
_STALLED_HOURS = 72
_OFFSET = dt.timedelta(hours=8)


def _aware(value: dt.datetime) -> bool:
    return value.utcoffset() is not None


def city(region: str) -> str:
    """``cn-hb-wh-01`` → ``CN-HB-WH``: lanes are learned per city."""
    return "-".join(region.strip().upper().split("-")[:3])


def province(region: str) -> str:
    """``CN-HB-WH`` → ``CN-HB``: the first two parts (country-province)."""
    return "-".join(region.strip().upper().split("-")[:2])


@dataclass(frozen=True)
class TransitObservation:
    carrier: str
    origin_region: str
    destination_region: str
    collected_at: dt.datetime
    signed_at: dt.datetime

    @property
    def valid(self) -> bool:
        return _aware(self.collected_at) and _aware(self.signed_at) and self.signed_at >= self.collected_at

    @property
    def seconds(self) -> int:
        delta = self.signed_at - self.collected_at
        return delta.days * 86_400 + delta.seconds  # whole seconds, sub-second parts dropped


@dataclass(frozen=True)
class TransitQuantiles:
    basis: str  # lane | province | carrier | prior
    key: str  # the group, e.g. "lane|yto|CN-ZJ-HZ|CN-BJ-BJ"; "prior|default" for DEFAULT_PRIOR
    samples: int
    p50: int  # seconds
    p80: int
    p95: int


DEFAULT_PRIOR = TransitQuantiles("prior", "prior|default", 0, 48 * 3600, 72 * 3600, 96 * 3600)

_Key = tuple[str, ...]


def nearest_rank(sorted_seconds: tuple[int, ...] | list[int], percent: int) -> int:
    """The value at rank ⌈percent·n/100⌉ (1-based) of a non-empty ascending sequence."""
    n = len(sorted_seconds)
    if n == 0:
        raise ValueError("no samples")
    if not 0 < percent <= 100:
        raise ValueError("percent must be in (0, 100]")
    return sorted_seconds[max(1, -(-percent * n // 100)) - 1]


def _quantiles(basis: str, key: _Key, values: tuple[int, ...]) -> TransitQuantiles:
    return TransitQuantiles(basis, "|".join(key), len(values), nearest_rank(values, 50), nearest_rank(values, 80),
                            nearest_rank(values, 95))


def _keys(carrier: str | None, origin: str | None, destination: str | None) -> list[tuple[str, _Key]]:
    """The groups an order (or observation) falls in, most specific first."""
    keys: list[tuple[str, _Key]] = []
    if carrier is not None and carrier.strip():
        c = normalise_carrier(carrier)
        if origin and destination:
            keys.append(("lane", ("lane", c, city(origin), city(destination))))
        if destination:
            keys.append(("province", ("province", c, province(destination))))
        keys.append(("carrier", ("carrier", c)))
    keys.append(("prior", ("prior", "platform")))
    return keys


@dataclass(frozen=True)
class TransitHistory:
    min_samples: int = DEFAULT_MIN_SAMPLES
    default_prior: TransitQuantiles = DEFAULT_PRIOR
    groups: Mapping[_Key, tuple[int, ...]] = field(default_factory=dict, repr=False, hash=False)
    rejected: int = 0  # observations not learned from (sign-off before collection, naive times)

    def __post_init__(self) -> None:
        if self.min_samples < 1:
            raise ValueError("min_samples must be at least 1")

    @classmethod
    def from_observations(cls, observations: Iterable[TransitObservation], *,
                          min_samples: int = DEFAULT_MIN_SAMPLES,
                          default_prior: TransitQuantiles = DEFAULT_PRIOR) -> TransitHistory:
        groups: dict[_Key, list[int]] = defaultdict(list)
        rejected = 0
        for obs in observations:
            if not obs.valid:
                rejected += 1
                continue
            for _, key in _keys(obs.carrier, obs.origin_region, obs.destination_region):
                groups[key].append(obs.seconds)
        return cls(min_samples, default_prior, {k: tuple(sorted(v)) for k, v in groups.items()}, rejected)

    def add(self, obs: TransitObservation) -> TransitHistory:
        """A new history with one more observation; this one is unchanged."""
        if not obs.valid:
            return TransitHistory(self.min_samples, self.default_prior, self.groups, self.rejected + 1)
        groups = dict(self.groups)
        for _, key in _keys(obs.carrier, obs.origin_region, obs.destination_region):
            values = list(groups.get(key, ()))
            insort(values, obs.seconds)
            groups[key] = tuple(values)
        return TransitHistory(self.min_samples, self.default_prior, groups, self.rejected)

    def __len__(self) -> int:
        return len(self.groups.get(("prior", "platform"), ()))

    def lookup(self, carrier: str | None, origin_region: str | None,
               destination_region: str | None) -> tuple[TransitQuantiles, tuple[int, ...]]:
        """The quantiles of the most specific group with enough samples, and that group's samples."""
        for basis, key in _keys(carrier, origin_region, destination_region):
            values = self.groups.get(key, ())
            if len(values) >= self.min_samples:
                return _quantiles(basis, key, values), values
        return self.default_prior, ()

    def quantiles(self, carrier: str | None, origin_region: str | None,
                  destination_region: str | None) -> TransitQuantiles:
        return self.lookup(carrier, origin_region, destination_region)[0]


@dataclass(frozen=True)
class LastScan:
    status: str
    at: dt.datetime
    region: str | None = None

    @property
    def kind(self) -> str:
        return self.status.strip().lower()


@dataclass(frozen=True)
class EtaInput:
    carrier: str | None  # None before the merchant has chosen one: only the prior applies
    origin_region: str | None
    destination_region: str | None
    paid_at: dt.datetime
    ship_by: dt.datetime | None = None  # the promise's ship-by
    collected_at: dt.datetime | None = None
    last_scan: LastScan | None = None


@dataclass(frozen=True)
class Eta:
    earliest: dt.datetime
    likely: dt.datetime
    latest: dt.datetime
    basis: str  # lane | province | carrier | prior
    samples: int  # in the group used (survivors when overdue)
    revised_at: dt.datetime
    stage: str
    anchor: dt.datetime  # collection (or the expected one) the quantiles are added to
    group: str
    rule_id: str
    rulebook_version: str | None  # the fulfilment rulebook whose scan classes were used; None: built-in ones

    def as_dict(self) -> dict[str, object]:
        return {"earliest": self.earliest.isoformat(), "likely": self.likely.isoformat(),
                "latest": self.latest.isoformat(), "basis": self.basis, "samples": self.samples,
                "revised_at": self.revised_at.isoformat(), "stage": self.stage, "anchor": self.anchor.isoformat(),
                "group": self.group, "rule_id": self.rule_id, "rulebook_version": self.rulebook_version}

    @classmethod
    def from_dict(cls, raw: Mapping[str, object]) -> Eta:
        def at(name: str) -> dt.datetime:
            return dt.datetime.fromisoformat(str(raw[name]))

        version = raw.get("rulebook_version")
        return cls(at("earliest"), at("likely"), at("latest"), str(raw["basis"]), int(str(raw["samples"])),
                   at("revised_at"), str(raw["stage"]), at("anchor"), str(raw["group"]), str(raw["rule_id"]),
                   None if version is None else str(version))


def end_of_local_day(at: dt.datetime, offset: dt.timedelta = _OFFSET) -> dt.datetime:
    """The last whole second of ``at``'s local day, in UTC."""
    local = at.astimezone(dt.UTC) + offset
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) - offset
    return midnight - dt.timedelta(seconds=1)


def _classes(rb: FulfilmentRulebook | None) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    if rb is None:
        return _MOVED, _DELIVERED, _EXCEPTION
    s = rb.statuses
    return s.collection | s.in_transit, s.delivered, s.exception


@dataclass(frozen=True)
class _Basis:
    q: TransitQuantiles
    now: dt.datetime
    version: str | None

    def eta(self, earliest: dt.datetime, likely: dt.datetime, latest: dt.datetime, stage: str, anchor: dt.datetime,
            *, samples: int | None = None, rule: str | None = None) -> Eta:
        return Eta(earliest, likely, latest, self.q.basis, self.q.samples if samples is None else samples, self.now,
                   stage, anchor, self.q.key, RULE_IDS[rule or stage], self.version)

    def plus(self, anchor: dt.datetime, stage: str) -> Eta:
        p50, p80, p95 = (anchor + dt.timedelta(seconds=s) for s in (self.q.p50, self.q.p80, self.q.p95))
        return self.eta(p50, p80, p95, stage, anchor)


def estimate(order: EtaInput, history: TransitHistory, now: dt.datetime, *,
             rb: FulfilmentRulebook | None = None) -> Eta:
    """The estimate as of ``now`` (call it again at every scan). ``rb`` supplies the scan classes and the local
    day; without it the shipped rulebook's values are used."""
    for name, value in (("paid_at", order.paid_at), ("now", now), ("ship_by", order.ship_by),
                        ("collected_at", order.collected_at),
                        ("last_scan.at", order.last_scan.at if order.last_scan else None)):
        if value is not None and not _aware(value):
            raise ValueError(f"{name}: needs a UTC offset")
    moved, delivered, exception = _classes(rb)
    offset = rb.local_offset if rb is not None else _OFFSET
    q, values = history.lookup(order.carrier, order.origin_region, order.destination_region)
    b = _Basis(q, now, rb.version if rb is not None else None)
    scan = order.last_scan
    kind = scan.kind if scan is not None else None

    if scan is not None and kind in delivered:
        return b.eta(scan.at, scan.at, scan.at, "delivered", order.collected_at or scan.at)
    collected = order.collected_at
    if collected is None and scan is not None and (kind in moved or kind in exception):
        collected = scan.at  # a carrier had the parcel by then at the latest
    if collected is None:
        return b.plus(max(order.ship_by, now) if order.ship_by is not None else now, "awaiting_collection")
    if kind == OUT_FOR_DELIVERY:
        eod = max(end_of_local_day(now, offset), now)
        return b.eta(now, eod, eod, "out_for_delivery", collected)
    if kind in exception:
        return b.plus(collected, "exception")
    if now <= collected + dt.timedelta(seconds=q.p80):
        return b.plus(collected, "in_transit")
    spent = (now - collected) // dt.timedelta(seconds=1)
    survivors = [v for v in values if v > spent]  # values are sorted, so survivors are too
    if survivors:
        p50, p80, p95 = (collected + dt.timedelta(seconds=nearest_rank(survivors, p)) for p in (50, 80, 95))
        return b.eta(max(p50, now), p80, p95, "overdue", collected, samples=len(survivors))
    tail = dt.timedelta(seconds=max(q.p95 - q.p50, MIN_TAIL_SECONDS))
    return b.eta(now, now + tail, now + 2 * tail, "overdue", collected, samples=0, rule="overdue_tail")


# --- proactive notices -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoticeNeed:
    """Why the consumer should hear from us before they ask. ``since`` is when it became true (stable)."""

    kind: str  # late_vs_eta | stalled | exception
    reason: str  # past_likely_eta | no_scan_72h | scan_lost, scan_returned, ...
    since: dt.datetime
    rule_id: str
    rulebook_version: str | None


def is_late(eta: Eta, now: dt.datetime) -> bool:
    """True once ``now`` is past the likely time of the estimate the consumer was shown (not a revised one:
    a revised estimate moves with the parcel and would never be late)."""
    return eta.stage != "delivered" and now > eta.likely


def notice_needs(shown: Eta, now: dt.datetime, last_scan: LastScan | None, *,
                 rb: FulfilmentRulebook | None = None, stalled_hours: int | None = None) -> tuple[NoticeNeed, ...]:
    """Notices due now. Delivered: none. An exception scan: only that one (lateness is moot). Otherwise a stall
    (no scan for ``stalled_hours``, the rulebook's by default; strictly past the window, like the detectors) and
    lateness against the shown estimate, in that order."""
    _, delivered, exception = _classes(rb)
    version = rb.version if rb is not None else None
    hours = stalled_hours if stalled_hours is not None else (
        rb.detectors.stalled_hours if rb is not None else _STALLED_HOURS)
    if last_scan is not None and last_scan.kind in delivered:
        return ()
    if last_scan is not None and last_scan.kind in exception:
        return (NoticeNeed("exception", f"scan_{last_scan.kind}", last_scan.at, RULE_IDS["notice_exception"],
                           version),)
    needs: list[NoticeNeed] = []
    if last_scan is not None and now > last_scan.at + dt.timedelta(hours=hours):
        needs.append(NoticeNeed("stalled", f"no_scan_{hours}h", last_scan.at + dt.timedelta(hours=hours),
                                RULE_IDS["stalled"], version))
    if is_late(shown, now):
        needs.append(NoticeNeed("late_vs_eta", "past_likely_eta", shown.likely, RULE_IDS["late_vs_eta"], version))
    return tuple(needs)
