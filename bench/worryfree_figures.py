"""The worry-free figures of docs/worry-free.md measured in the simulator: worry-free vs other orders (24-hour ship
rate, next-day delivery, product complaint and after-sale rates) and what the programme did (enrolments, lots,
inspection verdicts against the lots' truth, holds, sold-out checkouts, bursts, pool picks, lucky bags).

    PYTHONPATH=src .venv/bin/python -m bench.worryfree_figures                       # 30 days × 50 merchants, seed 7
    PYTHONPATH=src .venv/bin/python -m bench.worryfree_figures --days 14 --merchants 20 --seed 11

A fresh SQLite file per run (``--database-url`` for PostgreSQL: an empty database). The rates are the selection
pool's metrics (``anxin.worryfree.metrics.compute``, the definitions of ``GET /v1/worry-free/metrics``) over the
orders paid in the run, judged at its end, split two ways:

- **by the worry-free flag** (``Order.worry_free``: the listing carried the tag at payment and stock was reserved),
  what ``GET /v1/worry-free/metrics`` shows;
- **by fulfilment** (``Order.fulfilled_from == "warehouse"``: stock was reserved, the warehouse ships), the same
  definitions with the warehouse flag as the group, because in a month that starts without history few listings
  earn the tag (see the tag's reasons printed) while many ship from the warehouse.

Prize orders (paid 0) are left out of both. Prints JSON (``--markdown``: the table docs/worry-free.md shows) and
writes ``bench/results/worryfree_figures-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--merchants", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--orders-per-shop-day", type=float, default=None)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--care", action="store_true", help="also simulate customer care (complaints through tickets)")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)

    import sqlalchemy as sa

    from anxin.aftersales import service as aftersales
    from anxin.bootstrap import bootstrap
    from anxin.care import service as care
    from anxin.core.clock import FixedClock
    from anxin.orders import service as orders
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    from anxin.sim import DEFAULT_START, SimConfig, simulate
    from anxin.worryfree.metrics import MetricOrder, compute

    folder = Path(tempfile.mkdtemp(prefix="wff-"))
    from bench.fixtures import machine_info

    machine = machine_info()  # at the start: the commit run and the load before it
    url = args.database_url or f"sqlite:///{folder / 'sim.db'}"
    clock = FixedClock(DEFAULT_START)
    anxin = bootstrap(settings=Settings(mode="demo", database_url=url, evidence_dir=folder / "ev", webhook_url=None),
                      clock=clock, transport=RecordingTransport())
    extra = {"orders_per_shop_day": args.orders_per_shop_day} if args.orders_per_shop_day else {}
    config = SimConfig(days=args.days, merchants=args.merchants, seed=args.seed, worry_free=True, care=args.care,
                       **extra)
    started = time.perf_counter()
    sim = simulate(anxin, config)
    seconds = time.perf_counter() - started
    wf = sim.worry_free
    assert wf is not None
    now = clock.now()
    with anxin.uow_factory() as uow:
        paid = [o for o, _ in orders.orders_paid_between(uow, None, sim.start, sim.end) if o.prize_of is None]
        ids = [o.order_id for o in paid]
        complaints = care.complaint_reasons_of_orders(uow, ids)
        with_cases = aftersales.cases_of_orders(uow, ids)
    by_flag = compute([MetricOrder(o.order_id, o.worry_free, o.paid_at, o.shipped_at, o.signed_at, o.cancelled_at)
                       for o in paid], complaints, with_cases, now=now)
    by_warehouse = compute([MetricOrder(o.order_id, o.fulfilled_from == "warehouse", o.paid_at, o.shipped_at,
                                        o.signed_at, o.cancelled_at) for o in paid], complaints, with_cases, now=now)
    with anxin.engine.connect() as conn:
        lots = conn.execute(sa.text("SELECT status, count(*) n FROM wf_lots GROUP BY status")).all()
        tags = conn.execute(sa.text("SELECT tagged, count(*) n FROM wf_tag_states GROUP BY tagged")).all()
        reasons: Counter[str] = Counter()
        for r in conn.execute(sa.text("SELECT reasons FROM wf_tag_states WHERE NOT tagged")):
            for code in (json.loads(r.reasons) if isinstance(r.reasons, str) else r.reasons or []):
                reasons[str(code)] += 1
        oversell = conn.execute(sa.text("""
            SELECT COUNT(*) FROM (
              SELECT l.lot_id, l.quantity - l.units_removed AS sellable,
                     COALESCE(SUM(CASE WHEN r.state IN ('held', 'confirmed', 'shipped') THEN r.quantity ELSE 0 END),
                              0) AS live
              FROM wf_lots l LEFT JOIN wf_reservations r ON r.lot_id = l.lot_id
              GROUP BY l.lot_id, l.quantity, l.units_removed) x WHERE x.live > x.sellable""")).scalar_one()
    # inspection against the truth: lots anxin passed or rejected, by whether their defect share was above 2.5 %
    judged: Counter[str] = Counter()
    for lot in wf.lots.values():
        verdict = wf.verdicts.get(lot.lot_id)
        if verdict is None:
            continue
        kind = "near_expiry" if lot.near_expiry else ("defective_over_2.5%" if lot.defect_share > 0.025 else "fine")
        judged[f"{kind}:{verdict}"] += 1
    result: dict[str, Any] = {
        "config": {"days": args.days, "merchants": args.merchants, "seed": args.seed, **extra, "care": args.care},
        "sim_seconds": round(seconds, 1), "orders_paid": len(paid),
        "by_worry_free_flag": {g: m.as_dict() for g, m in by_flag.items()},
        "by_warehouse": {g: m.as_dict() for g, m in by_warehouse.items()},
        "programme": dict(sorted(wf.stats.items())), "orders": dict(sorted(sim.orders.stats.items())),
        "lots_by_status": {r.status: r.n for r in lots}, "lots_judged_vs_truth": dict(sorted(judged.items())),
        "tag_states": {str(bool(r.tagged)): r.n for r in tags}, "untagged_reasons": dict(reasons.most_common()),
        "lots_oversold": oversell, "database": anxin.engine.dialect.name}
    result["machine"] = machine | {"loadavg_end": list(os.getloadavg())}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"worryfree_figures-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False, default=str))
    if args.markdown:
        print(markdown(result))
    else:
        print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1, ensure_ascii=False,
                         default=str))
    anxin.engine.dispose()
    _ = dt


def markdown(r: dict[str, Any]) -> str:
    names = {"ship_24h": "24-hour ship rate", "next_day_delivery": "next-day delivery",
             "product_complaint": "product complaint rate", "after_sale": "after-sale (case) rate"}
    out = []
    for split, title in (("by_warehouse", "shipped from the warehouse"), ("by_worry_free_flag", "worry-free flag")):
        groups = r[split]
        out.append(f"| {title} | {groups['worry_free']['orders']} orders | other: {groups['other']['orders']} "
                   f"orders |")
        out.append("| --- | --- | --- |")
        for key, name in names.items():
            a, b = groups["worry_free"][key], groups["other"][key]
            out.append(f"| {name} | {a['percent'] or '—'} ({a['num']}/{a['den']}) | {b['percent'] or '—'} "
                       f"({b['num']}/{b['den']}) |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
