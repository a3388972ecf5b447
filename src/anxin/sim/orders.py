"""Orders through their life: paid → shipped (some late) → scans → signed → reviewed; some cancelled.

The world decides what really happens (a parcel is lost, an item is defective); anxin only hears the
platform events about it. Consumers' reactions are handed to ``anxin.sim.cases``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from anxin.sim.events import CST, iso
from anxin.sim.fulfilment import promise
from anxin.sim.world import Consumer, Listing, Shop

if TYPE_CHECKING:
    from anxin.sim.claims import Claim
    from anxin.sim.creators import Creator
    from anxin.sim.engine import Simulation
    from anxin.sim.geo import Region
    from anxin.sim.logistics import Parcel

H = dt.timedelta(hours=1)
# Relative chance of a purchase in each local hour: quiet nights, a lunch bump, the evening peak.
HOUR_WEIGHT = (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 1.0, 1.0, 1.1, 1.2,
               1.4, 1.2, 1.0, 1.0, 1.0, 1.1, 1.3, 1.6, 2.0, 2.0, 1.7, 0.9)
PROBLEMS = {"fresh": ("spoiled", "spoiled", "damaged"), "cosmetics": ("quality", "damaged"),
            "3c": ("quality", "quality", "missing_parts", "damaged"),
            "apparel": ("not_as_described", "wrong_item", "quality"), "jewelry": ("quality", "not_as_described"),
            "food": ("damaged", "quality", "wrong_item", "missing_parts")}
REVIEWS = {5: ("很满意，物流很快", "质量很好，会回购", "和描述一致"), 4: ("还不错", "整体满意，包装一般"),
           3: ("一般般", "物流有点慢"), 2: ("有点失望", "和图片差距大"), 1: ("很差", "质量问题，售后也慢")}
FESTIVALS = {(11, 11), (12, 12), (6, 18)}  # 双11, 双12, 618: twice the day's volume
PROBLEM_RATINGS = (1, 2, 2, 3)  # a reviewer whose order had a problem


SALE_CHANNELS = ("live", "short_video", "product_card")


@dataclass
class SimOrder:
    order_id: str
    consumer: Consumer
    shop: Shop
    items: list[tuple[Listing, int, int]]  # listing, qty, unit price (fen)
    paid_fen: int
    paid_at: dt.datetime
    exemption_confirmed: bool
    livestream: bool = False
    creator: Creator | None = None  # the creator whose livestream or short video sold it
    tiers: tuple[str | None, ...] = ()  # per item: the stock tier of a tiered listing (spot | presale)
    consumer_hold: bool = False  # the buyer asked the merchant to hold the parcel: exempt from lateness
    ship_by: dt.datetime | None = None  # the promise as the rules compute it (anxin.sim.fulfilment)
    basis: str = ""
    fake: str | None = None  # the fake-shipping behaviour the merchant means to use on this order
    # the world's truth: paid | shipped | lost (never reaches the buyer) | refused | delivered | cancelled
    status: str = "paid"
    hold: bool = False  # an unshipped-refund request is open: the merchant waits for its outcome
    ship_waiting: bool = False
    carrier: str | None = None
    tracking_no: str | None = None
    shipped_at: dt.datetime | None = None  # when the tracking number was uploaded
    signed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    parcel: Parcel | None = None
    problem: str | None = None  # what really went wrong, if anything
    overpromised: bool = False  # its problem is the creator's over-promise (not_as_described)
    claims: list[Claim] = field(default_factory=list)
    warehouse: Region | None = None  # held from worry-free stock: the platform's cloud warehouse ships it
    prize_of: str | None = None  # a lucky bag's prize (anxin made the order; the warehouse ships it, paid 0)
    # An abuse-mix account's order (anxin.sim.abuse): every draw of its life comes from the account's stream, so
    # the main stream's draws stay where they were. None: the main stream.
    rng: random.Random | None = field(default=None, repr=False)

    @property
    def main(self) -> Listing:
        return self.items[0][0]

    @property
    def open_claim(self) -> bool:
        return any(c.open for c in self.claims)

    def missing(self, now: dt.datetime) -> bool:
        """The buyer has nothing and the tracking says nothing new: lost, faked, or stalled right now."""
        if self.status == "lost":
            return True
        stall = self.parcel.stall if self.parcel is not None else None
        return self.status == "shipped" and stall is not None and stall[0] <= now < stall[1]


def poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; daily volumes per shop are small."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def problem_rate(shop: Shop) -> float:
    """The chance a delivered order of this shop has a problem, from its merchant's traits alone (what
    ``Orders.deliver`` draws; a creator's over-promising comes on top)."""
    m, top = shop.merchant, shop.top
    fake = m.fake_rate if top in ("jewelry", "cosmetics") else 0.0
    allergy = 0.015 if top == "cosmetics" else 0.0
    defect = m.defect_rate * (1.8 if top == "fresh" else 1.0)
    return fake + (1 - fake) * (allergy + (1 - allergy) * defect)


