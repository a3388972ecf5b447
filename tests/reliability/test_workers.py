"""Scaling out: API replicas and worker processes on one database under refund load, workers killed with SIGKILL in
a loop and restarted. Nothing lost, nothing applied twice, and no leased job ever run by two workers at once."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.reliability.harness import CONSUMER_KEYS, Server, Worker, World, _send, record, setting

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
KILL_EVERY = setting("WORKER_KILL_EVERY", 2.0)  # seconds between two kills
LOAD_SECONDS = setting("WORKER_LOAD_SECONDS", 20)
CLIENTS = 8


def _runs(traces: list[Path], killed_at: dict[str, float], end: float) -> list[tuple[str, str, float, float]]:
    """(job, holder, started, finished) of every leased job run in the workers' traces. A run that never finished was
    cut short by a kill: it ended when its process was killed (or, if not killed, it counts as running to the end)."""
    started: dict[tuple[str, str, int], float] = {}
    runs = []
    for trace in traces:
        for line in trace.read_text().splitlines():
            e = json.loads(line)
            key = (e["job"], e["holder"], e["fence"])
            if e["event"] == "start":
                started[key] = e["at"]
            else:
                runs.append((e["job"], e["holder"], started.pop(key), e["at"]))
    for (job, holder, _), at in started.items():
        runs.append((job, holder, at, killed_at.get(holder.split(":")[1], end)))
    return runs


def _overlaps(runs: list[tuple[str, str, float, float]]) -> list[tuple[str, str, str]]:
    bad = []
    for job in {r[0] for r in runs}:
        mine = sorted((r for r in runs if r[0] == job), key=lambda r: r[2])
        bad += [(job, a[1], b[1]) for a, b in itertools.pairwise(mine) if b[2] < a[3]]
    return bad


def test_replicas_and_workers_killed_in_a_loop_lose_no_refund_and_never_overlap(world: World) -> None:
    postgres = world.template.dialect == "postgresql"
    if postgres:  # two API replicas and two workers; on SQLite one of each (one file, one writer)
        world.replicas.append(Server(world.url, webhook_url=world.receiver.url, workdir=world.workdir,
                                     name="server2").start())
        world.workers.append(Worker(world.url, webhook_url=world.receiver.url, workdir=world.workdir,
                                    name="worker2").start())
    orders = world.seed_orders(2 * CONSUMER_KEYS, prefix="scale", per_consumer=2)
    killed_at: dict[str, float] = {}  # pid -> when it was killed
    kills = 0
    done = threading.Event()

    def killer() -> None:
        nonlocal kills
        for n in itertools.count():
            if done.wait(KILL_EVERY):
                return
            worker = world.workers[n % len(world.workers)]
            assert worker.proc is not None
            pid = worker.proc.pid
            worker.kill9()
            killed_at[str(pid)] = time.time()
            kills += 1
            worker.start()

    async def load() -> tuple[int, int]:
        queue = list(reversed(orders))
        answered, unanswered = 0, 0
        stop = time.monotonic() + LOAD_SECONDS
        clients = [httpx.AsyncClient(base_url=s.base, timeout=30) for s in world.servers]

        async def client_loop(c: int) -> None:
            nonlocal answered, unanswered
            client = clients[c % len(clients)]  # spread over the replicas
            while queue and time.monotonic() < stop:
                order_id, consumer_id = queue.pop()
                call = world.filing(order_id, consumer_id, headers={"Idempotency-Key": uuid.uuid4().hex})
                reply = await _send(client, call)
                answered += reply.status is not None
                unanswered += reply.status is None
                await asyncio.sleep(0.05)  # a steady stream over the whole run, not one burst

        try:
            await asyncio.gather(*(client_loop(c) for c in range(CLIENTS)))
        finally:
            for client in clients:
                await client.aclose()
        return answered, unanswered

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        answered, unanswered = asyncio.run(load())
    finally:
        done.set()
        thread.join()
    refunded = {c["case_id"] for c in world.cases(state="refunded")}
    # A message claimed by a killed worker waits out its 60 s delivery lease before another worker sends it.
    missing = world.receiver.wait_for_cases(refunded, timeout=120)
    for worker in world.workers:
        assert worker.stop() == 0, f"worker did not stop cleanly on SIGTERM:\n{worker.log_tail()}"
    keys = [r.idempotency_key for r in list(world.receiver.sink.applied)]
    runs = _runs([w.trace for w in world.workers], killed_at, time.time())
    overlaps = _overlaps(runs)
    takeovers = sum(1 for job in {r[0] for r in runs} for a, b in itertools.pairwise(
        sorted((r for r in runs if r[0] == job), key=lambda r: r[2])) if a[1] != b[1])
    shape = f"{len(world.servers)} api + {len(world.workers)} workers"
    record("workers_topology", shape)
    record("workers_kills", kills)
    record("workers_filings", f"{answered} answered, {unanswered} unanswered")
    record("workers_refunds_lost", f"{len(missing)} of {len(refunded)}")
    record("workers_keys_applied_twice", len(keys) - len(set(keys)))
    record("workers_duplicate_deliveries_ignored", world.receiver.sink.duplicates)
    record("workers_leased_runs", f"{len(runs)} runs, {takeovers} changes of holder, {len(overlaps)} overlaps")
    assert kills >= 3, "the load ended before the workers were killed a few times"
    assert refunded, "no refund went through"
    assert not missing, f"{len(missing)}/{len(refunded)} refunds lost"
    assert len(keys) == len(set(keys)), "an idempotency key was applied twice"
    assert world.receiver.paid_twice() == [] and world.receiver.over_refunded() == []
    assert len(runs) > 20 and takeovers > 0, (len(runs), takeovers)
    assert overlaps == [], f"runs of one job by two workers at once: {overlaps[:5]}"
