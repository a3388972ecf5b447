"""Synthetic report facts: every fact table of ``facts.FACT_TABLES`` for ``n`` orders, made directly as Arrow
tables (numpy, no database), for the engines' agreement test and the scale benchmark (``bench/report_scale.py``).

The rates are round, plausible numbers (cases on 6 % of orders, chats on 10 %, a few percent late …), not a model
of any marketplace; the later month is made a little better than the earlier one so changes have a sign. The same
``seed`` gives the same tables. Instants at or after ``until`` are null, as in a real snapshot. Pure.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from anxin.reports.facts import FACTS

H, DAY = 3600, 86_400


def _ids(prefix: str, idx: np.ndarray) -> pa.Array:
    return pa.array(np.char.add(prefix, idx.astype(np.int64).astype(str)))


def _masked(values: np.ndarray, keep: np.ndarray, until: int) -> pa.Array:
    """Int64 instants, null where not ``keep`` or at/after ``until``."""
    v = values.astype(np.int64)
    return pa.array(v, mask=~keep | (v >= until))


def _table(name: str, cols: dict[str, object]) -> pa.Table:
    schema = FACTS[name].schema
    return pa.table({f.name: cols[f.name] for f in schema}, schema=schema)


def synthetic_facts(n_orders: int, *, since: int, until: int, seed: int = 7, care: bool = True
                    ) -> dict[str, pa.Table]:
    """Facts of ``n_orders`` orders paid over ``[since - 3 days, until)`` (epoch seconds)."""
    rng = np.random.default_rng(seed)
    n = int(n_orders)
    paid = np.sort(rng.integers(since - 3 * DAY, until, n))
    later = (paid - since) / max(1, until - since)  # 0 → 1 over the snapshot: later orders go a little better
    n_shops = max(5, n // 200)
    shop = rng.integers(0, n_shops, n)
    consumer = rng.integers(0, max(10, n // 4), n)
    presale = rng.random(n) < 0.03
    ship_delay = rng.gamma(2.0, 10.0 - 3.0 * later, n) * H
    shipped = paid + ship_delay.astype(np.int64)
    cancelled = rng.random(n) < 0.02
    collected = shipped + rng.integers(1 * H, 8 * H, n)
    signed = collected + rng.integers(1 * DAY, 4 * DAY, n)
    orders = _table("orders", {
        "order_id": _ids("o", np.arange(n)), "shop_id": _ids("s", shop), "consumer_id": _ids("c", consumer),
        "paid_at": pa.array(paid), "paid_fen": pa.array(rng.lognormal(9.0, 0.8, n).astype(np.int64) + 100),
        "ship_by": pa.array(paid + 48 * H), "presale": pa.array(presale),
        "shipped_at": _masked(shipped, ~cancelled, until), "collected_at": _masked(collected, ~cancelled, until),
        "signed_at": _masked(signed, ~cancelled, until),
        "cancelled_at": _masked(paid + rng.integers(H, 10 * H, n), cancelled, until)})

    # reviews: 30 % of signed orders, a day after sign-off
    reviewed = np.flatnonzero(~cancelled & (rng.random(n) < 0.3))
    posted = signed[reviewed] + DAY
    keep = (posted >= since) & (posted < until)
    reviewed, posted = reviewed[keep], posted[keep]
    bad = rng.random(len(reviewed)) < 0.08 - 0.03 * later[reviewed]
    rating = np.where(bad, rng.integers(1, 3, len(reviewed)), rng.integers(3, 6, len(reviewed)))
    reviews = _table("reviews", {"order_id": _ids("o", reviewed), "shop_id": _ids("s", shop[reviewed]),
                                 "rating": pa.array(rating.astype(np.int64)), "posted_at": pa.array(posted)})

    # cases: 6 % of orders
    ci = np.flatnonzero(rng.random(n) < 0.06)
    m = len(ci)
    kinds = np.array(["refund_only", "return_refund", "exchange", "compensation"])
    kind = kinds[rng.choice(4, m, p=[0.5, 0.35, 0.1, 0.05])]
    opened = paid[ci] + rng.integers(H, 10 * DAY, m)
    shipped_filing = shipped[ci] <= opened
    instant = (kind == "refund_only") & ~shipped_filing & (rng.random(m) < 0.6 + 0.2 * later[ci])
    decided = opened + np.where(instant, 0, rng.integers(10 * 60, 48 * H, m))
    settles = rng.random(m) < 0.7
    settled = decided + np.where(kind == "return_refund", rng.integers(3 * DAY, 10 * DAY, m), 0)
    amount = (rng.lognormal(8.5, 0.8, m).astype(np.int64) + 100)
    settled_known = settles & (settled < until)
    refunded = np.where(settled_known & (kind != "compensation") & (kind != "exchange"), amount, 0)
    compensated = np.where(settled_known & (kind == "compensation"), amount, 0)
    claim = (kind == "return_refund") & (rng.random(m) < 0.5)
    claimed = decided + rng.integers(H, 3 * DAY, m)
    claim_known = claim & (claimed < until)
    held = claim_known & (rng.random(m) < 0.08 - 0.04 * later[ci])
    final = np.where(settles, np.where(kind == "exchange", "completed",
                                       np.where(kind == "compensation", "completed", "refunded")), "closed")
    closed = np.where(settles, settled, decided + 2 * DAY)
    closed_known = closed < until
    verdict = np.array(["pass", "review", "block"])[rng.choice(3, m, p=[0.96, 0.03, 0.01])]
    in_case_window = (opened < until) & ((opened >= since) | (closed >= since) | (claimed >= since))
    cases = _table("cases", {
        "case_id": _ids("as", np.arange(m)), "order_id": _ids("o", ci), "shop_id": _ids("s", shop[ci]),
        "consumer_id": _ids("c", consumer[ci]), "case_type": pa.array(kind), "reason": pa.array(
            np.array(["quality", "no_reason", "not_received", "damaged"])[rng.integers(0, 4, m)]),
        "amount_fen": pa.array(amount), "opened_at": _masked(opened, np.ones(m, bool), until),
        "shipped_at_filing": pa.array(shipped_filing), "instant": pa.array(instant),
        "decided_at": _masked(decided, np.ones(m, bool), until), "settled_at": _masked(settled, settles, until),
        "refunded_fen": pa.array(refunded.astype(np.int64)), "compensated_fen": pa.array(compensated.astype(np.int64)),
        "final_state": pa.array(final, mask=~closed_known), "closed_at": _masked(closed, closed_known, until),
        "freight_claim_fen": pa.array(np.where(claim_known, rng.integers(800, 3000, m), 0).astype(np.int64)),
        "freight_claimed_at": _masked(claimed, claim_known, until),
        "freight_held_at": _masked(claimed, held, until), "risk_verdict": pa.array(verdict)}
        ).filter(pa.array(in_case_window))

    # risk: flagged verdicts (the cases' review/block ones and some ring members), reviews of them
    flagged = (verdict != "pass") | (rng.random(m) < 0.005)
    fi = np.flatnonzero(flagged & (opened < until))
    k = len(fi)
    ring = rng.random(k) < 0.3
    risk_verdicts = _table("risk_verdicts", {
        "verdict_id": _ids("v", np.arange(k)), "stage": pa.array(np.full(k, "claim")),
        "case_id": _ids("as", fi), "consumer_id": _ids("c", consumer[ci][fi]), "shop_id": _ids("s", shop[ci][fi]),
        "amount_fen": pa.array(amount[fi]), "outcome": pa.array(np.where(verdict[fi] == "pass", "pass", verdict[fi])),
        "ring_member": pa.array(ring), "decided_at": pa.array(opened[fi])})
    reviewed_v = np.flatnonzero(verdict[fi] != "pass")
    r_opened = opened[fi][reviewed_v]
    r_decided = r_opened + rng.integers(H, 24 * H, len(reviewed_v))
    r_known = r_decided < until
    state = np.where(r_known, np.where(rng.random(len(reviewed_v)) < 0.5, "confirmed", "cleared"), "open")
    risk_reviews = _table("risk_reviews", {
        "review_id": _ids("rv", reviewed_v), "stage": pa.array(np.full(len(reviewed_v), "claim")),
        "case_id": _ids("as", fi[reviewed_v]), "consumer_id": _ids("c", consumer[ci][fi][reviewed_v]),
        "shop_id": _ids("s", shop[ci][fi][reviewed_v]), "amount_fen": pa.array(amount[fi][reviewed_v]),
        "outcome": pa.array(verdict[fi][reviewed_v]), "state": pa.array(state), "opened_at": pa.array(r_opened),
        "decided_at": _masked(r_decided, r_known, until),
        "decision_reason": pa.array(["fraud_ring" if s == "confirmed" else None for s in state], pa.string())})

    # fulfilment findings: late shipments and parcel problems
    late = np.flatnonzero((ship_delay > 48 * H) & ~cancelled & ~presale)
    parcel = np.flatnonzero(~cancelled & (rng.random(n) < 0.01))
    fk = np.concatenate([np.full(len(late), "late_shipment"),
                         np.array(["parcel.stalled", "parcel.exception"])[rng.integers(0, 2, len(parcel))]])
    fo = np.concatenate([late, parcel])
    fat = np.concatenate([paid[late] + 48 * H, collected[parcel] + DAY])
    fkeep = (fat >= since) & (fat < until)
    findings = _table("fulfilment_findings", {
        "finding_id": _ids("f", np.arange(len(fo))), "kind": pa.array(fk), "order_id": _ids("o", fo),
        "shop_id": _ids("s", shop[fo]), "found_at": pa.array(fat)}).filter(pa.array(fkeep))

    # complaints (1 %) and chats (10 %)
    cp = np.flatnonzero(rng.random(n) < 0.01)
    cp_at = paid[cp] + rng.integers(H, 5 * DAY, len(cp))
    cpk = (cp_at >= since) & (cp_at < until)
    complaints = _table("complaints", {
        "complaint_id": _ids("cp", cp), "order_id": _ids("o", cp), "shop_id": _ids("s", shop[cp]),
        "consumer_id": _ids("c", consumer[cp]), "reason": pa.array(
            np.array(["quality", "delivery", "service_attitude", "other"])[rng.integers(0, 4, len(cp))]),
        "filed_at": pa.array(cp_at)}).filter(pa.array(cpk))
    ch = np.flatnonzero(rng.random(n) < 0.1)
    ch_open = paid[ch] + rng.integers(0, 3 * DAY, len(ch))
    human = rng.random(len(ch)) < 0.6
    to_human = ch_open + rng.integers(5, 120, len(ch))
    reply = to_human + rng.exponential(120 - 40 * later[ch], len(ch)).astype(np.int64)
    answered = human & (rng.random(len(ch)) < 0.97)
    chk = (ch_open >= since) & (ch_open < until)
    chats = _table("chats", {
        "session_id": _ids("cs", ch), "shop_id": _ids("s", shop[ch]), "opened_at": pa.array(ch_open),
        "to_human_at": _masked(to_human, human, until), "first_reply_at": _masked(reply, answered, until)}
        ).filter(pa.array(chk))

    # governance: appeals, samples, listing checks, risky merchants
    n_app = max(1, n // 2000)
    a_filed = rng.integers(since - 30 * DAY, until, n_app)
    a_decided = a_filed + rng.integers(2 * H, 7 * DAY, n_app)
    a_known = a_decided < until
    appeals = _table("appeals", {
        "appeal_id": _ids("apl", np.arange(n_app)), "violation_id": _ids("vio", np.arange(n_app)),
        "appellant_type": pa.array(np.where(rng.random(n_app) < 0.85, "merchant", "creator")),
        "shop_id": _ids("s", rng.integers(0, n_shops, n_app)), "filed_at": pa.array(a_filed),
        "decided_at": _masked(a_decided, a_known, until),
        "state": pa.array(np.where(a_known, np.where(rng.random(n_app) < 0.3, "upheld", "rejected"), "submitted")),
        "abusive": pa.array(a_known & (rng.random(n_app) < 0.05))})
    n_smp = max(1, n_shops // 10)
    drawn = rng.integers(since, until, n_smp)
    samples = _table("inspection_samples", {
        "sample_id": _ids("smp", np.arange(n_smp)), "plan_id": _ids("plan", drawn // (7 * DAY)),
        "listing_id": _ids("l", rng.integers(0, n_shops * 20, n_smp)),
        "shop_id": _ids("s", rng.integers(0, n_shops, n_smp)),
        "drawn_at": pa.array(drawn), "result_at": _masked(drawn + 2 * DAY, np.ones(n_smp, bool), until),
        "state": pa.array(np.where(drawn + 2 * DAY < until, np.where(rng.random(n_smp) < 0.9, "passed", "failed"),
                                   "pending"))})
    n_chk = max(1, n // 200)
    checks = _table("listing_checks", {
        "check_id": _ids("chk", np.arange(n_chk)), "listing_id": _ids("l", rng.integers(0, n_shops * 20, n_chk)),
        "shop_id": _ids("s", rng.integers(0, n_shops, n_chk)), "outcome": pa.array(
            np.array(["pass", "needs_review", "blocked"])[rng.choice(3, n_chk, p=[0.9, 0.05, 0.05])]),
        "checked_at": pa.array(rng.integers(since, until, n_chk))})
    n_vio = max(1, n_shops // 100)
    v_at = rng.integers(since, until, n_vio)
    violations = _table("violations", {
        "violation_id": _ids("vr", np.arange(n_vio)), "kind": pa.array(np.full(n_vio, "risky_merchant")),
        "violation_class": pa.array(np.full(n_vio, "severe")), "shop_id": _ids("s", rng.integers(0, n_shops, n_vio)),
        "creator_id": pa.array([None] * n_vio, pa.string()), "recorded_at": pa.array(v_at),
        "reversed_at": _masked(v_at + 5 * DAY, rng.random(n_vio) < 0.1, until)})
    out = {"orders": orders, "reviews": reviews, "cases": cases, "risk_verdicts": risk_verdicts,
           "risk_reviews": risk_reviews, "fulfilment_findings": findings, "complaints": complaints, "chats": chats,
           "appeals": appeals, "inspection_samples": samples, "listing_checks": checks, "violations": violations}
    if care:
        out.update(_care(rng, n, since, until, n_shops))
    return out


def _care(rng: np.random.Generator, n: int, since: int, until: int, n_shops: int) -> dict[str, pa.Table]:
    nc = max(1, n // 20)
    opened = np.sort(rng.integers(since, until, nc))
    merchant = rng.random(nc) < 0.1
    topics = np.array(["pre_sale", "order", "logistics", "after_sale", "account"])
    topic = np.where(merchant, "merchant_policy", topics[rng.integers(0, 5, nc)])
    intent = np.char.add(np.char.add(topic, "."), np.where(rng.random(nc) < 0.5, "a", "b"))
    route = np.where(merchant, "platform_cs", np.array(["merchant_cs", "platform_cs", "case", "parcel"])[
        rng.choice(4, nc, p=[0.6, 0.2, 0.1, 0.1])])
    shops = rng.integers(0, n_shops, nc)
    consultations = _table("consultations", {
        "consultation_id": _ids("cn", np.arange(nc)), "opened_at": pa.array(opened),
        "channel": pa.array(np.where(merchant, "merchant", "consumer")), "topic": pa.array(topic),
        "intent": pa.array(intent), "route": pa.array(route), "shop_id": _ids("s", shops)})
    ti = np.flatnonzero(np.isin(route, ["merchant_cs", "platform_cs"]) & (rng.random(nc) < 0.5))
    t_open = opened[ti]
    due = t_open + 180
    first = t_open + rng.exponential(150, len(ti)).astype(np.int64)
    resolved = t_open + rng.integers(10 * 60, 3 * DAY, len(ti))
    tickets = _table("tickets", {
        "ticket_id": _ids("tk", ti), "consultation_id": _ids("cn", ti),
        "channel": pa.array(np.where(merchant[ti], "merchant", "consumer")), "intent": pa.array(intent[ti]),
        "owner": pa.array(route[ti]), "shop_id": _ids("s", shops[ti]), "opened_at": pa.array(t_open),
        "first_reply_due": pa.array(due), "first_replied_at": _masked(first, np.ones(len(ti), bool), until),
        "resolved_at": _masked(resolved, np.ones(len(ti), bool), until),
        "breached_first_reply": pa.array((first > due) & (due < until))})
    si = np.flatnonzero((resolved + DAY < until) & (rng.random(len(ti)) < 0.3))
    satisfaction = _table("satisfaction", {
        "ticket_id": _ids("tk", ti[si]), "rating": pa.array(rng.choice(
            [1, 2, 3, 4, 5], len(si), p=[0.05, 0.05, 0.1, 0.3, 0.5]).astype(np.int64)),
        "channel": pa.array(np.where(merchant[ti][si], "merchant", "consumer")), "intent": pa.array(intent[ti][si]),
        "shop_id": _ids("s", shops[ti][si]), "rated_at": pa.array(resolved[si] + DAY)})
    return {"consultations": consultations, "tickets": tickets, "satisfaction": satisfaction}
