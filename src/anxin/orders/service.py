"""Order use cases: applied by ingestion inside its transaction, read by after-sales and the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anxin.db.uow import UnitOfWork
from anxin.orders import model, stats_store
from anxin.orders.events import BadReviewReceived, is_bad_review
from anxin.orders.fulfilment_rules import FulfilmentRulebook as FulfilmentRulebook
from anxin.orders.fulfilment_rules import load_fulfilment_rulebook as load_fulfilment_rulebook
from anxin.orders.model import LifecycleError as LifecycleError
from anxin.orders.model import Order as Order  # the types these calls take and return
from anxin.orders.model import OrderItem as OrderItem
from anxin.orders.model import OrderStatus as OrderStatus
from anxin.orders.model import OrderTimeline as OrderTimeline
from anxin.orders.model import Scan
from anxin.orders.payloads import PAYLOADS as PAYLOADS  # the model of each event type's data it owns
from anxin.orders.payloads import parse_cancelled as parse_cancelled
from anxin.orders.payloads import parse_delivered as parse_delivered
from anxin.orders.payloads import parse_order_paid as parse_order_paid
from anxin.orders.payloads import parse_review as parse_review
from anxin.orders.payloads import parse_scan as parse_scan
from anxin.orders.payloads import parse_shipped as parse_shipped
from anxin.orders.payloads import promise_of as promise_of
from anxin.orders.stats_store import ShopStatsRepository
from anxin.orders.store import OrderRepository, OrderRow, WatchRepository
from anxin.orders.store import export_orders_query as export_orders_query  # analytics exports
from anxin.orders.store import export_report_orders_query as export_report_orders_query  # the service report
from anxin.orders.store import export_report_reviews_query as export_report_reviews_query
from anxin.orders.store import export_reviews_query as export_reviews_query

PRESALE_BASES = ("presale_date", "tiered_presale")


def is_presale(promise: dict[str, Any] | None, items: list[dict[str, Any]] | None) -> bool:
    """An exported order's promise and items (JSON, as ``export_*_query`` return them): a presale order ships on a
    promised date, not within the usual hours (analytics leave it out of shipping times)."""
    return (promise or {}).get("basis") in PRESALE_BASES or any(i.get("stock_tier") == "presale"
                                                                 for i in items or ())


def get_order(uow: UnitOfWork, order_id: str, *, lock: bool = False) -> Order | None:
    """``lock``: hold the order's row until the transaction ends (PostgreSQL ``FOR UPDATE``; on SQLite the caller
    has begun its write transaction), so what is spent against the order is read and written by one at a time."""
    row = OrderRepository(uow.session).get_row(order_id, lock=lock)
    return row.to_model() if row else None


def order_exists(uow: UnitOfWork, order_id: str) -> bool:
    return OrderRepository(uow.session).exists(order_id)


def record_paid(uow: UnitOfWork, order: Order) -> bool:
    """False when the order is already known (a second order.paid for one order id is a no-op)."""
    repo = OrderRepository(uow.session)
    if repo.get_row(order.order_id) is not None:
        return False
    repo.add(order)
    return True


def _transition(uow: UnitOfWork, order_id: str, change: Callable[[Order], Order]) -> Order:
    row = OrderRepository(uow.session).get_row(order_id)
    if row is None:
        raise KeyError(order_id)
    updated = change(row.to_model())
    row.update_from(updated)
    return updated


def record_shipped(uow: UnitOfWork, order_id: str, *, carrier: str, tracking_no: str, shipped_at: dt.datetime,
                   weight_g: int | None = None) -> Order:
    return _transition(uow, order_id, lambda o: model.ship(o, carrier=carrier, tracking_no=tracking_no,
                                                           shipped_at=shipped_at, weight_g=weight_g))


def record_delivered(uow: UnitOfWork, order_id: str, *, signed_at: dt.datetime) -> Order:
    return _transition(uow, order_id, lambda o: model.deliver(o, signed_at=signed_at))


def record_cancelled(uow: UnitOfWork, order_id: str, *, reason: str, at: dt.datetime) -> Order:
    return _transition(uow, order_id, lambda o: model.cancel(o, reason=reason, at=at))


def record_review(uow: UnitOfWork, order_id: str, *, rating: int, text: str, posted_at: dt.datetime) -> None:
    """Store the order's review (newer wins); a bad one (rating ≤ 2) stored publishes ``BadReviewReceived``."""
    repo = OrderRepository(uow.session)
    row = repo.get_row(order_id)
    if repo.upsert_review(order_id, rating, text, posted_at) and row is not None:
        row.review_rating = rating
        if is_bad_review(rating):
            uow.record(BadReviewReceived(order_id=order_id, shop_id=row.shop_id, consumer_id=row.consumer_id,
                                         rating=rating, at=posted_at))


def tracking_known(uow: UnitOfWork, carrier: str, tracking_no: str) -> bool:
    return OrderRepository(uow.session).by_tracking(model.normalise_carrier(carrier), tracking_no) is not None


def record_scan(uow: UnitOfWork, event_id: str, scan: Scan) -> None:
    OrderRepository(uow.session).add_scan(event_id, scan)


