"""The canonical scoring inputs: the few columns every score reads, whatever they were read from.

A score is defined once over these tables (``definition.py``) and runs on DuckDB or Spark over the
operational database (``extract.py`` reads them out) or over a Parquet export (one file or folder per
table, these names, these columns). Every instant is epoch seconds (UTC) so the one SQL definition
needs no dialect's date functions; money is integer fen; flags are booleans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa


@dataclass(frozen=True)
class FactTable:
    name: str
    schema: pa.Schema
    doc: str


def _s(*cols: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(n, t) for n, t in cols])


S, N, B = pa.string(), pa.int64(), pa.bool_()

FACT_TABLES: tuple[FactTable, ...] = (
    FactTable("orders", _s(
        ("order_id", S), ("shop_id", S),
        ("category_id", S),      # top-level category of the order's first item ("" when unknown)
        ("creator_id", S),       # the creator whose content sold it, null for the shop's own channel
        ("consumer_id", S), ("paid_at", N), ("paid_fen", N),
        ("presale", B),          # presale orders are left out of collection timeliness
        ("cancelled_at", N), ("collected_at", N), ("signed_at", N)),
        "one row per paid order; collected_at is the first carrier scan"),
    FactTable("reviews", _s(("order_id", S), ("shop_id", S), ("creator_id", S), ("rating", N), ("posted_at", N),
                            ("signed_at", N)),
              "the first review of an order (1..5 stars), with the order's sign-off and creator"),
    FactTable("cases", _s(
        ("case_id", S), ("order_id", S), ("shop_id", S), ("creator_id", S), ("consumer_id", S), ("case_type", S),
        ("reason", S), ("order_paid_at", N), ("opened_at", N),
        ("closed_at", N),        # when it reached a final state, null while open
        ("final_state", S),      # refunded / completed / closed / cancelled, null while open
        ("refunded", B),         # money went back to the buyer
        ("arbitrated", B),       # the platform ruled on it
        ("merchant_at_fault", B),  # the platform ruled for the consumer
        ("consumer_at_fault", B)),  # the platform ruled for the merchant
        "after-sale cases"),
    FactTable("complaints", _s(("complaint_id", S), ("order_id", S), ("shop_id", S), ("creator_id", S),
                               ("consumer_id", S),
                               ("reason", S), ("filed_at", N)),
              "complaints about a shop"),
    FactTable("chats", _s(("session_id", S), ("shop_id", S), ("opened_at", N), ("to_human_at", N),
                          ("first_reply_at", N)),
              "customer-service chat sessions; first_reply_at is a human agent's first answer"),
    FactTable("content_feedback", _s(("feedback_id", S), ("creator_id", S), ("posted_at", N), ("negative", B)),
              "viewers' feedback on a creator's promotional content"),
    FactTable("consumers", _s(("consumer_id", S), ("registered_at", N)),
              "consumer accounts (account age)"),
    FactTable("abuse_verdicts", _s(("consumer_id", S), ("decided_at", N), ("verdict", S)),
              "risk verdicts against consumers (block / review confirmed as abuse)"),
    FactTable("deductions", _s(("deduction_id", S), ("shop_id", S), ("points_x100", N), ("effective_at", N),
                               ("expires_at", N), ("kind", S)),
              "the score deduction ledger (faked orders or reviews, bad service behaviour)"),
    FactTable("governance_points", _s(
        ("entry_id", S), ("violation_id", S), ("kind", S),
        ("violation_class", S),  # general | severe
        ("shop_id", S), ("creator_id", S),  # the shop and the creator the violation names (either may be null)
        ("points_x100", N),      # the entry's points in hundredths
        ("happened_at", N),      # when the violation happened: its points count from then
        ("expires_at", N),       # they count while the as-of is before this
        ("recorded_at", N),      # known from then
        ("reversed_at", N)),     # reversed on appeal from then (null: standing)
        "governance violation point entries (issue 16): what counts at an as-of is decided from the instants"),
)

FACTS = {t.name: t for t in FACT_TABLES}


def empty_tables() -> dict[str, pa.Table]:
    return {t.name: t.schema.empty_table() for t in FACT_TABLES}


class FactSource(Protocol):
    """Where a score run reads its facts from the operational data: ``anxin.warehouse.OperationalFacts``, wired
    in ``bootstrap`` (scoring sits below after-sales, whose cases it reads, so it cannot import them itself)."""

    def read(self, *, since: dt.datetime, until: dt.datetime, shop_ids: list[str] | None = None,
             progress: Callable[[str], None] | None = None) -> dict[str, pa.Table]: ...
