"""The reliability suite's real parts: anxin server processes, a signature-checking webhook receiver, databases
copied from a migrated template, and concurrent HTTP clients.

Nothing here is faked: the server is ``anxin serve`` (uvicorn), the periodic jobs run in ``anxin worker`` processes
(deadlines, the outbox sending real signed webhooks), the receiver is the reference ``WebhookSink`` (it verifies the
Standard Webhooks signature and applies each ``Idempotency-Key`` once), and orders arrive through ``POST /v1/events``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bench.http_load import PostgresBackend, SqliteBackend, free_port

from anxin.outbox.model import ACTION_KINDS, IDEMPOTENCY_HEADER, REFUND
from anxin.outbox.receiver import WebhookSink, serve_sink
from tests.db import builders as b

SECRET = "reliability-secret"
MERCHANT = "m_rel"
SHOP = "s_rel"
LISTING = "l_rel"
CATEGORY = "cat_rel"
PRICE_FEN = 9900
CONSUMER_KEYS = 400  # consumers c0000.. with keys in the template database


def setting(name: str, default: float) -> float:
    """Knobs of the suite (durations, counts), so the bench can run the same scenario longer."""
    return float(os.environ.get(f"ANXIN_RELIABILITY_{name}", default))


# A webhook delivery or domain event held by a killed worker is another's after this (production default: 60 s).
DELIVERY_LEASE_SECONDS = int(setting("DELIVERY_LEASE", 15))


def consumer(i: int) -> str:
    return f"c{i:04d}"


# --- databases ---------------------------------------------------------------------------------------

@dataclass
class Template:
    """A migrated database with keys for every role; each test gets a fresh copy of it."""

    backend: SqliteBackend | PostgresBackend
    keys: dict[str, str]  # "platform", "operator", "merchant", and consumer ids -> raw key
    dialect: str
    copies: int = 0

    def fresh(self, label: str) -> str:
        self.copies += 1
        return self.backend.fresh_copy(re.sub(r"[^a-z0-9_]", "_", f"{self.copies}_{label}".lower())[:40])


def make_template(root: Path) -> Template:
    from anxin.bootstrap import bootstrap
    from anxin.settings import Settings

    url = os.environ.get("ANXIN_TEST_DATABASE_URL")
    if url:
        import sqlalchemy as sa
        name = sa.make_url(url).database or "anxin"
        backend: SqliteBackend | PostgresBackend = PostgresBackend(url, prefix=f"{name}_rel")
    else:
        backend = SqliteBackend(root)
    anxin = bootstrap(settings=Settings(database_url=backend.template_url(), evidence_dir=root / "evidence",
                                        webhook_url=None, webhook_secret=SECRET), run_migrations=True)
    keys = {"platform": anxin.access.create_key("platform", "platform-rel")[1],
            "operator": anxin.access.create_key("operator", "ops-rel")[1],
            "merchant": anxin.access.create_key("merchant", MERCHANT)[1]}
    for i in range(CONSUMER_KEYS):
        keys[consumer(i)] = anxin.access.create_key("consumer", consumer(i))[1]
    dialect = anxin.engine.dialect.name
    anxin.engine.dispose()
    return Template(backend, keys, dialect)


# --- the receiver --------------------------------------------------------------------------------------

class PlatformSink(WebhookSink):
    """The reference receiver as a platform that acts on an action before answering (``action_seconds``: a worker
    killed meanwhile leaves the message applied but unrecorded) and loses its answer to the next ``lose_actions``
    new actions (the outbox sends them again, under the same key). ``overlapping`` lists keys that arrived while a
    request for the same key was still open: one delivery sent by two workers at once."""

    def __init__(self, secret: str, *, action_seconds: float = 0.0, lose_actions: int = 0) -> None:
        super().__init__(secret)
        self.action_seconds = action_seconds
        self.lose_actions = lose_actions
        self._guard = threading.Lock()
        self._in_flight: set[str] = set()
        self.overlapping: list[str] = []  # keys that arrived while a request with the same key was still open

    def receive(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, bool]:
        key = {k.lower(): v for k, v in headers.items()}.get(IDEMPOTENCY_HEADER.lower(), "")
        with self._guard:  # one delivery sent by two workers at once would show here (its lease failed)
            if key in self._in_flight:
                self.overlapping.append(key)
            self._in_flight.add(key)
        try:
            status, duplicate = super().receive(body, headers)
            if status != 200 or not key.startswith("action:"):
                return status, duplicate
            time.sleep(self.action_seconds)
            with self._guard:
                lose = not duplicate and self.lose_actions > 0
                if lose:
                    self.lose_actions -= 1
            return (500, False) if lose else (status, duplicate)
        finally:
            with self._guard:
                self._in_flight.discard(key)


class Receiver:
    """The platform's side: a real HTTP server verifying signatures and applying each idempotency key once."""

    def __init__(self, sink: WebhookSink | None = None) -> None:
        self.sink = sink or WebhookSink(SECRET)
        self.server, self.url = serve_sink(self.sink)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def refunds(self) -> list[dict[str, Any]]:
        """Refund messages applied (once per idempotency key)."""
        return [r.message for r in list(self.sink.applied) if r.message.get("kind") == REFUND]

    def actions(self) -> list[dict[str, Any]]:
        """Action messages applied (once per idempotency key)."""
        return [r.message for r in list(self.sink.applied) if r.message.get("kind") in ACTION_KINDS]

    def action_keys(self) -> dict[str, set[str]]:
        """action id -> the idempotency keys it arrived under (one, unless an action were sent under two keys)."""
        out: dict[str, set[str]] = {}
        for m in self.actions():
            out.setdefault(m["payload"]["action_id"], set()).add(m["idempotency_key"])
        return out

    def refunded_cases(self) -> set[str]:
        return {m["payload"]["case_id"] for m in self.refunds()}

    def paid_by_order(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for m in self.refunds():
            out.setdefault(m["payload"]["order_id"], []).append(int(m["payload"]["amount_fen"]))
        return out

    def over_refunded(self, paid_fen: int = PRICE_FEN) -> list[str]:
        """Orders whose applied refunds add up to more than was paid."""
        return sorted(o for o, amounts in self.paid_by_order().items() if sum(amounts) > paid_fen)

    def paid_twice(self) -> list[str]:
        """Orders that received more than one refund payment (distinct keys)."""
        return sorted(o for o, amounts in self.paid_by_order().items() if len(amounts) > 1)

    def wait_for_cases(self, case_ids: Iterable[str], timeout: float) -> set[str]:
        """Waits until every case's refund arrived (or the timeout), then a quiet second for stragglers;
        returns the cases still missing."""
        wanted = set(case_ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not wanted <= self.refunded_cases():
            time.sleep(0.2)
        quiet_since, seen = time.monotonic(), self.sink.deliveries
        while time.monotonic() - quiet_since < 1.5 and time.monotonic() < deadline + 5:
            time.sleep(0.2)
            if self.sink.deliveries != seen:
                quiet_since, seen = time.monotonic(), self.sink.deliveries
        return wanted - self.refunded_cases()


# --- the server ----------------------------------------------------------------------------------------

SERVE = "import sys; from anxin.cli.main import main; sys.argv[0] = 'anxin'; main()"


class Process:
    """An anxin command in its own process, with its log in ``workdir``; it can be killed and restarted in place."""

    def __init__(self, url: str, args: list[str], *, webhook_url: str | None, workdir: Path, log: str,
                 tick_seconds: float = 0.5) -> None:
        self.url, self.workdir, self.args = url, workdir, args
        self.log = workdir / log
        self.env = {**os.environ, "ANXIN_DATABASE_URL": url, "ANXIN_WEBHOOK_SECRET": SECRET,
                    "ANXIN_TICK_SECONDS": str(tick_seconds), "ANXIN_EVIDENCE_DIR": str(workdir / "evidence"),
                    "ANXIN_DELIVERY_LEASE_SECONDS": str(DELIVERY_LEASE_SECONDS)}
        self.env.pop("ANXIN_WEBHOOK_URL", None)
        if webhook_url:
            self.env["ANXIN_WEBHOOK_URL"] = webhook_url
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen([sys.executable, "-c", SERVE, *self.args], stdout=fh, stderr=fh,
                                         env=self.env, cwd=self.workdir)

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in ``timeout``; its exit code (None: it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Server(Process):
    """``anxin serve`` on a fixed port (the API and pages; no periodic jobs)."""

    def __init__(self, url: str, *, webhook_url: str | None, workdir: Path, name: str = "server") -> None:
        self.port = free_port()
        super().__init__(url, ["serve", "--port", str(self.port)], webhook_url=webhook_url, workdir=workdir,
                         log=f"{name}.log")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        self.spawn()
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"anxin exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"anxin did not come up:\n{self.log_tail()}")
            time.sleep(0.1)


class Worker(Process):
    """``anxin worker`` (every 0.5 s, short leases), tracing each leased job run's start and finish to ``trace``."""

    def __init__(self, url: str, *, webhook_url: str | None, workdir: Path, name: str = "worker",
                 lease_seconds: float = 3) -> None:
        self.trace = workdir / f"{name}.trace.jsonl"
        super().__init__(url, ["worker", "--every", "0.5", "--lease", str(lease_seconds), "--trace", str(self.trace)],
                         webhook_url=webhook_url, workdir=workdir, log=f"{name}.log")

    def start(self) -> Worker:
        self.spawn()
        return self


# --- HTTP clients -----------------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int | None  # None: no answer (connection error, timeout)
    body: Any = None
    error: str = ""

    @property
    def code(self) -> str | None:
        if isinstance(self.body, dict):
            err = self.body.get("error")
            if isinstance(err, dict):
                return err.get("code")
            return self.body.get("code")
        return None


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    key: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)


async def _send(client: httpx.AsyncClient, call: Call) -> Reply:
    try:
        # ASCII JSON, so any string (a lone surrogate too) goes out as the escape a hostile client would send.
        content = None if call.json is None else json.dumps(call.json).encode()
        headers = {"Authorization": f"Bearer {call.key}", **call.headers}
        if content is not None:
            headers["Content-Type"] = "application/json"
        r = await client.request(call.method, call.path, content=content, headers=headers)
    except httpx.HTTPError as exc:
        return Reply(None, error=f"{type(exc).__name__}: {exc}")
    try:
        body = r.json()
    except ValueError:
        body = r.text
    return Reply(r.status_code, body)


def send_all(base: str, calls: list[Call], *, concurrency: int | None = None, timeout: float = 60) -> list[Reply]:
    """Sends every call at once (or ``concurrency`` at a time), each on its own connection; replies in order."""
    limit = concurrency or len(calls) or 1

    async def main() -> list[Reply]:
        limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
            gate = asyncio.Semaphore(limit)

            async def one(call: Call) -> Reply:
                async with gate:
                    return await _send(client, call)

            return await asyncio.gather(*(one(c) for c in calls))

    return asyncio.run(main())


def send_groups(base: str, groups: list[list[Call]], *, in_flight: int, timeout: float = 60) -> list[list[Reply]]:
    """Each group's calls leave at the same moment (one connection each); ``in_flight`` groups at a time."""

    async def main() -> list[list[Reply]]:
        size = in_flight * max((len(g) for g in groups), default=1)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
            gate = asyncio.Semaphore(in_flight)

            async def one(group: list[Call]) -> list[Reply]:
                async with gate:
                    return list(await asyncio.gather(*(_send(client, c) for c in group)))

            return await asyncio.gather(*(one(g) for g in groups))

    return asyncio.run(main())


def record(figure: str, value: Any) -> None:
    """Appends a measured figure to $ANXIN_RELIABILITY_FIGURES (JSON lines), for docs/reliability.md."""
    path = os.environ.get("ANXIN_RELIABILITY_FIGURES")
    print(f"figure {figure}: {value}")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"figure": figure, "value": value, "database": os.environ.get(
                "ANXIN_TEST_DATABASE_URL", "sqlite").split("://")[0].split("+")[0]}) + "\n")


