"""What recording `catalog.listing_upserted` costs bulk ingestion of listings, before/after in the same run.

    PYTHONPATH=src .venv/bin/python -m bench.catalog_events [--listings 40000] [--rounds 3]
    PYTHONPATH=src .venv/bin/python -m bench.catalog_events --postgres postgresql+psycopg://postgres@127.0.0.1/db

A stream of listing.upserted events (every listing once, then a newer version of half of them and an older,
ignored one of a tenth; descriptions of ~120 characters) goes through ``IngestionService.ingest_bulk`` (chunks of
10 000) into a fresh database, alternately with the bulk entry that records the event (``after``: the product) and
with the one before it (``before``: newer-wins only). The message bus is attached as in production and nothing
subscribes, so the events are dropped at commit. Only the ingest_bulk calls are timed; medians per variant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.fixtures import bootstrap_bench

T0 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
TEXT = "产地直发，坏果包赔。冷链发货，收到请尽快冷藏。个头大小不一，以实物为准。最近天气炎热，发货加冰袋。" * 3


def stream(n: int, shops: int = 200) -> list[dict[str, Any]]:
    def ev(i: int, etype: str, data: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
        return {"id": f"e{i}", "type": etype, "occurred_at": at.isoformat(), "data": data}

    out = [ev(0, "category.upserted", {"category_id": "c1", "name": "水果", "tags": ["fresh"]}, T0)]
    out += [ev(1 + s, "shop.upserted", {"shop_id": f"s{s}", "merchant_id": f"m{s}", "name": f"店{s}",
                                        "store_type": "enterprise", "services": []}, T0) for s in range(shops)]
    k = len(out)
    for version, ids, hours in (("v1", range(n), 1), ("v2", range(0, n, 2), 3), ("old", range(0, n, 10), 2)):
        for i in ids:
            k += 1
            data = {"listing_id": f"l{i}", "shop_id": f"s{i % shops}", "category_id": "c1",
                    "title": f"赣南脐橙 {version} {i}号", "price_fen": 2990, "description": f"{version}{TEXT}"}
            out.append(ev(k, "listing.upserted", data, T0 + dt.timedelta(hours=hours)))
    return out


def run(url: str, events: list[dict[str, Any]], variant: str) -> tuple[float, int]:
    from anxin.ingest import handlers
    from anxin.ingest.handlers import HANDLERS

    entry = HANDLERS["listing.upserted"]
    old = replace(entry, bulk=handlers._upsert("listing", "listing_id"))
    anxin = bootstrap_bench(url, Path(tempfile.mkdtemp()))
    HANDLERS["listing.upserted"] = entry if variant == "after" else old
    try:
        start = time.perf_counter()
        result = anxin.ingestion.ingest_bulk(events)
        seconds = time.perf_counter() - start
    finally:
        HANDLERS["listing.upserted"] = entry
    if result.rejected or result.pending:
        raise SystemExit(f"unexpected: {result.as_dict()}")
    with anxin.engine.connect() as conn:
        logged = conn.scalar(sa.text("select count(*) from domain_events")) or 0
    anxin.engine.dispose()
    return seconds, logged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listings", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose public schema may be dropped (else SQLite)")
    args = parser.parse_args()
    events = stream(args.listings)
    n = sum(e["type"] == "listing.upserted" for e in events)
    times: dict[str, list[float]] = {"before": [], "after": []}
    tmp = Path(tempfile.mkdtemp())
    for r in range(args.rounds):
        for variant in (("before", "after") if r % 2 == 0 else ("after", "before")):
            if args.postgres:
                url = args.postgres
                engine = sa.create_engine(url)
                with engine.begin() as conn:
                    conn.execute(sa.text("drop schema public cascade; create schema public"))
                engine.dispose()
            else:
                url = f"sqlite:///{tmp}/{variant}{r}.db"
            seconds, logged = run(url, events, variant)
            times[variant].append(seconds)
            print(f"round {r} {variant:6s} {seconds:7.2f} s  {len(events) / seconds:8.0f} events/s  logged={logged}")
    before, after = statistics.median(times["before"]), statistics.median(times["after"])
    print(f"{len(events)} events ({n} listing.upserted, {args.listings // 2 + args.listings // 10} not the first "
          f"version; {args.listings + args.listings // 2} applied); median before {before:.2f} s, after {after:.2f} s: "
          f"{(after - before) / before:+.1%}, {(after - before) / n * 1e6:+.1f} µs per listing event")


if __name__ == "__main__":
    main()
