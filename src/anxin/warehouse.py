"""The warehouse export: the canonical scoring facts read out of the operational database as Arrow tables.

Plumbing around the contexts, like the CLI: each context owns the read-only select over its own tables
(``export_*_query`` in its ``service``, so table and column names stay inside the context that writes them);
this module streams them in chunks, joins across contexts (a case takes its order's creator and payment time)
and shapes the facts ``anxin.scoring.facts`` defines: instants become epoch seconds, an order's category the
top-level category of its first item. Scoring receives it as its ``FactSource`` from ``bootstrap``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from anxin.aftersales import service as aftersales
from anxin.audience import service as audience
from anxin.care import service as care
from anxin.catalog import service as catalog
from anxin.governance import service as governance
from anxin.orders import service as orders
from anxin.risk import service as risk
from anxin.scoring import service as scoring
from anxin.scoring.facts import FACT_TABLES, FACTS

PRESALE_BASES = ("presale_date", "tiered_presale")
CHUNK = 20_000


def epoch(at: dt.datetime | None) -> int | None:
    return None if at is None else int(at.timestamp())


def _stream(conn: sa.Connection, query: sa.Select[*tuple[Any, ...]]) -> Iterator[sa.Row[*tuple[Any, ...]]]:
    yield from conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)


def _table(name: str, rows: Iterator[dict[str, Any]]) -> pa.Table:
    schema = FACTS[name].schema
    batches, buf = [], []
    for row in rows:
        buf.append(row)
        if len(buf) >= CHUNK:
            batches.append(pa.RecordBatch.from_pylist(buf, schema=schema))
            buf = []
    if buf:
        batches.append(pa.RecordBatch.from_pylist(buf, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


Meta = dict[str, tuple[str, str | None, int]]  # order id -> (shop, creator, paid_at epoch), orders paid in the window


class OperationalFacts:
    """The scoring facts read from the operational database (SQLite or PostgreSQL): scoring's ``FactSource``."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def read(self, *, since: dt.datetime, until: dt.datetime, shop_ids: list[str] | None = None,
             progress: Callable[[str], None] | None = None) -> dict[str, pa.Table]:
        return FactExtractor(self.engine, since=since, until=until, shop_ids=shop_ids).read_all(progress)


