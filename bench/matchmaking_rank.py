"""How long matchmaking takes to judge and rank creators for one shop, and why creators are refused, on synthetic
facts (the pure policy, no database):

    PYTHONPATH=src .venv/bin/python -m bench.matchmaking_rank --creators 10000 --seed 7

Each creator sells in 1-6 of 60 categories (8 top-level ones), 1-30 orders each; scores are 3.00-5.00 in steps of
0.05 or missing; 0-3 of the week's slots are used. The shop lists 4 categories. Prints the mean time of
``matchmaking.propose`` over 5 runs and how many creators each rule refused (one creator may fail several).
"""

from __future__ import annotations

import argparse
import random
import time

from anxin.merchants import matchmaking as mm
from anxin.merchants.rulebook import load_merchant_rulebook

REFUSALS = ("match.too_few_sales", "match.fit_below", "match.score_below", "match.unscored", "match.no_capacity")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rules = load_merchant_rulebook().matchmaking
    rng = random.Random(args.seed)
    cats = [f"c{i}" for i in range(60)]
    shop = mm.ShopProfile("s", frozenset(cats[:4]), {c: f"r{i % 8}" for i, c in enumerate(cats)})
    creators = [mm.CreatorFacts(f"cr{n}", {rng.choice(cats): rng.randint(1, 30) for _ in range(rng.randint(1, 6))},
                                rng.choice([None, *range(300, 501, 5)]), rng.randint(0, 3))
                for n in range(args.creators)]
    start = time.perf_counter()
    for _ in range(5):
        shown = mm.propose(creators, shop, rules)
    took = (time.perf_counter() - start) / 5
    judged = [mm.judge(c, shop, rules) for c in creators]
    refused = {code: sum(1 for p in judged if not p.proposed and code in [r.code for r in p.reasons])
               for code in REFUSALS}
    print(f"{args.creators} creators judged and ranked in {took * 1000:.0f} ms (mean of 5); "
          f"{sum(p.proposed for p in judged)} could be proposed, {len(shown)} shown; refused by rule: {refused}")


if __name__ == "__main__":
    main()
