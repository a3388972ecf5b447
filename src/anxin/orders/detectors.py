"""Fulfilment detectors: late shipment, fake shipment, false inventory, stalled parcels and odd data. Pure.

Each detector states a fact about time windows, never about "now": a finding's ``at`` is the moment it became
true (a late shipment is late *at* its ship-by time) and ``now`` only decides whether a window has closed yet.
So a finding, once true, stays true, and running detection incrementally (``detect_order``) or in batch
(``detect_batch``) over the same data gives the same findings with the same ids.

Window convention: a window ``[start, start + N h]`` is closed; an event exactly at its end is in time, and a
violation is established only once ``now`` is past the end.

Scans are cleaned before anything is judged: exact duplicates are dropped, scans are sorted by ``scanned_at``
and scans with impossible times (before payment, after ``now``) are set aside; each of these is reported once
as a ``data.*`` finding, so nothing the platform sent is silently lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anxin.orders.fulfilment_rules import FulfilmentRulebook, region_within
from anxin.orders.model import Promise, Scan, normalise_carrier

RULE_IDS = {
    "late_shipment": "F.LATE_SHIPMENT",
    "fake_shipment.tracking_reused": "F.FAKE.TRACKING_REUSED",
    "fake_shipment.no_carrier_scan": "F.FAKE.NO_CARRIER_SCAN",
    "fake_shipment.never_left_origin": "F.FAKE.NEVER_LEFT_ORIGIN",
    "fake_shipment.route_mismatch": "F.FAKE.ROUTE_MISMATCH",
    "listing.repeated_late": "F.LISTING.REPEATED_LATE",
    "listing.oversold": "F.LISTING.OVERSOLD",
    "parcel.stalled": "F.PARCEL.STALLED",
    "parcel.exception": "F.PARCEL.EXCEPTION",
    "data.scan_out_of_order": "F.DATA.SCAN_OUT_OF_ORDER",
    "data.duplicate_scan": "F.DATA.DUPLICATE_SCAN",
    "data.impossible_time": "F.DATA.IMPOSSIBLE_TIME",
}
KINDS = tuple(RULE_IDS)


@dataclass(frozen=True)
class ScanView:
    carrier: str
    tracking_no: str
    status: str
    location: str
    scanned_at: dt.datetime
    region: str | None = None  # the location's region code, resolved by the caller; None when unknown

    @classmethod
    def of(cls, scan: Scan, region: str | None = None) -> ScanView:
        return cls(scan.carrier, scan.tracking_no, scan.status, scan.location, scan.scanned_at, region)

    @property
    def kind(self) -> str:
        return self.status.strip().lower()

    @property
    def fingerprint(self) -> str:
        """Two scans with equal fingerprints are the same scan sent twice."""
        return "|".join((normalise_carrier(self.carrier), self.tracking_no.strip().upper(), self.kind,
                         self.location.strip(), self.scanned_at.astimezone(dt.UTC).isoformat()))

    def as_dict(self) -> dict[str, Any]:
        return {"carrier": self.carrier, "tracking_no": self.tracking_no, "status": self.status,
                "location": self.location, "region": self.region, "scanned_at": self.scanned_at.isoformat()}


@dataclass(frozen=True)
class OrderView:
    """One order as the detectors see it. ``scans`` are in the order they were received, not sorted."""

    order_id: str
    shop_id: str
    consumer_id: str
    listing_ids: tuple[str, ...]
    paid_at: dt.datetime
    promise: Promise
    carrier: str | None = None
    tracking_no: str | None = None
    shipped_at: dt.datetime | None = None  # when the tracking number was uploaded: not shipment by itself
    scans: tuple[ScanView, ...] = ()
    origin_region: str | None = None
    destination_region: str | None = None
    signed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    hold_requested_at: dt.datetime | None = None  # the consumer asked the merchant to hold the parcel


@dataclass(frozen=True)
class Finding:
    finding_id: str
    kind: str
    subject_type: str  # order | listing
    subject_id: str
    shop_id: str
    at: dt.datetime
    evidence: Mapping[str, Any] = field(hash=False)
    rule_id: str
    rulebook_version: str

    def as_dict(self) -> dict[str, Any]:
        return {"finding_id": self.finding_id, "kind": self.kind, "subject_type": self.subject_type,
                "subject_id": self.subject_id, "shop_id": self.shop_id, "at": self.at.isoformat(),
                "evidence": dict(self.evidence), "rule_id": self.rule_id, "rulebook_version": self.rulebook_version}


def finding_id(kind: str, subject: str, key: str) -> str:
    """Stable across runs and processes, so storing a re-detected finding is a no-op."""
    digest = hashlib.sha256("\x1f".join((kind, subject, key)).encode()).hexdigest()
    return f"fnd_{digest[:24]}"


def _finding(rb: FulfilmentRulebook, kind: str, view: OrderView, at: dt.datetime, key: str,
             evidence: Mapping[str, Any], *, listing_id: str | None = None) -> Finding:
    subject_type, subject = ("listing", listing_id) if listing_id is not None else ("order", view.order_id)
    return Finding(finding_id(kind, f"{subject_type}:{subject}", key), kind, subject_type, subject, view.shop_id,
                   at, evidence, RULE_IDS[kind], rb.version)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class _Facts:
    view: OrderView
    scans: tuple[ScanView, ...]  # valid, unique, sorted by scanned_at
    deadline: dt.datetime | None  # ship-by lateness is judged against; None while exempt
    collected_at: dt.datetime | None
    late: bool
    findings: tuple[Finding, ...]


def _clean(view: OrderView, rb: FulfilmentRulebook, now: dt.datetime) -> tuple[list[ScanView], list[Finding]]:
    found: list[Finding] = []
    copies = Counter(s.fingerprint for s in view.scans)
    unique = list({s.fingerprint: s for s in reversed(view.scans)}.values())[::-1]  # first copy, arrival order
    for s in unique:
        if copies[s.fingerprint] > 1:
            found.append(_finding(rb, "data.duplicate_scan", view, s.scanned_at, s.fingerprint,
                                  {"scan": s.as_dict(), "copies": copies[s.fingerprint]}))
    latest: ScanView | None = None
    late_arrivals: list[ScanView] = []
    for s in unique:
        if latest is not None and s.scanned_at < latest.scanned_at:
            late_arrivals.append(s)
        elif latest is None or s.scanned_at > latest.scanned_at:
            latest = s
    if late_arrivals:
        first = late_arrivals[0]
        found.append(_finding(rb, "data.scan_out_of_order", view, first.scanned_at, first.fingerprint,
                              {"scan": first.as_dict(), "scans_out_of_order": len(late_arrivals)}))
    valid: list[ScanView] = []
    for s in unique:
        problem = ("scan_before_payment" if s.scanned_at < view.paid_at else
                   "scan_after_now" if s.scanned_at > now else None)
        if problem is None:
            valid.append(s)
        else:
            found.append(_finding(rb, "data.impossible_time", view, s.scanned_at, f"{problem}|{s.fingerprint}",
                                  {"problem": problem, "scan": s.as_dict(), "paid_at": view.paid_at.isoformat(),
                                   "checked_at": now.isoformat()}))
    for problem, at, before in (("shipped_before_payment", view.shipped_at, view.paid_at),
                                ("signed_before_payment", view.signed_at, view.paid_at),
                                ("signed_before_shipment", view.signed_at, view.shipped_at)):
        if at is not None and before is not None and at < before:
            found.append(_finding(rb, "data.impossible_time", view, at, problem,
                                  {"problem": problem, "at": at.isoformat(), "before": before.isoformat()}))
    valid.sort(key=lambda s: (s.scanned_at, s.fingerprint))
    return valid, found


def _deadline(view: OrderView, rb: FulfilmentRulebook) -> dt.datetime | None:
    deadline = view.promise.judged_ship_by
    if deadline is None:
        return None
    if view.hold_requested_at is not None and view.hold_requested_at <= deadline:
        return None
    # A declaration made after payment still exempts: the current rulebook's declarations are checked too.
    if rb.force_majeure_for((view.destination_region, view.origin_region), view.paid_at, deadline):
        return None
    return deadline


def _analyse(view: OrderView, rb: FulfilmentRulebook, now: dt.datetime,
             grace: dt.timedelta = dt.timedelta(0)) -> _Facts:
    """``grace``: a window counts as closed only once ``now`` is past its end plus ``grace`` (late feeds)."""
    scans, found = _clean(view, rb, now)
    judged = now - grace
    st, det = rb.statuses, rb.detectors
    # A parcel the carrier moved or delivered was collected by then, even if the carrier sent no collection scan.
    moved = st.collection | st.in_transit | st.delivered
    collected_at = next((s.scanned_at for s in scans if s.kind in moved), None)
    deadline = _deadline(view, rb)
    late = False
    if deadline is not None and not (view.cancelled_at is not None and view.cancelled_at <= deadline):
        late = collected_at > deadline if collected_at is not None else judged > deadline
    if late and deadline is not None:
        found.append(_finding(rb, "late_shipment", view, deadline, "ship_by", {
            "ship_by": deadline.isoformat(), "basis": view.promise.basis, "promise_rule_id": view.promise.rule_id,
            "promise_rulebook_version": view.promise.rulebook_version, "collected_at": _iso(collected_at),
            "tracking_no": view.tracking_no, "shipped_at": _iso(view.shipped_at),
            "tracking_alone": collected_at is None and view.tracking_no is not None}))

    if view.shipped_at is not None:
        window_end = view.shipped_at + dt.timedelta(hours=det.fake_no_scan_hours)
        first = scans[0].scanned_at if scans else None
        if (first is not None and first > window_end) or (first is None and judged > window_end):
            found.append(_finding(rb, "fake_shipment.no_carrier_scan", view, window_end, "shipped", {
                "shipped_at": view.shipped_at.isoformat(), "carrier": view.carrier, "tracking_no": view.tracking_no,
                "hours": det.fake_no_scan_hours, "first_scan_at": _iso(first)}))

    found += _origin_and_route(view, scans, rb, judged)
    found += _stalls(view, scans, rb, judged)
    for s in scans:
        if s.kind in st.exception:
            found.append(_finding(rb, "parcel.exception", view, s.scanned_at, s.fingerprint,
                                  {"status": s.kind, "scan": s.as_dict()}))
    return _Facts(view, tuple(scans), deadline, collected_at, late, tuple(found))


def _origin_and_route(view: OrderView, scans: list[ScanView], rb: FulfilmentRulebook,
                      now: dt.datetime) -> list[Finding]:
    found: list[Finding] = []
    origin, dest = view.origin_region, view.destination_region
    # A same-area order never needs to leave its origin.
    if origin and scans and not (dest and region_within(dest, origin)):
        end = scans[0].scanned_at + dt.timedelta(hours=rb.detectors.origin_stuck_hours)
        judged = [s for s in scans if s.scanned_at <= end]
        located = [s for s in judged if s.region]
        settled = any(s.kind in rb.statuses.terminal for s in judged) or (
            view.signed_at is not None and view.signed_at <= end)
        if (now > end and located and not settled
                and all(region_within(s.region, origin) for s in located)):
            found.append(_finding(rb, "fake_shipment.never_left_origin", view, end, "origin", {
                "origin_region": origin, "first_scan_at": scans[0].scanned_at.isoformat(),
                "hours": rb.detectors.origin_stuck_hours, "scans": [s.as_dict() for s in located]}))
    if dest:
        stray = next((s for s in scans if s.kind in rb.statuses.last_mile and s.region
                      and not region_within(s.region, dest)), None)
        if stray is not None:
            found.append(_finding(rb, "fake_shipment.route_mismatch", view, stray.scanned_at, stray.fingerprint,
                                  {"destination_region": dest, "scan": stray.as_dict()}))
    return found


def _stalls(view: OrderView, scans: list[ScanView], rb: FulfilmentRulebook, now: dt.datetime) -> list[Finding]:
    """Every gap longer than the threshold while travelling, and the open gap after the last scan."""
    found: list[Finding] = []
    gap = dt.timedelta(hours=rb.detectors.stalled_hours)
    for i, s in enumerate(scans):
        if s.kind in rb.statuses.terminal:
            break
        end = s.scanned_at + gap
        if view.signed_at is not None and view.signed_at <= end:
            break
        following = scans[i + 1].scanned_at if i + 1 < len(scans) else None
        if (following is not None and following > end) or (following is None and now > end):
            found.append(_finding(rb, "parcel.stalled", view, end, s.fingerprint, {
                "last_scan": s.as_dict(), "hours": rb.detectors.stalled_hours, "next_scan_at": _iso(following)}))
    return found


@dataclass(frozen=True)
class OrderState:
    """What the fulfilment pass needs besides findings: when the parcel was collected, its last valid scan, the
    deadline lateness is judged against, and the next moment a window closes (None: nothing left to wait for)."""

    collected_at: dt.datetime | None
    last_scan: ScanView | None
    deadline: dt.datetime | None
    next_check_at: dt.datetime | None


def order_state(view: OrderView, rb: FulfilmentRulebook, now: dt.datetime,
                grace: dt.timedelta = dt.timedelta(0)) -> OrderState:
    return _state(_analyse(view, rb, now, grace), rb, now, grace)


def _state(facts: _Facts, rb: FulfilmentRulebook, now: dt.datetime, grace: dt.timedelta) -> OrderState:
    view = facts.view
    scans, st, det = facts.scans, rb.statuses, rb.detectors
    step = grace + dt.timedelta(seconds=1)  # a window is broken only once now is past its end (and the grace)
    ends: list[dt.datetime] = []
    open_order = view.cancelled_at is None and view.signed_at is None
    if facts.deadline is not None and facts.collected_at is None and view.cancelled_at is None:
        ends.append(facts.deadline + step)
    if view.shipped_at is not None and not scans:
        ends.append(view.shipped_at + dt.timedelta(hours=det.fake_no_scan_hours) + step)
    if scans and open_order and view.origin_region:
        ends.append(scans[0].scanned_at + dt.timedelta(hours=det.origin_stuck_hours) + step)
    last = scans[-1] if scans else None
    if last is not None and open_order and last.kind not in st.terminal:
        ends.append(last.scanned_at + dt.timedelta(hours=det.stalled_hours) + step)
    future = [e for e in ends if e > now]
    return OrderState(facts.collected_at, last, facts.deadline, min(future) if future else None)


@dataclass(frozen=True)
class ListingPeer:
    """An order of the same listings that is not judged in this pass. The listing detectors need only its
    deadline, when it was collected and whether it was cancelled, so its scans are summed up by ``collected_at``
    (the first carrier scan after payment) and ``view.scans`` may be empty."""

    view: OrderView
    collected_at: dt.datetime | None


def _peer_facts(peer: ListingPeer, rb: FulfilmentRulebook, judged: dt.datetime) -> _Facts:
    view, collected_at = peer.view, peer.collected_at
    deadline = _deadline(view, rb)
    late = False
    if deadline is not None and not (view.cancelled_at is not None and view.cancelled_at <= deadline):
        late = collected_at > deadline if collected_at is not None else judged > deadline
    return _Facts(view, (), deadline, collected_at, late, ())


def _cross(facts: Sequence[_Facts], rb: FulfilmentRulebook, peers: Sequence[_Facts] = ()) -> list[Finding]:
    listing_facts = [*facts, *peers]
    return _tracking_reused(facts, rb) + _repeated_late(listing_facts, rb) + _oversold(listing_facts, rb)


def _tracking_reused(facts: Sequence[_Facts], rb: FulfilmentRulebook) -> list[Finding]:
    """A later order using an earlier order's tracking number is flagged, unless some earlier order is the
    same shop's to the same consumer (one parcel for several orders, 合并发货). The first user is not flagged:
    the number was genuinely its own as far as anyone can tell."""
    groups: dict[tuple[str, str], list[OrderView]] = defaultdict(list)
    for f in facts:
        v = f.view
        if v.tracking_no and v.tracking_no.strip():
            groups[(normalise_carrier(v.carrier or ""), v.tracking_no.strip().upper())].append(v)
    found: list[Finding] = []
    for (carrier, tracking), views in sorted(groups.items()):
        ordered = sorted(views, key=lambda v: (v.shipped_at or v.paid_at, v.order_id))
        for i, v in enumerate(ordered[1:], start=1):
            earlier = ordered[:i]
            if any(e.shop_id == v.shop_id and e.consumer_id == v.consumer_id for e in earlier):
                continue
            found.append(_finding(rb, "fake_shipment.tracking_reused", v, v.shipped_at or v.paid_at,
                                  f"{carrier}|{tracking}", {
                                      "carrier": carrier, "tracking_no": tracking,
                                      "earlier_orders": [e.order_id for e in earlier],
                                      "earlier_shops": sorted({e.shop_id for e in earlier}),
                                      "across_shops": any(e.shop_id != v.shop_id for e in earlier)}))
    return found


def _by_listing(facts: Iterable[_Facts]) -> dict[str, list[_Facts]]:
    out: dict[str, list[_Facts]] = defaultdict(list)
    for f in facts:
        for listing_id in dict.fromkeys(f.view.listing_ids):
            out[listing_id].append(f)
    return out


def _repeated_late(facts: Sequence[_Facts], rb: FulfilmentRulebook) -> list[Finding]:
    """A late order that brings the listing's late orders inside the window to more than
    ``listing_late_flag_count`` flags the listing, once per episode: the next flag needs the count to have come
    back to the limit first. Judging one late order needs only the late orders of the window before it and before
    the previous late order, so incremental passes over a bounded history agree with the batch."""
    window = dt.timedelta(days=rb.detectors.listing_late_window_days)
    limit = rb.detectors.listing_late_flag_count
    found: list[Finding] = []
    for listing_id, group in sorted(_by_listing(f for f in facts if f.late).items()):
        lates = sorted(group, key=lambda f: (f.deadline or f.view.paid_at, f.view.order_id))
        times = [f.deadline or f.view.paid_at for f in lates]
        previous_over = False
        for i, f in enumerate(lates):
            current = [c for c, t in zip(lates[:i + 1], times[:i + 1], strict=True) if t > times[i] - window]
            over = len(current) > limit
            if over and not previous_over:
                found.append(_finding(rb, "listing.repeated_late", f.view, times[i], f.view.order_id, {
                    "late_orders": [c.view.order_id for c in current], "window_days": window.days,
                    "flag_count": limit}, listing_id=listing_id))
            previous_over = over
    return found


def _oversold(facts: Sequence[_Facts], rb: FulfilmentRulebook) -> list[Finding]:
    """An order paid while enough earlier orders of its listing are past their ship-by and still uncollected:
    the listing keeps selling what it cannot ship on time. One finding per backlog, named by its oldest overdue
    order and dated by the first order paid into it; only overdue orders are needed to judge it."""
    window = dt.timedelta(hours=rb.detectors.oversold_window_hours)
    need = rb.detectors.oversold_backlog_orders
    found: list[Finding] = []
    for listing_id, group in sorted(_by_listing(facts).items()):
        ordered = sorted(group, key=lambda f: (f.view.paid_at, f.view.order_id))
        for i, f in enumerate(ordered):
            t = f.view.paid_at
            backlog = [p for p in ordered[:i] if p.deadline is not None and t - window <= p.deadline < t
                       and (p.collected_at is None or p.collected_at > t)
                       and (p.view.cancelled_at is None or p.view.cancelled_at > t)]
            if len(backlog) >= need:
                oldest = min(backlog, key=lambda p: (p.deadline or p.view.paid_at, p.view.order_id))
                found.append(_finding(rb, "listing.oversold", f.view, t, oldest.view.order_id, {
                    "order_id": f.view.order_id, "overdue_orders": [p.view.order_id for p in backlog],
                    "window_hours": rb.detectors.oversold_window_hours, "backlog_orders": need},
                    listing_id=listing_id))
    return found


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per id: the earliest (a backlog is dated by the first order paid into it)."""
    by_id: dict[str, Finding] = {}
    for f in sorted(findings, key=lambda f: (f.at, f.finding_id)):
        by_id.setdefault(f.finding_id, f)
    return sorted(by_id.values(), key=lambda f: (f.at, f.finding_id))