def push_into_daytime(at: dt.datetime) -> dt.datetime:
    """Couriers deliver between 09:00 and 21:00 local time."""
    hour = at.astimezone(CST).hour
    if hour < 9:
        return at + (9 - hour) * H
    if hour >= 21:
        return at + (33 - hour) * H
    return at


class Orders:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.all: list[SimOrder] = []
        self.stats: Counter[str] = Counter()
        self.spot_left: dict[str, int] = {}  # tiered listings' spot stock still unsold
        self._numbered = 0  # the main stream's orders (the abuse mix's are numbered apart)

    # --- demand ------------------------------------------------------------------------------------

    def schedule_day(self, day_start: dt.datetime) -> None:
        rng = self.sim.rng
        local = (day_start + 12 * H).astimezone(CST)
        boost = 2.0 if (local.month, local.day) in FESTIVALS else 1.0
        for shop in self.sim.world.shops:
            for _ in range(poisson(rng, shop.daily_orders * boost)):
                self._new(shop, self._paid_time(day_start), live=False)
            if shop.livestream and rng.random() < shop.livestream:
                # An evening livestream (20:00–22:00 local) sells a burst of orders.
                evening = day_start.astimezone(CST).replace(hour=20, minute=0, second=0, microsecond=0)
                if evening < day_start:
                    evening += 24 * H
                host = self.sim.creators.host(shop)
                for _ in range(rng.randint(5, 15)):
                    self._new(shop, evening + rng.uniform(0, 7200) * dt.timedelta(seconds=1), live=True, host=host)
                if self.sim.worry_free is not None:
                    self.sim.worry_free.livestream(shop, host, evening)

    def new_live(self, shop: Shop, paid_at: dt.datetime, listing: Listing, host: Creator | None,
                 rng: random.Random) -> SimOrder:
        """An order of one listing in a livestream's burst, drawn from ``rng`` (the worry-free programme's bursts)."""
        consumer = self.sim.world.pick_consumer(rng)
        qty = 2 if rng.random() < 0.1 else 1
        self._numbered += 1
        creator = host if host is not None and rng.random() < 0.9 else None
        order = SimOrder(f"o-{self._numbered:06d}", consumer, shop, [(listing, qty, listing.price_fen)],
                         qty * listing.price_fen, paid_at, False, livestream=True, creator=creator)
        self.all.append(order)
        self.sim.agenda.call(paid_at, self.place, order)
        return order

    def _paid_time(self, day_start: dt.datetime) -> dt.datetime:
        rng = self.sim.rng
        while True:
            at = day_start + dt.timedelta(seconds=rng.uniform(0, 86400))
            if rng.random() * 2.0 < HOUR_WEIGHT[at.astimezone(CST).hour]:
                return at

    def _new(self, shop: Shop, paid_at: dt.datetime, *, live: bool, host: Creator | None = None) -> None:
        rng = self.sim.rng
        consumer = self.sim.world.pick_consumer(rng)
        picks = rng.sample(shop.listings, 2) if len(shop.listings) > 1 and rng.random() < 0.15 \
            else [rng.choice(shop.listings)]
        items = [(listing, 2 if rng.random() < 0.1 else 1, listing.price_fen) for listing in picks]
        gross = sum(q * p for _, q, p in items)
        # Some orders use a platform coupon: the buyer pays less than the items' total.
        coupon = min(gross // 5, rng.randrange(300, 2001, 100)) if rng.random() < 0.2 else 0
        confirmed = any("hygiene_sealed" in li.leaf.tags for li, _, _ in items) and rng.random() < 0.8
        self._numbered += 1
        order = SimOrder(f"o-{self._numbered:06d}", consumer, shop, items, gross - coupon, paid_at, confirmed,
                         livestream=live, consumer_hold=rng.random() < self.sim.config.consumer_hold_share,
                         creator=self.sim.creators.seller(shop, host))
        self.all.append(order)
        self.sim.agenda.call(paid_at, self.place, order)

    def _allocate(self, order: SimOrder) -> tuple[str | None, ...]:
        """Checkout takes a tiered listing's spot stock first; what does not fit waits for presale stock."""
        tiers: list[str | None] = []
        for listing, qty, _ in order.items:
            if listing.tiers is None:
                tiers.append(None)
                continue
            left = self.spot_left.get(listing.listing_id, listing.tiers.spot_stock)
            tiers.append("spot" if qty <= left else "presale")
            self.spot_left[listing.listing_id] = left - qty if qty <= left else left
        return tuple(tiers)

    # --- lifecycle ---------------------------------------------------------------------------------

    def place(self, order: SimOrder) -> None:
        sim, rng = self.sim, order.rng or self.sim.rng
        if sim.governance is not None and not sim.governance.platform.admits(order):
            self.all.remove(order)  # checkout refused it (listing down, shop closed or limited): it never happened
            self.stats["refused_by_platform"] += 1
            return
        if sim.worry_free is not None and not sim.worry_free.checkout(order):
            self.all.remove(order)  # the warehouse had no stock left for it: the platform did not sell it
            self.stats["sold_out"] += 1
            return
        self.stats["placed"] += 1
        self.stats["livestream"] += order.livestream
        self.stats["by_creator"] += order.creator is not None
        order.tiers = self._allocate(order)
        order.ship_by, order.basis = promise(order, sim.rules.promise.in_stock_hours)
        items = []
        for (li, q, p), tier in zip(order.items, order.tiers, strict=True):
            item: dict[str, object] = {"listing_id": li.listing_id, "qty": q, "price_fen": p,
                                       "exemption_confirmed": order.exemption_confirmed
                                       and "hygiene_sealed" in li.leaf.tags}
            if tier is not None:
                item["stock_tier"] = tier
            items.append(item)
        data: dict[str, object] = {
            "order_id": order.order_id, "consumer_id": order.consumer.consumer_id, "shop_id": order.shop.shop_id,
            "items": items, "paid_fen": order.paid_fen, "paid_at": iso(order.paid_at),
            "ship_from_region": (order.warehouse or order.shop.warehouse).code,
            "ship_to_region": order.consumer.region.code}
        if order.consumer_hold:
            data["consumer_hold"] = True
        gross = sum(q * p for _, q, p in order.items)
        if gross > order.paid_fen:  # the simulator's discounts are platform coupons
            data["platform_coupon_fen"] = gross - order.paid_fen
        # The sale channel, from the order id rather than a draw (other random streams stay as they were).
        own = SALE_CHANNELS[zlib.crc32(order.order_id.encode()) % len(SALE_CHANNELS)]
        data["channel"] = "live" if order.creator is not None else own
        if order.creator is not None:
            data["creator_id"] = order.creator.creator_id
        if sim.config.attributes:  # the buyer at checkout; no draw
            data["risk"] = sim.identities.of(order.consumer).checkout(order.order_id, order.paid_at)
        if order.rng is None:
            sim.contact.paid(order)
        else:
            sim.abuse.paid(order)
        sim.feed.emit("order.paid", order.paid_at, data, rng=order.rng)
        merchant = order.shop.merchant
        ship_h = sim.logistics.upload_delay(order)
        before_ship = order.paid_at + ship_h * 0.9 * H
        r = rng.random()
        if r < 0.02:  # the buyer cancels on the platform before shipment
            at = order.paid_at + rng.uniform(0.2, min(12.0, ship_h * 0.9)) * H
            sim.agenda.call(at, self.cancel, order, "buyer cancelled before shipment")
        elif r < 0.025 + 0.005 * (1 - merchant.quality) and order.warehouse is None:  # the merchant runs out
            sim.agenda.call(before_ship, self.cancel, order, "out of stock")
        elif r < 0.04 + (0.04 if order.consumer.abusive else 0.0):
            # A change of mind within hours: the instant-refund window (6 h after payment).
            at = order.paid_at + rng.uniform(0.25, max(0.3, min(5.0, ship_h * 0.9))) * H
            sim.agenda.call(at, sim.cases.unshipped, order, False)
        elif ship_h > 56 and rng.random() < 0.35:  # still not shipped after two days: ask for the money back
            sim.agenda.call(order.paid_at + rng.uniform(50, min(70, ship_h * 0.95)) * H,
                            sim.cases.unshipped, order, True)
        sim.agenda.call(order.paid_at + ship_h * H, self.ship, order)

    def cancel(self, order: SimOrder, reason: str) -> None:
        if order.status != "paid" or order.hold or order.open_claim:
            return
        order.status, order.cancelled_at = "cancelled", self.sim.now
        self.stats["cancelled"] += 1
        self.sim.feed.emit("order.cancelled", self.sim.now, {"order_id": order.order_id, "reason": reason},
                           rng=order.rng)

    def ship(self, order: SimOrder) -> None:
        if order.status != "paid":
            return
        if order.hold:  # the merchant waits for the refund request's outcome
            order.ship_waiting = True
            return
        self.sim.logistics.ship(order)

    def deliver(self, order: SimOrder) -> None:
        sim, rng = self.sim, self.sim.rng
        order.status, order.signed_at = "delivered", sim.now
        self.stats["delivered"] += 1
        if order.rng is not None:
            sim.abuse.delivered(order)
            return
        if order.prize_of is not None and sim.worry_free is not None:
            order.problem = sim.worry_free.problem(order)  # a prize's truth; its winner files nothing here
            self.stats["prizes_delivered"] += 1
            return
        merchant, top = order.shop.merchant, order.main.leaf.top
        if order.warehouse is not None and sim.worry_free is not None:
            order.problem = sim.worry_free.problem(order)  # inspected goods from the warehouse (its own stream)
        elif top in ("jewelry", "cosmetics") and rng.random() < merchant.fake_rate:
            order.problem = "counterfeit"
        elif top == "cosmetics" and rng.random() < 0.015:
            order.problem = "allergy"  # the buyer's skin, not the merchant's fault, but covered
        elif rng.random() < merchant.defect_rate * (1.8 if top == "fresh" else 1.0):
            order.problem = rng.choice(PROBLEMS[top])
        if order.problem:
            self.stats["problems"] += 1
        planned = sim.cases.after_delivery(order)
        # A creator's over-promise (scoring stream) only where the buyer has nothing else to claim (nor claimed,
        # as for a stalled parcel), and it is marked after the main stream's draws, so these draw as before.
        order.overpromised = not (order.problem or planned or order.claims) and sim.creators.not_as_described(order)
        if rng.random() < (0.2 if order.consumer.abusive else 0.3):
            if order.problem:
                rating = rng.choice(PROBLEM_RATINGS)
            else:
                rating = 5 if rng.random() < 0.35 + 0.6 * merchant.quality else rng.choice((3, 4, 4))
            posted = sim.now + rng.uniform(6, 96) * H
            text = rng.choice(REVIEWS[rating])
            if order.overpromised:
                rating = sim.scoring_rng.choice(PROBLEM_RATINGS)
                text = sim.scoring_rng.choice(REVIEWS[rating])
            self.stats["reviews"] += 1
            sim.feed.emit("review.posted", posted, {"order_id": order.order_id, "rating": rating,
                                                    "text": text, "posted_at": iso(posted)})
        if order.overpromised:
            order.problem = "not_as_described"
            self.stats["problems"] += 1
            sim.cases.overpromised(order)
        sim.contact.delivered(order)
