"""After-sale decision benchmark: in-process latency and HTTP throughput. A benchmark, not a test.

Run from the repository root (see bench/README.md and docs/performance.md)::

    PYTHONPATH=src python -m bench.decide           # full run, a few minutes
    PYTHONPATH=src python -m bench.decide --quick   # smoke run, well under a minute
    ANXIN_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test PYTHONPATH=src python -m bench.decide

What it measures, each against a baseline taken in the same run (the machine is shared and noisy,
so only ratios travel between machines):

1. ``anxin.aftersales.policy.decide`` on prepared facts over a mix of five claims (instant refund,
   7-day on fresh produce, spoilage, quality, counterfeit), timed call by call with
   ``time.perf_counter_ns``; baseline: a trivial function with the same signature timed the same way.
   Then ``AfterSalesService.file_case`` (validation, reads, decision, case + events + outbox, commit)
   on SQLite in a temporary directory (and on PostgreSQL if asked), one case per order, FixedClock.
2. ``POST /v1/aftersales/cases`` over HTTP: a real uvicorn (1 worker, log-level warning) serving
   ``create_app(anxin)`` against a database pre-filled with orders and consumer keys, and two baselines:
   "write", a FastAPI endpoint that validates the same body model and commits one row (INSERT + COMMIT
   through SQLAlchemy with anxin's engine settings, same driver, same database), the fair baseline of the
   target; and "bare", which only parses the body (information). All are loaded with the same client (wrk
   with a Lua script when installed, else a built-in asyncio client in a separate process), the same
   concurrency and duration, in turn; median reported. Then anxin alone at 64 connections, for errors.

Results are printed and written to ``bench/results/decide-<timestamp>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.fixtures import HERE, RESULTS, bootstrap_bench, machine_info, seed
from bench.http_load import (
    Backend,
    PostgresBackend,
    SqliteBackend,
    py_client,
    run_py_client,
    run_wrk,
    serve,
    server,
    write_lua,
)
from bench.inprocess import bench_decide, bench_service, bench_service_trivial


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench_backend(backend: Backend, args: argparse.Namespace, work: Path, progress: Any,
                  console: Any) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    evidence_dir = work / "evidence"
    need_http = 0 if args.no_http else args.orders
    n_orders = max(args.cases + args.service_warmup, need_http)
    out: dict[str, Any] = {"backend": backend.name}
    if isinstance(backend, PostgresBackend):
        out["server_version"] = backend.server_version

    # Template: migrated, seeded through the product path, then copied per run.
    anxin = bootstrap_bench(backend.template_url(), evidence_dir)
    seeded = seed(anxin, n_orders, progress)
    anxin.engine.dispose()
    out["seed"] = {"orders": n_orders, "consumers": len(seeded.keys), "seconds": round(seeded.seconds, 1)}
    console.log(f"{backend.name}: seeded {n_orders} orders, {len(seeded.keys)} consumer keys "
                f"in {seeded.seconds:.1f} s")

    # Service path on its own copy.
    url = backend.fresh_copy("svc")
    anxin = bootstrap_bench(url, evidence_dir, migrate=False)
    trivial_uow = bench_service_trivial(anxin, 2000)
    svc = bench_service(anxin, seeded, args.cases, args.service_warmup, progress)
    anxin.engine.dispose()
    backend.drop_copy(url)
    svc["baseline_empty_uow"] = trivial_uow
    svc["ratio_p50_vs_empty_uow"] = svc["p50_us"] / trivial_uow["p50_us"]
    out["service"] = svc
    console.log(f"{backend.name}: file_case p50 {svc['p50_us']:.0f} µs, p99 {svc['p99_us']:.0f} µs "
                f"over {svc['cases']} cases")

    if args.no_http:
        return out
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    lua = work / "post_case.lua"
    spec = work / "client.json"
    write_lua(lua, seeded.keys, seeded.evidence_sha, n_orders)
    spec.write_text(json.dumps({"keys": seeded.keys, "sha": seeded.evidence_sha, "n_orders": n_orders}))
    runs: dict[str, list[dict[str, Any]]] = {"anxin": [], "write": [], "bare": []}
    http_task = progress.add_task(f"{backend.name}: HTTP runs",
                                  total=3 * args.rounds + (1 if args.serial_probe else 0) + 1)
    order = ["anxin", "write", "bare"]
    for rnd in range(args.rounds):
        for target in order[rnd % 3:] + order[:rnd % 3]:  # rotate, so no server always runs first
            url = backend.fresh_copy(f"http{rnd}{target}") if target != "bare" else "sqlite://"
            with server(target, url, evidence_dir, work / f"server-{target}.log") as (port, pid):
                progress.update(http_task, description=(
                    f"{backend.name}: round {rnd + 1}/{args.rounds}: {target} (pid {pid}), warm-up "
                    f"{args.warmup_seconds:g} s then {args.seconds:g} s at c={args.concurrency}"))
                progress.refresh()
                load = run_wrk if use_wrk else run_py_client
                warm = load(port, lua if use_wrk else spec, args.warmup_seconds, args.concurrency, 0)
                offset = warm.issued + args.concurrency
                res = load(port, lua if use_wrk else spec, args.seconds, args.concurrency, offset)
            progress.advance(http_task)
            progress.refresh()
            if target != "bare":
                backend.drop_copy(url)
            exhausted = res.wrapped > 0 and target == "anxin"
            runs[target].append({"round": rnd + 1, "rps": res.rps, "ok_2xx": res.s2xx, "non_2xx": res.non2xx,
                                 "socket_errors": res.errors, "seconds": res.seconds,
                                 "latency_p50_ms": res.lat_p50_ms, "latency_p99_ms": res.lat_p99_ms,
                                 "warmup_ok_2xx": warm.s2xx, "warmup_non_2xx": warm.non2xx,
                                 "orders_exhausted": exhausted, "client": res.client})
            console.log(f"{backend.name}: round {rnd + 1} {target:5s}: {res.rps:8.1f} req/s 2xx "
                        f"(non-2xx {res.non2xx or 0}, errors {res.errors or 0}, "
                        f"p50 {res.lat_p50_ms:.1f} ms, p99 {res.lat_p99_ms:.1f} ms)")
            if exhausted:
                console.log(f"[red]orders ran out ({n_orders}); use a larger --orders")
    serial = None
    if args.serial_probe:  # information: the same anxin run with one connection, to show what concurrency costs
        url = backend.fresh_copy("httpserial")
        with server("anxin", url, evidence_dir, work / "server-anxin.log") as (port, pid):
            progress.update(http_task, description=f"{backend.name}: anxin at concurrency 1 (pid {pid})")
            progress.refresh()
            load = run_wrk if use_wrk else run_py_client
            warm = load(port, lua if use_wrk else spec, args.warmup_seconds, 1, 0)
            res = load(port, lua if use_wrk else spec, args.seconds, 1, warm.issued + 1)
        backend.drop_copy(url)
        progress.advance(http_task)
        progress.refresh()
        serial = {"rps": res.rps, "ok_2xx": res.s2xx, "non_2xx": res.non2xx, "latency_p50_ms": res.lat_p50_ms,
                  "latency_p99_ms": res.lat_p99_ms, "orders_exhausted": res.wrapped > 0}
        console.log(f"{backend.name}: anxin at concurrency 1: {res.rps:.1f} req/s 2xx "
                    f"(p50 {res.lat_p50_ms:.1f} ms, p99 {res.lat_p99_ms:.1f} ms)")
    # Errors at many connections: anxin alone, 64 connections by default.
    url = backend.fresh_copy("httpmany")
    with server("anxin", url, evidence_dir, work / "server-anxin.log") as (port, pid):
        progress.update(http_task, description=f"{backend.name}: anxin at {args.many} connections (pid {pid})")
        progress.refresh()
        load = run_wrk if use_wrk else run_py_client
        res = load(port, lua if use_wrk else spec, args.seconds, args.many, 0)
    backend.drop_copy(url)
    progress.advance(http_task)
    progress.refresh()
    five = sum(v for k, v in res.non2xx.items() if k.startswith("5"))
    many = {"concurrency": args.many, "rps": res.rps, "ok_2xx": res.s2xx, "non_2xx": res.non2xx,
            "socket_errors": res.errors, "errors": five + sum(res.errors.values()),
            "latency_p50_ms": res.lat_p50_ms, "latency_p99_ms": res.lat_p99_ms, "orders_exhausted": res.wrapped > 0}
    console.log(f"{backend.name}: anxin at {args.many} connections: {res.rps:.1f} req/s 2xx, "
                f"errors {many['errors']} (non-2xx {res.non2xx or 0}, socket {res.errors or 0})")
    a = median([r["rps"] for r in runs["anxin"]])
    w = median([r["rps"] for r in runs["write"]])
    b = median([r["rps"] for r in runs["bare"]])
    p99 = median([r["latency_p99_ms"] for r in runs["anxin"]])
    out["http"] = {"client": "wrk" if use_wrk else "asyncio", "concurrency": args.concurrency,
                   "seconds": args.seconds, "warmup_seconds": args.warmup_seconds, "rounds": args.rounds,
                   "runs": runs, "anxin_concurrency_1": serial, "anxin_many": many, "anxin_rps_median": a,
                   "write_rps_median": w, "bare_rps_median": b,
                   "ratio": a / b if b else None, "ratio_write": a / w if w else None,
                   "anxin_p99_ms": p99,
                   # The targets: >= 0.5x the one-write baseline, p99 <= 150 ms, 0 errors at 64.
                   "target_ratio": 0.5, "target_met": bool(w) and a / w >= 0.5,
                   "target_p99_ms": 150.0, "p99_met": p99 <= 150.0, "many_met": many["errors"] == 0}
    return out


# --- report ------------------------------------------------------------------------------------------

def report(results: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    m = results["machine"]
    console.rule("after-sale decision benchmark")
    if m.get("git"):
        g = m["git"]
        console.print(f"code: {g['commit'][:10]}" + (f" with {len(g['changed_files'])} uncommitted changes"
                                                     if g["changed_files"] else ""))
    console.print(f"{m['nproc']} CPUs ({m['cpu_model']}), Python {m['python']}, SQLite {m['sqlite']}, "
                  f"FastAPI {m['packages']['fastapi']}, uvicorn {m['packages']['uvicorn']}; "
                  f"load average at start {m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f}")
    d = results.get("decide")
    if d:
        t = Table(title=f"1. in-process policy.decide ({d['calls']} calls after {d['warmup']} warm-up)")
        for col in ("what", "p50 µs", "p99 µs", "max µs", "p50 ratio vs trivial call"):
            t.add_column(col, justify="right" if col != "what" else "left")
        b = d["baseline_trivial_call"]
        t.add_row("trivial call (baseline)", f"{b['p50_us']:.2f}", f"{b['p99_us']:.2f}", f"{b['max_us']:.1f}", "1")
        t.add_row("[bold]decide, whole mix", f"{d['decide']['p50_us']:.1f}", f"{d['decide']['p99_us']:.1f}",
                  f"{d['decide']['max_us']:.1f}", f"{d['ratio_p50_vs_trivial']:.0f}x")
        for name, s in d["per_kind"].items():
            t.add_row(f"  {name} → {s['outcome']}", f"{s['p50_us']:.1f}", f"{s['p99_us']:.1f}",
                      f"{s['max_us']:.1f}", f"{s['p50_us'] / b['p50_us']:.0f}x")
        console.print(t)
        verdict = "[green]met" if d["target_met"] else "[red]MISSED"
        console.print(f"target in-process p99 ≤ 1000 µs: {verdict}[/] (p99 {d['decide']['p99_us']:.1f} µs)")
    for be in results["backends"]:
        s = be["service"]
        t = Table(title=f"1b. AfterSalesService.file_case on {be['backend']} ({s['cases']} cases)")
        for col in ("what", "p50 µs", "p99 µs", "max µs"):
            t.add_column(col, justify="right" if col != "what" else "left")
        e = s["baseline_empty_uow"]
        t.add_row("empty unit of work (baseline)", f"{e['p50_us']:.0f}", f"{e['p99_us']:.0f}", f"{e['max_us']:.0f}")
        t.add_row("[bold]file_case", f"{s['p50_us']:.0f}", f"{s['p99_us']:.0f}", f"{s['max_us']:.0f}")
        console.print(t)
        console.print(f"outcomes: {s['outcomes']}; p50 is {s['ratio_p50_vs_empty_uow']:.0f}x an empty unit of work")
        sql = ", ".join(f"{k} {sum(v.values())} ({' '.join(f'{n} {c}' for c, n in v.items())})"
                        for k, v in s["sql_statements_per_case"].items())
        console.print(f"SQL statements per file_case: {sql}")
        console.print(f"authenticate (one per HTTP request): p50 {s['authenticate']['p50_us']:.0f} µs, "
                      f"p99 {s['authenticate']['p99_us']:.0f} µs")
        h = be.get("http")
        if not h:
            continue
        t = Table(title=f"2. POST /v1/aftersales/cases on {be['backend']}: {h['client']}, c={h['concurrency']}, "
                        f"{h['seconds']:g} s x {h['rounds']} rounds")
        for col in ("server", "runs (2xx req/s)", "median req/s", "non-2xx", "p50 ms", "p99 ms"):
            t.add_column(col, justify="right" if col != "server" else "left")
        for target in ("anxin", "write", "bare"):
            runs = h["runs"].get(target) or []
            if not runs:
                continue
            non = {}
            for r in runs:
                for k, v in r["non_2xx"].items():
                    non[k] = non.get(k, 0) + v
            t.add_row(target, ", ".join(f"{r['rps']:.0f}" for r in runs),
                      f"{h[f'{target}_rps_median']:.0f}", str(non or 0),
                      f"{median([r['latency_p50_ms'] for r in runs]):.1f}",
                      f"{median([r['latency_p99_ms'] for r in runs]):.1f}")
        console.print(t)
        if h.get("anxin_concurrency_1"):
            one = h["anxin_concurrency_1"]
            console.print(f"anxin at concurrency 1 (information): {one['rps']:.0f} req/s, "
                          f"p50 {one['latency_p50_ms']:.1f} ms, p99 {one['latency_p99_ms']:.1f} ms")
        def met(ok: bool) -> str:
            return "[green]met[/]" if ok else "[red]MISSED[/]"

        ratio = f"{h['ratio'] * 100:.1f} %" if h["ratio"] is not None else "no 2xx from the bare server"
        console.print(f"anxin/bare (information; the bare endpoint writes nothing): {ratio}")
        ratio_w = f"{h['ratio_write'] * 100:.1f} %" if h.get("ratio_write") is not None else "no 2xx from write"
        console.print(f"target anxin/write (validate + one INSERT+COMMIT, same database) ≥ 50 %: "
                      f"{met(h['target_met'])} ({ratio_w})")
        console.print(f"target p99 ≤ 150 ms at {h['concurrency']} connections: {met(h['p99_met'])} "
                      f"({h['anxin_p99_ms']:.1f} ms)")
        many = h["anxin_many"]
        console.print(f"target 0 errors at {many['concurrency']} connections: {met(h['many_met'])} "
                      f"({many['errors']} errors, {many['ok_2xx']} 2xx, non-2xx {many['non_2xx'] or 0})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.decide", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="short smoke run")
    p.add_argument("--seconds", type=float, default=None, help="measured seconds per HTTP run (default 10)")
    p.add_argument("--warmup-seconds", type=float, default=None, help="warm-up seconds per HTTP run (default 2)")
    p.add_argument("--rounds", type=int, default=None, help="rounds of anxin, write and bare in turn (default 3)")
    p.add_argument("--concurrency", type=int, default=16, help="HTTP connections (default 16)")
    p.add_argument("--many", type=int, default=64, help="connections of the errors run (default 64)")
    p.add_argument("--calls", type=int, default=None, help="timed decide() calls (default 50000)")
    p.add_argument("--cases", type=int, default=None, help="timed file_case calls (default 2000)")
    p.add_argument("--orders", type=int, default=None,
                   help="orders pre-filled for the HTTP runs (default 6000; each run gets a fresh copy)")
    p.add_argument("--pg", nargs="?", const=os.environ.get("ANXIN_BENCH_PG_URL", ""),
                   default=os.environ.get("ANXIN_BENCH_PG_URL") or None,
                   help="also run on PostgreSQL (URL, or ANXIN_BENCH_PG_URL); a database anxin_bench_* is "
                        "created and dropped")
    p.add_argument("--pg-prefix", default="anxin_bench",
                   help="name prefix of the databases created on PostgreSQL (default anxin_bench)")
    p.add_argument("--no-pg", action="store_true", help="skip PostgreSQL even if ANXIN_BENCH_PG_URL is set")
    p.add_argument("--no-http", action="store_true", help="only the in-process parts")
    p.add_argument("--python-client", action="store_true",
                   help="use the built-in asyncio client even if wrk is installed")
    p.add_argument("--no-serial-probe", dest="serial_probe", action="store_false", default=None,
                   help="skip the extra anxin run at concurrency 1 (information; skipped by --quick)")
    p.add_argument("--serve", help=argparse.SUPPRESS)
    p.add_argument("--serve-db", help=argparse.SUPPRESS)
    p.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--serve-evidence", help=argparse.SUPPRESS)
    p.add_argument("--client", type=int, help=argparse.SUPPRESS)
    p.add_argument("--client-spec", help=argparse.SUPPRESS)
    p.add_argument("--client-seconds", type=float, help=argparse.SUPPRESS)
    p.add_argument("--client-offset", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.serve:
        serve(args.serve, args.serve_db, args.serve_port, args.serve_evidence)
        return 0
    if args.client:
        py_client(args.client, args.client_spec, args.client_seconds, args.concurrency, args.client_offset)
        return 0

    q = args.quick
    args.seconds = args.seconds or (3.0 if q else 10.0)
    args.warmup_seconds = args.warmup_seconds or (1.0 if q else 2.0)
    args.rounds = args.rounds or (1 if q else 3)
    args.calls = args.calls or (20000 if q else 50000)
    args.cases = args.cases or (1000 if q else 2000)
    args.service_warmup = 50 if q else 100
    args.orders = args.orders or (2500 if q else 6000)
    args.serial_probe = (not q) if args.serial_probe is None else args.serial_probe
    if args.no_pg or args.pg == "":
        args.pg = None

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console()
    results: dict[str, Any] = {"started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                               "argv": sys.argv[1:], "machine": machine_info(),
                               "options": {k: v for k, v in vars(args).items()
                                           if not k.startswith(("serve", "client")) and k != "pg"},
                               "backends": []}
    results["options"]["pg"] = bool(args.pg)
    work = Path(tempfile.mkdtemp(prefix="anxin-bench-"))
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, auto_refresh=False, transient=False)
    try:
        with progress:
            results["decide"] = bench_decide(args.calls, 5000, progress, console)
            backends: list[Callable[[], Backend]] = [lambda: SqliteBackend(work / "sqlite")]
            if args.pg:
                backends.append(lambda: PostgresBackend(args.pg, prefix=args.pg_prefix))
            for make in backends:
                backend = make()
                try:
                    results["backends"].append(bench_backend(backend, args, work / backend.name, progress, console))
                finally:
                    backend.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["loadavg_end"] = list(os.getloadavg())
    report(results, console)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"decide-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"results written to {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

