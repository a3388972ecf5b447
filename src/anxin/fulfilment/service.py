"""Fulfilment use cases: the detection pass (incremental, on the clock, or over all history) and what it reads.

The pass takes the orders that are due — changed by ingestion (orders.next_check_at = DUE_NOW) or whose next
window has closed — with the orders the cross-order detectors compare them with, runs the pure detectors, and in
the same transaction stores new findings, the consequences of late shipments (a coupon through the outbox and
capped violation points), the revised ETA and any notice the consumer must get first. Finding ids are
deterministic, so re-running a pass changes nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anxin.access.service import require_role
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.fulfilment import reporting
from anxin.fulfilment.consequences import (
    COMPENSATION_RULE_ID,
    PLATFORM,
    SHOP,
    WAREHOUSE_RULE_ID,
    LateOrder,
    apply_points,
    late_shipment_compensation,
    responsible_for,
    warehouse_award,
)
from anxin.fulfilment.detectors import Finding, ListingPeer, OrderState, OrderView, ScanView, judge_batch
from anxin.fulfilment.error_codes import FulfilmentErrorCode
from anxin.fulfilment.eta import Eta, EtaInput, LastScan, TransitHistory, TransitObservation, estimate, notice_needs
from anxin.fulfilment.events import (
    PARCEL_EXCEPTION,
    PARCEL_LOST,
    PARCEL_STALLED,
    FakeShipmentFound,
    LateShipmentRecorded,
    OversellingFound,
    ParcelTroubleFound,
)
from anxin.fulfilment.store import EtaRow, FulfilmentRepository, LateConsequenceRow, NoticeRow
from anxin.fulfilment.store import export_findings_query as export_findings_query  # the service report
from anxin.jobs.service import JobFailures, JobRun
from anxin.orders import service as orders
from anxin.orders.published import FulfilmentRulebook, Promise, PromiseInput, PromiseItem, promise_for
from anxin.orders.service import Order, OrderStatus
from anxin.outbox import service as outbox
from anxin.shops import service as shops

BATCH = 2000
JOB = "fulfilment.check"  # its failing orders in job_failures
HISTORY_DAYS = 90  # the ETA learns from parcels signed in the last 90 days
HISTORY_REFRESH = dt.timedelta(hours=6)
# Findings that make a parcel count as not received: the after-sales engine reads these.
PARCEL_PROBLEMS = ("parcel.exception", "parcel.stalled", "fake_shipment.no_carrier_scan")


@dataclass
class CheckReport:
    at: dt.datetime
    orders_checked: int = 0
    peers_read: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    coupons: int = 0
    coupon_fen: int = 0
    points: int = 0  # hundredths
    notices: Counter[str] = field(default_factory=Counter)
    still_due: int = 0  # changed while being checked: the next pass takes them
    failed: list[str] = field(default_factory=list)  # orders that raised: recorded, retried with backoff

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "orders_checked": self.orders_checked, "peers_read": self.peers_read,
                "findings": dict(self.findings), "coupons": self.coupons, "coupon_fen": self.coupon_fen,
                "points": self.points, "notices": dict(self.notices), "still_due": self.still_due,
                "failed": list(self.failed)}


def _notice_id(order_id: str, kind: str, reason: str, since: dt.datetime) -> str:
    digest = hashlib.sha256("\x1f".join((order_id, kind, reason, since.isoformat())).encode()).hexdigest()
    return f"ntc_{digest[:24]}"


def default_promise(order: Order, rb: FulfilmentRulebook) -> Promise:
    """For orders recorded before promises were (no listing settings known): the platform default."""
    return promise_for(PromiseInput(order.order_id, order.paid_at,
                                    tuple(PromiseItem(i.listing_id, i.qty) for i in order.items),
                                    consumer_hold=order.consumer_hold, destination_region=order.ship_to_region,
                                    origin_region=order.ship_from_region), [], rb)


def order_view(w: orders.WatchedOrder, rb: FulfilmentRulebook) -> OrderView:
    o = w.order
    return OrderView(
        order_id=o.order_id, shop_id=o.shop_id, consumer_id=o.consumer_id,
        listing_ids=tuple(dict.fromkeys(i.listing_id for i in o.items)), paid_at=o.paid_at,
        promise=o.promise or default_promise(o, rb), carrier=o.carrier, tracking_no=o.tracking_no,
        shipped_at=o.shipped_at, scans=tuple(ScanView.of(s, s.region) for s in w.scans),
        origin_region=o.ship_from_region, destination_region=o.ship_to_region, signed_at=o.signed_at,
        cancelled_at=o.cancelled_at)


class _ListingPeers:
    """The listing detectors' view of other orders, loaded once per listing for a whole pass: within one pass the
    clock stands still and scans do not change, so a batch reuses what an earlier batch read. The window spans
    every due order's ship-by, widened by the listing windows (two before, one after). Orders in ``exclude`` (they
    raise on their own: job_failures) are nobody's peer, so they cannot make the orders beside them fail too."""

    def __init__(self, rb: FulfilmentRulebook, now: dt.datetime, exclude: set[str] | None = None) -> None:
        self.rb, self.now = rb, now
        self.exclude = exclude if exclude is not None else set()
        self.by_listing: dict[str, list[ListingPeer]] = {}
        self.span: tuple[dt.datetime, dt.datetime] | None = None
        self.loaded = 0

    def for_orders(self, uow: UnitOfWork, due: list[orders.WatchedOrder]) -> list[ListingPeer]:
        rb = self.rb
        if self.span is None:
            window = dt.timedelta(days=rb.detectors.listing_late_window_days + 1)
            found = orders.due_ship_by_range(uow, self.now) or (self.now, self.now)
            self.span = (_shift(found[0], -2 * window), _shift(found[1], window))
        wanted = sorted({i.listing_id for w in due for i in w.order.items} - set(self.by_listing))
        if wanted:
            st = rb.statuses
            loaded = orders.listing_peers(uow, wanted, start=self.span[0], end=self.span[1],
                                          moved_statuses=st.collection | st.in_transit | st.delivered, now=self.now)
            for lid, rows in loaded.items():
                self.by_listing[lid] = [ListingPeer(order_view(orders.WatchedOrder(o, 0), rb), c) for o, c in rows
                                        if o.order_id not in self.exclude]
                self.loaded += len(rows)
        out: dict[str, ListingPeer] = {}
        for lid in {i.listing_id for w in due for i in w.order.items}:
            out.update((p.view.order_id, p) for p in self.by_listing.get(lid, ())
                       if p.view.order_id not in self.exclude)
        return list(out.values())


