"""Rings found: ring-level recall and precision of the batch ring detector on the simulator (issue 19).

A benchmark and a quality producer (``bench/quality.py``). Run from the repository root::

    PYTHONPATH=src python -m bench.ring_quality                    # reporting seeds × mixes, printed
    PYTHONPATH=src python -m bench.ring_quality --seeds 1,2,3      # the tuning seeds
    python -m bench.quality --only rings                           # the figures in docs/risk.md

For each seed and abuse mix (``default``: the simulator's own; ``rings``: rings ×3, as in
``bench/risk_quality.MIXES``) the simulator runs through the real services with risk control enforcing; then the
batch pass reads what risk stored, the consumers' attribute links and the claim verdicts (who claimed against
which shop, when), exactly as ``anxin risk rings`` does, and ``anxin.risk.ring_groups.detect_groups`` finds the
rings. Against the ground truth:

- a **planted ring** is a ring of the abuse mix (``sim.abuse.rings``, 3–50 accounts that campaign together);
- it is **found** when some detected ring matches it: Jaccard(detected members, planted members) ≥ 0.5 (so at
  least half of the union is shared: a detected group that is mostly the ring and not much else);
- a detected ring is **right** when at least half of its members belong to one true ring: a planted ring or one of
  the main population's legacy rings (abusers in fours who share "evidence" photos; ``sim.world.rings``). So a
  fragment of a real ring is a right alarm, and a real ring padded with as many honest accounts is not;
  **strictly right** when it also matches that ring (Jaccard ≥ 0.5), so fragments count against it;
- **recall** = planted rings found / planted rings; **precision** = right detected rings / detected rings (and
  the strict precision), pooled over every seed and mix. Target: recall ≥ 0.9 at precision ≥ 0.9.

Seeds: the detector's thresholds were tuned on ``TUNING_SEEDS`` only; the figures are on ``REPORTING_SEEDS``
(disjoint).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.risk_quality import MIXES

TUNING_SEEDS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
REPORTING_SEEDS: tuple[int, ...] = (7, 8, 9, 10, 11)
RING_MIXES: tuple[str, ...] = ("default", "rings")
DAYS, MERCHANTS = 30, 30  # about 3 minutes a run on the shared 2-core machine
SMALL_DAYS, SMALL_MERCHANTS = 7, 6  # --small: shows that it still runs
SMALL_SEEDS: tuple[int, ...] = (7,)
SMALL_MIXES: tuple[str, ...] = ("rings",)
JACCARD = 0.5  # a planted ring is found by a detected ring this close to it
PURITY = 0.5  # a detected ring is right when at least this share of its members is one true ring


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


CACHE = Path(__file__).resolve().parent / "results" / "ring-sims"  # gitignored


def code_fingerprint() -> str:
    """The source that makes a run's links and claims: all of anxin but the ring detector itself, so retuning the
    detector re-scores stored runs and any other change simulates afresh."""
    root = Path(__file__).resolve().parent.parent / "src" / "anxin"
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.name not in ("ring_groups.py", "ring_batch.py"):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for path in sorted((root / "rulebooks").glob("*.yaml")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def run_inputs(days: int, merchants: int, seed: int, mix: str, cache: Path | None = CACHE) -> dict[str, Any]:
    """One simulator run's links, claims and planted rings: from the cache when this code made them already."""
    key = f"{code_fingerprint()}-{days}x{merchants}-s{seed}-{mix}.json"
    if cache is not None and (cache / key).exists():
        return {**json.loads((cache / key).read_text()), "cached": True}
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.risk.ring_batch import read_links_and_claims
    from anxin.settings import Settings
    from anxin.sim import SimConfig, Simulation
    from anxin.sim.world import DEFAULT_ABUSE_MIX

    override = MIXES[mix]
    config = SimConfig(days=days, merchants=merchants, seed=seed,
                       abuse_mix={**DEFAULT_ABUSE_MIX, **(override or {})})
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="anxin-ring-quality-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'q.db'}", evidence_dir=Path(tmp) / "evidence",
                            webhook_secret="bench-ring-quality", risk_mode="enforce")
        anxin = bootstrap(settings=settings, clock=FixedClock(config.start), transport=RecordingTransport())
        sim = Simulation(anxin, config).run()
        links, claims = read_links_and_claims(anxin.risk)
        inputs = {"links": links, "claims": [(c.account, c.shop, c.at.isoformat()) for c in claims],
                  "planted": {r.ring_id: sorted(f"consumer:{a.consumer.consumer_id}" for a in r.members)
                              for r in sim.abuse.rings},
                  "careful": {r.ring_id: r.careful for r in sim.abuse.rings},
                  "legacy": {rid: sorted(f"consumer:{c}" for c in m) for rid, m in sim.world.rings.items()},
                  "rulebook": anxin.risk.rulebook.version, "simulate_s": round(time.monotonic() - started, 1)}
        anxin.engine.dispose()
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        (cache / key).write_text(json.dumps(inputs))
    return {**inputs, "cached": False}


