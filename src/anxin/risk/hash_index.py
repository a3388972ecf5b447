"""Near-duplicate search over 64-bit perceptual hashes: multi-index hashing (Norouzi et al.), in numpy.

Split each hash into ``m`` disjoint chunks. Two hashes within ``r`` bits have (pigeonhole) at least one chunk
within ``r // m`` bits: look up, in each chunk's table, every key within ``r // m`` bits of the query's chunk,
then check the full distance of those candidates only. Exact (never misses a match within the radius); with
16-bit chunks a bucket holds about n / 65 536 hashes, so a query reads a few hundred candidates, not n.

Each chunk's table is a sorted key array plus the positions it came from, so a lookup is one vectorised
``searchsorted`` for all the flipped keys at once, and the distance check is one ``bitwise_count``. New hashes
wait in a small unsorted tail (checked by brute force) and are merged into the tables in batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt

from anxin.risk.phash import HASH_BITS

TAIL = 2048  # hashes checked by brute force before they are merged into the sorted tables


@dataclass(frozen=True)
class Match:
    item_id: str
    distance: int


class HammingIndex:
    def __init__(self, radius: int = 6, chunks: int = 4) -> None:
        if not 0 <= radius < HASH_BITS:
            raise ValueError(f"radius must be 0..{HASH_BITS - 1}, got {radius}")
        if HASH_BITS % chunks or not 1 <= chunks <= radius + 1:
            chunks = next(c for c in (4, 2, 1) if c <= radius + 1)
        self.radius = radius
        self._width = HASH_BITS // chunks
        self._starts = [i * self._width for i in range(chunks)]
        self._ids: list[str] = []
        self._hashes: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)  # merged into the tables
        self._keys: list[npt.NDArray[np.uint64]] = [np.empty(0, dtype=np.uint64) for _ in self._starts]
        self._pos: list[npt.NDArray[np.int64]] = [np.empty(0, dtype=np.int64) for _ in self._starts]
        self._tail: list[int] = []

    def __len__(self) -> int:
        return len(self._ids)

    def _chunk(self, values: npt.NDArray[np.uint64], start: int) -> npt.NDArray[np.uint64]:
        return (values >> np.uint64(start)) & np.uint64((1 << self._width) - 1)

    def add(self, item_id: str, h: int) -> None:
        if not 0 <= h < 1 << HASH_BITS:
            raise ValueError(f"not a {HASH_BITS}-bit hash: {h}")
        self._ids.append(item_id)
        self._tail.append(h)
        if len(self._tail) >= TAIL:
            self._merge()

    def add_many(self, items: Iterable[tuple[str, int]]) -> None:
        for item_id, h in items:
            if not 0 <= h < 1 << HASH_BITS:
                raise ValueError(f"not a {HASH_BITS}-bit hash: {h}")
            self._ids.append(item_id)
            self._tail.append(h)
        if len(self._tail) >= TAIL:
            self._merge()

    def _merge(self) -> None:
        """Move the tail into the sorted tables: a full sort when the tail is large, else a sorted insert."""
        new = np.array(self._tail, dtype=np.uint64)
        first = len(self._hashes)
        positions = np.arange(first, first + len(new), dtype=np.int64)
        rebuild = len(new) * 8 >= first
        self._hashes = np.concatenate([self._hashes, new])
        for t, start in enumerate(self._starts):
            if rebuild:
                keys = self._chunk(self._hashes, start)
                order = np.argsort(keys, kind="stable")
                self._keys[t], self._pos[t] = keys[order], order.astype(np.int64)
            else:
                keys = self._chunk(new, start)
                order = np.argsort(keys, kind="stable")
                at = np.searchsorted(self._keys[t], keys[order], side="right")
                self._keys[t] = np.insert(self._keys[t], at, keys[order])
                self._pos[t] = np.insert(self._pos[t], at, positions[order])
        self._tail = []

    def query(self, h: int, radius: int | None = None) -> list[Match]:
        """Every indexed hash within ``radius`` (at most the index's) bits, nearest first, then by id."""
        r = self.radius if radius is None else radius
        if not 0 <= r <= self.radius:
            raise ValueError(f"radius must be 0..{self.radius} for this index, got {r}")
        q = np.uint64(h)
        flips = _flips(self._width, r // len(self._starts))
        found: list[npt.NDArray[np.int64]] = []
        if len(self._hashes):
            for t, start in enumerate(self._starts):
                keys = np.uint64((h >> start) & ((1 << self._width) - 1)) ^ flips
                lo = np.searchsorted(self._keys[t], keys, side="left")
                hi = np.searchsorted(self._keys[t], keys, side="right")
                hit = hi > lo
                if hit.any():
                    found += [self._pos[t][a:b] for a, b in zip(lo[hit].tolist(), hi[hit].tolist(), strict=True)]
        out: list[Match] = []
        if found:
            cand = np.unique(np.concatenate(found))
            dist = np.bitwise_count(self._hashes[cand] ^ q)
            near = dist <= r
            out += [Match(self._ids[i], d) for i, d in zip(cand[near].tolist(), dist[near].tolist(), strict=True)]
        if self._tail:
            dist = np.bitwise_count(np.array(self._tail, dtype=np.uint64) ^ q)
            base = len(self._hashes)
            out += [Match(self._ids[base + i], int(dist[i])) for i in np.flatnonzero(dist <= r).tolist()]
        out.sort(key=lambda m: (m.distance, m.item_id))
        return out


_FLIPS: dict[tuple[int, int], npt.NDArray[np.uint64]] = {}


def _flips(width: int, radius: int) -> npt.NDArray[np.uint64]:
    """Every mask of at most ``radius`` set bits within ``width`` bits (0 first)."""
    key = (width, radius)
    if key not in _FLIPS:
        masks = [0]
        for k in range(1, radius + 1):
            masks += [sum(1 << b for b in bits) for bits in combinations(range(width), k)]
        _FLIPS[key] = np.array(masks, dtype=np.uint64)
    return _FLIPS[key]
