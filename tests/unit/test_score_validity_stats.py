"""The statistics of bench/score_validity.py against hand-computed values (ties included)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bench.validity_stats import (
    auc,
    average_ranks,
    bootstrap_ci,
    paired_bootstrap_ci,
    pearson,
    spearman,
    top_decile_labels,
)


@pytest.mark.parametrize(("values", "expected"), [
    ([10, 20, 30], [1, 2, 3]),
    ([30, 10, 20], [3, 1, 2]),
    ([10, 20, 20, 30], [1, 2.5, 2.5, 4]),          # a tie shares ranks 2 and 3
    ([5, 5, 5], [2, 2, 2]),                         # all tied: the mean rank
    ([2.0, 1.0, 2.0, 1.0, 3.0], [3.5, 1.5, 3.5, 1.5, 5]),
    ([], []),
])
def test_average_ranks(values: list[float], expected: list[float]) -> None:
    assert average_ranks(values).tolist() == expected


@pytest.mark.parametrize(("x", "y", "expected"), [
    ([1, 2, 3], [10, 20, 30], 1.0),
    ([1, 2, 3], [30, 20, 10], -1.0),
    ([1, 2, 3, 4], [1, 3, 2, 4], 0.8),               # no ties: 1 - 6·Σd² / (n(n²-1)) = 1 - 12/60
    ([1, 2, 3, 4, 5], [5, 6, 7, 8, 7], 8 / math.sqrt(95)),  # y ranks 1, 2, 3.5, 5, 3.5 (a tie)
    ([1, 2, 3], [1, 4, 9], 1.0),                     # monotone, not linear
    ([1, 2, 3], [7, 7, 7], None),                    # a constant side has no correlation
    ([1], [2], None),
])
def test_spearman(x: list[float], y: list[float], expected: float | None) -> None:
    got = spearman(x, y)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_spearman_is_pearson_of_ranks_and_checks_lengths() -> None:
    assert pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(0.9933992677987828)
    with pytest.raises(ValueError):
        spearman([1, 2], [1, 2, 3])


@pytest.mark.parametrize(("scores", "labels", "expected"), [
    ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75),   # 3 of the 4 (positive, negative) pairs ordered right
    ([1, 2, 3, 4], [0, 0, 1, 1], 1.0),
    ([1, 2, 3, 4], [1, 1, 0, 0], 0.0),
    ([1, 1, 2], [1, 0, 0], 0.25),                   # tie with one negative: 0.5, below the other: 0
    ([3, 3, 3, 3], [1, 0, 1, 0], 0.5),              # all tied: a coin
    ([2, 1, 2, 3, 2], [1, 0, 0, 1, 0], (1 + 0.5 + 0.5 + 1 + 1 + 1) / 6),  # 2 pos × 3 neg, two ties at 2
    ([1, 2, 3], [0, 0, 0], None),                   # no positive
    ([1, 2, 3], [1, 1, 1], None),                   # no negative
])
def test_auc(scores: list[float], labels: list[int], expected: float | None) -> None:
    got = auc(scores, [bool(v) for v in labels])
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_auc_of_a_lower_is_worse_predictor_is_auc_of_its_negation() -> None:
    rating, bottom = [4.8, 4.1, 3.2, 4.5], [False, False, True, False]
    assert auc([-r for r in rating], bottom) == 1.0
    assert auc(rating, bottom) == 0.0


@pytest.mark.parametrize(("values", "expected"), [
    (list(range(10)), [False] * 9 + [True]),                     # ceil(10 %) of 10 = 1
    (list(range(11)), [False] * 9 + [True, True]),                # ceil(1.1) = 2
    (list(range(30)), [False] * 27 + [True] * 3),                 # 0.1 × 30 is 3.0000000000000004: still 3
    ([5, 5, 5, 1, 0, 0, 0, 0, 0, 0], [True] * 3 + [False] * 7),  # ties at the cut are all positive
    ([0.2, 0.1, 0.1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # k = 2, the cut 0.1 is tied
     [True, True, True] + [False] * 17),
    ([3] + [0] * 14, [True] + [False] * 14),                     # k = 2 but the cut is the minimum: only > 0
    ([0] * 10, [False] * 10),                                    # nobody stands out
    ([], []),
])
def test_top_decile_labels(values: list[float], expected: list[bool]) -> None:
    assert top_decile_labels(values) == expected


def test_bootstrap_ci_is_reproducible_and_skips_undefined_draws() -> None:
    data = np.array([0.0, 1.0] * 10)

    def mean(idx: np.ndarray) -> float:
        return float(data[idx].mean())

    a, b = bootstrap_ci(mean, len(data), resamples=500, seed=3), bootstrap_ci(mean, len(data), resamples=500, seed=3)
    assert a == b
    lo, hi, used = a
    assert used == 500 and lo is not None and hi is not None
    assert 0.2 < lo < 0.5 < hi < 0.8
    assert bootstrap_ci(lambda idx: 0.7, 5, resamples=50) == (0.7, 0.7, 50)
    assert bootstrap_ci(lambda idx: None, 5, resamples=50) == (None, None, 0)
    half: list[int] = []

    def sometimes(idx: np.ndarray) -> float | None:
        half.append(1)
        return None if len(half) % 2 else 1.0

    assert bootstrap_ci(sometimes, 5, resamples=40) == (1.0, 1.0, 20)


def test_paired_bootstrap_of_identical_statistics_is_zero() -> None:
    scores, labels = np.array([0.1, 0.4, 0.35, 0.8, 0.5, 0.2]), np.array([0, 0, 1, 1, 0, 1], dtype=bool)

    def stat(idx: np.ndarray) -> float | None:
        return auc(scores[idx], labels[idx])

    lo, hi, used = paired_bootstrap_ci(stat, stat, len(scores), resamples=200, seed=1)
    assert (lo, hi) == (0.0, 0.0) and 0 < used <= 200