def simulate(days: int, merchants: int, seed: int, mix: str) -> dict[str, Any]:
    """One simulator run (or its stored inputs): the rings the batch pass finds next to the planted ones."""
    from anxin.risk.ring_groups import ClaimAt, GroupParams, detect_groups

    inputs = run_inputs(days, merchants, seed, mix)
    claims = [ClaimAt(a, s, dt.datetime.fromisoformat(at)) for a, s, at in inputs["claims"]]
    links = [tuple(x) for x in inputs["links"]]
    t0 = time.monotonic()
    groups = detect_groups(links, claims, GroupParams())  # the rulebook's sizes and hub degree are the defaults
    detect_s = time.monotonic() - t0
    planted = {k: set(v) for k, v in inputs["planted"].items()}
    legacy = {k: set(v) for k, v in inputs["legacy"].items()}
    return {"seed": seed, "mix": mix, "rulebook": inputs["rulebook"], "days": days, "merchants": merchants,
            "links": len(links), "claims": len(claims), "simulate_s": inputs["simulate_s"],
            "cached": inputs["cached"], "detect_s": round(detect_s, 3),
            **evaluate([set(g.members) for g in groups], planted, legacy, inputs["careful"])}


def evaluate(detected: list[set[str]], planted: dict[str, set[str]], legacy: dict[str, set[str]],
             careful: dict[str, bool] | None = None) -> dict[str, Any]:
    """Which planted rings a detected ring matches, and which detected rings are right (module docstring)."""
    rings = []
    for rid, members in sorted(planted.items()):
        best = max((jaccard(members, d) for d in detected), default=0.0)
        rings.append({"ring": rid, "size": len(members), "careful": bool((careful or {}).get(rid)),
                      "jaccard": round(best, 3), "found": best >= JACCARD})
    truth = [*planted.values(), *legacy.values()]
    right = [max((len(d & t) / len(d) for t in truth), default=0.0) >= PURITY for d in detected if d]
    strict = [max((jaccard(d, t) for t in truth), default=0.0) >= JACCARD for d in detected]
    ring_accounts = set().union(*truth) if truth else set()
    flagged = set().union(*detected) if detected else set()
    return {"planted": len(planted), "found": sum(r["found"] for r in rings), "detected": len(detected),
            "right": sum(right), "right_strict": sum(strict), "legacy_found": sum(
                max((jaccard(m, d) for d in detected), default=0.0) >= JACCARD for m in legacy.values()),
            "accounts_in_detected": len(flagged), "of_them_not_in_a_ring": len(flagged - ring_accounts),
            "rings": rings, "detected_sizes": sorted((len(d) for d in detected), reverse=True)}


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    planted = sum(r["planted"] for r in runs)
    found = sum(r["found"] for r in runs)
    detected = sum(r["detected"] for r in runs)
    right = sum(r["right"] for r in runs)
    strict = sum(r["right_strict"] for r in runs)
    careful = [x for r in runs for x in r["rings"] if x["careful"]]
    return {"planted": planted, "found": found, "recall": _ratio(found, planted), "detected": detected,
            "right": right, "precision": _ratio(right, detected), "strict_precision": _ratio(strict, detected),
            "careful_planted": len(careful), "careful_found": sum(x["found"] for x in careful),
            "honest_accounts_in_rings": sum(r["of_them_not_in_a_ring"] for r in runs),
            "missed": [{"seed": r["seed"], "mix": r["mix"], **x} for r in runs for x in r["rings"] if not x["found"]]}


