"""The scoring inputs of a simulated run go through ingestion, and creators' over-promises through after-sales."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from anxin.bootstrap import Anxin
from anxin.core.clock import FixedClock
from anxin.sim import SimConfig, ground_truth, simulate, summary
from anxin.sim.creators import Creator

pytestmark = pytest.mark.db

NEW_KINDS = ("complaint.filed", "chat.session", "consumer.registered", "content.feedback")


def test_scoring_inputs_are_ingested_and_over_promises_become_requests(
        anxin: Anxin, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    # Creators who over-promise on half of what they sell, so a few days show the requests it causes.
    monkeypatch.setattr(Creator, "overpromise", property(lambda self: 0.5))
    buffer = io.StringIO()
    config = SimConfig(start=clock.now(), days=5, merchants=4, consumers=60, seed=5, orders_per_shop_day=10.0,
                       olist_dir=Path("/nonexistent/olist"))
    sim = simulate(anxin, config, events_out=buffer)
    s = summary(sim)

    assert s["events"]["rejected"] == 0, sim.rejected_samples
    assert s["events"]["still_parked"] == 0
    sent = Counter(e["type"] for e in {e["id"]: e for e in map(json.loads, buffer.getvalue().splitlines())}.values())
    assert all(sent[kind] > 0 for kind in NEW_KINDS), sent
    inputs = s["scoring_inputs"]
    # Counted when generated; the last few may still be on their way when the run ends.
    assert 0 < sent["complaint.filed"] <= sum(inputs["complaints"].values())
    assert 0 < sent["chat.session"] <= inputs["chat_sessions"]["sessions"]
    assert 0 < sent["content.feedback"] <= sum(inputs["content_feedback"].values())
    assert 0 < sent["consumer.registered"] <= inputs["consumers_registered"]
    assert inputs["creator_orders"] > 0 and inputs["not_as_described_by_creators"] > 0

    truth = ground_truth(sim)
    assert len(truth["creators"]) == 5
    over = [c for c in truth["claims"] if c["claim"].startswith("kc-")]
    assert over and {c["reason"] for c in over} == {"not_as_described"}
    assert any(c["case_id"] and len(c["states"]) > 1 for c in over)  # they went on through the service
    assert not s["cases"]["action_errors"].get("sim.deadline_did_not_fire")
