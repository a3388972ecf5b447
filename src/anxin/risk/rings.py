"""Fraud rings (团伙): components of the account–attribute link graph, scored to tell rings from coincidence.

Graph
-----
Accounts link to the attribute values the platform sends with their events: ``device``, ``phone``, ``address``,
``payment`` (instrument), ``return_address`` and ``ip``, each value an opaque string. Every value is a node of its
own, keyed by (kind, value), so the graph is bipartite, accounts ↔ values; two accounts are linked when they share a
value, and a component is a set of accounts joined by chains of shared values. Bad input is not an error: a blank,
whitespace or ``None`` value (a missing attribute) or account is skipped and counted; an account giving the same
value twice is one link (a self-link adds nothing); a value that only one account has is kept (a second account may
come) but links nobody. An unknown kind is an error: the platform's contract names the six.

Hub guard
---------
A value shared by more than ``max_value_degree`` accounts (a carrier's NAT address, a campus or parcel-locker
address, a default device id) says nothing about who knows whom, and a handful of them would join much of the
platform into one giant component. Such a value is a *hub*: it links nobody, and it is reported with its degree
(``RingGraph.hubs()``, and ``Ring.hubs`` for the hubs a component's members touch).

Score
-----
Each kind has a weight: ``device``, ``payment`` and ``phone`` 1.0 (strong: rarely shared outside one person),
``return_address`` 0.5, ``address`` and ``ip`` 0.25 (weak: housemates, campuses, offices and NATs share them). Two
members are *tied* by ``min(1, Σ w)`` over the distinct kinds of the (non-hub) values they share: one strong kind
ties a pair fully, a shared address alone a quarter, and two IPs count as one kind. For a component of ``n``
accounts,

- ``density`` = the mean tie over all ``n (n - 1) / 2`` member pairs;
- ``strong_kinds`` = the distinct strong kinds among the values that link members (the evidence, for the record);
- ``joint_strong_kinds`` = the strong kinds the members use *together*: the most that one pair of members shares,
  or, if more, the number of strong kinds that each link at least two thirds of the members (and three or more of
  them). A ring works its devices and cards jointly (some pair shares a device *and* a card, or devices and cards
  each run through the group, rotated); a household's tablet here and a recycled phone number to a stranger there
  are two strong kinds but coincidence;
- ``score`` = ``density × min(1, joint_strong_kinds / 2)``, in [0, 1];
- ``is_ring`` = ``min_size ≤ n ≤ max_size`` and ``density ≥ min_density`` and
  ``joint_strong_kinds ≥ min_strong_kinds``.

Why this separates them: 500 students at one campus address make that address a hub, so it joins nobody; 20 of them
below the hub threshold form a component whose every pair is tied by one weak kind (density 0.25, no strong kind:
score 0). Coincidences that chain (A shares a phone with B, B a flat with C, …) leave most pairs untied, so their
density falls like ``2 / n``. Three to fifty accounts working together draw on a few devices, cards and return
addresses (pools, each value under the hub threshold): a small ring shares one of each, every pair fully tied; in a
ring of fifty with five devices and five cards a pair shares a device or a card about a third of the time, drop
addresses add more, and some fifty pairs share both. A household that shares a tablet and a card does look like a
small ring; that is what ``min_size`` and the verdict's other signals are for. A component above
``max_size`` is never a ring and is reported by its size only (``scored`` False): listing it per query would cost
O(component).

Costs
-----
``RingGraph.add_link`` is amortised near O(1): interning, a duplicate check bounded by the smaller of the two
degrees, union-find with path halving and union by size. Union-find cannot delete, so when a value crosses
``max_value_degree`` its component is split without it: searches from its (at most ``max_value_degree + 1``)
accounts run in lock-step until one piece is left unexplored, and only the other pieces are copied to fresh ids
(``RingGraph._make_hub``). That costs O(max_value_degree × the nodes and links of the pieces split off), once per
value in the graph's life, whatever the size of the piece that stays. ``ring_for`` walks the component
(O(nodes + links)) and counts pairs in O(Σ degree²) ≤ O(links × max_value_degree). Memory is Python lists and
dicts, a few hundred bytes a node (measured in docs/performance.md).

The batch side is numpy: ``components_from_edges`` labels any edge list (hook each root to its smallest neighbouring
root, jump pointers, contract the edges, repeat; exact), ``detect_rings`` runs the whole pipeline (dedupe, hub
guard, components, candidate filter, scoring of the candidates only) on integer-coded links, and ``build_batch``
builds a ``RingGraph`` with the same components as feeding it link by link.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import numpy.typing as npt

KINDS = ("device", "phone", "address", "payment", "return_address", "ip")
KIND_INDEX = {k: i for i, k in enumerate(KINDS)}
DEFAULT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("device", 1.0), ("phone", 1.0), ("payment", 1.0), ("return_address", 0.5), ("address", 0.25), ("ip", 0.25))
FULL_STRONG_KINDS = 2  # joint strong kinds for a full score: one could be a shared family tablet
WIDE_KIND = 2 / 3  # a strong kind linking at least this share of the members runs through the group
ACCOUNT = -1  # RingGraph._kind of an account node (a value's is its index in KINDS)
GHOST = -2  # a node left behind when its piece moved to fresh ids (RingGraph._move)

IntArray = npt.NDArray[np.int64]
Link = tuple[str | None, str, str | None]  # (account, kind, value) as the platform sends them


@dataclass(frozen=True)
class RingParams:
    """Thresholds (the rulebook supplies them; the defaults are ``rulebooks/risk.yaml``'s at the time of writing)."""

    min_size: int = 3
    max_size: int = 60
    min_density: float = 0.30
    min_strong_kinds: int = 2  # strong kinds the members must use together (joint_strong_kinds)
    max_value_degree: int = 25  # a value shared by more accounts than this is a hub and links nobody
    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS
    strong_weight: float = 1.0  # a kind weighing at least this is strong

    def __post_init__(self) -> None:
        if self.min_size < 2 or self.max_size < self.min_size:
            raise ValueError(f"need 2 ≤ min_size ≤ max_size, got {self.min_size}, {self.max_size}")
        if not 0.0 <= self.min_density <= 1.0:
            raise ValueError(f"min_density must be in [0, 1], got {self.min_density}")
        if not 0 <= self.min_strong_kinds <= len(KINDS):
            raise ValueError(f"min_strong_kinds must be 0..{len(KINDS)}, got {self.min_strong_kinds}")
        if self.max_value_degree < 2:
            raise ValueError(f"max_value_degree must be at least 2, got {self.max_value_degree}")
        w = dict(self.weights)
        if sorted(w) != sorted(KINDS) or len(self.weights) != len(KINDS) or any(x < 0 for x in w.values()):
            raise ValueError(f"weights must give each of {KINDS} one weight ≥ 0, got {self.weights}")
        if self.strong_weight <= 0:
            raise ValueError("strong_weight must be positive")

    def kind_weights(self) -> list[float]:
        """The weights in ``KINDS`` order."""
        w = dict(self.weights)
        return [w[k] for k in KINDS]

    def strong(self) -> list[bool]:
        return [x >= self.strong_weight for x in self.kind_weights()]


@dataclass(frozen=True)
class Evidence:
    """One value that links members: its kind, the value and the accounts that share it (sorted)."""

    kind: str
    value: str
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class Hub:
    """A value shared by more than ``max_value_degree`` accounts: it links nobody."""

    kind: str
    value: str
    degree: int


@dataclass(frozen=True)
class Ring:
    """A component of two or more accounts, scored. ``component`` is its smallest account (the same whether the
    graph was built link by link or in batch); for a component above ``max_size`` (``scored`` False) it is empty,
    as are ``members``, ``evidence`` and ``hubs``, and only ``size`` is known."""

    component: str
    members: tuple[str, ...]
    size: int
    density: float
    strong_kinds: tuple[str, ...]
    joint_strong_kinds: int
    score: float
    is_ring: bool
    evidence: tuple[Evidence, ...] = field(repr=False)
    hubs: tuple[Hub, ...] = field(default=(), repr=False)
    scored: bool = True

    def evidence_for(self, account: str) -> tuple[Evidence, ...]:
        """The values that link ``account`` to other members: what a verdict spread to it cites."""
        return tuple(e for e in self.evidence if account in e.accounts)


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text or None


def _kind_index(kind: str) -> int:
    try:
        return KIND_INDEX[kind]
    except KeyError:
        raise ValueError(f"unknown link kind {kind!r}; known: {', '.join(KINDS)}") from None


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector: a bulk load allocates millions of lists and makes no reference cycles,
    and the collector would scan them over and over (about 40 % of the time at a million links)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _oversized(size: int) -> Ring:
    return Ring("", (), size, 0.0, (), 0, 0.0, False, (), (), scored=False)


def score_component(members: Iterable[str], evidence: Iterable[Evidence], hubs: Iterable[Hub],
                    params: RingParams) -> Ring:
    """The ring score of one component (module docstring), from its members and the values that link them."""
    names = sorted(set(members))
    n = len(names)
    if n > params.max_size:
        return _oversized(n)
    ev = sorted(evidence, key=lambda e: (KIND_INDEX[e.kind], e.value))
    pos = {name: i for i, name in enumerate(names)}
    masks: dict[int, int] = {}  # pair (i * n + j, i < j) -> bit set of the kinds the pair shares
    for e in ev:
        bit = 1 << KIND_INDEX[e.kind]
        idx = sorted(pos[a] for a in e.accounts)
        for j in range(1, len(idx)):
            base = idx[j]
            for i in idx[:j]:
                key = i * n + base
                masks[key] = masks.get(key, 0) | bit
    weights = params.kind_weights()
    tie: dict[int, float] = {}
    for m in set(masks.values()):
        tie[m] = min(1.0, math.fsum(w for k, w in enumerate(weights) if m >> k & 1))
    pairs = n * (n - 1) // 2
    density = math.fsum(tie[m] for m in masks.values()) / pairs if pairs else 0.0
    strong_flags = params.strong()
    strong = tuple(k for k in KINDS if strong_flags[KIND_INDEX[k]] and any(e.kind == k for e in ev))
    strong_mask = sum(1 << k for k, flag in enumerate(strong_flags) if flag)
    on_one_pair = max((bin(m & strong_mask).count("1") for m in tie), default=0)
    reached: dict[str, set[str]] = {}
    for e in ev:
        if e.kind in strong:
            reached.setdefault(e.kind, set()).update(e.accounts)
    wide = sum(1 for accounts in reached.values() if len(accounts) >= max(3, WIDE_KIND * n))  # 2: one pair's fact
    joint = max(on_one_pair, wide)
    score = density * min(1.0, joint / FULL_STRONG_KINDS)
    is_ring = (params.min_size <= n <= params.max_size and density >= params.min_density
               and joint >= params.min_strong_kinds)
    return Ring(names[0] if names else "", tuple(names), n, density, strong, joint, score, is_ring, tuple(ev),
                tuple(sorted(set(hubs), key=lambda h: (KIND_INDEX[h.kind], h.value))))


# --- incremental --------------------------------------------------------------------------------------------------


class RingGraph:
    """The link graph, built link by link (``add_link``) or in batch (``build_batch``).

    Accounts and values share one integer id space and one union-find (path halving, union by size). Invariant: the
    union-find's accounts and non-hub values are grouped as the connected components of the graph without the hubs
    (a hub, and a ghost left by a split, may sit inert in a tree: they link nothing). Component roots
    (``component_of``, ``add_link``'s return) are valid until the next change. Not thread-safe."""

    def __init__(self, params: RingParams | None = None) -> None:
        self.params = params or RingParams()
        self.skipped = 0  # links with a missing account or value
        self.links = 0  # distinct (account, value) links recorded
        self._accounts: dict[str, int] = {}
        self._values: dict[tuple[int, str], int] = {}
        self._name: list[str] = []
        self._kind: list[int] = []  # ACCOUNT, GHOST or the value's index in KINDS
        self._adj: list[list[int]] = []  # account -> its values (hubs too); value -> its accounts ([] for a hub)
        self._parent: list[int] = []
        self._nodes: list[int] = []  # nodes in the tree, at roots
        self._naccounts: list[int] = []  # accounts in the component, at roots
        self._hub_degree: dict[int, int] = {}

    # -- interning and recording

    def _node(self, name: str, kind: int) -> int:
        i = len(self._name)
        self._name.append(name)
        self._kind.append(kind)
        self._adj.append([])
        self._parent.append(i)
        self._nodes.append(1)
        self._naccounts.append(1 if kind == ACCOUNT else 0)
        return i

    def _intern(self, account: str | None, kind: str, value: str | None) -> tuple[int, int] | None:
        k = _kind_index(kind)
        acc, val = _clean(account), _clean(value)
        if acc is None or val is None:
            self.skipped += 1
            return None
        a = self._accounts.get(acc)
        if a is None:
            a = self._accounts[acc] = self._node(acc, ACCOUNT)
        v = self._values.get((k, val))
        if v is None:
            v = self._values[(k, val)] = self._node(val, k)
        return a, v

    def _record(self, a: int, v: int) -> bool:
        """Store the link a–v unless it is there already; the check reads the shorter of the two lists."""
        adj_a = self._adj[a]
        deg = self._hub_degree.get(v)
        if deg is not None:
            if v in adj_a:
                return False
            self._hub_degree[v] = deg + 1
            adj_a.append(v)
            self.links += 1
            return True
        adj_v = self._adj[v]
        if (v in adj_a) if len(adj_a) <= len(adj_v) else (a in adj_v):
            return False
        adj_a.append(v)
        adj_v.append(a)
        self.links += 1
        return True

    # -- union-find

    def _find(self, x: int) -> int:
        p = self._parent
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def _union(self, x: int, y: int) -> int:
        rx, ry = self._find(x), self._find(y)
        if rx == ry:
            return rx
        if self._nodes[rx] < self._nodes[ry]:
            rx, ry = ry, rx
        self._parent[ry] = rx
        self._nodes[rx] += self._nodes[ry]
        self._naccounts[rx] += self._naccounts[ry]
        return rx

    def _walk(self, start: int) -> list[int]:
        """The nodes of ``start``'s component, following links that do not go through a hub."""
        hubs = self._hub_degree
        seen = {start}
        comp = [start]
        i = 0
        while i < len(comp):
            for y in self._adj[comp[i]]:
                if y not in seen and y not in hubs:
                    seen.add(y)
                    comp.append(y)
            i += 1
        return comp

    def _make_hub(self, v: int) -> set[int]:
        """``v`` crossed the hub threshold: drop its links and split its component where they held it together.

        Union-find cannot delete, so the pieces are found by searches from v's accounts (every node of the
        component reaches one of them without v), run in lock-step and merged when they meet, stopped as soon as
        at most one is still going. That one is the biggest piece: it keeps its nodes and tree untouched. Every
        finished piece is copied to fresh node ids with a flat tree of its own; its old ids stay behind in the old
        tree as inert ghosts (so the big piece's paths through them still work), and so does v, now a hub. Cost:
        O(searches × the nodes and links of the pieces split off), not of the whole component."""
        members = self._adj[v]
        root = self._find(v)
        starts = [m for m in members if self._find(m) == root]  # the new link's account may sit elsewhere
        self._hub_degree[v] = len(members)
        self._adj[v] = []
        hubs, adj = self._hub_degree, self._adj
        owner: dict[int, int] = {}  # node -> the search that found it (follow `merged_into` to the live one)
        merged_into = list(range(len(starts)))
        found: list[list[int]] = []
        todo: list[list[int]] = []
        for i, s in enumerate(starts):
            owner[s] = i
            found.append([s])
            todo.append([s])
        live = set(range(len(starts)))
        finished: list[int] = []

        def search_of(node: int) -> int:
            i = owner[node]
            while merged_into[i] != i:
                i = merged_into[i]
            return i

        while len(live) > 1:
            for i in sorted(live):
                if i not in live:
                    continue
                if not todo[i]:
                    live.discard(i)
                    finished.append(i)
                    continue
                for y in adj[todo[i].pop()]:
                    if y in hubs:
                        continue
                    if y not in owner:
                        owner[y] = i
                        found[i].append(y)
                        todo[i].append(y)
                    elif (j := search_of(y)) != i:  # the same piece: one search from now on
                        merged_into[j] = i
                        found[i] += found[j]
                        todo[i] += todo[j]
                        found[j], todo[j] = [], []
                        live.discard(j)
        keep = next(iter(live)) if live else max(finished, key=lambda i: len(found[i]))
        roots = {root}
        for i in finished:
            if i != keep:
                new_root, accounts = self._move(found[i])
                self._naccounts[root] -= accounts
                roots.add(new_root)
        return roots

    def _move(self, piece: list[int]) -> tuple[int, int]:
        """Copy a finished piece to fresh ids with a flat tree; leave ghosts behind. Its root and its accounts."""
        new = {x: len(self._name) + k for k, x in enumerate(piece)}
        root = new[piece[0]]
        accounts = 0
        for x in piece:
            kind, name = self._kind[x], self._name[x]
            self._name.append(name)
            self._kind.append(kind)
            self._adj.append([new.get(y, y) for y in self._adj[x]])  # outside the piece: only hubs
            self._parent.append(root)
            self._nodes.append(0)
            self._naccounts.append(0)
            if kind == ACCOUNT:
                self._accounts[name] = new[x]
                accounts += 1
            else:
                self._values[(kind, name)] = new[x]
            self._kind[x], self._name[x], self._adj[x] = GHOST, "", []
        self._nodes[root] = len(piece)
        self._naccounts[root] = accounts
        return root, accounts

    # -- the API

    def add_link(self, account: str | None, kind: str, value: str | None) -> set[int]:
        """Record that ``account`` has ``value`` of ``kind``. Returns the roots of the components whose ring may
        have changed: empty when the link was skipped (missing account or value), was already there, went to a
        hub or to a value nobody else has; several when the value just became a hub and its component split."""
        ids = self._intern(account, kind, value)
        if ids is None:
            return set()
        a, v = ids
        if not self._record(a, v) or v in self._hub_degree:
            return set()
        members = self._adj[v]
        if len(members) > self.params.max_value_degree:
            return self._make_hub(v)
        root = self._union(a, v)
        return {root} if len(members) > 1 else set()

    def add_links(self, links: Iterable[Link]) -> set[int]:
        """``add_link`` for each link; the union of the roots it returned (roots that later merged included)."""
        out: set[int] = set()
        with _bulk():
            for account, kind, value in links:
                out |= self.add_link(account, kind, value)
        return out

    def component_of(self, account: str) -> int | None:
        """The root of the account's component (None for an account never seen with a value)."""
        a = self._accounts.get(account.strip())
        return None if a is None else self._find(a)

    def component_size(self, account: str) -> int:
        """Accounts in the account's component (0 if unknown), in O(α)."""
        a = self._accounts.get(account.strip())
        return 0 if a is None else self._naccounts[self._find(a)]

    def members_of(self, root: int) -> list[str]:
        """The accounts of the component with this root, sorted (O(component))."""
        return sorted(self._name[x] for x in self._walk(root) if self._kind[x] == ACCOUNT)

    def _ring_of(self, comp: list[int]) -> Ring:
        members: list[str] = []
        evidence: list[Evidence] = []
        hubs: set[Hub] = set()
        for x in comp:
            k = self._kind[x]
            if k == ACCOUNT:
                members.append(self._name[x])
                hubs.update(Hub(KINDS[self._kind[y]], self._name[y], d) for y in self._adj[x]
                            if (d := self._hub_degree.get(y)) is not None)
            elif k >= 0 and len(self._adj[x]) > 1:
                evidence.append(Evidence(KINDS[k], self._name[x], tuple(sorted(self._name[y] for y in self._adj[x]))))
        return score_component(members, evidence, hubs, self.params)

    def ring_for(self, account: str) -> Ring | None:
        """The scored component of ``account``; None if the account is unknown or linked to nobody."""
        a = self._accounts.get(account.strip())
        if a is None:
            return None
        n = self._naccounts[self._find(a)]
        if n < 2:
            return None
        if n > self.params.max_size:
            return _oversized(n)
        return self._ring_of(self._walk(a))

    def rings(self, include_all: bool = False) -> list[Ring]:
        """The rings (every component of two or more accounts with ``include_all``), highest score first."""
        p = self.params
        lo, hi = (2, len(self._name)) if include_all else (p.min_size, p.max_size)
        groups: dict[int, list[int]] = {}
        for x in range(len(self._name)):
            if self._kind[x] == GHOST:
                continue
            r = self._find(x)
            if lo <= self._naccounts[r] <= hi:
                groups.setdefault(r, []).append(x)
        out = []
        for r, comp in groups.items():
            if self._naccounts[r] > p.max_size:
                out.append(_oversized(self._naccounts[r]))
                continue
            ring = self._ring_of(comp)
            if include_all or ring.is_ring:
                out.append(ring)
        out.sort(key=lambda g: (-g.score, -g.size, g.component))
        return out

    def components(self) -> list[list[str]]:
        """Every component's accounts (singletons too), each sorted, sorted by first account."""
        groups: dict[int, list[str]] = {}
        for x in range(len(self._name)):
            if self._kind[x] == ACCOUNT:
                groups.setdefault(self._find(x), []).append(self._name[x])
        return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])

    def hubs(self) -> list[Hub]:
        """The hub values, most shared first."""
        return sorted((Hub(KINDS[self._kind[v]], self._name[v], d) for v, d in self._hub_degree.items()),
                      key=lambda h: (-h.degree, KIND_INDEX[h.kind], h.value))

    @property
    def n_accounts(self) -> int:
        return len(self._accounts)


