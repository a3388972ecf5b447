"""Risk verdict latency in-process, with every online signal, over a 1-million-image hash index (issue 5).

    PYTHONPATH=src python -m bench.risk --only verdict,neardup [--hashes 1000000] [--claims 3000]

Set-up (not timed): a SQLite file database migrated by the product; ``--hashes`` evidence hashes written to
``risk_evidence_hashes`` (random 64-bit values, plus near copies so matches exist), ``--consumers`` accounts with
attributes (planted rings of 3–50 accounts among them), a claim history of ``--history`` past verdicts and
orders for the consumers who file. The online indexes are then loaded the way a starting server loads them
(``OnlineIndexes.catch_up``: the load time and the index's memory are reported).

Timed, alternating in rounds:
- **verdict**: ``RiskService.assess_claim`` inside a unit of work (near-duplicate search of 0–3 images, the
  account's 90-day history and orders, the platform rate, the decayed velocity counter, ring and linked-abuser
  lookups, the rule evaluation, the verdict row), rolled back after each call so every call sees the same data;
- **baseline**: the same unit of work doing one primary-key read (``orders.get_order``): what any decision pays
  for opening a transaction on this machine at this moment.
- **neardup**: ``HammingIndex.query`` at radius 6 against a numpy brute-force scan (XOR + popcount over all
  hashes) of the same queries.

Target (issue 5): verdict p99 ≤ 2 ms with the 1-million-image index loaded.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from anxin.bootstrap import bootstrap
from anxin.core.clock import FixedClock
from anxin.orders import service as orders
from anxin.risk.signals import ClaimInput
from anxin.risk.store import EvidenceHashRow, LinkRow, VerdictRow, to_signed
from anxin.settings import Settings

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=30)
KINDS = ("device", "phone", "address", "payment", "ip")


def _pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values), p))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seed(anxin: Any, *, hashes: int, consumers: int, history: int, rng: random.Random,
          log: Any) -> tuple[list[str], list[str]]:
    """Rows written straight through the tables (the product's ingestion is measured elsewhere)."""
    engine = anxin.engine
    log(f"seeding {hashes:,} hashes, {consumers:,} consumers, {history:,} past verdicts")
    base = [rng.getrandbits(64) for _ in range(hashes // 10)]
    shas: list[str] = []
    with engine.begin() as conn:
        batch = []
        for i in range(hashes):
            h = base[i // 10] ^ (1 << rng.randrange(64)) if i % 10 else rng.getrandbits(64)
            sha = f"{i:064x}"
            shas.append(sha)
            batch.append({"sha256": sha, "phash": to_signed(h), "uploaded_by": f"consumer:c{i % consumers}",
                          "at": T0})
            if len(batch) == 50_000:
                conn.execute(sa.insert(EvidenceHashRow), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(EvidenceHashRow), batch)
        links = []
        for c in range(consumers):
            for kind in KINDS:
                links.append({"subject": f"consumer:c{c}", "kind": kind, "value": f"{kind}-{c}",
                              "first_seen_at": T0, "last_seen_at": T0, "source": "bench"})
        ring_start = 0
        while ring_start < consumers // 20:  # rings of 3–50 among the first 5 % of accounts
            size = rng.randint(3, 50)
            for c in range(ring_start, min(ring_start + size, consumers)):
                links += [{"subject": f"consumer:c{c}", "kind": k, "value": f"ring-{ring_start}-{k}",
                           "first_seen_at": T0, "last_seen_at": T0, "source": "bench"} for k in ("device", "payment")]
            ring_start += size
        for i in range(0, len(links), 50_000):
            conn.execute(sa.insert(LinkRow), links[i:i + 50_000])
        verdicts = [{"verdict_id": f"rv{i}", "stage": "claim", "subject": f"case:h{i}", "case_id": f"h{i}",
                     "consumer_id": f"c{rng.randrange(consumers)}", "shop_id": f"s{rng.randrange(200)}",
                     "amount_fen": 9900, "outcome": "pass", "would_be": "pass", "score": 0, "mode": "enforce",
                     "rulebook_version": "bench", "reasons": [], "shadow": [], "signals": [],
                     "facts": {"case_type": "refund_only", "hours_since_delivery": rng.choice([-1, 30])},
                     "decided_at": NOW - dt.timedelta(hours=rng.randrange(1, 24 * 80))} for i in range(history)]
        for i in range(0, len(verdicts), 50_000):
            conn.execute(sa.insert(VerdictRow), verdicts[i:i + 50_000])
    return shas, [f"c{c}" for c in range(consumers)]


def _orders(anxin: Any, filers: list[str], rng: random.Random) -> list[str]:
    events: list[dict[str, Any]] = [
        {"id": "cat", "type": "category.upserted", "occurred_at": T0.isoformat(),
         "data": {"category_id": "cat", "name": "Bench", "tags": []}},
        {"id": "shop", "type": "shop.upserted", "occurred_at": T0.isoformat(),
         "data": {"shop_id": "s1", "merchant_id": "m1", "name": "Bench", "store_type": "enterprise", "services": []}},
        {"id": "lst", "type": "listing.upserted", "occurred_at": T0.isoformat(),
         "data": {"listing_id": "l1", "shop_id": "s1", "category_id": "cat", "title": "x", "price_fen": 9900}}]
    ids = []
    for i, consumer in enumerate(filers):
        for j in range(3):
            oid = f"o{i}-{j}"
            paid = T0 + dt.timedelta(days=rng.randrange(25), minutes=i)
            events.append({"id": f"e-{oid}", "type": "order.paid", "occurred_at": paid.isoformat(), "data": {
                "order_id": oid, "consumer_id": consumer, "shop_id": "s1", "paid_fen": 9900,
                "paid_at": paid.isoformat(), "items": [{"listing_id": "l1", "qty": 1, "price_fen": 9900}]}})
            ids.append(oid)
    result = anxin.ingestion.ingest_bulk(events)
    if result.rejected:
        raise SystemExit(f"seeding orders failed: {result.as_dict()}")
    return ids


def run(*, hashes: int, consumers: int, history: int, claims: int, rounds: int, log: Any) -> dict[str, Any]:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'risk.db'}", evidence_dir=Path(tmp) / "ev")
        anxin = bootstrap(settings=settings, clock=FixedClock(NOW))
        shas, accounts = _seed(anxin, hashes=hashes, consumers=consumers, history=history, rng=rng, log=log)
        filers = rng.sample(accounts, min(2_000, len(accounts)))
        order_ids = _orders(anxin, filers, rng)
        rss0 = _rss_mib()
        t = time.perf_counter()
        anxin.risk.indexes.catch_up()
        load_s = time.perf_counter() - t
        log(f"indexes loaded in {load_s:.1f} s ({len(anxin.risk.indexes.hashes):,} hashes)")
        index_mib = _rss_mib() - rss0
        calls = []
        for i in range(claims):
            k = rng.randrange(len(order_ids))
            calls.append(ClaimInput(
                case_id=f"bench{i}", order_id=order_ids[k], consumer_id=filers[k // 3], shop_id="s1",
                case_type=rng.choice(["refund_only", "return_refund"]), reason="quality", amount_fen=9900,
                evidence=tuple(rng.sample(shas, rng.randint(0, 3))), description="质量问题",
                signed_at=NOW - dt.timedelta(hours=rng.randrange(1, 200)) if rng.random() < 0.7 else None, at=NOW))
        verdict_ms: list[float] = []
        base_ms: list[float] = []
        outcomes: dict[str, int] = {}
        per_round = max(1, claims // rounds)
        for r in range(rounds):
            for claim in calls[r * per_round:(r + 1) * per_round]:
                t = time.perf_counter()
                with anxin.uow_factory() as uow:
                    a = anxin.risk.assess_claim(uow, claim)
                verdict_ms.append((time.perf_counter() - t) * 1000)
                outcomes[a.verdict.outcome.value] = outcomes.get(a.verdict.outcome.value, 0) + 1
                t = time.perf_counter()
                with anxin.uow_factory() as uow:
                    orders.get_order(uow, claim.order_id)
                base_ms.append((time.perf_counter() - t) * 1000)
        index = anxin.risk.indexes.hashes
        all_hashes = np.array([anxin.risk.indexes.phash_of[s] for s in shas], dtype=np.uint64)
        queries = [anxin.risk.indexes.phash_of[rng.choice(shas)] ^ (1 << rng.randrange(64)) for _ in range(2_000)]
        nd_ms, brute_ms = [], []
        for q in queries:
            t = time.perf_counter()
            found = index.query(q)
            nd_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            brute = np.flatnonzero(np.bitwise_count(all_hashes ^ np.uint64(q)) <= index.radius)
            brute_ms.append((time.perf_counter() - t) * 1000)
            if len(found) != len(brute):
                raise SystemExit("near-duplicate index and brute force disagree")
        anxin.engine.dispose()
    return {
        "hashes": hashes, "consumers": consumers, "history": history, "claims": len(verdict_ms),
        "index_load_s": round(load_s, 2), "index_rss_mib": round(index_mib, 1), "outcomes": outcomes,
        "verdict_ms": {"p50": round(_pct(verdict_ms, 50), 3), "p99": round(_pct(verdict_ms, 99), 3),
                       "max": round(max(verdict_ms), 3)},
        "baseline_ms": {"p50": round(_pct(base_ms, 50), 3), "p99": round(_pct(base_ms, 99), 3)},
        "verdict_vs_baseline_p50": round(_pct(verdict_ms, 50) / _pct(base_ms, 50), 2),
        "neardup_ms": {"p50": round(_pct(nd_ms, 50), 3), "p99": round(_pct(nd_ms, 99), 3)},
        "bruteforce_ms": {"p50": round(_pct(brute_ms, 50), 3), "p99": round(_pct(brute_ms, 99), 3)},
        "neardup_speedup_p50": round(_pct(brute_ms, 50) / _pct(nd_ms, 50), 1),
        "target_p99_ms": 2.0, "target_met": _pct(verdict_ms, 99) <= 2.0,
    }
