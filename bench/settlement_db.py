"""The settlement job through the product (issue 6): `MerchantService.settle_pending` on a real database, next to a
bare SQL aggregation of the same orders in the same run. A benchmark, not a test.

    PYTHONPATH=src python -m bench.settlement_db --orders 20000 --shops 200 [--url postgresql+psycopg://…]

Orders are bulk-ingested (1–3 lines, fresh / apparel / cosmetics, a quarter product-card orders, one shop in ten
opened within the last 30 days), then timed: (a) ``SELECT shop_id, sum(paid_fen) … GROUP BY shop_id`` (the floor: one
pass over the rows), (b) ``settle_pending`` — per order: the fee quote with its waivers frozen as an entry, the goods
payment posted to the shop's ledger, the order flagged; one transaction per 500 orders. Peak RSS from ru_maxrss.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from anxin.bootstrap import bootstrap
from anxin.core.clock import FixedClock
from anxin.settings import Settings
from bench.fixtures import RESULTS

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


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.settlement_db", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--orders", type=int, default=20_000)
    p.add_argument("--shops", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    args = p.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/settle.db"
    anxin = bootstrap(settings=Settings(database_url=url, evidence_dir=Path(tempfile.mkdtemp())),
                      clock=FixedClock(T0 + dt.timedelta(hours=1)))
    t = time.perf_counter()
    result = anxin.ingestion.ingest_bulk(events(args.orders, args.shops, args.seed))
    ingest_s = time.perf_counter() - t
    assert not result.rejected, result.rejected[:3]
    with anxin.engine.connect() as conn:
        t = time.perf_counter()
        totals = conn.execute(sa.text("SELECT shop_id, sum(paid_fen) FROM orders GROUP BY shop_id")).all()
        baseline_s = time.perf_counter() - t
    t = time.perf_counter()
    report = anxin.merchants.settle_pending(limit=10**12)
    settle_s = time.perf_counter() - t
    with anxin.engine.connect() as conn:
        fee = int(conn.scalar(sa.text("SELECT sum(fee_fen) FROM fee_entries")) or 0)
    out = {"orders": args.orders, "shops": args.shops, "dialect": anxin.engine.dialect.name,
           "ingest_s": round(ingest_s, 2), "baseline_s": round(baseline_s, 4), "settle_s": round(settle_s, 2),
           "settled": report.sales, "orders_per_s": round(report.sales / settle_s),
           "ratio": round(settle_s / baseline_s),
           "fee_fen": fee, "shops_aggregated": len(totals),
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}
    print(json.dumps(out, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"settlement-db-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
