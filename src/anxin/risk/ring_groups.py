"""Rings that are found: dense, synchronized groups of accounts, from shared attributes *and* claims made together.

Why not components of the link graph
------------------------------------
A ring's members share a device here, a card there; honest buyers share weak, high-degree values: a campus address
and its network's IP, an apartment block, a carrier's NAT address, an office. Chaining through those (``anxin.risk.
rings``: a value links everybody who has it) joins a ring to hundreds of honest accounts, and its density drowns.
And a careful ring shares next to nothing: what gives it away is how it works, claiming at the same shops within a
day or two of each other, campaign after campaign. So here accounts are tied pair by pair, with weights, and only
pairs tied strongly enough join a group.

Pair affinity
-------------
For two accounts ``a`` and ``b``:

- **attributes**: for each kind, the largest weight among the values of that kind they share, summed over kinds.
  A value shared by ``d`` accounts weighs ``BASE[kind] × idf(d)`` where ``idf(d) = 1 / (1 + log2(d / 2))`` (1 for a
  pair, ½ for four, ⅓ for eight, ¼ for sixteen) for the weak kinds (``address``, ``ip``, ``return_address``: an
  apartment block, a campus, a NAT, an office), and ``BASE[kind]`` flat for the strong ones (``device``,
  ``payment``, ``phone``: six accounts on one device is a phone farm, not a coincidence). A value shared by more
  than ``hub_degree`` accounts weighs nothing (a default device id, a parcel locker, a campus): hubs join nobody.
  ``BASE``: strong kinds 1.0, ``return_address`` 0.5, ``address`` and ``ip`` 0.25.
- **claims together** (lock-step on common shops): the number ``k`` of distinct shops where both claimed within
  ``co_claim_hours`` of each other, times ``co_claim_weight``, times ``min(1, k / (co_claim_share × m))`` where
  ``m`` is the number of shops the busier of the two claimed at in all: two serial claimers who claim everywhere
  meet by chance, two ring members claim mostly where their campaigns send them. Nothing when the two share a
  delivery address (``household_kinds``): one household orders and claims together, and says nothing by it; a
  ring's accounts take their parcels at different addresses to look like strangers. A shop-window with more than
  ``max_window_claims`` claims (a bad lot everyone claims on) is skipped, as a hub is.

``affinity = attributes + claims together``. A pair is **tied** when its affinity reaches ``tie`` (1.0 by
default: one strong identifier, or claiming together at two shops, or one shop plus a drop address and a proxy
shared by few). Groups are the connected components of the tied pairs. Then, once, an account in no group joins
the group it is tied to *as a whole*: its affinity to the group counts, per kind, the largest weight it shares
with any member, and the distinct shops where it claimed with any member (a careful ring's member who claimed at
one shop with one member and at another with another). Attached accounts do not attach others.

Group score
-----------
For a group of ``n`` accounts: ``density`` = the mean of ``min(1, affinity)`` over all its ``n (n - 1) / 2``
pairs; ``co_claim_shops`` = the distinct shops where two or more members claimed within the window of each other;
``evidence`` = the kinds behind its tied pairs (``device``, ``payment``, ``phone``, … and ``co_claim``), with the
number of tied pairs each supports. ``strength`` = the strong identifiers among the evidence (one each) plus
``min(2, co_claim_shops / co_claim_shops_full × 2)`` — so claiming together at ``co_claim_shops_full`` shops is
by itself full strength. ``score = min(1, density / full_density) × min(1, strength / 2)``, in [0, 1].

A group is a ring when ``min_size ≤ n ≤ max_size``, ``co_claim_shops ≥ min_co_claim_shops`` and at least
``min_size`` members claimed within the window of another member at one of them (it has claimed together:
accounts that share devices but never claim are not after-sales abuse yet; two people who happened to claim
together do not make a chain of device sharers a ring), and ``score ≥ min_score``.
Why this separates them: honest consumers at one campus share only hub values (no tie); a family shares a tablet
and a card (tied) but does not claim at several shops together; two honest buyers who claimed at the same big shop
in the same week are tied by one shop (½), not enough; a ring of fifty is tied through its devices and through
each campaign's co-claims, and every campaign adds shops.

Costs
-----
Pairs are enumerated per value (at most ``hub_degree²/2`` a value) and per shop window (at most
``max_window_claims`` claims a window), so O(links × hub_degree + claims × max_window_claims). A batch pass (``anxin
risk rings``, ``ring_batch``); the live verdict reads the answer from an in-memory index (``GroupIndex``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

STRONG_KINDS = ("device", "payment", "phone")
WEAK_KINDS = ("return_address", "address", "ip")
BASE: Mapping[str, float] = {"device": 1.0, "payment": 1.0, "phone": 1.0, "return_address": 0.5, "address": 0.25,
                             "ip": 0.25}
CO_CLAIM = "co_claim"


@dataclass(frozen=True)
class GroupParams:
    """The batch detector's thresholds (module docstring)."""

    min_size: int = 3
    max_size: int = 60
    hub_degree: int = 25
    tie: float = 1.0
    co_claim_hours: float = 72.0
    co_claim_weight: float = 0.5
    co_claim_share: float = 0.75  # claiming together counts fully when it is this share of the busier one's shops
    household_kinds: tuple[str, ...] = ("address",)  # sharing one: one household, whose claims together say nothing
    max_window_claims: int = 200
    full_density: float = 0.4  # the middle of the plateau 0.25–0.6 on the tuning seeds
    co_claim_shops_full: int = 3
    min_co_claim_shops: int = 2
    min_score: float = 0.5

    def __post_init__(self) -> None:
        if self.min_size < 2 or self.max_size < self.min_size:
            raise ValueError(f"need 2 ≤ min_size ≤ max_size, got {self.min_size}, {self.max_size}")
        if self.hub_degree < 2 or self.max_window_claims < 2:
            raise ValueError("hub_degree and max_window_claims must be at least 2")
        if self.tie <= 0 or self.co_claim_hours <= 0 or self.co_claim_weight < 0 or self.full_density <= 0:
            raise ValueError("tie, co_claim_hours and full_density must be positive, co_claim_weight ≥ 0")
        if self.co_claim_shops_full < 1 or self.min_co_claim_shops < 0 or not 0 <= self.min_score <= 1:
            raise ValueError("co_claim_shops_full ≥ 1, min_co_claim_shops ≥ 0, min_score in [0, 1]")


