"""Creators (达人): who sells which shops' listings in livestreams and short videos, and what viewers say.

A creator has a latent ``honesty``: dishonest ones over-promise, so viewers leave more negative feedback
on their content and more of the orders they sell turn out ``not_as_described``. Creators pick the shops
they promote (honest ones lean towards better shops); an order is attributed to one of its shop's
creators about a quarter of the time, and most of a livestream burst to the creator hosting it.

Everything here draws from the simulation's ``scoring_rng``, never from the main stream, so adding the
creators left every older draw (and so the older ground truth) where it was.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from anxin.sim.events import CST, iso
from anxin.sim.orders import HOUR_WEIGHT, poisson
from anxin.sim.world import Shop, World

if TYPE_CHECKING:
    from anxin.sim.engine import Simulation
    from anxin.sim.orders import SimOrder

OWN_CHANNEL_SHARE = 0.76  # orders of a promoted shop that still come through its own channel
HOSTED_BURST = 0.75  # a promoted shop's livestream burst is hosted by one of its creators
HOSTED_ORDERS = 0.9  # ... who then sells most of it
NEUTRAL_SHARE = 0.3


@dataclass
class Creator:
    creator_id: str
    honesty: float  # latent 0..1
    activity: float  # viewers' feedback items on an ordinary day
    post_rate: float  # chance of a new piece of content on a given day
    shops: list[Shop] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)

    @property
    def overpromise(self) -> float:
        """The chance an order they sold, fine otherwise, is not what they described."""
        return 0.25 * (1 - self.honesty) ** 2

    @property
    def negative_share(self) -> float:
        """Viewers' negative share: over-promising, plus a little for the quality of what they sell."""
        shop_q = sum(s.merchant.quality for s in self.shops) / len(self.shops) if self.shops else 0.7
        return 0.02 + 0.5 * (1 - self.honesty) ** 2 + 0.08 * (1 - shop_q)


def cast_creators(rng: random.Random, world: World, merchants: int) -> None:
    """One creator per three merchants (at least five), each promoting two to six shops."""
    shops = world.shops
    for n in range(1, max(5, merchants // 3) + 1):
        honesty = rng.betavariate(3.5, 1.8)
        creator = Creator(f"cr-{n:04d}", round(honesty, 4), activity=2.5 * rng.lognormvariate(0, 0.5),
                          post_rate=rng.uniform(0.4, 0.9))
        # Honest creators weigh shops by quality (the most honest by its cube); the least honest hardly care.
        weights = [0.05 + s.merchant.quality ** (3 * honesty) for s in shops]
        picks: list[Shop] = []
        for _ in range(min(len(shops), rng.randint(2, 6))):
            k = rng.choices(range(len(shops)), weights)[0]
            picks.append(shops[k])
            weights[k] = 0.0
        creator.shops = picks
        world.creators.append(creator)
    # Shops that sell in livestreams work with at least one creator, who hosts most of their bursts.
    for shop in shops:
        if shop.livestream and not any(shop in c.shops for c in world.creators):
            weights = [0.05 + shop.merchant.quality ** (3 * c.honesty) for c in world.creators]
            rng.choices(world.creators, weights)[0].shops.append(shop)
    for creator in world.creators:
        creator.shops.sort(key=lambda s: s.shop_id)
        for shop in creator.shops:
            shop.creators.append(creator)


def _pick(rng: random.Random, creators: list[Creator]) -> Creator:
    return rng.choices(creators, [c.activity for c in creators])[0]


class Creators:
    def __init__(self, sim: Simulation) -> None:
        self.sim, self.rng = sim, sim.scoring_rng
        self.stats: Counter[str] = Counter()
        self._hosted: Counter[str] = Counter()  # bursts hosted today, by creator: their viewers are busier
        self._feedback = 0

    # --- which orders they sell ---------------------------------------------------------------------

    def host(self, shop: Shop) -> Creator | None:
        """The creator hosting a shop's livestream burst, if one does."""
        if shop.creators and self.rng.random() < HOSTED_BURST:
            creator = _pick(self.rng, shop.creators)
            self._hosted[creator.creator_id] += 1
            return creator
        return None

    def seller(self, shop: Shop, host: Creator | None) -> Creator | None:
        """The creator an order is attributed to (None: the shop's own channel)."""
        r = self.rng.random()
        if host is not None:
            return host if r < HOSTED_ORDERS else None
        if shop.creators and r >= OWN_CHANNEL_SHARE:
            return _pick(self.rng, shop.creators)
        return None

    def not_as_described(self, order: SimOrder) -> bool:
        """At delivery, for an order with no other problem: did its creator over-promise?"""
        creator = order.creator
        if creator is None or self.rng.random() >= creator.overpromise:
            return False
        self.stats["not_as_described"] += 1
        return True

    # --- their content and what viewers say ---------------------------------------------------------

    def day(self, day_start: dt.datetime) -> None:
        """Each creator's new content and the day's viewer feedback (busier after hosting a burst)."""
        rng, sim = self.rng, self.sim
        for c in self.sim.world.creators:
            if not c.contents or rng.random() < c.post_rate:
                c.contents.append(f"{c.creator_id}-v{len(c.contents) + 1:03d}")
            n = poisson(rng, c.activity * (1 + 0.8 * self._hosted[c.creator_id]))
            negative = c.negative_share
            for _ in range(n):
                at = _daytime(rng, day_start)
                if at >= sim.end:
                    continue
                r = rng.random()
                sentiment = "negative" if r < negative else "neutral" if r < negative + NEUTRAL_SHARE else "positive"
                recent = c.contents[-3:]  # viewers react to the latest pieces, the newest most
                content = recent[min(len(recent) - 1, int(rng.triangular(0, len(recent), len(recent))))]
                self._feedback += 1
                self.stats[sentiment] += 1
                sim.feed.emit("content.feedback", at, {
                    "feedback_id": f"fb-{self._feedback:07d}", "creator_id": c.creator_id, "content_id": content,
                    "sentiment": sentiment, "at": iso(at)}, rng=rng)
        self._hosted.clear()


def _daytime(rng: random.Random, day_start: dt.datetime) -> dt.datetime:
    """An instant of the day, weighted by local hour like purchases (viewers watch in the evening)."""
    while True:
        at = day_start + dt.timedelta(seconds=rng.uniform(0, 86400))
        if rng.random() * 2.0 < HOUR_WEIGHT[at.astimezone(CST).hour]:
            return at
