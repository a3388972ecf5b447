"""Fraud rings of the abuse mix: their sizes, the attributes their members share, and their campaigns.

What a ring shares. A ring (职业索赔/羊毛党团伙) is run from a studio: a phone farm runs several accounts per
device, a few bank cards pay for many accounts, virtual numbers (接码) register them, returns leave from a handful
of drop addresses and traffic goes through a proxy. So members share devices, payment cards, phones, return
addresses and a proxy IP, each value among a handful of members (pools of one value per so many members), in
overlapping ways: not every member shares everything (``RING_SHARING``). About a third of rings are careful
(``CAREFUL_SHARE``): a device and a card per account, bought on the grey market, so they share a strong identifier
only now and then (the sharing chances times ``CAREFUL_FACTOR``); what they cannot hide is how they work.

How a ring works. The organiser picks a target shop and product and posts it to the group chat; members buy it
within hours of each other, and once the parcels are signed for they file claims with the ring's script and
photos within hours, as instructed (``campaigns``). A ring runs a campaign every week or so (``CAMPAIGN_DAYS``),
each against one to three shops; each time 40–80 % of the members join, each buying from one or two of the
targets. So members claim at the same shops within a day or two of each other, again and again — lock-step
claims on common shops — which honest buyers who happen to share a campus IP or an apartment address do not.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anxin.sim.events import iso
from anxin.sim.identity import token

if TYPE_CHECKING:
    from anxin.sim.abuse import Account
    from anxin.sim.world import Listing, Shop

H = dt.timedelta(hours=1)

RING_SCRIPTS = ("收到货就是坏的，图片为证，要求全额退款", "商品质量严重问题，和描述完全不符，见图",
                "到手破损无法使用，请尽快处理退款")
# A ring member shares a value of this kind with others with this chance; a pool value per so many members
# keeps each shared value among a handful of accounts.
RING_SHARING = {"device": (0.6, 5), "payment": (0.5, 6), "phone": (0.35, 8), "return_address": (0.7, 10),
                "ip": (0.3, 12)}
CAREFUL_SHARE = 0.35  # rings that buy a device and a card per account
CAREFUL_FACTOR = {"device": 0.2, "payment": 0.2, "phone": 0.2, "return_address": 0.6, "ip": 0.6}
CAMPAIGN_DAYS = 7.0  # a campaign about every week (at least two in any run)
CAMPAIGN_TARGETS = (1, 3)  # target shops per campaign
CAMPAIGN_JOIN = (0.4, 0.8)  # share of the members who join a campaign
CAMPAIGN_BUY_HOURS = 8.0  # members buy within this many hours of the organiser's post
RING_CLAIM_HOURS = (1.0, 12.0)  # members claim this long after the parcel is signed for, as instructed


@dataclass
class Ring:
    ring_id: str
    members: list[Account]
    photos: list[tuple[str, bytes]]
    script: str
    shared: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # kind -> value -> members
    waves: list[dt.datetime] = field(default_factory=list)
    careful: bool = False
    targets: list[list[str]] = field(default_factory=list)  # each campaign's target shops

    def truth(self) -> dict[str, Any]:
        return {"size": len(self.members), "members": [a.consumer.consumer_id for a in self.members],
                "registered": [iso(a.consumer.registered_at) for a in self.members if a.consumer.registered_at],
                "shared": self.shared, "waves": [iso(w) for w in self.waves], "careful": self.careful,
                "targets": self.targets,
                "photos": [pid for pid, _ in self.photos]}


def ring_sizes(rng: random.Random, budget: int, lo: int, hi: int) -> list[int]:
    """Ring sizes drawn over [lo, hi] on a log scale, a third of the range at a time (largest first), until the
    budget of accounts is used; at least one ring of ``lo`` when there is any budget at all."""
    if budget <= 0:
        return []
    sizes: list[int] = []
    left, k = max(budget, lo), 0
    a, b = math.log(lo), math.log(hi)
    while left >= lo:
        third = 2 - k % 3
        size = round(math.exp(rng.uniform(a + (b - a) * third / 3, a + (b - a) * (third + 1) / 3)))
        size = max(lo, min(hi, size, left))
        sizes.append(size)
        left -= size
        k += 1
    return sizes


def share_attributes(ring: Ring, careful: bool | None = None) -> None:
    """Members share pool values in overlapping ways; in a ring that is not careful nobody is left sharing nothing
    with anyone. ``careful`` None: drawn (``CAREFUL_SHARE``)."""
    rng, n = ring.members[0].rng, len(ring.members)
    draw = rng.random() < CAREFUL_SHARE
    ring.careful = draw if careful is None else careful
    chance = {kind: p * (CAREFUL_FACTOR[kind] if ring.careful else 1.0) for kind, (p, _) in RING_SHARING.items()}
    pools = {kind: [token(rng, {"device": "dev", "payment": "pay", "phone": "tel", "return_address": "addr",
                                "ip": "ip"}[kind]) for _ in range(max(1, n // per))]
             for kind, (_, per) in RING_SHARING.items()}
    chosen: dict[str, dict[str, str]] = {}
    for member in ring.members:
        mine = {kind: rng.choice(pools[kind]) for kind in RING_SHARING if rng.random() < chance[kind]}
        chosen[member.consumer.consumer_id] = mine
    users = Counter(v for mine in chosen.values() for v in mine.values())
    for member in ring.members:
        mine = chosen[member.consumer.consumer_id]
        if n > 1 and not ring.careful and not any(users[v] > 1 for v in mine.values()):
            used = sorted((kind, v) for kind, pool in pools.items() for v in pool if users[v] >= 1
                          and v not in mine.values()) or sorted((k, pool[0]) for k, pool in pools.items())
            kind, value = rng.choice(used)
            mine[kind] = value
            users[value] += 1
    for member in ring.members:
        person = member.person
        assert person is not None
        for kind, value in chosen[member.consumer.consumer_id].items():
            if kind == "device":
                person.devices[0] = (None, value)
            elif kind == "ip":
                person.home_ip = value
            else:
                setattr(person, kind, value)
            ring.shared.setdefault(kind, {}).setdefault(value, []).append(member.consumer.consumer_id)
    shared = {k: {v: m for v, m in values.items() if len(m) > 1} for k, values in ring.shared.items()}
    ring.shared = {k: values for k, values in shared.items() if values}


def campaigns(ring: Ring, pairs: Sequence[tuple[Shop, Listing]], paid_at: Callable[[random.Random], dt.datetime],
              days: int) -> Iterator[tuple[dt.datetime, Account, tuple[Shop, Listing]]]:
    """The ring's coordinated purchases (module docstring): per campaign, the organiser's post time, then for each
    member who joins, one or two orders from the targets within ``CAMPAIGN_BUY_HOURS``, the same product per shop.
    Yields (paid at, member, (shop, listing)) and records the campaigns in ``ring.waves`` and ``ring.targets``."""
    rng = ring.members[0].rng
    by_shop: dict[str, list[tuple[Shop, Listing]]] = {}
    for shop, listing in pairs:
        by_shop.setdefault(shop.shop_id, []).append((shop, listing))
    shops = sorted(by_shop)
    if not shops:
        return
    for _ in range(max(2, round(days / CAMPAIGN_DAYS))):
        at = paid_at(rng)
        targets = rng.sample(shops, min(len(shops), rng.randint(*CAMPAIGN_TARGETS)))
        product = {s: rng.choice(by_shop[s]) for s in targets}
        ring.waves.append(at)
        ring.targets.append(targets)
        share = rng.uniform(*CAMPAIGN_JOIN)
        joining = rng.sample(ring.members, max(min(3, len(ring.members)), round(share * len(ring.members))))
        for member in joining:
            for shop_id in rng.sample(targets, min(len(targets), rng.randint(1, 2))):
                yield at + rng.uniform(0, CAMPAIGN_BUY_HOURS) * H, member, product[shop_id]
