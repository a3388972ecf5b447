"""The report's fact tables: what each context publishes for the report, in one shape whatever it was read from.

Every instant is epoch seconds (UTC), money integer fen, flags booleans, so the one SQL definition
(``definition.py``) needs no dialect's date functions and runs the same on DuckDB and Spark. A snapshot
(``snapshots.py``) holds these tables as known at its end: an instant at or after the end is null (not yet
happened), and the money that instant would have moved is 0.

The care tables (``CARE_TABLES``) are optional: the care context publishes consultations, tickets and satisfaction
ratings (issue 17); a snapshot taken without them holds none, and the figures that need them are reported as not
computable rather than as zero. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class FactTable:
    name: str
    source: str  # the context that publishes it (its service's export query)
    schema: pa.Schema
    doc: str
    optional: bool = False


S, N, B = pa.string(), pa.int64(), pa.bool_()


def _s(*cols: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(n, t) for n, t in cols])


FACT_TABLES: tuple[FactTable, ...] = (
    FactTable("orders", "orders", _s(
        ("order_id", S), ("shop_id", S), ("consumer_id", S), ("paid_at", N), ("paid_fen", N),
        ("ship_by", N),          # the promised ship-by instant, null without a promise
        ("presale", B),          # a presale order (promise basis or an item's stock tier): left out of ship times
        ("shipped_at", N),       # the merchant declared the shipment
        ("collected_at", N),     # the first carrier scan, as fulfilment found it
        ("signed_at", N), ("cancelled_at", N)),
        "paid orders: paid in the snapshot (from 3 days before its start, for the 48-hour mark) or shipped in it"),
    FactTable("reviews", "orders", _s(("order_id", S), ("shop_id", S), ("rating", N), ("posted_at", N)),
              "an order's review (1..5 stars), posted in the snapshot"),
    FactTable("cases", "aftersales", _s(
        ("case_id", S), ("order_id", S), ("shop_id", S), ("consumer_id", S),
        ("case_type", S),        # refund_only | return_refund | exchange | compensation
        ("reason", S), ("amount_fen", N), ("opened_at", N),
        ("shipped_at_filing", B),  # the order had shipped when the request was filed (as the rulebook saw it)
        ("instant", B),          # refunded at once by the rulebook (极速退款), no merchant involved
        ("decided_at", N),       # the first decision on the request (rulebook, merchant, operator or timeout)
        ("settled_at", N),       # when it reached refunded or completed (money moved), null otherwise
        ("refunded_fen", N), ("compensated_fen", N),
        ("final_state", S), ("closed_at", N),  # refunded / completed / closed / cancelled and when; null while open
        ("freight_claim_fen", N),  # return freight claimed on the platform's insurance (self-shipped, covered), else 0
        ("freight_claimed_at", N),  # when the return was shipped (the claim)
        ("freight_held_at", N),  # risk control held the freight payout for a review (flagged)
        ("risk_verdict", S)),    # risk's verdict on the request at filing: pass | review | block, null if not asked
        "after-sale cases with any activity in the snapshot"),
    FactTable("risk_verdicts", "risk", _s(
        ("verdict_id", S), ("stage", S), ("case_id", S), ("consumer_id", S), ("shop_id", S), ("amount_fen", N),
        ("outcome", S), ("ring_member", B), ("decided_at", N)),
        "claim and return verdicts that flagged the consumer (review, block, or a ring member), from a year before "
        "the snapshot"),
    FactTable("risk_reviews", "risk", _s(
        ("review_id", S), ("stage", S), ("case_id", S), ("consumer_id", S), ("shop_id", S),
        ("amount_fen", N),       # what the verdict under review held back (the claim or the freight)
        ("outcome", S), ("state", S),  # open | cleared | confirmed | withdrawn, as of the snapshot's end
        ("opened_at", N), ("decided_at", N), ("decision_reason", S)),
        "the operators' risk review queue: every review opened before the snapshot's end"),
    FactTable("fulfilment_findings", "fulfilment", _s(
        ("finding_id", S), ("kind", S), ("order_id", S), ("shop_id", S), ("found_at", N)),
        "fulfilment findings (late_shipment, parcel.stalled, parcel.exception, fake_shipment.* …) in the snapshot"),
    FactTable("complaints", "care", _s(
        ("complaint_id", S), ("order_id", S), ("shop_id", S), ("consumer_id", S), ("reason", S), ("filed_at", N)),
        "complaints about a shop, filed in the snapshot"),
    FactTable("chats", "care", _s(
        ("session_id", S), ("shop_id", S), ("opened_at", N), ("to_human_at", N), ("first_reply_at", N)),
        "merchant customer-service sessions (chats, and merchant tickets once care publishes them as chat rows)"),
    FactTable("appeals", "governance", _s(
        ("appeal_id", S), ("violation_id", S), ("appellant_type", S), ("shop_id", S), ("filed_at", N),
        ("decided_at", N), ("state", S), ("abusive", B)),
        "appeals against penalties filed in the snapshot or up to 60 days before it"),
    FactTable("inspection_samples", "governance", _s(
        ("sample_id", S), ("plan_id", S), ("listing_id", S), ("shop_id", S), ("drawn_at", N), ("result_at", N),
        ("state", S)),
        "sampling-inspection samples drawn in the snapshot (pending | passed | failed as of its end)"),
    FactTable("listing_checks", "governance", _s(
        ("check_id", S), ("listing_id", S), ("shop_id", S), ("outcome", S), ("checked_at", N)),
        "listing compliance checks (pass | needs_review | blocked) made in the snapshot"),
    FactTable("violations", "governance", _s(
        ("violation_id", S), ("kind", S), ("violation_class", S), ("shop_id", S), ("creator_id", S),
        ("recorded_at", N), ("reversed_at", N)),
        "violations recorded in the snapshot (risky_merchant is risk control's verdict on a shop)"),
    # --- care (issue 17): optional until the care context publishes them ---------------------------------------
    FactTable("consultations", "care", _s(
        ("consultation_id", S), ("opened_at", N),
        ("channel", S),          # consumer | merchant
        ("topic", S), ("intent", S),  # e.g. logistics / logistics.problem (CARE_SPEC vocabulary)
        ("route", S),            # merchant_cs | platform_cs | case | parcel
        ("shop_id", S)),         # the shop asked about, or the merchant's own shop on the merchant channel
        "consultations opened in the snapshot", optional=True),
    FactTable("tickets", "care", _s(
        ("ticket_id", S), ("consultation_id", S), ("channel", S), ("intent", S),
        ("owner", S),            # merchant_cs | platform_cs
        ("shop_id", S), ("opened_at", N), ("first_reply_due", N), ("first_replied_at", N), ("resolved_at", N),
        ("breached_first_reply", B)),
        "tickets opened or resolved in the snapshot", optional=True),
    FactTable("satisfaction", "care", _s(
        ("ticket_id", S), ("rating", N), ("channel", S), ("intent", S), ("shop_id", S), ("rated_at", N)),
        "satisfaction ratings (1..5) of closed tickets, given in the snapshot", optional=True),
)

FACTS = {t.name: t for t in FACT_TABLES}
CARE_TABLES = tuple(t.name for t in FACT_TABLES if t.optional)


def empty_tables() -> dict[str, pa.Table]:
    return {t.name: t.schema.empty_table() for t in FACT_TABLES}