def build_batch(links: Iterable[Link], params: RingParams | None = None) -> RingGraph:
    """A ``RingGraph`` of ``links`` built in one pass: record every link, make the hubs, label the components with
    ``components_from_edges``. Same components, rings and hubs as ``add_link`` one by one, in any order."""
    g = RingGraph(params)
    with _bulk():
        for account, kind, value in links:
            ids = g._intern(account, kind, value)
            if ids is not None:
                g._record(*ids)
    src: list[int] = []
    dst: list[int] = []
    for v, members in enumerate(g._adj):
        if g._kind[v] == ACCOUNT:
            continue
        if len(members) > g.params.max_value_degree:
            g._hub_degree[v] = len(members)
            g._adj[v] = []
        else:
            src.extend(members)
            dst.extend([v] * len(members))
    n = len(g._name)
    labels = components_from_edges(np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), n)
    is_account = np.array(g._kind, dtype=np.int64) == ACCOUNT
    g._parent = labels.tolist()  # every label is its component's root (its smallest node): a flat forest
    g._nodes = np.bincount(labels, minlength=n).tolist()
    g._naccounts = np.bincount(labels, weights=is_account, minlength=n).astype(np.int64).tolist()
    return g


# --- batch ---------------------------------------------------------------------------------------------------------


def components_from_edges(src: npt.ArrayLike, dst: npt.ArrayLike, n_nodes: int) -> npt.NDArray[np.integer]:
    """Connected components of an undirected edge list over nodes ``0 .. n_nodes - 1``: one label per node, the
    smallest node of its component. Exact; self-loops and repeated edges are harmless.

    Each round hooks every root that has an edge to another tree onto the smallest root it touches (a scatter-min,
    so pointers only ever go to smaller ids: no cycles), jumps the hooked roots' pointers to their new roots,
    replaces every edge by the edge between its endpoints' roots and drops those now inside one tree. The smallest
    node of a component can never be hooked, so it ends as the root. A root that is not a local minimum of its
    neighbourhood is hooked in every round, so the edges shrink fast; rounds are few in practice (about log n)."""
    s = np.asarray(src)
    d = np.asarray(dst)
    if s.shape != d.shape or s.ndim != 1:
        raise ValueError(f"src and dst must be 1-d and of one length, got {s.shape} and {d.shape}")
    if n_nodes < 0:
        raise ValueError(f"n_nodes must be ≥ 0, got {n_nodes}")
    dtype = np.dtype(np.int32 if n_nodes <= np.iinfo(np.int32).max else np.int64)  # int32 halves the traffic
    parent: npt.NDArray[np.integer] = np.arange(n_nodes, dtype=dtype)
    if s.size == 0:
        return parent
    if not (np.issubdtype(s.dtype, np.integer) and np.issubdtype(d.dtype, np.integer)):
        raise ValueError("src and dst must be integer arrays")
    if min(int(s.min()), int(d.min())) < 0 or max(int(s.max()), int(d.max())) >= n_nodes:
        raise ValueError(f"edge endpoints must be in 0 .. {n_nodes - 1}")
    u = s.astype(dtype)
    v = d.astype(dtype)
    keep = u != v
    u, v = u[keep], v[keep]
    hooked = np.zeros(n_nodes, dtype=bool)
    while u.size:
        hi = np.maximum(u, v)
        lo = np.minimum(u, v)
        np.minimum.at(parent, hi, lo)
        hooked[hi] = True
        h = np.flatnonzero(hooked).astype(dtype)  # sorted and unique: better locality than hi itself
        hooked[h] = False
        del hi, lo
        # Chains of hooked roots lie inside h: jump them until each points at a root.
        while True:
            ph = parent[h]
            pph = parent[ph]
            if np.array_equal(ph, pph):
                break
            parent[h] = pph
        u = parent[u]  # u and v were roots: one step reaches the new roots
        v = parent[v]
        keep = u != v
        u, v = u[keep], v[keep]
    # A node hooked in an earlier round may sit below later hooks: at most one level per round.
    while True:
        pp = parent[parent]
        if np.array_equal(pp, parent):
            return parent
        parent = pp