def detect_order(view: OrderView, rb: FulfilmentRulebook, now: dt.datetime, *,
                 peers: Iterable[OrderView] = (), grace: dt.timedelta = dt.timedelta(0)) -> list[Finding]:
    """Findings about this order and about its listings. ``peers`` are the other orders that share its tracking
    number or its listings (inside the listing windows): the cross-order detectors need them."""
    facts = [_analyse(v, rb, now, grace) for v in _distinct([view, *peers])]
    mine = [f for f in (*facts[0].findings, *_cross(facts, rb))
            if (f.subject_type == "order" and f.subject_id == view.order_id)
            or (f.subject_type == "listing" and f.subject_id in view.listing_ids)]
    return _unique(mine)


def detect_batch(views: Iterable[OrderView], rb: FulfilmentRulebook, now: dt.datetime, *,
                 grace: dt.timedelta = dt.timedelta(0), listing_peers: Iterable[ListingPeer] = ()) -> list[Finding]:
    """Findings about ``views``, and about their listings counting ``listing_peers`` too (orders judged in other
    passes: only their listing facts are used, so no finding is about them alone)."""
    return judge_batch(views, rb, now, grace=grace, listing_peers=listing_peers)[0]


def judge_batch(views: Iterable[OrderView], rb: FulfilmentRulebook, now: dt.datetime, *,
                grace: dt.timedelta = dt.timedelta(0), listing_peers: Iterable[ListingPeer] = (),
                listings: Iterable[str] | None = None) -> tuple[list[Finding], dict[str, OrderState]]:
    """``detect_batch`` and ``order_state`` of every view, each order analysed once. ``listings``: the listings
    whose orders the caller gave in full; findings about other listings (seen only through an order that also
    bought one of these) would rest on part of their orders and are left out."""
    facts = [_analyse(v, rb, now, grace) for v in _distinct(views)]
    known = {f.view.order_id for f in facts}
    peers = [_peer_facts(p, rb, now - grace) for p in {p.view.order_id: p for p in listing_peers}.values()
             if p.view.order_id not in known]
    complete = None if listings is None else set(listings)
    findings = _unique([*(x for f in facts for x in f.findings), *_cross(facts, rb, peers)])
    if complete is not None:
        findings = [f for f in findings if f.subject_type != "listing" or f.subject_id in complete]
    return findings, {f.view.order_id: _state(f, rb, now, grace) for f in facts}


def _distinct(views: Iterable[OrderView]) -> list[OrderView]:
    """One view per order id; the first wins (a caller passing the order among its own peers is harmless)."""
    seen: dict[str, OrderView] = {}
    for v in views:
        seen.setdefault(v.order_id, v)
    return list(seen.values())
