"""Settlement benchmark (issue 6 §8): settle one day of a large marketplace. A benchmark, not a test: it prints
figures and never fails on a number.

    PYTHONPATH=src python -m bench.settlement                              # 5 000 000 orders, 100 000 shops
    PYTHONPATH=src python -m bench.settlement --orders 200000 --shops 5000 --rounds 1   # a small run

1. Data: one Beijing day (2025-09-10, inside every shipped waiver window, the 4.4-point rebate included) of
   ``--orders`` orders with 1–3 lines each (65 / 25 / 10 %) across ``--shops`` shops, made with NumPy from
   ``--seed`` and kept under ``var/bench/settlement`` (gitignored; reused when the parameters and the generator match).
   22 leaf categories in a realistic mix (fresh produce 10 %, apparel 30 %, food 13 %, cosmetics 12 %, 3C 11 %, the
   2025 waiver list's daily necessities, kitchenware, eyewear and accessories 13 %, …); each shop sells mostly (80 %)
   its own main category; shop activity is log-normal (a few shops take most orders); 4 % of shops opened in the last
   45 days (about two thirds of them inside the 30-day new-shop waiver); channels live 45 %, short video 25 %,
   product card 25 %, other 5 %; prices log-uniform inside each category's band, 1–3 units; 30 % of lines carry a shop
   coupon of 5–20 %. Line rows are int64 columns, as ``settle_batch`` takes them.
2. Contenders, each in a fresh subprocess (peak RSS = the ``ru_maxrss`` that ``wait4`` reports; each worker also
   reports its RSS with the input loaded), alternating in each of ``--rounds`` rounds; each worker times
   ``--repeat`` calls on the loaded rows and reports their median and the first (cold) call; medians over rounds:
   - **baseline**: a bare bulk aggregation of the same rows, ``np.bincount(shop, weights=gross)``;
   - **settle**: ``fee_tables`` (rules resolved per category) + ``settle_batch`` to per-shop totals (base, fee,
     commission, commission waived per waiver, receivable); its gross per shop must equal the baseline's;
   - **pure** (once, for reference): ``quote_order`` one order at a time on the first ``--pure-orders`` orders, the
     per-order path the service uses; its per-shop sums are checked equal to ``settle_batch`` on the same orders.

Figures are printed and written to ``--json`` (default ``bench/results/settlement-<timestamp>.json``);
docs/performance.md, "Settlement", has the measured ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.fixtures import RESULTS, machine_info

REPO = Path(__file__).resolve().parent.parent
GIB = 1024**3
DAY_START = int(dt.datetime(2025, 9, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
COLUMNS = ("shop", "category", "gross", "shop_coupon", "paid_at", "shop_opened_at", "channel", "order")

# (leaf id, parent, tags, share of lines, price band in fen)
CATEGORIES: tuple[tuple[str, str, tuple[str, ...], float, int, int], ...] = (
    ("fresh-fruit", "fresh", (), 0.05, 1_990, 12_990), ("fresh-seafood", "fresh", (), 0.03, 4_990, 29_990),
    ("eggs", "food", ("fresh",), 0.02, 1_590, 5_990),
    ("cosmetics-skincare", "cosmetics", (), 0.07, 5_900, 59_900),
    ("cosmetics-makeup", "cosmetics", (), 0.05, 3_900, 29_900),
    ("3c-phones", "3c", (), 0.03, 99_900, 699_900), ("3c-accessories", "3c", (), 0.05, 2_900, 39_900),
    ("3c-audio", "3c", (), 0.03, 9_900, 199_900),
    ("apparel-women", "apparel", (), 0.14, 5_900, 39_900), ("apparel-men", "apparel", (), 0.07, 5_900, 49_900),
    ("apparel-underwear", "apparel", (), 0.04, 2_900, 19_900), ("apparel-shoes", "apparel", (), 0.05, 9_900, 69_900),
    ("jewelry-watches", "jewelry", (), 0.02, 19_900, 399_900),
    ("food-snacks", "food", (), 0.08, 990, 9_990), ("food-drinks", "food", (), 0.05, 1_590, 15_990),
    ("daily-necessities", "home", (), 0.06, 990, 9_990), ("kitchenware", "home", (), 0.04, 1_990, 29_990),
    ("eyewear", "accessories", (), 0.01, 4_900, 59_900), ("clothing-accessories", "accessories", (), 0.02, 1_990,
                                                          19_990),
    ("home-textiles", "home", (), 0.03, 4_900, 49_900), ("toys", "", (), 0.03, 2_900, 49_900),
    ("books", "", (), 0.03, 1_990, 9_990),
)
CHANNEL_SHARES = (0.45, 0.25, 0.25, 0.05)  # live, short_video, product_card, other (CHANNELS order)


def log(msg: str) -> None:
    print(f"{dt.datetime.now():%H:%M:%S} {msg}", flush=True)


def rss_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def category_refs() -> tuple[Any, ...]:
    from anxin.merchants.categories import CategoryRef

    return tuple(CategoryRef(c, (p,) if p else (), frozenset(tags)) for c, p, tags, *_ in CATEGORIES)


# --- data ------------------------------------------------------------------------------------------------------

def make_rows(orders: int, shops: int, seed: int) -> dict[str, np.ndarray]:
    """One day of line rows, int64 columns (see the module docstring for the mix)."""
    rng = np.random.default_rng(seed)
    share = np.array([c[3] for c in CATEGORIES])
    share /= share.sum()
    lo = np.log(np.array([c[4] for c in CATEGORIES], dtype=np.float64))
    hi = np.log(np.array([c[5] for c in CATEGORIES], dtype=np.float64))
    main_category = rng.choice(len(CATEGORIES), size=shops, p=share)
    new = rng.random(shops) < 0.04
    age_days = np.where(new, rng.integers(0, 45, shops), rng.integers(60, 1_500, shops))
    opened = DAY_START - age_days * 86_400 + rng.integers(0, 86_400, shops)
    activity = rng.lognormal(0.0, 1.2, shops)
    order_shop = rng.choice(shops, size=orders, p=activity / activity.sum())
    order_paid = DAY_START + rng.integers(0, 86_400, orders)
    order_channel = rng.choice(4, size=orders, p=CHANNEL_SHARES)
    n_lines = rng.choice(np.array([1, 2, 3]), size=orders, p=[0.65, 0.25, 0.10])
    order = np.repeat(np.arange(orders, dtype=np.int64), n_lines)
    rows = len(order)
    shop = order_shop[order]
    own = rng.random(rows) < 0.8
    category = np.where(own, main_category[shop], rng.choice(len(CATEGORIES), size=rows, p=share))
    unit = np.exp(lo[category] + rng.random(rows) * (hi[category] - lo[category])).astype(np.int64)
    gross = unit * rng.choice(np.array([1, 2, 3]), size=rows, p=[0.8, 0.15, 0.05])
    coupon = np.where(rng.random(rows) < 0.3, (gross * rng.uniform(0.05, 0.2, rows)).astype(np.int64), 0)
    cols = {"shop": shop, "category": category, "gross": gross, "shop_coupon": coupon,
            "paid_at": order_paid[order], "shop_opened_at": opened[shop], "channel": order_channel[order],
            "order": order}
    return {k: np.ascontiguousarray(v, dtype=np.int64) for k, v in cols.items()}


def ensure_data(root: Path, orders: int, shops: int, seed: int) -> Path:
    generator = hashlib.sha256((inspect.getsource(make_rows) + repr(CATEGORIES)).encode()).hexdigest()[:12]
    path = root / f"o{orders}-s{shops}-seed{seed}-{generator}"
    if (path / "manifest.json").exists():
        return path
    log(f"making {orders:,} orders across {shops:,} shops in {path}")
    started = time.perf_counter()
    cols = make_rows(orders, shops, seed)
    path.mkdir(parents=True, exist_ok=True)
    for name, values in cols.items():
        np.save(path / f"{name}.npy", values)
    manifest = {"orders": orders, "shops": shops, "seed": seed, "rows": len(cols["shop"]), "generator": generator,
                "seconds": time.perf_counter() - started,
                "channel_rows": np.bincount(cols["channel"], minlength=4).tolist(),
                "new_shops_30d": int(((DAY_START - cols["shop_opened_at"]) < 30 * 86_400).sum()),
                "gross_fen": int(cols["gross"].sum())}
    (path / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return path


def load(path: Path) -> dict[str, np.ndarray]:
    return {name: np.load(path / f"{name}.npy") for name in COLUMNS}


# --- workers (one measurement per fresh process) -----------------------------------------------------------------

def timed(repeat: int, fn: Any) -> tuple[Any, dict[str, Any]]:
    """Call ``fn`` ``repeat`` times: its last result, the median seconds and the first (cold) call's."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, {"seconds": statistics.median(times), "first_seconds": times[0], "all_seconds": times}