def _unique(x: IntArray) -> IntArray:
    """Sorted distinct values. ``np.unique`` hashes 1-d integers since NumPy 2.3, several times slower here."""
    x = np.sort(x)
    keep = np.ones(len(x), dtype=bool)
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


@dataclass(frozen=True)
class BatchRings:
    """``detect_rings``'s answer: per account its component's label (smallest account index), per value its degree
    (distinct accounts) and whether it is a hub, and the rings (highest score first)."""

    labels: npt.NDArray[np.integer]
    degree: IntArray
    hub: npt.NDArray[np.bool_]
    rings: list[Ring]
    links: int  # distinct links after dropping missing values


def detect_rings(account: npt.ArrayLike, value: npt.ArrayLike, value_kind: npt.ArrayLike,
                 account_names: Sequence[str], value_names: Sequence[str],
                 params: RingParams | None = None) -> BatchRings:
    """Ring detection over integer-coded links: link ``i`` joins account ``account[i]`` (an index into
    ``account_names``) to value ``value[i]`` (into ``value_names``; negative = missing), whose kind is
    ``KINDS[value_kind[value]]``. Only components that pass the size and strong-kind filters are scored in Python;
    the rest is numpy. The rings equal ``build_batch(...).rings()`` on the same links spelled out."""
    p = params or RingParams()
    n_acc, n_val = len(account_names), len(value_names)
    a = np.asarray(account, dtype=np.int64)
    v = np.asarray(value, dtype=np.int64)
    vk = np.asarray(value_kind, dtype=np.int64)
    if a.shape != v.shape or a.ndim != 1 or vk.shape != (n_val,):
        raise ValueError("account and value must be 1-d of one length, value_kind one kind per value")
    if a.size and (a.min() < 0 or a.max() >= n_acc or v.max() >= n_val):
        raise ValueError("account or value index out of range")
    if n_val and (vk.min() < 0 or vk.max() >= len(KINDS)):
        raise ValueError("value_kind out of range")
    ok = v >= 0
    key = _unique(a[ok] * max(n_val, 1) + v[ok])  # one link per (account, value)
    del ok
    a, v = np.divmod(key, max(n_val, 1))
    del key
    degree = np.bincount(v, minlength=n_val).astype(np.int64)
    hub = degree > p.max_value_degree
    keep = ~hub[v]
    labels = components_from_edges(a[keep], v[keep] + n_acc, n_acc + n_val)[:n_acc]
    size = np.bincount(labels, minlength=n_acc)
    # Distinct strong kinds per component, over the values that link two or more of its accounts: an upper bound
    # of joint_strong_kinds, so the filter keeps every component that can be a ring.
    strong = np.array(p.strong(), dtype=bool)
    sk = keep & (degree[v] >= 2) & strong[vk[v]]
    pairs = _unique(labels[a[sk]].astype(np.int64) * len(KINDS) + vk[v[sk]])
    n_strong = np.bincount(pairs // len(KINDS), minlength=n_acc)
    cand = (size >= p.min_size) & (size <= p.max_size) & (n_strong >= p.min_strong_kinds)
    rings: list[Ring] = []
    if cand.any():
        in_cand = cand[labels[a]]  # every link of a candidate's accounts, hub links too (reported)
        ca, cv = a[in_cand], v[in_cand]
        order = np.argsort(labels[ca], kind="stable")
        ca, cv = ca[order], cv[order]
        cuts = [0, *(np.flatnonzero(np.diff(labels[ca])) + 1).tolist(), len(ca)]
        acc_l, val_l = ca.tolist(), cv.tolist()
        kind_l, hub_l, deg_l = vk[cv].tolist(), hub[cv].tolist(), degree[cv].tolist()
        for lo, hi in pairwise(cuts):
            names: dict[int, str] = {}
            by_value: dict[int, list[str]] = {}
            kind_of: dict[int, int] = {}
            hubs: set[Hub] = set()
            for t in range(lo, hi):
                ai, vi = acc_l[t], val_l[t]
                name = names.get(ai)
                if name is None:
                    name = names[ai] = account_names[ai]
                if hub_l[t]:
                    hubs.add(Hub(KINDS[kind_l[t]], value_names[vi], deg_l[t]))
                elif deg_l[t] >= 2:
                    if vi not in by_value:
                        by_value[vi] = []
                        kind_of[vi] = kind_l[t]
                    by_value[vi].append(name)
            evidence = [Evidence(KINDS[kind_of[vi]], value_names[vi], tuple(sorted(accs)))
                        for vi, accs in by_value.items()]
            ring = score_component(names.values(), evidence, hubs, p)
            if ring.is_ring:
                rings.append(ring)
    rings.sort(key=lambda g: (-g.score, -g.size, g.component))
    return BatchRings(labels, degree, hub, rings, int(a.size))
