"""Buyers reaching out: complaints to the platform, chats with a shop's customer service, and their accounts.

Complaints (``complaint.filed``) grow with a merchant's bad quality and with what went wrong (a late
shipment, a problem with the goods, a lost parcel, a rejected after-sale request, a chat nobody answered);
abusers add some noise. Chat sessions (``chat.session``) open before and after purchase at any hour, night
included; a robot answers first, and when the buyer asks for a human the merchant's agents answer as its
quality allows (slower or never when worse, hardly ever for the merchants who never answer requests, at
night only where someone is on duty). Each buyer's account (``consumer.registered``) is sent with their first
order; abusers' accounts are younger.

All of it draws from the simulation's ``scoring_rng``, never from the main stream.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from statistics import NormalDist
from typing import TYPE_CHECKING

from anxin.sim.events import CST, iso
from anxin.sim.orders import H, SimOrder
from anxin.sim.world import Merchant, World

if TYPE_CHECKING:
    from anxin.sim.claims import Claim
    from anxin.sim.engine import Simulation

S = dt.timedelta(seconds=1)
REASONS = ("quality", "service_attitude", "delivery", "false_advertising", "after_sales", "other")
COMPLAINT_TEXT = {
    "quality": "商品质量太差，商家不处理", "service_attitude": "客服不回复，态度敷衍",
    "delivery": "迟迟不发货，物流也不更新", "false_advertising": "直播间说的和收到的完全不一样，虚假宣传",
    "after_sales": "售后申请被商家无理拒绝", "other": "其他问题，希望平台核实处理",
}
# What a buyer complains about when the goods had a problem.
PROBLEM_REASON = {"counterfeit": "false_advertising", "not_as_described": "false_advertising", "damaged": "delivery"}
REPLY_SIGMA = 0.9  # the spread (log seconds) of a merchant's first human reply around its median
REPLY_TARGET_S = 180  # the IM indicator's "answered within three minutes"
STAFFED = (8, 23)  # local hours with agents on duty at every shop; night duty is a merchant's trait


def cast_accounts(rng: random.Random, world: World, start: dt.datetime) -> None:
    """The merchants' chat service and the buyers' account ages (1-1500 days; abusers' skew young)."""
    for m in world.merchants:
        bad = 1 - m.quality
        m.chat_answer_rate = 0.1 if m.ghost else round(0.99 - 0.5 * bad ** 2, 4)
        m.chat_reply_median_s = round((20 + 420 * bad ** 2) * rng.lognormvariate(0, 0.3), 1)
        m.night_staff = rng.random() < 0.05 + 0.3 * m.quality
    for c in world.consumers:
        days = 1 + 1499 * (rng.betavariate(0.8, 6) if c.abusive else rng.betavariate(1.2, 1.4))
        c.registered_at = start - dt.timedelta(days=days)


def expected_im_reply_rate(m: Merchant) -> float:
    """The share of sessions handed to a human in staffed hours that get a human answer within three minutes."""
    within = NormalDist(math.log(m.chat_reply_median_s), REPLY_SIGMA).cdf(math.log(REPLY_TARGET_S))
    return m.chat_answer_rate * within


class Contact:
    def __init__(self, sim: Simulation) -> None:
        self.sim, self.rng = sim, sim.scoring_rng
        self.stats: Counter[str] = Counter()
        self.complaints: Counter[str] = Counter()  # by reason
        self._registered: set[str] = set()
        self._sessions = 0

    # --- hooks in the order flow ---------------------------------------------------------------------

    def paid(self, order: SimOrder) -> None:
        """At payment: the buyer's account (first order only), chats around the purchase, a lateness watch."""
        sim, rng, c = self.sim, self.rng, order.consumer
        if c.consumer_id not in self._registered and c.registered_at is not None:
            self._registered.add(c.consumer_id)
            self.stats["registered"] += 1
            data: dict[str, object] = {"consumer_id": c.consumer_id, "registered_at": iso(c.registered_at)}
            if sim.config.attributes:
                data["risk"] = sim.identities.of(c).registration()
            sim.feed.emit("consumer.registered", c.registered_at, data, prompt=True, rng=rng, sent_at=order.paid_at)
        if rng.random() < 0.07:  # asked about the listing before buying: no order yet
            opened = order.paid_at - rng.uniform(120, 5 * 3600) * S
            if opened >= sim.start:
                self._chat(order, opened, "pre_sale", about_order=False)
        if rng.random() < 0.04:  # an address change, "when will it ship?"
            self._chat(order, order.paid_at + rng.uniform(3, 60) * H, "after_payment")
        if sim.care is not None:
            sim.care.paid(order)
        if order.ship_by is not None and not order.consumer_hold:
            check = order.ship_by + rng.uniform(4, 40) * H
            if check < sim.end:
                sim.agenda.call(check, self._late, order)

    def _late(self, order: SimOrder) -> None:
        if order.ship_by is None or not (order.status == "paid" or (
                order.shipped_at is not None and order.shipped_at > order.ship_by)):
            return
        rng, now = self.rng, self.sim.now
        if rng.random() < 0.25:
            self._chat(order, now + rng.uniform(0, 3) * H, "late", problem=True)
        if rng.random() < 0.04 + 0.3 * (1 - order.shop.merchant.quality):
            self.complain(order, "delivery", now + rng.uniform(0, 24) * H)

    def delivered(self, order: SimOrder) -> None:
        """After sign-off, once the world has decided whether something is wrong with the goods."""
        rng, signed, q = self.rng, self.sim.now, order.shop.merchant.quality
        if order.problem:
            reason = PROBLEM_REASON.get(order.problem, "quality")
            p = 0.1 + 0.4 * (1 - q) + (0.1 if reason == "false_advertising" and order.creator else 0.0)
        elif order.consumer.abusive:  # noise: abusers complain about nothing in particular
            reason, p = rng.choice(REASONS), 0.05
        else:
            reason, p = rng.choice(("service_attitude", "quality", "other")), 0.002 + 0.03 * (1 - q) ** 2
        if rng.random() < p:
            self.complain(order, reason, signed + rng.uniform(2, 120) * H)
        if rng.random() < (0.45 if order.problem else 0.015):
            self._chat(order, signed + rng.uniform(0.2, 36) * H, "delivered", problem=bool(order.problem))
        if self.sim.care is not None:
            self.sim.care.delivered(order)

    def lost(self, order: SimOrder) -> None:
        """The parcel will never arrive (lost, or a faked shipment): asked about, complained about."""
        rng, now = self.rng, self.sim.now
        if rng.random() < 0.5:
            self._chat(order, now + rng.uniform(24, 144) * H, "lost", problem=True)
        if rng.random() < 0.15 + 0.3 * (1 - order.shop.merchant.quality):
            self.complain(order, "delivery", now + rng.uniform(96, 216) * H)

    def rejected(self, claim: Claim) -> None:
        """The merchant rejected an after-sale request: some buyers complain (abusers too)."""
        if self.rng.random() < (0.3 if claim.genuine else 0.15):
            self.complain(claim.order, "after_sales", self.sim.now + self.rng.uniform(0.5, 48) * H)
        if self.sim.care is not None:
            self.sim.care.rejected(claim)

    # --- the events ----------------------------------------------------------------------------------

    def complain(self, order: SimOrder, reason: str, at: dt.datetime) -> None:
        if at >= self.sim.end:
            return
        self.complaints[reason] += 1
        n = sum(self.complaints.values())
        self.sim.feed.emit("complaint.filed", at, {
            "complaint_id": f"cp-{n:06d}", "order_id": order.order_id, "reason": reason, "filed_at": iso(at),
            "text": COMPLAINT_TEXT[reason]}, rng=self.rng)

    def _chat(self, order: SimOrder, opened: dt.datetime, moment: str, *, about_order: bool = True,
              problem: bool = False) -> None:
        """One session: the robot first; a human if asked for, answering as the merchant does at that hour. With
        customer care simulated (SimConfig.care) a consultation through anxin's care facade instead."""
        sim, rng, m = self.sim, self.rng, order.shop.merchant
        if sim.care is not None:
            sim.care.chat(order, opened, moment, problem=problem)
            return
        to_human = opened + rng.uniform(15, 240) * S if rng.random() < (0.85 if problem else 0.65) else None
        reply = None
        if to_human is None:
            closed = opened + rng.uniform(60, 600) * S  # the robot's answer was enough
        else:
            local = to_human.astimezone(CST)
            median = math.log(m.chat_reply_median_s)
            if STAFFED[0] <= local.hour < STAFFED[1] or m.night_staff:
                if rng.random() < m.chat_answer_rate:
                    reply = to_human + rng.lognormvariate(median, REPLY_SIGMA) * S
            elif rng.random() < 0.5 * m.chat_answer_rate:  # the message waits for the morning shift
                morning = local.replace(hour=STAFFED[0], minute=0, second=0, microsecond=0)
                if morning <= local:
                    morning += 24 * H
                reply = morning + rng.uniform(0, 3600) * S + rng.lognormvariate(median, REPLY_SIGMA) * S
            closed = reply + rng.uniform(120, 1800) * S if reply else to_human + rng.uniform(180, 2700) * S
        if closed >= sim.end:
            return  # still open when the run ends: the platform sends a session when it closes
        self._sessions += 1
        self.stats["sessions"] += 1
        self.stats["to_human"] += to_human is not None
        self.stats["answered"] += reply is not None
        self.stats["night"] += not STAFFED[0] <= opened.astimezone(CST).hour < STAFFED[1]
        sim.feed.emit("chat.session", closed, {
            "session_id": f"chat-{self._sessions:06d}", "shop_id": order.shop.shop_id,
            "consumer_id": order.consumer.consumer_id, "order_id": order.order_id if about_order else None,
            "opened_at": iso(opened), "to_human_at": iso(to_human) if to_human else None,
            "first_human_reply_at": iso(reply) if reply else None, "closed_at": iso(closed)},
            rng=rng, sent_at=max(closed, sim.now))
        if to_human is not None and reply is None and about_order and rng.random() < 0.15:
            self.complain(order, "service_attitude", closed + rng.uniform(0.1, 12) * H)
