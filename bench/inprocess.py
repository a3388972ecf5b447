"""In-process figures: the pure decision and the filing use case, each next to a trivial baseline."""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from typing import Any

from bench.fixtures import (
    CATEGORIES,
    KINDS,
    ORDERS_PER_CONSUMER,
    PRICE_FEN,
    SHOP,
    T0,
    Seeded,
    kind_of,
    order_id,
    summary_ns,
)

# --- 1. in-process -------------------------------------------------------------------------------

def _noop(order: Any, claim: Any, rb: Any, now: Any, *, refundable_fen: int, consumer_cases_30d: int) -> Any:
    return order


def bench_decide(calls: int, warmup: int, progress: Any, console: Any) -> dict[str, Any]:
    from anxin.aftersales.policy import Claim, OrderFacts, decide
    from anxin.aftersales.rulebook import load_rulebooks

    rb = load_rulebooks().in_force(T0)
    prepared = []
    for k in KINDS:
        def at(h: float | None) -> dt.datetime | None:
            return None if h is None else T0 - dt.timedelta(hours=h)
        facts = OrderFacts(order_id=f"o_{k.name}", consumer_id="c_bench", shop_id=SHOP["shop_id"],
                           merchant_id=SHOP["merchant_id"], store_type=SHOP["store_type"],
                           shop_services=frozenset(SHOP["services"]), item_tags=frozenset(CATEGORIES[k.category]),
                           paid_fen=PRICE_FEN, paid_at=at(k.paid_h), shipped_at=at(k.shipped_h),  # type: ignore[arg-type]
                           signed_at=at(k.signed_h), shipped=k.shipped_h is not None, exemption_confirmed=False)
        claim = Claim(k.case_type, k.reason, PRICE_FEN, 1 if k.evidence else 0, False)
        got = decide(facts, claim, rb, T0, refundable_fen=PRICE_FEN, consumer_cases_30d=1).outcome.value
        if got != k.expected:
            raise SystemExit(f"mix is wrong: {k.name} decided {got}, expected {k.expected}")
        prepared.append((facts, claim))

    def run(fn: Callable[..., Any], label: str) -> tuple[list[int], list[list[int]]]:
        pc = time.perf_counter_ns
        m = len(prepared)
        task = progress.add_task(label, total=warmup + calls)
        for i in range(warmup):
            o, c = prepared[i % m]
            fn(o, c, rb, T0, refundable_fen=PRICE_FEN, consumer_cases_30d=1)
        progress.update(task, completed=warmup)
        progress.refresh()
        out = [0] * calls
        chunk = 5000  # the display is refreshed between chunks, never inside a timed call
        for lo in range(0, calls, chunk):
            for i in range(lo, min(calls, lo + chunk)):
                o, c = prepared[i % m]
                t = pc()
                fn(o, c, rb, T0, refundable_fen=PRICE_FEN, consumer_cases_30d=1)
                out[i] = pc() - t
            progress.update(task, completed=warmup + min(calls, lo + chunk))
            progress.refresh()
        per_kind = [out[j::m] for j in range(m)]
        return out, per_kind

    gc.collect()
    base, _ = run(_noop, "baseline: trivial call")
    gc.collect()
    lat, per_kind = run(decide, "policy.decide over the mix")
    b, d = summary_ns(base), summary_ns(lat)
    return {
        "calls": calls, "warmup": warmup, "rulebook_version": rb.version,
        "baseline_trivial_call": b, "decide": d,
        "per_kind": {k.name: {**summary_ns(v), "outcome": k.expected} for k, v in zip(KINDS, per_kind, strict=True)},
        "ratio_p50_vs_trivial": d["p50_us"] / b["p50_us"], "ratio_p99_vs_trivial": d["p99_us"] / b["p99_us"],
        "target_p99_us": 1000.0, "target_met": d["p99_us"] <= 1000.0,
    }


def bench_service(anxin: Any, seeded: Seeded, cases: int, warmup: int, progress: Any) -> dict[str, Any]:
    import sqlalchemy as sa

    from anxin.aftersales.service import FileCase

    def cmd(i: int) -> FileCase:
        k = kind_of(i)
        return FileCase(order_id=order_id(i), case_type=k.case_type, reason=k.reason, amount_fen=PRICE_FEN,
                        evidence=(seeded.evidence_sha,) if k.evidence else ())

    pc = time.perf_counter_ns
    svc = anxin.aftersales
    task = progress.add_task("AfterSalesService.file_case", total=warmup + cases)
    outcomes: dict[str, int] = {}
    lat: list[int] = []
    wrong = 0
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    per_kind_sql: dict[str, dict[str, int]] = {}
    for i in range(warmup + cases):
        who = seeded.principals[i // ORDERS_PER_CONSUMER]
        c = cmd(i)
        if i < len(KINDS):  # information: SQL statements one case of each kind issues (warm-up, untimed)
            statements.clear()
            sa.event.listen(anxin.engine, "before_cursor_execute", count)
            svc.file_case(who, c)
            sa.event.remove(anxin.engine, "before_cursor_execute", count)
            per_kind_sql[kind_of(i).name] = {verb: statements.count(verb) for verb in sorted(set(statements))}
            continue
        t = pc()
        view = svc.file_case(who, c)
        el = pc() - t
        if i >= warmup:
            lat.append(el)
            outcome = view.decision["outcome"]
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            wrong += outcome != kind_of(i).expected
        if i % 50 == 0:
            progress.update(task, completed=i + 1)
            progress.refresh()
    progress.update(task, completed=warmup + cases)
    if wrong:
        raise SystemExit(f"service path decided {wrong} cases differently from the in-process mix")
    # Information: authenticating a key (one unit of work and one SELECT), which every HTTP request does.
    auth: list[int] = []
    for j in range(1000):
        t = pc()
        anxin.access.authenticate(seeded.keys[j % len(seeded.keys)])
        auth.append(pc() - t)
    return {"cases": cases, "warmup": warmup, **summary_ns(lat), "outcomes": outcomes,
            "sql_statements_per_case": per_kind_sql, "authenticate": summary_ns(auth)}


def bench_service_trivial(anxin: Any, n: int) -> dict[str, Any]:
    """Information only: an empty unit of work (session open + rollback + close) on the same engine."""
    pc = time.perf_counter_ns
    lat = []
    for _ in range(n):
        t = pc()
        with anxin.uow_factory() as uow:
            uow.session.connection()
        lat.append(pc() - t)
    return summary_ns(lat)