@dataclass(frozen=True)
class ClaimAt:
    """A claim: who, against which shop, when."""

    account: str
    shop: str
    at: dt.datetime


@dataclass(frozen=True)
class Group:
    """A group of tied accounts, scored (module docstring)."""

    members: tuple[str, ...]
    size: int
    density: float
    co_claim_shops: tuple[str, ...]
    co_claimers: int  # members who claimed at a shop within the window of another member
    evidence: tuple[tuple[str, int], ...]  # (kind, tied pairs it supports), most first
    strength: float
    score: float
    is_ring: bool

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.evidence)


@dataclass
class Pair:
    kinds: dict[str, float] = field(default_factory=dict)  # kind -> the largest weight of a shared value
    shops: set[str] = field(default_factory=set)  # shops both claimed at within the window
    claimed: int = 0  # shops the busier of the two claimed at, in all

    def together(self, p: GroupParams) -> float:
        """What claiming together adds: ``co_claim_weight`` a shop, scaled down when those shops are a small share
        of where the busier account claims (two serial claimers meet by chance)."""
        k = len(self.shops)
        if not k or (p.household_kinds and any(kind in self.kinds for kind in p.household_kinds)):
            return 0.0
        return p.co_claim_weight * k * min(1.0, k / (p.co_claim_share * max(k, self.claimed)))

    def affinity(self, p: GroupParams) -> float:
        return math.fsum(self.kinds.values()) + self.together(p)