def worker(kind: str, path: Path, pure_orders: int, args_repeat: int) -> dict[str, Any]:
    from anxin.merchants.fee_batch import fee_tables, settle_batch
    from anxin.merchants.fees import load_fees_file

    manifest = json.loads((path / "manifest.json").read_text())
    shops = manifest["shops"]
    cols = load(path)
    rules = load_fees_file()
    out: dict[str, Any] = {"kind": kind, "rss_loaded_bytes": rss_now()}
    settle_cols = {k: cols[k] for k in COLUMNS if k != "order"}
    if kind == "baseline":
        gross, times = timed(args_repeat, lambda: np.bincount(cols["shop"], weights=cols["gross"], minlength=shops))
        out["gross_sha256"] = hashlib.sha256(gross.astype(np.int64).tobytes()).hexdigest()
        out.update(times)
    elif kind == "settle":
        totals, times = timed(args_repeat, lambda: settle_batch(fee_tables(rules, category_refs()), n_shops=shops,
                                                                **settle_cols))
        out.update(times)
        out["gross_sha256"] = hashlib.sha256(totals.gross_fen.tobytes()).hexdigest()
        out.update(gross_fen=int(totals.gross_fen.sum()), base_fen=int(totals.base_fen.sum()),
                   commission_fen=int(totals.commission_fen.sum()), fee_fen=int(totals.fee_fen.sum()),
                   receivable_fen=int(totals.receivable_fen.sum()),
                   waived_fen=dict(zip(totals.waiver_ids, totals.waived_fen.sum(axis=0).tolist(), strict=True)))
    elif kind == "pure":
        out.update(pure(cols, rules, pure_orders))
    else:
        raise SystemExit(f"unknown worker {kind}")
    return out


