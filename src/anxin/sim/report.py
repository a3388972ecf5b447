"""What a run produced: the summary (read back from anxin's services), the ground truth, the table.

The summary holds no wall-clock figures and no ids anxin minted at random, so the same seed gives the
same summary. The ground truth adds the latent facts anxin never saw; its ``case_id`` fields are the
only values that differ between two runs of one seed (anxin mints case ids itself).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from anxin.core.money import format_fen
from anxin.core.principal import Principal, Role
from anxin.sim.contact import expected_im_reply_rate
from anxin.sim.engine import Simulation
from anxin.sim.fulfilment import fulfilment_truth
from anxin.sim.governance_truth import governance_truth
from anxin.sim.orders import PROBLEM_RATINGS, problem_rate
from anxin.sim.world import Merchant

OPERATOR = Principal(key_id="sim", role=Role.OPERATOR, subject="op-sim")
# Which clock actions move money to the buyer (auto-approvals), and which close a case.
AUTO_APPROVALS = ("merchant_timeout", "receipt_timeout")
BAD_GIVEN_PROBLEM = sum(r <= 2 for r in PROBLEM_RATINGS) / len(PROBLEM_RATINGS)  # 1-2 stars: a negative review


def summary(sim: Simulation) -> dict[str, Any]:
    a, o, c, ing = sim.anxin, sim.orders.stats, sim.cases, sim.ingested
    messages = a.outbox.list_messages(limit=10_000_000)
    by_kind: Counter[str] = Counter(m.kind for m in messages)
    money: Counter[str] = Counter()
    for m in messages:
        money[m.kind] += m.amount_fen or 0
    states = a.aftersales.stats()
    log = a.ingestion.stats()
    expected = fulfilment_truth(sim)["counts"]  # what the detectors should have found (the ground truth)
    return {
        "seed": sim.config.seed, "days": sim.config.days, **sim.describe_period(),
        "marketplace": {"merchants": len(sim.world.merchants), "shops": len(sim.world.shops),
                        "listings": sum(len(s.listings) for s in sim.world.shops),
                        "consumers": len(sim.world.consumers),
                        "abusive_consumers": sum(x.abusive for x in sim.world.consumers),
                        "olist": sim.world.olist_source},
        "orders": {**{k: o[k] for k in ("placed", "livestream", "cancelled", "shipped")},
                   "late_shipments": expected["late_shipment"],
                   **{k: o[k] for k in ("lost", "delivered", "problems", "reviews")}},
        "logistics": {**{k: o[k] for k in ("merged_parcels", "stalled", "parcel_exceptions", "fake_shipments")},
                      "expected_findings": expected},
        "events": {"generated": sim.feed.stats.generated, "arrived_late": sim.feed.stats.late,
                   "replays_sent": sim.feed.stats.replayed, "received": ing.received, "applied": ing.applied,
                   "parked": ing.pending, "released": ing.released, "duplicates": ing.duplicates,
                   "rejected": sum(sim.rejected.values()), "rejected_by_code": dict(sorted(sim.rejected.items())),
                   "still_parked": log.get("pending", 0), "failed_on_release": log.get("failed", 0),
                   "batches": sim.batches},
        "cases": {"claims": c.stats["claims"], "filed": c.stats["filed"],
                  "genuine": sum(k.genuine for k in c.claims if k.case_id),
                  "refused": dict(sorted(c.refused.items())),
                  "first_decision": dict(sorted(c.first_decisions.items())),
                  "by_state": dict(sorted(states.items())),
                  "actions": dict(sorted(c.actions.items())),
                  "action_errors": dict(sorted(c.act_errors.items())),
                  "evidence_uploads": c.stats["evidence_uploads"]},
        "deadlines": dict(sorted(sim.clock_actions.items())),
        "auto_approvals": {"instant_refund": c.first_decisions.get("approved", 0),
                           **{k: sim.clock_actions.get(k, 0) for k in AUTO_APPROVALS}},
        "money_fen": {"refunds": money["refund.issue"], "compensation": money["compensation.issue"],
                      "freight": money["freight.compensate"]},
        "outbox": {"by_kind": dict(sorted(by_kind.items())), "by_status": a.outbox.stats(),
                   "deliveries": dict(sorted(sim.delivery.items()))},
        "scoring_inputs": _scoring_inputs(sim),
        "abuse_mix": sim.abuse.summary(),
        **({"governance": {**dict(sorted(sim.governance.stats.items())),
                           "orders_refused_by_platform": dict(sim.governance.platform.refused),
                           "actions_carried_out": len(sim.governance.platform.log)}}
           if sim.governance is not None else {}),
        **({"care": sim.care.summary()} if sim.care is not None else {}),
        **({"worry_free": dict(sorted(sim.worry_free.stats.items()))} if sim.worry_free is not None else {}),
    }


def _scoring_inputs(sim: Simulation) -> dict[str, Any]:
    """What the simulator sent for the experience, creator and consumer scores (events generated before the end)."""
    chats, fb = sim.contact.stats, sim.creators.stats
    return {"creators": len(sim.world.creators), "creator_orders": sim.orders.stats["by_creator"],
            "not_as_described_by_creators": fb["not_as_described"],
            "complaints": dict(sorted(sim.contact.complaints.items())),
            "chat_sessions": {k: chats[k] for k in ("sessions", "to_human", "answered", "night")},
            "content_feedback": {k: fb[k] for k in ("positive", "neutral", "negative")},
            "consumers_registered": chats["registered"]}


def _merchant_expectations(m: Merchant) -> dict[str, Any]:
    """Latent propensities behind the experience score's indicators, from the merchant's traits alone."""
    volume = sum(s.daily_orders for s in m.shops)
    problems = sum(problem_rate(s) * s.daily_orders for s in m.shops) / volume
    return {"expected_problem_rate": round(problems, 4),
            "expected_bad_review_rate": round(BAD_GIVEN_PROBLEM * problems, 4),
            "chat": {"answer_rate": m.chat_answer_rate, "reply_median_s": m.chat_reply_median_s,
                     "night_staff": m.night_staff, "expected_im_reply_rate": round(expected_im_reply_rate(m), 4)}}


def ground_truth(sim: Simulation) -> dict[str, Any]:
    return {
        "seed": sim.config.seed, "days": sim.config.days, **sim.describe_period(),
        "olist": sim.world.olist_source,
        "merchants": [{"merchant_id": m.merchant_id, "quality": m.quality, "seller_kind": m.kind,
                       "never_answers": m.ghost,
                       "defect_rate": round(m.defect_rate, 4), "counterfeit_rate": round(m.fake_rate, 4),
                       "fake_shipper": bool(m.fake_shipping), "fake_shipping": list(m.fake_shipping),
                       "shops": [{"shop_id": s.shop_id, "name": s.name, "location": s.location,
                                  "warehouse_region": s.warehouse.code, "carriers": list(s.carriers),
                                  "store_type": s.store_type, "category": s.top, "services": list(s.services),
                                  "livestream_overwhelmed": s.overwhelmed, "dishonest_listings": s.dishonest_listings,
                                  "creators": [c.creator_id for c in s.creators]}
                                 for s in m.shops], **_merchant_expectations(m)} for m in sim.world.merchants],
        "creators": [{"creator_id": c.creator_id, "honesty": c.honesty, "feedback_per_day": round(c.activity, 3),
                      "negative_share": round(c.negative_share, 4), "overpromise_rate": round(c.overpromise, 4),
                      "shops": [s.shop_id for s in c.shops]} for c in sim.world.creators],
        # The main population's abusers, then the abuse mix's abusive accounts; the legacy rings, then the mix's.
        "abusive_consumers": [x.consumer_id for x in sim.world.consumers if x.abusive]
        + [cid for cid, a in sorted(sim.abuse.accounts.items()) if a.consumer.abusive],
        "abuse_rings": {**sim.world.rings, **{r.ring_id: [a.consumer.consumer_id for a in r.members]
                                              for r in sim.abuse.rings}},
        "claims": [k.truth() for k in sim.cases.claims],
        "fulfilment": fulfilment_truth(sim),
        "abuse_mix": sim.abuse.truth(),
        "identity": sim.identities.truth(),
        # What each listing's title and description claim (anxin.sim.listing_texts): the labelled set for listing
        # compliance's precision and recall.
        "listing_texts": {li.listing_id: {"category_id": li.leaf.category_id, "title": li.title,
                                          "description": li.description, **(li.text.as_dict() if li.text else {})}
                          for s in sim.world.shops for li in s.listings},
        # Governance people and what the platform did with anxin's actions; present only with SimConfig.governance.
        **({"governance": governance_truth(sim)} if sim.governance is not None else {}),
        # Every consultation's true intent and what came of it; present only with SimConfig.care.
        **({"care": sim.care.truth()} if sim.care is not None else {}),
        # Enrolment, suppliers, lots and what anxin decided of them; present only with SimConfig.worry_free.
        **({"worry_free": sim.worry_free.truth()} if sim.worry_free is not None else {}),
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def demo_candidates(sim: Simulation) -> list[tuple[str, str]]:
    """(consumer_id, order_id) worth showing in the Hall, best first: an honest buyer with cases, and a
    recently signed order (its 7-day guarantees still running) that has a case of its own if possible."""
    recent = sim.end - dt.timedelta(days=6)
    per_consumer = Counter(k.order.consumer.consumer_id for k in sim.cases.claims if k.case_id)
    ranked = []
    for order in sim.orders.all:
        consumer = order.consumer
        if consumer.abusive or consumer.pattern is not None or order.status != "delivered" or order.signed_at is None \
                or order.signed_at < recent:  # (an ordinary buyer: none of the abuse mix's accounts)
            continue
        cases = per_consumer[consumer.consumer_id]
        if cases:
            has_case = any(k.case_id for k in order.claims)
            ranked.append((-has_case, -cases, order.order_id, consumer.consumer_id))
    return [(consumer_id, order_id) for _, _, order_id, consumer_id in sorted(ranked)]


def busiest_pending_merchant(sim: Simulation) -> str | None:
    """The merchant with the most requests waiting for an answer right now (then: returns to confirm)."""
    views = sim.anxin.aftersales.list_cases(OPERATOR, states=["pending_merchant", "return_shipped"], limit=500)
    waiting = Counter(v.case.merchant_id for v in views if v.case.state.value == "pending_merchant")
    todo = Counter(v.case.merchant_id for v in views)
    return min(waiting, key=lambda m: (-waiting[m], -todo[m], m)) if waiting else None


def render(s: dict[str, Any], console: Console, *, seconds: float | None = None) -> None:
    table = Table(title=f"anxin sim · seed {s['seed']} · {s['days']} days · {s['start']} → {s['end']}",
                  show_header=True, header_style="bold")
    table.add_column("", style="cyan", no_wrap=True)
    table.add_column("figure", justify="right")
    table.add_column("detail")
    mk, o, e, c = s["marketplace"], s["orders"], s["events"], s["cases"]
    table.add_row("marketplace", f"{mk['shops']} shops", f"{mk['merchants']} merchants, {mk['listings']} listings, "
                  f"{mk['consumers']} consumers ({mk['abusive_consumers']} abusive); data: {mk['olist']}")
    table.add_row("orders", str(o["placed"]), f"{o['livestream']} in livestreams, {o['cancelled']} cancelled, "
                  f"{o['late_shipments']} shipped late, {o['lost']} lost, {o['delivered']} delivered, "
                  f"{o['reviews']} reviews")
    lg = s["logistics"]
    table.add_row("logistics", "", f"{lg['merged_parcels']} merged parcels, {lg['stalled']} stalled, "
                  f"{lg['parcel_exceptions']} lost/returned/refused, {lg['fake_shipments']} fake shipments")
    table.add_row("findings due", str(sum(lg["expected_findings"].values())),
                  "ground truth: " + _pairs({k: v for k, v in lg["expected_findings"].items() if v}))
    table.add_row("events", str(e["received"]), f"{e['applied']} applied, {e['parked']} parked "
                  f"({e['released']} released, {e['still_parked']} still waiting), {e['arrived_late']} late, "
                  f"{e['rejected']} rejected, {e['batches']} batches")
    table.add_row("duplicates", str(e["duplicates"]), f"{e['replays_sent']} replays sent by the platform")
    table.add_row("cases", str(c["filed"]), f"{c['claims']} requests, {c['genuine']} genuine; refused: "
                  f"{_pairs(c['refused'])}")
    table.add_row("first decision", "", _pairs(c["first_decision"]))
    table.add_row("cases by state", "", _pairs(c["by_state"]))
    table.add_row("people acted", str(sum(c["actions"].values())), _pairs(c["actions"]))
    table.add_row("deadlines fired", str(sum(s["deadlines"].values())), _pairs(s["deadlines"]))
    table.add_row("auto-approvals", str(sum(s["auto_approvals"].values())), _pairs(s["auto_approvals"]))
    m = s["money_fen"]
    table.add_row("refunds", format_fen(m["refunds"]), f"compensation {format_fen(m['compensation'])}, "
                  f"return freight {format_fen(m['freight'])}")
    ob = s["outbox"]
    table.add_row("outbox", str(sum(ob["by_kind"].values())), f"{_pairs(ob['by_kind'])}; {_pairs(ob['by_status'])}")
    si = s["scoring_inputs"]
    chats = si["chat_sessions"]
    table.add_row("scoring inputs", "", f"{si['creator_orders']} orders by {si['creators']} creators; complaints "
                  f"{_pairs(si['complaints'])}; {chats['sessions']} chats ({chats['to_human']} to a human, "
                  f"{chats['answered']} answered, {chats['night']} at night); content feedback "
                  f"{_pairs(si['content_feedback'])}; {si['consumers_registered']} accounts")
    am = s["abuse_mix"]
    table.add_row("abuse mix", f"{am['abusive_requests']} abusive", f"of {am['requests']} requests: "
                  f"{_pairs(am['requests_by_pattern'])}; rings {am['ring_sizes']}; "
                  f"{am['arbitraged_returns']} of {am['self_shipped_returns']} self-shipped returns arbitraged")
    if "care" in s:
        cs = s["care"]
        table.add_row("customer care", str(cs["opened"]), f"{cs['tickets']} tickets; routed {_pairs(cs['by_route'])}; "
                      f"first replies {_pairs(cs['first_reply_by'])}; {cs['escalated']} escalated, {cs['resolved']} "
                      f"resolved, {cs['rated']} rated (mean {cs['mean_rating']}); outreach {cs['outreach_contacted']} "
                      f"of {cs['outreach_seen']} tasks")
    if "worry_free" in s:
        wf = s["worry_free"]
        table.add_row("worry-free", f"{wf.get('held', 0)} held", f"enrolled {wf.get('enrolment_active', 0)}; lots "
                      f"{wf.get('lots', 0)} (passed {wf.get('lots_passed', 0)}, rejected {wf.get('lots_rejected', 0)}"
                      f" + {wf.get('lots_rejected_at_receipt', 0)} at receipt); sold out {wf.get('sold_out', 0)}; "
                      f"bursts {wf.get('bursts', 0)}; pool picks {wf.get('pool_picks', 0)} "
                      f"({wf.get('pool_picks_worry_free', 0)} worry-free); bags {wf.get('bags', 0)}, draws "
                      f"{wf.get('draws', 0)}, prizes {wf.get('prize_orders', 0)}")
    if c["action_errors"] or e["rejected"]:
        table.add_row("anomalies", "", f"actions: {_pairs(c['action_errors'])}; events: "
                      f"{_pairs(e['rejected_by_code'])}", style="yellow")
    if seconds is not None:
        table.add_row("wall time", f"{seconds:.1f} s", "")
    console.print(table)


def _pairs(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items()) or "—"
