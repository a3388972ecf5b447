"""The worry-free tag job (``worryfree.tags``) and enrolment under load: a report, not a timed test. From the
repository root::

    PYTHONPATH=src python -m bench.worryfree_tags                      # 50 shops × 40 listings, 30 orders a shop
    PYTHONPATH=src python -m bench.worryfree_tags --shops 10 --listings 10
    ANXIN_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/anxin_bench \
        PYTHONPATH=src python -m bench.worryfree_tags

Seeds categories, shops, listings and paid/shipped orders through ingestion, enrols every listing through the
enrolment use case (timed: enrolments per second, each deciding and evaluating the tag at once), gives half the
listings a passed lot, then times the job's full pass (``Tags.run_due``) twice: the first pass evaluates every listing
(shop figures computed once per shop per pass), the second finds nothing to change. Also: 16 concurrent enrolments of
one listing, which must make one enrolment. Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from anxin.bootstrap import bootstrap
from anxin.core.clock import FixedClock
from anxin.core.principal import Principal, Role
from anxin.settings import Settings
from anxin.worryfree import service as wf

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
OPS = Principal("bench", Role.OPERATOR, "ops-bench")


def _ev(i: str, etype: str, at: dt.datetime, **data: Any) -> dict[str, Any]:
    return {"id": i, "type": etype, "occurred_at": at.isoformat(), "data": data}


def run(url: str | None, shops: int, listings: int, orders: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{tmp}/bench.db"
        if url.startswith("postgresql"):
            with sa.create_engine(url).begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        clock = FixedClock(T0 + 20 * 24 * H)
        anxin = bootstrap(settings=Settings(database_url=url, evidence_dir=Path(tmp) / "ev",
                                            webhook_url="http://127.0.0.1:9/unused", webhook_secret="bench"),
                          clock=clock)
        anxin.wf_tags.score = lambda uow, shop_id: 9000  # every shop in band excellent: the tag depends on stock
        events = [_ev("c", "category.upserted", T0, category_id="food", name="食品", tags=["food"])]
        for s in range(shops):
            events.append(_ev(f"s{s}", "shop.upserted", T0, shop_id=f"s{s}", merchant_id=f"m{s}", name=f"Shop {s}",
                              store_type="enterprise", services=[]))
            for n in range(listings):
                events.append(_ev(f"l{s}_{n}", "listing.upserted", T0, listing_id=f"l{s}_{n}", shop_id=f"s{s}",
                                  category_id="food", title=f"L {s} {n}", price_fen=990))
            for o in range(orders):
                paid = T0 + o * H
                events.append(_ev(f"o{s}_{o}", "order.paid", paid, order_id=f"o{s}_{o}", consumer_id=f"c{o}",
                                  shop_id=f"s{s}", items=[{"listing_id": f"l{s}_0", "qty": 1, "price_fen": 990}],
                                  paid_fen=990, paid_at=paid.isoformat()))
                events.append(_ev(f"sh{s}_{o}", "order.shipped", paid + 3 * H, order_id=f"o{s}_{o}", carrier="sf",
                                  tracking_no=f"SF{s}x{o}", shipped_at=(paid + 3 * H).isoformat()))
        result = anxin.ingestion.ingest_bulk(events)
        assert not result.rejected, result.as_dict()
        ids = [f"l{s}_{n}" for s in range(shops) for n in range(listings)]
        started = time.perf_counter()
        for lid in ids:
            anxin.wf_enrolments.enrol(OPS, lid)
        enrol_s = time.perf_counter() - started
        lots = []
        for i, lid in enumerate(ids[::2]):
            lots.append(_ev(f"lot{i}", "warehouse.lot_received", T0, lot_id=f"lot{i}", listing_id=lid, quantity=10,
                            produced_on="2026-11-01", expires_on="2027-11-01", supplier_id="sup",
                            received_at=T0.isoformat()))
        assert not anxin.ingestion.ingest(lots).rejected
        with anxin.uow_factory() as uow:
            for i in range(len(lots)):
                wf.set_lot_verdict(uow, f"lot{i}", status="passed", units_removed=0, at=T0)
            uow.commit()
        anxin.process_events()  # each LotPassed re-tags its listing
        passes = []
        for _ in range(2):
            started = time.perf_counter()
            evaluated = anxin.wf_tags.run_due()
            passes.append({"evaluated": evaluated, "seconds": round(time.perf_counter() - started, 3)})
        with anxin.engine.connect() as conn:
            tagged = conn.execute(sa.text("SELECT count(*) FROM wf_tag_states WHERE tagged")).scalar()
            changes = conn.execute(sa.text("SELECT change, count(*) FROM wf_tag_history GROUP BY change")).all()
        from concurrent.futures import ThreadPoolExecutor
        anxin.ingestion.ingest([_ev("lrace", "listing.upserted", T0, listing_id="lrace", shop_id="s0",
                                    category_id="food", title="race", price_fen=990)])
        with ThreadPoolExecutor(16) as pool:
            outcomes = list(pool.map(lambda _: anxin.wf_enrolments.enrol(OPS, "lrace")[1], range(16)))
        with anxin.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT count(*) FROM wf_enrolments WHERE listing_id = 'lrace'")).scalar()
        anxin.engine.dispose()
        return {"database": url.split(":")[0], "shops": shops, "listings": len(ids), "orders_per_shop": orders,
                "enrolments_per_s": round(len(ids) / enrol_s, 1), "job_passes": passes,
                "listings_per_s_first_pass": round(passes[0]["evaluated"] / passes[0]["seconds"], 1),
                "tagged": tagged, "history": {c: n for c, n in changes},
                "race": {"requests": 16, "decided": sum(outcomes), "rows": rows}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shops", type=int, default=50)
    p.add_argument("--listings", type=int, default=40)
    p.add_argument("--orders", type=int, default=30)
    a = p.parse_args()
    out = [run(None, a.shops, a.listings, a.orders)]
    if os.environ.get("ANXIN_BENCH_PG_URL"):
        out.append(run(os.environ["ANXIN_BENCH_PG_URL"], a.shops, a.listings, a.orders))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
