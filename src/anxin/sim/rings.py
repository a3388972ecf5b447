"""Fraud rings of the abuse mix: their sizes, and the attributes their members share.

A ring's members share devices (a phone farm runs several accounts), payment cards, phones (virtual numbers),
drop addresses their returns leave from and a proxy IP, each value among a handful of members, in overlapping
ways: not every member shares everything, and nobody is left sharing nothing with anyone.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anxin.sim.events import iso
from anxin.sim.identity import token

if TYPE_CHECKING:
    from anxin.sim.abuse import Account

RING_SCRIPTS = ("收到货就是坏的，图片为证，要求全额退款", "商品质量严重问题，和描述完全不符，见图",
                "到手破损无法使用，请尽快处理退款")
# A ring member shares a value of this kind with others with this chance; a pool value per so many members
# keeps each shared value among a handful of accounts.
RING_SHARING = {"device": (0.6, 5), "payment": (0.5, 6), "phone": (0.35, 8), "return_address": (0.7, 10),
                "ip": (0.3, 12)}


@dataclass
class Ring:
    ring_id: str
    members: list[Account]
    photos: list[tuple[str, bytes]]
    script: str
    shared: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # kind -> value -> members
    waves: list[dt.datetime] = field(default_factory=list)

    def truth(self) -> dict[str, Any]:
        return {"size": len(self.members), "members": [a.consumer.consumer_id for a in self.members],
                "registered": [iso(a.consumer.registered_at) for a in self.members if a.consumer.registered_at],
                "shared": self.shared, "waves": [iso(w) for w in self.waves],
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


def share_attributes(ring: Ring) -> None:
    """Members share pool values in overlapping ways; nobody is left sharing nothing with anyone."""
    rng, n = ring.members[0].rng, len(ring.members)
    pools = {kind: [token(rng, {"device": "dev", "payment": "pay", "phone": "tel", "return_address": "addr",
                                "ip": "ip"}[kind]) for _ in range(max(1, n // per))]
             for kind, (_, per) in RING_SHARING.items()}
    chosen: dict[str, dict[str, str]] = {}
    for member in ring.members:
        mine = {kind: rng.choice(pools[kind]) for kind, (p, _) in RING_SHARING.items() if rng.random() < p}
        chosen[member.consumer.consumer_id] = mine
    users = Counter(v for mine in chosen.values() for v in mine.values())
    for member in ring.members:
        mine = chosen[member.consumer.consumer_id]
        if n > 1 and not any(users[v] > 1 for v in mine.values()):
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
