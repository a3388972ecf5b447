"""Scaling out: API replicas and worker processes on one database under refund and action load, workers killed with
SIGKILL in a loop and restarted, while the platform acks every action it receives. Nothing lost, nothing applied
twice, no action sent under two keys, and no leased job ever run by two workers at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from anxin.actions.model import CREATOR_RESTRICT, FUNDS_HOLD, LISTING_TAKEDOWN, LIVE_ROOM_PENALISE, SHOP_RESTRICT
from tests.reliability.harness import (
    CONSUMER_KEYS,
    DELIVERY_LEASE_SECONDS,
    SHOP,
    Call,
    PlatformSink,
    Reply,
    Server,
    Worker,
    World,
    _send,
    record,
    setting,
)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
KILL_EVERY = setting("WORKER_KILL_EVERY", 2.0)  # seconds between two kills
LOAD_SECONDS = setting("WORKER_LOAD_SECONDS", 20)
ACTION_PAUSE = setting("WORKER_ACTION_PAUSE", 0.2)  # seconds between two operator requests (bans, actions)
CLIENTS = 8
BAN_SHOPS = 60
ACTION_ANSWER_SECONDS = 0.3
LOST_ACTION_ANSWERS = 3
# A message or an event claimed by a killed worker waits out its lease (DELIVERY_LEASE_SECONDS) before another worker
# takes it; a lost answer is retried after 10 s.
SETTLE_SECONDS = 120


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


def _by_hand(world: World, n: int) -> Call:
    """An operator's action, a different kind and cause each time."""
    kind, target, parameters = [
        (LISTING_TAKEDOWN, f"listing:l{n}", {}),
        (FUNDS_HOLD, f"shop:{SHOP}", {"amount_fen": 100 + n}),
        (CREATOR_RESTRICT, f"creator:cr{n}", {"restrict": ["live"]}),
        (LIVE_ROOM_PENALISE, f"live_room:r{n}", {"penalty": "warning"}),
    ][n % 4]
    return Call("POST", "/v1/actions", world.keys["operator"],
                {"kind": kind, "target": target, "parameters": parameters,
                 "cause": {"type": "ticket", "id": f"REL-{n}"}, "note": "reliability"})


