"""The files of src/anxin one after-sale request walks through (issue 14: fewer than ~45; 54 at 78c0433, 44 at 2b197e5).

    PYTHONPATH=src .venv/bin/python -m bench.request_walk [--list] [--json]

The walk: ``POST /v1/aftersales/cases`` through the real app (FastAPI TestClient, a consumer's API key) for an
unshipped order in a shop with instant refund, so the one request decides, asks risk for its verdict, approves
and owes a refund; then the outbox delivers that refund as a signed webhook (a recording transport stands in for
the platform). Seeded through the product (bench.fixtures) on a fresh SQLite file.

Measured with ``sys.settrace``/``threading.settrace`` ('call' events only, every thread: the app runs in the test
client's portal thread and its thread pool), counting distinct source files under src/anxin/ whose code ran. A
first request of the same kind runs untraced before, so what is counted is the request's own path, not module
imports or first-use caches (``--cold`` counts the first request instead).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

SRC = (Path(__file__).resolve().parent.parent / "src" / "anxin").resolve()


class Walk:
    """Distinct files under ``src/anxin`` whose functions were called while recording."""

    def __init__(self) -> None:
        self.recording = False
        self.files: set[str] = set()
        self._prefix = str(SRC) + "/"

    def trace(self, frame: FrameType, event: str, arg: Any) -> None:
        if self.recording and event == "call":
            name = frame.f_code.co_filename
            if name.startswith(self._prefix):
                self.files.add(name[len(self._prefix):])
        return None  # no per-line tracing: calls are enough

    def install(self) -> None:
        sys.settrace(self.trace)  # type: ignore[arg-type]
        threading.settrace(self.trace)  # type: ignore[arg-type]


def by_package(files: set[str]) -> dict[str, int]:
    return dict(sorted(Counter(f.split("/")[0] if "/" in f else "(top)" for f in files).items()))


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.request_walk", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--list", action="store_true", help="print every file walked, by phase")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--cold", action="store_true", help="count the first request of its kind (imports, caches)")
    args = p.parse_args()

    walk = Walk()
    walk.install()  # before any thread of the app starts, so every one inherits it

    from fastapi.testclient import TestClient

    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    from anxin.web.app import create_app
    from bench.fixtures import KINDS, PRICE_FEN, T0, kind_of, order_id, seed_events

    tmp = Path(tempfile.mkdtemp(prefix="anxin-walk-"))
    transport = RecordingTransport()
    settings = Settings(database_url=f"sqlite:///{tmp / 'walk.db'}", evidence_dir=tmp / "evidence",
                        webhook_url="http://127.0.0.1:9/unused", webhook_secret="walk-secret", rulebook_paths=())
    anxin = bootstrap(settings=settings, clock=FixedClock(T0), transport=transport)
    n = 2 * len(KINDS)  # orders 0 and len(KINDS) are both instant refunds, of two consumers
    result = anxin.ingestion.ingest(list(seed_events(n)))
    if result.rejected or result.pending:
        raise SystemExit(f"seeding failed: {result.as_dict()}")
    from bench.fixtures import consumer_id
    orders = [i for i in range(n) if kind_of(i).name == "instant_refund"]
    keys = {i: anxin.access.create_key("consumer", consumer_id(i))[1] for i in orders}

    phases: dict[str, set[str]] = {}
    with TestClient(create_app(anxin), raise_server_exceptions=True) as client:
        for run, i in enumerate(orders[:2]):
            traced = run == (0 if args.cold else 1)
            body = {"order_id": order_id(i), "type": "refund_only", "reason": "other", "amount_fen": PRICE_FEN}
            walk.files, walk.recording = set(), traced
            resp = client.post("/v1/aftersales/cases", json=body, headers={"Authorization": f"Bearer {keys[i]}"})
            walk.recording = False
            if resp.status_code != 201 or resp.json()["decision"]["outcome"] != "approved":
                raise SystemExit(f"the request did not approve at filing: {resp.status_code} {resp.text[:300]}")
            if traced:
                phases["request"] = walk.files
            walk.files, walk.recording = set(), traced
            delivered = anxin.deliver()
            walk.recording = False
            if delivered["delivered"] != 1:
                raise SystemExit(f"the refund was not delivered once: {delivered}")
            if traced:
                phases["webhook"] = walk.files
    sys.settrace(None)
    threading.settrace(None)  # type: ignore[arg-type]
    sent = [json.loads(call.body) for call in transport.calls]
    if not any("refund" in json.dumps(m) for m in sent):
        raise SystemExit(f"no refund webhook was sent: {sent[:2]}")

    total = phases["request"] | phases["webhook"]
    out = {"phase": "cold" if args.cold else "warm", "files": len(total),
           "request_files": len(phases["request"]), "webhook_files": len(phases["webhook"]),
           "by_package": by_package(total)}
    if args.json:
        print(json.dumps({**out, "walked": {k: sorted(v) for k, v in phases.items()}}, indent=2))
        return
    print(f"one after-sale request ({out['phase']}): {out['files']} files under src/anxin "
          f"(request {out['request_files']}, webhook delivery {out['webhook_files']})")
    for pkg, count in out["by_package"].items():
        print(f"  {pkg:<14} {count}")
    if args.list:
        for phase, files in phases.items():
            print(f"{phase}:")
            for f in sorted(files):
                print(f"    {f}")


if __name__ == "__main__":
    main()
