"""Pure statistics for bench/score_validity.py: ranks, Spearman, AUC, the decile label, bootstrap intervals.

No scipy: each is a few lines of numpy, tested against hand-computed values in
tests/unit/test_score_validity_stats.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def average_ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks 1..n; tied values share the mean of the ranks they span (as scipy.stats.rankdata 'average')."""
    x = np.asarray(values, dtype=float)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=float)
    sorted_x = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sorted_x[j + 1] == sorted_x[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) != len(b):
        raise ValueError("x and y differ in length")
    if len(a) < 2:
        return None
    a, b = a - a.mean(), b - b.mean()
    den = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return float((a * b).sum()) / den if den > 0 else None


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho: Pearson's r of the average ranks (None when either side is constant or n < 2)."""
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    return pearson(average_ranks(x), average_ranks(y)) if len(x) >= 2 else None


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """P(score of a random positive > score of a random negative), ties counting one half (Mann–Whitney U over
    n_pos · n_neg). Higher score = predicted more likely positive; None without positives or negatives."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    if len(s) != len(y):
        raise ValueError("scores and labels differ in length")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    r = average_ranks(s)
    u = float(r[y].sum()) - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def top_decile_labels(values: Sequence[float], share: float = 0.1) -> list[bool]:
    """True for the ceil(share · n) highest values and every value tied with the last of them (ties at the cut
    are all positive, so there can be more than ceil(share · n) positives). When the cut falls on the lowest
    value (it would label everyone), only the values strictly above it are positive."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return []
    k = max(1, math.ceil(share * len(x) - 1e-9))
    cut = float(np.sort(x)[::-1][k - 1])
    if cut <= float(x.min()):
        return [bool(v > cut) for v in x]
    return [bool(v >= cut) for v in x]


def bootstrap_ci(stat: Callable[[np.ndarray], float | None], n: int, *, resamples: int = 2000, seed: int = 0,
                 level: float = 0.95) -> tuple[float | None, float | None, int]:
    """Percentile interval of ``stat(indices)`` over ``resamples`` draws of n indices with replacement.

    ``stat`` receives an index array into the caller's data and may return None (a draw with no positives, or a
    constant side); such draws are skipped. Returns (low, high, draws used)."""
    rng = np.random.default_rng(seed)
    out: list[float] = []
    for _ in range(resamples):
        v = stat(rng.integers(0, n, size=n))
        if v is not None and not math.isnan(v):
            out.append(v)
    if not out:
        return None, None, 0
    alpha = (1 - level) / 2
    lo, hi = np.quantile(np.asarray(out), [alpha, 1 - alpha])
    return float(lo), float(hi), len(out)


def paired_bootstrap_ci(stat_a: Callable[[np.ndarray], float | None], stat_b: Callable[[np.ndarray], float | None],
                        n: int, **kwargs: Any) -> tuple[float | None, float | None, int]:
    """Interval of stat_a − stat_b on the same resampled indices (a paired comparison)."""
    def diff(idx: np.ndarray) -> float | None:
        a, b = stat_a(idx), stat_b(idx)
        return None if a is None or b is None else a - b
    return bootstrap_ci(diff, n, **kwargs)