def idf(degree: int) -> float:
    """A weak value's weight per its degree: 1 for a pair, ½ for four, ⅓ for eight."""
    return 1.0 / (1.0 + math.log2(degree / 2)) if degree >= 2 else 0.0


def value_weight(kind: str, degree: int, params: GroupParams | None = None) -> float:
    """What one shared value of ``kind``, which ``degree`` accounts have, adds to each of their pairs."""
    p = params or GroupParams()
    if kind not in BASE:
        raise ValueError(f"unknown link kind {kind!r}; known: {', '.join(BASE)}")
    if degree < 2 or degree > p.hub_degree:
        return 0.0
    return BASE[kind] if kind in STRONG_KINDS else BASE[kind] * idf(degree)


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def pair_ties(links: Iterable[tuple[str, str, str]], claims: Iterable[ClaimAt],
              params: GroupParams | None = None) -> tuple[dict[tuple[str, str], Pair], int]:
    """Every pair of accounts with some affinity, and the number of hub values (module docstring)."""
    p = params or GroupParams()
    by_value: dict[tuple[str, str], set[str]] = defaultdict(set)
    for account, kind, value in links:
        if kind not in BASE:
            raise ValueError(f"unknown link kind {kind!r}; known: {', '.join(BASE)}")
        account, value = account.strip(), value.strip()
        if account and value:
            by_value[(kind, value)].add(account)
    pairs: dict[tuple[str, str], Pair] = {}
    hubs = 0
    for (kind, _), accounts in by_value.items():
        if len(accounts) > p.hub_degree:
            hubs += 1
            continue
        w = value_weight(kind, len(accounts), p)
        if w <= 0:
            continue
        names = sorted(accounts)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                pair = pairs.get((a, b))
                if pair is None:
                    pair = pairs[(a, b)] = Pair()
                if w > pair.kinds.get(kind, 0.0):
                    pair.kinds[kind] = w
    by_shop: dict[str, list[ClaimAt]] = defaultdict(list)
    for c in claims:
        by_shop[c.shop].append(c)
    shops_of: dict[str, set[str]] = defaultdict(set)
    for shop, rows in by_shop.items():
        for c in rows:
            shops_of[c.account].add(shop)
    window = dt.timedelta(hours=p.co_claim_hours)
    for shop, rows in by_shop.items():
        rows.sort(key=lambda c: (c.at, c.account))
        lo = 0
        for hi, c in enumerate(rows):
            while rows[lo].at < c.at - window:
                lo += 1
            if hi - lo > p.max_window_claims:
                continue  # a shop-window everyone claims in: a hub
            for other in rows[lo:hi]:
                if other.account != c.account:
                    key = _key(other.account, c.account)
                    pair = pairs.get(key)
                    if pair is None:
                        pair = pairs[key] = Pair()
                    pair.shops.add(shop)
                    pair.claimed = max(len(shops_of[key[0]]), len(shops_of[key[1]]))
    return pairs, hubs


