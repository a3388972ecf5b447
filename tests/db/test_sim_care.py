"""The simulator's customer care (SimConfig.care): a short run opens consultations through anxin's care facade,
merchants and platform agents answer, the SLA job breaches and escalates, openers rate, platform CS works outreach
tasks, and what anxin stored agrees with the simulator's truth."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from anxin.bootstrap import Anxin, bootstrap
from anxin.care.sla import breached
from anxin.core.clock import FixedClock
from anxin.core.principal import Principal, Role
from anxin.db.tables import metadata
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings
from anxin.sim import SimConfig, Simulation, ground_truth, simulate, summary

pytestmark = pytest.mark.db

STAFF = Principal(key_id="t", role=Role.OPERATOR, subject="op-t")
# Small but busy; the built-in lists stand in for the Olist files so the outcome is the same everywhere.
FAST = {"days": 4, "merchants": 6, "consumers": 80, "seed": 5, "orders_per_shop_day": 6.0,
        "olist_dir": Path("/nonexistent/olist"), "care": True}


def _iso(at: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(at) if at else None


def _at(at: str | None) -> dt.datetime:
    assert at is not None
    return dt.datetime.fromisoformat(at)


def _run(anxin: Anxin, clock: FixedClock, events: io.StringIO | None = None, **overrides: Any) -> Simulation:
    return simulate(anxin, SimConfig(start=clock.now(), **{**FAST, **overrides}), events_out=events)


def test_a_short_run_works_tickets_through_the_care_facade(anxin: Anxin, clock: FixedClock) -> None:
    events = io.StringIO()
    sim = _run(anxin, clock, events)
    truth = ground_truth(sim)["care"]
    consults = [c for c in truth["consultations"] if c["refused"] is None]
    assert consults and not [c for c in truth["consultations"] if c["refused"]]
    assert {c["channel"] for c in consults} == {"consumer", "merchant"}
    sent = [json.loads(line)["type"] for line in events.getvalue().splitlines()]
    assert "chat.session" not in sent  # tickets replace the legacy chat sessions ...
    assert "complaint.filed" in sent  # ... complaints stay

    policy = anxin.care.policy
    routes = set()
    tickets = 0
    for c in consults:
        stored = anxin.care.consultations.get(STAFF, c["consultation_id"])
        assert stored["consultation"]["text"] == c["text"]
        assert stored["consultation"]["order_id"] == c["order_id"]
        routing = stored["consultation"]["routing"]
        assert (routing["intent"], routing["route"]) == (c["routed"]["intent"], c["routed"]["route"])
        routes.add(routing["route"])
        if c["ticket_id"] is None:
            assert routing["route"] in ("case", "parcel") and stored["ticket"] is None
            continue
        tickets += 1
        t = anxin.care.queries.ticket(STAFF, c["ticket_id"])
        sla = t["sla"]
        assert t["first_owner"] == c["routed"]["owner"] and t["intent"] == routing["intent"]
        # the merchant's first reply is the one the simulated merchant sent, at that instant
        assert _iso(sla["merchant_replied_at"]) == _iso(c["merchant_replied_at"])
        if c["escalated"]:  # escalated by the SLA job: the merchant had not answered by then
            escalated = _iso(sla["escalated_at"])
            assert escalated is not None and t["owner"] == "platform_cs"
            assert c["merchant_replied_at"] is None or _at(c["merchant_replied_at"]) > escalated
        if t["first_owner"] == "merchant_cs" and sla["escalated_at"] is None and c["merchant_replied_at"]:
            # a first-reply breach exactly when the merchant took more than 3 service minutes
            late = breached(_at(c["opened_at"]), _at(c["merchant_replied_at"]), sim.end,
                            policy.first_reply_sla("merchant_cs")).breached
            assert (sla["first_reply"]["breached_at"] is not None) == late, c["consultation_id"]
        assert (sla["resolution"]["resolved_at"] is not None) >= (c["resolved_at"] is not None)
        if c["rating"] is not None:
            assert c["rating"] in [r["rating"] for r in t["ratings"]]
    assert routes >= {"merchant_cs", "platform_cs"} and tickets > 10

    s = summary(sim)["care"]
    assert s["opened"] == len(consults) and s["tickets"] == tickets
    assert s["first_reply_by"].get("merchant") and s["first_reply_by"].get("platform")
    assert s["escalated"] > 0 and s["resolved"] > 0 and s["closed"] > 0 and s["rated"] > 0
    report = anxin.care.queries.sla_report(STAFF, since=sim.start, until=sim.end)
    assert report["all"]["tickets"] == tickets and report["all"]["first_reply_breached"] > 0
    assert report["merchant_cs"]["escalated"] == s["escalated"]
    assert anxin.care.queries.csat(STAFF, by="channel", since=sim.start, until=sim.end)["overall"]["ratings"] \
        == s["rated"]
    # the router's intent against the opener's: most right, not all (vague texts, look-alike phrasings)
    right = sum(c["routed"]["intent"] == c["intent"] for c in consults)
    assert right / len(consults) > 0.5


def test_outreach_tasks_are_worked_and_held_out_orders_left_alone(anxin: Anxin, clock: FixedClock) -> None:
    sim = _run(anxin, clock, days=6)
    truth = ground_truth(sim)["care"]
    tasks = anxin.outreach.queue(STAFF, limit=500) + anxin.outreach.queue(STAFF, state="held_out", limit=500)
    assert tasks, "troubles in six busy days open outreach tasks"
    worked = truth["outreach"]
    held = {t["task_id"] for t in tasks if t["held_out"]}
    assert not held & set(worked)  # the held-out share gets nothing
    contacted = [t for t in tasks if t["task_id"] in worked and worked[t["task_id"]]["contacted_at"]]
    assert contacted and all(t["state"] in ("contacted", "done") and t["remedy_chosen"] for t in contacted)
    for t in contacted:
        reached = _iso(worked[t["task_id"]]["contacted_at"])
        assert reached is not None and reached - _iso(t["opened_at"]) <= dt.timedelta(hours=20)
        assert t["order_id"] in truth["cared_for"]
    effect = anxin.outreach.effect(STAFF, since=sim.start, until=sim.end)
    assert effect["cared_for"]["tasks"] + effect["held_out"]["tasks"] == len(tasks)
    assert effect["cared_for"]["reached"] == len({t["task_id"] for t in contacted})


def _replayable(truth: dict[str, Any]) -> dict[str, Any]:
    """The care truth without what anxin mints at random (ticket and task ids)."""
    return {"consultations": [{**c, "ticket_id": None} for c in truth["consultations"]],
            "outreach": sorted(json.dumps(t, sort_keys=True) for t in truth["outreach"].values()),
            "cared_for": truth["cared_for"], "assumptions": truth["assumptions"]}


def test_same_seed_same_care(anxin: Anxin, clock: FixedClock, engine: sa.Engine, tmp_path: Path) -> None:
    first = _run(anxin, clock)
    s1, t1 = summary(first)["care"], _replayable(ground_truth(first)["care"])
    with engine.begin() as conn:  # an empty database again
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    clock2 = FixedClock(first.start)
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence2", webhook_secret="s")
    again = bootstrap(settings=settings, clock=clock2, engine=engine, transport=RecordingTransport(),
                      run_migrations=False)
    second = simulate(again, SimConfig(start=clock2.now(), **FAST))
    assert summary(second)["care"] == s1 and s1["tickets"] > 10
    assert _replayable(ground_truth(second)["care"]) == t1


def test_care_is_off_by_default_and_the_legacy_chats_stay(anxin: Anxin, clock: FixedClock) -> None:
    events = io.StringIO()
    sim = _run(anxin, clock, events, care=False, days=2)
    assert sim.care is None and "care" not in summary(sim) and "care" not in ground_truth(sim)
    assert "chat.session" in {json.loads(line)["type"] for line in events.getvalue().splitlines()}
