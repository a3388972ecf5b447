"""Customer-care figures on simulated marketplaces (issue 17): a report, not a timed test. From the repository root::

    PYTHONPATH=src python -m bench.care_figures                         # 30 days × 50 merchants, seeds 7 and 11
    PYTHONPATH=src python -m bench.care_figures --seeds 7 --days 10 --merchants 20

Each seed runs the simulator with ``care=True`` and ``governance=True`` (as ``anxin demo`` does; docs/care.md, "SLAs
in the simulator") into a fresh SQLite database in a temporary directory, then reads what anxin recorded through the
care facade and compares it with the simulator's truth (``ground_truth(sim)["care"]``):

1. **consultations by route** (anxin's routing decision as the opener saw it) and by the moment that prompted them;
2. **intent accuracy on live consultations**: the router's intent against the intent the simulated opener had in
   mind, overall, per channel and per true intent (recall), with the most frequent confusions;
3. **SLAs** (``care.queries.sla_report``): first-reply breach rate and escalation rate, by the team a ticket opened
   with; **resolution-time breaches per topic** (every ticket's stored clock);
4. **merchants' 3-minute reply rate** (``care.queries.reply_stats`` per shop, tickets opened in served hours): its
   distribution over shops with at least 5 tickets, and its correlation with each merchant's latent expected rate
   (``anxin.sim.care_desk.expected_reply_rate``);
5. **CSAT** (``care.queries.csat``) by channel, intent and owner;
6. **proactive care**: the companion's effect report (contact rate and CSAT of cared-for against held-out orders'
   tasks, with counts) next to the simulator's assumed effect sizes, which it reflects;
7. **run time** of the simulation.

Printed as JSON and written to ``bench/results/care-figures-<timestamp>.json`` (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from anxin.core.clock import BEIJING
from anxin.core.principal import Principal, Role

STAFF = Principal(key_id="bench", role=Role.OPERATOR, subject="op-bench")
TOPICS = ("pre_sale", "order", "logistics", "after_sale", "account", "merchant_policy")
SERVED = (8, 23)  # the merchant service hours of the care rulebook, Beijing time
MIN_TICKETS = 5  # shops with fewer served-hour tickets are left out of the reply-rate distribution


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p10": None, "p25": None, "median": None, "p75": None, "p90": None}
    qs = statistics.quantiles(values, n=20, method="inclusive") if len(values) > 1 else [values[0]] * 19
    return {"n": len(values), "p10": round(qs[1], 4), "p25": round(qs[4], 4),
            "median": round(statistics.median(values), 4), "p75": round(qs[14], 4), "p90": round(qs[17], 4)}


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return round(statistics.correlation(xs, ys), 4)


def route_figures(consults: list[dict[str, Any]]) -> dict[str, Any]:
    opened = [c for c in consults if c["refused"] is None]
    return {"opened": len(opened), "refused": len(consults) - len(opened),
            "by_route": dict(Counter(c["routed"]["route"] for c in opened).most_common()),
            "by_channel": dict(Counter(c["channel"] for c in opened).most_common()),
            "by_moment": dict(Counter(c["moment"] for c in opened).most_common()),
            "tickets": sum(c["ticket_id"] is not None for c in opened)}


def intent_figures(consults: list[dict[str, Any]]) -> dict[str, Any]:
    opened = [c for c in consults if c["refused"] is None]
    right = [c["routed"]["intent"] == c["intent"] for c in opened]
    per: dict[str, Counter[str]] = {}
    for c, ok in zip(opened, right, strict=True):
        per.setdefault(c["intent"], Counter()).update(n=1, right=int(ok))
    channels: dict[str, Counter[str]] = {}
    for c, ok in zip(opened, right, strict=True):
        channels.setdefault(c["channel"], Counter()).update(n=1, right=int(ok))
    confusions = Counter(f"{c['intent']} → {c['routed']['intent']}" for c, ok in zip(opened, right, strict=True)
                         if not ok)
    topic_picked_right = sum(c["picked_topic"] == c["topic"] for c in opened)
    return {"consultations": len(opened), "right": sum(right), "accuracy": _ratio(sum(right), len(opened)),
            "by_channel": {k: {**v, "accuracy": _ratio(v["right"], v["n"])} for k, v in sorted(channels.items())},
            "recall_by_intent": {k: {**v, "recall": _ratio(v["right"], v["n"])} for k, v in sorted(per.items())},
            "top_confusions": dict(confusions.most_common(8)),
            "opener_picked_the_right_topic": _ratio(topic_picked_right, len(opened))}


def _all_tickets(anxin: Any) -> list[dict[str, Any]]:
    from anxin.care.service import queue_key

    out: list[dict[str, Any]] = []
    after = None
    while True:
        page = anxin.care.queries.queue(STAFF, limit=500, after=after)
        out += page
        if len(page) < 500:
            return out
        after = queue_key(page[-1])


def sla_figures(anxin: Any, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    report = anxin.care.queries.sla_report(STAFF, since=start, until=end)
    for part in ("all", "merchant_cs", "platform_cs"):
        r = report[part]
        r["escalation_rate"] = _ratio(r["escalated"], r["tickets"])
    per_topic: dict[str, Counter[str]] = {t: Counter() for t in TOPICS}
    hours: dict[str, Counter[str]] = {}
    for t in _all_tickets(anxin):
        served = SERVED[0] <= dt.datetime.fromisoformat(t["opened_at"]).astimezone(BEIJING).hour < SERVED[1]
        h = hours.setdefault(f"{t['first_owner']}.{'in' if served else 'outside'}_08_23", Counter())
        h.update(tickets=1, first_reply_breached=int(t["sla"]["first_reply"]["breached_at"] is not None),
                 escalated=int(t["sla"]["escalated_at"] is not None))
        c = per_topic[t["topic"]]
        c.update(tickets=1, resolved=int(t["sla"]["resolution"]["resolved_at"] is not None),
                 resolution_breached=int(t["sla"]["resolution"]["breached_at"] is not None))
    return {"report": report,
            "first_reply_by_opening_hours": {k: {**v, "breach_rate": _ratio(v["first_reply_breached"], v["tickets"]),
                                                 "escalation_rate": _ratio(v["escalated"], v["tickets"])}
                                             for k, v in sorted(hours.items())},
            "resolution_by_topic": {k: {**v, "breach_rate": _ratio(v["resolution_breached"], v["tickets"])}
                                    for k, v in per_topic.items() if v["tickets"]}}


def reply_rate_figures(anxin: Any, sim: Any) -> dict[str, Any]:
    from anxin.sim.care_desk import expected_reply_rate

    rates, expected, avg = [], [], []
    for shop in sim.world.shops:
        stats = anxin.care.queries.reply_stats(STAFF, shop.shop_id, since=sim.start, until=sim.end)
        if stats["handed"] < MIN_TICKETS:
            continue
        rates.append(stats["reply_rate"])
        expected.append(expected_reply_rate(shop.merchant))
        if stats["avg_first_response_seconds"] is not None:
            avg.append(stats["avg_first_response_seconds"])
    return {"shops": len(sim.world.shops), "shops_with_enough_tickets": len(rates), "min_tickets": MIN_TICKETS,
            "three_minute_reply_rate": _quantiles(rates), "avg_first_response_seconds": _quantiles(avg),
            "correlation_with_latent_expected_rate": _pearson(rates, expected)}


def csat_figures(anxin: Any, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    out = {}
    for by in ("channel", "intent", "owner"):
        r = anxin.care.queries.csat(STAFF, by=by, since=start, until=end)
        out[by] = {g["key"]: {k: g[k] for k in ("ratings", "average", "csat")} for g in r["groups"]}
        out["overall"] = r["overall"]
    return out


def _tasks(anxin: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for state in (None, "held_out"):  # (without a state the queue shows every task but the held-out ones)
        after = None
        while True:
            page = anxin.outreach.queue(STAFF, state=state, limit=500, after=after)
            out += page
            if len(page) < 500:
                break
            after = (dt.datetime.fromisoformat(page[-1]["due_at"]), page[-1]["task_id"])
    return out


def _diff_ci(p1: float | None, n1: int, p2: float | None, n2: int) -> list[float] | None:
    """A 95 % normal-approximation interval of p1 − p2 (two independent shares)."""
    if p1 is None or p2 is None or not n1 or not n2:
        return None
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return [round(p1 - p2 - 1.96 * se, 4), round(p1 - p2 + 1.96 * se, 4)]


def companion_figures(anxin: Any, sim: Any, truth: dict[str, Any]) -> dict[str, Any]:
    """The companion's own effect report, and CSAT of the same two groups computed here from anxin's tickets (the
    report's satisfaction port is not wired in this branch): the ratings of tickets about a task's order given
    within the report's contact window after the task opened, as the report defines it."""
    effect = anxin.outreach.effect(STAFF, since=sim.start, until=sim.end)
    window = dt.timedelta(hours=effect["contact_window_hours"])
    tasks = [t for t in _tasks(anxin) if sim.start <= dt.datetime.fromisoformat(t["opened_at"]) < sim.end]
    by_order: dict[str, list[str]] = {}
    for t in _all_tickets(anxin):
        if t["order_id"]:
            by_order.setdefault(t["order_id"], []).append(t["ticket_id"])
    ratings: dict[str, list[tuple[dt.datetime, int]]] = {}
    for order_id in {t["order_id"] for t in tasks}:
        for ticket_id in by_order.get(order_id, ()):
            for r in anxin.care.queries.ticket(STAFF, ticket_id)["ratings"]:
                ratings.setdefault(order_id, []).append((dt.datetime.fromisoformat(r["rated_at"]), r["rating"]))
    csat: dict[str, Counter[str]] = {"cared_for": Counter(), "held_out": Counter()}
    for t in tasks:
        opened = dt.datetime.fromisoformat(t["opened_at"])
        for at, rating in ratings.get(t["order_id"], ()):
            if opened < at <= opened + window:
                csat["held_out" if t["held_out"] else "cared_for"].update(ratings=1, total=rating,
                                                                          satisfied=int(rating >= 4))
    groups = {g: {"ratings": c["ratings"], "mean": _ratio(c["total"], c["ratings"]),
                  "satisfied_share": _ratio(c["satisfied"], c["ratings"])} for g, c in csat.items()}
    cared, held = effect["cared_for"], effect["held_out"]
    return {"assumed": truth["assumptions"], "effect_report": effect,
            "contact_rate_difference_ci95": _diff_ci(cared["contact_rate"], cared["tasks"], held["contact_rate"],
                                                     held["tasks"]),
            "csat_by_group_from_tickets": groups,
            "simulator": {"tasks_worked": len(truth["outreach"]), "orders_cared_for": len(truth["cared_for"]),
                          "consultations_not_asked_after_outreach": sim.care.stats["not_asked_after_outreach"]}}


def measure(anxin: Any, sim: Any) -> dict[str, Any]:
    """Every figure of one simulated run (``sim`` ran with ``SimConfig.care``) from what anxin stored."""
    from anxin.sim import ground_truth

    truth = ground_truth(sim)["care"]
    consults = truth["consultations"]
    return {"config": {"days": sim.config.days, "merchants": sim.config.merchants, "seed": sim.config.seed,
                       "start": sim.start.isoformat(), "agents": sim.config.care_agents,
                       "governance": sim.config.governance},
            "orders_placed": sim.orders.stats["placed"], "routes": route_figures(consults),
            "intents": intent_figures(consults), "sla": sla_figures(anxin, sim.start, sim.end),
            "reply_rate": reply_rate_figures(anxin, sim), "csat": csat_figures(anxin, sim.start, sim.end),
            "companion": companion_figures(anxin, sim, truth), "simulator": sim.care.summary()}


def run(days: int, merchants: int, seed: int) -> dict[str, Any]:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings
    from anxin.sim import SimConfig, Simulation

    config = SimConfig(days=days, merchants=merchants, seed=seed, governance=True, care=True)
    with tempfile.TemporaryDirectory(prefix="anxin-care-") as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'care.db'}", evidence_dir=Path(tmp) / "evidence",
                            webhook_secret="bench-care-figures")
        anxin = bootstrap(settings=settings, clock=FixedClock(config.start), transport=RecordingTransport())
        sim = Simulation(anxin, config).run()
        out = {**measure(anxin, sim), "seconds": round(sim.seconds, 1)}
        anxin.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    from bench.fixtures import RESULTS, machine_info

    p = argparse.ArgumentParser(prog="python -m bench.care_figures", description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--merchants", type=int, default=50)
    p.add_argument("--seeds", type=int, nargs="+", default=[7, 11])
    args = p.parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    results = [run(args.days, args.merchants, seed) for seed in args.seeds]
    result: dict[str, Any] = {"bench": "care-figures", "started": started.isoformat(), "machine": machine_info(),
                              "runs": results}
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"care-figures-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=1, default=str, ensure_ascii=False))
    print(json.dumps(result, indent=1, default=str, ensure_ascii=False))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