def run_all(days: int, merchants: int, seeds: tuple[int, ...], mixes: tuple[str, ...],
            workers: int = 2) -> list[dict[str, Any]]:
    jobs = [(days, merchants, s, m) for s in seeds for m in mixes]
    if workers <= 1 or len(jobs) == 1:
        return [simulate(*j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(simulate, *zip(*jobs, strict=True)))


def quality_run(small: bool) -> dict[str, Any]:
    from anxin.risk.ring_groups import GroupParams

    if small:
        days, merchants, seeds, mixes = SMALL_DAYS, SMALL_MERCHANTS, SMALL_SEEDS, SMALL_MIXES
    else:
        days, merchants, seeds, mixes = DAYS, MERCHANTS, REPORTING_SEEDS, RING_MIXES
    runs = run_all(days, merchants, seeds, mixes, int(os.environ.get("ANXIN_RING_QUALITY_WORKERS", "2")))
    by_mix = {m: pooled([r for r in runs if r["mix"] == m]) for m in mixes}
    return {"command": "python -m bench.quality --only rings" + (" --small" if small else ""),
            "seeds": {"reporting": list(seeds), "tuning": list(TUNING_SEEDS)},
            "rulebooks": {"risk": sorted({r["rulebook"] for r in runs})},
            "config": {"days": days, "merchants": merchants, "mixes": list(mixes), "jaccard": JACCARD, "purity": PURITY,
                       "params": dataclasses.asdict(GroupParams())},
            "figures": {"all": pooled(runs), "by_mix": by_mix, "runs": runs}}


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def quality_render(result: dict[str, Any]) -> dict[str, str]:
    f, c = result["figures"], result["config"]
    seeds = ", ".join(map(str, result["seeds"]["reporting"]))
    rows = ["| mix | planted rings | found | **recall** | detected rings | right | **precision** | strict precision "
            "| careful rings found |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in [*f["by_mix"].items(), ("all", f["all"])]:
        rows.append(f"| {name} | {m['planted']} | {m['found']} | **{_pct(m['recall'])}** | {m['detected']} | "
                    f"{m['right']} | **{_pct(m['precision'])}** | {_pct(m['strict_precision'])} | "
                    f"{m['careful_found']} of {m['careful_planted']} |")
    missed = f["all"]["missed"]
    notes = (f"Simulator {c['days']} days × {c['merchants']} merchants, risk enforcing; reporting seeds {seeds} "
             f"(tuned on {', '.join(map(str, result['seeds']['tuning']))}); found = Jaccard ≥ {c['jaccard']}, "
             f"right = ≥ {c['purity']} of its members in one true ring, strict = Jaccard ≥ {c['jaccard']}; "
             f"`{result['command']}` at {result.get('commit') or '?'}{' (dirty tree)' if result.get('dirty') else ''}"
             f", {result.get('seconds', '?')} s. Honest accounts inside detected rings: "
             f"{f['all']['honest_accounts_in_rings']}.")
    if missed:
        notes += " Missed: " + "; ".join(f"seed {x['seed']} {x['mix']} {x['ring']} ({x['size']} accounts"
                                         f"{', careful' if x['careful'] else ''}, best Jaccard {x['jaccard']})"
                                         for x in missed[:8]) + "."
    return {"table": "\n".join(rows) + "\n", "notes": notes + "\n"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ring_quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=DAYS)
    p.add_argument("--merchants", type=int, default=MERCHANTS)
    p.add_argument("--seeds", default=",".join(map(str, REPORTING_SEEDS)))
    p.add_argument("--mixes", default=",".join(RING_MIXES))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(",") if s.strip())
    mixes = tuple(m.strip() for m in args.mixes.split(",") if m.strip())
    if set(mixes) - set(MIXES):
        p.error(f"unknown mixes: {', '.join(sorted(set(mixes) - set(MIXES)))}")
    runs = run_all(args.days, args.merchants, seeds, mixes, args.workers)
    for r in runs:
        print(f"seed {r['seed']} {r['mix']}: planted {r['planted']} found {r['found']} detected {r['detected']} "
              f"right {r['right']} sizes {r['detected_sizes']} honest-in-rings {r['of_them_not_in_a_ring']} "
              f"(sim {r['simulate_s']} s, detect {r['detect_s']} s)")
        for x in r["rings"]:
            print(f"    {x}")
    print(json.dumps({k: v for k, v in pooled(runs).items() if k != "missed"}))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