class FactExtractor:
    """Reads every fact table for the instants ``[since, until)`` that any score window can reach."""

    def __init__(self, engine: sa.Engine, *, since: dt.datetime, until: dt.datetime,
                 shop_ids: list[str] | None = None) -> None:
        self.engine, self.since, self.until, self.shop_ids = engine, since, until, shop_ids

    def read_all(self, progress: Callable[[str], None] | None = None) -> dict[str, pa.Table]:
        out: dict[str, pa.Table] = {}
        with self.engine.connect() as conn:
            top = self._top_categories(conn)
            orders_meta: Meta = {}
            for t in FACT_TABLES:
                reader = getattr(self, f"_{t.name}")
                out[t.name] = _table(t.name, reader(conn, top, orders_meta))
                if progress:
                    progress(t.name)
        return out

    def _top_categories(self, conn: sa.Connection) -> dict[str, str]:
        parent = {r.category_id: r.parent_id for r in conn.execute(catalog.export_categories_query())}

        def top(c: str) -> str:
            seen = set()
            while parent.get(c) and c not in seen:
                seen.add(c)
                c = parent[c]
            return c

        cats = {c: top(c) for c in parent}
        listings = conn.execute(catalog.export_listings_query())
        return {r.listing_id: cats.get(r.category_id, r.category_id) for r in listings}

    def _orders(self, conn: sa.Connection, top: dict[str, str], meta: Meta
                ) -> Iterator[dict[str, Any]]:
        q = orders.export_orders_query(paid_since=self.since, paid_until=self.until, shop_ids=self.shop_ids)
        for r in _stream(conn, q):
            items = r.items or []
            first = items[0]["listing_id"] if items else None
            promise = r.promise or {}
            presale = promise.get("basis") in PRESALE_BASES or any(i.get("stock_tier") == "presale" for i in items)
            # A lucky-bag prize (无忧福袋) is the shop's and the platform's: its delivery, reviews, cases and
            # complaints count for the shop's score, never against the creator who gave it away.
            creator = None if r.prize_of else r.creator_id
            meta[r.order_id] = (r.shop_id, creator, epoch(r.paid_at) or 0)
            yield {"order_id": r.order_id, "shop_id": r.shop_id, "category_id": top.get(first, "") if first else "",
                   "creator_id": creator, "consumer_id": r.consumer_id, "paid_at": epoch(r.paid_at),
                   "paid_fen": r.paid_fen, "presale": presale, "cancelled_at": epoch(r.cancelled_at),
                   "collected_at": epoch(r.collected_at), "signed_at": epoch(r.signed_at)}

    def _reviews(self, conn: sa.Connection, top: dict[str, str], meta: Meta
                 ) -> Iterator[dict[str, Any]]:
        q = orders.export_reviews_query(paid_since=self.since, paid_until=self.until, shop_ids=self.shop_ids)
        for r in _stream(conn, q):
            creator = meta[r.order_id][1] if r.order_id in meta else r.creator_id  # a prize's: none
            yield {"order_id": r.order_id, "shop_id": r.shop_id, "creator_id": creator, "rating": r.rating,
                   "posted_at": epoch(r.posted_at), "signed_at": epoch(r.signed_at)}

    def _cases(self, conn: sa.Connection, top: dict[str, str], meta: Meta
               ) -> Iterator[dict[str, Any]]:
        q = aftersales.export_cases_query(opened_until=self.until, shop_ids=self.shop_ids)
        for r in _stream(conn, q):
            order = meta.get(r.order_id)
            if order is None:
                continue  # its order was paid before the window: out of every score's reach
            closed = r.closed_at  # typed by the column it aggregates: an aware UTC datetime on every database
            # As of the scoring date: a case closed later is still open, and its refund has not happened.
            final_state = r.state if closed is not None and r.state in aftersales.FINAL_STATES else None
            yield {"case_id": r.case_id, "order_id": r.order_id, "shop_id": r.shop_id, "creator_id": order[1],
                   "consumer_id": r.consumer_id, "case_type": r.case_type, "reason": r.reason,
                   "order_paid_at": order[2], "opened_at": epoch(r.opened_at),
                   "closed_at": epoch(closed) if final_state else None, "final_state": final_state,
                   "refunded": final_state is not None and (r.refunded_fen or 0) > 0,
                   "arbitrated": bool(r.for_consumer or r.for_merchant),
                   "merchant_at_fault": bool(r.for_consumer), "consumer_at_fault": bool(r.for_merchant)}

    def _complaints(self, conn: sa.Connection, top: dict[str, str], meta: Meta
                    ) -> Iterator[dict[str, Any]]:
        q = care.export_complaints_query(since=self.since, until=self.until, shop_ids=self.shop_ids)
        for r in _stream(conn, q):
            order = meta.get(r.order_id)
            creator = order[1] if order else None
            yield {"complaint_id": r.complaint_id, "order_id": r.order_id, "shop_id": r.shop_id,
                   "creator_id": creator, "consumer_id": r.consumer_id, "reason": r.reason,
                   "filed_at": epoch(r.filed_at)}

    def _chats(self, conn: sa.Connection, top: dict[str, str], meta: Meta
               ) -> Iterator[dict[str, Any]]:
        q = care.export_chats_query(since=self.since, until=self.until, shop_ids=self.shop_ids)
        for r in _stream(conn, q):
            yield {"session_id": r.session_id, "shop_id": r.shop_id, "opened_at": epoch(r.opened_at),
                   "to_human_at": epoch(r.to_human_at), "first_reply_at": epoch(r.first_human_reply_at)}

    def _content_feedback(self, conn: sa.Connection, top: dict[str, str],
                          meta: Meta) -> Iterator[dict[str, Any]]:
        if self.shop_ids is not None:
            return
        for r in _stream(conn, audience.export_feedback_query(since=self.since, until=self.until)):
            yield {"feedback_id": r.feedback_id, "creator_id": r.creator_id, "posted_at": epoch(r.at),
                   "negative": r.sentiment == "negative"}

    def _consumers(self, conn: sa.Connection, top: dict[str, str], meta: Meta
                   ) -> Iterator[dict[str, Any]]:
        if self.shop_ids is not None:
            return
        for r in _stream(conn, audience.export_consumers_query()):
            yield {"consumer_id": r.consumer_id, "registered_at": epoch(r.registered_at)}

    def _abuse_verdicts(self, conn: sa.Connection, top: dict[str, str],
                        meta: Meta) -> Iterator[dict[str, Any]]:
        """Abuse an operator confirmed in the risk queue, known by the as-of day (a verdict still open or
        cleared is not held against anyone)."""
        if self.shop_ids is not None:
            return
        for r in _stream(conn, risk.export_confirmed_abuse_query(until=self.until)):
            yield {"consumer_id": r.consumer_id, "decided_at": epoch(r.decided_at), "verdict": r.outcome}

    def _deductions(self, conn: sa.Connection, top: dict[str, str], meta: Meta
                    ) -> Iterator[dict[str, Any]]:
        for r in _stream(conn, scoring.export_deductions_query(until=self.until, shop_ids=self.shop_ids)):
            yield {"deduction_id": r.deduction_id, "shop_id": r.shop_id, "points_x100": r.points_x100,
                   "effective_at": epoch(r.effective_at), "expires_at": epoch(r.expires_at), "kind": r.kind}

    def _governance_points(self, conn: sa.Connection, top: dict[str, str], meta: Meta
                           ) -> Iterator[dict[str, Any]]:
        """Governance point entries known before the end of the run (a later reversal is kept as its instant, so a
        score as of a day before it still counts the points)."""
        shops = set(self.shop_ids) if self.shop_ids is not None else None
        for r in _stream(conn, governance.export_points_query(until=self.until)):
            if shops is not None and r.shop_id not in shops:
                continue
            yield {"entry_id": r.entry_id, "violation_id": r.violation_id, "kind": r.kind,
                   "violation_class": r.violation_class, "shop_id": r.shop_id, "creator_id": r.creator_id,
                   "points_x100": r.points, "happened_at": epoch(r.starts_at), "expires_at": epoch(r.expires_at),
                   "recorded_at": epoch(r.recorded_at), "reversed_at": epoch(r.reversed_at)}
