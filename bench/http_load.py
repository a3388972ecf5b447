"""HTTP figures: real uvicorn servers (anxin and a bare FastAPI app) loaded by wrk or an asyncio client."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fixtures import HERE, KINDS, ORDERS_PER_CONSUMER, PRICE_FEN, bootstrap_bench, kind_of, order_id, pct

# --- 2. HTTP ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(target: str, url: str, port: int, evidence_dir: str) -> None:
    """Runs in the server subprocess."""
    import uvicorn

    if target == "anxin":
        from anxin.web.app import create_app
        app = create_app(bootstrap_bench(url, Path(evidence_dir)))
    elif target == "write":
        app = write_app(url)
    else:
        from fastapi import FastAPI

        from anxin.aftersales.api import FileCaseBody  # the very model the real endpoint parses

        app = FastAPI(title="bare")

        async def file_case(body: FileCaseBody) -> dict[str, Any]:
            return {"case_id": "as_bare", "order_id": body.order_id, "state": "received"}

        async def healthz() -> dict[str, str]:
            return {"status": "ok"}

        # This module uses string annotations; give FastAPI the real types (the model is a local import).
        file_case.__annotations__ = {"body": FileCaseBody, "return": dict[str, Any]}
        healthz.__annotations__ = {"return": dict[str, str]}
        app.post("/v1/aftersales/cases", status_code=201)(file_case)
        app.get("/healthz")(healthz)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", workers=1)


def write_app(url: str) -> Any:
    """The fair baseline: the endpoint anxin's filing would be if it did nothing but validate the same body model
    and durably commit one row, with the same driver and engine settings (anxin's ``make_engine``: WAL, pool, the
    SQLite writer lock) on the same database, in one thread-pool hop like anxin's filing endpoint."""
    import sqlalchemy as sa
    from fastapi import FastAPI, Request
    from fastapi.concurrency import run_in_threadpool

    from anxin.aftersales.api import FileCaseBody
    from anxin.db.engine import make_engine

    engine = make_engine(url)
    table = sa.Table("bench_filing", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("order_id", sa.String(64), nullable=False), sa.Column("body", sa.Text, nullable=False))
    table.metadata.create_all(engine)
    app = FastAPI(title="bare-write")

    async def file_case(request: Request) -> dict[str, Any]:
        raw = await request.body()

        def validate_and_commit() -> dict[str, Any]:
            body = FileCaseBody.model_validate_json(raw)
            with engine.begin() as conn:
                row_id = conn.execute(table.insert().values(order_id=body.order_id, body=raw.decode())
                                      ).inserted_primary_key[0]
            return {"case_id": f"as_write_{row_id}", "order_id": body.order_id, "state": "received"}

        return await run_in_threadpool(validate_and_commit)

    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    file_case.__annotations__ = {"request": Request, "return": dict[str, Any]}
    healthz.__annotations__ = {"return": dict[str, str]}
    app.post("/v1/aftersales/cases", status_code=201)(file_case)
    app.get("/healthz")(healthz)
    return app


@contextmanager
def server(target: str, url: str, evidence_dir: Path, log: Path) -> Iterator[tuple[int, int]]:
    import httpx
    port = free_port()
    with log.open("ab") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "bench.decide", "--serve", target, "--serve-db", url,
                                 "--serve-port", str(port), "--serve-evidence", str(evidence_dir)],
                                cwd=HERE.parent, stdout=fh, stderr=fh, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{target} server exited with {proc.returncode}; see {log}:\n"
                                 + log.read_text()[-3000:])
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{target} server did not come up; see {log}")
            time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


