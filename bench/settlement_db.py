"""The settlement job through the product (issue 6, issue 13): `merchants.settlement.settle_pending` on a real
database at several sizes, next to a bare SQL aggregation of the same orders in the same run. A benchmark, not a test.

    PYTHONPATH=src python -m bench.settlement_db --sizes 5000,20000,80000 --shops 200 [--url postgresql+psycopg://…]
    PYTHONPATH=src python -m bench.settlement_db --sizes 5000,20000,80000 --index both   # with and without, alternated

Orders are bulk-ingested (1–3 lines, fresh / apparel / cosmetics, a quarter product-card orders, one shop in ten
opened within the last 30 days), then timed: (a) ``SELECT shop_id, sum(paid_fen) … GROUP BY shop_id`` (the floor: one
pass over the rows), (b) the job's read of one batch of unsettled orders, as the job reads it and as plain driver rows
(the database's share), with its plan, (c) ``settle_pending`` — per order: the fee quote with its waivers frozen as an
entry, the goods payment posted to the shop's ledger, the order flagged; one transaction per 500 orders. Each size
starts from an empty database (a new SQLite file; on PostgreSQL the URL's database has its public schema dropped and
recreated, so give it a database of its own). ``--index without`` drops ``ix_orders_unsettled`` before ingesting, so
the batch read sorts every unsettled order as before migration 0010; ``both`` runs each size both ways, alternating
which goes first. Peak RSS from ru_maxrss.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from anxin.bootstrap import bootstrap
from anxin.core.clock import FixedClock
from anxin.settings import Settings
from bench.fixtures import RESULTS, machine_info

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
CATEGORIES = {"fruit": ["fresh"], "apparel": [], "cosmetics": ["cosmetics"]}


def events(orders: int, shops: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out: list[dict] = [{"id": f"cat-{c}", "type": "category.upserted", "occurred_at": T0.isoformat(),
                        "data": {"category_id": c, "name": c, "tags": tags}} for c, tags in CATEGORIES.items()]
    for s in range(shops):
        opened = T0 - dt.timedelta(days=rng.randrange(1, 30) if s % 10 == 0 else rng.randrange(60, 900))
        out.append({"id": f"shop-{s}", "type": "shop.upserted", "occurred_at": T0.isoformat(), "data": {
            "shop_id": f"s{s}", "merchant_id": f"m{s}", "name": f"Shop {s}", "store_type": "enterprise",
            "services": [], "opened_at": opened.isoformat()}})
        for c in CATEGORIES:
            out.append({"id": f"l-{s}-{c}", "type": "listing.upserted", "occurred_at": T0.isoformat(), "data": {
                "listing_id": f"l{s}{c}", "shop_id": f"s{s}", "category_id": c, "title": c,
                "price_fen": rng.randrange(990, 39_900)}})
    for o in range(orders):
        s = min(int(rng.paretovariate(1.2)) - 1, shops - 1)
        items = [{"listing_id": f"l{s}{rng.choice(list(CATEGORIES))}", "qty": rng.randint(1, 3),
                  "price_fen": rng.randrange(990, 39_900)} for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        gross = sum(i["qty"] * i["price_fen"] for i in items)
        coupon = gross // 10 if rng.random() < 0.3 else 0
        paid_at = T0 - dt.timedelta(seconds=rng.randrange(86_400))
        out.append({"id": f"o-{o}", "type": "order.paid", "occurred_at": paid_at.isoformat(), "data": {
            "order_id": f"o{o}", "consumer_id": f"c{o % 5000}", "shop_id": f"s{s}", "items": items,
            "paid_fen": gross - coupon, "paid_at": paid_at.isoformat(), "shop_coupon_fen": coupon,
            "channel": "product_card" if rng.random() < 0.25 else "live"}})
    return out


def _fresh_url(url: str | None, size: int) -> str:
    if url is None:
        return f"sqlite:///{tempfile.mkdtemp()}/settle-{size}.db"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a clean slate for every size
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _plan(conn: sa.Connection, stmt: sa.Select) -> list[str]:
    sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    return [" ".join(str(c) for c in row[-1:]) for row in conn.execute(sa.text(explain + sql))]


def run(size: int, args: argparse.Namespace, *, index: bool) -> dict[str, object]:
    from anxin.merchants.usecases.settlement import BATCH
    from anxin.orders.store import OrderRow

    load_start = os.getloadavg()[0]
    url = _fresh_url(args.url, size)
    anxin = bootstrap(settings=Settings(database_url=url, evidence_dir=Path(tempfile.mkdtemp())),
                      clock=FixedClock(T0 + dt.timedelta(hours=1)))
    if not index:
        with anxin.engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_orders_unsettled"))
    t = time.perf_counter()
    result = anxin.ingestion.ingest_bulk(events(size, args.shops, args.seed))
    ingest_s = time.perf_counter() - t
    assert not result.rejected, result.rejected[:3]
    o = OrderRow
    batch_query = (sa.select(o).where(o.settle_state == 0).order_by(o.paid_at, o.order_id).limit(BATCH))
    with anxin.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))
        t = time.perf_counter()
        totals = conn.execute(sa.text("SELECT shop_id, sum(paid_fen) FROM orders GROUP BY shop_id")).all()
        baseline_s = time.perf_counter() - t
        plan = _plan(conn, batch_query)
        query_ms, sql_ms = [], []
        raw = str(batch_query.compile(conn, compile_kwargs={"literal_binds": True}))
        for _ in range(5):
            t = time.perf_counter()
            conn.execute(batch_query).all()  # as the job reads it: rows with their types (JSON, instants)
            query_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            conn.exec_driver_sql(raw).fetchall()  # the database's share: plain driver rows
            sql_ms.append((time.perf_counter() - t) * 1000)
    t, cpu = time.perf_counter(), time.process_time()
    report = anxin.merchants.settlement.settle_pending(limit=10**12)
    settle_s, cpu_s = time.perf_counter() - t, time.process_time() - cpu
    with anxin.engine.connect() as conn:
        fee = int(conn.scalar(sa.text("SELECT sum(fee_fen) FROM fee_entries")) or 0)
    anxin.engine.dispose()
    return {"orders": size, "shops": args.shops, "dialect": anxin.engine.dialect.name,
            "index": index, "ingest_s": round(ingest_s, 2), "baseline_s": round(baseline_s, 4),
            "batch_query_ms": round(sorted(query_ms)[len(query_ms) // 2], 2),
            "batch_query_sql_ms": round(sorted(sql_ms)[len(sql_ms) // 2], 2), "batch_query_plan": plan,
            "settle_s": round(settle_s, 2), "settled": report.sales, "orders_per_s": round(report.sales / settle_s),
            "us_per_order": round(settle_s / report.sales * 1e6), "ratio": round(settle_s / baseline_s),
            # This process's CPU only: steadier than wall time on a shared machine, and on SQLite (in-process) it
            # is all the work; on PostgreSQL the server's share is missing from it.
            "cpu_s": round(cpu_s, 2), "cpu_us_per_order": round(cpu_s / report.sales * 1e6),
            "fee_fen": fee, "shops_aggregated": len(totals),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "loadavg_1min": [load_start, os.getloadavg()[0]]}  # the machine is shared: wall time follows this


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.settlement_db", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--sizes", default="20000", help="unsettled orders per run, comma-separated")
    p.add_argument("--orders", type=int, default=None, help="one size (the same as --sizes N)")
    p.add_argument("--shops", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--url", default=None, help="PostgreSQL URL of a database of its own (default: fresh SQLite files)")
    p.add_argument("--index", choices=("with", "without", "both"), default="with",
                   help="keep ix_orders_unsettled, drop it first (the job before migration 0010), or run both")
    args = p.parse_args()
    sizes = [args.orders] if args.orders else [int(x) for x in args.sizes.split(",")]
    runs = []
    for n, size in enumerate(sizes):
        variants = {"with": [True], "without": [False], "both": [True, False][::1 if n % 2 == 0 else -1]}
        for index in variants[args.index]:
            out = run(size, args, index=index)
            runs.append(out)
            print(json.dumps(out, indent=2), flush=True)
    print("orders  index  orders/s  us/order  cpu us/order  batch read ms (sql)  settle s  baseline s  load")
    for r in runs:
        read = f"{r['batch_query_ms']} ({r['batch_query_sql_ms']})"
        print(f"{r['orders']:>6}  {'yes' if r['index'] else 'no':>5}  {r['orders_per_s']:>8}  {r['us_per_order']:>8}  "
              f"{r['cpu_us_per_order']:>12}  {read:>19}  {r['settle_s']:>8}  {r['baseline_s']:>10}  "
              f"{r['loadavg_1min'][0]:.1f}–{r['loadavg_1min'][1]:.1f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"settlement-db-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json").write_text(
        json.dumps({"machine": machine_info(), "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
