"""What a lease costs: claim + release of one job, and an idle round of every leased job (read, claim, run the idle
job, release), on SQLite or PostgreSQL. ``python -m bench.worker_leases [DATABASE_URL]`` (default: a scratch
SQLite file); prints JSON."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from anxin.bootstrap import bootstrap
from anxin.core.clock import SystemClock
from anxin.settings import Settings
from anxin.worker.runner import Worker, worker_identity
from anxin.worker.service import Leases

N = 500


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(tempfile.mkdtemp()) / 'leases.db'}"
    anxin = bootstrap(settings=Settings(database_url=url, evidence_dir=Path(tempfile.mkdtemp()), webhook_url=None))
    clock = SystemClock()
    leases = Leases(uow_factory=anxin.uow_factory, clock=clock, holder=worker_identity(), ttl=dt.timedelta(seconds=30))
    leases.ensure([("bench.job", True)])
    cycle = []
    for _ in range(N):
        t = time.perf_counter()
        held = leases.claim("bench.job")
        assert held is not None
        leases.release(held, next_due_at=clock.now(), outcome="ok", summary=0)
        cycle.append((time.perf_counter() - t) * 1000)
    leased = [j for j in anxin.schedule() if j.leased and j.every is None]  # the ones due every round
    worker = Worker(schedule=leased, leases=leases, jobs=anxin.jobs, clock=clock, every=0.001)
    worker.register()
    rounds = []
    for _ in range(50):
        t = time.perf_counter()
        for job in leased:
            assert worker.run_job(job)["ran"]
        rounds.append((time.perf_counter() - t) * 1000)
        time.sleep(0.002)  # past every job's next_due (every=1 ms)
    print(json.dumps({"database": anxin.engine.dialect.name, "claim_release_ms": {
        "p50": round(statistics.median(cycle), 2), "p99": round(sorted(cycle)[int(N * 0.99) - 1], 2)},
        "idle_round_ms": {"jobs": len(leased), "p50": round(statistics.median(rounds), 1),
                          "max": round(max(rounds), 1)}}))
    anxin.engine.dispose()


if __name__ == "__main__":
    main()