def _shift(at: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``at + delta``, held at the first or last instant: one order's absurd date must not overflow the pass."""
    try:
        return at + delta
    except OverflowError:
        return dt.datetime.min.replace(tzinfo=dt.UTC) if delta < dt.timedelta(0) else dt.datetime.max.replace(
            tzinfo=dt.UTC)


class FulfilmentService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: FulfilmentRulebook,
                 batch_size: int = BATCH, jobs: JobFailures | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules
        self.batch_size = batch_size
        self.jobs = jobs or JobFailures(uow_factory=uow_factory, clock=clock)
        self._history: tuple[dt.datetime, TransitHistory] | None = None

    # --- the pass ---------------------------------------------------------------------------------------------

    def check_due(self, at: dt.datetime | None = None, *,
                  progress: Callable[[int], None] | None = None) -> CheckReport:
        """Judge every due order as of ``at`` (default: the clock), in batches of one transaction each.

        A batch that raises is judged again order by order: an order that raises alone is recorded in job_failures
        and put off (its next check at the retry time, doubling), the others are judged; it is cleared once it
        passes."""
        now = at or self.clock.now()
        report = CheckReport(at=now)
        history = self.transit_history(now)
        seen_stuck: set[str] = set()
        set_aside: set[str] = set()  # raised in this pass: not taken again in it, whatever happens to their record
        run = self.jobs.start(JOB, now)
        peers = _ListingPeers(self.rules, now, exclude=set(run.known))
        while True:
            with self.uow_factory() as uow:
                due = [w for w in orders.due_for_check(uow, now, self.batch_size)
                       if w.order.order_id not in seen_stuck and w.order.order_id not in set_aside]
                if not due:
                    break
                part = copy.deepcopy(report)  # the batch's counts land only if it commits
                try:
                    stuck = self._check(uow, due, now, history, part, peers)
                    run.clear(uow, [w.order.order_id for w in due])
                    uow.commit()
                    report = part
                except Exception:
                    failed_batch = True
                else:
                    failed_batch = False
            if failed_batch:  # outside the batch's unit of work: one at a time, each in its own
                stuck, failed = self._check_one_by_one(due, now, history, report, peers, run)
                set_aside |= failed
            seen_stuck |= stuck  # changed under us: left due for the next pass rather than looping on them
            if progress is not None:
                progress(len(due))
        report.still_due = len(seen_stuck)
        report.peers_read += peers.loaded
        return report

    def _check_one_by_one(self, due: list[orders.WatchedOrder], now: dt.datetime, history: TransitHistory,
                          report: CheckReport, peers: _ListingPeers, run: JobRun) -> tuple[set[str], set[str]]:
        """(changed under us, raised) among ``due``. First the orders that raise judged on their own, without any
        other order: they are the poison, recorded and taken out of every other order's peers; then the rest."""
        stuck: set[str] = set()
        failed: set[str] = set()
        for w in due:
            if (exc := self._judged_alone(w, now)) is not None:
                run.fail(w.order.order_id, exc)
                peers.exclude.add(w.order.order_id)
        for w in due:
            oid = w.order.order_id
            if oid in peers.exclude:
                self._set_aside(w, run, report, failed)
                continue
            part = copy.deepcopy(report)
            passed = False
            with run.item(oid):
                with self.uow_factory() as uow:
                    stuck |= self._check(uow, [w], now, history, part, peers)
                    uow.commit()
                report.__dict__.update(part.__dict__)
                passed = True
            if not passed:
                self._set_aside(w, run, report, failed)
        return stuck, failed

    def _judged_alone(self, w: orders.WatchedOrder, now: dt.datetime) -> Exception | None:
        """What judging the order without any other order raises, if anything (pure: nothing is written)."""
        try:
            judge_batch([order_view(w, self.rules)], self.rules, now, grace=self.rules.detectors.feed_grace,
                        listing_peers=[], listings={i.listing_id for i in w.order.items})
        except Exception as exc:
            return exc
        return None

    def _set_aside(self, w: orders.WatchedOrder, run: JobRun, report: CheckReport, failed: set[str]) -> None:
        """An order that raised: put off until its retry (unless it changes first: then it is due again at once)."""
        oid = w.order.order_id
        failed.add(oid)
        report.failed.append(oid)
        if oid in run.known:
            with self.uow_factory() as uow:
                orders.set_checked(uow, [(oid, w.change_seq, run.known[oid].next_retry_at, w.collected_at)])
                uow.commit()

    def check_all(self, at: dt.datetime | None = None, *, since: dt.datetime | None = None,
                  progress: Callable[[int], None] | None = None) -> CheckReport:
        """The batch pass over history: every order (paid since ``since``) is judged again."""
        with self.uow_factory() as uow:
            orders.mark_all_due(uow, since)
            uow.commit()
        self._history = None
        return self.check_due(at, progress=progress)

    def transit_history(self, now: dt.datetime) -> TransitHistory:
        if self._history is not None and dt.timedelta(0) <= now - self._history[0] < HISTORY_REFRESH:
            return self._history[1]
        with self.uow_factory() as uow:
            samples = orders.transit_samples(uow, now - dt.timedelta(days=HISTORY_DAYS))
        history = TransitHistory.from_observations(
            TransitObservation(c, o, d, col, sig) for c, o, d, col, sig in samples if sig <= now)
        self._history = (now, history)
        return history

    def _check(self, uow: UnitOfWork, due: list[orders.WatchedOrder], now: dt.datetime, history: TransitHistory,
               report: CheckReport, listing_peers: _ListingPeers) -> set[str]:
        rb = self.rules
        sharing = [w for w in orders.tracking_peers(uow, due) if w.order.order_id not in listing_peers.exclude]
        peers = listing_peers.for_orders(uow, due)
        report.orders_checked += len(due)
        report.peers_read += len(sharing)
        by_id = {w.order.order_id: w for w in [*due, *sharing]}
        views = {oid: order_view(w, rb) for oid, w in by_id.items()}
        grace = rb.detectors.feed_grace
        findings, states = judge_batch(views.values(), rb, now, grace=grace, listing_peers=peers,
                                       listings={i.listing_id for w in due for i in w.order.items})
        repo = FulfilmentRepository(uow.session)
        existing = repo.existing_findings([f.finding_id for f in findings])
        new = [f for f in findings if f.finding_id not in existing]
        repo.add_findings(new, now)
        report.findings.update(f.kind for f in new)
        uow.record(*finding_events(new))
        messages: list[outbox.NewMessage] = []
        late = self._late_consequences(repo, [f for f in new if f.kind == "late_shipment"], by_id, now, report,
                                       messages)
        uow.record(*late)
        updates = []
        notices: list[NoticeRow] = []
        etas = repo.etas([w.order.order_id for w in due])
        new_of: dict[str, list[Finding]] = defaultdict(list)
        for f in new:
            new_of[f.subject_id].append(f)
        for w in due:
            view = views[w.order.order_id]
            state = states[w.order.order_id]
            next_at = state.next_check_at
            if w.order.status is not OrderStatus.CANCELLED:
                eta_likely = self._eta_and_notices(repo, w.order, view, state, etas.get(w.order.order_id),
                                                   new_of.get(w.order.order_id, []), history,
                                                   now, notices)
                if eta_likely is not None and eta_likely > now and (next_at is None or eta_likely < next_at):
                    next_at = eta_likely
            updates.append((w.order.order_id, w.change_seq, next_at, state.collected_at))
        self._send_notices(repo, notices, report, messages)
        outbox.enqueue_many(uow, clock=self.clock, messages=messages)
        written = orders.set_checked(uow, updates)
        if written == len(updates):
            return set()
        # Which ones changed is not reported by an executemany; they are the ones still due.
        still = {w.order.order_id for w in orders.due_for_check(uow, now, self.batch_size * 2)}
        return {oid for oid, *_ in updates} & still

    def _late_consequences(self, repo: FulfilmentRepository, late: list[Finding],
                           by_id: dict[str, orders.WatchedOrder], now: dt.datetime, report: CheckReport,
                           messages: list[outbox.NewMessage]) -> list[LateShipmentRecorded]:
        recorded: list[LateShipmentRecorded] = []
        if not late:
            return recorded
        rb = self.rules
        done = repo.consequences_for([f.subject_id for f in late])
        by_shop: dict[str, list[Finding]] = defaultdict(list)
        for f in late:
            if f.subject_id not in done:
                by_shop[f.shop_id].append(f)
        for shop_id, found in sorted(by_shop.items()):
            # Caps are per local day and week: entries from the week before the earliest one are enough.
            existing = repo.points_entries(shop_id, min(f.at for f in found) - dt.timedelta(days=8))
            finding_of = {f.subject_id: f for f in found}
            # Warehouse orders (无忧服务) are the platform's: no points, and they do not use up the shop's caps.
            warehouse = [LateOrder(f.subject_id, f.at) for f in found
                         if responsible_for(by_id[f.subject_id].order.fulfilled_from) == PLATFORM]
            own = [LateOrder(f.subject_id, f.at) for f in found
                   if responsible_for(by_id[f.subject_id].order.fulfilled_from) == SHOP]
            awards = apply_points(existing, own, rb) + [warehouse_award(w, rb) for w in warehouse]
            for award in sorted(awards, key=lambda a: (a.at, a.order_id)):
                order = by_id[award.order_id].order
                responsible = responsible_for(order.fulfilled_from)
                coupon = late_shipment_compensation(order.paid_fen, rb)
                finding = finding_of[award.order_id]
                repo.add_consequence(award, shop_id=shop_id, consumer_id=order.consumer_id,
                                     finding_id=finding.finding_id, paid_fen=order.paid_fen, coupon_fen=coupon,
                                     compensation_rule_id=COMPENSATION_RULE_ID, now=now)
                recorded.append(LateShipmentRecorded(
                    order_id=order.order_id, shop_id=shop_id, finding_id=finding.finding_id,
                    points_hundredths=award.points, capped_by=award.capped_by, points_rule_id=award.rule_id,
                    coupon_fen=coupon, late_at=award.at, responsible=responsible))
                if coupon > 0:
                    payload = {"reason": "late_shipment", "order_id": order.order_id,
                               "consumer_id": order.consumer_id, "shop_id": shop_id, "amount_fen": coupon,
                               "paid_fen": order.paid_fen, "finding_id": finding.finding_id,
                               "ship_by": finding.evidence["ship_by"], "rule_id": COMPENSATION_RULE_ID,
                               "rulebook_version": rb.version}
                    if responsible == PLATFORM:  # a warehouse order: the platform funds the coupon
                        payload |= {"funded_by": PLATFORM, "responsibility_rule_id": WAREHOUSE_RULE_ID}
                    messages.append(outbox.NewMessage(outbox.COUPON, f"late-shipment-coupon:{order.order_id}",
                                                      payload, coupon, f"order:{order.order_id}"))
                report.coupons += coupon > 0
                report.coupon_fen += coupon
                report.points += award.points
        return recorded

    def _eta_and_notices(self, repo: FulfilmentRepository, order: Order, view: OrderView, state: OrderState,
                         eta_row: EtaRow | None, new_findings: list[Finding], history: TransitHistory, now: dt.datetime,
                         notices: list[NoticeRow]) -> dt.datetime | None:
        """Revise the ETA, record the one the consumer was first shown after collection, and collect the notices
        due. Returns the shown estimate's likely time (the moment a late-against-ETA notice falls due)."""
        rb = self.rules
        last = state.last_scan
        last_scan = LastScan(last.status, last.scanned_at, last.region) if last is not None else None
        if order.signed_at is not None and (last_scan is None or last_scan.kind not in rb.statuses.delivered):
            last_scan = LastScan("signed", order.signed_at)  # signed for, whatever the carrier last said
        eta = estimate(EtaInput(order.carrier, order.ship_from_region, order.ship_to_region, order.paid_at,
                                ship_by=view.promise.ship_by, collected_at=state.collected_at, last_scan=last_scan),
                       history, now, rb=rb)
        shown_raw = eta_row.shown if eta_row is not None else None
        if shown_raw is None and eta.stage != "awaiting_collection":
            shown_raw = eta.as_dict()
        repo.put_eta(eta_row, order.order_id, eta.as_dict(), shown_raw, now)
        needs: list[tuple[str, str, dt.datetime, str, str | None]] = [
            ("late_shipment", "not_collected_by_ship_by", f.at, f.rule_id, f.rulebook_version)
            for f in new_findings if f.kind == "late_shipment" and state.collected_at is None]
        shown = Eta.from_dict(shown_raw) if shown_raw is not None else None
        if order.signed_at is not None:  # signed for: nothing left to tell (and a backfill must not spam)
            needs = []
        elif shown is not None:
            needs += [(n.kind, n.reason, n.since, n.rule_id, n.rulebook_version)
                      for n in notice_needs(shown, now - rb.detectors.feed_grace, last_scan, rb=rb)]
        notices += [NoticeRow(notice_id=_notice_id(order.order_id, kind, reason, since), order_id=order.order_id,
                              consumer_id=order.consumer_id, shop_id=order.shop_id, kind=kind, reason=reason,
                              since=since, created_at=now, rule_id=rule_id, rulebook_version=version,
                              eta=eta.as_dict()) for kind, reason, since, rule_id, version in needs]
        if shown is not None and shown.stage != "delivered" and eta.stage != "delivered":
            return shown.likely + dt.timedelta(seconds=1)
        return None

    @staticmethod
    def _send_notices(repo: FulfilmentRepository, notices: list[NoticeRow], report: CheckReport,
                      messages: list[outbox.NewMessage]) -> None:
        """Store the notices not sent before and hand them to the outbox (``consumer.notice``), once each."""
        sent = repo.existing_notices([n.notice_id for n in notices])
        for n in notices:
            if n.notice_id in sent:
                continue
            sent.add(n.notice_id)
            repo.add_notice(n)
            messages.append(outbox.NewMessage(outbox.NOTICE, n.notice_id, {
                "notice_id": n.notice_id, "order_id": n.order_id, "consumer_id": n.consumer_id, "kind": n.kind,
                "reason": n.reason, "since": n.since.isoformat(), "eta": n.eta, "rule_id": n.rule_id,
                "rulebook_version": n.rulebook_version}, None, f"order:{n.order_id}"))
            report.notices[n.kind] += 1

    # --- reads ------------------------------------------------------------------------------------------------

    def all_findings(self) -> list[Finding]:
        with self.uow_factory() as uow:
            return FulfilmentRepository(uow.session).findings()

    def findings(self, *, shop_id: str | None = None, order_id: str | None = None, kinds: list[str] | None = None,
                 limit: int = 200) -> list[Finding]:
        with self.uow_factory() as uow:
            return FulfilmentRepository(uow.session).findings(
                shop_id=shop_id, subject_ids=[order_id] if order_id else None, kinds=kinds, limit=limit)

    def shop_report(self, who: Principal, shop_id: str, *, days: object = 30) -> dict[str, Any]:
        """A shop's fulfilment figures; a merchant sees only their own shops (others answer as not found)."""
        window = reporting.window_days(days)
        with self.uow_factory() as uow:
            shop = shops.get_shop(uow, shop_id)
        visible = shop is not None and (who.role in (Role.OPERATOR, Role.PLATFORM) or (
            who.role is Role.MERCHANT and shop.merchant_id == who.subject))
        if not visible:
            raise AnxinError(FulfilmentErrorCode.SHOP_NOT_FOUND, f"no shop {shop_id!r} visible to this key",
                             shop_id=shop_id)
        return reporting.fulfilment_report(self.uow_factory, self.rules, shop_id=shop_id, days=window,
                                           as_of=self.clock.now())

    def platform_report(self, who: Principal, *, days: object = 30) -> dict[str, Any]:
        require_role(who, Role.OPERATOR, Role.PLATFORM)
        return reporting.fulfilment_report(self.uow_factory, self.rules, shop_id=None,
                                           days=reporting.window_days(days), as_of=self.clock.now())

    def order_report_for(self, who: Principal, order_id: str) -> dict[str, Any]:
        """One order's fulfilment, for its consumer, its shop's merchant, operators and the platform."""
        report = self.order_report(order_id)
        if report is not None and who.role not in (Role.OPERATOR, Role.PLATFORM):
            if who.role is Role.CONSUMER:
                visible = report["consumer_id"] == who.subject
            else:
                with self.uow_factory() as uow:
                    shop = shops.get_shop(uow, report["shop_id"])
                visible = shop is not None and shop.merchant_id == who.subject
            report = report if visible else None
        if report is None:
            raise AnxinError(FulfilmentErrorCode.ORDER_NOT_FOUND, f"no order {order_id!r} visible to this key",
                             order_id=order_id)
        return report

    def order_report(self, order_id: str) -> dict[str, Any] | None:
        """Promise, findings, consequences, ETA and notices of one order (the caller checks who may see it)."""
        with self.uow_factory() as uow:
            order = orders.get_order(uow, order_id)
            if order is None:
                return None
            repo = FulfilmentRepository(uow.session)
            promise = order.promise or default_promise(order, self.rules)
            listing_ids = list(dict.fromkeys(i.listing_id for i in order.items))
            eta = repo.etas([order_id]).get(order_id)
            return {
                "order_id": order_id, "shop_id": order.shop_id, "consumer_id": order.consumer_id,
                "status": order.status.value, "promise": promise.as_dict(),
                "findings": [f.as_dict() for f in repo.findings(subject_ids=[order_id, *listing_ids])
                             if f.subject_id == order_id or f.evidence.get("order_id") == order_id
                             or order_id in f.evidence.get("late_orders", ())],
                "late_shipment": [_consequence(r) for r in repo.consequences(order_id=order_id)],
                "eta": None if eta is None else {"current": eta.current, "shown": eta.shown,
                                                 "revised_at": eta.revised_at.isoformat()},
                "notices": [_notice(n) for n in repo.notices(order_id)],
            }


def _consequence(r: LateConsequenceRow) -> dict[str, Any]:
    return {"order_id": r.order_id, "shop_id": r.shop_id, "at": r.at.isoformat(), "paid_fen": r.paid_fen,
            "coupon_fen": r.coupon_fen, "points": r.points, "local_day": r.local_day.isoformat(),
            "week_start": r.week_start.isoformat(), "capped_by": r.capped_by, "finding_id": r.finding_id,
            "compensation_rule_id": r.compensation_rule_id, "points_rule_id": r.points_rule_id,
            "rulebook_version": r.rulebook_version}


def _notice(n: NoticeRow) -> dict[str, Any]:
    return {"notice_id": n.notice_id, "kind": n.kind, "reason": n.reason, "since": n.since.isoformat(),
            "created_at": n.created_at.isoformat(), "rule_id": n.rule_id, "rulebook_version": n.rulebook_version,
            "eta": n.eta}


def finding_events(found: list[Finding]) -> list[FakeShipmentFound | OversellingFound | ParcelTroubleFound]:
    """The events new findings publish: fake shipments and overselling (governance turns them into penalties),
    parcels in trouble (care's companion reaches out)."""
    events: list[FakeShipmentFound | OversellingFound | ParcelTroubleFound] = []
    for f in found:
        if f.kind.startswith("fake_shipment."):
            events.append(FakeShipmentFound(finding_id=f.finding_id, kind=f.kind, order_id=f.subject_id,
                                            shop_id=f.shop_id, rule_id=f.rule_id,
                                            rulebook_version=f.rulebook_version, found_at=f.at))
        elif f.kind == "listing.oversold":
            events.append(OversellingFound(finding_id=f.finding_id, listing_id=f.subject_id, shop_id=f.shop_id,
                                           rule_id=f.rule_id, rulebook_version=f.rulebook_version, found_at=f.at))
        elif (trouble := parcel_trouble(f)) is not None:
            events.append(ParcelTroubleFound(order_id=f.subject_id, shop_id=f.shop_id, kind=trouble,
                                             finding_id=f.finding_id, at=f.at))
    return events


def order_trouble(uow: UnitOfWork, order_id: str) -> str | None:
    """The kind of the order's parcel problem (``parcel_problem``), else ``late_shipment`` when it shipped (or is
    still) late, else None: the fulfilment context customer care routes consultations by."""
    problem = parcel_problem(uow, order_id)
    if problem is not None:
        return problem.kind
    late = FulfilmentRepository(uow.session).findings(subject_ids=[order_id], kinds=["late_shipment"], limit=1)
    return "late_shipment" if late else None


def parcel_trouble(f: Finding) -> str | None:
    """The trouble a parcel finding is (``ParcelTroubleFound.kind``), None for other findings: a stall, or an
    exception scan whose status is ``lost`` (lost) or anything else (returned, refused: exception)."""
    if f.kind == "parcel.stalled":
        return PARCEL_STALLED
    if f.kind == "parcel.exception":
        return PARCEL_LOST if f.evidence.get("status") == "lost" else PARCEL_EXCEPTION
    return None


def parcel_problem(uow: UnitOfWork, order_id: str) -> Finding | None:
    """The earliest stored finding that makes a parcel count as not received (lost, returned, refused, stalled,
    or never scanned by a carrier), for the after-sales engine's ``not_received`` decision."""
    found = FulfilmentRepository(uow.session).findings(subject_ids=[order_id], kinds=PARCEL_PROBLEMS)
    return min(found, key=lambda f: (f.at, f.finding_id)) if found else None


def late_orders(uow: UnitOfWork, order_ids: list[str]) -> frozenset[str]:
    """Those of these orders the detectors found shipped late (a ``late_shipment`` finding): merchants' live-session
    outcomes."""
    return FulfilmentRepository(uow.session).late_orders(order_ids)
