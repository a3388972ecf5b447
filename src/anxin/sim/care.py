"""Customer care in a simulated run (``SimConfig.care``): consultations, replies, resolutions, ratings, outreach.

Everything goes through anxin's care facade (``anxin.care``) as the API would call it, on the simulated clock; the
simulator keeps each consultation's true intent as ground truth (``ground_truth(sim)["care"]``). With care on, these
tickets replace the legacy ``chat.session`` events (the 3-minute reply rate then comes from tickets); complaints
(``complaint.filed``) stay as they were.

**Who asks, when, about what** (the true intent; the text comes from ``anxin.sim.consultation_texts``):

- *pre-sale*: each day, per shop, Poisson(``PRE_SALE_RATE`` × its daily orders) questions from any consumer at an
  hour weighted like purchases: product info 70 %, price 30 %; no order.
- *after payment* (4 % of orders, 3–60 h later): change the order 45 %, cancel it 20 %, "when will it ship" 35 %.
- *late shipment* (25 % of orders not shipped by their promise): "why has it not shipped" (``logistics.where``).
- *in transit* (8 % of orders, 24–110 h after payment): where is it, or a logistics problem when the parcel is
  stalled or lost at that moment; a stalled parcel's buyer asks 36–90 h into the silence 45 % of the time; a lost
  parcel's 50 % of the time, 1–6 days after.
- *delivered*: with a real problem 45 % (quality, 0.2–36 h after sign-off), else 1.5 % (a return 60 %, a product
  question 40 %); an open after-sale case's buyer asks about progress 35 % of the time, 2–6 days after sign-off;
  after the merchant rejects a request, 35 % ask again (complaint 50 %, progress 50 %).
- *account*: Poisson(0.0015 × consumers) a day (security, platform-owned); *merchants* ask the platform about its
  policy with probability 3 % + 12 % × (1 − quality) a day each (merchant channel).

The topic the opener picks in the form is ``consultation_texts.topic_hint``'s (the intent's own 80 %, none 10 %, a
wrong one 10 %; a merchant always picks merchant policy); a product question names one of the listing's nouns. A
consumer whose order the platform already reached out to (proactive care) does not ask with probability
``SimConfig.care_outreach_contact_cut``.

**Who answers** (``anxin.sim.care_desk``): merchants with their chat traits, platform agents from a pool, the
consumer confirming, reopening and rating; the desk also works the outreach tasks.

All draws come from ``random.Random("anxin-sim-care:<seed>")``: the main stream never moves. (The scoring stream
does: with care on, the legacy chat draws are no longer made.)
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anxin.care.model import INTENT_TOPICS
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.sim.care_desk import Desk
from anxin.sim.consultation_texts import consultation_text, topic_hint
from anxin.sim.events import CST, iso
from anxin.sim.listing_texts import NOUNS
from anxin.sim.orders import HOUR_WEIGHT, H, SimOrder, poisson

if TYPE_CHECKING:
    from anxin.sim.claims import Claim
    from anxin.sim.engine import Simulation
    from anxin.sim.world import Merchant, Shop

PRE_SALE_RATE = 0.08  # pre-sale questions per order a shop sells (a day's expected orders × this)
ACCOUNT_RATE = 0.0015  # account questions per consumer and day


def consumer(consumer_id: str) -> Principal:
    return Principal(key_id="sim", role=Role.CONSUMER, subject=consumer_id)


def merchant(m: Merchant) -> Principal:
    return Principal(key_id="sim", role=Role.MERCHANT, subject=m.merchant_id)


@dataclass
class Consult:
    """One consultation as the simulated opener meant it (``intent``, ``topic``: the truth) and what came of it."""

    consultation_id: str
    channel: str  # consumer | merchant
    intent: str
    moment: str  # what prompted it
    shop: Shop
    opener: Principal
    order: SimOrder | None = None
    picked_topic: str | None = None
    text: str = ""
    opened_at: dt.datetime | None = None
    cared_for: bool = False  # the platform had reached out about this order before
    routed: dict[str, Any] = field(default_factory=dict)  # anxin's decision as the opener sees it: intent, route, owner
    ticket_id: str | None = None
    owner: str | None = None  # the ticket's owner as last seen (escalation moves it to platform_cs)
    first_reply_at: dt.datetime | None = None
    first_reply_by: str | None = None  # merchant | platform
    merchant_replied_at: dt.datetime | None = None
    escalated: bool = False
    resolved_at: dt.datetime | None = None
    resolved_by: str | None = None
    resolution_breached: bool = False  # judged by the simulator with the rulebook's target (wall clock of the run)
    closed_at: dt.datetime | None = None
    closed_by: str | None = None  # opener (confirmed) | anxin (the SLA job after the close-after period)
    good: bool | None = None  # the outcome was what the opener needed
    reopened: int = 0
    rating: int | None = None
    refused: str | None = None  # anxin refused to open it (error code)
    messages: int = 0

    @property
    def topic(self) -> str:
        return str(INTENT_TOPICS[self.intent])

    @property
    def merchant(self) -> Merchant:
        return self.shop.merchant

    def truth(self) -> dict[str, Any]:
        o = self.order
        return {"consultation_id": self.consultation_id, "channel": self.channel, "intent": self.intent,
                "topic": self.topic, "picked_topic": self.picked_topic, "moment": self.moment, "text": self.text,
                "opener": self.opener.subject, "order_id": o.order_id if o else None, "shop_id": self.shop.shop_id,
                "merchant_id": self.merchant.merchant_id, "opened_at": _iso(self.opened_at),
                "cared_for": self.cared_for, "routed": self.routed, "ticket_id": self.ticket_id, "owner": self.owner,
                "first_reply_at": _iso(self.first_reply_at), "first_reply_by": self.first_reply_by,
                "merchant_replied_at": _iso(self.merchant_replied_at), "escalated": self.escalated,
                "resolved_at": _iso(self.resolved_at), "resolved_by": self.resolved_by,
                "resolution_breached": self.resolution_breached, "closed_at": _iso(self.closed_at),
                "closed_by": self.closed_by, "good_outcome": self.good, "reopened": self.reopened,
                "rating": self.rating, "refused": self.refused}


def _iso(at: dt.datetime | None) -> str | None:
    return iso(at) if at is not None else None


class CareActors:
    """Consumers and merchants opening consultations at the moments the marketplace gives them."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.rng = random.Random(f"anxin-sim-care:{sim.config.seed}")
        self.stats: Counter[str] = Counter()
        self.consults: list[Consult] = []
        self.desk = Desk(self)
        self._asked: set[tuple[str, str]] = set()  # (order id, moment) asked about once

    # --- the schedule --------------------------------------------------------------------------------------------

    def day(self, day_start: dt.datetime) -> None:
        """The day's questions that no order event prompts: pre-sale, account, merchants to the platform."""
        sim, rng = self.sim, self.rng
        for shop in sim.world.shops:
            for _ in range(poisson(rng, PRE_SALE_RATE * shop.daily_orders)):
                who = sim.world.pick_consumer(rng)
                intent = "pre_sale.product_info" if rng.random() < 0.7 else "pre_sale.price"
                self._later(self._hour(day_start), self.open_, Consult(
                    self._next_id(), "consumer", intent, "pre_sale", shop, consumer(who.consumer_id)))
        for _ in range(poisson(rng, ACCOUNT_RATE * len(sim.world.consumers))):
            who = sim.world.pick_consumer(rng)
            shop = rng.choice(sim.world.shops)  # the shop of the order that brought them (no order id sent)
            self._later(self._hour(day_start), self.open_, Consult(
                self._next_id(), "consumer", "account.security", "account", shop, consumer(who.consumer_id)))
        for m in sim.world.merchants:
            if rng.random() < 0.03 + 0.12 * (1 - m.quality):
                at = day_start + rng.uniform(9, 22) * H
                self._later(at, self.open_, Consult(self._next_id(), "merchant", "merchant.policy", "merchant",
                                                    m.shops[0], merchant(m)))

    def _hour(self, day_start: dt.datetime) -> dt.datetime:
        rng = self.rng
        while True:
            at = day_start + dt.timedelta(seconds=rng.uniform(0, 86400))
            if rng.random() * 2.0 < HOUR_WEIGHT[at.astimezone(CST).hour]:
                return at

    def _later(self, at: dt.datetime, fn: Any, *args: Any) -> None:
        if self.sim.now <= at < self.sim.end:
            self.sim.agenda.call(at, fn, *args)

    def _next_id(self) -> str:
        self.stats["planned"] += 1
        return f"sim-cs-{self.stats['planned']:06d}"

    def _about(self, order: SimOrder, intent: str, moment: str, at: dt.datetime) -> None:
        self._later(at, self.open_, Consult(self._next_id(), "consumer", intent, moment, order.shop,
                                            consumer(order.consumer.consumer_id), order=order))

    # --- hooks in the order flow (anxin.sim.contact) -------------------------------------------------------------

    def chat(self, order: SimOrder, opened: dt.datetime, moment: str, *, problem: bool) -> None:
        """Where the legacy simulator opened a chat session: the same moments, as consultations."""
        rng = self.rng
        if moment == "pre_sale":
            return  # asked before the order existed: the day's pre-sale questions stand in for these
        if moment == "after_payment":
            r = rng.random()
            intent = "order.modify" if r < 0.45 else "order.cancel" if r < 0.65 else "logistics.where"
        elif moment == "late":
            intent = "logistics.where"
        elif moment == "lost":
            intent = "logistics.problem"
        elif problem:
            intent = "after_sale.quality"
        else:
            intent = "after_sale.return" if rng.random() < 0.6 else "pre_sale.product_info"
        self._about(order, intent, moment, opened)

    def paid(self, order: SimOrder) -> None:
        rng, now = self.rng, self.sim.now
        if rng.random() < 0.08:
            self._later(now + rng.uniform(24, 110) * H, self._in_transit, order)
        self._later(now + 72 * H, self._watch_parcel, order, 0)

    def _in_transit(self, order: SimOrder) -> None:
        if order.missing(self.sim.now):
            self._open_now(order, "logistics.problem", "in_transit")
        elif order.status in ("paid", "shipped"):
            self._open_now(order, "logistics.where", "in_transit")

    def _watch_parcel(self, order: SimOrder, looks: int) -> None:
        """Once shipped: a stalled parcel's buyer asks during the silence."""
        rng = self.rng
        if order.status == "paid" and looks < 4:
            self._later(self.sim.now + 48 * H, self._watch_parcel, order, looks + 1)
            return
        stall = order.parcel.stall if order.parcel is not None else None
        if stall is not None and rng.random() < 0.45:
            self._later(max(self.sim.now, stall[0] + rng.uniform(36, 90) * H), self._stalled, order)

    def _stalled(self, order: SimOrder) -> None:
        if order.missing(self.sim.now):
            self._open_now(order, "logistics.problem", "stalled")

    def delivered(self, order: SimOrder) -> None:
        if self.rng.random() < 0.35:
            self._later(self.sim.now + self.rng.uniform(48, 144) * H, self._case_progress, order)

    def _case_progress(self, order: SimOrder) -> None:
        if order.open_claim:
            self._open_now(order, "after_sale.progress", "case_open")

    def rejected(self, claim: Claim) -> None:
        rng = self.rng
        if rng.random() < 0.35:
            intent = "complaint.service" if rng.random() < 0.5 else "after_sale.progress"
            self._about(claim.order, intent, "case_rejected", self.sim.now + rng.uniform(0.2, 24) * H)

    def _open_now(self, order: SimOrder, intent: str, moment: str) -> None:
        if (order.order_id, moment) in self._asked:
            return
        self._asked.add((order.order_id, moment))
        self.open_(Consult(self._next_id(), "consumer", intent, moment, order.shop,
                           consumer(order.consumer.consumer_id), order=order))

    # --- opening -------------------------------------------------------------------------------------------------

    def open_(self, c: Consult) -> None:
        sim, rng = self.sim, self.rng
        if c.order is not None and c.order.order_id in self.desk.cared:
            c.cared_for = True
            if rng.random() < sim.config.care_outreach_contact_cut:
                self.stats["not_asked_after_outreach"] += 1  # the outreach answered it before it was asked
                return
        c.picked_topic = c.topic if c.channel == "merchant" else topic_hint(rng, c.intent)
        leaf = c.order.main.leaf if c.order is not None else rng.choice(c.shop.listings).leaf
        c.text = consultation_text(rng, c.intent, product=rng.choice(NOUNS[leaf.category_id]))
        sim.sync()
        c.opened_at = sim.now
        self.consults.append(c)
        self.stats["opened"] += 1
        body: dict[str, Any] = {"consultation_id": c.consultation_id, "channel": c.channel, "topic": c.picked_topic,
                                "text": c.text, "order_id": c.order.order_id if c.order is not None else None,
                                "shop_id": None if c.intent == "account.security" else c.shop.shop_id}
        try:
            result = self.desk.open(c.opener, body)
        except AnxinError as exc:
            c.refused = exc.code.value
            self.stats[f"refused.{exc.code.value}"] += 1
            return
        self.desk.opened(c, result)

    # --- what the run produced -----------------------------------------------------------------------------------

    def showcase(self, consumer_id: str | None = None) -> Consult | None:
        """A consumer's consultation worth opening in the demo: the given consumer's latest one with a ticket, else
        the latest rated one, else the latest with a ticket."""
        tickets = [c for c in self.consults if c.ticket_id and c.channel == "consumer" and c.refused is None]
        for pick in ([c for c in tickets if c.opener.subject == consumer_id], [c for c in tickets if c.rating],
                     tickets):
            if pick:
                return pick[-1]
        return None

    def summary(self) -> dict[str, Any]:
        """Counts of what the simulated people did (the figures anxin computed are read by bench/care_figures.py)."""
        opened = [c for c in self.consults if c.refused is None]
        tickets = [c for c in opened if c.ticket_id]
        ratings = [c.rating for c in tickets if c.rating is not None]
        routed = Counter(str(c.routed.get("route")) for c in opened)
        return {"opened": len(opened), "refused": sum(c.refused is not None for c in self.consults),
                "by_moment": dict(sorted(Counter(c.moment for c in opened).items())),
                "by_route": dict(sorted(routed.items())), "tickets": len(tickets),
                "intent_right": sum(c.routed.get("intent") == c.intent for c in opened),
                "first_reply_by": dict(sorted(Counter(str(c.first_reply_by) for c in tickets).items())),
                "escalated": sum(c.escalated for c in tickets), "resolved": sum(c.resolved_at is not None
                                                                               for c in tickets),
                "closed": sum(c.closed_by is not None for c in tickets), "rated": len(ratings),
                "mean_rating": round(sum(ratings) / len(ratings), 3) if ratings else None,
                "outreach_seen": len(self.desk.outreach), "outreach_contacted": len(self.desk.cared),
                "not_asked_after_outreach": self.stats["not_asked_after_outreach"],
                "refusals": {k: v for k, v in sorted(self.stats.items()) if k.startswith("refused.")}}

    def truth(self) -> dict[str, Any]:
        config = self.sim.config
        return {"assumptions": {"outreach_contact_cut": config.care_outreach_contact_cut,
                                "outreach_rating_lift": config.care_outreach_rating_lift,
                                "agents": config.care_agents},
                "consultations": [c.truth() for c in self.consults],
                "outreach": {tid: {k: _iso(v) if isinstance(v, dt.datetime) else v for k, v in t.items()}
                             for tid, t in sorted(self.desk.outreach.items())},
                "cared_for": {oid: iso(at) for oid, at in sorted(self.desk.cared.items())}}
