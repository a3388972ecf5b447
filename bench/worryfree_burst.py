"""现货保障 under a live-stream burst: 10,000 checkout reservations in 30 simulated minutes against one listing family
with limited stock, from real concurrent clients, on SQLite and PostgreSQL. Oversell must be 0.

    PYTHONPATH=src python -m bench.worryfree_burst                       # SQLite (a scratch file), 8 threads
    PYTHONPATH=src python -m bench.worryfree_burst --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db
    PYTHONPATH=src python -m bench.worryfree_burst --clients 16 --processes 4 --checkouts 10000

What happens (the same arrivals, quantities and abandonments for the target and its baseline):
- A shop with one product in three variants (one listing each: the family), enrolled in the programme; each variant
  has three passed lots with different expiry dates (FEFO has a choice). Stock is set to ``--stock-share`` (0.8) of
  the units the checkouts ask for, so the end of the burst sells out and the service must refuse.
- ``--checkouts`` arrivals are drawn from the simulator's live-stream burst process (``anxin.sim.bursts``: several
  "上链接" waves decaying over minutes) inside ``--minutes`` simulated minutes; each asks for 1 (80 %), 2 (15 %) or
  3 (5 %) units of a variant (50/30/20 %). The clients take the arrivals in order and run each at its simulated
  instant as fast as the database lets them (the simulated 30 minutes are compressed into whatever the run takes).
- A checkout is ``worryfree.service.reserve`` (holder ``order:<id>``, source checkout, hold 15 simulated minutes)
  in its own unit of work — what ``POST /v1/worry-free/reservations`` runs; 10 % of held checkouts are abandoned
  (``release``), the others paid (``confirm``), each in its own unit of work right after, by the same client.
- Clients: ``--clients`` threads, spread over ``--processes`` processes (each bootstraps its own anxin on the same
  database: separate connection pools, no shared GIL).
- Oversell check by count queries after the run: per lot, the units held by live reservations (held, confirmed,
  shipped) against the lot's sellable units (quantity − units removed), and ``units_available`` against what is
  left; oversell = Σ max(0, reserved − sellable). Also the clients' own tally: units granted − units released ≤ stock.
- Baseline, same run, same database, same arrivals: a bare conditional ``UPDATE … SET available = available − q
  WHERE id = :lot AND available >= q`` over the variant's lots in FEFO order, one transaction per checkout (and the
  abandonments adding the units back). That is the floor any correct reservation costs; the ratio is what the
  service's reservation rows, FEFO shelf-life checks and idempotency add.

Prints a table and writes ``bench/results/worryfree_burst-<db>-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
T0 = dt.datetime(2026, 11, 11, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # 双11, 20:00 in Beijing
SHOP = {"shop_id": "shop-wfb", "merchant_id": "m-wfb", "name": "Burst flagship", "store_type": "enterprise",
        "services": ["anxin_gou"]}
VARIANTS = (("wfb-l1", 0.5), ("wfb-l2", 0.3), ("wfb-l3", 0.2))
QTYS = ((1, 0.80), (2, 0.15), (3, 0.05))
LOTS_PER_VARIANT = 3
ABANDON = 0.10
HOLD = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Checkout:
    n: int
    at_s: float  # simulated seconds after T0
    listing_id: str
    qty: int
    abandon: bool

    @property
    def order_id(self) -> str:
        return f"wfb-o{self.n:06d}"

    @property
    def at(self) -> dt.datetime:
        return T0 + dt.timedelta(seconds=self.at_s)


def checkouts(seed: int, n: int, minutes: float) -> list[Checkout]:
    from anxin.sim.bursts import arrivals, live_burst

    rng = random.Random(seed)
    offsets = arrivals(rng, live_burst(rng, minutes=minutes), n)
    out = []
    for i, s in enumerate(offsets):
        listing = rng.choices([v for v, _ in VARIANTS], [w for _, w in VARIANTS])[0]
        qty = rng.choices([q for q, _ in QTYS], [w for _, w in QTYS])[0]
        out.append(Checkout(i, s, listing, qty, rng.random() < ABANDON))
    return out


def lot_plan(demand: dict[str, int], stock_share: float) -> list[dict[str, Any]]:
    """Three lots per variant splitting ``stock_share`` of its demanded units, expiring a month apart."""
    lots = []
    for listing_id, _ in VARIANTS:
        total = max(LOTS_PER_VARIANT, round(demand.get(listing_id, 0) * stock_share))
        for k in range(LOTS_PER_VARIANT):
            q = total // LOTS_PER_VARIANT + (1 if k < total % LOTS_PER_VARIANT else 0)
            lots.append({"lot_id": f"{listing_id}-lot{k + 1}", "listing_id": listing_id, "quantity": q,
                         "produced_on": "2026-10-01", "expires_on": f"2027-{4 + k:02d}-01",
                         "supplier_id": "sup-wfb", "received_at": (T0 - dt.timedelta(days=2 - k * 0.1)).isoformat()})
    return lots


# --- the system under test: anxin's reservation use case -----------------------------------------------------------

def _bootstrap(url: str, *, migrate: bool) -> Any:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings

    settings = Settings(database_url=url, evidence_dir=Path(tempfile.mkdtemp(prefix="wfb-ev-")), webhook_url=None)
    return bootstrap(settings=settings, clock=FixedClock(T0), transport=RecordingTransport(), run_migrations=migrate)


def seed(anxin: Any, lots: list[dict[str, Any]]) -> None:
    """Category, shop, the family's listings and their lots through ingestion; enrolment and verdicts through the
    programme's services (the inspection itself is H2's and is not what this bench measures)."""
    from anxin.worryfree import service as wf

    at = T0 - dt.timedelta(days=3)

    def ev(eid: str, etype: str, data: dict[str, Any], when: dt.datetime = at) -> dict[str, Any]:
        return {"id": eid, "type": etype, "occurred_at": when.isoformat(), "data": data}

    events = [ev("wfb-cat", "category.upserted", {"category_id": "wfb-snacks", "name": "Snacks", "tags": ["food"]}),
              ev("wfb-shop", "shop.upserted", SHOP)]
    for listing_id, _ in VARIANTS:
        events.append(ev(f"wfb-{listing_id}", "listing.upserted", {
            "listing_id": listing_id, "shop_id": SHOP["shop_id"], "category_id": "wfb-snacks",
            "title": f"直播爆款坚果礼盒 {listing_id[-1]}号", "price_fen": 5990}))
    for lot in lots:
        events.append(ev(f"wfb-{lot['lot_id']}", "warehouse.lot_received", lot,
                         dt.datetime.fromisoformat(lot["received_at"])))
    result = anxin.ingestion.ingest(events)
    if result.rejected or result.pending:
        raise SystemExit(f"seeding failed: {result.as_dict()}")
    with anxin.uow_factory() as uow:
        for lot in lots:
            wf.set_lot_verdict(uow, lot["lot_id"], status="passed", units_removed=0, at=T0 - dt.timedelta(days=1))
        uow.commit()


class AnxinClient:
    """One client: a checkout is ``anxin.worryfree.hold`` (what ``POST /v1/worry-free/reservations`` runs: one unit
    of work, committed); an abandoned one is ``drop`` (``DELETE …``); a paid one is confirmed (what the payment path
    does for a held order) in a unit of work of its own. The simulated clock moves with the arrivals."""

    def __init__(self, anxin: Any, clock_lock: threading.Lock) -> None:
        from anxin.core.errors import AnxinError
        from anxin.worryfree import stock

        self.anxin, self.stock, self.error, self.lock = anxin, stock, AnxinError, clock_lock

    def checkout(self, c: Checkout) -> str:
        with self.lock:  # the burst's simulated time: never backwards
            if self.anxin.clock.now() < c.at:
                self.anxin.clock.set(c.at)
        try:
            self.anxin.worryfree.hold(c.order_id, [(c.listing_id, c.qty)])
        except self.error as exc:
            if exc.code.value.endswith("out_of_stock"):
                return "out_of_stock"
            raise
        if c.abandon:
            self.anxin.worryfree.drop(c.order_id)
            return "released"
        with self.anxin.uow_factory() as uow:
            self.stock.confirm(uow, holder=f"order:{c.order_id}", at=self.anxin.clock.now())
            uow.commit()
        return "reserved"


def anxin_oversell(engine: sa.Engine) -> dict[str, Any]:
    """The count queries: units held by live reservations per lot against what the lot may sell."""
    q = sa.text("""
        SELECT l.lot_id, l.quantity, l.units_removed, l.units_available,
               COALESCE(SUM(CASE WHEN r.state IN ('held', 'confirmed', 'shipped') THEN r.quantity ELSE 0 END), 0)
                 AS live
        FROM wf_lots l LEFT JOIN wf_reservations r ON r.lot_id = l.lot_id
        WHERE l.listing_id IN ('wfb-l1', 'wfb-l2', 'wfb-l3')
        GROUP BY l.lot_id, l.quantity, l.units_removed, l.units_available ORDER BY l.lot_id""")
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    lots = [{"lot_id": r.lot_id, "sellable": r.quantity - r.units_removed, "live_reserved": int(r.live),
             "units_available": r.units_available} for r in rows]
    return {"lots": lots,
            "oversell": sum(max(0, x["live_reserved"] - x["sellable"]) for x in lots),
            "negative_available": sum(1 for x in lots if x["units_available"] < 0),
            "books_balance": all(x["units_available"] + x["live_reserved"] == x["sellable"] for x in lots)}


# --- the baseline: a bare conditional UPDATE loop ------------------------------------------------------------------

BASE_TABLE = "wfb_baseline_stock"


def baseline_seed(engine: sa.Engine, lots: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {BASE_TABLE}"))
        conn.execute(sa.text(f"CREATE TABLE {BASE_TABLE} (lot_id VARCHAR(64) PRIMARY KEY, listing_id VARCHAR(64) "
                             f"NOT NULL, expires_on VARCHAR(10) NOT NULL, quantity INTEGER NOT NULL, "
                             f"available INTEGER NOT NULL CHECK (available >= 0))"))
        conn.execute(sa.text(f"INSERT INTO {BASE_TABLE} VALUES (:lot_id, :listing_id, :expires_on, :quantity, "
                             f":quantity)"), lots)


class BaselineClient:
    def __init__(self, engine: sa.Engine, lots: list[dict[str, Any]]) -> None:
        self.engine = engine
        self.fefo: dict[str, list[str]] = {}
        for lot in sorted(lots, key=lambda x: (x["expires_on"], x["lot_id"])):
            self.fefo.setdefault(lot["listing_id"], []).append(lot["lot_id"])
        self.take = sa.text(f"UPDATE {BASE_TABLE} SET available = available - :q WHERE lot_id = :id "
                            f"AND available >= :q")
        self.give = sa.text(f"UPDATE {BASE_TABLE} SET available = available + :q WHERE lot_id = :id")

    def checkout(self, c: Checkout) -> str:
        with self.engine.begin() as conn:
            got = next((lot for lot in self.fefo[c.listing_id]
                        if conn.execute(self.take, {"q": c.qty, "id": lot}).rowcount == 1), None)
        if got is None:
            return "out_of_stock"
        if c.abandon:
            with self.engine.begin() as conn:
                conn.execute(self.give, {"q": c.qty, "id": got})
            return "released"
        return "reserved"


def baseline_oversell(engine: sa.Engine, granted: dict[str, int]) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT listing_id, SUM(quantity) q, SUM(available) a FROM {BASE_TABLE} "
                                    f"GROUP BY listing_id")).all()
    return {"oversell": sum(max(0, granted.get(r.listing_id, 0) - r.q) for r in rows),
            "books_balance": all(r.a + granted.get(r.listing_id, 0) == r.q for r in rows)}


# --- driving the clients -------------------------------------------------------------------------------------------

@dataclass
class Tally:
    reserved: int = 0
    released: int = 0
    out_of_stock: int = 0
    errors: int = 0
    units_kept: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)


def _run_threads(make: Callable[[], Any], work: list[Checkout], threads: int) -> Tally:
    """``threads`` clients taking the next arrival in order from a shared cursor."""
    lock, cursor = threading.Lock(), [0]
    tally = Tally()

    def run() -> None:
        client = make()
        while True:
            with lock:
                i = cursor[0]
                cursor[0] += 1
            if i >= len(work):
                return
            c = work[i]
            t = time.perf_counter()
            try:
                outcome = client.checkout(c)
            except Exception as exc:  # counted and shown: a bench never hides a failure
                outcome = "error"
                with lock:
                    if len(tally.error_samples) < 5:
                        tally.error_samples.append(f"{type(exc).__name__}: {exc}"[:300])
            ms = (time.perf_counter() - t) * 1000
            with lock:
                tally.latencies_ms.append(ms)
                if outcome == "reserved":
                    tally.reserved += 1
                    tally.units_kept[c.listing_id] = tally.units_kept.get(c.listing_id, 0) + c.qty
                elif outcome == "released":
                    tally.released += 1
                elif outcome == "out_of_stock":
                    tally.out_of_stock += 1
                else:
                    tally.errors += 1

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return tally


def _process_main(kind: str, url: str, work: list[Checkout], threads: int, lots: list[dict[str, Any]],
                  out: Any) -> None:
    if kind == "anxin":
        anxin = _bootstrap(url, migrate=False)
        lock = threading.Lock()
        tally = _run_threads(lambda: AnxinClient(anxin, lock), work, threads)
        anxin.engine.dispose()
    else:
        engine = _engine(url)
        tally = _run_threads(lambda: BaselineClient(engine, lots), work, threads)
        engine.dispose()
    out.put(asdict(tally))


def _engine(url: str) -> sa.Engine:
    from anxin.db.engine import make_engine

    return make_engine(url)


def drive(kind: str, url: str, work: list[Checkout], clients: int, processes: int, lots: list[dict[str, Any]],
          anxin: Any = None) -> tuple[Tally, float]:
    started = time.perf_counter()
    if processes <= 1:
        if kind == "anxin":
            lock = threading.Lock()
            tally = _run_threads(lambda: AnxinClient(anxin, lock), work, clients)
        else:
            engine = _engine(url)
            tally = _run_threads(lambda: BaselineClient(engine, lots), work, clients)
            engine.dispose()
        return tally, time.perf_counter() - started
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    per = max(1, clients // processes)
    # each process takes every processes-th arrival, in order: together they still run the burst in time order
    procs = [ctx.Process(target=_process_main, args=(kind, url, work[p::processes], per, lots, out))
             for p in range(processes)]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    total = Tally()
    for part in parts:
        total.reserved += part["reserved"]
        total.released += part["released"]
        total.out_of_stock += part["out_of_stock"]
        total.errors += part["errors"]
        for k, v in part["units_kept"].items():
            total.units_kept[k] = total.units_kept.get(k, 0) + v
        total.latencies_ms += part["latencies_ms"]
        total.error_samples += part["error_samples"]
    return total, time.perf_counter() - started


def _summary(t: Tally, seconds: float, n: int) -> dict[str, Any]:
    lat = sorted(t.latencies_ms) or [0.0]
    return {"checkouts": n, "reserved_paid": t.reserved, "reserved_abandoned": t.released,
            "out_of_stock": t.out_of_stock, "errors": t.errors, "error_samples": t.error_samples,
            "seconds": round(seconds, 2), "checkouts_per_s": round(n / seconds, 1),
            "latency_ms": {"p50": round(statistics.median(lat), 2), "p99": round(lat[int(0.99 * (len(lat) - 1))], 2),
                           "max": round(lat[-1], 2)}}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("ANXIN_TEST_DATABASE_URL") or None,
                    help="default: ANXIN_TEST_DATABASE_URL, else a scratch SQLite file (an empty database)")
    ap.add_argument("--checkouts", type=int, default=10_000)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--stock-share", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args(argv)
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='wfb-')) / 'burst.db'}"
    from bench.fixtures import machine_info

    machine = machine_info()  # at the start: the commit run and the load before it
    work = checkouts(args.seed, args.checkouts, args.minutes)
    demand: dict[str, int] = {}
    for c in work:
        demand[c.listing_id] = demand.get(c.listing_id, 0) + c.qty
    lots = lot_plan(demand, args.stock_share)
    from anxin.sim.bursts import peak_per_minute

    anxin = _bootstrap(url, migrate=True)
    dialect = anxin.engine.dialect.name
    if anxin.ingestion.stats():  # a previous run's holds would answer "already held": measure on an empty database
        raise SystemExit("the database already holds events: point --database-url at an empty one (createdb)")
    seed(anxin, lots)
    print(f"{dialect}: {len(work)} checkouts in {args.minutes:g} simulated minutes (busiest minute "
          f"{peak_per_minute([c.at_s for c in work])}), {sum(demand.values())} units asked, "
          f"{sum(x['quantity'] for x in lots)} in stock over {len(lots)} lots; {args.clients} clients in "
          f"{args.processes} process(es)", flush=True)
    tally, seconds = drive("anxin", url, work, args.clients, args.processes, lots, anxin)
    check = anxin_oversell(anxin.engine)
    granted_units = sum(tally.units_kept.values())
    result: dict[str, Any] = {
        "database": dialect, "args": vars(args) | {"database_url": url.split("@")[-1]},
        "stock_units": sum(x["quantity"] for x in lots), "asked_units": sum(demand.values()),
        "busiest_minute": peak_per_minute([c.at_s for c in work]),
        "anxin": _summary(tally, seconds, len(work)) | {"units_granted_and_kept": granted_units, **check}}
    print(f"  anxin     {result['anxin']['checkouts_per_s']:>8} checkouts/s  oversell {check['oversell']}  "
          f"books balance {check['books_balance']}  reserved {tally.reserved} abandoned {tally.released} "
          f"out of stock {tally.out_of_stock} errors {tally.errors}", flush=True)
    if not args.no_baseline:
        baseline_seed(anxin.engine, lots)
        btally, bseconds = drive("baseline", url, work, args.clients, args.processes, lots)
        bcheck = baseline_oversell(anxin.engine, btally.units_kept)
        result["baseline"] = _summary(btally, bseconds, len(work)) | bcheck
        result["ratio_anxin_to_baseline"] = round(result["anxin"]["checkouts_per_s"]
                                                  / result["baseline"]["checkouts_per_s"], 3)
        print(f"  baseline  {result['baseline']['checkouts_per_s']:>8} checkouts/s  oversell {bcheck['oversell']}  "
              f"reserved {btally.reserved} abandoned {btally.released} out of stock {btally.out_of_stock} "
              f"errors {btally.errors}   anxin/baseline {result['ratio_anxin_to_baseline']}", flush=True)
    result["machine"] = machine | {"loadavg_end": list(os.getloadavg())}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"worryfree_burst-{dialect}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"  written: {path}")
    anxin.engine.dispose()
    if check["oversell"] or not check["books_balance"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
