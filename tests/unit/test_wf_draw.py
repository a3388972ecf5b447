"""The lucky-bag draw: commit-reveal, determinism, chances k/n at the edges, and fairness by chi-square (a test that
a biased shuffle fails the same check, so the check can fail)."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction

import pytest
from scipy.stats import chi2

from anxin.worryfree import draw as d

ALPHA = 0.001  # the fairness checks reject at p < 0.001; the seeds are fixed, so the outcome is reproducible


def seed_of(i: int) -> str:
    return hashlib.sha256(f"seed-{i}".encode()).hexdigest()


def run(i: int, entrants: list[str], prizes: list[tuple[str, int]], bag: str = "bag_1") -> d.DrawResult:
    s = seed_of(i)
    return d.draw(bag_id=bag, seed=s, committed_hash=d.seed_hash(s), entrant_ids=entrants, prizes=prizes)


ENTRANTS = [f"c{i:02d}" for i in range(10)]


def test_commitment_is_sha256_of_the_seed_bytes() -> None:
    s = seed_of(1)
    assert d.seed_hash(s) == hashlib.sha256(bytes.fromhex(s)).hexdigest()
    assert d.entrants_digest(["b", "a"]) == hashlib.sha256(b"a\nb").hexdigest()


def test_same_inputs_same_result_and_order_of_entry_does_not_matter() -> None:
    a = run(3, ENTRANTS, [("l1", 2), ("l2", 1)])
    b = run(3, list(reversed(ENTRANTS)), [("l1", 2), ("l2", 1)])
    assert a == b
    assert [w.listing_id for w in a.winners] == ["l1", "l1", "l2"]
    assert [w.unit_no for w in a.winners] == [1, 2, 1]
    assert d.verify(a, entrant_ids=ENTRANTS, prizes=[("l1", 2), ("l2", 1)])


def test_another_bag_or_entrant_set_gives_another_permutation() -> None:
    a = run(3, ENTRANTS, [("l1", 3)])
    assert run(3, ENTRANTS, [("l1", 3)], bag="bag_2").chances != a.chances
    assert run(3, [*ENTRANTS, "c99"], [("l1", 3)]).entrants_digest != a.entrants_digest


def test_verify_fails_when_anything_published_is_changed() -> None:
    r = run(4, ENTRANTS, [("l1", 3)])
    assert not d.verify(r, entrant_ids=ENTRANTS[:-1], prizes=[("l1", 3)])
    assert not d.verify(r, entrant_ids=ENTRANTS, prizes=[("l1", 2)])
    forged = d.DrawResult(**{**r.__dict__, "seed": seed_of(5)})
    assert not d.verify(forged, entrant_ids=ENTRANTS, prizes=[("l1", 3)])


@pytest.mark.parametrize(("seed", "hash_of", "entrants", "prizes", "message"), [
    (seed_of(1), seed_of(2), ["a"], [("l", 1)], "does not match"),
    ("ab" * 31, None, ["a"], [("l", 1)], "32 bytes"),
    (seed_of(1), None, ["a", "a"], [("l", 1)], "unique"),
    (seed_of(1), None, ["a"], [("l", 0)], "at least 1"),
])
def test_bad_inputs_are_refused(seed: str, hash_of: str | None, entrants: list[str], prizes: list[tuple[str, int]],
                                message: str) -> None:
    committed = d.seed_hash(hash_of) if hash_of else (d.seed_hash(seed) if len(seed) == 64 else "x")
    with pytest.raises(d.DrawInputError, match=message):
        d.draw(bag_id="b", seed=seed, committed_hash=committed, entrant_ids=entrants, prizes=prizes)


@pytest.mark.parametrize(("n", "units", "k", "undrawn"), [
    (0, 3, 0, [("l1", 3)]),   # nobody entered: every unit stays
    (1, 3, 1, [("l1", 2)]),
    (2, 3, 2, [("l1", 1)]),
    (3, 3, 3, []),             # exactly as many entrants as units
    (4, 3, 3, []),             # one more entrant than units: 3/4 each
    (100, 3, 3, []),
])
def test_chances_are_k_of_n_at_the_edges(n: int, units: int, k: int, undrawn: list[tuple[str, int]]) -> None:
    entrants = [f"c{i:03d}" for i in range(n)]
    r = run(7, entrants, [("l1", units)])
    assert len(r.winners) == k and r.prize_units == units and r.entrants == n
    assert list(r.undrawn) == undrawn
    assert {c.value for c in r.chances} <= {Fraction(k, n) if n else Fraction(0)}
    assert sorted(c.entrant_id for c in r.chances) == entrants
    assert [c.position for c in r.chances] == list(range(1, n + 1))
    assert [w.entrant_id for w in r.winners] == [c.entrant_id for c in r.chances[:k]]


def test_below_rejects_words_past_the_last_whole_multiple() -> None:
    top = (1 << 64) - 1  # 2^64 - 1 is past the largest multiple of 10 below 2^64: it is skipped
    words: Iterator[int] = iter([top, 13])
    assert d._below(words, 10) == 3


# --- fairness ----------------------------------------------------------------------------------------------------

def win_counts(draws: int, entrants: list[str], k: int) -> Counter[str]:
    wins: Counter[str] = Counter()
    for i in range(draws):
        wins.update(w.entrant_id for w in run(i, entrants, [("l1", k)]).winners)
    return wins


def test_each_entrant_wins_k_of_n_of_the_draws_chi_square() -> None:
    draws, k = 3000, 3
    wins = win_counts(draws, ENTRANTS, k)
    stat = d.chi_square_wins([wins[e] for e in ENTRANTS], draws, k)
    assert stat < chi2.ppf(1 - ALPHA, len(ENTRANTS) - 1), (stat, wins)


def perm_counts(shuffle: object, draws: int, n: int) -> list[int]:
    counts: Counter[tuple[int, ...]] = Counter()
    for i in range(draws):
        key = hashlib.sha256(f"k{i}".encode()).digest()
        counts[tuple(shuffle(key, n))] += 1  # type: ignore[operator]
    return [counts[p] for p in itertools.permutations(range(n))]


def naive_shuffle(key: bytes, n: int) -> list[int]:
    """The classic mistake: swap every place with any place (n^n paths onto n! orders, not evenly)."""
    order, words = list(range(n)), d._stream(key)
    for i in range(n):
        j = d._below(words, n)
        order[i], order[j] = order[j], order[i]
    return order


def test_every_permutation_is_equally_likely_chi_square() -> None:
    n, draws = 4, 24 * 250
    stat = d.chi_square(perm_counts(d.permutation, draws, n), draws / 24)
    assert stat < chi2.ppf(1 - ALPHA, 23), stat


def test_the_check_rejects_a_biased_shuffle() -> None:
    n, draws = 4, 24 * 250
    stat = d.chi_square(perm_counts(naive_shuffle, draws, n), draws / 24)
    assert stat > chi2.ppf(1 - ALPHA, 23), stat


def test_the_check_rejects_a_draw_that_favours_one_entrant() -> None:
    draws, k = 3000, 3
    wins = win_counts(draws, ENTRANTS, k)
    wins["c00"] += draws // 30  # c00 wins one draw in 30 more often than it should (and c09 less)
    wins["c09"] -= draws // 30
    stat = d.chi_square_wins([wins[e] for e in ENTRANTS], draws, k)
    assert stat > chi2.ppf(1 - ALPHA, len(ENTRANTS) - 1), stat


def test_the_wins_statistic_is_scaled_for_distinct_winners() -> None:
    # 10 entrants, 3 winners a draw: Pearson's sum is 0.7 · 10/9 of a chi-square(9)
    assert d.chi_square_wins([6000] * 10, 20_000, 3) == 0
    assert d.chi_square_wins([6070, 5930, *[6000] * 8], 20_000, 3) == pytest.approx(
        d.chi_square([6070, 5930, *[6000] * 8], 6000) / (0.7 * 10 / 9))
