"""The batch detection pass over a bulk-ingested history (issue 3). A benchmark, not a test.

    PYTHONPATH=src python -m bench.detect_pass --orders 100000

Ingests the deterministic history of bench/history.py through ``ingest_bulk`` into a fresh SQLite database (or
PostgreSQL with ``--pg URL``), then times ``FulfilmentService.check_all`` (every order judged: detectors, late
consequences, ETAs, notices) and a second, idle ``check_due`` (nothing due: the cost of an empty tick). Orders/s of
the pass are reported next to the ingest's events/s of the same run, as the same-machine baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

from bench.fixtures import RESULTS, machine_info
from bench.history import Shape, chunks, history
from bench.ingest_bulk import PostgresTarget, SqliteTarget, _anxin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (postgresql+psycopg://…); default: SQLite")
    args = parser.parse_args()
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console()
    target = PostgresTarget(args.pg) if args.pg else SqliteTarget()
    url = target.fresh("detect")
    anxin = _anxin(url)
    shape = Shape.for_orders(args.orders)
    events = ingest_s = 0.0
    for batch in chunks(history(shape, args.seed), 10_000):
        start = time.perf_counter()
        anxin.ingestion.ingest_bulk(batch)
        ingest_s += time.perf_counter() - start
        events += len(batch)
    console.log(f"ingested {events:,.0f} events in {ingest_s:.1f} s = {events / ingest_s:,.0f} events/s")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("check_all", total=args.orders)
        start = time.perf_counter()
        report = anxin.fulfilment.check_all(progress=lambda n: progress.advance(task, n))
        pass_s = time.perf_counter() - start
    start = time.perf_counter()
    idle = anxin.fulfilment.check_due()
    idle_s = time.perf_counter() - start
    out = {"machine": machine_info(), "database": target.name, "orders": args.orders, "events": events,
           "ingest_seconds": ingest_s, "ingest_events_per_s": events / ingest_s,
           "pass_seconds": pass_s, "pass_orders_per_s": report.orders_checked / pass_s,
           "pass": report.as_dict(), "idle_check_seconds": idle_s, "idle_checked": idle.orders_checked}
    console.log(json.dumps({k: v for k, v in out.items() if k != "machine"}, indent=1, default=str))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"detect-pass-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(out, indent=1, default=str))
    anxin.engine.dispose()
    target.cleanup()


if __name__ == "__main__":
    main()
