"""The lucky-bag draw: seeded, auditable, each entrant's chance recorded. Pure.

Commit-reveal: when a bag is created a random server seed is drawn and only its SHA-256 (``seed_hash``) is shown;
the seed itself is revealed with the result. Anyone can then check that

1. ``sha256(seed) == seed_hash`` (the seed was fixed before anyone entered);
2. ``entrants_digest`` is the SHA-256 of the eligible entrants' ids, sorted, one per line (nobody was added or left
   out after the fact);
3. the permutation below, computed from ``sha256(seed ‖ bag_id ‖ entrants_digest)``, puts the winners first.

The permutation is a Fisher–Yates shuffle over the sorted entrants driven by a SHA-256 counter stream with
rejection sampling (no modulo bias), so every ordering is equally likely and every entrant's chance of being among
the first ``k`` of ``n`` is exactly ``k / n``. Prize units are handed out in the bag's prize order (each listing
``quantity`` times): the permutation's i-th entrant gets the i-th unit. Units beyond the number of entrants stay
undrawn (their stock is released).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

ALGORITHM = "sha256-fisher-yates-v1"
SEED_BYTES = 32


def seed_hash(seed_hex: str) -> str:
    """The commitment shown at creation: SHA-256 of the seed's bytes, hex."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def entrants_digest(entrant_ids: Sequence[str]) -> str:
    """SHA-256 of the entrants' ids, sorted, joined by newlines (UTF-8), hex."""
    return hashlib.sha256("\n".join(sorted(entrant_ids)).encode()).hexdigest()


def draw_key(seed_hex: str, bag_id: str, digest: str) -> bytes:
    """sha256(seed bytes ‖ bag id (UTF-8) ‖ entrants digest (hex, ASCII)): the key of the permutation."""
    return hashlib.sha256(bytes.fromhex(seed_hex) + bag_id.encode() + digest.encode()).digest()


def _stream(key: bytes) -> Iterator[int]:
    """64-bit words of sha256(key ‖ counter) for counter 0, 1, 2 … (big-endian, 8-byte counter)."""
    counter = 0
    while True:
        block = hashlib.sha256(key + counter.to_bytes(8, "big")).digest()
        for i in range(0, 32, 8):
            yield int.from_bytes(block[i:i + 8], "big")
        counter += 1


def _below(words: Iterator[int], bound: int) -> int:
    """A uniform integer in [0, bound) by rejection: words at or above the largest multiple of bound are skipped."""
    limit = (1 << 64) - (1 << 64) % bound
    while True:
        w = next(words)
        if w < limit:
            return w % bound


def permutation(key: bytes, n: int) -> list[int]:
    """A uniformly random permutation of range(n), determined by ``key`` (Fisher–Yates, from the end)."""
    order = list(range(n))
    words = _stream(key)
    for i in range(n - 1, 0, -1):
        j = _below(words, i + 1)
        order[i], order[j] = order[j], order[i]
    return order


@dataclass(frozen=True)
class Chance:
    """One entrant's chance: ``numerator / denominator`` (k of n), the same for every eligible entrant."""

    entrant_id: str
    numerator: int
    denominator: int
    position: int  # 1-based place in the permutation; winners hold places 1..k

    @property
    def value(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)


@dataclass(frozen=True)
class Winner:
    entrant_id: str
    position: int  # 1-based
    listing_id: str
    unit_no: int  # 1-based unit of that listing among the bag's prizes


@dataclass(frozen=True)
class DrawResult:
    algorithm: str
    seed_hash: str
    seed: str
    bag_id: str
    entrants_digest: str
    key: str  # hex of draw_key
    entrants: int
    prize_units: int
    winners: tuple[Winner, ...]
    chances: tuple[Chance, ...]  # in permutation order
    undrawn: tuple[tuple[str, int], ...]  # (listing id, units) nobody won, in prize order

    def as_dict(self) -> dict[str, object]:
        return {"algorithm": self.algorithm, "seed_hash": self.seed_hash, "seed": self.seed, "bag_id": self.bag_id,
                "entrants_digest": self.entrants_digest, "key": self.key, "entrants": self.entrants,
                "prize_units": self.prize_units,
                "winners": [{"entrant_id": w.entrant_id, "position": w.position, "listing_id": w.listing_id,
                             "unit_no": w.unit_no} for w in self.winners],
                "chances": [{"entrant_id": c.entrant_id, "numerator": c.numerator, "denominator": c.denominator,
                             "position": c.position} for c in self.chances],
                "undrawn": [{"listing_id": lid, "units": u} for lid, u in self.undrawn]}


class DrawInputError(ValueError):
    pass


def units_of(prizes: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The prize units in order: (listing id, unit no) for each listing ``quantity`` times."""
    return [(lid, u) for lid, qty in prizes for u in range(1, qty + 1)]


def draw(*, bag_id: str, seed: str, committed_hash: str, entrant_ids: Sequence[str],
         prizes: Sequence[tuple[str, int]]) -> DrawResult:
    """The draw. ``seed`` must match ``committed_hash``; entrant ids must be unique; prizes are (listing, qty ≥ 1)."""
    if len(bytes.fromhex(seed)) != SEED_BYTES:
        raise DrawInputError(f"the seed must be {SEED_BYTES} bytes of hex")
    if seed_hash(seed) != committed_hash:
        raise DrawInputError("the seed does not match the committed hash")
    if len(set(entrant_ids)) != len(entrant_ids):
        raise DrawInputError("entrant ids must be unique")
    if any(qty < 1 for _, qty in prizes):
        raise DrawInputError("every prize needs a quantity of at least 1")
    ordered = sorted(entrant_ids)
    digest = entrants_digest(ordered)
    key = draw_key(seed, bag_id, digest)
    n, units = len(ordered), units_of(prizes)
    perm = [ordered[i] for i in permutation(key, n)]
    k = min(len(units), n)
    winners = tuple(Winner(perm[i], i + 1, units[i][0], units[i][1]) for i in range(k))
    chances = tuple(Chance(e, k, n, i + 1) for i, e in enumerate(perm))
    left: dict[str, int] = {}
    for lid, _ in units[k:]:
        left[lid] = left.get(lid, 0) + 1
    return DrawResult(ALGORITHM, committed_hash, seed, bag_id, digest, key.hex(), n, len(units), winners, chances,
                      tuple(left.items()))


def verify(result: DrawResult, *, entrant_ids: Sequence[str], prizes: Sequence[tuple[str, int]]) -> bool:
    """Recompute the draw from what was published; True when it gives the same winners and chances."""
    try:
        again = draw(bag_id=result.bag_id, seed=result.seed, committed_hash=result.seed_hash,
                     entrant_ids=entrant_ids, prizes=prizes)
    except DrawInputError:
        return False
    return again == result


def chi_square(counts: Sequence[int], expected: float) -> float:
    """Pearson's statistic of observed counts against one expected count per cell."""
    return sum((c - expected) ** 2 / expected for c in counts)


def chi_square_wins(counts: Sequence[int], draws: int, k: int) -> float:
    """The chi-square of wins per entrant over ``draws`` draws of ``k`` winners among ``n = len(counts)``, scaled so
    it follows chi-square with n − 1 degrees of freedom under fairness: the k winners of one draw are distinct, so
    the counts covary (−p(1−p)/(n−1) per draw) and Pearson's sum is (1 − p)·n/(n − 1) times a chi-square(n − 1)."""
    n = len(counts)
    p = k / n
    raw = chi_square(counts, draws * p)
    return raw / ((1 - p) * n / (n - 1))
