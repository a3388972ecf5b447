"""Merchant scoring throughput and peak memory on simulated orders as Parquet (issue 4). A benchmark, not a test.

    PYTHONPATH=src python -m bench.scoring --orders 20000000
    PYTHONPATH=src python -m bench.scoring --orders 100000000 --pandas-orders 0 --skip-spark --memory-limit 3GB

1. Data: the synthetic fact tables (``anxin.scoring.synthetic``) of ``--orders`` orders, made in chunks that share
   one population of shops (each chunk its own seed and id range, two processes at a time), written as folders of
   part files (``orders/part-0000.parquet`` …) under ``--data-dir`` (default ``var/bench/scoring``, gitignored),
   plus a small deduction ledger. A ``manifest.json`` records the parameters: a folder made with the same ones is
   reused. Before timing, the files are read once so every contender finds them in the page cache.
2. Contenders, each in a fresh subprocess (its peak RSS is the ``ru_maxrss`` that ``wait4`` reports when it exits),
   alternating within each of ``--rounds`` rounds, the median reported:
   - **bare**: baseline A, a single-pass DuckDB ``GROUP BY shop_id`` of every column the score reads, table by
     table (orders, reviews, cases, complaints, chats, deductions), same files, same DuckDB settings;
   - **score**: the product's definition, ``all_steps(..., subjects=("merchant",))`` on the DuckDB engine;
   - **pandas**: baseline B, ``bench/pandas_score.py``, the same merchant score written in pandas (proved equal to
     the definition by ``tests/unit/test_pandas_score_matches.py``), at the ``--pandas-orders`` sizes;
   - **spark**: the product's Spark engine, ``local[2]``, at ``--spark-orders`` (for the record; JVM start-up
     is timed apart).
   Orders/s is the data set's orders over the seconds from loading the Parquet views to the fetched result.
3. Targets (from the issue): score ≥ 0.5 × bare throughput; score ≥ 10 × pandas; peak RSS < 4 GiB at 100 M orders.

Figures are printed as a table and written to ``--json`` (default ``bench/results/scoring-<timestamp>.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.fixtures import RESULTS, machine_info
from bench.pandas_score import COLUMNS

REPO = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 22)
GIB = 1024**3
TABLES = ("orders", "reviews", "cases", "complaints", "chats", "content_feedback", "consumers", "deductions")


def log(msg: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {msg}", flush=True)


# --- data ----------------------------------------------------------------------------------------------


def _end() -> int:
    from anxin.scoring.rulebook import load_score_rulebook

    return load_score_rulebook().day_end(AS_OF)


def _params(n_orders: int, seed: int, chunk_orders: int) -> dict[str, Any]:
    src = (REPO / "src/anxin/scoring/synthetic.py").read_bytes()
    return {"orders": n_orders, "seed": seed, "chunk_orders": chunk_orders, "end": _end(),
            "synthetic_sha256": hashlib.sha256(src).hexdigest()}


def _make_chunk(root: str, n_total: int, seed: int, index: int, offset: int, n: int, end: int) -> dict[str, int]:
    import pyarrow.parquet as pq

    from anxin.scoring.synthetic import population, synthetic_facts

    pop = population(n_total, seed=seed)
    tables, _ = synthetic_facts(n, population=pop, offset=offset, seed=seed * 1_000_003 + index + 1, end=end)
    for name, table in tables.items():
        folder = Path(root) / name
        folder.mkdir(exist_ok=True)
        pq.write_table(table, folder / f"part-{index:04d}.parquet", row_group_size=1_000_000, compression="zstd")
    return {name: t.num_rows for name, t in tables.items()}


def _make_ledger(root: Path, n_total: int, seed: int, end: int) -> dict[str, int]:
    """The consumer accounts once, and a deduction ledger: about 2 % of the shops, some expired or not yet in force."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from anxin.scoring.facts import FACTS
    from anxin.scoring.synthetic import consumer_accounts, population

    pop = population(n_total, seed=seed)
    rng = np.random.default_rng(seed + 17)
    shops = np.flatnonzero(rng.random(len(pop.quality)) < 0.02)
    n = len(shops)
    effective = end - rng.integers(-5, 120, n) * 86_400
    expires = effective + rng.integers(30, 365, n) * 86_400
    deductions = pa.table({
        "deduction_id": [f"d{i:08d}" for i in range(n)], "shop_id": [f"s{s:06d}" for s in shops],
        "points_x100": rng.choice([100, 200, 300, 500, 1000, 1500], n), "effective_at": effective,
        "expires_at": pa.array(expires, mask=rng.random(n) < 0.5),
        "kind": pa.array(np.array(["fake_orders", "fake_reviews", "bad_service"])[rng.integers(0, 3, n)])},
        schema=FACTS["deductions"].schema)
    out = {}
    for name, table in (("deductions", deductions), ("consumers", consumer_accounts(pop, seed=seed + 29, end=end))):
        (root / name).mkdir(exist_ok=True)
        pq.write_table(table, root / name / "part-0000.parquet", compression="zstd")
        out[name] = table.num_rows
    return out


