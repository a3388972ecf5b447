"""The service report's run time at 1 M and 10 M orders, against a bare DuckDB aggregation of the same facts (issue
17). A benchmark, not a test.

    PYTHONPATH=src python -m bench.report_scale                      # 1 M and 10 M orders, 3 rounds
    PYTHONPATH=src python -m bench.report_scale --orders 1000000 --rounds 5 --spark

1. Data: the report's fact tables for ``--orders`` orders over October and November 2026, made directly as Arrow
   tables (``anxin.reports.synthetic``, no database) and written as a snapshot (one Parquet file per table, the
   product's ``write_snapshot``, so the fingerprint is computed once and timed) under ``--data-dir`` (default
   ``var/bench/report``, gitignored). A folder made with the same parameters is reused.
2. Contenders, alternating within each of ``--rounds`` rounds, each on a fresh in-process DuckDB connection over the
   same Parquet files (read once beforehand, so both find them in the page cache), the median reported:
   - **report**: the product's path from a snapshot: ``DuckDBEngine.load`` then ``figures.compute`` (every figure
     for the period and the comparison, then the daily series of the period: two statements);
   - **bare**: one aggregate per fact table reading the same columns the figures read (``COUNT(*)``, ``SUM`` of
     every instant and amount, ``COUNT`` of every text column), without windows, joins, distinct counts or medians:
     the cost of reading the facts once, the floor any report over them pays.
   The ratio is report / bare per round, median over rounds.
3. Also measured once per size: the fingerprint of the snapshot (canonical sort and sha256, what ``build`` pays to
   know whether a stored report answers), and with ``--spark`` the Spark engine's run after one warm-up run.

Figures are printed and written to ``--json`` (default ``bench/results/report_scale-<timestamp>.json``) with the
machine, the commit and the parameters; docs/report.md quotes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from bench.fixtures import RESULTS, machine_info

REPO = Path(__file__).resolve().parent.parent
PERIOD, COMPARE = "2026-11", "2026-10"


def log(msg: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {msg}", flush=True)


def _windows() -> tuple[Any, Any, Any, Any]:
    from anxin.reports.model import parse_period, windows

    period, compare = parse_period(PERIOD), parse_period(COMPARE)
    main, other = windows(period, compare, dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    return period, compare, main, other


def _params(n: int, seed: int) -> dict[str, Any]:
    src = (REPO / "src/anxin/reports/synthetic.py").read_bytes() + (REPO / "src/anxin/reports/facts.py").read_bytes()
    return {"orders": n, "seed": seed, "period": PERIOD, "compare": COMPARE,
            "synthetic_sha256": hashlib.sha256(src).hexdigest()}


def make_data(root: Path, n: int, seed: int) -> dict[str, Any]:
    """The snapshot folder for ``n`` orders (reused when its parameters match): path, rows, bytes, timings."""
    from anxin.reports.snapshots import write_snapshot
    from anxin.reports.synthetic import synthetic_facts

    folder = root / f"orders-{n}"
    params = _params(n, seed)
    meta = folder / "bench.json"
    if meta.is_file() and json.loads(meta.read_text())["params"] == params:
        log(f"reusing {folder}")
        return json.loads(meta.read_text())
    period, compare, main, other = _windows()
    log(f"generating {n:,} orders")
    t0 = time.perf_counter()
    tables = synthetic_facts(n, since=other.lo, until=main.hi, seed=seed)
    generated = time.perf_counter() - t0
    log(f"generated in {generated:.1f} s: " + ", ".join(f"{k} {v.num_rows:,}" for k, v in tables.items()))
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    snap = write_snapshot(tables, folder, since=compare.start, until=period.end)
    written = time.perf_counter() - t0
    del tables
    size = sum(p.stat().st_size for p in snap.root.glob("*.parquet"))
    out = {"params": params, "root": str(snap.root), "fingerprint": snap.fingerprint, "rows": snap.rows,
           "optional": list(snap.optional), "parquet_bytes": size, "generate_s": round(generated, 2),
           "write_with_fingerprint_s": round(written, 2)}
    meta.write_text(json.dumps(out, indent=2))
    log(f"snapshot {snap.fingerprint[:12]}… written in {written:.1f} s ({size / 2**20:.0f} MiB)")
    return out


# The columns the figures read, per fact table (definition.py): the bare aggregation reads exactly these.
READ = {
    "orders": ["shop_id", "paid_at", "presale", "shipped_at", "cancelled_at"],
    "reviews": ["rating", "posted_at"],
    "cases": ["consumer_id", "case_type", "opened_at", "shipped_at_filing", "instant", "settled_at", "refunded_fen",
              "compensated_fen", "freight_claim_fen", "freight_claimed_at", "freight_held_at"],
    "risk_verdicts": ["consumer_id", "ring_member", "decided_at"],
    "risk_reviews": ["stage", "consumer_id", "amount_fen", "state", "decided_at"],
    "fulfilment_findings": ["kind", "found_at"],
    "complaints": ["reason", "filed_at"],
    "chats": ["opened_at", "to_human_at", "first_reply_at"],
    "appeals": ["appellant_type", "filed_at", "decided_at", "state"],
    "inspection_samples": ["shop_id", "drawn_at"],
    "listing_checks": ["listing_id", "outcome", "checked_at"],
    "violations": ["kind", "shop_id", "recorded_at", "reversed_at"],
    "consultations": ["opened_at", "channel", "topic", "shop_id"],
    "tickets": ["channel", "opened_at", "resolved_at"],
    "satisfaction": ["rating", "rated_at"],
}


def bare_sql() -> str:
    from anxin.reports.facts import FACTS

    parts = []
    for name, cols in READ.items():
        types = {f.name: str(f.type) for f in FACTS[name].schema}
        aggs = ["COUNT(*)"] + [f"SUM({c})" if types[c] == "int64" else
                               f"SUM(CASE WHEN {c} THEN 1 ELSE 0 END)" if types[c] == "bool" else f"COUNT({c})"
                               for c in cols]
        parts.append(f"SELECT '{name}' AS t, CAST({' + '.join(f'COALESCE(CAST({a} AS HUGEINT), 0)' for a in aggs)} "
                     f"AS DOUBLE) AS v FROM {name}")
    return " UNION ALL ".join(parts)


def run_report(root: Path, optional: list[str], threads: int | None) -> tuple[float, Any]:
    from anxin.reports.engines import DuckDBEngine
    from anxin.reports.figures import compute

    _, _, main, other = _windows()
    t0 = time.perf_counter()
    eng = DuckDBEngine(threads=threads)
    eng.load(root)
    figures, _ = compute(eng, main, other, optional)
    seconds = time.perf_counter() - t0
    eng.close()
    return seconds, figures


def run_bare(root: Path, threads: int | None) -> float:
    from anxin.reports.engines import DuckDBEngine

    t0 = time.perf_counter()
    eng = DuckDBEngine(threads=threads)
    eng.load(root)
    eng.query(bare_sql())
    seconds = time.perf_counter() - t0
    eng.close()
    return seconds


def run_fingerprint(root: Path, since: int, until: int, optional: list[str]) -> tuple[float, str]:
    from anxin.reports.canonical import fingerprint

    tables = {p.stem: pq.read_table(p) for p in root.glob("*.parquet")}
    t0 = time.perf_counter()
    digest = fingerprint(tables, since=since, until=until, present=optional)
    return time.perf_counter() - t0, digest


def run_spark(root: Path, optional: list[str]) -> dict[str, Any]:
    from anxin.reports.engines import SparkEngine
    from anxin.reports.figures import compute

    _, _, main, other = _windows()
    t0 = time.perf_counter()
    eng = SparkEngine()
    started = time.perf_counter() - t0
    eng.load(root)
    t0 = time.perf_counter()
    compute(eng, main, other, optional)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    figures, _ = compute(eng, main, other, optional)
    second = time.perf_counter() - t0
    return {"session_start_s": round(started, 2), "first_run_s": round(first, 2), "run_s": round(second, 2),
            "figures": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's)")
    parser.add_argument("--data-dir", type=Path, default=REPO / "var/bench/report")
    parser.add_argument("--spark", action="store_true", help="also time the Spark engine at the smallest size")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    results: dict[str, Any] = {"command": "PYTHONPATH=src python -m bench.report_scale " + " ".join(
        argv if argv is not None else sys.argv[1:]), "machine": machine_info(), "sizes": []}
    _, _, main, other = _windows()
    for n in args.orders:
        data = make_data(args.data_dir, n, args.seed)
        root = Path(data["root"])
        for p in root.glob("*.parquet"):  # into the page cache
            p.read_bytes()
        report_s, bare_s, ratios, figures = [], [], [], None
        for r in range(args.rounds):
            order = ("report", "bare") if r % 2 == 0 else ("bare", "report")
            times: dict[str, float] = {}
            for who in order:
                if who == "report":
                    times["report"], figures = run_report(root, data["optional"], args.threads)
                else:
                    times["bare"] = run_bare(root, args.threads)
            report_s.append(times["report"])
            bare_s.append(times["bare"])
            ratios.append(times["report"] / times["bare"])
            log(f"{n:,} orders, round {r + 1}: report {times['report']:.2f} s, bare {times['bare']:.2f} s, "
                f"ratio {ratios[-1]:.2f}")
        fp_s, digest = run_fingerprint(root, other.lo, main.hi, data["optional"])
        assert digest == data["fingerprint"], "the snapshot read back has another fingerprint"
        log(f"{n:,} orders: fingerprint {fp_s:.2f} s")
        size = {"orders": n, "rows": data["rows"], "parquet_mib": round(data["parquet_bytes"] / 2**20, 1),
                "generate_s": data["generate_s"], "write_with_fingerprint_s": data["write_with_fingerprint_s"],
                "report_s": [round(x, 3) for x in report_s], "bare_s": [round(x, 3) for x in bare_s],
                "ratio": [round(x, 2) for x in ratios],
                "report_median_s": round(statistics.median(report_s), 3),
                "bare_median_s": round(statistics.median(bare_s), 3),
                "ratio_median": round(statistics.median(ratios), 2),
                "orders_per_s": round(n / statistics.median(report_s)),
                "fingerprint_s": round(fp_s, 2),
                "figures": {f.key: [f.value, f.compare] for f in figures or ()}}
        if args.spark and n == min(args.orders):
            log("spark …")
            spark = run_spark(root, data["optional"])
            same = spark.pop("figures") == figures
            size["spark"] = {**spark, "same_figures_as_duckdb": same}
            log(f"spark: {spark}, same figures as DuckDB: {same}")
        results["sizes"].append(size)
    results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out = args.json or RESULTS / f"report_scale-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print()
    print(f"{'orders':>12} {'report s':>9} {'bare s':>8} {'ratio':>6} {'orders/s':>12} {'fingerprint s':>14}")
    for s in results["sizes"]:
        print(f"{s['orders']:>12,} {s['report_median_s']:>9.2f} {s['bare_median_s']:>8.2f} {s['ratio_median']:>6.2f} "
              f"{s['orders_per_s']:>12,} {s['fingerprint_s']:>14.2f}")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
