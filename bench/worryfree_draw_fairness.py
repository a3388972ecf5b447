"""The lucky-bag draw's fairness (无忧福袋, issue 18): a report, not a timed test. Run from the repository root::

    PYTHONPATH=src python -m bench.worryfree_draw_fairness                  # 20 000 draws, 10 entrants, 3 prizes
    PYTHONPATH=src python -m bench.worryfree_draw_fairness --draws 100000 --entrants 20 --units 5

Every draw is ``anxin.worryfree.draw.draw`` with its own server seed (``sha256("bench-<i>")``), so the run is
reproducible. It reports Pearson's chi-square with its p-value for:

1. **wins per entrant**: how often each of ``n`` entrants is among the ``k`` winners (expected ``draws·k/n`` each;
   Pearson's sum scaled by (1 − k/n)·n/(n − 1) because one draw's winners are distinct, then ``n − 1`` degrees of
   freedom; the raw sum is shown too);
2. **place of one entrant**: where the first entrant (sorted) lands in the permutation, over its ``n`` places;
3. **whole permutations** of 4 entrants: each of the 24 orders (23 degrees of freedom);
4. the same test on **a biased shuffle** (swap every place with any place, the classic mistake) as the control that
   shows the test can reject: its p-value should be tiny;
5. the time of one draw with 1 000 and with 100 000 entrants.

Printed as JSON and written to ``bench/results/worryfree-draw-fairness-<timestamp>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from scipy.stats import chi2

from anxin.worryfree import draw as d


def seed(i: int) -> str:
    return hashlib.sha256(f"bench-{i}".encode()).hexdigest()


def test_of(counts: list[int], expected: float) -> dict[str, float]:
    stat = d.chi_square(counts, expected)
    df = len(counts) - 1
    return {"chi_square": round(stat, 3), "df": df, "p_value": float(chi2.sf(stat, df)),
            "critical_0.001": round(float(chi2.ppf(0.999, df)), 3), "min": min(counts), "max": max(counts),
            "expected": round(expected, 3)}


def wins_test(counts: list[int], draws: int, k: int) -> dict[str, float]:
    """Pearson's sum scaled for distinct winners per draw (``draw.chi_square_wins``): chi-square(n − 1) if fair."""
    out = test_of(counts, draws * k / len(counts))
    stat = d.chi_square_wins(counts, draws, k)
    df = len(counts) - 1
    return {**out, "chi_square_raw": out["chi_square"], "chi_square": round(stat, 3),
            "p_value": float(chi2.sf(stat, df))}


def naive_shuffle(key: bytes, n: int) -> list[int]:
    order, words = list(range(n)), d._stream(key)
    for i in range(n):
        j = d._below(words, n)
        order[i], order[j] = order[j], order[i]
    return order


def permutations_test(shuffle: Callable[[bytes, int], list[int]], draws: int) -> dict[str, float]:
    counts: Counter[tuple[int, ...]] = Counter()
    for i in range(draws):
        counts[tuple(shuffle(hashlib.sha256(f"perm-{i}".encode()).digest(), 4))] += 1
    return test_of([counts[p] for p in itertools.permutations(range(4))], draws / 24)


def timed(n: int) -> float:
    ids = [f"c{i:06d}" for i in range(n)]
    s = seed(0)
    start = time.perf_counter()
    d.draw(bag_id="bag_bench", seed=s, committed_hash=d.seed_hash(s), entrant_ids=ids, prizes=[("l1", 10)])
    return round((time.perf_counter() - start) * 1000, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=20_000)
    ap.add_argument("--entrants", type=int, default=10)
    ap.add_argument("--units", type=int, default=3)
    args = ap.parse_args()
    n, k, draws = args.entrants, args.units, args.draws
    entrants = [f"c{i:03d}" for i in range(n)]
    wins: Counter[str] = Counter()
    places: Counter[int] = Counter()
    started = time.perf_counter()
    for i in range(draws):
        s = seed(i)
        r = d.draw(bag_id="bag_bench", seed=s, committed_hash=d.seed_hash(s), entrant_ids=entrants,
                   prizes=[("l1", k)])
        wins.update(w.entrant_id for w in r.winners)
        places[next(c.position for c in r.chances if c.entrant_id == entrants[0])] += 1
    elapsed = time.perf_counter() - started
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=False).stdout.strip()
    except OSError:
        commit = ""
    out = {
        "command": f"PYTHONPATH=src python -m bench.worryfree_draw_fairness --draws {draws} --entrants {n} "
                   f"--units {k}",
        "commit": commit, "draws": draws, "entrants": n, "units": k, "algorithm": d.ALGORITHM,
        "chance_each": f"{min(k, n)}/{n}",
        "wins_per_entrant": wins_test([wins[e] for e in entrants], draws, min(k, n)),
        "place_of_one_entrant": test_of([places[p] for p in range(1, n + 1)], draws / n),
        "permutations_of_4": permutations_test(d.permutation, 24 * 1000),
        "biased_shuffle_control": permutations_test(naive_shuffle, 24 * 1000),
        "draws_per_second": round(draws / elapsed),
        "ms_per_draw": {"1000_entrants": timed(1_000), "100000_entrants": timed(100_000)},
    }
    text = json.dumps(out, indent=2, ensure_ascii=False)
    print(text)
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"worryfree-draw-fairness-{stamp}.json").write_text(text + os.linesep, encoding="utf-8")


if __name__ == "__main__":
    main()
