"""Parcels: when merchants hand them over, the route the carrier scans, what goes wrong, and fake shipments.

A merchant uploads a tracking number (``order.shipped``); the courier collects the parcel a little later (the
collection scan is what counts as shipped); a parcel is scanned leaving the origin city (premium carriers
only), arriving at a zone hub (far routes), arriving in the destination city, out for delivery there, and
then signed for (``order.delivered``, 09:00-21:00). Some parcels stall for days, some are lost, returned or
refused. Fake shippers upload numbers that are never scanned (or only days later), reuse numbers of parcels
already delivered to someone else, have an empty parcel scanned around their own city, or send one to
another city. Every scan carries the region code of where it happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from anxin.sim.events import iso
from anxin.sim.fulfilment import presale_at
from anxin.sim.geo import CARRIER_BY_CODE, REGIONS, Carrier, Region, hub_between, km
from anxin.sim.orders import H, SimOrder, push_into_daytime

if TYPE_CHECKING:
    from anxin.sim.engine import Simulation

STALL_SHARE = 0.015  # parcels that go silent for 3-6 days somewhere after leaving the origin
RETURNED_SHARE = 0.003  # undeliverable, sent back to the merchant
REFUSED_SHARE = 0.004
WAREHOUSE_LOST_RATE = 0.002  # the cloud warehouse's parcels (sf, jd; scanned at hand-over)
WAREHOUSE_CARRIERS = ("sf", "jd")  # refused at the door (abusers four times as often)


@dataclass(frozen=True)
class PlannedScan:
    status: str
    region: Region
    location: str
    at: dt.datetime


@dataclass
class Parcel:
    carrier: str
    tracking_no: str
    orders: list[SimOrder]
    scans: list[PlannedScan] = field(default_factory=list)
    signed_at: dt.datetime | None = None
    outcome: str = "delivered"  # delivered | lost | returned | refused | misdelivered | unscanned | reused
    fake: str | None = None
    reused_from: str | None = None  # a reused number: the order whose parcel it really is
    stall: tuple[dt.datetime, dt.datetime] | None = None  # a planned silence: from, until

    @property
    def consumers(self) -> set[str]:
        return {o.consumer.consumer_id for o in self.orders}


def _station(region: Region, carrier: Carrier, status: str) -> str:
    if status == "collected":
        return f"{region.zh}市 {carrier.zh}揽投部"
    if status in ("out_for_delivery", "refused", "returned"):
        return f"{region.zh}市 {carrier.zh}派送站"
    return f"{region.zh}转运中心"


class Logistics:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.parcels: list[Parcel] = []
        self._numbers = 0
        self._own_numbers = 0  # the abuse mix's parcels, numbered apart
        self._delivered: dict[str, list[Parcel]] = {}  # by shop: numbers a fake shipper can reuse
        self._holders: dict[tuple[str, str], list[SimOrder]] = {}
        self._waiting: dict[tuple[str, str], list[SimOrder]] = {}  # (consumer, shop): paid, not yet shipped

    # --- when the merchant hands the parcel over ----------------------------------------------------

    def upload_delay(self, order: SimOrder) -> float:
        """Hours from payment to the tracking upload, as this merchant works. Decided at payment."""
        rng, merchant, shop = order.rng or self.sim.rng, order.shop.merchant, order.shop
        if order.warehouse is not None and self.sim.worry_free is not None:
            return self.sim.worry_free.upload_delay(order)  # the cloud warehouse ships it, not the merchant
        self._waiting.setdefault((order.consumer.consumer_id, shop.shop_id), []).append(order)
        if merchant.fake_shipping and rng.random() < merchant.fake_share:
            order.fake = rng.choice(merchant.fake_shipping)
            return rng.uniform(1, 20)  # a number goes up early, so the order looks shipped on time
        if order.consumer_hold:
            return rng.uniform(60, 150)  # held as the buyer asked
        waits = [at for (li, _, _), tier in zip(order.items, order.tiers, strict=True)
                 if (at := presale_at(li, tier, order.paid_at)) is not None]
        if waits:  # presale stock: shipped around its date, some late
            target = (max(waits) - order.paid_at) / H
            if rng.random() < 0.08 + 0.3 * (1 - merchant.quality) ** 2:
                return target + rng.uniform(4, 60)
            return max(1.0, target - rng.uniform(2, 30))
        # Merchants work to their listing setting (a page promising less is an oversight they do not see).
        hours = min(li.merchant_hours for li, _, _ in order.items)
        pace = 0.6 if hours <= 24 else (1.6 if hours > 48 else 1.0)
        delay = max(0.5, merchant.ship_mean_h * pace * rng.lognormvariate(0, 0.6))
        if order.livestream and shop.overwhelmed and rng.random() < 0.4:
            delay += rng.uniform(30, 80)  # the burst outruns the packers
        return delay

    # --- shipping ------------------------------------------------------------------------------------

    def ship(self, order: SimOrder) -> None:
        sim, rng, now = self.sim, order.rng or self.sim.rng, self.sim.now
        fake = order.fake
        if fake == "reuse":
            donor = self._donor(order)
            if donor is not None:
                self._reuse(order, donor)
                return
            fake = "no_scan" if "no_scan" in order.shop.merchant.fake_shipping else None
        if fake == "origin_only" and order.consumer.region is order.shop.warehouse:
            fake = None  # a same-city parcel never needs to leave: nothing to fake here
        carriers = order.shop.carriers
        if order.warehouse is not None and self.sim.worry_free is not None:
            carriers, rng = WAREHOUSE_CARRIERS, self.sim.worry_free.rng
        carrier = CARRIER_BY_CODE[rng.choice(carriers)]
        if order.rng is None:
            self._numbers += 1
            number = f"{carrier.code.upper()}{self._numbers:010d}"
        else:
            self._own_numbers += 1
            number = f"{carrier.code.upper()}9{self._own_numbers:09d}"
        parcel = Parcel(carrier.code, number, [order], fake=fake)
        # one parcel for the buyer's waiting orders (合并发货); the cloud warehouse ships its orders on their own
        if fake is None and not order.consumer_hold and order.warehouse is None:
            key = (order.consumer.consumer_id, order.shop.shop_id)
            waiting = self._waiting.get(key, [])
            parcel.orders += [o for o in waiting if o is not order and o.status == "paid" and not o.hold
                              and not o.consumer_hold and o.fake is None]
            self._waiting[key] = [o for o in waiting if o.status == "paid" and o not in parcel.orders]
        self.parcels.append(parcel)
        for o in parcel.orders:
            o.status, o.carrier, o.tracking_no, o.shipped_at, o.parcel = "shipped", carrier.code, \
                parcel.tracking_no, now, parcel
            sim.feed.emit("order.shipped", now, {"order_id": o.order_id, "carrier": carrier.code,
                                                 "tracking_no": parcel.tracking_no, "shipped_at": iso(now),
                                                 "weight_g": parcel_weight(o)}, rng=order.rng)
        self._holders[(carrier.code, parcel.tracking_no)] = list(parcel.orders)
        sim.orders.stats["shipped"] += len(parcel.orders)
        sim.orders.stats["merged_parcels"] += len(parcel.orders) > 1
        if fake == "no_scan" and rng.random() < 0.5:
            parcel.outcome = "unscanned"  # nothing was ever handed over
        else:
            late_scan = fake == "no_scan"  # handed over days after the number went up
            collected = now + (rng.uniform(30, 120) if late_scan else rng.uniform(0.5, 3)) * H
            self._plan(parcel, carrier, collected)
        self._emit(parcel)

    def _plan(self, parcel: Parcel, carrier: Carrier, collected: dt.datetime) -> None:
        order = parcel.orders[0]
        rng, origin, dest = order.rng or self.sim.rng, order.warehouse or order.shop.warehouse, order.consumer.region
        if parcel.fake == "origin_only":  # an empty parcel scanned around its own city, then silence
            at, scans = collected, [PlannedScan("collected", origin, _station(origin, carrier, "collected"),
                                                collected)]
            for status in ("departed", "in_transit", "arrived")[:rng.randint(1, 3)]:
                at += rng.uniform(8, 30) * H
                scans.append(PlannedScan(status, origin, _station(origin, carrier, status), at))
            parcel.scans, parcel.outcome = scans, "lost"
            return
        if parcel.fake == "route":  # an empty parcel sent to some other city, "signed for" there
            dest = rng.choice([r for r in REGIONS if r is not dest and r is not origin])
        noise = rng.lognormvariate(0, carrier.sigma)
        scans = [PlannedScan("collected", origin, _station(origin, carrier, "collected"), collected)]
        at = collected
        if dest is not origin:
            if carrier.detailed:
                at += rng.uniform(2, 6) * H
                scans.append(PlannedScan("departed", origin, _station(origin, carrier, "departed"), at))
            hub, previous = hub_between(origin, dest), origin
            for i, stop in enumerate((hub, dest) if hub is not None else (dest,)):
                # Capped so an honest parcel always leaves the origin well within 48 h and never stalls.
                leg = min((rng.uniform(3, 8) + km(previous, stop) / carrier.speed_kmh) * noise, 36 if i == 0 else 60)
                at += leg * H
                scans.append(PlannedScan("arrived", stop, _station(stop, carrier, "arrived"), at))
                previous = stop
        out = push_into_daytime(at + rng.uniform(2, 10) * H)
        scans.append(PlannedScan("out_for_delivery", dest, _station(dest, carrier, "out_for_delivery"), out))
        parcel.scans, parcel.signed_at = scans, push_into_daytime(out + rng.uniform(0.5, 5) * H)
        if parcel.fake == "route":
            parcel.outcome = "misdelivered"
        else:
            self._mishaps(parcel, carrier, origin)

    def _mishaps(self, parcel: Parcel, carrier: Carrier, origin: Region) -> None:
        """Lost, stalled, returned or refused; never before the parcel has left its origin city (a parcel
        that stays home is what a fake looks like)."""
        order, scans = parcel.orders[0], parcel.scans
        rng = order.rng or self.sim.rng
        away = next(i for i, s in enumerate(scans) if s.region is not origin or s.status == "out_for_delivery")
        last_travel = len(scans) - 2  # the scan before out_for_delivery
        r, lost_rate = rng.random(), order.shop.merchant.lost_rate if order.warehouse is None else WAREHOUSE_LOST_RATE
        refused = REFUSED_SHARE * (4 if order.consumer.abusive else 1)
        if r < lost_rate + STALL_SHARE and away <= last_travel:
            k = rng.randint(away, last_travel)
            if r < lost_rate and rng.random() < 0.6:  # lost, and the carrier says so within days
                self._end(parcel, carrier, k, "lost", rng.uniform(18, 60))
                return
            gap = rng.uniform(78, 144)  # silent for more than three days
            parcel.stall = (scans[k].at, scans[k].at + gap * H)
            if r < lost_rate or rng.random() < 0.35:  # ... and then declared lost
                self._end(parcel, carrier, k, "lost", gap)
                return
            shifted = [PlannedScan(s.status, s.region, s.location, s.at + gap * H) for s in scans[k + 1:]]
            out = push_into_daytime(shifted[-1].at)
            shifted[-1] = PlannedScan("out_for_delivery", shifted[-1].region, shifted[-1].location, out)
            parcel.scans = scans[:k + 1] + shifted
            parcel.signed_at = push_into_daytime(out + rng.uniform(0.5, 5) * H)
        elif r < lost_rate + STALL_SHARE + RETURNED_SHARE:
            self._end(parcel, carrier, len(scans) - 1, "returned", rng.uniform(4, 30))
        elif r < lost_rate + STALL_SHARE + RETURNED_SHARE + refused:
            self._end(parcel, carrier, len(scans) - 1, "refused", rng.uniform(0.5, 4))

    def _end(self, parcel: Parcel, carrier: Carrier, k: int, status: str, after_h: float) -> None:
        """The parcel's journey stops after scan ``k`` with an exception scan ``after_h`` later."""
        last = parcel.scans[k]
        stop = PlannedScan(status, last.region, _station(last.region, carrier, status), last.at + after_h * H)
        parcel.scans = [*parcel.scans[:k + 1], stop]
        parcel.signed_at, parcel.outcome = None, status

    # --- fake shippers reusing numbers ---------------------------------------------------------------

    def _donor(self, order: SimOrder) -> Parcel | None:
        """A parcel of this shop (rarely: of a colluding fake shipper's shop) signed for by someone else
        before this order was paid, so none of its scans can pass for this order's."""
        rng = order.rng or self.sim.rng
        shops = [order.shop.shop_id]
        partners = [s.shop_id for m in self.sim.world.merchants if m.fake_shipping and m is not order.shop.merchant
                    for s in m.shops]
        if partners and rng.random() < 0.15:
            shops = [rng.choice(partners)]
        me = order.consumer.consumer_id
        pool = [p for shop_id in shops for p in self._delivered.get(shop_id, [])[-30:]
                if p.signed_at is not None and p.signed_at < order.paid_at
                and all(o.consumer.consumer_id != me for o in self._holders[(p.carrier, p.tracking_no)])]
        return rng.choice(pool) if pool else None

    def _reuse(self, order: SimOrder, donor: Parcel) -> None:
        sim, now = self.sim, self.sim.now
        parcel = Parcel(donor.carrier, donor.tracking_no, [order], outcome="reused", fake="reuse",
                        reused_from=donor.orders[0].order_id)
        self.parcels.append(parcel)
        self._holders[(donor.carrier, donor.tracking_no)].append(order)
        order.status, order.carrier, order.tracking_no, order.shipped_at, order.parcel = \
            "lost", donor.carrier, donor.tracking_no, now, parcel
        sim.orders.stats["shipped"] += 1
        sim.orders.stats["fake_shipments"] += 1
        sim.feed.emit("order.shipped", now, {"order_id": order.order_id, "carrier": donor.carrier,
                                             "tracking_no": donor.tracking_no, "shipped_at": iso(now),
                                             "weight_g": parcel_weight(order)}, rng=order.rng)
        self._never_arrives(order)

    # --- what anxin hears, and what the buyers do ----------------------------------------------------

    def _emit(self, parcel: Parcel) -> None:
        own = parcel.orders[0].rng  # an abuse-mix account's parcel: its stream, and no fake shipper reuses it
        sim, rng, stats = self.sim, own or self.sim.rng, self.sim.orders.stats
        track = {"carrier": parcel.carrier, "tracking_no": parcel.tracking_no}
        for s in parcel.scans:
            sim.feed.emit("shipment.scanned", s.at, {**track, "status": s.status, "location": s.location,
                                                     "region": s.region.code, "scanned_at": iso(s.at)}, rng=own)
        stats["fake_shipments"] += len(parcel.orders) if parcel.fake else 0
        stats["stalled"] += parcel.stall is not None
        stats["parcel_exceptions"] += parcel.outcome in ("lost", "returned", "refused") and not parcel.fake
        signed = parcel.signed_at
        if signed is not None and parcel.outcome in ("delivered", "misdelivered"):
            for o in parcel.orders:  # a misdelivered parcel is "signed for" by a stranger in another city
                sim.feed.emit("order.delivered", signed, {"order_id": o.order_id, "signed_at": iso(signed)},
                              rng=own)
        if signed is not None and parcel.outcome == "delivered":
            if own is None:
                self._delivered.setdefault(parcel.orders[0].shop.shop_id, []).append(parcel)
            for o in parcel.orders:
                sim.agenda.call(signed, sim.orders.deliver, o)
                if parcel.stall is not None and rng.random() < 0.6:  # "no update for days": the buyer asks
                    sim.agenda.call(parcel.stall[0] + rng.uniform(90, 130) * H, sim.cases.not_received, o)
            return
        for o in parcel.orders:
            if parcel.outcome == "refused":
                o.status = "refused"  # the buyer turned it away; the platform refunds that outside anxin
            else:
                o.status = "lost"
                self._never_arrives(o)

    def _never_arrives(self, order: SimOrder) -> None:
        sim, rng = self.sim, order.rng or self.sim.rng
        sim.orders.stats["lost"] += 1
        if order.rng is None:
            sim.contact.lost(order)
        if order.consumer.abusive or rng.random() < 0.9:  # the buyer says so after about a week
            sim.agenda.call(sim.now + rng.uniform(5, 9) * 24 * H, sim.cases.not_received, order)

    def regions_used(self) -> set[str]:
        """Every region code sent: in scans and in orders (tests check them against the ingestion pattern)."""
        codes = {s.region.code for p in self.parcels for s in p.scans}
        for o in self.sim.orders.all:
            codes |= {o.shop.warehouse.code, o.consumer.region.code}
        return codes


def parcel_weight(order: SimOrder) -> int:
    """The order's goods as the carrier weighs them: items plus a box (no random draw: the streams stay put)."""
    return sum(li.weight_g * qty for li, qty, _ in order.items) + 150