LUA = r"""
-- generated by bench/decide.py: POST one after-sale per order, each order used once.
local keys = {%(keys)s}
local kinds = {%(kinds)s}
local sha = "%(sha)s"
local n_orders = %(n_orders)d
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  offset = tonumber(args[1]) or 0
  nthreads = tonumber(args[2]) or 1
  counter = 0
  wrapped = 0
  s2xx = 0; s401 = 0; s404 = 0; s409 = 0; s422 = 0; s5xx = 0; sother = 0
end

function request()
  local i = offset + tid + counter * nthreads
  counter = counter + 1
  if i >= n_orders then
    wrapped = wrapped + 1
    i = i %% n_orders
  end
  local k = kinds[(i %% %(n_kinds)d) + 1]
  local ev = ""
  if k[4] then ev = '"' .. sha .. '"' end
  local body = string.format('{"order_id":"o%%07d","type":"%%s","reason":"%%s","amount_fen":%%d,"evidence":[%%s]}',
                             i, k[1], k[2], k[3], ev)
  local key = keys[math.floor(i / %(per_consumer)d) + 1]
  return wrk.format("POST", nil, {["Authorization"] = "Bearer " .. key,
                                  ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status == 401 then s401 = s401 + 1
  elseif status == 404 then s404 = s404 + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status == 422 then s422 = s422 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else sother = sother + 1 end
end

function done(summary, latency, requests)
  local t = {s2xx = 0, s401 = 0, s404 = 0, s409 = 0, s422 = 0, s5xx = 0, sother = 0, issued = 0, wrapped = 0}
  for _, th in ipairs(threads) do
    for name, _ in pairs(t) do
      if name ~= "issued" then t[name] = t[name] + th:get(name) end
    end
    t.issued = math.max(t.issued, th:get("counter"))
  end
  io.write(string.format('BENCH_JSON {"requests":%%d,"duration_us":%%d,"s2xx":%%d,"s401":%%d,"s404":%%d,' ..
    '"s409":%%d,"s422":%%d,"s5xx":%%d,"sother":%%d,"max_counter":%%d,"wrapped":%%d,"err_connect":%%d,' ..
    '"err_read":%%d,"err_write":%%d,"err_status":%%d,"err_timeout":%%d,"lat_p50_us":%%d,"lat_p99_us":%%d,' ..
    '"lat_max_us":%%d}\n',
    summary.requests, summary.duration, t.s2xx, t.s401, t.s404, t.s409, t.s422, t.s5xx, t.sother, t.issued,
    t.wrapped, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def write_lua(path: Path, keys: list[str], sha: str, n_orders: int) -> None:
    kinds = ", ".join(f'{{"{k.case_type}", "{k.reason}", {PRICE_FEN}, {"true" if k.evidence else "false"}}}'
                      for k in KINDS)
    path.write_text(LUA % {"keys": ", ".join(f'"{k}"' for k in keys), "kinds": kinds, "sha": sha,
                           "n_orders": n_orders, "n_kinds": len(KINDS), "per_consumer": ORDERS_PER_CONSUMER})


@dataclass
class Load:
    client: str
    seconds: float
    concurrency: int
    s2xx: int
    non2xx: dict[str, int]
    errors: dict[str, int]
    issued: int  # orders used (highest per-thread counter x threads)
    wrapped: int
    lat_p50_ms: float | None
    lat_p99_ms: float | None

    @property
    def rps(self) -> float:
        return self.s2xx / self.seconds


def run_wrk(port: int, lua: Path, seconds: float, concurrency: int, offset: int) -> Load:
    threads = 1  # 2 cores: one for the server, the client needs well under one
    cmd = ["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(lua), f"http://127.0.0.1:{port}/v1/aftersales/cases", "--", str(offset), str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    r = json.loads(line.split(" ", 1)[1])
    dur = r["duration_us"] / 1e6
    non2xx = {k[1:]: r[k] for k in ("s401", "s404", "s409", "s422", "s5xx", "sother") if r[k]}
    errors = {k[4:]: r[k] for k in ("err_connect", "err_read", "err_write", "err_timeout") if r[k]}
    return Load("wrk", dur, concurrency, r["s2xx"], non2xx, errors, r["max_counter"] * threads, r["wrapped"],
                r["lat_p50_us"] / 1000, r["lat_p99_us"] / 1000)


def py_client(port: int, spec_path: str, seconds: float, concurrency: int, offset: int) -> None:
    """Fallback load generator (separate process) when wrk is missing: fixed concurrency over plain asyncio
    HTTP/1.1 keep-alive connections, same requests as the Lua script. (An httpx client saturates at about a
    hundred requests/s here, below the bare server, which would make the ratio meaningless.)"""
    spec = json.loads(Path(spec_path).read_text())
    keys, sha, n_orders = spec["keys"], spec["sha"], spec["n_orders"]
    counts: dict[str, int] = {}
    lat: list[int] = []
    state = {"next": offset, "wrapped": 0}

    def request(i: int) -> bytes:
        k = kind_of(i)
        body = json.dumps({"order_id": order_id(i), "type": k.case_type, "reason": k.reason,
                           "amount_fen": PRICE_FEN, "evidence": [sha] if k.evidence else []}).encode()
        return (f"POST /v1/aftersales/cases HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: Bearer {keys[i // ORDERS_PER_CONSUMER]}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> int:
        writer.write(data)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = next(int(ln.split(":", 1)[1]) for ln in lines if ln.lower().startswith("content-length:"))
        await reader.readexactly(length)
        return int(lines[0].split()[1])

    async def worker(stop: float) -> None:
        conn = None
        while time.monotonic() < stop:
            i = state["next"]
            state["next"] += 1
            if i >= n_orders:
                state["wrapped"] += 1
                i %= n_orders
            t = time.perf_counter_ns()
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                status = await asyncio.wait_for(exchange(*conn, request(i)), timeout=10)
                key = "2xx" if 200 <= status < 300 else str(status)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                    StopIteration, ValueError) as exc:
                key = "err_" + type(exc).__name__
                if conn is not None:
                    conn[1].close()
                conn = None
            lat.append(time.perf_counter_ns() - t)
            counts[key] = counts.get(key, 0) + 1
        if conn is not None:
            conn[1].close()

    async def main() -> float:
        start = time.monotonic()
        await asyncio.gather(*(worker(start + seconds) for _ in range(concurrency)))
        return time.monotonic() - start

    duration = asyncio.run(main())
    s = sorted(lat)
    print("BENCH_JSON " + json.dumps({"duration": duration, "counts": counts, "issued": state["next"] - offset,
                                      "wrapped": state["wrapped"], "p50_ms": pct(s, 50) / 1e6,
                                      "p99_ms": pct(s, 99) / 1e6}))


def run_py_client(port: int, spec: Path, seconds: float, concurrency: int, offset: int) -> Load:
    out = subprocess.run([sys.executable, "-m", "bench.decide", "--client", str(port), "--client-spec", str(spec),
                          "--client-seconds", str(seconds), "--concurrency", str(concurrency),
                          "--client-offset", str(offset)], capture_output=True, text=True, cwd=HERE.parent,
                         env=os.environ.copy(), check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"asyncio client failed:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line.split(" ", 1)[1])
    counts = r["counts"]
    return Load("asyncio", r["duration"], concurrency, counts.pop("2xx", 0),
                {k: v for k, v in counts.items() if not k.startswith("err_")},
                {k: v for k, v in counts.items() if k.startswith("err_")}, r["issued"], r["wrapped"],
                r["p50_ms"], r["p99_ms"])


class Backend:
    """A database to benchmark against: a seeded template and fresh copies of it per run."""

    name: str

    def template_url(self) -> str: ...
    def fresh_copy(self, label: str) -> str: ...
    def drop_copy(self, url: str) -> None: ...
    def close(self) -> None: ...


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.db"

    def template_url(self) -> str:
        return f"sqlite:///{self.template}"

    def fresh_copy(self, label: str) -> str:
        target = self.root / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        src, dst = sqlite3.connect(self.template), sqlite3.connect(target)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        return f"sqlite:///{target}"

    def drop_copy(self, url: str) -> None:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, url: str, *, prefix: str = "anxin_bench") -> None:
        """Databases ``<prefix>_tpl`` and ``<prefix>_*`` are created (and dropped) next to the one in ``url``,
        which is only used to connect; give concurrent users different prefixes."""
        import sqlalchemy as sa
        self.sa = sa
        self.prefix = prefix
        self.template_name = f"{prefix}_tpl"
        self.base = sa.make_url(url)
        self.admin = sa.create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.copies: list[str] = []
        self._drop(self.template_name)
        self._exec(f'CREATE DATABASE "{self.template_name}"')
        with self.admin.connect() as conn:
            self.server_version = conn.execute(sa.text("SHOW server_version")).scalar()

    def _exec(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(self.sa.text(sql))

    def _drop(self, name: str) -> None:
        self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def template_url(self) -> str:
        return self._url(self.template_name)

    def fresh_copy(self, label: str) -> str:
        name = f"{self.prefix}_{label}"
        self._drop(name)
        self._exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
        self.copies.append(name)
        return self._url(name)

    def drop_copy(self, url: str) -> None:
        name = self.sa.make_url(url).database
        assert name and name.startswith(f"{self.prefix}_")
        self._drop(name)

    def close(self) -> None:
        for name in [*self.copies, self.template_name]:
            self._drop(name)
        self.admin.dispose()


