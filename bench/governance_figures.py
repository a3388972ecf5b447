"""Governance figures on simulated marketplaces (issue 16): a report, not a timed test. Run from the repository root::

    PYTHONPATH=src python -m bench.governance_figures                        # 30 days × 50 merchants, seed 7
    PYTHONPATH=src python -m bench.governance_figures --seeds 7 11 13 --days 30 --merchants 50

Each seed runs the simulator with ``governance=True`` (docs/simulator.md, "Governance") into a fresh SQLite database
in a temporary directory, then reads what anxin recorded through the governance use cases and compares it with the
simulator's latent truth (``ground_truth(sim)["governance"]`` and ``["listing_texts"]``):

1. **listing checks** on the simulator's labelled listings: flagged = the stored check's outcome is needs_review or
   blocked; should be flagged = the generator wrote a violating claim. The labels come from the same generator
   that wrote the texts, from phrase lists written with the term list in view: circular in part (docs/governance.md);
2. **appeals**: resolution time (median, p90) of the second half of the run against the first half
   (``appeals.report``), and how operators decided justified and unjustified appeals;
3. **inspections**: every weekly plan's report summed by stratum (drawn, inspected, failed, failure rate,
   coverage = drawn / candidates per plan, summed), distinct listings sampled, failure rate by seller kind;
4. **bad sellers restricted before their N-th bad order** (N = 1, 3, 5, 10), never restricted, honest sellers
   restricted (``anxin.sim.governance_truth``);
5. **IP complaints**: share upheld, founded and unfounded ones apart, unfounded rate per rights holder.

Printed as JSON and written to ``bench/results/governance-figures-<timestamp>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from anxin.core.principal import Principal, Role
from anxin.sim.governance_truth import THRESHOLDS, restricted_before

OPERATOR = Principal(key_id="bench", role=Role.OPERATOR, subject="op-bench")


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def listing_figures(anxin: Any, texts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    outcome: dict[str, str] = {}
    after = None
    while True:
        page = anxin.governance.listings.findings(OPERATOR, limit=200, after=after)
        for f in page:
            if outcome.get(f["listing_id"]) != "blocked":
                outcome[f["listing_id"]] = f["outcome"]
        if len(page) < 200:
            break
        after = (dt.datetime.fromisoformat(page[-1]["checked_at"]), page[-1]["check_id"])
    tp = fp = fn = blocked = blocked_true = 0
    by_label: Counter[str] = Counter()
    flagged_by_label: Counter[str] = Counter()
    for lid, t in texts.items():
        label = t.get("label", "clean")
        got = outcome.get(lid, "pass")
        should = label == "violating"
        flagged = got != "pass"
        by_label[label] += 1
        flagged_by_label[label] += flagged
        tp += flagged and should
        fp += flagged and not should
        fn += should and not flagged
        blocked += got == "blocked"
        blocked_true += got == "blocked" and should
    return {"listings": len(texts), "by_label": dict(by_label), "flagged_by_label": dict(flagged_by_label),
            "tp": tp, "fp": fp, "fn": fn, "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
            "blocked": blocked, "blocked_violating": blocked_true}


def appeal_figures(anxin: Any, start: dt.datetime, end: dt.datetime, truth: dict[str, Any]) -> dict[str, Any]:
    mid = start + (end - start) / 2
    halves = anxin.governance.appeals.report(OPERATOR, start=mid, end=end)
    whole = anxin.governance.appeals.report(OPERATOR, start=start, end=end)["current"]
    decided: Counter[str] = Counter()
    for a in truth["appeals"].values():
        key = "justified" if a["justified"] else "unjustified"
        decided[f"{key}.{a['outcome'] or 'open'}"] += 1
    return {"whole_run": whole, "second_half_vs_first": halves, "by_truth": dict(sorted(decided.items())),
            "refused": {k: v for k, v in truth["stats"].items() if k.startswith("appeal_refused")}}


def inspection_figures(anxin: Any, truth: dict[str, Any]) -> dict[str, Any]:
    strata: dict[str, Counter[str]] = {}
    for plan_id in truth["plans"]:
        for row in anxin.governance.inspections.report(OPERATOR, plan_id)["strata"]:
            c = strata.setdefault(row["stratum"], Counter())
            c.update({k: row[k] for k in ("candidates", "drawn", "inspected", "failed", "pending")})
    rows = {s: {**c, "coverage": _ratio(c["drawn"], c["candidates"]), "failure_rate": _ratio(c["failed"],
                                                                                               c["inspected"])}
            for s, c in strata.items() if c["candidates"]}
    tot: Counter[str] = Counter()
    for c in strata.values():
        tot.update(c)
    kinds: dict[str, Counter[str]] = {}
    for s in truth["samples"].values():
        k = kinds.setdefault(s["seller_kind"], Counter())
        k.update(inspected=1, failed=int(s["failed"]), lab_error=int(s["lab_error"]))
    return {"plans": len(truth["plans"]), "by_stratum": rows,
            "total": {**tot, "coverage": _ratio(tot["drawn"], tot["candidates"]),
                      "failure_rate": _ratio(tot["failed"], tot["inspected"])},
            "distinct_listings_sampled": len({s["listing_id"] for s in truth["samples"].values()}),
            "by_seller_kind": {k: {**c, "failure_rate": _ratio(c["failed"], c["inspected"])}
                               for k, c in sorted(kinds.items())}}


def seller_figures(truth: dict[str, Any]) -> dict[str, Any]:
    sellers = truth["sellers"]
    bad = [s for s in sellers if s["bad"]]
    honest = [s for s in sellers if not s["bad"]]
    groups = {"counterfeit": [s for s in bad if s["kind"] == "counterfeit"],
              "low_quality": [s for s in bad if s["kind"] == "low_quality"],
              "fake_shipper": [s for s in bad if s["fake_shipper"]],
              "dishonest_listings": [s for s in bad if s["dishonest_listings"]]}
    return {"bad_sellers": len(bad), "honest_sellers": len(honest),
            "before_nth_bad_order": {n: restricted_before(bad, n) for n in THRESHOLDS},
            "never_restricted": sum(s["restricted_at"] is None for s in bad),
            "by_group": {g: {"sellers": len(ss), "restricted": sum(s["restricted_at"] is not None for s in ss),
                             "before_3rd": restricted_before(ss, 3)["restricted_before"]} for g, ss in groups.items()},
            "honest_restricted": sum(s["restricted_at"] is not None for s in honest),
            "honest_restricted_share": _ratio(sum(s["restricted_at"] is not None for s in honest), len(honest)),
            "honest_restricted_by": dict(Counter(f"{s['restricted_by']['kind']}/{s['restricted_by']['cause']}"
                                                 for s in honest if s["restricted_by"])),
            "bad_orders_placed": sum(len(s["bad_orders_at"]) for s in bad),
            "bad_orders_refused": sum(s["bad_orders_refused"] for s in bad),
            "median_bad_orders_before_restriction": _median_before(bad)}


def _median_before(bad: list[dict[str, Any]]) -> float | None:
    counts = [sum(1 for t in s["bad_orders_at"] if t < s["restricted_at"]) for s in bad if s["restricted_at"]]
    return statistics.median(counts) if counts else None


def ip_figures(anxin: Any, truth: dict[str, Any]) -> dict[str, Any]:
    complaints = truth["complaints"].values()
    decided = [c for c in complaints if c["outcome"]]
    founded = [c for c in decided if c["founded"]]
    unfounded = [c for c in decided if not c["founded"]]
    return {"filed": len(truth["complaints"]), "decided": len(decided),
            "upheld_share": _ratio(sum(c["outcome"] == "upheld" for c in decided), len(decided)),
            "founded_upheld": f"{sum(c['outcome'] == 'upheld' for c in founded)}/{len(founded)}",
            "unfounded_upheld": f"{sum(c['outcome'] == 'upheld' for c in unfounded)}/{len(unfounded)}",
            "counter_noticed": sum(c["counter_noticed"] for c in complaints),
            "rights_holders": anxin.governance.ip.rights_holders(OPERATOR)}


def measure(anxin: Any, sim: Any) -> dict[str, Any]:
    """Every figure of one simulated run (``sim`` ran with ``SimConfig.governance``) from what anxin stored."""
    from anxin.sim import ground_truth

    truth = ground_truth(sim)
    gov = truth["governance"]
    return {"config": {"days": sim.config.days, "merchants": sim.config.merchants, "seed": sim.config.seed,
                       "start": sim.start.isoformat(), "inspection_budget": sim.config.inspection_budget},
            "orders_placed": sim.orders.stats["placed"], "orders_refused": gov["refused_orders"],
            "stats": gov["stats"], "listing_checks": listing_figures(anxin, truth["listing_texts"]),
            "appeals": appeal_figures(anxin, sim.start, sim.end, gov), "inspections": inspection_figures(anxin, gov),
            "sellers": seller_figures(gov), "ip": ip_figures(anxin, gov)}


def run(days: int, merchants: int, seed: int) -> dict[str, Any]:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    from anxin.sim import SimConfig, Simulation

    config = SimConfig(days=days, merchants=merchants, seed=seed, governance=True)
    with tempfile.TemporaryDirectory(prefix="anxin-governance-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'gov.db'}", evidence_dir=Path(tmp) / "evidence",
                            webhook_secret="bench-governance-figures")
        anxin = bootstrap(settings=settings, clock=FixedClock(config.start), transport=RecordingTransport())
        sim = Simulation(anxin, config).run()
        out = {**measure(anxin, sim), "seconds": round(sim.seconds, 1)}
        anxin.engine.dispose()
    return out


def pooled(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The seller figures summed over seeds (each seed a different marketplace)."""
    out: dict[str, Any] = {"before_nth_bad_order": {}}
    for n in THRESHOLDS:
        c: Counter[str] = Counter()
        for r in results:
            c.update(r["sellers"]["before_nth_bad_order"][n])
        out["before_nth_bad_order"][n] = dict(c)
    for key in ("bad_sellers", "honest_sellers", "never_restricted", "honest_restricted", "bad_orders_placed",
                "bad_orders_refused"):
        out[key] = sum(r["sellers"][key] for r in results)
    return out


def main(argv: list[str] | None = None) -> int:
    from bench.fixtures import RESULTS, machine_info

    p = argparse.ArgumentParser(prog="python -m bench.governance_figures", description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--merchants", type=int, default=50)
    p.add_argument("--seeds", type=int, nargs="+", default=[7])
    args = p.parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    results = [run(args.days, args.merchants, seed) for seed in args.seeds]
    result = {"bench": "governance-figures", "started": started.isoformat(), "machine": machine_info(),
              "runs": results, "pooled": pooled(results)}
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"governance-figures-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=1, default=str, ensure_ascii=False))
    print(json.dumps(result, indent=1, default=str, ensure_ascii=False))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
