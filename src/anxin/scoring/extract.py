"""Read the canonical scoring facts out of the operational database (SQLite or PostgreSQL) as Arrow tables.

This is an analytics export: it reads the operational schema by table and column name, read-only, the way
a nightly export job or a change-data-capture feed would, and never through another context's store
classes. Instants become epoch seconds, an order's category becomes the top-level category of its first
item, and an after-sale case's closing time, arbitration and fault come from its event history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from anxin.db.base import UTCDateTime
from anxin.scoring.facts import FACT_TABLES, FACTS

FINAL_STATES = ("refunded", "completed", "closed", "cancelled")
PRESALE_BASES = ("presale_date", "tiered_presale")
CHUNK = 20_000


def _t(name: str, *cols: str, times: tuple[str, ...] = (), json: tuple[str, ...] = ()) -> sa.TableClause:
    def typed(c: str) -> sa.ColumnClause[Any]:
        return sa.column(c, UTCDateTime() if c in times else sa.JSON() if c in json else None)

    return sa.table(name, *(typed(c) for c in cols))


ORDERS = _t("orders", "order_id", "shop_id", "items", "creator_id", "consumer_id", "paid_at", "paid_fen", "promise",
            "cancelled_at", "collected_at", "signed_at", times=("paid_at", "cancelled_at", "collected_at", "signed_at"),
            json=("items", "promise"))
LISTINGS = _t("listings", "listing_id", "category_id")
CATEGORIES = _t("categories", "category_id", "parent_id")
REVIEWS = _t("reviews", "order_id", "rating", "posted_at", times=("posted_at",))
CASES = _t("aftersale_cases", "case_id", "order_id", "shop_id", "consumer_id", "case_type", "reason", "opened_at",
           "state", "refunded_fen", times=("opened_at",))
CASE_EVENTS = _t("aftersale_case_events", "case_id", "action", "to_state", "at", times=("at",))
COMPLAINTS = _t("complaints", "complaint_id", "order_id", "shop_id", "consumer_id", "reason", "filed_at",
                times=("filed_at",))
CHATS = _t("chat_sessions", "session_id", "shop_id", "opened_at", "to_human_at", "first_human_reply_at",
           times=("opened_at", "to_human_at", "first_human_reply_at"))
FEEDBACK = _t("content_feedback", "feedback_id", "creator_id", "at", "sentiment", times=("at",))
CONSUMERS = _t("consumers", "consumer_id", "registered_at", times=("registered_at",))
REVIEWS_RISK = _t("risk_reviews", "review_id", "consumer_id", "state", "outcome", "decided_at", times=("decided_at",))
DEDUCTIONS = _t("score_deductions", "deduction_id", "shop_id", "points_x100", "effective_at", "expires_at", "kind",
                "revoked_at", times=("effective_at", "expires_at", "revoked_at"))


def epoch(at: dt.datetime | None) -> int | None:
    return None if at is None else int(at.timestamp())


def _stream(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[sa.Row[Any]]:
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


class FactExtractor:
    """Reads every fact table for the instants ``[since, until)`` that any score window can reach."""

    def __init__(self, engine: sa.Engine, *, since: dt.datetime, until: dt.datetime,
                 shop_ids: list[str] | None = None) -> None:
        self.engine, self.since, self.until, self.shop_ids = engine, since, until, shop_ids

    def read_all(self, progress: Callable[[str], None] | None = None) -> dict[str, pa.Table]:
        out: dict[str, pa.Table] = {}
        with self.engine.connect() as conn:
            top = self._top_categories(conn)
            orders_meta: dict[str, tuple[str, str | None, int]] = {}
            for t in FACT_TABLES:
                reader = getattr(self, f"_{t.name}")
                out[t.name] = _table(t.name, reader(conn, top, orders_meta))
                if progress:
                    progress(t.name)
        return out

    def _shops(self, col: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        return col.in_(self.shop_ids) if self.shop_ids is not None else sa.true()

    def _top_categories(self, conn: sa.Connection) -> dict[str, str]:
        parent = {r.category_id: r.parent_id for r in conn.execute(sa.select(CATEGORIES))}

        def top(c: str) -> str:
            seen = set()
            while parent.get(c) and c not in seen:
                seen.add(c)
                c = parent[c]
            return c

        cats = {c: top(c) for c in parent}
        return {r.listing_id: cats.get(r.category_id, r.category_id) for r in conn.execute(sa.select(LISTINGS))}

    def _orders(self, conn: sa.Connection, top: dict[str, str], meta: dict[str, tuple[str, str | None, int]]
                ) -> Iterator[dict[str, Any]]:
        c = ORDERS.c
        q = sa.select(ORDERS).where(c.paid_at >= self.since, c.paid_at < self.until, self._shops(c.shop_id))
        for r in _stream(conn, q.order_by(c.order_id)):
            items = r.items or []
            first = items[0]["listing_id"] if items else None
            promise = r.promise or {}
            presale = promise.get("basis") in PRESALE_BASES or any(i.get("stock_tier") == "presale" for i in items)
            meta[r.order_id] = (r.shop_id, r.creator_id, epoch(r.paid_at) or 0)
            yield {"order_id": r.order_id, "shop_id": r.shop_id, "category_id": top.get(first, "") if first else "",
                   "creator_id": r.creator_id, "consumer_id": r.consumer_id, "paid_at": epoch(r.paid_at),
                   "paid_fen": r.paid_fen, "presale": presale, "cancelled_at": epoch(r.cancelled_at),
                   "collected_at": epoch(r.collected_at), "signed_at": epoch(r.signed_at)}

    def _reviews(self, conn: sa.Connection, top: dict[str, str], meta: dict[str, tuple[str, str | None, int]]
                 ) -> Iterator[dict[str, Any]]:
        o = ORDERS.c
        q = (sa.select(REVIEWS.c.order_id, REVIEWS.c.rating, REVIEWS.c.posted_at, o.shop_id, o.creator_id,
                       o.signed_at)
             .join_from(REVIEWS, ORDERS, REVIEWS.c.order_id == o.order_id)
             .where(o.paid_at >= self.since, o.paid_at < self.until, REVIEWS.c.posted_at < self.until,
                    self._shops(o.shop_id)))
        for r in _stream(conn, q.order_by(REVIEWS.c.order_id)):
            yield {"order_id": r.order_id, "shop_id": r.shop_id, "creator_id": r.creator_id, "rating": r.rating,
                   "posted_at": epoch(r.posted_at), "signed_at": epoch(r.signed_at)}

    def _cases(self, conn: sa.Connection, top: dict[str, str], meta: dict[str, tuple[str, str | None, int]]
               ) -> Iterator[dict[str, Any]]:
        e = CASE_EVENTS.c
        final = sa.case((e.to_state.in_(FINAL_STATES), e.at))
        history = (sa.select(e.case_id, sa.func.max(final).label("closed_at"),
                             sa.func.max(sa.case((e.action == "arbitrate_for_consumer", 1), else_=0)).label("mf"),
                             sa.func.max(sa.case((e.action == "arbitrate_for_merchant", 1), else_=0)).label("cf"))
                   .where(e.at < self.until).group_by(e.case_id).subquery())
        k = CASES.c
        q = (sa.select(CASES, history.c.closed_at, history.c.mf, history.c.cf, ORDERS.c.creator_id,
                       ORDERS.c.paid_at.label("order_paid_at"))
             .join_from(CASES, history, history.c.case_id == k.case_id, isouter=True)
             .join(ORDERS, ORDERS.c.order_id == k.order_id)
             .where(ORDERS.c.paid_at >= self.since, k.opened_at < self.until, self._shops(k.shop_id)))
        for r in _stream(conn, q.order_by(k.case_id)):
            closed = r.closed_at  # typed by the column it aggregates: an aware UTC datetime on every database
            # As of the scoring date: a case closed later is still open, and its refund has not happened.
            final_state = r.state if closed is not None and r.state in FINAL_STATES else None
            yield {"case_id": r.case_id, "order_id": r.order_id, "shop_id": r.shop_id, "creator_id": r.creator_id,
                   "consumer_id": r.consumer_id, "case_type": r.case_type, "reason": r.reason,
                   "order_paid_at": epoch(r.order_paid_at), "opened_at": epoch(r.opened_at),
                   "closed_at": epoch(closed) if final_state else None, "final_state": final_state,
                   "refunded": final_state is not None and (r.refunded_fen or 0) > 0, "arbitrated": bool(r.mf or r.cf),
                   "merchant_at_fault": bool(r.mf), "consumer_at_fault": bool(r.cf)}

    def _complaints(self, conn: sa.Connection, top: dict[str, str], meta: dict[str, tuple[str, str | None, int]]
                    ) -> Iterator[dict[str, Any]]:
        c = COMPLAINTS.c
        q = sa.select(COMPLAINTS).where(c.filed_at >= self.since, c.filed_at < self.until, self._shops(c.shop_id))
        for r in _stream(conn, q.order_by(c.complaint_id)):
            creator = meta.get(r.order_id, (None, None, 0))[1]
            yield {"complaint_id": r.complaint_id, "order_id": r.order_id, "shop_id": r.shop_id,
                   "creator_id": creator, "consumer_id": r.consumer_id, "reason": r.reason,
                   "filed_at": epoch(r.filed_at)}

    def _chats(self, conn: sa.Connection, top: dict[str, str], meta: dict[str, tuple[str, str | None, int]]
               ) -> Iterator[dict[str, Any]]:
        c = CHATS.c
        q = sa.select(CHATS).where(c.opened_at >= self.since, c.opened_at < self.until, self._shops(c.shop_id))
        for r in _stream(conn, q.order_by(c.session_id)):
            yield {"session_id": r.session_id, "shop_id": r.shop_id, "opened_at": epoch(r.opened_at),
                   "to_human_at": epoch(r.to_human_at), "first_reply_at": epoch(r.first_human_reply_at)}

    def _content_feedback(self, conn: sa.Connection, top: dict[str, str],
                          meta: dict[str, tuple[str, str | None, int]]) -> Iterator[dict[str, Any]]:
        if self.shop_ids is not None:
            return
        c = FEEDBACK.c
        q = sa.select(FEEDBACK).where(c.at >= self.since, c.at < self.until)
        for r in _stream(conn, q.order_by(c.feedback_id)):
            yield {"feedback_id": r.feedback_id, "creator_id": r.creator_id, "posted_at": epoch(r.at),
                   "negative": r.sentiment == "negative"}

    def _consumers(self, conn: sa.Connection, top: dict[str, str], meta: dict[str, tuple[str, str | None, int]]
                   ) -> Iterator[dict[str, Any]]:
        if self.shop_ids is not None:
            return
        for r in _stream(conn, sa.select(CONSUMERS).order_by(CONSUMERS.c.consumer_id)):
            yield {"consumer_id": r.consumer_id, "registered_at": epoch(r.registered_at)}

    def _abuse_verdicts(self, conn: sa.Connection, top: dict[str, str],
                        meta: dict[str, tuple[str, str | None, int]]) -> Iterator[dict[str, Any]]:
        """Abuse an operator confirmed in the risk queue, known by the as-of day (a verdict still open or
        cleared is not held against anyone)."""
        if self.shop_ids is not None:
            return
        c = REVIEWS_RISK.c
        q = sa.select(REVIEWS_RISK).where(c.state == "confirmed", c.consumer_id.is_not(None),
                                          c.decided_at < self.until)
        for r in _stream(conn, q.order_by(c.review_id)):
            yield {"consumer_id": r.consumer_id, "decided_at": epoch(r.decided_at), "verdict": r.outcome}

    def _deductions(self, conn: sa.Connection, top: dict[str, str], meta: dict[str, tuple[str, str | None, int]]
                    ) -> Iterator[dict[str, Any]]:
        c = DEDUCTIONS.c
        q = sa.select(DEDUCTIONS).where(c.revoked_at.is_(None), c.effective_at < self.until,
                                        self._shops(c.shop_id))
        for r in _stream(conn, q.order_by(c.deduction_id)):
            yield {"deduction_id": r.deduction_id, "shop_id": r.shop_id, "points_x100": r.points_x100,
                   "effective_at": epoch(r.effective_at), "expires_at": epoch(r.expires_at), "kind": r.kind}
