"""The simulator's honest overlap (``anxin.sim.overlap``): how often it reaches risk's thresholds, and how many honest
requests carry each overlap in a run. A benchmark, not a test. Run from the repository root::

    PYTHONPATH=src python -m bench.sim_overlap                  # parcel draws only (seconds)
    ANXIN_OLIST_DIR=/work/shared/data/olist PYTHONPATH=src python -m bench.sim_overlap --sim --days 30 --merchants 50

Parcel draws: honest return parcels (goods of 300, 800 and 1 500 g, carriers and routes at random) through
``overlap.freight``; of those declared above the tariff, the share above the risk rulebook's tariff and the share at
``F.FREIGHT_ABOVE_TARIFF``'s 100 % excess; of the light ones, the share under ``F.LIGHT_PARCEL``'s 40 %.

``--sim``: one run as ``bench/risk_quality.py`` runs it (risk enforcing, the default mix); per overlap, the honest
requests carrying it and how many of those risk held at filing (a risk review on the request itself).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path
from typing import Any

from anxin.risk.model import tariff_fen
from anxin.risk.rulebook import load_risk_rulebook
from anxin.sim import overlap
from anxin.sim.freight import TARIFFS, honest_return


def parcel_draws(n: int = 20_000, seed: int = 11) -> dict[str, Any]:
    rb = load_risk_rulebook()
    rng, orng = random.Random(seed), random.Random(seed + 1)
    excess: list[int] = []
    light: list[int] = []
    for goods in (300, 800, 1500):
        for _ in range(n):
            carrier, same = rng.choice(sorted(TARIFFS)), rng.random() < 0.5
            base = honest_return(rng, carrier, goods, same_province=same, home="home", work=None)
            parcel, kinds = overlap.freight(orng, base, carrier, same_province=same, goods_g=goods)
            if "freight_above_tariff" in kinds:
                t = tariff_fen(parcel.weight_g, same_province=same, first_kg_fen=rb.tariff.first_kg_fen,
                               extra_kg_fen=rb.tariff.extra_kg_fen,
                               cross_province_extra_fen=rb.tariff.cross_province_extra_fen)
                excess.append((parcel.freight_fen - t) * 100 // t)
            if "light_return" in kinds:
                light.append(parcel.weight_g * 100 // goods)
    return {"parcels": 3 * n, "above_tariff": len(excess),
            "above_rulebook_tariff": sum(e > 0 for e in excess) / len(excess),
            "at_freight_rule": sum(e >= 100 for e in excess) / len(excess),
            "light": len(light), "under_light_rule": sum(w < 40 for w in light) / len(light)}


def sim_counts(days: int, merchants: int, seed: int) -> dict[str, Any]:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    from anxin.sim import SimConfig, Simulation

    config = SimConfig(days=days, merchants=merchants, seed=seed)
    with tempfile.TemporaryDirectory(prefix="anxin-sim-overlap-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'o.db'}", evidence_dir=Path(tmp) / "evidence",
                            webhook_secret="bench-sim-overlap", risk_mode="enforce")
        anxin = bootstrap(settings=settings, clock=FixedClock(config.start), transport=RecordingTransport())
        sim = Simulation(anxin, config).run()
        anxin.engine.dispose()
    honest = [k for k in sim.cases.claims if k.genuine]
    return {"requests": len(sim.cases.claims), "honest": len(honest),
            "honest_with_overlap": sum(bool(k.overlaps) for k in honest),
            "by_overlap": {o: sum(o in k.overlaps for k in honest) for o in overlap.OVERLAPS},
            "held_by_risk_at_filing": {o: sum(o in k.overlaps and "~risk" in k.path for k in honest)
                                       for o in overlap.OVERLAPS},
            "no_overlap_held_by_risk_at_filing": sum(not k.overlaps and "~risk" in k.path for k in honest)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sim", action="store_true", help="also run the simulator and count the overlaps")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--merchants", type=int, default=50)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    d = parcel_draws()
    print(f"parcel draws: {d['parcels']} honest parcels; {d['above_tariff']} declared above the carrier's tariff, "
          f"{d['above_rulebook_tariff']:.0%} of them above the rulebook's tariff, {d['at_freight_rule']:.0%} at "
          f"F.FREIGHT_ABOVE_TARIFF (>= 100 %); {d['light']} light, {d['under_light_rule']:.0%} of them under "
          "F.LIGHT_PARCEL (< 40 %)")
    if args.sim:
        s = sim_counts(args.days, args.merchants, args.seed)
        print(f"sim {args.days} days x {args.merchants} merchants, seed {args.seed}: {s['requests']} requests, "
              f"{s['honest']} honest, {s['honest_with_overlap']} with an overlap")
        for o in overlap.OVERLAPS:
            print(f"  {o:22} {s['by_overlap'][o]:4}  held by risk at filing: {s['held_by_risk_at_filing'][o]}")
        print(f"  {'(no overlap)':22}       held by risk at filing: {s['no_overlap_held_by_risk_at_filing']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