def ensure_data(data_dir: Path, n_orders: int, seed: int, chunk_orders: int) -> tuple[Path, dict[str, Any]]:
    """The data set's folder, made now unless a folder with the same manifest exists."""
    params = _params(n_orders, seed, chunk_orders)
    root = data_dir / f"orders-{n_orders}-seed{seed}"
    manifest = root / "manifest.json"
    if manifest.is_file():
        old = json.loads(manifest.read_text())
        if old.get("params") == params:
            log(f"reusing {root} ({old['bytes'] / GIB:.2f} GiB, made in {old['seconds']:.0f} s)")
            return root, old
        log(f"{root} was made with other parameters: making it again")
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    free = shutil.disk_usage(root).free
    need = n_orders * 40  # about 27 bytes per order on disk; a margin
    if free < need + 2 * GIB:
        raise SystemExit(f"not enough disk under {root}: {free / GIB:.1f} GiB free, about {need / GIB:.1f} GiB needed")
    start = time.perf_counter()
    chunks = [(i, off, min(chunk_orders, n_orders - off)) for i, off in enumerate(range(0, n_orders, chunk_orders))]
    rows: dict[str, int] = {}
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        futures = [pool.submit(_make_chunk, str(root), n_orders, seed, i, off, n, params["end"])
                   for i, off, n in chunks]
        for k, f in enumerate(futures, 1):
            for name, n in f.result().items():
                rows[name] = rows.get(name, 0) + n
            log(f"  data {n_orders:,}: chunk {k}/{len(chunks)} written ({time.perf_counter() - start:.0f} s)")
    rows.update(_make_ledger(root, n_orders, seed, params["end"]))
    size = sum(f.stat().st_size for f in root.rglob("*.parquet"))
    out = {"params": params, "rows": rows, "bytes": size, "seconds": time.perf_counter() - start,
           "made_at": dt.datetime.now(dt.UTC).isoformat()}
    manifest.write_text(json.dumps(out, indent=1))
    log(f"made {root}: {size / GIB:.2f} GiB in {out['seconds']:.0f} s, rows {rows}")
    return root, out


def warm(root: Path) -> float:
    """Read every Parquet file once, so every contender starts from the page cache."""
    start = time.perf_counter()
    for f in sorted(root.rglob("*.parquet")):
        with f.open("rb") as fh:
            while fh.read(16 << 20):
                pass
    return time.perf_counter() - start


# --- contenders (each runs in its own process) --------------------------------------------------------


def bare_steps() -> list[Any]:
    """Baseline A: one GROUP BY shop_id per table over the columns the score reads, each column aggregated once."""
    from anxin.scoring.definition import Step
    from anxin.scoring.facts import FACTS

    steps = []
    for table, cols in COLUMNS.items():
        kinds = {f.name: str(f.type) for f in FACTS[table].schema}
        aggs = ", ".join(f"MAX({c}) AS {c}" if kinds[c] == "string" else f"BOOL_OR({c}) AS {c}"
                         if kinds[c] == "bool" else f"SUM({c}) AS {c}" for c in cols if c != "shop_id")
        steps.append(Step(f"bare_{table}", f"SELECT shop_id, COUNT(*) AS n, {aggs} FROM {table} GROUP BY shop_id"))
    return steps


