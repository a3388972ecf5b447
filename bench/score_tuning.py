"""Choosing the merchant score's method on the *tuning* seeds (never the held-out ones of docs/scores.md § Validity).

A benchmark, not a test. Run from the repository root, after ``bench.score_validity --sim-only`` has simulated the
tuning seeds (it keeps a copy of each run's database at the scoring moment, ``<db>.asof.db``)::

    PYTHONPATH=src python -m bench.score_tuning --seed 1 2 3

Each method variant (the ``method`` block of the score rulebook: shrinkage prior strength and weighting) scores
the same point-in-time facts; printed: the Spearman correlation of the score with the latent quality of the shop's
merchant per seed and their mean, for every variant, and the same for each dimension and indicator of the
rulebook's own method. Eligible shops only; the shops are the same for every variant (eligibility does not depend
on the method).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
from collections.abc import Sequence
from typing import Any

import yaml

from bench.score_validity import TUNING_SEEDS, _asof_path, _truth_path, default_db, score_point_in_time
from bench.validity_stats import spearman

VARIANTS: dict[str, dict[str, Any]] = {
    "raw, rulebook weights (2026.12.1)": {"shrinkage": {"prior_strength": 0}, "weighting": "rulebook"},
    "shrunk (estimated), rulebook weights": {"shrinkage": {"prior_strength": "estimated"}, "weighting": "rulebook"},
    "raw, reliability weights": {"shrinkage": {"prior_strength": 0}, "weighting": "reliability"},
    "shrunk (estimated), reliability weights": {"shrinkage": {"prior_strength": "estimated"},
                                                "weighting": "reliability"},
    "shrunk (estimated), reliability weights, min 0.02": {"shrinkage": {"prior_strength": "estimated"},
                                                           "weighting": "reliability", "min_reliability": 0.02},
    "shrunk (estimated), reliability weights, min 0.2": {"shrinkage": {"prior_strength": "estimated"},
                                                          "weighting": "reliability", "min_reliability": 0.2},
    "raw, consistency weights": {"shrinkage": {"prior_strength": 0}, "weighting": "consistency"},
    "shrunk (estimated), consistency weights": {"shrinkage": {"prior_strength": "estimated"},
                                                "weighting": "consistency"},
    "shrunk (estimated), consistency weights, min 0.02": {"shrinkage": {"prior_strength": "estimated"},
                                                           "weighting": "consistency", "min_reliability": 0.02},
    "shrunk (estimated), consistency weights, min 0.2": {"shrinkage": {"prior_strength": "estimated"},
                                                          "weighting": "consistency", "min_reliability": 0.2},
    "shrunk (estimated), consistency weights, min 0.1": {"shrinkage": {"prior_strength": "estimated"},
                                                          "weighting": "consistency", "min_reliability": 0.1},
    "shrunk (estimated), consistency weights, min 0.3": {"shrinkage": {"prior_strength": "estimated"},
                                                          "weighting": "consistency", "min_reliability": 0.3},
    "shrunk (estimated), consistency weights, min 0.5": {"shrinkage": {"prior_strength": "estimated"},
                                                          "weighting": "consistency", "min_reliability": 0.5},
    "shrunk (fixed 30 trials), reliability weights": {"shrinkage": {"prior_strength": 30},
                                                      "weighting": "reliability"},
    "shrunk (fixed 300 trials), reliability weights": {"shrinkage": {"prior_strength": 300},
                                                       "weighting": "reliability"},
}


def variant_rulebook(method: dict[str, Any]) -> Any:
    from anxin.scoring.rulebook import DEFAULT_SCORE_RULEBOOK, parse_score_rulebook

    raw = yaml.safe_load(DEFAULT_SCORE_RULEBOOK.read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["merchant"]["method"] = method
    return parse_score_rulebook(raw)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.score_tuning", description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, nargs="+", default=list(TUNING_SEEDS))
    p.add_argument("--days", type=int, default=65)
    p.add_argument("--merchants", type=int, default=60)
    args = p.parse_args(argv)
    from anxin.scoring.rulebook import load_score_rulebook

    rules = load_score_rulebook()
    table: dict[str, list[float]] = {}
    parts: dict[str, list[float]] = {}
    for seed in args.seed:
        db = default_db(args.days, args.merchants, seed).resolve()
        if not _asof_path(db).exists():
            print(f"seed {seed}: no point-in-time copy {_asof_path(db)}; simulate first", file=sys.stderr)
            return 1
        truth = json.loads(_truth_path(db).read_text())
        quality = {s["shop_id"]: m["quality"] for m in truth["merchants"] for s in m["shops"]}
        for name, method in VARIANTS.items():
            rb = variant_rulebook(method)
            scored = score_point_in_time(db, rb, rules_day_offset=31)
            shops = sorted(s for s, r in scored.items() if r["total_x100"] is not None and s in quality)
            rho = spearman([scored[s]["total_x100"] for s in shops], [quality[s] for s in shops])
            table.setdefault(name, []).append(rho)
            print(f"seed {seed} · {len(shops)} shops · {name}: {rho:.3f}", flush=True)
            if name == "shrunk (estimated), consistency weights":
                for key in sorted({k for r in scored.values() for k in r["parts"]}):
                    pairs = [(r["parts"][key], quality[s]) for s, r in scored.items()
                             if s in shops and r["parts"].get(key) is not None]
                    parts.setdefault(key, []).append(spearman([a for a, _ in pairs], [b for _, b in pairs]))
    print(f"\nSpearman of the score with latent quality, tuning seeds {args.seed} "
          f"({args.days} days × {args.merchants} merchants), rulebook {rules.version} otherwise:")
    for name, rhos in sorted(table.items(), key=lambda kv: -statistics.fmean(kv[1])):
        print(f"  {statistics.fmean(rhos):.3f}  [{', '.join(f'{r:.2f}' for r in rhos)}]  {name}")
    print("parts (shrunk, consistency weights; indicators as measured):")
    for key, rhos in sorted(parts.items()):
        print(f"  {statistics.fmean(rhos):.3f}  [{', '.join(f'{r:.2f}' for r in rhos)}]  {key}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
