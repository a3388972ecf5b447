"""The simulator drives the real services: a small busy run, determinism, and the two commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from anxin.bootstrap import Anxin, bootstrap
from anxin.cli.main import main
from anxin.core.clock import FixedClock
from anxin.db.tables import metadata
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings
from anxin.sim import SimConfig, Simulation, ground_truth, olist, simulate, summary

pytestmark = pytest.mark.db

# Small but busy (many orders, many abusers, more replays) so that every path shows up in a few days.
# The built-in lists stand in for the Olist files, so the outcome is the same wherever the tests run.
SMALL = {"days": 3, "merchants": 3, "consumers": 40, "seed": 3, "orders_per_shop_day": 12.0,
         "abuser_share": 0.35, "replay_share": 0.03, "olist_dir": Path("/nonexistent/olist")}


def _run(anxin: Anxin, clock: FixedClock, **overrides: Any) -> Simulation:
    return simulate(anxin, SimConfig(start=clock.now(), **{**SMALL, **overrides}))


def _without_case_ids(truth: dict[str, Any]) -> dict[str, Any]:
    """anxin mints case ids at random; everything else in the ground truth follows from the seed."""
    return {**truth, "claims": [{**c, "case_id": None} for c in truth["claims"]]}


def test_small_run_goes_through_the_services(anxin: Anxin, clock: FixedClock,
                                              transport: RecordingTransport) -> None:
    sim = _run(anxin, clock, days=5)  # parcels take days to arrive: five let returns and escalations happen
    s = summary(sim)

    assert s["orders"]["placed"] > 50 and s["orders"]["delivered"] > 0
    assert clock.now() == sim.end  # the simulated clock ran to the end, hour by hour
    events = s["events"]
    assert events["received"] == events["applied"] + events["parked"] + events["duplicates"] + events["rejected"]
    assert events["duplicates"] > 0 and events["rejected"] == 0
    assert events["parked"] > 0 and events["released"] > 0  # out-of-order arrivals waited, then applied
    assert len(s["cases"]["by_state"]) >= 4, s["cases"]["by_state"]
    assert s["cases"]["filed"] == sum(s["cases"]["by_state"].values())
    assert s["outbox"]["by_kind"].get("refund.issue", 0) > 0 and s["money_fen"]["refunds"] > 0
    assert transport.calls  # the outbox delivered webhooks during the run
    assert not s["cases"]["action_errors"].get("sim.deadline_did_not_fire")

    truth = ground_truth(sim)
    assert {m["merchant_id"] for m in truth["merchants"]} == {"m-001", "m-002", "m-003"}
    assert all(0 <= m["quality"] <= 1 for m in truth["merchants"])
    assert truth["abusive_consumers"]
    filed = [c for c in truth["claims"] if c["case_id"]]
    assert {c["genuine"] for c in filed} == {True, False}
    assert any(c["evidence_reused"] for c in filed)  # abusers recycle photos


def test_same_seed_same_marketplace(anxin: Anxin, clock: FixedClock, engine: sa.Engine, tmp_path: Path) -> None:
    first = _run(anxin, clock)
    s1, t1 = summary(first), ground_truth(first)
    assert s1["orders"]["placed"] > 50 and s1["cases"]["filed"] > 0
    with engine.begin() as conn:  # an empty database again
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    clock2 = FixedClock(first.start)
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence2", webhook_secret="s")
    again = bootstrap(settings=settings, clock=clock2, engine=engine, transport=RecordingTransport(),
                      run_migrations=False)
    second = simulate(again, SimConfig(start=clock2.now(), **SMALL))

    assert summary(second) == s1
    assert _without_case_ids(ground_truth(second)) == _without_case_ids(t1)
    other = Simulation(again, SimConfig(start=first.start, **{**SMALL, "seed": 4}))  # built, not run
    assert ground_truth(other)["merchants"] != t1["merchants"]


def test_simulator_needs_a_fixed_clock(engine: sa.Engine, tmp_path: Path) -> None:
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "ev", webhook_secret="s")
    with pytest.raises(TypeError):
        Simulation(bootstrap(settings=settings, engine=engine, run_migrations=False), SimConfig(days=1))


def test_sim_command_writes_truth_and_a_replayable_event_file(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    truth, events = tmp_path / "truth.json", tmp_path / "events.jsonl"
    monkeypatch.setenv("ANXIN_DATABASE_URL", f"sqlite:///{tmp_path / 'sim.db'}")
    monkeypatch.chdir(tmp_path)  # evidence goes to the default var/evidence, here
    args = ["sim", "--days", "2", "--merchants", "2", "--seed", "3", "--ground-truth", str(truth),
            "--events-out", str(events)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "orders" in result.output and "duplicates" in result.output
    assert json.loads(truth.read_text(encoding="utf-8"))["seed"] == 3

    again = runner.invoke(main, args)  # the same database again: refused, nothing mixed in
    assert again.exit_code == 2 and "sim.database_not_empty" in again.output

    lines = events.read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert ids and all(i.startswith("ev-") for i in ids)
    monkeypatch.setenv("ANXIN_DATABASE_URL", f"sqlite:///{tmp_path / 'replayed.db'}")
    replay = runner.invoke(main, ["ingest", str(events)])
    assert replay.exit_code == 0, replay.output
    counts = json.loads(replay.output.strip().splitlines()[-1])
    assert counts["received"] == len(lines) and counts["rejected"] == 0
    assert counts["duplicates"] == len(ids) - len(set(ids))  # the platform's replays, as sent


def test_demo_no_serve_prints_the_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo sets ANXIN_DATABASE_URL only when unset; pin it so the test leaves no trace.
    monkeypatch.setenv("ANXIN_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "demo.db"
    db.write_bytes(b"stale")  # an old demo database is replaced, not reused
    result = CliRunner().invoke(main, ["demo", "--no-serve", "--days", "2", "--merchants", "2",
                                       "--db", str(db), "--evidence-dir", str(tmp_path / "ev"),
                                       "--ground-truth", str(tmp_path / "truth.json"), "--port", "8123"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "http://127.0.0.1:8123/docs" in out
    assert "/login?key=ax_" in out
    for target in ("&next=/hall/orders/o-", "&next=/merchant/cases", "&next=/ops/cases"):
        assert target in out, target
    assert "Platform key       ax_" in out
    assert (tmp_path / "truth.json").exists()


def test_olist_files_give_real_towns_and_weights_when_present() -> None:
    sample = olist.load()
    if sample.source == "built-in":
        pytest.skip("Olist files not found (set ANXIN_OLIST_DIR)")
    assert len(sample.sellers) > 1000 and all(s.state for s in sample.sellers[:50])
    assert sample.weights_for(["perfumery"]) and min(sample.weights_for(["perfumery"])) > 0
    assert olist.load(Path("/nonexistent/olist")).source == "built-in"