class Platform:
    """The platform's side of actions: it acks (done) each action it received once anxin shows it as sent, so every
    action must go issued → sent (the outbox's delivery event) → done (the ack). Runs in a thread until stopped."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.acked: set[str] = set()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="platform-acks")

    def start(self) -> Platform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        keys = self.world.keys
        operator, platform = ({"Authorization": f"Bearer {keys[k]}"} for k in ("operator", "platform"))
        with httpx.Client(timeout=30) as http:
            for n in itertools.count():
                if self._stop.wait(0.3):
                    return
                base = self.world.servers[n % len(self.world.servers)].base  # spread over the replicas
                received = set(self.world.receiver.action_keys())
                try:
                    sent = http.get(f"{base}/v1/actions", params={"state": "sent", "limit": 500}, headers=operator)
                    for item in sent.json()["items"] if sent.status_code == 200 else []:
                        action_id = item["action_id"]
                        if action_id not in received or action_id in self.acked:
                            continue
                        r = http.post(f"{base}/v1/actions/{action_id}/ack", json={"status": "done"}, headers=platform)
                        if r.status_code == 200 and r.json()["state"] == "done":
                            self.acked.add(action_id)
                        else:
                            self.errors.append(f"ack {action_id}: {r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:  # the servers are never killed: worth reporting, then go on
                    self.errors.append(f"{type(exc).__name__}: {exc}")


def _settled(actions: list[dict[str, Any]], banned: list[str], by_hand: dict[str, str]) -> bool:
    """Every answered ban and operator request has its action, and every action is done."""
    targets = {a["target"] for a in actions if a["kind"] == SHOP_RESTRICT}
    return (all(a["state"] == "done" for a in actions) and {f"shop:{s}" for s in banned} <= targets
            and set(by_hand.values()) <= {a["action_id"] for a in actions})


def _event_counts(url: str) -> dict[tuple[str, str], int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {(name, status): int(n) for name, status, n in conn.execute(sa.text(
                "SELECT name, status, count(*) FROM domain_events GROUP BY name, status"))}
    finally:
        engine.dispose()


def test_replicas_and_workers_killed_in_a_loop_lose_no_refund_nor_action_and_never_overlap(world: World) -> None:
    started = time.monotonic()
    postgres = world.template.dialect == "postgresql"
    if postgres:  # two API replicas and two workers; on SQLite one of each (one file, one writer)
        world.replicas.append(Server(world.url, webhook_url=world.receiver.url, workdir=world.workdir,
                                     name="server2").start())
        world.workers.append(Worker(world.url, webhook_url=world.receiver.url, workdir=world.workdir,
                                    name="worker2").start())
    orders = world.seed_orders(2 * CONSUMER_KEYS, prefix="scale", per_consumer=2)
    shops = world.seed_shops(BAN_SHOPS)
    sink = world.receiver.sink
    assert isinstance(sink, PlatformSink)
    # The platform acts before answering an action (a kill meanwhile leaves it applied but unrecorded), and the
    # answers to the first few are lost: both come back under the same key, which the platform must recognise.
    sink.action_seconds, sink.lose_actions = ACTION_ANSWER_SECONDS, LOST_ACTION_ANSWERS
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

    banned: list[str] = []  # shops whose ban was answered 201
    by_hand: dict[str, str] = {}  # cause id -> action id, for every answered operator action
    operator_replies: list[tuple[str, Reply]] = []  # anything else an operator request got

    async def load() -> tuple[int, int]:
        queue = list(reversed(orders))
        to_ban = list(reversed(shops))
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

        async def operator_loop() -> None:
            """Bans (risk.shop_blocked → shop.restrict) and actions by hand, alternately; every fifth action by hand
            is sent twice at once to two replicas (a double click), and must come back as one action."""
            made = 0
            for n in itertools.count():
                if time.monotonic() >= stop:
                    return
                client = clients[n % len(clients)]
                if n % 2 == 0 and to_ban:
                    shop = to_ban.pop()
                    reply = await _send(client, Call("POST", "/v1/risk/bans", world.keys["operator"],
                                                     {"shop_id": shop, "reason": "reliability: counterfeit"}))
                    if reply.status == 201:
                        banned.append(shop)
                    else:
                        operator_replies.append((f"ban {shop}", reply))
                else:
                    call = _by_hand(world, made)
                    twice = made % 5 == 1
                    made += 1
                    replies = await asyncio.gather(*(_send(clients[(n + i) % len(clients)], call)
                                                     for i in range(2 if twice else 1)))
                    cause = call.json["cause"]["id"]
                    ok = [r.body for r in replies if r.status == 200]
                    for r in replies:
                        if r.status != 200:
                            operator_replies.append((f"action {cause}", r))
                    if ok:
                        by_hand[cause] = ok[0]["action_id"]
                    if len({b["action_id"] for b in ok}) > 1 or (len(ok) == 2 and sorted(
                            b["created"] for b in ok) != [False, True]):
                        operator_replies.append((f"double click {cause}", Reply(200, ok)))
                await asyncio.sleep(ACTION_PAUSE)

        try:
            await asyncio.gather(operator_loop(), *(client_loop(c) for c in range(CLIENTS)))
        finally:
            for client in clients:
                await client.aclose()
        return answered, unanswered

    platform = Platform(world).start()
    thread = threading.Thread(target=killer)
    thread.start()
    try:
        answered, unanswered = asyncio.run(load())
    finally:
        done.set()
        thread.join()
    settle_from = time.monotonic()
    try:
        refunded = {c["case_id"] for c in world.cases(state="refunded")}
        missing = world.receiver.wait_for_cases(refunded, timeout=SETTLE_SECONDS)
        deadline = settle_from + SETTLE_SECONDS
        while time.monotonic() < deadline and not _settled(world.actions(), banned, by_hand):
            time.sleep(0.5)
        settled_in = time.monotonic() - settle_from
    finally:
        platform.stop()
    for worker in world.workers:
        assert worker.stop() == 0, f"worker did not stop cleanly on SIGTERM:\n{worker.log_tail()}"

    keys = [r.idempotency_key for r in list(world.receiver.sink.applied)]
    runs = _runs([w.trace for w in world.workers], killed_at, time.time())
    overlaps = _overlaps(runs)
    takeovers = sum(1 for job in {r[0] for r in runs} for a, b in itertools.pairwise(
        sorted((r for r in runs if r[0] == job), key=lambda r: r[2])) if a[1] != b[1])
    actions = world.actions()
    by_id = {a["action_id"]: a for a in actions}
    not_done = sorted((a["action_id"], a["state"]) for a in actions if a["state"] != "done")
    never_sent = sorted(a["action_id"] for a in actions if a["sent_at"] is None)
    acked_before_sent = sorted(a["action_id"] for a in actions if a["sent_at"] and a["acked_at"] and
                               dt.datetime.fromisoformat(a["acked_at"]) < dt.datetime.fromisoformat(a["sent_at"]))
    restricted = [a["target"].removeprefix("shop:") for a in actions
                  if a["kind"] == SHOP_RESTRICT and a["cause"]["type"] == "risk.ban"]
    received = world.receiver.action_keys()
    messages = {m["payload"]["action_id"]: m["message_id"] for m in world.receiver.actions()}
    two_keys = sorted(a for a, k in received.items() if len(k) > 1)
    action_redeliveries = sum(n for k, n in world.receiver.sink.redelivered.items() if k.startswith("action:"))
    events = _event_counts(world.url)
    shape = f"{len(world.servers)} api + {len(world.workers)} workers"
    record("workers_topology", f"{shape}, delivery lease {DELIVERY_LEASE_SECONDS} s")
    record("workers_kills", kills)
    record("workers_filings", f"{answered} answered, {unanswered} unanswered")
    record("workers_refunds_lost", f"{len(missing)} of {len(refunded)}")
    record("workers_keys_applied_twice", len(keys) - len(set(keys)))
    record("workers_duplicate_deliveries_ignored", world.receiver.sink.duplicates)
    record("workers_actions", f"{len(actions)} ({len(banned)} bans, {len(by_hand)} by hand)")
    record("workers_actions_lost", f"{len(not_done) + len(never_sent)} of {len(actions)} (not done or never sent)")
    record("workers_actions_two_keys", len(two_keys))
    record("workers_actions_same_key_redeliveries", action_redeliveries)
    record("workers_actions_acked", f"{len(platform.acked)}, settled {settled_in:.1f} s after the load")
    record("workers_events", {f"{n} {s}": c for (n, s), c in sorted(events.items())})
    record("workers_leased_runs", f"{len(runs)} runs, {takeovers} changes of holder, {len(overlaps)} overlaps")
    record("workers_deliveries_sent_twice_at_once", len(sink.overlapping))
    record("workers_test_seconds", round(time.monotonic() - started, 1))
    assert kills >= 3, "the load ended before the workers were killed a few times"
    # Refunds: every refunded case paid, once.
    assert refunded, "no refund went through"
    assert not missing, f"{len(missing)}/{len(refunded)} refunds lost"
    assert len(keys) == len(set(keys)), "an idempotency key was applied twice"
    assert world.receiver.paid_twice() == [] and world.receiver.over_refunded() == []
    # Actions: every answered ban and operator request made one action; each was delivered under one key, marked
    # sent by the delivery event and acked done by the platform.
    assert banned and by_hand, (len(banned), len(by_hand))
    assert operator_replies == [], operator_replies[:5]
    assert sorted(restricted) == sorted(set(restricted)) and set(banned) <= set(restricted), "a ban's action is missing"
    assert set(by_hand.values()) <= set(by_id), "an operator's action is missing"
    assert not_done == [] and never_sent == [], f"actions lost: {not_done[:5]} {never_sent[:5]}"
    assert acked_before_sent == [] and platform.errors == [], (acked_before_sent[:5], platform.errors[:5])
    assert set(received) == set(by_id) and two_keys == [], f"sent under two keys: {two_keys[:5]}"
    assert action_redeliveries >= LOST_ACTION_ANSWERS, "an action whose answer was lost must come again, same key"
    assert all(messages[a] == by_id[a]["message_id"] for a in by_id)
    assert platform.acked == set(by_id)
    # One delivery event per action message (none for refunds), every event handled.
    assert events.get(("outbox.message_delivered", "done")) == len(actions), events
    assert {s for _, s in events} == {"done"}, events
    # Leases: no leased job ever run by two workers at once.
    assert len(runs) > 20 and takeovers > 0, (len(runs), takeovers)
    assert overlaps == [], f"runs of one job by two workers at once: {overlaps[:5]}"
    assert sink.overlapping == [], f"deliveries sent by two workers at once: {sink.overlapping[:5]}"
