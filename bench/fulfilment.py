"""Bulk ingestion of a simulated order history (issue 3). A benchmark, not a test.

Run from the repository root (see docs/performance.md, "Bulk ingestion (issue 3)")::

    PYTHONPATH=src python -m bench.fulfilment --orders 100000     # about 6 events per order
    PYTHONPATH=src python -m bench.fulfilment --quick             # 20 000 orders
    ANXIN_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test PYTHONPATH=src python -m bench.fulfilment

For each database (SQLite in a temporary directory, WAL, the product's engine; PostgreSQL when a URL is
given, in databases anxin_bench_* created and dropped here):

1. the history (bench/history.py, deterministic) goes through ``IngestionService.ingest_bulk`` chunk by chunk
   into a fresh, migrated database; only the ingest calls are timed;
2. baseline, same run: the rows that run ended with (events, orders, scans, reviews, catalogue) are inserted
   raw into another fresh, migrated database with the same driver (bench/ingest_bulk.py), twice; the faster
   of the two is the baseline, which makes the ratio the conservative one;
3. events/s of both, and the ratio against the target of 30 %.

Optionally, for reference, the per-event path (``ingest``) on the first events of the same history.
Results are printed and written to ``bench/results/ingest-bulk-<timestamp>.json`` (gitignored).

The detectors' precision and recall against the simulator's ground truth: ``bench/fulfilment_quality.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
from typing import Any

from bench.fixtures import RESULTS, machine_info
from bench.history import Shape
from bench.ingest_bulk import PostgresTarget, SqliteTarget, Target, bulk_run, per_event_run, table_counts

TARGET = 0.30


def bench_target(target: Target, args: argparse.Namespace, console: Any) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    shape = Shape.for_orders(args.orders)
    out: dict[str, Any] = {"database": target.name}
    bulk_url = target.fresh("bulk")
    expected = None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task(f"{target.name}: ingest_bulk, {args.orders:,} orders", total=None)
        run = bulk_run(bulk_url, shape, args.chunk, args.seed, lambda n: progress.advance(task, n),
                       lambda line: console.log(f"{target.name}: {line}"))
    out["bulk"] = {"events": run.events, "seconds": run.seconds, "wall_seconds": run.wall_seconds,
                   "events_per_s": run.events / run.seconds, "counts": dict(run.counts),
                   "chunk_seconds_p50": statistics.median(run.chunk_seconds),
                   "chunk_seconds_max": max(run.chunk_seconds)}
    console.log(f"{target.name}: bulk {run.events:,} events in {run.seconds:.1f} s = "
                f"{run.events / run.seconds:,.0f} events/s; {dict(run.counts)}")
    if run.counts["log.applied"] != run.events or run.counts.get("log.pending") or run.counts.get("log.failed"):
        raise SystemExit(f"{target.name}: not every event was applied: {dict(run.counts)}")
    expected = table_counts(bulk_url)
    out["rows"] = expected

    raws = []
    for attempt in range(args.raw_repeats):
        raw_url = target.fresh(f"raw{attempt}")
        seconds, rows = target.raw_copy(bulk_url, raw_url)
        if rows != expected or table_counts(raw_url) != expected:
            raise SystemExit(f"{target.name}: the raw copy differs: {rows} != {expected}")
        raws.append(seconds)
        console.log(f"{target.name}: raw insert of the same {sum(rows.values()):,} rows: {seconds:.1f} s = "
                    f"{run.events / seconds:,.0f} events/s")
    raw = min(raws)
    out["raw"] = {"method": "sqlite3 executemany" if target.name == "sqlite" else "psycopg executemany",
                  "seconds_each": raws, "seconds": raw, "events_per_s": run.events / raw,
                  "rows_per_s": sum(expected.values()) / raw}
    if isinstance(target, PostgresTarget) and not args.no_copy:
        copy_url = target.fresh("copy")
        seconds, _ = target.raw_copy(bulk_url, copy_url, copy=True)
        out["raw_copy"] = {"method": "psycopg COPY", "seconds": seconds, "events_per_s": run.events / seconds}
        console.log(f"{target.name}: raw COPY of the same rows: {seconds:.1f} s = {run.events / seconds:,.0f} events/s")
    out["ratio"] = raw / run.seconds
    out["target_met"] = out["ratio"] >= TARGET
    if args.per_event:
        n, seconds = per_event_run(target.fresh("per_event"), shape, args.seed, args.per_event)
        out["per_event"] = {"events": n, "seconds": seconds, "events_per_s": n / seconds}
        console.log(f"{target.name}: per-event ingest() on the first {n:,} events: {n / seconds:,.0f} events/s")
    return out


def report(results: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    console.rule(f"bulk ingestion: {results['orders']:,} orders")
    t = Table("database", "events", "bulk events/s", "raw events/s", "ratio", f"target ≥ {TARGET:.0%}",
              "per-event events/s")
    for r in results["runs"]:
        verdict = "[green]met" if r["target_met"] else "[red]missed"
        t.add_row(r["database"], f"{r['bulk']['events']:,}", f"{r['bulk']['events_per_s']:,.0f}",
                  f"{r['raw']['events_per_s']:,.0f} ({r['raw']['method']})", f"{r['ratio']:.1%}", verdict,
                  f"{r['per_event']['events_per_s']:,.0f}" if "per_event" in r else "-")
    console.print(t)
    for r in results["runs"]:
        if "raw_copy" in r:
            console.print(f"{r['database']}: against psycopg COPY ({r['raw_copy']['events_per_s']:,.0f} events/s) "
                          f"the ratio is {r['bulk']['events_per_s'] / r['raw_copy']['events_per_s']:.1%}")
    console.print(f"load average {results['machine']['loadavg_start']} → {results['machine']['loadavg_end']}")


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console

    p = argparse.ArgumentParser(prog="python -m bench.fulfilment", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=None, help="orders in the history (default 1,000,000)")
    p.add_argument("--quick", action="store_true", help="20,000 orders, one raw repeat, no per-event reference")
    p.add_argument("--chunk", type=int, default=10_000, help="events per ingest_bulk call (default 10,000)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--raw-repeats", type=int, default=None, help="raw baseline runs; the fastest counts (default 2)")
    p.add_argument("--per-event", type=int, default=None,
                   help="also time ingest() on this many first events, for reference (default 10,000; 0: skip)")
    p.add_argument("--pg", default=os.environ.get("ANXIN_BENCH_PG_URL") or None,
                   help="PostgreSQL URL (default ANXIN_BENCH_PG_URL); databases anxin_bench_* are created and dropped")
    p.add_argument("--no-pg", action="store_true", help="skip PostgreSQL even if ANXIN_BENCH_PG_URL is set")
    p.add_argument("--no-sqlite", action="store_true")
    p.add_argument("--no-copy", action="store_true", help="skip the informational psycopg COPY baseline")
    args = p.parse_args(argv)
    args.orders = args.orders or (20_000 if args.quick else 1_000_000)
    args.raw_repeats = args.raw_repeats or (1 if args.quick else 2)
    args.per_event = (0 if args.quick else 10_000) if args.per_event is None else args.per_event

    console = Console()
    started = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {"bench": "ingest-bulk", "started": started.isoformat(), "orders": args.orders,
                               "chunk": args.chunk, "seed": args.seed, "target_ratio": TARGET,
                               "machine": machine_info(), "runs": []}
    targets: list[Target] = [] if args.no_sqlite else [SqliteTarget()]
    if args.pg and not args.no_pg:
        targets.append(PostgresTarget(args.pg))
    for target in targets:
        try:
            results["runs"].append(bench_target(target, args, console))
        finally:
            target.cleanup()
    results["machine"]["loadavg_end"] = list(os.getloadavg())
    results["finished"] = dt.datetime.now(dt.UTC).isoformat()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"ingest-bulk-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    report(results, console)
    console.print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