def timeline(uow: UnitOfWork, order_id: str) -> OrderTimeline | None:
    repo = OrderRepository(uow.session)
    row = repo.get_row(order_id)
    if row is None:
        return None
    order = row.to_model()
    scans = repo.scans(order.carrier, order.tracking_no) if order.carrier and order.tracking_no else []
    return OrderTimeline(order, tuple(scans))


def orders_of_consumer(uow: UnitOfWork, consumer_id: str, limit: int = 50) -> list[Order]:
    return [row.to_model() for row in OrderRepository(uow.session).for_consumer(consumer_id, limit)]


def count_paid(uow: UnitOfWork, *, since: dt.datetime, until: dt.datetime, consumer_id: str | None = None) -> int:
    """Orders paid in [since, until), of one consumer or of everyone (risk compares a consumer's claim rate)."""
    return OrderRepository(uow.session).count_paid(since=since, until=until, consumer_id=consumer_id)


# --- bulk ingestion (anxin.ingest.bulk): a few thousand ids per call; lifecycle rules stay in orders.model ---------

Review = tuple[int, str, dt.datetime]  # rating, text, posted_at


def order_states(uow: UnitOfWork, order_ids: list[str]) -> dict[str, Order]:
    """Stored orders as the lifecycle rules need them, with ``items`` left empty (bulk_update_orders never
    writes items): for ingestion only, never for reading what was bought."""
    return {o.order_id: o for o in OrderRepository(uow.session).states_by_ids(order_ids)}


def holders_of_tracking(uow: UnitOfWork, carrier: str, tracking_nos: list[str]) -> list[tuple[str, str]]:
    """(tracking_no, order_id) of every order holding one of these tracking numbers with this (normalised) carrier."""
    return OrderRepository(uow.session).holding_tracking(carrier, tracking_nos)


# The lifecycle rules, for the bulk path that runs them on orders held in memory.
ship_order, deliver_order, cancel_order = model.ship, model.deliver, model.cancel


def bulk_record_paid(uow: UnitOfWork, orders: list[Order]) -> None:
    """Insert orders not yet stored, as they stand now (the caller may have shipped them in memory already)."""
    OrderRepository(uow.session).insert_many(orders)


def bulk_update_orders(uow: UnitOfWork, orders: list[Order]) -> None:
    """Store the state of orders that already have a row, after model.ship/deliver/cancel or a review."""
    OrderRepository(uow.session).update_many(orders)


def bulk_record_scans(uow: UnitOfWork, scans: list[tuple[str, Scan]]) -> None:
    """(event_id, scan) pairs, inserted in the given order."""
    OrderRepository(uow.session).add_scans(scans)


def reviews_by_order(uow: UnitOfWork, order_ids: list[str]) -> dict[str, Review]:
    return OrderRepository(uow.session).reviews_by_order(order_ids)


def bulk_write_reviews(uow: UnitOfWork, new: dict[str, Review], changed: dict[str, Review]) -> None:
    """Insert ``new`` and overwrite ``changed``; the caller has already applied newer-wins. Publishes
    ``BadReviewReceived`` for each bad one written, as ``record_review`` does (the orders are written first)."""
    repo = OrderRepository(uow.session)
    repo.write_reviews(new, changed)
    bad = {oid: review for oid, review in {**new, **changed}.items() if is_bad_review(review[0])}
    if not bad:
        return
    parties = repo.parties(sorted(bad))
    uow.record(*(BadReviewReceived(order_id=oid, shop_id=parties[oid][0], consumer_id=parties[oid][1],
                                   rating=rating, at=posted_at)
                 for oid, (rating, _, posted_at) in bad.items() if oid in parties))


# --- fulfilment monitoring (anxin.fulfilment): which orders are due, what is known about them ------------------

@dataclass(frozen=True)
class WatchedOrder:
    order: Order
    change_seq: int  # as read: set_checked writes only if the order has not changed since
    scans: tuple[Scan, ...] = ()  # in arrival order
    collected_at: dt.datetime | None = None  # as the last pass stored it


def _watched(rows: list[tuple[OrderRow, int]], repo: WatchRepository) -> list[WatchedOrder]:
    numbers = list(dict.fromkeys((r.carrier, r.tracking_no) for r, _ in rows if r.carrier and r.tracking_no))
    scans = repo.scans_of(numbers)
    return [WatchedOrder(r.to_model(), seq, tuple(scans.get((r.carrier, r.tracking_no), ())) if r.carrier
                         and r.tracking_no else (), r.collected_at) for r, seq in rows]


def due_for_check(uow: UnitOfWork, now: dt.datetime, limit: int) -> list[WatchedOrder]:
    repo = WatchRepository(uow.session)
    return _watched(repo.due(now, limit), repo)


def tracking_peers(uow: UnitOfWork, due: list[WatchedOrder]) -> list[WatchedOrder]:
    """Other orders holding the due orders' tracking numbers, whole with their scans."""
    repo = WatchRepository(uow.session)
    numbers = list(dict.fromkeys((w.order.carrier, w.order.tracking_no) for w in due
                                 if w.order.carrier and w.order.tracking_no))
    return _watched([(r, r.change_seq) for r in repo.sharing_tracking(numbers, {w.order.order_id for w in due})],
                    repo)


