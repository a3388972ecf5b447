"""Precision and recall of the fulfilment detectors against the simulator's ground truth (issue 3).

A benchmark, not a test. Run from the repository root::

    PYTHONPATH=src python -m bench.fulfilment_quality                               # 30 days × 50 merchants, seed 7
    PYTHONPATH=src python -m bench.fulfilment_quality --days 10 --merchants 15 --seed 3

1. the simulator (``anxin.sim``, docs/simulator.md) runs into a fresh SQLite database in a temporary directory
   with a ``FixedClock``: every event goes through ingestion and every hour through ``anxin.tick()``, so the
   detectors run exactly as in production;
2. the findings anxin stored are read with ``anxin.fulfilment.all_findings()``;
3. they are compared with the ground truth's ``fulfilment`` section, which says which detector kinds *should*
   fire, from what the simulator meant to happen (see ``anxin.sim.fulfilment``): order-level kinds matched on
   the order id, ``listing.repeated_late`` on the listing id; several findings of one kind on one subject
   count once. Kinds with no ground truth (``listing.oversold``, ``data.*``) are only counted.

Per kind: true positives, false positives, false negatives, precision = TP / (TP + FP), recall = TP / (TP + FN)
(``-`` when undefined), and a few example subjects of each error (in the JSON with the findings' evidence and
the ground truth's entry). Results are printed and written to ``bench/results/fulfilment-quality-<timestamp>.json``
(gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from anxin.fulfilment.detectors import Finding
from anxin.sim.fulfilment import LISTING_KINDS, ORDER_KINDS

SCORED = (*ORDER_KINDS, *LISTING_KINDS)
EXAMPLES = 5


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def score(findings: Iterable[Finding], truth: Mapping[str, Any]) -> dict[str, Any]:
    """Per detector kind: TP, FP, FN, precision and recall of ``findings`` against the ground truth.

    ``truth`` is the ground truth's ``fulfilment`` section (or the whole ground truth): ``orders`` and
    ``listings`` map subject ids to ``{"expected": [kind, ...]}``. Findings and expectations are sets of
    (kind, subject type, subject id); a finding whose subject the truth does not know is a false positive."""
    truth = truth.get("fulfilment", truth)
    expected: set[tuple[str, str, str]] = set()
    for subject_type, section in (("order", "orders"), ("listing", "listings")):
        for subject_id, entry in truth.get(section, {}).items():
            expected |= {(kind, subject_type, subject_id) for kind in entry.get("expected", ())}
    found: set[tuple[str, str, str]] = set()
    unscored: Counter[str] = Counter()
    for f in findings:
        key = (f.kind, f.subject_type, f.subject_id)
        if f.kind in SCORED:
            found.add(key)
        elif key not in found:
            found.add(key)
            unscored[f.kind] += 1
    kinds: dict[str, dict[str, Any]] = {}
    totals = Counter[str]()
    for kind in SCORED:
        exp = {k for k in expected if k[0] == kind}
        got = {k for k in found if k[0] == kind}
        tp, fp, fn = len(exp & got), len(got - exp), len(exp - got)
        totals.update(tp=tp, fp=fp, fn=fn)
        kinds[kind] = {"expected": len(exp), "found": len(got), "tp": tp, "fp": fp, "fn": fn,
                       "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
                       "false_positives": sorted(k[2] for k in got - exp)[:EXAMPLES],
                       "false_negatives": sorted(k[2] for k in exp - got)[:EXAMPLES]}
    tp, fp, fn = totals["tp"], totals["fp"], totals["fn"]
    return {"kinds": kinds,
            "overall": {"tp": tp, "fp": fp, "fn": fn, "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)},
            "unscored": dict(sorted(unscored.items()))}


def explain(scored: dict[str, Any], findings: Iterable[Finding], truth: Mapping[str, Any]) -> dict[str, Any]:
    """The example errors of ``score`` with what anxin found (evidence) and what the ground truth says."""
    truth = truth.get("fulfilment", truth)
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in findings:
        by_key.setdefault((f.kind, f.subject_id), []).append(f.as_dict())
    out: dict[str, Any] = {}
    for kind, k in scored["kinds"].items():
        section = truth["listings"] if kind in LISTING_KINDS else truth["orders"]
        errors = {"false_positives": [{"subject_id": sid, "findings": by_key.get((kind, sid), []),
                                       "truth": section.get(sid)} for sid in k["false_positives"]],
                  "false_negatives": [{"subject_id": sid, "truth": section.get(sid)} for sid in k["false_negatives"]]}
        if errors["false_positives"] or errors["false_negatives"]:
            out[kind] = errors
    return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def report(result: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    cfg = result["config"]
    t = Table(title=f"fulfilment detectors vs ground truth · {cfg['days']} days × {cfg['merchants']} merchants · "
                    f"seed {cfg['seed']}", header_style="bold")
    for col in ("kind", "expected", "found", "TP", "FP", "FN", "precision", "recall"):
        t.add_column(col, justify="left" if col == "kind" else "right", no_wrap=col == "kind")
    s = result["score"]
    for kind, k in s["kinds"].items():
        t.add_row(kind, str(k["expected"]), str(k["found"]), str(k["tp"]), str(k["fp"]), str(k["fn"]),
                  _pct(k["precision"]), _pct(k["recall"]))
    o = s["overall"]
    t.add_row("[bold]all scored kinds", "", "", str(o["tp"]), str(o["fp"]), str(o["fn"]), _pct(o["precision"]),
              _pct(o["recall"]), end_section=True)
    for kind, n in s["unscored"].items():
        t.add_row(f"[dim]{kind} (no ground truth)", "", str(n), "", "", "", "", "")
    console.print(t)
    for kind, k in s["kinds"].items():
        if k["false_positives"] or k["false_negatives"]:
            console.print(f"[dim]{kind}: FP e.g. {', '.join(k['false_positives']) or '—'}; "
                          f"FN e.g. {', '.join(k['false_negatives']) or '—'}")


def run(args: argparse.Namespace, console: Any) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    from anxin.sim import SimConfig, Simulation, ground_truth, summary

    config = SimConfig(days=args.days, merchants=args.merchants, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="anxin-quality-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'quality.db'}", evidence_dir=Path(tmp) / "evidence",
                            webhook_secret="bench-fulfilment-quality")
        anxin = bootstrap(settings=settings, clock=FixedClock(config.start), transport=RecordingTransport())
        all_findings = getattr(getattr(anxin, "fulfilment", None), "all_findings", None)
        if not callable(all_findings):
            raise SystemExit("this build has no anxin.fulfilment.all_findings(): the detectors are not wired in yet")
        sim = Simulation(anxin, config)
        with Progress(TextColumn("[bold]simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("days"),
                      TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=console) as progress:
            task = progress.add_task("days", total=config.days, info="")

            def on_day(day: int, p: dict[str, int]) -> None:
                progress.update(task, completed=day, info=f"{p['orders']} orders · {p['events']} events")

            sim.run(on_day)
        started = time.perf_counter()
        findings: list[Finding] = all_findings()
        read_seconds = time.perf_counter() - started
        truth = ground_truth(sim)["fulfilment"]
        s = summary(sim)
        anxin.engine.dispose()
    return {"config": {"days": args.days, "merchants": args.merchants, "seed": args.seed,
                       "start": config.start.isoformat()},
            "simulation": {"seconds": sim.seconds, "orders": s["orders"], "logistics": s["logistics"],
                           "events": s["events"]["received"]},
            "rulebook_version": truth["rulebook_version"], "truth_counts": truth["counts"],
            "fake_shippers": [m for m in truth["merchants"] if m["fake_shipper"]],
            "findings": {"total": len(findings), "read_seconds": read_seconds,
                         "by_kind": dict(sorted(Counter(f.kind for f in findings).items()))},
            "score": (scored := score(findings, truth)), "errors": explain(scored, findings, truth)}


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    from bench.fixtures import RESULTS, machine_info

    p = argparse.ArgumentParser(prog="python -m bench.fulfilment_quality", description=__doc__.split("\n\n")[0],
                                epilog="Prints a table per detector kind and writes "
                                       "bench/results/fulfilment-quality-<timestamp>.json.")
    p.add_argument("--days", type=int, default=30, help="simulated days (default 30)")
    p.add_argument("--merchants", type=int, default=50, help="merchants, 20 consumers each (default 50)")
    p.add_argument("--seed", type=int, default=7, help="simulator seed (default 7, as `anxin sim`)")
    args = p.parse_args(argv)
    if args.days < 1 or args.merchants < 1:
        p.error("--days and --merchants must be at least 1")
    console = Console(width=None if sys.stdout.isatty() else 120)  # a log file gets the whole table
    started = dt.datetime.now(dt.UTC)
    result = {"bench": "fulfilment-quality", "started": started.isoformat(), "machine": machine_info(),
              **run(args, console)}
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    result["finished"] = dt.datetime.now(dt.UTC).isoformat()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"fulfilment-quality-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    report(result, console)
    console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
