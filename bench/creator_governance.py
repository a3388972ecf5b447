"""What governance violations do to the creator reputation score (带货口碑分) on a simulated marketplace.

    ANXIN_DATABASE_URL=sqlite:///var/sim.db .venv/bin/anxin sim --days 30 --merchants 40 --seed 7
    PYTHONPATH=src .venv/bin/python -m bench.creator_governance --database sqlite:///var/sim.db

Scores every creator as of the day after the simulation (``anxin.scoring.run``), then records violations naming
some eligible creators through the governance ledger as an operator would (``POST /v1/governance/violations``): the
three with the highest content-negative rate a ``fraudulent_marketing`` in a live room (major: 6 severe points), the
next three a ``false_advertising`` in a live room (minor: 2 general points), five days before the as-of; scores the
same day again and prints each creator's score and rank among the eligible creators before and after. The
database is changed (violations recorded, the day's snapshots replaced): run it on a copy.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

import sqlalchemy as sa

from anxin.bootstrap import bootstrap
from anxin.core.clock import FixedClock
from anxin.governance.model import SOURCE_OPERATOR, RecordViolation
from anxin.settings import Settings


def creator_scores(engine: sa.Engine, day: dt.date) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT subject_id, score_x100, detail FROM score_snapshots WHERE subject_kind = 'creator' "
            "AND eligible AND as_of = :d"), {"d": day}).all()
    out = {}
    for sid, score, detail in rows:
        d = detail if isinstance(detail, dict) else __import__("json").loads(detail)
        neg = (d.get("indicators", {}).get("C.CONTENT_NEGATIVE_RATE") or {}).get("value")
        out[sid] = {"score": score, "raw": d.get("raw_x100"), "deductions": d.get("deductions_x100"),
                    "gov_points": d.get("governance_points_x100"), "negative_rate": neg}
    return out


def ranks(scores: dict[str, dict[str, Any]]) -> dict[str, int]:
    order = sorted(scores, key=lambda s: (-(scores[s]["score"] or 0), s))
    return {s: i + 1 for i, s in enumerate(order)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    engine = sa.create_engine(args.database)
    with engine.connect() as conn:
        last = conn.execute(sa.text("SELECT MAX(paid_at) FROM orders")).scalar_one()
    last = dt.datetime.fromisoformat(last) if isinstance(last, str) else last
    last = last if last.tzinfo else last.replace(tzinfo=dt.UTC)
    day = (last + dt.timedelta(hours=8)).date() + dt.timedelta(days=1)
    clock = FixedClock(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) - dt.timedelta(hours=9))
    anxin = bootstrap(settings=Settings(database_url=args.database), clock=clock, engine=engine)
    anxin.scoring.run(day.isoformat())
    before = creator_scores(engine, day)
    by_negative = sorted(before, key=lambda s: (-(before[s]["negative_rate"] or 0), s))
    chosen = [(s, "fraudulent_marketing", "major", {"description": "staged scarcity in the stream"})
              for s in by_negative[:3]]
    chosen += [(s, "false_advertising", "minor", {"claims": ["cures acne"]}) for s in by_negative[3:6]]
    with anxin.uow_factory() as uow:
        for n, (sid, kind, severity, evidence) in enumerate(chosen):
            anxin.governance.violations.record(uow, RecordViolation(
                kind=kind, subject=f"live_room:bench-{sid}", shop_id=None, creator_id=sid, severity=severity,
                source_type=SOURCE_OPERATOR, source_id=f"bench-creator-{n}", at=clock.now() - dt.timedelta(days=5),
                evidence=evidence, recorded_by="operator:bench"))
        uow.commit()
    anxin.scoring.run(day.isoformat())
    after = creator_scores(engine, day)
    rb, ra = ranks(before), ranks(after)
    print(f"as of {day}, {len(before)} eligible creators, scores rulebook {anxin.scoring.rules.version}")
    print("creator | violation | score before | after | deduction | rank before | after")
    for sid, kind, severity, _ in chosen:
        print(f"{sid} | {kind} {severity} | {before[sid]['score'] / 100:.2f} | {after[sid]['score'] / 100:.2f} | "
              f"{after[sid]['deductions'] / 100:.2f} ({after[sid]['gov_points'] / 100:g} points) | "
              f"{rb[sid]} | {ra[sid]}")
    others = [s for s in before if s not in {c[0] for c in chosen}]
    moved = sum(1 for s in others if before[s]["score"] != after[s]["score"])
    print(f"creators without a violation whose score changed: {moved} of {len(others)}")


if __name__ == "__main__":
    main()
