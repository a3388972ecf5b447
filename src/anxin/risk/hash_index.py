"""Near-duplicate search over 64-bit perceptual hashes: multi-index hashing (Norouzi et al.).

Split each hash into ``m`` disjoint 16-bit chunks. Two hashes within ``r`` bits have (pigeonhole) at least one
chunk within ``r // m`` bits: look up, in each chunk's table, every key within ``r // m`` bits of the query's
chunk, then check the full distance of those candidates only. Exact (never misses a match within the radius);
with 16-bit chunks a bucket holds about n / 65 536 hashes, so a query reads a few hundred candidates, not n.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from anxin.risk.phash import HASH_BITS


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
        width = HASH_BITS // chunks
        self._spans: list[tuple[int, int]] = [(i * width, width) for i in range(chunks)]
        self._tables: list[dict[int, list[int]]] = [defaultdict(list) for _ in self._spans]
        self._ids: list[str] = []
        self._hashes: list[int] = []

    def __len__(self) -> int:
        return len(self._ids)

    def _keys(self, h: int) -> list[int]:
        return [(h >> start) & ((1 << width) - 1) for start, width in self._spans]

    def add(self, item_id: str, h: int) -> None:
        if not 0 <= h < 1 << HASH_BITS:
            raise ValueError(f"not a {HASH_BITS}-bit hash: {h}")
        n = len(self._ids)
        self._ids.append(item_id)
        self._hashes.append(h)
        for table, key in zip(self._tables, self._keys(h), strict=True):
            table[key].append(n)

    def add_many(self, items: Iterable[tuple[str, int]]) -> None:
        for item_id, h in items:
            self.add(item_id, h)

    def query(self, h: int, radius: int | None = None) -> list[Match]:
        """Every indexed hash within ``radius`` (at most the index's) bits, nearest first, then by id."""
        r = self.radius if radius is None else radius
        if not 0 <= r <= self.radius:
            raise ValueError(f"radius must be 0..{self.radius} for this index, got {r}")
        seen: set[int] = set()
        out: list[Match] = []
        flips = _flips(self._spans[0][1], r // len(self._spans))
        hashes, ids = self._hashes, self._ids
        for table, key in zip(self._tables, self._keys(h), strict=True):
            for flip in flips:
                for n in table.get(key ^ flip, ()):
                    if n in seen:
                        continue
                    seen.add(n)
                    d = (hashes[n] ^ h).bit_count()
                    if d <= r:
                        out.append(Match(ids[n], d))
        out.sort(key=lambda m: (m.distance, m.item_id))
        return out


_FLIPS: dict[tuple[int, int], tuple[int, ...]] = {}


def _flips(width: int, radius: int) -> tuple[int, ...]:
    """Every mask of at most ``radius`` set bits within ``width`` bits (0 first)."""
    key = (width, radius)
    if key not in _FLIPS:
        masks = [0]
        for k in range(1, radius + 1):
            masks += [sum(1 << b for b in bits) for bits in combinations(range(width), k)]
        _FLIPS[key] = tuple(masks)
    return _FLIPS[key]
