"""Leases on the real database (SQLite, and PostgreSQL in CI): claims are exclusive, renewals and releases are fenced,
and workers racing for the same jobs (threads, and real processes) never run one job twice at a time."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from anxin.core.clock import FixedClock, SystemClock
from anxin.worker.model import Job
from anxin.worker.runner import Worker
from anxin.worker.service import Leases, job_status

pytestmark = pytest.mark.db

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)


def _leases(anxin, holder, clock, ttl=10 * S):
    return Leases(uow_factory=anxin.uow_factory, clock=clock, holder=holder, ttl=ttl)


def test_a_claim_is_exclusive_until_released_or_expired(anxin):
    clock = FixedClock(T0)
    a, b = _leases(anxin, "a", clock), _leases(anxin, "b", clock)
    a.ensure([("j", True)])
    held = a.claim("j")
    assert held is not None and held.fence == 1
    assert b.claim("j") is None
    clock.set(T0 + 9 * S)
    assert b.claim("j") is None  # still held
    clock.set(T0 + 10 * S)  # a was killed: its lease ran out just now
    taken = b.claim("j")
    assert taken is not None and taken.fence == 2
    assert a.renew(held) is False  # fenced: a cannot extend b's lease
    assert a.release(held, next_due_at=T0, outcome="ok", summary={}) is False  # nor record over it
    lease = b.read("j")
    assert (lease.holder, lease.fence, lease.lease_until) == ("b", 2, T0 + 20 * S)
    clock.set(T0 + 15 * S)
    assert b.renew(taken) is True
    assert b.read("j").lease_until == T0 + 25 * S
    assert b.release(taken, next_due_at=T0 + 60 * S, outcome="ok", summary={"done": 3}) is True
    assert a.claim("j") is None  # free but not due
    clock.set(T0 + 60 * S)
    assert a.claim("j").fence == 3


def test_a_released_lease_records_the_run_for_operators(anxin):
    clock = FixedClock(T0)
    w = _leases(anxin, "host:1:ab", clock)
    w.ensure([("j", True), ("outbox.deliver", False)])
    held = w.claim("j")
    clock.set(T0 + 2 * S)
    w.release(held, next_due_at=T0 + 5 * S, outcome="failed", summary={"error": "ZeroDivisionError"})
    w.record_run("outbox.deliver", started=T0, outcome="ok", summary={"delivered": 2})
    assert w.claim("outbox.deliver") is None  # a job every worker runs is never leased
    status = {s.job: s for s in job_status(anxin.uow_factory, now=T0 + 3 * S, failures={"j": 4})}
    j = status["j"]
    assert (j.state, j.holder, j.last_holder, j.last_outcome, j.failures) == ("idle", None, "host:1:ab", "failed", 4)
    assert (j.last_started_at, j.last_finished_at, j.next_due_at) == (T0, T0 + 2 * S, T0 + 5 * S)
    assert j.last_summary == {"error": "ZeroDivisionError"}
    assert status["outbox.deliver"].state == "shared"
    assert status["outbox.deliver"].last_summary == {"delivered": 2}
    clock.set(T0 + 5 * S)
    w.claim("j")
    assert {s.job: s.state for s in job_status(anxin.uow_factory, now=T0 + 6 * S, failures={})}["j"] == "running"
    assert {s.job: s.state for s in job_status(anxin.uow_factory, now=T0 + 16 * S, failures={})}["j"] == "expired"


def test_threads_racing_for_one_lease_see_exactly_one_claim_win(anxin):
    clock = SystemClock()
    contenders = [_leases(anxin, f"w{i}", clock) for i in range(8)]
    contenders[0].ensure([(f"j{r}", True) for r in range(10)])
    for r in range(10):
        start = threading.Barrier(len(contenders))
        wins: list[str] = []

        def attempt(leases, job=f"j{r}", start=start, wins=wins):
            start.wait()
            if leases.claim(job) is not None:
                wins.append(leases.holder)

        threads = [threading.Thread(target=attempt, args=(c,)) for c in contenders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1, f"round {r}: {wins} all claimed the lease"


class Recorder:
    """A job that takes a while and records when it ran, by whom; and whether anyone else was inside meanwhile."""

    def __init__(self) -> None:
        self.inside = 0
        self.overlaps = 0
        self.runs: list[tuple[str, float, float]] = []
        self._lock = threading.Lock()

    def job(self, name: str):
        def run() -> int:
            with self._lock:
                self.inside += 1
                self.overlaps += self.inside > 1
                start = time.monotonic()
            time.sleep(0.02)
            with self._lock:
                self.inside -= 1
                self.runs.append((name, start, time.monotonic()))
            return 1
        return run


def test_two_worker_threads_share_the_jobs_and_never_run_one_twice_at_once(anxin):
    recorders = {name: Recorder() for name in ("a.job", "b.job")}
    workers = []
    for i in range(2):
        # A lane per job: each lane's thread contends for its one lease on every round.
        schedule = [Job(name, r.job(f"w{i}"), every=0.01, lane=name) for name, r in recorders.items()]
        workers.append(Worker(schedule=schedule, leases=_leases(anxin, f"w{i}", SystemClock(), ttl=5 * S),
                              jobs=anxin.jobs, clock=SystemClock(), every=0.01))
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for t in threads:
        t.start()
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    for name, r in recorders.items():
        assert r.overlaps == 0, f"{name} ran in two workers at once"
        assert len(r.runs) >= 10, f"{name} ran only {len(r.runs)} times"
        assert {who for who, _, _ in r.runs} == {"w0", "w1"}, f"{name}: one worker did all the runs"
    assert all(s.holder is None for s in job_status(anxin.uow_factory, now=T0, failures={}))  # released on stop


RACER = textwrap.dedent("""
    import datetime as dt, json, sys, time
    from anxin.core.clock import SystemClock
    from anxin.db.engine import make_engine
    from anxin.db.uow import uow_factory_for
    from anxin.jobs.service import JobFailures
    from anxin.worker.model import Job
    from anxin.worker.runner import Worker, worker_identity
    from anxin.worker.service import Leases
    import threading

    url, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    engine = make_engine(url)
    uows, clock = uow_factory_for(engine), SystemClock()
    me = worker_identity()
    log = open(out, "a")

    def job(name):
        def run():
            start = time.time()
            time.sleep(0.03)
            log.write(json.dumps([name, me, start, time.time()]) + "\\n")
            log.flush()
            return 1
        return run

    schedule = [Job(n, job(n), every=0.01, lane=n) for n in ("a.job", "b.job", "c.job")]
    worker = Worker(schedule=schedule, leases=Leases(uow_factory=uows, clock=clock, holder=me,
                    ttl=dt.timedelta(seconds=5)), jobs=JobFailures(uow_factory=uows, clock=clock), clock=clock,
                    every=0.01)
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    worker.run(stop)
""")


def _overlaps(runs: list[tuple[str, str, float, float]]) -> list[tuple[str, str, str]]:
    """Pairs of runs of one job by two workers whose [start, end] intervals intersect."""
    bad = []
    for job in {r[0] for r in runs}:
        mine = sorted((r for r in runs if r[0] == job), key=lambda r: r[2])
        bad += [(job, a[1], b[1]) for a, b in itertools.pairwise(mine) if b[2] < a[3]]
    return bad


def test_two_worker_processes_race_for_the_same_jobs_and_each_runs_one_at_a_time(anxin, engine, tmp_path):
    out = tmp_path / "runs.jsonl"
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", RACER, url, str(out), "4"], env=env) for _ in range(2)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    runs = [tuple(json.loads(line)) for line in out.read_text().splitlines()]
    assert len(runs) >= 30
    assert _overlaps(runs) == []
    for job in ("a.job", "b.job", "c.job"):
        assert len({r[1] for r in runs if r[0] == job}) == 2, f"one process did all the runs of {job}"


def test_the_overlap_check_finds_overlaps():
    assert _overlaps([("j", "a", 0.0, 1.0), ("j", "b", 0.5, 2.0), ("k", "a", 0.0, 1.0), ("k", "b", 1.0, 2.0)]) == [
        ("j", "a", "b")]


def test_anxin_worker_once_runs_every_due_job_and_reports_json(tmp_path):
    env = {**os.environ, "ANXIN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "ANXIN_EVIDENCE_DIR": str(tmp_path / "ev")}
    env.pop("ANXIN_WEBHOOK_URL", None)
    cmd = [sys.executable, "-c", "import sys; from anxin.cli.main import main; sys.argv[0] = 'anxin'; main()",
           "worker", "--once"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["holder"].count(":") == 2
    jobs = report["jobs"]
    assert set(jobs) == {"outbox.deliver", "events.handle", "aftersales.deadlines", "fulfilment.check",
                         "merchants.graduate", "merchants.settle", "merchants.expire_invitations", "idempotency.purge",
                         "governance.expire", "governance.ip_lapse", "care.sla", "care.outreach_expire",
                         "scoring.nightly", "worryfree.expire_holds", "worryfree.tags"}
    assert all(j["ran"] and j["outcome"] == "ok" for j in jobs.values()), jobs
    again = json.loads(subprocess.run([*cmd, "--only", "idempotency.purge", "--only", "outbox.deliver"], env=env,
                                      capture_output=True, text=True, timeout=120, check=True).stdout)
    assert again["jobs"]["idempotency.purge"] == {"ran": False, "why": "not due",
                                                  "next_due_at": jobs["idempotency.purge"]["next_due_at"]}
    assert again["jobs"]["outbox.deliver"]["ran"] is True  # not leased: every worker, every round
    bad = subprocess.run([*cmd, "--only", "no.such"], env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    assert bad.returncode == 2 and "no such job: no.such" in bad.stderr


def test_anxin_worker_exits_0_on_sigterm_and_releases_its_leases(tmp_path):
    db = tmp_path / "w.db"
    env = {**os.environ, "ANXIN_DATABASE_URL": f"sqlite:///{db}", "ANXIN_EVIDENCE_DIR": str(tmp_path / "ev")}
    env.pop("ANXIN_WEBHOOK_URL", None)
    trace = tmp_path / "trace.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from anxin.cli.main import main; main()", "worker",
                             "--every", "0.1", "--trace", str(trace)], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (trace.exists() and trace.read_text().count("finish") >= 5):
        time.sleep(0.1)
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "SIGTERM: finishing the running jobs" in err
    import sqlalchemy as sa
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        held = conn.execute(sa.text("SELECT job FROM worker_leases WHERE holder IS NOT NULL")).all()
    engine.dispose()
    assert held == []
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [e["event"] for e in events].count("start") == [e["event"] for e in events].count("finish")
