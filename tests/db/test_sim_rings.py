"""Rings that are found (issue 19): a small simulator run's planted rings, by the batch pass over what risk stored."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from bench.ring_quality import evaluate

from anxin.bootstrap import bootstrap
from anxin.core.clock import FixedClock
from anxin.outbox.transport import RecordingTransport
from anxin.risk.ring_batch import batch_rings
from anxin.settings import Settings
from anxin.sim import SimConfig, simulate

pytestmark = pytest.mark.db

RINGS = {"days": 10, "merchants": 4, "consumers": 120, "seed": 11, "olist_dir": Path("/nonexistent/olist"),
         "ring_sizes": (4, 12), "abuse_mix": {"ring": 12.0, "heavy_buyer": 4.0, "serial_returner": 4.0}}


def test_a_small_runs_planted_rings_are_found(engine: sa.Engine, tmp_path: Path) -> None:
    clock = FixedClock(SimConfig().start)
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence", webhook_secret="s",
                        risk_mode="shadow")
    anxin = bootstrap(settings=settings, clock=clock, engine=engine, transport=RecordingTransport(),
                      run_migrations=False)
    sim = simulate(anxin, SimConfig(start=clock.now(), **RINGS))
    planted = {r.ring_id: {f"consumer:{a.consumer.consumer_id}" for a in r.members} for r in sim.abuse.rings}
    assert len(planted) >= 2
    summary = batch_rings(anxin.risk, top=50)
    detected = [set(r["members"]) for r in summary["top"]]
    legacy = {rid: {f"consumer:{c}" for c in m} for rid, m in sim.world.rings.items()}
    result = evaluate(detected, planted, legacy)
    assert result["found"] == result["planted"], result
    assert result["right"] == result["detected"], result
    # The live signal reads the pass's answer: every member of a found ring is in the index.
    for members in detected:
        for m in members:
            assert anxin.risk.indexes.group_for(m) is not None
