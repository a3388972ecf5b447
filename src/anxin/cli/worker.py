"""``anxin worker``: the periodic jobs in a process of their own, as many side by side as you like."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every due job once, print a JSON report, exit.")
@click.option("--every", type=click.FloatRange(min=0.05), default=None,
              help="Seconds between rounds (and the period of jobs without one of their own)  "
                   "[default: ANXIN_TICK_SECONDS, 5]")
@click.option("--only", "only", multiple=True, metavar="JOB",
              help="Run only this job (repeatable), e.g. --only outbox.deliver.")
@click.option("--lease", "lease_seconds", type=click.FloatRange(min=0.5), default=30.0, show_default=True,
              help="Lease lifetime in seconds: how long a killed worker's jobs wait before another worker takes "
                   "them. Renewed every third of it while a job runs.")
@click.option("--trace", "trace_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append one JSON line per leased job run's start and finish to this file (audits).")
@click.option("--list", "list_jobs", is_flag=True, help="List the jobs (name, period, leased, lane) and exit.")
def worker(once: bool, every: float | None, only: tuple[str, ...], lease_seconds: float, trace_path: Path | None,
           list_jobs: bool) -> None:
    """Run the periodic jobs until SIGTERM or Ctrl-C: after-sales deadlines, the fulfilment check, novice
    graduation, settlement, idempotency purge, nightly scores, and webhook delivery.

    Start as many workers as you like on one database (ANXIN_DATABASE_URL). Each job but delivery is leased: one
    worker runs it at a time, and if that worker dies (even kill -9) its lease runs out after --lease seconds and
    another takes over. Webhook delivery runs in every worker at once (each message has its own lease). On SIGTERM
    or Ctrl-C each job run in progress finishes, the leases are released, and the worker exits 0; a second signal
    exits at once and leaves the leases to run out. Logs one line per job run that did something.
    """
    import datetime as dt
    import logging
    import os
    import signal
    import threading

    from anxin.bootstrap import bootstrap
    from anxin.core.clock import SystemClock
    from anxin.worker.runner import Worker, worker_identity
    from anxin.worker.service import Leases

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from anxin.settings import Settings

    settings = Settings()
    settings.check_startup()  # production without a webhook secret stops here: the worker signs what it sends
    anxin = bootstrap(settings=settings)
    schedule = anxin.schedule()
    if list_jobs:
        for job in schedule:
            period = f"{job.every:g}s" if job.every is not None else "every round"
            click.echo(f"{job.name:24} {period:12} {'leased' if job.leased else 'every worker':13} lane {job.lane}")
        return
    wall = SystemClock()
    leases = Leases(uow_factory=anxin.uow_factory, clock=wall, holder=worker_identity(),
                    ttl=dt.timedelta(seconds=lease_seconds))
    trace = trace_path.open("a", encoding="utf-8") if trace_path else None
    try:
        runner = Worker(schedule=schedule, leases=leases, jobs=anxin.jobs, clock=wall,
                        every=every or anxin.settings.tick_seconds, only=only, trace=trace)
    except ValueError as exc:
        click.echo(f"error [cli.usage]: {exc}", err=True)
        sys.exit(2)
    try:
        if once:
            click.echo(json.dumps(runner.run_once(), ensure_ascii=False, default=str))
            return
        stop = threading.Event()

        def on_signal(signum: int, _frame: object) -> None:
            if stop.is_set():  # the second signal: leave now, the leases run out by themselves
                logging.getLogger("anxin.worker").warning("second signal: exiting without waiting")
                os._exit(1)
            logging.getLogger("anxin.worker").info("%s: finishing the running jobs, then exiting",
                                                   signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        runner.run(stop)
    finally:
        if trace is not None:
            trace.close()
        anxin.engine.dispose()