def _components(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    parent = {x: x for x in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    out: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        out[find(x)].append(x)
    return sorted((sorted(g) for g in out.values()), key=lambda g: g[0])


def score_group(members: Iterable[str], pairs: Mapping[tuple[str, str], Pair],
                params: GroupParams | None = None) -> Group:
    """Score one group of accounts from the pairs' ties (module docstring)."""
    p = params or GroupParams()
    names = sorted(set(members))
    n = len(names)
    total = 0.0
    evidence: Counter[str] = Counter()
    shops: set[str] = set()
    claimers: set[str] = set()
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            pair = pairs.get((a, b))
            if pair is None:
                continue
            aff = pair.affinity(p)
            total += min(1.0, aff)
            if pair.together(p) > 0:
                shops |= pair.shops
                claimers.update((a, b))
            if aff >= p.tie:
                evidence.update(k for k, w in pair.kinds.items() if w > 0)
                if pair.together(p) > 0:
                    evidence[CO_CLAIM] += 1
    n_pairs = n * (n - 1) // 2
    density = total / n_pairs if n_pairs else 0.0
    strong = sum(1 for k in STRONG_KINDS if evidence[k])
    strength = strong + min(2.0, 2.0 * len(shops) / p.co_claim_shops_full)
    score = min(1.0, density / p.full_density) * min(1.0, strength / 2.0)
    is_ring = (p.min_size <= n <= p.max_size and len(shops) >= p.min_co_claim_shops
               and len(claimers) >= p.min_size and score >= p.min_score)
    ev = tuple(sorted(evidence.items(), key=lambda kv: (-kv[1], kv[0])))
    return Group(tuple(names), n, density, tuple(sorted(shops)), len(claimers), ev, strength, score, is_ring)


def detect_groups(links: Iterable[tuple[str, str, str]], claims: Iterable[ClaimAt],
                  params: GroupParams | None = None, *, include_all: bool = False) -> list[Group]:
    """The rings (every group of two or more tied accounts with ``include_all``), highest score first. A group
    above ``max_size`` is returned only with ``include_all``, unscored (score 0)."""
    p = params or GroupParams()
    claims = list(claims)
    pairs, _ = pair_ties(links, claims, p)
    tied = [k for k, pair in pairs.items() if pair.affinity(p) >= p.tie]
    nodes = {x for k in tied for x in k}
    out: list[Group] = []
    for members in _attach(_components(nodes, tied), pairs, claims, p):
        if len(members) > p.max_size:
            if include_all:
                out.append(Group(tuple(members), len(members), 0.0, (), 0, (), 0.0, 0.0, False))
            continue
        group = score_group(members, pairs, p)
        if include_all or group.is_ring:
            out.append(group)
    out.sort(key=lambda g: (-g.score, -g.size, g.members))
    return out


def _attach(groups: list[list[str]], pairs: Mapping[tuple[str, str], Pair], claims: list[ClaimAt],
            p: GroupParams) -> list[list[str]]:
    """One pass: an account in no group joins the group it is tied to as a whole (module docstring)."""
    index = {m: i for i, g in enumerate(groups) for m in g}
    shops_of: dict[str, set[str]] = defaultdict(set)
    for c in claims:
        shops_of[c.account].add(c.shop)
    towards: dict[tuple[str, int], Pair] = {}
    for (a, b), pair in pairs.items():
        for inside, outside in ((a, b), (b, a)):
            g = index.get(inside)
            if g is None or outside in index:
                continue
            agg = towards.get((outside, g))
            if agg is None:
                agg = towards[(outside, g)] = Pair(claimed=len(shops_of[outside]))
            for kind, w in pair.kinds.items():
                agg.kinds[kind] = max(w, agg.kinds.get(kind, 0.0))
            agg.shops |= pair.shops
    best: dict[str, tuple[float, int]] = {}
    for (outside, g), agg in towards.items():
        aff = agg.affinity(p)
        if aff >= p.tie and (outside not in best or (aff, -g) > (best[outside][0], -best[outside][1])):
            best[outside] = (aff, g)
    out = [list(g) for g in groups]
    for outside, (_, g) in sorted(best.items()):
        out[g].append(outside)
    return [sorted(g) for g in out]


class GroupIndex:
    """The last batch pass's rings by account, for the live verdict: a dict lookup (O(1))."""

    def __init__(self) -> None:
        self._of: dict[str, Group] = {}
        self.groups: list[Group] = []

    def replace(self, groups: Iterable[Group]) -> None:
        rings = [g for g in groups if g.is_ring]
        of = {m: g for g in rings for m in g.members}
        self.groups, self._of = rings, of  # one assignment each: readers see the old index or the new one

    def group_of(self, account: str) -> Group | None:
        return self._of.get(account)
