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
        self._hashes: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)  # merged into the table
        # One sorted table for all chunks: key = chunk number << width | chunk value, so a query is a single
        # searchsorted over every flipped key of every chunk.
        self._keys: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._pos: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._tail: list[int] = []

    def __len__(self) -> int:
        return len(self._ids)

    def _table_keys(self, values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        mask = np.uint64((1 << self._width) - 1)
        return np.concatenate([((values >> np.uint64(start)) & mask) | np.uint64(t << self._width)
                               for t, start in enumerate(self._starts)])

    def add(self, item_id: str, h: int) -> None:
        self.add_many(((item_id, h),))

    def add_many(self, items: Iterable[tuple[str, int]]) -> None:
        for item_id, h in items:
            if not 0 <= h < 1 << HASH_BITS:
                raise ValueError(f"not a {HASH_BITS}-bit hash: {h}")
            self._ids.append(item_id)
            self._tail.append(h)
        if len(self._tail) >= TAIL:
            self._merge()

    def _merge(self) -> None:
        """Move the tail into the sorted table: a full sort when the tail is large, else a sorted insert."""
        new = np.array(self._tail, dtype=np.uint64)
        first = len(self._hashes)
        positions = np.tile(np.arange(first, first + len(new), dtype=np.int64), len(self._starts))
        self._hashes = np.concatenate([self._hashes, new])
        if len(new) * 8 >= first:
            keys = self._table_keys(self._hashes)
            order = np.argsort(keys, kind="stable")
            self._keys = keys[order]
            self._pos = np.tile(np.arange(len(self._hashes), dtype=np.int64), len(self._starts))[order]
        else:
            keys = self._table_keys(new)
            order = np.argsort(keys, kind="stable")
            at = np.searchsorted(self._keys, keys[order], side="right")
            self._keys = np.insert(self._keys, at, keys[order])
            self._pos = np.insert(self._pos, at, positions[order])
        self._tail = []

    def query(self, h: int, radius: int | None = None) -> list[Match]:
        """Every indexed hash within ``radius`` (at most the index's) bits, nearest first, then by id."""
        r = self.radius if radius is None else radius
        if not 0 <= r <= self.radius:
            raise ValueError(f"radius must be 0..{self.radius} for this index, got {r}")
        q = np.uint64(h)
        out: list[Match] = []
        if len(self._hashes):
            flips = _flips(self._width, r // len(self._starts))
            keys = (self._table_keys(np.array([h], dtype=np.uint64))[:, None] ^ flips[None, :]).ravel()
            lo = np.searchsorted(self._keys, keys, side="left")
            lens = np.searchsorted(self._keys, keys, side="right") - lo
            total = int(lens.sum())
            if total:
                # The positions of every matching run, gathered without a Python loop over the runs.
                offsets = np.repeat(lo - (np.cumsum(lens) - lens), lens) + np.arange(total)
                cand = self._pos[offsets]
                dist = np.bitwise_count(self._hashes[cand] ^ q)
                near = dist <= r
                # A hash near in several chunks is found once per chunk: dedupe the few that are near (sorting
                # every candidate to dedupe first costs more than the distances themselves).
                out += [Match(self._ids[i], d) for i, d in dict(zip(cand[near].tolist(), dist[near].tolist(),
                                                                     strict=True)).items()]
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
