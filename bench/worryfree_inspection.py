"""Inbound inspection: how many defective lots each sample plan catches (issue 18, "inspection defect detection by
sample size"). A report, not a timed test. Run from the repository root::

    PYTHONPATH=src .venv/bin/python -m bench.worryfree_inspection                 # the packaged rulebook, seed 7
    PYTHONPATH=src .venv/bin/python -m bench.worryfree_inspection --lots 20000 --seed 11 --markdown

For each lot size of interest (one per row of the rulebook's tables) and plan (normal, tightened), at defect rates
0.5 % to 10 %, three figures of the probability that the plan **rejects** (catches) a lot with that share of
defective units:

1. **exact, hypergeometric**: a lot of N units with D = round(p·N) defective ones, n units drawn without replacement,
   rejected when more than Ac are defective: 1 − Σ_{d≤Ac} C(D,d)·C(N−D,n−d)/C(N,n);
2. **exact, binomial**: the endless-stream model, each unit defective with probability p:
   1 − Σ_{d≤Ac} C(n,d)·pᵈ·(1−p)ⁿ⁻ᵈ;
3. **simulated**: ``--lots`` lots per cell, each unit of a lot defective with probability p (so a lot's defect
   count varies, as a supplier's does: binomial), n units drawn at random without replacement (hypergeometric),
   judged by the plan — the share rejected, seeded (``numpy.random.default_rng(seed)``) so a rerun prints the same
   numbers. The simulation uses the same pure code as the service (``sampling.judge`` on the drawn units).

Printed as JSON (``--markdown``: the tables docs/worry-free.md shows) and written to
``bench/results/worryfree-inspection-<timestamp>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from anxin.worryfree.inspection_rules import InspectionRulebookSpec, load_inspection_rules
from anxin.worryfree.sampling import (
    FAIL,
    NORMAL,
    PASS,
    REJECTED,
    TIGHTENED,
    UnitResult,
    accept_probability_binomial,
    accept_probability_hypergeometric,
    judge,
)

RATES = (Fraction(5, 1000), Fraction(1, 100), Fraction(2, 100), Fraction(3, 100), Fraction(5, 100),
         Fraction(75, 1000), Fraction(10, 100))
LOT_SIZES = (40, 80, 120, 200, 400, 1000, 2000, 5000)


def _simulate(rb: InspectionRulebookSpec, lot_size: int, severity: str, rate: Fraction, lots: int,
              rng: np.random.Generator) -> tuple[int, int]:
    """(lots rejected, lots that had at least one defective unit). Each lot's defective count is binomial
    (each unit defective with probability ``rate``); the sample's is then hypergeometric (drawn without
    replacement); the sampled units go through the service's verdict."""
    plan = rb.plan(lot_size, severity)
    in_lot = rng.binomial(lot_size, float(rate), size=lots)
    in_sample = [int(rng.hypergeometric(int(d), lot_size - int(d), plan.sample_size)) if d else 0 for d in in_lot]
    rejected = 0
    for d in in_sample:
        units = [UnitResult(no, {"outer_packaging": FAIL if no <= d else PASS, "labels": PASS})
                 for no in range(1, plan.sample_size + 1)]
        rejected += judge(plan, units, verdict_rule_id=rb.verdict.id).outcome == REJECTED
    return rejected, int((in_lot > 0).sum())


def measure(*, rb: InspectionRulebookSpec | None = None, lots: int = 2000, seed: int = 7,
            lot_sizes: tuple[int, ...] = LOT_SIZES, rates: tuple[Fraction, ...] = RATES) -> dict[str, Any]:
    rb = rb or load_inspection_rules()
    rng = np.random.default_rng(seed)
    rows = []
    for severity in (NORMAL, TIGHTENED):
        for lot_size in lot_sizes:
            plan = rb.plan(lot_size, severity)
            for rate in rates:
                defectives = round(rate * lot_size)
                hyper = 1 - accept_probability_hypergeometric(lot_size=lot_size, defectives=defectives,
                                                              sample_size=plan.sample_size,
                                                              accept_number=plan.accept_number)
                binom = 1 - accept_probability_binomial(rate=rate, sample_size=plan.sample_size,
                                                        accept_number=plan.accept_number)
                caught, with_defects = _simulate(rb, lot_size, severity, rate, lots, rng)
                rows.append({"severity": severity, "lot_size": lot_size, "sample_size": plan.sample_size,
                             "accept_number": plan.accept_number, "defect_rate_pct": float(rate * 100),
                             "defective_units": defectives, "reject_exact_hypergeometric": round(float(hyper), 4),
                             "reject_exact_binomial": round(float(binom), 4), "simulated_lots": lots,
                             "simulated_rejected": caught, "simulated_reject_rate": round(caught / lots, 4),
                             "simulated_lots_with_defects": with_defects})
    return {"rulebook_version": rb.version, "seed": seed, "lots_per_cell": lots,
            "rates_pct": [float(r * 100) for r in rates], "rows": rows}


def markdown(result: dict[str, Any]) -> str:
    rates = result["rates_pct"]
    out = []
    for severity in (NORMAL, TIGHTENED):
        out.append(f"\n{severity} plan — share of lots rejected: exact hypergeometric / binomial / simulated "
                   f"({result['lots_per_cell']} lots per cell, seed {result['seed']})\n")
        out.append("| lot size | n | Ac | " + " | ".join(f"{r:g} %" for r in rates) + " |")
        out.append("|---:|---:|---:|" + "---:|" * len(rates))
        cells: dict[int, list[str]] = {}
        meta: dict[int, tuple[int, int]] = {}
        for row in result["rows"]:
            if row["severity"] != severity:
                continue
            meta[row["lot_size"]] = (row["sample_size"], row["accept_number"])
            cells.setdefault(row["lot_size"], []).append(
                f"{row['reject_exact_hypergeometric']:.2f} / {row['reject_exact_binomial']:.2f} / "
                f"{row['simulated_reject_rate']:.2f}")
        for lot_size, values in cells.items():
            n, ac = meta[lot_size]
            out.append(f"| {lot_size} | {n} | {ac} | " + " | ".join(values) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lots", type=int, default=2000, help="simulated lots per (plan, lot size, rate)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--markdown", action="store_true", help="print the tables of docs/worry-free.md")
    args = parser.parse_args()
    result = measure(lots=args.lots, seed=args.seed)
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"worryfree-inspection-{stamp}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(markdown(result) if args.markdown else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
