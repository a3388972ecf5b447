"""A small hand-made snapshot of the report's facts (November 2026 against October) whose every figure is worked
out by hand in ``EXPECTED``: the definition is checked against arithmetic, not against itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from anxin.core.clock import BEIJING
from anxin.reports.facts import FACTS

H = 3600


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Epoch seconds of a Beijing wall-clock time in 2026."""
    return int(dt.datetime(2026, month, day, hour, minute, second, tzinfo=BEIJING).timestamp())


def _t(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACTS[name].schema
    return pa.Table.from_pylist([{f: r.get(f) for f in schema.names} for r in rows], schema=schema)


def _order(oid: str, shop: str, paid: int, shipped: int | None = None, *, presale: bool = False,
           cancelled: int | None = None) -> dict[str, Any]:
    return {"order_id": oid, "shop_id": shop, "consumer_id": "c1", "paid_at": paid, "paid_fen": 10_000,
            "ship_by": paid + 48 * H, "presale": presale, "shipped_at": shipped, "cancelled_at": cancelled}


def _case(cid: str, kind: str, consumer: str, opened: int, **kw: Any) -> dict[str, Any]:
    base = {"case_id": cid, "order_id": "o1", "shop_id": "s1", "consumer_id": consumer, "case_type": kind,
            "reason": "quality", "amount_fen": 1000, "opened_at": opened, "shipped_at_filing": False,
            "instant": False, "refunded_fen": 0, "compensated_fen": 0, "freight_claim_fen": 0}
    return {**base, **kw}


def _chat(sid: str, opened: int, to_human: int | None, reply: int | None) -> dict[str, Any]:
    return {"session_id": sid, "shop_id": "s1", "opened_at": opened,
            "to_human_at": None if to_human is None else opened + to_human,
            "first_reply_at": None if reply is None or to_human is None else opened + to_human + reply}


def tables(*, care: bool = True) -> dict[str, pa.Table]:
    out = {
        "orders": _t("orders", [
            _order("o1", "s1", at(11, 2, 10), at(11, 3, 10)),          # 24 h, in time
            _order("o2", "s1", at(11, 5, 10), at(11, 8, 10)),          # 72 h, late
            _order("o3", "s2", at(11, 6, 10), cancelled=at(11, 6, 12)),  # cancelled before its mark
            _order("o4", "s3", at(11, 6, 10), at(11, 20, 10), presale=True),
            _order("o5", "s1", at(10, 31, 20), at(11, 1, 8)),          # paid in October, mark in November, 12 h
            _order("o6", "s2", at(10, 10, 10), at(10, 11, 10)),        # 24 h
            _order("o7", "s2", at(10, 12, 10), at(10, 15, 10)),        # 72 h
        ]),
        "reviews": _t("reviews", [{"order_id": f"o{i}", "shop_id": "s1", "rating": r, "posted_at": at(11, 10 + i)}
                                  for i, r in enumerate([1, 5, 4, 2])]
                      + [{"order_id": "o6", "shop_id": "s2", "rating": 5, "posted_at": at(10, 20)}]),
        "cases": _t("cases", [
            _case("k1", "refund_only", "c9", at(11, 2, 11), instant=True, decided_at=at(11, 2, 11),
                  settled_at=at(11, 2, 11), refunded_fen=5000),
            _case("k2", "refund_only", "c1", at(11, 3), decided_at=at(11, 4), settled_at=at(11, 4),
                  refunded_fen=3000),
            _case("k3", "refund_only", "c1", at(11, 5), shipped_at_filing=True),
            _case("k4", "return_refund", "c2", at(11, 8), freight_claim_fen=1200, freight_claimed_at=at(11, 10),
                  freight_held_at=at(11, 10)),
            _case("k5", "return_refund", "c3", at(11, 8), freight_claim_fen=1000, freight_claimed_at=at(11, 11)),
            _case("k6", "compensation", "c8", at(11, 12), settled_at=at(11, 12), compensated_fen=2000),
            _case("k7", "refund_only", "c9", at(10, 5), instant=True, settled_at=at(10, 5), refunded_fen=4000),
            _case("k8", "return_refund", "c4", at(10, 6), freight_claim_fen=900, freight_claimed_at=at(10, 8),
                  freight_held_at=at(11, 2)),  # held only after October ended
        ]),
        "risk_verdicts": _t("risk_verdicts", [
            {"verdict_id": "v1", "stage": "claim", "case_id": "k6", "consumer_id": "c8", "amount_fen": 2000,
             "outcome": "pass", "ring_member": True, "decided_at": at(11, 1)}]),
        "risk_reviews": _t("risk_reviews", [
            {"review_id": "rv1", "stage": "claim", "consumer_id": "c9", "amount_fen": 8000, "state": "confirmed",
             "opened_at": at(11, 19), "decided_at": at(11, 20)},
            {"review_id": "rv2", "stage": "return", "consumer_id": "c7", "amount_fen": 1500, "state": "confirmed",
             "opened_at": at(11, 20), "decided_at": at(11, 21)},
            {"review_id": "rv3", "stage": "claim", "consumer_id": "c6", "amount_fen": 999, "state": "cleared",
             "opened_at": at(11, 21), "decided_at": at(11, 22)},
            {"review_id": "rv4", "stage": "claim", "consumer_id": "c5", "amount_fen": 700, "state": "confirmed",
             "opened_at": at(10, 2), "decided_at": at(10, 3)},
            {"review_id": "rv5", "stage": "onboarding", "shop_id": "s9", "amount_fen": 0, "state": "confirmed",
             "opened_at": at(11, 2), "decided_at": at(11, 3)},  # a shop, not a consumer
        ]),
        "fulfilment_findings": _t("fulfilment_findings", [
            {"finding_id": "f1", "kind": "late_shipment", "order_id": "o2", "found_at": at(11, 7)},
            {"finding_id": "f2", "kind": "parcel.stalled", "order_id": "o1", "found_at": at(11, 9)},
            {"finding_id": "f3", "kind": "fake_shipment.no_carrier_scan", "order_id": "o1", "found_at": at(11, 9)},
            {"finding_id": "f4", "kind": "late_shipment", "order_id": "o7", "found_at": at(10, 14)}]),
        "complaints": _t("complaints", [
            {"complaint_id": "cp1", "reason": "delivery", "filed_at": at(11, 3)},
            {"complaint_id": "cp2", "reason": "quality", "filed_at": at(11, 4)},
            {"complaint_id": "cp3", "reason": "delivery", "filed_at": at(10, 20)}]),
        "chats": _t("chats", [
            _chat("ch1", at(11, 2, 10), 10, 100),          # in time
            _chat("ch2", at(11, 2, 11), 10, 200),          # late
            _chat("ch3", at(11, 2, 23, 30), 10, 999),      # outside service hours
            _chat("ch4", at(11, 3, 9), None, None),        # never handed to a person
            _chat("ch5", at(11, 3, 10), 10, None),         # never answered
            _chat("ch7", at(11, 4, 8), 0, 180),            # 08:00:00, exactly 3 minutes: in time
            _chat("ch8", at(11, 4, 22, 59, 30), 0, 60),    # 22:59:30: in hours
            _chat("ch9", at(11, 4, 23), 0, 999),           # 23:00:00: outside
            _chat("ch10", at(11, 4, 7, 59, 59), 0, 999),   # 07:59:59: outside
            _chat("ch6", at(10, 2, 10), 5, 180)]),
        "appeals": _t("appeals", [
            {"appeal_id": "a1", "appellant_type": "merchant", "filed_at": at(11, 1), "decided_at": at(11, 1, 10),
             "state": "upheld"},
            {"appeal_id": "a2", "appellant_type": "merchant", "filed_at": at(11, 2), "decided_at": at(11, 3, 6),
             "state": "rejected"},
            {"appeal_id": "a3", "appellant_type": "creator", "filed_at": at(11, 3), "decided_at": at(11, 3, 2),
             "state": "rejected"},
            {"appeal_id": "a4", "appellant_type": "merchant", "filed_at": at(11, 20), "state": "submitted"},
            {"appeal_id": "a5", "appellant_type": "merchant", "filed_at": at(10, 1), "decided_at": at(10, 3, 2),
             "state": "upheld"}]),
        "inspection_samples": _t("inspection_samples", [
            {"sample_id": "sm1", "listing_id": "l1", "shop_id": "s1", "drawn_at": at(11, 5), "state": "pending"},
            {"sample_id": "sm2", "listing_id": "l2", "shop_id": "s7", "drawn_at": at(11, 5), "state": "pending"}]),
        "listing_checks": _t("listing_checks", [
            {"check_id": "x1", "listing_id": "l1", "outcome": "blocked", "checked_at": at(11, 2)},
            {"check_id": "x2", "listing_id": "l1", "outcome": "blocked", "checked_at": at(11, 3)},
            {"check_id": "x3", "listing_id": "l2", "outcome": "blocked", "checked_at": at(11, 3)},
            {"check_id": "x4", "listing_id": "l3", "outcome": "pass", "checked_at": at(11, 3)}]),
        "violations": _t("violations", [
            {"violation_id": "vi1", "kind": "risky_merchant", "shop_id": "s4", "recorded_at": at(11, 3)},
            {"violation_id": "vi2", "kind": "risky_merchant", "shop_id": "s5", "recorded_at": at(11, 4),
             "reversed_at": at(11, 10)},
            {"violation_id": "vi3", "kind": "late_shipment", "shop_id": "s1", "recorded_at": at(11, 4)},
            {"violation_id": "vi4", "kind": "risky_merchant", "shop_id": "s6", "recorded_at": at(10, 3),
             "reversed_at": at(11, 5)}]),
    }
    if care:
        out["consultations"] = _t("consultations", [
            {"consultation_id": "cn1", "opened_at": at(11, 5), "channel": "consumer", "topic": "logistics",
             "shop_id": "s1"},
            {"consultation_id": "cn2", "opened_at": at(11, 6), "channel": "merchant", "topic": "merchant_policy",
             "shop_id": "s2"},
            {"consultation_id": "cn3", "opened_at": at(11, 7), "channel": "merchant", "topic": "merchant_policy",
             "shop_id": "s2"},
            {"consultation_id": "cn4", "opened_at": at(10, 9), "channel": "consumer", "topic": "logistics",
             "shop_id": "s1"}])
        out["tickets"] = _t("tickets", [
            {"ticket_id": "t1", "channel": "merchant", "opened_at": at(11, 6, 10), "resolved_at": at(11, 6, 14)},
            {"ticket_id": "t2", "channel": "merchant", "opened_at": at(11, 7, 10), "resolved_at": at(11, 7, 16)},
            {"ticket_id": "t3", "channel": "consumer", "opened_at": at(11, 7, 10), "resolved_at": at(11, 7, 11)}])
        out["satisfaction"] = _t("satisfaction", [
            {"ticket_id": t, "rating": r, "rated_at": at(11, 8)} for t, r in (("t1", 5), ("t2", 4), ("t3", 3))])
    return out


# figure -> (November, October), worked out by hand from the rows above (comments in the rows).
EXPECTED: dict[str, tuple[float | None, float | None]] = {
    "malicious_aftersales_users": (2, 1),                  # c9, c7 | c5 (rv5 names a shop, not a consumer)
    "freight_insurance_risk": (0.5, 0.0),                  # k4 held of k4, k5 | k8 held after October
    "extortion_gang_losses_fen": (7000, 0),                # k1 (c9 judged 11-20) + k6 (c8 ring) | c9 not yet judged
    "abuse_money_prevented_fen": (9500, 700),              # rv1 + rv2 (rv3 cleared) | rv4
    "merchant_resolution_hours": (5.0, None),              # merchant tickets of 4 h and 6 h | none
    "ship_48h_rate": (0.666667, 0.5),                      # o1, o5 of o1, o2, o5 | o6 of o6, o7
    "shipping_help_per_1000_orders": (500.0, 666.666667),  # cp1 + cn1 per 4 orders | cp3 + cn4 per 3
    "shipping_problems_per_1000_orders": (500.0, 333.333333),  # f1 + f2 per 4 | f4 per 3
    "avg_ship_hours": (36.0, 48.0),                        # 24, 72, 12 | 24, 72
    "instant_refund_coverage": (0.5, 1.0),                 # k1 of k1, k2 (k3 shipped) | k7
    "negative_feedback_rate": (0.5, 0.0),                  # 1 and 2 stars of 4 | one 5
    "consultations_served": (3, 1),
    "merchants_served": (1, 0),                            # s2 twice
    "appeal_resolution_hours": (10.0, 50.0),               # median of 10, 30, 2 | 50
    "sampling_coverage": (0.333333, 0.0),                  # s1 of s1, s2, s3 (s7 sold nothing) | none
    "listings_intercepted": (2, 0),                        # l1 (twice), l2
    "risky_merchants_intercepted": (1, 1),                 # s4 (s5 reversed in November) | s6 reversed after October
    "csat": (4.0, None),
    "reply_3min_rate": (0.6, 1.0),                         # ch1, ch7, ch8 of ch1, ch2, ch5, ch7, ch8 | ch6 at 180 s
}
# Without care's tables: merchant problems fall back to merchants' appeals; help requests are complaints alone.
EXPECTED_WITHOUT_CARE = {**{k: v for k, v in EXPECTED.items()
                            if k not in ("consultations_served", "merchants_served", "csat")},
                         "merchant_resolution_hours": (20.0, 50.0),      # a1 10 h, a2 30 h | a5 50 h
                         "shipping_help_per_1000_orders": (250.0, 333.333333)}