Collected = tuple[Order, dt.datetime | None]  # an order and its first carrier scan after payment


def listing_peers(uow: UnitOfWork, listing_ids: list[str], *, start: dt.datetime, end: dt.datetime,
                  moved_statuses: frozenset[str], now: dt.datetime) -> dict[str, list[Collected]]:
    """By listing: its orders due to ship in [start, end] without a carrier scan by their ship-by, each with its
    first carrier scan after payment (its collection), without loading their scans."""
    repo = WatchRepository(uow.session)
    out: dict[str, list[Collected]] = {lid: [] for lid in listing_ids}
    for lo in range(0, len(listing_ids), 500):
        part = listing_ids[lo:lo + 500]
        for row, collected in repo.listing_peers(part, start, end, moved_statuses, now):
            order = row.to_model()
            for lid in dict.fromkeys(i.listing_id for i in order.items):
                if lid in out:
                    out[lid].append((order, collected))
    return out


def due_ship_by_range(uow: UnitOfWork, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The earliest and latest ship-by among the orders due at ``now``: the span a pass's listing windows cover."""
    return WatchRepository(uow.session).due_ship_by_range(now)


def set_checked(uow: UnitOfWork, updates: list[tuple[str, int, dt.datetime | None, dt.datetime | None]]) -> int:
    """(order_id, change_seq read, next_check_at, collected_at) for orders the fulfilment pass has judged."""
    return WatchRepository(uow.session).set_checked(updates)


def mark_all_due(uow: UnitOfWork, since: dt.datetime | None = None) -> int:
    """Make every order (paid since ``since``) due: the batch detection pass over history."""
    return WatchRepository(uow.session).mark_all_due(since)


def transit_samples(uow: UnitOfWork, since: dt.datetime) -> list[tuple[str, str, str, dt.datetime, dt.datetime]]:
    """(carrier, origin, destination, collected_at, signed_at) of parcels signed since ``since``."""
    return WatchRepository(uow.session).transit_samples(since)


def orders_paid_between(uow: UnitOfWork, shop_id: str | None, start: dt.datetime,
                        end: dt.datetime) -> list[tuple[Order, dt.datetime | None]]:
    """(order, collected_at) of one shop (None: every shop) paid in [start, end)."""
    return [(r.to_model(), r.collected_at) for r in WatchRepository(uow.session).of_shop(shop_id, start, end)]


# --- merchants: a shop's order figures and the settlement job's reads --------------------------------------------

def shop_order_counts(uow: UnitOfWork, shop_id: str) -> dict[str, int]:
    return ShopStatsRepository(uow.session).order_counts(shop_id)


def paid_counts_by_shop(uow: UnitOfWork, shop_ids: list[str], *, since: dt.datetime,
                        until: dt.datetime) -> dict[str, int]:
    """Orders paid in [since, until) per shop, 0 for a shop with none (governance's complaint rate)."""
    found = ShopStatsRepository(uow.session).paid_counts(shop_ids, since, until)
    return {sid: found.get(sid, 0) for sid in shop_ids}


def shop_gmv(uow: UnitOfWork, shop_id: str, bounds: list[tuple[dt.datetime, dt.datetime]]) -> list[int]:
    return ShopStatsRepository(uow.session).gmv_between(shop_id, bounds)


def orders_to_settle(uow: UnitOfWork, limit: int) -> list[Order]:
    return [r.to_model() for r in ShopStatsRepository(uow.session).unsettled(limit)]


def cancellations_to_settle(uow: UnitOfWork, limit: int) -> list[Order]:
    return [r.to_model() for r in ShopStatsRepository(uow.session).cancelled_unsettled(limit)]


def mark_settled(uow: UnitOfWork, order_ids: list[str], *, cancelled: bool = False) -> None:
    """The merchants context records how far each order is settled (1: sale, 2: cancellation too)."""
    ShopStatsRepository(uow.session).mark_settled(order_ids, 2 if cancelled else 1)


def mark_unsettleable(uow: UnitOfWork, order_ids: list[str]) -> None:
    """Orders the fee engine refused (9): logged by the merchants context, left out of later runs."""
    ShopStatsRepository(uow.session).mark_settled(order_ids, 9)


# --- merchants' matchmaking (issue 18 §7) -------------------------------------------------------------------------

def creator_sales(uow: UnitOfWork, *, since: dt.datetime, until: dt.datetime) -> list[tuple[str, str, int]]:
    """(creator id, listing id, orders) of creators' orders paid in [since, until), cancelled ones left out."""
    return stats_store.creator_sales(uow.session, since, until)


def creator_orders_in_shop(uow: UnitOfWork, creator_id: str, shop_id: str, *, start: dt.datetime,
                           end: dt.datetime) -> list[Order]:
    """A shop's orders carrying the creator paid in [start, end): a live session's orders."""
    return [r.to_model() for r in stats_store.creator_orders_in_shop(uow.session, creator_id, shop_id, start, end)]