def worker(kind: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    from anxin.scoring.rulebook import load_score_rulebook

    rb = load_score_rulebook()
    end = rb.day_end(AS_OF)
    out: dict[str, Any] = {"kind": kind}
    if kind in ("bare", "score"):
        from anxin.scoring.definition import all_steps
        from anxin.scoring.engines import DuckDBEngine

        e = DuckDBEngine(threads=args.threads, memory_limit=args.memory_limit, temp_directory=args.temp_dir)
        steps = bare_steps() if kind == "bare" else all_steps(rb, e.dialect, end, subjects=("merchant",))
        step_s: dict[str, float] = {}
        start = last = time.perf_counter()

        def tick(step: Any) -> None:
            nonlocal last
            now = time.perf_counter()
            step_s[step.name] = now - last
            last = now

        e.load_parquet(root)
        e.run(steps, progress=tick)
        scores = e.fetch("merchant_scores") if kind == "score" else e.fetch("bare_orders")
        out["seconds"] = time.perf_counter() - start
        out["steps"] = step_s
        out["duckdb_settings"] = dict(e.con.sql("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                                "('threads', 'memory_limit', 'temp_directory')").fetchall())
        out.update(_summary(scores.to_pandas()) if kind == "score" else {"groups": scores.num_rows})
        e.close()
    elif kind == "pandas":
        from bench.pandas_score import merchant_scores

        start = time.perf_counter()
        got = merchant_scores(root, rb, end)
        out["seconds"] = time.perf_counter() - start
        out.update(_summary(got["merchant_scores"]))
    elif kind == "spark":
        from anxin.scoring.definition import all_steps
        from anxin.scoring.engines import SparkEngine

        start = time.perf_counter()
        e = SparkEngine()
        out["startup_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        e.load_parquet(root)
        e.run(all_steps(rb, e.dialect, end, subjects=("merchant",)))
        scores = e.fetch("merchant_scores")
        out["seconds"] = time.perf_counter() - start
        out.update(_summary(scores.to_pandas()))
        out["descendants_hwm_bytes"] = _descendants_hwm()  # the JVM: not reported by wait4 (never waited for)
        e.close()
        e.spark.stop()
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    return out


def _summary(scores: Any) -> dict[str, Any]:
    """Enough of the result to see that every contender scored the same shops the same way."""
    total = scores.total_x100.dropna()
    return {"shops": len(scores), "eligible": int(scores.eligible.sum()), "sum_total_x100": int(total.sum()),
            "sum_raw_x100": int(scores.raw_x100.dropna().sum())}


def _descendants_hwm() -> int:
    me, kids, total = os.getpid(), {}, 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    todo = list(kids.get(me, []))
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def run_worker(kind: str, root: Path, n_orders: int, args: argparse.Namespace) -> dict[str, Any]:
    """Run one contender in a fresh process; its result and its peak RSS (wait4's ru_maxrss)."""
    cmd = [sys.executable, "-m", "bench.scoring", "--worker", kind, "--worker-data", str(root)]
    for flag, value in (("--threads", args.threads), ("--memory-limit", args.memory_limit),
                        ("--temp-dir", args.temp_dir)):
        if value:
            cmd += [flag, str(value)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]))
    wall = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:  # Spark's console chatter, shown only if the worker fails
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{kind} worker failed ({proc.returncode}): {stdout[-2000:]}{err.read()[-4000:]}")
    line = next(ln for ln in reversed(stdout.splitlines()) if ln.startswith("RESULT "))
    out = json.loads(line.removeprefix("RESULT "))
    out["process_seconds"] = time.perf_counter() - wall
    out["peak_rss_bytes"] = usage.ru_maxrss * 1024 + out.get("descendants_hwm_bytes", 0)
    out["orders"] = n_orders
    out["orders_per_s"] = n_orders / out["seconds"]
    return out


# --- the run -------------------------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    return sorted({int(float(x)) for x in text.replace("_", "").split(",") if x.strip() and float(x) > 0})


def bench_size(root: Path, n: int, kinds: Iterable[str], rounds: int, args: argparse.Namespace) -> dict[str, Any]:
    kinds = list(kinds)
    log(f"{n:,} orders: page cache warmed in {warm(root):.1f} s")
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for r in range(rounds):
        # Alternate the order between rounds; Spark runs once, in the first round, for the record.
        order = [k for k in (kinds if r % 2 == 0 else reversed(kinds)) if k != "spark" or r == 0]
        for kind in order:
            res = run_worker(kind, root, n, args)
            runs[kind].append(res)
            log(f"{n:,} orders, round {r + 1}/{rounds}: {kind:6} {res['seconds']:8.2f} s "
                f"{res['orders_per_s']:>12,.0f} orders/s  peak RSS {res['peak_rss_bytes'] / GIB:5.2f} GiB")
    out: dict[str, Any] = {"orders": n, "runs": runs}
    for kind, rs in runs.items():
        out[kind] = {"median_seconds": statistics.median(x["seconds"] for x in rs),
                     "orders_per_s": n / statistics.median(x["seconds"] for x in rs),
                     "peak_rss_gib": max(x["peak_rss_bytes"] for x in rs) / GIB}
    same = {k: (rs[0].get("eligible"), rs[0].get("sum_total_x100")) for k, rs in runs.items() if k != "bare"}
    out["same_results"] = len(set(same.values())) <= 1
    out["results_check"] = same
    if "bare" in runs and "score" in runs:
        out["score_vs_bare"] = out["bare"]["median_seconds"] / out["score"]["median_seconds"]
        out["score_vs_bare_rounds"] = [b["seconds"] / s["seconds"] for b, s in zip(runs["bare"], runs["score"],
                                                                                    strict=True)]
    if "pandas" in runs and "score" in runs:
        out["score_vs_pandas"] = out["pandas"]["median_seconds"] / out["score"]["median_seconds"]
    if "spark" in runs and "score" in runs:
        out["score_vs_spark"] = out["spark"]["median_seconds"] / out["score"]["median_seconds"]
    return out


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"Merchant scoring, as of {AS_OF} (medians of {args.rounds} rounds; DuckDB memory_limit "
                    f"{args.memory_limit or 'default'}, threads {args.threads or 'default'})")
    for col in ("orders", "contender", "seconds", "orders/s", "peak RSS GiB", "vs score", "target"):
        t.add_column(col, justify="left" if col in ("contender", "target") else "right")
    for res in results:
        n = res["orders"]
        for kind in ("bare", "score", "pandas", "spark"):
            if kind not in res:
                continue
            r = res[kind]
            ratio, target = "", ""
            if kind == "bare" and "score_vs_bare" in res:
                x = res["score_vs_bare"]
                ratio, target = f"score {x:.2f}×", f"score ≥ 0.5× bare: {'met' if x >= 0.5 else 'MISSED'}"
            if kind == "pandas" and "score_vs_pandas" in res:
                x = res["score_vs_pandas"]
                ratio, target = f"score {x:.1f}× faster", f"≥ 10× faster: {'met' if x >= 10 else 'MISSED'}"
            if kind == "spark" and "score_vs_spark" in res:
                ratio = f"score {res['score_vs_spark']:.1f}× faster"
            if kind == "score" and n >= 100_000_000:
                target = f"peak < 4 GiB: {'met' if r['peak_rss_gib'] < 4 else 'MISSED'}"
            t.add_row(f"{n:,}", kind, f"{r['median_seconds']:.2f}", f"{r['orders_per_s']:,.0f}",
                      f"{r['peak_rss_gib']:.2f}", ratio, target)
    Console(width=160).print(t)
    for res in results:
        if not res["same_results"]:
            print(f"WARNING: {res['orders']:,} orders: contenders disagree: {res['results_check']}")


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.scoring", description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=20_000_000, help="orders of the main data set (default 20 M)")
    p.add_argument("--pandas-orders", default="2000000,5000000",
                   help="comma-separated sizes for the pandas baseline, DuckDB timed there too; 0 for none")
    p.add_argument("--spark-orders", default="2000000", help="sizes for the Spark engine (local[2])")
    p.add_argument("--skip-spark", action="store_true")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per size (Spark runs once)")
    p.add_argument("--data-dir", type=Path, default=REPO / "var/bench/scoring")
    p.add_argument("--chunk-orders", type=int, default=2_000_000, help="orders per generated part file")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--memory-limit", default=None, help="DuckDB memory_limit for bare and score, e.g. 3GB")
    p.add_argument("--temp-dir", default=None, help="DuckDB temp_directory (default: --data-dir/duckdb-tmp)")
    p.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's, = cores)")
    p.add_argument("--json", type=Path, default=None, help="result file (default bench/results/scoring-*.json)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-data", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(args.worker, args.worker_data, args), default=str), flush=True)
        return
    args.temp_dir = args.temp_dir or str(args.data_dir / "duckdb-tmp")  # where DuckDB spills, if it must
    Path(args.temp_dir).mkdir(parents=True, exist_ok=True)
    pandas_sizes = set(_sizes(args.pandas_orders))
    spark_sizes = set() if args.skip_spark else set(_sizes(args.spark_orders))
    sizes = sorted({args.orders} | pandas_sizes | spark_sizes)
    info = machine_info()
    info["loadavg_start"] = list(os.getloadavg())
    info["mem_total_gib"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    from importlib.metadata import version

    info["scoring_packages"] = {d: version(d) for d in ("duckdb", "pandas", "pyarrow", "numpy", "pyspark")}
    args.data_dir.mkdir(parents=True, exist_ok=True)
    log(f"sizes {sizes}; pandas at {sorted(pandas_sizes)}; spark at {sorted(spark_sizes)}; "
        f"disk free under {args.data_dir}: {shutil.disk_usage(args.data_dir).free / GIB:.0f} GiB")
    started = time.perf_counter()
    results, data = [], {}
    for n in sizes:
        root, manifest = ensure_data(args.data_dir, n, args.seed, args.chunk_orders)
        data[n] = {"root": str(root), **manifest}
        kinds = ["bare", "score"] + (["pandas"] if n in pandas_sizes else []) + (["spark"] if n in spark_sizes else [])
        results.append(bench_size(root, n, kinds, args.rounds, args))
    info["loadavg_end"] = list(os.getloadavg())
    out = {"machine": info, "as_of": str(AS_OF), "args": {k: str(v) for k, v in vars(args).items()},
           "data": data, "results": results, "wall_seconds": time.perf_counter() - started}
    table(results, args)
    path = args.json or RESULTS / f"scoring-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, default=str) + "\n")
    log(f"wrote {path} (wall {out['wall_seconds']:.0f} s; load average {info['loadavg_start']} → "
        f"{info['loadavg_end']})")


if __name__ == "__main__":
    main()