def pure(cols: dict[str, np.ndarray], rules: Any, n_orders: int) -> dict[str, Any]:
    from anxin.merchants.fee_batch import fee_tables, settle_batch
    from anxin.merchants.fees import CHANNELS, FeeLine, FeeOrder, quote_order

    refs = category_refs()
    rows = int(np.searchsorted(cols["order"], n_orders))
    c = {k: v[:rows].tolist() for k, v in cols.items()}
    orders: list[FeeOrder] = []
    start = 0
    for i in range(1, rows + 1):  # rows of one order are consecutive
        if i == rows or c["order"][i] != c["order"][start]:
            lines = tuple(FeeLine(j - start, refs[c["category"][j]], c["gross"][j], c["shop_coupon"][j])
                          for j in range(start, i))
            orders.append(FeeOrder(str(c["order"][start]), str(c["shop"][start]),
                                   dt.datetime.fromtimestamp(c["paid_at"][start], dt.UTC),
                                   dt.datetime.fromtimestamp(c["shop_opened_at"][start], dt.UTC),
                                   CHANNELS[c["channel"][start]], lines))
            start = i
    started = time.perf_counter()
    quotes = [quote_order(o, rules, version="bench") for o in orders]
    seconds = time.perf_counter() - started
    fee: dict[int, int] = {}
    for q in quotes:
        fee[int(q.shop_id)] = fee.get(int(q.shop_id), 0) + q.fee_fen
    shops = int(cols["shop"].max()) + 1
    batch = settle_batch(fee_tables(rules, refs), n_shops=shops,
                         **{k: cols[k][:rows] for k in COLUMNS if k != "order"})
    equal = all(int(batch.fee_fen[s]) == fen for s, fen in fee.items()) and int(batch.fee_fen.sum()) == sum(
        fee.values())
    return {"seconds": seconds, "orders": len(orders), "rows": rows, "equal_to_batch": equal}


def run_worker(kind: str, path: Path, pure_orders: int, repeat: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.settlement", "--worker", kind, "--worker-data", str(path),
           "--pure-orders", str(pure_orders), "--repeat", str(repeat)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]))
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise RuntimeError(f"{kind} worker failed: {stdout[-2000:]}{err.read()[-4000:]}")
    line = next(ln for ln in reversed(stdout.splitlines()) if ln.startswith("RESULT "))
    out: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    out["peak_rss_bytes"] = usage.ru_maxrss * 1024
    return out


