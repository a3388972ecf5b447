"""The worry-free programme in a simulated run (``SimConfig.worry_free``): enrolment, the platform's cloud warehouse,
inbound lots and their inspection, checkout reservations, warehouse shipping, creators choosing from the pool, lucky
bags with draws.

**Who enrols**: shops whose merchant quality is at least ``ENROL_QUALITY`` and that are not counterfeit sellers enrol
two to four of their listings (packaged categories first; made-to-measure and digital goods never) at the start,
through the programme's enrolment use case, as the merchant; anxin decides (it may refuse).

**Suppliers and lots** (``anxin.sim.lots``): ``SUPPLIERS`` suppliers, 15 % of them defective (6–15 % of units fail a
check); each enrolled listing gets a first lot on the day before the run and a new one whenever its available stock
falls below five days of its expected sales (checked each morning; arriving the next day); perishable lots arrive
near expiry with the supplier's share. Lots reach anxin as ``warehouse.lot_received`` events through the feed.

**Inspection**: the sim's warehouse operator opens the units of the plan anxin computed (2–8 h after receipt) and
records what each really is (``LotTruth.faults``); anxin passes or rejects the lot.

**Checkout** (``Orders.place``): an order with an item of an enrolled listing first holds stock through
``anxin.worryfree.hold`` (``POST /v1/worry-free/reservations``); when anxin says out of stock the platform does not
sell it (the order never happens: ``stats["sold_out"]``). A held order ships from the platform's cloud warehouse
nearest the buyer (``WAREHOUSES``) with SF or JD.

**The warehouse ships** orders paid before 16:00 local the same day (1–6 h), later ones the next morning, 1 % after
a day or more (a count discrepancy): it works to the programme's 24 h promise. ASSUMED, not measured anywhere: an
order shipped from the warehouse has a product problem when the unit it got is defective (the share of defective
units in the lot it was reserved from: what inspection let through) or, independently, with 30 % of its merchant's
defect rate (faults an outer inspection cannot see); no counterfeits come out of the warehouse. These assumptions,
and the warehouse's speed and location, are what the simulated worry-free vs other figures reflect.

All draws come from ``random.Random("anxin-sim-worryfree:<seed>")``; with worry-free on, the main stream's later
draws move (held orders skip the merchant's shipping draws), like governance's takedowns do.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.sim.bag_campaigns import Entry, campaign, entrants
from anxin.sim.bursts import arrivals, burst_size, live_burst
from anxin.sim.events import CST
from anxin.sim.geo import BY_CODE, Region, km
from anxin.sim.lots import LotTruth, Supplier, cast_suppliers, lot_size, make_lot, sample_units, unit_results
from anxin.sim.orders import H, SimOrder
from anxin.sim.selection import PoolItem, Taste, choose
from anxin.worryfree import tag_store
from anxin.worryfree.inspections import UnitIn
from anxin.worryfree.lucky_bags import NewBag, NewEntry
from anxin.worryfree.pool import SelectionPool, TagBands
from anxin.worryfree.pool_filters import PoolFilter

if TYPE_CHECKING:
    from anxin.sim.creators import Creator
    from anxin.sim.engine import Simulation
    from anxin.sim.world import Listing, Shop

ENROL_QUALITY = 0.8  # the better shops join: the tag judges the whole shop (24-hour ship rate, complaints)
SUPPLIERS = 12
WAREHOUSES = ("CN-ZJ-HZ", "CN-GD-GZ", "CN-BJ-BJ", "CN-SC-CD", "CN-HB-WH")  # the platform's cloud warehouses
WAREHOUSE_CARRIERS = ("sf", "jd")
NEVER = ("custom_made", "digital")  # leaf tags of goods the warehouse does not take
COVER_DAYS = 5
SCORE_EVERY_DAYS = 7  # the scoring run is the programme's main cost in a simulated run (docs/worry-free.md)
BAG_SHARE = 0.4  # hosted streams of enrolled shops that open a lucky bag
POOL_STREAM_SHARE = 0.25  # days a creator streams for a shop whose worry-free listings it picked
OWN_STREAM_SHARE = 0.15  # days a shop with tagged stock streams it itself (店播), a lucky bag being the draw
HIDDEN_DEFECT_SHARE = 0.3
PLATFORM = Principal(key_id="sim", role=Role.PLATFORM, subject="sim-platform")
OPERATOR = Principal(key_id="sim", role=Role.OPERATOR, subject="sim-warehouse-operator")


@dataclass
class Enrolled:
    listing: Listing
    shop: Shop
    daily_units: float
    supplier: Supplier
    lots: list[LotTruth] = field(default_factory=list)
    pending_lot: bool = False  # a lot is on its way
    active: bool = False  # anxin enrolled it
    stocked: bool = False  # a lot of it passed inspection: the warehouse sells it (holds at checkout)


@dataclass(frozen=True)
class DrawnBag:
    bag_id: str
    shop: Shop
    creator_id: str | None  # None: the shop's own stream (店播) gave it
    listing_ids: tuple[str, ...]
    entrants: int
    prizes: int
    at: dt.datetime


class WorryFreeActors:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.rng = random.Random(f"anxin-sim-worryfree:{sim.config.seed}")
        self.suppliers = cast_suppliers(self.rng, SUPPLIERS, defective_share=0.15)
        self.enrolled: dict[str, Enrolled] = {}
        self.lots: dict[str, LotTruth] = {}
        self.verdicts: dict[str, str] = {}  # lot id → what anxin decided (passed | rejected)
        self.order_lots: dict[str, list[str]] = {}  # order id → the lots its units came from
        self.stats: Counter[str] = Counter()
        self.picks: dict[str, list[str]] = {}  # creator id → listing ids picked from the pool
        self.wf_picks: dict[str, set[str]] = {}  # creator id → shops whose worry-free listings it picked
        self.prizes: list[SimOrder] = []  # prize orders of lucky-bag draws, shipped by the warehouse
        self.drawn: list[DrawnBag] = []  # what the demo shows: the bags drawn, in order
        self._lots = 0
        self._bags = 0
        self._pick_listings()

    # --- enrolment and lots --------------------------------------------------------------------------------------

    def _pick_listings(self) -> None:
        rng = self.rng
        # the categories the programme takes (the tag rulebook's enrolment.category.tags)
        eligible = set(self.sim.anxin.wf_enrolments.rules.enrolment.category.tags)
        for shop in self.sim.world.shops:
            m = shop.merchant
            if m.quality < ENROL_QUALITY or m.kind == "counterfeit" or m.fake_shipping:
                continue
            fit = [li for li in shop.listings if not set(li.leaf.tags) & set(NEVER) and li.presale_ship_by is None
                   and li.tiers is None and ({li.leaf.top, *li.leaf.tags} & eligible or not eligible)]
            if not fit:
                continue
            per_listing = shop.daily_orders / max(1, len(shop.listings)) * 1.2
            for li in rng.sample(fit, min(len(fit), rng.randint(2, 4))):
                self.enrolled[li.listing_id] = Enrolled(li, shop, per_listing, rng.choice(self.suppliers))

    def setup(self, at: dt.datetime) -> None:
        """Before the run: the chosen listings' merchants ask to enrol them. The rulebook wants a scored shop (a
        month of orders), and the simulated marketplace starts without history, so most are refused now; they ask
        again after each of the sim's scoring runs (every ``SCORE_EVERY_DAYS`` days)."""
        for e in self.enrolled.values():
            self.sim.agenda.call(at + dt.timedelta(hours=2), self._enrol, e)

    def _score_and_enrol(self) -> None:
        """The nightly scoring as the platform would run it, then the merchants waiting to enrol ask again."""
        self.sim.sync()
        started = time.perf_counter()
        try:
            self.sim.anxin.scoring.run(self.sim.anxin.scoring.today())
            self.stats["scoring_runs"] += 1
            self.stats["scoring_ms"] += round((time.perf_counter() - started) * 1000)
        except AnxinError as exc:
            self.stats[f"scoring_failed:{exc.code.value}"] += 1
        for e in self.enrolled.values():
            if not e.active:
                self._enrol(e)

    def _enrol(self, e: Enrolled) -> None:
        self.sim.sync()
        who = Principal(key_id="sim", role=Role.MERCHANT, subject=e.shop.merchant.merchant_id)
        try:
            decision, _ = self.sim.anxin.wf_enrolments.enrol(who, e.listing.listing_id)
        except AnxinError as exc:
            self.stats[f"enrol_refused:{exc.code.value}"] += 1
            return
        self.stats[f"enrolment_{decision.get('state', 'decided')}"] += 1
        if decision.get("state") == "active" and not e.active:
            e.active = True  # the merchant sends its first lot to the platform's warehouse
            self._send_lot(e, self.sim.now + dt.timedelta(hours=self.rng.uniform(20, 44)))

    def _send_lot(self, e: Enrolled, at: dt.datetime) -> None:
        self._lots += 1
        local_day = at.astimezone(CST).date()
        minimum = self._min_inbound(e.listing)
        lot = make_lot(self.rng, lot_id=f"lot-{self._lots:05d}", listing_id=e.listing.listing_id,
                       top=e.listing.leaf.top, supplier=e.supplier, quantity=lot_size(self.rng, e.daily_units),
                       received_at=at, local_day=local_day, min_inbound_share=minimum)
        e.lots.append(lot)
        e.pending_lot = True
        self.lots[lot.lot_id] = lot
        self.stats["lots"] += 1
        self.stats["near_expiry_lots"] += lot.near_expiry
        self.sim.feed.emit("warehouse.lot_received", at, lot.event_data() | {"received_at": _iso(at)}, prompt=True,
                           rng=self.rng)
        self.sim.agenda.call(at + dt.timedelta(hours=self.rng.uniform(2, 8)), self._inspect, e, lot)

    def _min_inbound(self, listing: Listing) -> float:
        """The category's minimum share of shelf life at inbound, from the programme's rulebook."""
        _, share = self.sim.anxin.worryfree.rules.min_at_inbound(frozenset((listing.leaf.top, *listing.leaf.tags)))
        return float(share)

    def _inspect(self, e: Enrolled, lot: LotTruth) -> None:
        """The warehouse operator opens the plan's units (drawn from the lot) and records what each really is."""
        self.sim.sync()
        e.pending_lot = False
        inspections = self.sim.anxin.inspections
        try:
            inspection = inspections.lot_view(OPERATOR, lot.lot_id)["inspection"]
        except AnxinError as exc:
            self.stats[f"inspection_refused:{exc.code.value}"] += 1
            return
        if inspection is None:
            self.stats["inspection_not_planned"] += 1
            return
        if inspection["verdict"] is not None:  # decided at receipt (shelf life at inbound)
            self._verdict(lot, inspection["verdict"]["outcome"], at_receipt=True)
            return
        plan = inspection["plan"]
        opened = unit_results(lot, sample_units(self.rng, lot.quantity, int(plan["sample_size"])))
        units = [UnitIn(unit_no=n, checks={c: str(u.get(c, "pass")) for c in plan["checks"]}, note=str(u["note"]))
                 for n, u in enumerate(opened, start=1)]  # the sample's own numbering, 1..sample_size
        try:
            out = inspections.record_results(OPERATOR, lot.lot_id, units)
        except AnxinError as exc:
            self.stats[f"inspection_refused:{exc.code.value}"] += 1
            return
        self.stats["units_inspected"] += len(units)
        self._verdict(lot, out["inspection"]["verdict"]["outcome"], at_receipt=False)

    def _verdict(self, lot: LotTruth, outcome: str, *, at_receipt: bool) -> None:
        self.verdicts[lot.lot_id] = outcome
        self.stats[f"lots_{outcome}" + ("_at_receipt" if at_receipt else "")] += 1
        if outcome == "passed":
            self.stats["defective_units_passed"] += lot.defective_units
            self.enrolled[lot.listing_id].stocked = True

    def day(self, day_start: dt.datetime) -> None:
        """Each morning: a listing whose available stock would not last ``COVER_DAYS`` gets a lot tomorrow; every
        seventh day (from the first), creators pick products from the pool."""
        n = (day_start - self.sim.start).days
        if n % 7 == 0:
            self.sim.agenda.call(day_start + dt.timedelta(hours=10), self._creators_choose)
        self._pool_streams(day_start)
        self._own_streams(day_start)
        if n % SCORE_EVERY_DAYS == SCORE_EVERY_DAYS - 1:
            self.sim.agenda.call(day_start + dt.timedelta(hours=1), self._score_and_enrol)
        for e in self.enrolled.values():
            if e.pending_lot or not e.active:
                continue
            try:
                level = self.sim.anxin.worryfree.stock(e.listing.listing_id)
            except AnxinError:
                continue
            if level.available < COVER_DAYS * e.daily_units:
                self._send_lot(e, day_start + dt.timedelta(hours=24 + self.rng.uniform(6, 14)))

    @staticmethod
    def commission(listing: Listing) -> dict[str, int]:
        """The shop's commission offer to creators (精选联盟) on a listing: 70 % of listings, 5–30 %; from the id, not
        a draw."""
        h = zlib.crc32(f"commission:{listing.listing_id}".encode())
        return {"commission_bp": 500 + 100 * (h // 10 % 26)} if h % 10 < 7 else {}

    # --- live-stream bursts ----------------------------------------------------------------------------------------

    def livestream(self, shop: Shop, host: Creator | None, evening: dt.datetime) -> None:
        """A stream of a shop with stocked enrolled listings (hosted by a creator, or the shop's own 店播 when
        ``host`` is None) puts their links up: a burst of checkouts for them over the two hours
        (``anxin.sim.bursts``), on top of the stream's other orders; some streams open a lucky bag."""
        mine = [e for e in self.enrolled.values() if e.shop is shop and e.stocked]
        if not mine:
            return
        rng = self.rng
        n = burst_size(rng, viewers=rng.randint(800, 4000))
        offsets = arrivals(rng, live_burst(rng, minutes=120), n)
        for s in offsets:
            e = rng.choice(mine)
            self.sim.orders.new_live(shop, evening + dt.timedelta(seconds=s), e.listing, host, rng)
        self.stats["bursts"] += 1
        self.stats["burst_orders"] += n
        if rng.random() < BAG_SHARE:
            self.sim.agenda.call(evening + dt.timedelta(minutes=5), self._lucky_bag, shop, host, evening, mine)

    @staticmethod
    def _streamer(shop: Shop, host: Creator | None) -> tuple[Principal, str]:
        """Who runs the stream's bag (the hosting creator, else the shop's merchant) and the live room's id."""
        if host is not None:
            return Principal(key_id="sim", role=Role.CREATOR, subject=host.creator_id), f"room-{host.creator_id}"
        return Principal(key_id="sim", role=Role.MERCHANT, subject=shop.merchant.merchant_id), f"room-{shop.shop_id}"

    def _lucky_bag(self, shop: Shop, host: Creator | None, evening: dt.datetime, mine: list[Enrolled]) -> None:
        """The stream opens a lucky bag of tagged listings with stock (``anxin.sim.bag_campaigns``), as its creator
        or, on the shop's own stream, its merchant; viewers enter through the platform; the streamer draws after the
        window; the warehouse ships the prizes."""
        self.sim.sync()
        bags = self.sim.anxin.lucky_bags
        with self.sim.anxin.uow_factory() as uow:  # prizes must carry the tag (the bag service refuses others)
            tagged = tag_store.tagged(uow.session, [e.listing.listing_id for e in mine])
        stocked = []
        for e in (e for e in mine if e.listing.listing_id in tagged):
            try:
                stocked.append((e.listing.listing_id, int(self.sim.anxin.worryfree.stock(e.listing.listing_id)
                                                          .available) // 4))
            except AnxinError:
                continue
        self._bags += 1
        who, room = self._streamer(shop, host)
        plan = campaign(self.rng, bag_id=f"sim-bag-{self._bags:04d}", creator_id=host.creator_id if host else "",
                        shop_id=shop.shop_id, live_room_id=room, listings=stocked, stream_start=evening,
                        max_units=6)
        if plan is None or plan.opens_at <= self.sim.now:
            self.stats["bags_without_stock"] += 1
            return
        title = f"{host.creator_id} 直播间福袋" if host is not None else f"{shop.name} 店播福袋"
        try:
            bag = bags.create(who, NewBag(live_room_id=plan.live_room_id, shop_id=plan.shop_id,
                                          prizes=tuple((p.listing_id, p.quantity) for p in plan.prizes),
                                          opens_at=plan.opens_at, closes_at=plan.closes_at,
                                          creator_id=host.creator_id if host else None, title=title))
        except AnxinError as exc:
            self.stats[f"bag_refused:{exc.code.value}"] += 1
            return
        self.stats["bags"] += 1
        audience = [(c.consumer_id, c.region.code) for c in self.sim.world.consumers]
        n = min(len(audience), self.rng.randint(20, 200))
        for entry in entrants(self.rng, plan, audience, n):
            self.sim.agenda.call(entry.entered_at, self._enter, bag["bag_id"], entry)
        self.sim.agenda.call(plan.closes_at + dt.timedelta(minutes=self.rng.uniform(1, 10)), self._draw,
                             bag["bag_id"], host, shop)

    def _enter(self, bag_id: str, entry: Entry) -> None:
        self.sim.sync()
        try:
            out, created = self.sim.anxin.lucky_bags.enter(PLATFORM, bag_id, NewEntry(
                consumer_id=entry.consumer_id, region=entry.region, entered_at=self.sim.now))
        except AnxinError as exc:
            self.stats[f"entry_refused:{exc.code.value}"] += 1
            return
        self.stats["bag_entries" if created else "bag_entries_repeated"] += 1
        self.stats["bag_entries_ineligible"] += created and not out.get("eligible", True)

    def _draw(self, bag_id: str, host: Creator | None, shop: Shop) -> None:
        self.sim.sync()
        who, _ = self._streamer(shop, host)
        try:
            bag, _ = self.sim.anxin.lucky_bags.draw(who, bag_id)
        except AnxinError as exc:
            self.stats[f"draw_refused:{exc.code.value}"] += 1
            return
        self.stats["draws"] += 1
        self.drawn.append(DrawnBag(bag_id, shop, host.creator_id if host else None,
                                   tuple(sorted({p["listing_id"] for p in bag.get("prizes", [])})),
                                   int(bag.get("eligible_entries", 0)), len(bag.get("winners", [])),
                                   self.sim.now))
        consumers = {c.consumer_id: c for c in self.sim.world.consumers}
        listings = {li.listing_id: li for li in shop.listings}
        for w in bag.get("winners", []):
            consumer, listing = consumers.get(w["consumer_id"]), listings.get(w["listing_id"])
            if consumer is None or listing is None:
                continue
            order = SimOrder(w["order_id"], consumer, shop, [(listing, 1, 0)], 0, self.sim.now, False,
                             livestream=True, prize_of=bag_id)
            order.warehouse = self.nearest(consumer.region)
            self.prizes.append(order)
            self.stats["prize_orders"] += 1
            self.sim.agenda.call(self.sim.now + self.upload_delay(order) * H, self.sim.orders.ship, order)

    def _own_streams(self, day_start: dt.datetime) -> None:
        """A shop whose enrolled listings carry the tag streams them itself on some evenings (``OWN_STREAM_SHARE``):
        worry-free goods with a lucky bag are what a shop's own live room sells on."""
        evening = self._evening(day_start)
        if evening is None:
            return
        stocked = [e for e in self.enrolled.values() if e.stocked]
        if not stocked:
            return
        self.sim.sync()
        with self.sim.anxin.uow_factory() as uow:
            tagged = tag_store.tagged(uow.session, [e.listing.listing_id for e in stocked])
        shops = {e.shop.shop_id: e.shop for e in stocked if e.listing.listing_id in tagged}
        for shop_id in sorted(shops):
            if self.rng.random() < OWN_STREAM_SHARE:
                self.stats["own_streams"] += 1
                self.livestream(shops[shop_id], None, evening)

    def _evening(self, day_start: dt.datetime) -> dt.datetime | None:
        """This day's 20:00 local, when streams start (None when the run ends first)."""
        evening = day_start.astimezone(CST).replace(hour=20, minute=0, second=0, microsecond=0)
        if evening < day_start:
            evening += 24 * H
        return evening if evening < self.sim.end else None

    def _pool_streams(self, day_start: dt.datetime) -> None:
        """A creator who picked a shop's worry-free listings from the pool hosts an evening stream for it on some
        days (``POOL_STREAM_SHARE``): the links go up (a burst), and some streams open a lucky bag."""
        shops = {s.shop_id: s for s in self.sim.world.shops}
        creators = {c.creator_id: c for c in self.sim.world.creators}
        evening = self._evening(day_start)
        if evening is None:
            return
        for creator_id in sorted(self.wf_picks):
            for shop_id in sorted(self.wf_picks[creator_id]):
                if shop_id in shops and self.rng.random() < POOL_STREAM_SHARE:
                    self.stats["pool_streams"] += 1
                    self.livestream(shops[shop_id], creators[creator_id], evening)

    # --- creators choosing from the pool -----------------------------------------------------------------------

    def _creators_choose(self) -> None:
        """Each creator looks at the pool as anxin shows it and picks two to four products (``anxin.sim.selection``);
        the shops it picks are then promoted by it (their orders may carry its id)."""
        self.sim.sync()
        started = time.perf_counter()
        for creator in self.sim.world.creators:
            items = self._pool(creator.creator_id)
            if not items:
                continue
            prices = [li.price_fen for s in creator.shops for li in s.listings] or [10000]
            taste = Taste.of(creator.honesty, sorted(prices)[len(prices) // 2])
            picks = choose(self.rng, taste, items, self.rng.randint(2, 4))
            self.picks.setdefault(creator.creator_id, []).extend(p.listing_id for p in picks)
            self.wf_picks.setdefault(creator.creator_id, set()).update(p.shop_id for p in picks if p.worry_free)
            self.stats["pool_picks"] += len(picks)
            self.stats["pool_picks_worry_free"] += sum(p.worry_free for p in picks)
            by_id = {s.shop_id: s for s in self.sim.world.shops}
            for p in picks:
                shop = by_id.get(p.shop_id)
                if shop is not None and shop not in creator.shops:
                    creator.shops.append(shop)
                    shop.creators.append(creator)
        self.stats["pool_ms"] += round((time.perf_counter() - started) * 1000)

    def _pool(self, creator_id: str) -> list[PoolItem]:
        """The selection pool as anxin shows it to this creator (at most five pages)."""
        a = self.sim.anxin
        pool = SelectionPool(uow_factory=a.uow_factory, clock=a.clock, guarantees=a.rulebooks,
                             bands=TagBands(a.wf_tags.rules))
        who = Principal(key_id="sim", role=Role.CREATOR, subject=creator_id)
        out: list[PoolItem] = []
        after = None
        for _ in range(5):
            page = pool.search(who, PoolFilter(), after=after, limit=100)
            for item in page.items:
                c = item.candidate
                out.append(PoolItem(c.listing_id, c.shop_id, c.price_fen, c.commission_bp, c.worry_free,
                                    None if c.score_x100 is None else c.score_x100 / 100, c.category_id))
            after = page.next_key
            if after is None:
                break
        return out

    # --- checkout, shipping, what the buyer gets -----------------------------------------------------------------

    def checkout(self, order: SimOrder) -> bool:
        """An order of an enrolled listing holds stock first; False: anxin had none, the platform does not sell."""
        items = [(li.listing_id, q) for li, q, _ in order.items
                 if li.listing_id in self.enrolled and self.enrolled[li.listing_id].stocked]
        if not items or order.rng is not None:
            return True
        self.sim.sync()
        try:
            hold = self.sim.anxin.worryfree.hold(order.order_id, items)
        except AnxinError as exc:
            if exc.code.value.endswith("out_of_stock"):
                self.stats["sold_out"] += 1
                return False
            self.stats[f"hold_refused:{exc.code.value}"] += 1
            return True
        self.stats["held"] += 1
        self.order_lots[order.order_id] = [r.lot_id for r in hold.reservations]
        order.warehouse = self.nearest(order.consumer.region)
        return True

    @staticmethod
    def nearest(region: Region) -> Region:
        return min((BY_CODE[c] for c in WAREHOUSES), key=lambda w: (km(w, region), w.code))

    def upload_delay(self, order: SimOrder) -> float:
        """Hours from payment to the warehouse's hand-over: same day before the 16:00 cut-off, else next morning."""
        rng = self.rng
        local = order.paid_at.astimezone(CST)
        if rng.random() < 0.01:
            return rng.uniform(24, 40)  # a count discrepancy: found, recounted, shipped late
        if local.hour < 16:
            return rng.uniform(1, 6)
        next_morning = (local + dt.timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
        return (next_morning - local) / H + rng.uniform(0.5, 4)

    def problem(self, order: SimOrder) -> str | None:
        """What goes wrong with a warehouse order's goods (see the module's ASSUMED)."""
        from anxin.sim.orders import PROBLEMS

        rng, top = self.rng, order.main.leaf.top
        lots = [self.lots[x] for x in self.order_lots.get(order.order_id, []) if x in self.lots]
        defect = max((lot.defect_share for lot in lots), default=0.0)
        if rng.random() < defect:
            return "damaged" if rng.random() < 0.6 else "quality"
        if top == "cosmetics" and rng.random() < 0.015:
            return "allergy"
        hidden = HIDDEN_DEFECT_SHARE * order.shop.merchant.defect_rate * (1.8 if top == "fresh" else 1.0)
        if rng.random() < hidden:
            return rng.choice(PROBLEMS[top])
        return None

    # --- the demo's showcases -------------------------------------------------------------------------------------

    def showcase_bag(self) -> DrawnBag | None:
        """The drawn bag the demo shows: a creator's if any (its page is the creator's), the most entrants first."""
        return min(self.drawn, key=lambda b: (b.creator_id is None, -b.entrants, b.bag_id), default=None)

    def showcase_merchant(self) -> str | None:
        """The shop of the showcased bag, else the merchant with the most held orders, else one who asked to enrol."""
        bag = self.showcase_bag()
        if bag is not None:
            return bag.shop.merchant.merchant_id
        held: Counter[str] = Counter()
        for o in self.sim.orders.all:
            if o.warehouse is not None:
                held[o.shop.merchant.merchant_id] += 1
        if held:
            return min(held, key=lambda m: (-held[m], m))
        fallback = self.sim.world.merchants[0].merchant_id if self.sim.world.merchants else None
        return min((e.shop.merchant.merchant_id for e in self.enrolled.values()), default=fallback)

    def showcase_creator(self) -> str | None:
        """The creator of the showcased bag, else the one who picked the most from the pool, else the busiest."""
        bag = self.showcase_bag()
        if bag is not None and bag.creator_id is not None:
            return bag.creator_id
        if self.picks:
            return min(self.picks, key=lambda c: (-len(self.picks[c]), c))
        creators = self.sim.world.creators
        return max(creators, key=lambda c: (c.activity, c.creator_id)).creator_id if creators else None

    def story(self, listing_id: str) -> dict[str, Any]:
        """One listing's way through the programme, as the simulator saw it: its lots and their verdicts, the orders
        sold from its guaranteed stock, the checkouts refused when it ran out, its prizes."""
        lots = [lot for lot in self.lots.values() if lot.listing_id == listing_id]
        held = sum(1 for o in self.sim.orders.all if o.warehouse is not None and o.prize_of is None
                   and any(li.listing_id == listing_id for li, _, _ in o.items))
        prizes = sum(1 for o in self.prizes if o.main.listing_id == listing_id)
        passed = [lot.lot_id for lot in lots if self.verdicts.get(lot.lot_id) == "passed"]
        return {"listing_id": listing_id, "lots": len(lots), "passed": passed,
                "rejected": [lot.lot_id for lot in lots if self.verdicts.get(lot.lot_id) == "rejected"],
                "held_orders": held, "prize_orders": prizes}

    # --- ground truth ---------------------------------------------------------------------------------------------

    def truth(self) -> dict[str, Any]:
        return {"enrolled": sorted(self.enrolled), "stats": dict(self.stats),
                "suppliers": [{"supplier_id": s.supplier_id, "defect_rate": s.defect_rate, "defective": s.defective}
                              for s in self.suppliers],
                "lots": [{"lot_id": lot.lot_id, "listing_id": lot.listing_id, "supplier_id": lot.supplier_id,
                          "quantity": lot.quantity, "defective_units": lot.defective_units,
                          "near_expiry": lot.near_expiry, "verdict": self.verdicts.get(lot.lot_id)}
                         for lot in self.lots.values()]}


def _iso(at: dt.datetime) -> str:
    return at.astimezone(CST).isoformat()


