"""The abuse mix: accounts that exist to abuse after-sales, each pattern on a stream of its own, with ground truth.

Beside the main population (and its legacy abusers, who recycle the very same photo bytes), the simulator casts
accounts that buy in order to claim, so that risk control can be measured pattern by pattern:

- **evidence_reuse**: solo abusers who send near-duplicates of a few stock photos (their own, and some that go
  round the internet) with quality claims against one shop after another;
- **freight_arbitrage** (薅运费险): cheap orders at shops whose return freight is insured, returned "without a
  reason" with freight declared far above the tariff, sent from another address, or an empty parcel;
- **ring**: 3-50 accounts registered within days of each other, sharing devices, cards, phones and drop
  addresses in overlapping ways (each value among a handful of members), warming up with ordinary orders and
  then filing in waves against many shops with the ring's shared photos and script;
- **extortion** (碰瓷): high-value claims within hours of delivery, against many merchants, with threats;
- **refund_without_return**: refund-only claims on delivered goods, again and again;
- **serial_returner**: no-reason returns of worn clothes, most of what they buy;
- **heavy_buyer**: honest buyers who order a lot and return often, legitimately (the serial-returner rule's
  counterpart: a risk rule should not delay them).

Each cohort draws from ``random.Random("anxin-sim-abuse:<cohort>:<seed>")``, the whole life of its orders
included (``SimOrder.rng``), so the main stream, and the ground truth it makes, stays as it was; ids are numbered
apart (consumers after the main population's, orders ``o-m…``, requests ``ka-…``). ``Claim.truth()`` names the
pattern behind every request.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anxin.sim import overlap
from anxin.sim.events import iso
from anxin.sim.freight import ReturnParcel, arbitraged_return, honest_return
from anxin.sim.geo import home_city
from anxin.sim.identity import Person, token
from anxin.sim.orders import H, SimOrder
from anxin.sim.photos import stock_photo
from anxin.sim.rings import RING_CLAIM_HOURS, RING_SCRIPTS, Ring, campaigns, ring_sizes, share_attributes
from anxin.sim.world import ABUSE_COHORTS, Consumer, Listing, Shop

if TYPE_CHECKING:
    from anxin.sim.claims import Claim
    from anxin.sim.engine import Simulation

D = dt.timedelta(days=1)
# Accounts per 1 000 consumers of the main population at weight 1 (rings: all their members together).
ACCOUNTS_PER_1000 = {"evidence_reuse": 3.0, "freight_arbitrage": 3.0, "ring": 30.0, "extortion": 2.0,
                     "refund_without_return": 3.0, "serial_returner": 2.0, "heavy_buyer": 8.0}
ORDERS = {"evidence_reuse": (3, 6), "freight_arbitrage": (3, 6), "extortion": (3, 5),
          "refund_without_return": (3, 6), "serial_returner": (4, 8), "heavy_buyer": (6, 12)}
THREATS = ("不退款就曝光", "打12315投诉", "给差评", "找媒体")
HIGH_VALUE_FEN = 30_000


@dataclass(frozen=True)
class ClaimPlan:
    """A request an account means to file (``Cases.file_planned``)."""

    case_type: str
    reason: str
    genuine: bool
    pattern: str
    description: str
    photos: int = 0
    stock: tuple[tuple[str, bytes], ...] = ()  # near-duplicates are made from these (id, photo)
    ships_return: bool = True
    bogus_return: bool = False
    arbitrage: bool = False
    self_ship: bool = False


@dataclass
class Account:
    consumer: Consumer
    cohort: str
    rng: random.Random
    person: Person | None = None
    ring: Ring | None = None
    photos: list[tuple[str, bytes]] = field(default_factory=list)
    drop: str = ""  # where an arbitrageur sends returns from instead of home
    registered: bool = False


class Abuse:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        config = sim.config
        unknown = set(config.abuse_mix) - set(ABUSE_COHORTS)
        if unknown:
            raise ValueError(f"unknown abuse_mix cohorts {sorted(unknown)}; known: {', '.join(ABUSE_COHORTS)}")
        lo, hi = config.ring_sizes
        if not 2 <= lo <= hi:
            raise ValueError("ring_sizes must be (lo, hi) with 2 <= lo <= hi")
        self.returns_rng = random.Random(f"anxin-sim-returns:{config.seed}")  # the main stream's return parcels
        self.accounts: dict[str, Account] = {}
        self.rings: list[Ring] = []
        self.intents: dict[str, str] = {}  # order id -> what the account bought it for (its cohort, or warmup)
        self._orders = 0
        start, end = sim.start, sim.end
        # The last day an order can be paid and still be claimed on within the run.
        self.last_paid = end - min(7 * D, (end - start) * 0.45)
        streams = {c: random.Random(f"anxin-sim-abuse:{c}:{config.seed}") for c in ABUSE_COHORTS}
        cast: list[Account] = []
        for cohort in ABUSE_COHORTS:
            weight = max(0.0, float(config.abuse_mix.get(cohort, 0.0)))
            n = max(1, round(ACCOUNTS_PER_1000[cohort] * weight * config.consumer_count / 1000)) if weight else 0
            rng = streams[cohort]
            if cohort == "ring":
                for size in ring_sizes(rng, n, lo, hi):
                    ring_id = f"ring-{len(sim.world.rings) + len(self.rings) + 1:02d}"  # after the legacy rings
                    ring = Ring(ring_id, [], [(f"{ring_id}-photo-{i}", stock_photo(rng))
                                              for i in range(rng.randint(2, 4))], rng.choice(RING_SCRIPTS))
                    epoch = start - rng.uniform(10, 120) * D
                    for _ in range(size):
                        account = self._account(rng, cohort, epoch + rng.uniform(0, 72) * H)
                        account.ring, account.consumer.ring = ring, ring.ring_id
                        ring.members.append(account)
                        cast.append(account)
                    self.rings.append(ring)
            else:
                for _ in range(n):
                    young = cohort != "heavy_buyer"
                    days = 1 + 1499 * (rng.betavariate(0.8, 6) if young else rng.betavariate(1.2, 1.4))
                    cast.append(self._account(rng, cohort, start - days * D))
        # Ids after the main population's, in an order that does not give the cohort away.
        random.Random(f"anxin-sim-abuse-ids:{config.seed}").shuffle(cast)
        for i, account in enumerate(cast, config.consumer_count + 1):
            account.consumer.consumer_id = f"c-{i:05d}"
            self.accounts[account.consumer.consumer_id] = account
        internet = [(f"evidence_reuse-internet-{i}", stock_photo(streams["evidence_reuse"])) for i in range(3)]
        for account in sorted(cast, key=lambda a: (ABUSE_COHORTS.index(a.cohort), a.consumer.consumer_id)):
            self._identity(account, internet)
        for ring in self.rings:
            share_attributes(ring)
        for cohort in ABUSE_COHORTS:
            for account in sorted((a for a in cast if a.cohort == cohort), key=lambda a: a.consumer.consumer_id):
                self._plan(account)
        for ring in self.rings:
            self._waves(ring)

    # --- casting -----------------------------------------------------------------------------------

    def _account(self, rng: random.Random, cohort: str, registered_at: dt.datetime) -> Account:
        home = home_city(rng)
        consumer = Consumer("", cohort != "heavy_buyer", 0.0, f"{home.zh}市", home,
                            registered_at=min(registered_at, self.sim.start - D), pattern=cohort)
        return Account(consumer, cohort, rng)

    def _identity(self, account: Account, internet: list[tuple[str, bytes]]) -> None:
        rng, sim = account.rng, self.sim
        account.person = sim.identities.new_person(rng, account.consumer, sim.start, sim.end)
        if account.cohort == "evidence_reuse":
            own = [(f"{account.consumer.consumer_id}-photo-{i}", stock_photo(rng)) for i in range(2)]
            account.photos = own + ([rng.choice(internet)] if rng.random() < 0.5 else [])
        elif account.cohort == "freight_arbitrage":
            others = [a for a in self.accounts.values() if a.cohort == "freight_arbitrage" and a.drop]
            account.drop = rng.choice(others).drop if others and rng.random() < 0.3 else token(rng, "addr")

    # --- what they buy -----------------------------------------------------------------------------

    def _listings(self, cohort: str) -> list[tuple[Shop, Listing]]:
        pairs = [(s, li) for s in self.sim.world.shops for li in s.listings if li.tiers is None]
        if cohort == "freight_arbitrage":
            pairs = [(s, li) for s, li in pairs if {"shipping_insurance", "anxin_gou"} & set(s.services)
                     and li.leaf.remorse > 0 and not li.leaf.tags and li.price_fen <= 20_000] or pairs
        elif cohort in ("serial_returner", "heavy_buyer"):
            pairs = [(s, li) for s, li in pairs if s.top == "apparel" and not li.leaf.tags] or pairs
        elif cohort == "extortion":
            pairs = [(s, li) for s, li in pairs if li.price_fen >= HIGH_VALUE_FEN] or pairs
        elif cohort in ("evidence_reuse", "refund_without_return"):
            pairs = [(s, li) for s, li in pairs if s.top != "fresh" and li.price_fen >= 3_000] or pairs
        return pairs

    def _paid_at(self, rng: random.Random) -> dt.datetime:
        start = self.sim.start + H
        return start + (max(start, self.last_paid) - start) * rng.random()

    def _plan(self, account: Account) -> None:
        """Schedule the account's purchases: its cohort's orders, or a ring member's warm-up orders."""
        rng, cohort = account.rng, account.cohort
        pairs = self._listings(cohort)  # (a ring member's warm-up: anything)
        if not pairs:
            return
        if cohort == "ring":
            for _ in range(rng.randint(1, 3)):
                self._order(account, rng.choice(pairs), self._paid_at(rng), "warmup")
            return
        lo, hi = ORDERS[cohort]
        shops_used: set[str] = set()
        for _ in range(rng.randint(lo, hi)):
            fresh = [p for p in pairs if p[0].shop_id not in shops_used] or pairs  # many merchants
            pick = rng.choice(fresh)
            shops_used.add(pick[0].shop_id)
            self._order(account, pick, self._paid_at(rng), cohort)

    def _waves(self, ring: Ring) -> None:
        """Coordinated purchases: the ring's campaigns against a few target shops (``anxin.sim.rings``)."""
        for at, member, pick in campaigns(ring, self._listings("evidence_reuse"), self._paid_at, self.sim.config.days):
            self._order(member, pick, at, "ring")

    def _order(self, account: Account, pick: tuple[Shop, Listing], paid_at: dt.datetime, intent: str) -> None:
        shop, listing = pick
        sim = self.sim
        self._orders += 1
        order = SimOrder(f"o-m{self._orders:06d}", account.consumer, shop, [(listing, 1, listing.price_fen)],
                         listing.price_fen, paid_at, False, rng=account.rng)
        self.intents[order.order_id] = intent
        sim.orders.all.append(order)
        sim.agenda.call(paid_at, sim.orders.place, order)

    # --- hooks in the order flow -------------------------------------------------------------------

    def paid(self, order: SimOrder) -> None:
        """The account is sent with its first order, as the main population's are."""
        account = self.accounts[order.consumer.consumer_id]
        c = account.consumer
        if account.registered or c.registered_at is None:
            return
        account.registered = True
        self.sim.contact.stats["registered"] += 1  # the summary's accounts sent, the mix's included
        data: dict[str, Any] = {"consumer_id": c.consumer_id, "registered_at": iso(c.registered_at)}
        if self.sim.config.attributes and account.person is not None:
            data["risk"] = account.person.registration()
        self.sim.feed.emit("consumer.registered", c.registered_at, data, prompt=True, rng=order.rng,
                           sent_at=order.paid_at)

    def delivered(self, order: SimOrder) -> None:
        """What the account does once the parcel is signed for."""
        sim, account = self.sim, self.accounts[order.consumer.consumer_id]
        plan, hours = self._claim_plan(account, order, self.intents.get(order.order_id, ""))
        if plan is not None:
            sim.agenda.call(sim.now + hours * H, sim.cases.file_planned, order, plan)

    def _claim_plan(self, account: Account, order: SimOrder, intent: str) -> tuple[ClaimPlan | None, float]:
        rng, cohort = account.rng, account.cohort
        cheap = order.paid_fen < 15_000
        if intent == "warmup":
            return None, 0.0
        if intent == "ring" and account.ring is not None:
            ring = account.ring
            kind = "refund_only" if cheap or rng.random() < 0.5 else "return_refund"
            arbitrage = kind == "return_refund" and rng.random() < 0.25
            return ClaimPlan(kind, rng.choice(("quality", "damaged", "not_as_described")), False, "ring",
                             ring.script, photos=rng.randint(1, 3), stock=tuple(ring.photos), arbitrage=arbitrage,
                             self_ship=arbitrage), rng.uniform(*RING_CLAIM_HOURS)
        if cohort == "evidence_reuse" and rng.random() < 0.85:
            kind = "refund_only" if cheap else "return_refund"
            return ClaimPlan(kind, rng.choice(("quality", "damaged", "not_as_described")), False, cohort,
                             rng.choice(("收到的商品有质量问题，见图", "商品破损，和描述不符", "质量太差，见照片")),
                             photos=rng.randint(1, 3), stock=tuple(account.photos),
                             bogus_return=rng.random() < 0.3), rng.uniform(4, 72)
        if cohort == "freight_arbitrage" and rng.random() < 0.9:
            return ClaimPlan("return_refund", "no_reason", False, cohort, "不想要了，七天无理由退货", arbitrage=True,
                             self_ship=True), rng.uniform(2, 72)
        if cohort == "extortion" and rng.random() < 0.9:
            threats = "，".join(rng.sample(THREATS, rng.randint(1, 2)))
            complaint = rng.choice(("东西是坏的", "质量有严重问题", "你们卖假货"))
            return ClaimPlan("refund_only", rng.choice(("quality", "not_as_described", "counterfeit")), False,
                             cohort, f"{complaint}，{threats}", photos=rng.randint(0, 1)), rng.uniform(0.5, 8)
        if cohort == "refund_without_return" and rng.random() < 0.85:
            reason = rng.choice(("quality", "not_as_described", "missing_parts", "damaged"))
            return ClaimPlan("refund_only", reason, False, cohort,
                             rng.choice(("东西有问题，申请仅退款", "少件了，仅退款", "和描述不符，仅退款")),
                             photos=rng.randint(0, 1), ships_return=False), rng.uniform(6, 96)
        if cohort == "serial_returner" and rng.random() < 0.75:
            return ClaimPlan("return_refund", "no_reason", False, cohort, "不喜欢，七天无理由退货",
                             bogus_return=rng.random() < 0.4), rng.uniform(48, 140)
        if cohort == "heavy_buyer":
            if rng.random() < order.shop.merchant.defect_rate:
                order.problem = rng.choice(("quality", "not_as_described", "wrong_item"))
                return ClaimPlan("return_refund", order.problem, True, "honest", "收到的商品有问题，见照片",
                                 photos=rng.randint(1, 2)), rng.uniform(3, 96)
            if rng.random() < overlap.HEAVY_BUYER_RETURN_SHARE:
                why = rng.choice(("尺码不合适，七天无理由退货", "颜色和图片不一样，退了"))
                return ClaimPlan("return_refund", "no_reason", True, "honest", why), rng.uniform(20, 140)
        return None, 0.0

    # --- return parcels ----------------------------------------------------------------------------

    def return_parcel(self, claim: Claim, carrier: str) -> ReturnParcel:
        """The parcel a self-shipped return sends back: honest, a legacy abuser's bogus one, or arbitraged."""
        order = claim.order
        rng = order.rng or self.returns_rng
        person = self.sim.identities.of(order.consumer)
        same = order.consumer.region.province == order.shop.warehouse.province
        items = order.items if claim.listing_id is None else order.items[:1]
        goods = sum(li.weight_g * qty for li, qty, _ in items)
        account = self.accounts.get(order.consumer.consumer_id)
        if claim.arbitrage:
            elsewhere = account.drop if account is not None and account.drop else person.return_address
            if elsewhere == person.address:
                elsewhere = token(rng, "addr")
            parcel = arbitraged_return(rng, carrier, goods, same_province=same, home=person.address,
                                       elsewhere=elsewhere)
            claim.bogus_return = claim.bogus_return or parcel.weight_g < goods // 2  # an empty box arrives
            return parcel
        # A ring member sends from the ring's drop address when the ring gave them one.
        home = person.return_address if account is not None and account.ring is not None else person.address
        parcel = honest_return(rng, carrier, goods, same_province=same, home=home, work=person.work_address,
                               bogus=claim.bogus_return)
        if claim.genuine and not claim.bogus_return:  # honest overlap: above the tariff, or light, for good reasons
            parcel, overlaps = overlap.freight(self.sim.overlap_rng, parcel, carrier, same_province=same, goods_g=goods)
            claim.overlaps.extend(overlaps)
        return parcel

    # --- reporting ---------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        truths = [k.truth() for k in self.sim.cases.claims]
        filed = [t for t in truths if t["case_id"]]
        returns = [t for t in truths if t["return"] is not None]
        return {
            "accounts": dict(Counter(a.cohort for a in self.accounts.values())),
            "ring_sizes": [len(r.members) for r in self.rings],
            "orders": dict(Counter(self.intents.values())),  # by what they were bought for
            "requests_by_pattern": dict(sorted(Counter(t["pattern"] for t in truths).items())),
            "filed_by_pattern": dict(sorted(Counter(t["pattern"] for t in filed).items())),
            "abusive_requests": sum(not t["genuine"] for t in truths), "requests": len(truths),
            "self_shipped_returns": len(returns),
            "arbitraged_returns": sum(t["freight_arbitraged"] for t in returns),
            "threatening_requests": sum(any(w in t["description"] for w in THREATS) for t in truths),
            # honest requests showing an abuser's signal for good reasons (anxin.sim.overlap), by overlap
            "honest_overlaps": {k: sum(k in t["overlaps"] for t in truths if t["genuine"]) for k in overlap.OVERLAPS},
            "coincidences": self.sim.identities.summary(),
        }

    def truth(self) -> dict[str, Any]:
        return {"accounts": {cid: {"cohort": a.cohort, "ring": a.ring.ring_id if a.ring else None,
                                   "abusive": a.consumer.abusive}
                             for cid, a in sorted(self.accounts.items())},
                "rings": {r.ring_id: r.truth() for r in self.rings}}
