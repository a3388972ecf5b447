"""The simulation loop: a simulated clock, hour by hour, through anxin's real services.

Each hour: run everything due in it in time order (orders placed and shipped, consumers filing,
merchants answering...), hand the platform events that reached anxin to ingestion in batches, then
move the clock to the hour's end and ``anxin.tick()`` so deadlines fire and the outbox delivers.
Before any person acts, the events that arrived until then are ingested first, so every request
sees exactly what the platform had told anxin by that moment.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
import zlib
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from anxin.bootstrap import Anxin
from anxin.core.clock import FixedClock, ensure_aware
from anxin.ingest.service import MAX_BATCH, IngestResult
from anxin.orders.fulfilment_rules import FulfilmentRulebook
from anxin.sim import olist
from anxin.sim.abuse import Abuse
from anxin.sim.cases import Cases
from anxin.sim.contact import Contact, cast_accounts
from anxin.sim.creators import Creators, cast_creators
from anxin.sim.events import Agenda, Arrival, Feed, iso
from anxin.sim.governance import GovernanceActors
from anxin.sim.identity import ReopenedShop, cast_identities
from anxin.sim.listing_texts import write_listings
from anxin.sim.logistics import Logistics
from anxin.sim.orders import H, Orders
from anxin.sim.world import LEAVES, TOPS, Listing, SimConfig, World, build_world

if TYPE_CHECKING:
    from anxin.sim.care import CareActors
    from anxin.sim.worry_free import WorryFreeActors

DayCallback = Callable[[int, dict[str, int]], None]


class Simulation:
    def __init__(self, anxin: Anxin, config: SimConfig, *, events_out: TextIO | None = None) -> None:
        if not isinstance(anxin.clock, FixedClock):
            raise TypeError("the simulator drives time itself: bootstrap anxin with a FixedClock")
        if config.days < 1 or config.merchants < 1 or config.consumer_count < 1:
            raise ValueError("days, merchants and consumers must be at least 1")
        self.anxin, self.config, self.clock = anxin, config, anxin.clock
        self.rng = random.Random(config.seed)  # the only source of chance: a seed replays exactly
        self.start = ensure_aware(config.start)
        self.end = self.start + dt.timedelta(days=config.days)
        self.now = self.start
        self.agenda = Agenda()
        self.feed = Feed(self.rng, self.agenda, late_share=config.late_share, replay_share=config.replay_share)
        wanted = {name for leaf in LEAVES for name in leaf.olist}
        self.world: World = build_world(self.rng, config, olist.load(config.olist_dir, wanted=wanted))
        # Listing texts and seller kinds draw from a stream of their own (the main stream's draws stay put).
        write_listings(random.Random(f"anxin-sim-listings:{config.seed}"), self.world, config)
        # What only the scores read (creators, complaints, chats, content feedback, account ages) draws from
        # a stream of its own, so adding it left the main stream's draws, and the older ground truth, alone.
        self.scoring_rng = random.Random(f"anxin-sim-scoring:{config.seed}")
        cast_creators(self.scoring_rng, self.world, config.merchants)
        cast_accounts(self.scoring_rng, self.world, self.start)
        # Attributes and credentials (risk control's inputs) and the abuse mix draw from streams of their own too.
        self.identity_rng = random.Random(f"anxin-sim-identity:{config.seed}")
        # Honest requests that show an abuser's signals for good reasons (anxin.sim.overlap): a stream of their own.
        self.overlap_rng = random.Random(f"anxin-sim-overlap:{config.seed}")
        self.identities = cast_identities(self.identity_rng, self.world, self.start, self.end,
                                          reopened_share=config.reopened_shop_share)
        # The promise rules and thresholds the ground truth follows: the ones anxin itself runs with.
        self.rules: FulfilmentRulebook = anxin.fulfilment_rules
        self.orders = Orders(self)
        self.logistics = Logistics(self)
        self.cases = Cases(self)
        self.creators = Creators(self)
        self.contact = Contact(self)
        self.abuse = Abuse(self)
        # Operators, rights holders and appealing merchants, and the platform carrying out anxin's actions: a stream
        # of their own; off unless asked for (SimConfig.governance).
        self.governance = GovernanceActors(self) if config.governance else None
        # Consumers and merchants consulting customer care, merchants and platform agents answering: a stream of its
        # own; off unless asked for (SimConfig.care).
        self.care: CareActors | None = None
        if config.care:
            from anxin.sim.care import CareActors  # (the intent texts and the care rulebook load only when asked for)

            self.care = CareActors(self)
        # The worry-free programme: enrolment, lots, inspection, reservations, the warehouse, the pool, lucky bags (a
        # stream of its own; off unless asked for: SimConfig.worry_free).
        self.worry_free: WorryFreeActors | None = None
        if config.worry_free:
            from anxin.sim.worry_free import WorryFreeActors

            self.worry_free = WorryFreeActors(self)
        for reopened in self.identities.reopened:
            self.agenda.call(reopened.at, self._reopen, reopened)
        self.ingested = IngestResult()
        self.rejected: Counter[str] = Counter()
        self.rejected_samples: list[str] = []
        self.clock_actions: Counter[str] = Counter()
        self.delivery: Counter[str] = Counter()
        self.batches = 0
        self._buffer: list[dict[str, Any]] = []
        self._last_batch: list[dict[str, Any]] = []
        self._events_out = events_out
        self.seconds = 0.0

    # --- time and ingestion ----------------------------------------------------------------------

    def after_tick(self, at: dt.datetime) -> dt.datetime:
        """A minute after the first hourly tick at or after ``at``."""
        hours = math.ceil((at - self.start) / H)
        return self.start + hours * H + dt.timedelta(minutes=1)

    def sync(self) -> None:
        """Before a person acts: ingest what has arrived by now, with the clock at now."""
        self._flush(self.now)

    def _flush(self, at: dt.datetime) -> None:
        self.clock.set(at)
        if not self._buffer:
            return
        events, self._buffer = self._buffer, []
        for i in range(0, len(events), MAX_BATCH):
            chunk = events[i:i + MAX_BATCH]
            result = self.anxin.ingestion.ingest(chunk)
            self.batches += 1
            for r in result.rejected:
                self.rejected[r.code] += 1
                if len(self.rejected_samples) < 10:
                    self.rejected_samples.append(f"{r.event_id} [{r.code}] {r.message}")
            result.rejected = []
            self.ingested.merge(result, 0)
        if self._events_out is not None:
            for event in events:
                self._events_out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._last_batch = events

    def _replay_last_batch(self) -> None:
        """The platform timed out on a batch it had in fact delivered, and sends it all again."""
        for event in self._last_batch[:300]:
            self.feed.replay(event, self.now)

    # --- the world's setup and the loop ----------------------------------------------------------

    def _setup(self) -> None:
        """Catalogue and shops, a day before the start, arriving in a jumble (children before parents)."""
        at = self.start - dt.timedelta(days=1)
        rng, emit = self.rng, self.feed.emit
        jumble: list[tuple[str, dict[str, Any]]] = []
        # The platform names its categories in Chinese, as it sends them; pages show that name in both languages.
        for top, (zh, _en) in TOPS.items():
            jumble.append(("category.upserted", {"category_id": top, "name": zh, "tags": [top]}))
        for leaf in LEAVES:
            jumble.append(("category.upserted", {"category_id": leaf.category_id, "name": leaf.zh,
                                                 "parent_id": leaf.top, "tags": list(leaf.tags)}))
        for shop in self.world.shops:
            jumble.append(("shop.upserted", self._shop_data(shop)))
            for li in shop.listings:
                data: dict[str, Any] = {"listing_id": li.listing_id, "shop_id": shop.shop_id,
                                        "category_id": li.leaf.category_id, "title": li.title,
                                        "price_fen": li.price_fen}
                if li.description:
                    data["description"] = li.description
                if self.worry_free is not None:
                    data.update(self.worry_free.commission(li))
                jumble.append(("listing.upserted", {**data, **self._promise_data(li)}))
        for etype, data in jumble:
            emit(etype, at + dt.timedelta(seconds=rng.uniform(0, 600)), data, prompt=True)
        if self.worry_free is not None:
            self.worry_free.setup(at + dt.timedelta(minutes=20))

    @staticmethod
    def _promise_data(li: Listing) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if li.ship_within_hours:
            data["ship_within_hours"] = li.ship_within_hours
        if li.page_hours:
            data["page_ship_within_hours"] = li.page_hours
        if li.presale_ship_by:
            data["presale_ship_by"] = iso(li.presale_ship_by)
        if li.tiers:
            t = li.tiers
            data["tiers"] = {k: v for k, v in (("spot_hours", t.spot_hours), ("presale_hours", t.presale_hours),
                                               ("presale_ship_by", t.presale_ship_by and iso(t.presale_ship_by)))
                             if v is not None}
        return data

    def _shop_data(self, shop: Any) -> dict[str, Any]:
        data = {"shop_id": shop.shop_id, "merchant_id": shop.merchant.merchant_id, "name": shop.name,
                "store_type": shop.store_type, "services": list(shop.services),
                # Opened up to ~13 months before the simulated month: some shops are still in their first weeks.
                # From the id, not a draw, so every other random stream stays as it was.
                "opened_at": iso(self.start - dt.timedelta(days=zlib.crc32(shop.shop_id.encode()) % 400))}
        if self.config.attributes:
            data["credentials"] = dict(self.identities.shops[shop.shop_id])
        return data

    def _reopen(self, shop: ReopenedShop) -> None:
        """A bad merchant back under a new name (ground truth: which shop's credentials it reuses)."""
        data: dict[str, Any] = {"shop_id": shop.shop_id, "merchant_id": shop.merchant_id, "name": shop.name,
                                "store_type": shop.store_type, "services": []}
        if self.config.attributes:
            data["credentials"] = dict(shop.credentials)
        self.feed.emit("shop.upserted", shop.at, data, rng=self.identity_rng)

    def _new_day(self, day_start: dt.datetime) -> None:
        rng = self.rng
        self.orders.schedule_day(day_start)
        self.creators.day(day_start)  # after the day's livestreams are planned: their hosts' viewers are busier
        if self.care is not None:
            self.care.day(day_start)
        if self.worry_free is not None:
            self.worry_free.day(day_start)
        for shop in self.world.shops:
            if "anxin_gou" not in shop.services and rng.random() < 0.004:
                shop.services = (*shop.services, "anxin_gou")  # a merchant joins 安心购 mid-month
                self.feed.emit("shop.upserted", day_start + rng.uniform(1, 20) * H, self._shop_data(shop))
        if rng.random() < 0.15:
            self.agenda.call(day_start + rng.uniform(1, 23) * H, self._replay_last_batch)

    def run(self, on_day: DayCallback | None = None) -> Simulation:
        started = time.perf_counter()
        self.clock.set(self.start)
        self._setup()
        if self.governance is not None:
            self.governance.schedule()
        for hour in range(1, self.config.days * 24 + 1):
            if hour % 24 == 1:
                self._new_day(self.start + (hour - 1) * H)
            limit = self.start + hour * H
            while (item := self.agenda.pop_before(limit)) is not None:
                at, fn, args = item
                self.now = at
                if isinstance(fn, Arrival):
                    self._buffer.append(fn.event)
                else:
                    fn(*args)
            self.now = limit
            self._flush(limit)
            report = self.anxin.tick()
            self.clock_actions.update(report["case_actions"])
            self.delivery.update({k: report[k] for k in ("delivered", "failed", "dead")})
            if self.governance is not None:
                self.governance.platform.carry_out()
            if self.care is not None:
                self.care.desk.after_tick(report)
            if hour % 24 == 0 and on_day is not None:
                on_day(hour // 24, self.progress())
        self.seconds = time.perf_counter() - started
        return self

    def progress(self) -> dict[str, int]:
        return {"orders": self.orders.stats["placed"], "events": self.ingested.received,
                "cases": self.cases.stats["filed"],
                "auto_approved": self.clock_actions["merchant_timeout"] + self.clock_actions["receipt_timeout"]}

    def describe_period(self) -> dict[str, str]:
        return {"start": iso(self.start), "end": iso(self.end)}