# --- driver ------------------------------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> dict[str, Any]:
    path = ensure_data(args.data_dir, args.orders, args.shops, args.seed)
    manifest = json.loads((path / "manifest.json").read_text())
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "settle": []}
    for r in range(args.rounds):
        for kind in ("baseline", "settle") if r % 2 == 0 else ("settle", "baseline"):
            res = run_worker(kind, path, args.pure_orders, args.repeat)
            runs[kind].append(res)
            log(f"round {r + 1}/{args.rounds}: {kind:8} {res['seconds']:7.3f} s (first call "
                f"{res['first_seconds']:.3f}) peak RSS "
                f"{res['peak_rss_bytes'] / GIB:5.2f} GiB (loaded {res['rss_loaded_bytes'] / GIB:5.2f})  load "
                f"{os.getloadavg()[0]:.1f}")
    out: dict[str, Any] = {"data": manifest, "runs": runs}
    for kind, rs in runs.items():
        seconds = statistics.median(x["seconds"] for x in rs)
        out[kind] = {"median_seconds": seconds, "seconds": [x["seconds"] for x in rs],
                     "orders_per_s": args.orders / seconds, "rows_per_s": manifest["rows"] / seconds,
                     "first_call_seconds": statistics.median(x["first_seconds"] for x in rs),
                     "peak_rss_gib": max(x["peak_rss_bytes"] for x in rs) / GIB,
                     "loaded_rss_gib": max(x["rss_loaded_bytes"] for x in rs) / GIB}
    out["settle_vs_baseline"] = out["settle"]["median_seconds"] / out["baseline"]["median_seconds"]
    out["settle_vs_baseline_rounds"] = [s["seconds"] / b["seconds"] for s, b in zip(runs["settle"], runs["baseline"],
                                                                                   strict=True)]
    out["same_gross_per_shop"] = len({x["gross_sha256"] for x in runs["baseline"] + runs["settle"]}) == 1
    out["totals"] = {k: runs["settle"][0][k] for k in ("gross_fen", "base_fen", "commission_fen", "fee_fen",
                                                       "receivable_fen", "waived_fen")}
    if args.pure_orders:
        res = run_worker("pure", path, args.pure_orders, 1)
        log(f"pure quote_order × {res['orders']:,}: {res['seconds']:.2f} s, equal to batch: {res['equal_to_batch']}")
        out["pure"] = {**res, "orders_per_s": res["orders"] / res["seconds"]}
    return out


def table(res: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    d = res["data"]
    t = Table(title=f"Settlement of one day: {d['orders']:,} orders ({d['rows']:,} lines) across {d['shops']:,} shops "
                    f"(medians of {len(res['runs']['settle'])} alternated rounds)")
    for col in ("contender", "seconds", "orders/s", "peak RSS GiB", "RSS loaded GiB", "notes"):
        t.add_column(col, justify="left" if col in ("contender", "notes") else "right")
    b, s = res["baseline"], res["settle"]
    t.add_row("baseline: np.bincount(shop, weights=gross)", f"{b['median_seconds']:.3f}", f"{b['orders_per_s']:,.0f}",
              f"{b['peak_rss_gib']:.2f}", f"{b['loaded_rss_gib']:.2f}", f"first call {b['first_call_seconds']:.3f} s")
    t.add_row("settle_batch (fee_tables included)", f"{s['median_seconds']:.3f}", f"{s['orders_per_s']:,.0f}",
              f"{s['peak_rss_gib']:.2f}", f"{s['loaded_rss_gib']:.2f}",
              f"first call {s['first_call_seconds']:.3f} s; {res['settle_vs_baseline']:.1f}× the baseline's time "
              f"(rounds "
              f"{', '.join(f'{x:.1f}' for x in res['settle_vs_baseline_rounds'])}); same gross per shop: "
              f"{res['same_gross_per_shop']}")
    if "pure" in res:
        p = res["pure"]
        t.add_row(f"pure quote_order × {p['orders']:,}", f"{p['seconds']:.3f}", f"{p['orders_per_s']:,.0f}",
                  f"{p['peak_rss_bytes'] / GIB:.2f}", f"{p['rss_loaded_bytes'] / GIB:.2f}",
                  f"equal to settle_batch: {p['equal_to_batch']}")
    Console(width=180).print(t)
    tot = res["totals"]
    print(f"gross {tot['gross_fen'] / 100:,.2f} yuan; fee {tot['fee_fen'] / 100:,.2f}; commission at category rates "
          f"{tot['commission_fen'] / 100:,.2f}; waived by waiver (yuan): "
          + ", ".join(f"{k} {v / 100:,.2f}" for k, v in tot["waived_fen"].items()))


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.settlement", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--orders", type=int, default=5_000_000)
    p.add_argument("--shops", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians reported)")
    p.add_argument("--repeat", type=int, default=5, help="timed calls inside each worker (median reported)")
    p.add_argument("--pure-orders", type=int, default=50_000, help="orders quoted one by one for reference (0: skip)")
    p.add_argument("--data-dir", type=Path, default=REPO / "var/bench/settlement")
    p.add_argument("--json", type=Path, default=None, help="result file (default bench/results/settlement-*.json)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-data", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(args.worker, args.worker_data, args.pure_orders, args.repeat)), flush=True)
        return
    info = machine_info()
    info["mem_total_gib"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    info["numpy"] = np.__version__
    started = time.perf_counter()
    results = run(args)
    info["loadavg_end"] = list(os.getloadavg())
    out = {"machine": info, "args": {k: str(v) for k, v in vars(args).items()}, "results": results,
           "wall_seconds": time.perf_counter() - started}
    table(results)
    path = args.json or RESULTS / f"settlement-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, default=str) + "\n")
    log(f"wrote {path} (wall {out['wall_seconds']:.0f} s; load average {info['loadavg_start']} → "
        f"{info['loadavg_end']})")


if __name__ == "__main__":
    main()
