"""Shared pieces of the decision benchmark: the claim mix, seeding through the product, statistics, machine facts."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing, as in the tests
HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SHOP = {"shop_id": "s_bench", "merchant_id": "m_bench", "name": "Bench shop", "store_type": "enterprise",
        "services": ["anxin_gou"]}
CATEGORIES = {"fruit": ["fresh"], "apparel": ["apparel"], "cosmetics": ["cosmetics"]}
PRICE_FEN = 9900
ORDERS_PER_CONSUMER = 5  # one order of each kind: keeps consumer_cases_30d below the velocity rule (6)


@dataclass(frozen=True)
class Kind:
    """One claim of the mix: how the order looks at T0 and what the consumer asks for."""

    name: str
    category: str
    paid_h: float  # hours before T0
    shipped_h: float | None
    signed_h: float | None
    case_type: str
    reason: str
    evidence: bool
    expected: str  # outcome of decide()


KINDS = (
    Kind("instant_refund", "fruit", 1, None, None, "refund_only", "other", False, "approved"),
    Kind("seven_day_fresh", "fruit", 96, 72, 48, "return_refund", "no_reason", False, "rejected"),
    Kind("spoilage", "fruit", 48, 24, 3, "refund_only", "spoiled", True, "pending_merchant"),
    Kind("quality", "apparel", 7 * 24, 6 * 24, 5 * 24, "return_refund", "quality", True, "pending_merchant"),
    Kind("counterfeit", "cosmetics", 12 * 24, 11 * 24, 10 * 24, "return_refund", "counterfeit", True, "review"),
)


def order_id(i: int) -> str:
    return f"o{i:07d}"


def consumer_id(i: int) -> str:
    return f"c{i // ORDERS_PER_CONSUMER:06d}"


def kind_of(i: int) -> Kind:
    return KINDS[i % len(KINDS)]


# --- statistics ------------------------------------------------------------------------------------

def pct(sorted_values: list[int], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return float(sorted_values[k])


def summary_ns(values: list[int]) -> dict[str, float]:
    s = sorted(values)
    return {"n": len(s), "p50_us": pct(s, 50) / 1000, "p99_us": pct(s, 99) / 1000, "max_us": s[-1] / 1000,
            "mean_us": statistics.fmean(s) / 1000}


# --- machine -------------------------------------------------------------------------------------

def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str] = {}
    for dist in ("fastapi", "starlette", "pydantic", "uvicorn", "sqlalchemy", "psycopg", "h11", "httptools",
                 "uvloop"):
        try:
            from importlib.metadata import version
            versions[dist] = version(dist)
        except Exception:
            versions[dist] = "not installed"
    wrk = shutil.which("wrk")
    wrk_version = None
    if wrk:
        out = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
        wrk_version = (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else "?"
    git: dict[str, Any] = {}
    try:
        def run(*a: str) -> str:
            return subprocess.run(["git", *a], cwd=HERE.parent, capture_output=True, text=True, check=True).stdout
        git = {"commit": run("rev-parse", "HEAD").strip(),
               "changed_files": [ln[3:] for ln in run("status", "--porcelain", "--untracked-files=no").splitlines()]}
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"git": git, "nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)), "cpu_model": cpu,
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(), "packages": versions,
            "wrk": wrk_version, "loadavg_start": list(os.getloadavg())}


# --- seeding: through the product's own ingestion and key services --------------------------------

def seed_events(n_orders: int) -> Iterator[dict[str, Any]]:
    def ev(eid: str, etype: str, data: dict[str, Any], at: dt.datetime = T0) -> dict[str, Any]:
        return {"id": eid, "type": etype, "occurred_at": at.isoformat(), "data": data}

    for cat, tags in CATEGORIES.items():
        yield ev(f"cat-{cat}", "category.upserted", {"category_id": cat, "name": cat.title(), "tags": tags})
    yield ev("shop", "shop.upserted", SHOP)
    for cat in CATEGORIES:
        yield ev(f"lst-{cat}", "listing.upserted", {"listing_id": f"l_{cat}", "shop_id": SHOP["shop_id"],
                                                   "category_id": cat, "title": cat, "price_fen": PRICE_FEN})
    for i in range(n_orders):
        k, oid = kind_of(i), order_id(i)
        paid = T0 - dt.timedelta(hours=k.paid_h)
        yield ev(f"paid-{oid}", "order.paid", {
            "order_id": oid, "consumer_id": consumer_id(i), "shop_id": SHOP["shop_id"],
            "items": [{"listing_id": f"l_{k.category}", "qty": 1, "price_fen": PRICE_FEN}],
            "paid_fen": PRICE_FEN, "paid_at": paid.isoformat()}, paid)
        if k.shipped_h is not None:
            at = T0 - dt.timedelta(hours=k.shipped_h)
            yield ev(f"ship-{oid}", "order.shipped", {"order_id": oid, "carrier": "sf", "tracking_no": f"SF{i:09d}",
                                                      "shipped_at": at.isoformat()}, at)
        if k.signed_h is not None:
            at = T0 - dt.timedelta(hours=k.signed_h)
            yield ev(f"sign-{oid}", "order.delivered", {"order_id": oid, "signed_at": at.isoformat()}, at)


def tiny_png() -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Seeded:
    n_orders: int
    keys: list[str]  # raw consumer key per consumer index
    principals: list[Any]
    evidence_sha: str
    seconds: float


def bootstrap_bench(url: str, evidence_dir: Path, *, migrate: bool = True) -> Any:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    settings = Settings(database_url=url, evidence_dir=evidence_dir, webhook_url=None, rulebook_paths=())
    return bootstrap(settings=settings, clock=FixedClock(T0), transport=RecordingTransport(), run_migrations=migrate)


def seed(anxin: Any, n_orders: int, progress: Any) -> Seeded:
    start = time.perf_counter()
    events = list(seed_events(n_orders))
    task = progress.add_task(f"seeding {n_orders} orders (ingestion service)", total=len(events))
    batch = 2000
    for lo in range(0, len(events), batch):
        result = anxin.ingestion.ingest(events[lo:lo + batch])
        if result.rejected or result.pending:
            raise SystemExit(f"seeding failed: {result.as_dict()}")
        progress.advance(task, len(events[lo:lo + batch]))
        progress.refresh()
    n_consumers = (n_orders + ORDERS_PER_CONSUMER - 1) // ORDERS_PER_CONSUMER
    ktask = progress.add_task(f"creating {n_consumers} consumer keys", total=n_consumers)
    keys, principals = [], []
    for c in range(n_consumers):
        principal, raw = anxin.access.create_key("consumer", consumer_id(c * ORDERS_PER_CONSUMER))
        keys.append(raw)
        principals.append(principal)
        progress.advance(ktask)
        if c % 200 == 0:
            progress.refresh()
    info = anxin.aftersales.upload_evidence(principals[0], tiny_png())
    return Seeded(n_orders, keys, principals, info.sha256, time.perf_counter() - start)