def send(base: str, call: Call, timeout: float = 30) -> Reply:
    return send_all(base, [call], timeout=timeout)[0]


def run_for(base: str, seconds: float, connections: int, next_call: Callable[[int], Call],
            timeout: float = 30) -> list[Reply]:
    """``connections`` clients, each on its own keep-alive connection, sending back to back for ``seconds``."""

    async def main() -> list[Reply]:
        out: list[Reply] = []
        stop = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
            async def worker(w: int) -> None:
                n = 0
                while time.monotonic() < stop:
                    out.append(await _send(client, next_call(w * 1_000_000 + n)))
                    n += 1

            await asyncio.gather(*(worker(w) for w in range(connections)))
        return out

    return asyncio.run(main())


# --- the world a test runs in -------------------------------------------------------------------------------

def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class World:
    template: Template
    url: str
    receiver: Receiver
    server: Server
    workdir: Path
    workers: list[Worker] = field(default_factory=list)
    replicas: list[Server] = field(default_factory=list)  # more API servers on the same database

    @property
    def servers(self) -> list[Server]:
        return [self.server, *self.replicas]

    @property
    def keys(self) -> dict[str, str]:
        return self.template.keys

    @property
    def base(self) -> str:
        return self.server.base

    def ingest(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        """POST /v1/events as the platform; insists every event was applied."""
        out: dict[str, Any] = {}
        for lo in range(0, len(events), 500):
            r = httpx.post(f"{self.base}/v1/events", json={"events": events[lo:lo + 500]}, timeout=120,
                           headers={"Authorization": f"Bearer {self.keys['platform']}"})
            assert r.status_code == 200, r.text
            out = r.json()
            assert not out.get("rejected") and not out.get("pending"), out
        return out

    def seed_orders(self, n: int, *, prefix: str = "o", paid_ago: dt.timedelta = dt.timedelta(hours=1),
                    per_consumer: int = 1, first_consumer: int = 0) -> list[tuple[str, str]]:
        """``n`` unshipped orders of one 99-yuan item in an 安心购 shop (instant refunds apply within 6 h of
        payment), through the API. Returns (order_id, consumer_id) pairs."""
        paid_at = now() - paid_ago
        events = [b.category(CATEGORY, id=f"cat-{prefix}"),
                  b.shop(SHOP, MERCHANT, services=["anxin_gou"], id=f"shop-{prefix}"),
                  b.listing(LISTING, SHOP, CATEGORY, price_fen=PRICE_FEN, id=f"lst-{prefix}")]
        orders = []
        for i in range(n):
            c = first_consumer + i // per_consumer
            assert c < CONSUMER_KEYS, "raise CONSUMER_KEYS"
            oid = f"{prefix}{i:05d}"
            orders.append((oid, consumer(c)))
            events.append(b.order_paid(oid, consumer(c), SHOP, items=[b.item(LISTING, 1, PRICE_FEN)],
                                       paid_at=paid_at, id=f"paid-{oid}"))
        self.ingest(events)
        return orders

    def seed_shops(self, n: int, *, prefix: str = "sb") -> list[str]:
        """``n`` shops with credentials of their own (a ban needs them), through the API."""
        shops = [f"{prefix}{i:03d}" for i in range(n)]
        self.ingest([b.shop(s, f"m_{s}", credentials={"licence": f"LIC-{s}"}, id=f"shop-{s}") for s in shops])
        return shops

    def actions(self) -> list[dict[str, Any]]:
        """Every action the operator sees (paged through the API)."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            r = httpx.get(f"{self.base}/v1/actions", params=params, timeout=60,
                          headers={"Authorization": f"Bearer {self.keys['operator']}"})
            assert r.status_code == 200, r.text
            page = r.json()
            out += page["items"]
            cursor = page["next"]
            if cursor is None:
                return out

    def filing(self, order_id: str, consumer_id: str, amount_fen: int = PRICE_FEN,
               headers: dict[str, str] | None = None, reason: str = "other") -> Call:
        return Call("POST", "/v1/aftersales/cases", self.keys[consumer_id],
                    {"order_id": order_id, "type": "refund_only", "reason": reason, "amount_fen": amount_fen},
                    headers or {})

    def cases(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every case the operator sees (paged through the API)."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 500}
            if cursor:
                params["cursor"] = cursor
            if state:
                params["state"] = state
            r = httpx.get(f"{self.base}/v1/aftersales/cases", params=params, timeout=60,
                          headers={"Authorization": f"Bearer {self.keys['operator']}"})
            assert r.status_code == 200, r.text
            page = r.json()
            out += page["items"]
            cursor = page["next"]
            if cursor is None:
                return out


def new_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="anxin-rel-"))
