"""One entry per event type: the one table both ingestion paths go through.

An entry says how the event's ``data`` is parsed (by the context that owns it, through its ``service``), what must
exist before it applies (``needs``, in order: a missing one parks the event on its key, see ``ingest.service``),
what it makes available once applied (``produces``: the key that releases events parked on it), how it applies in
the caller's unit of work (``apply``, the per-event path) and how it applies to the rows a bulk chunk holds in
memory (``bulk``, with ``owns``: the rows it writes, read up front). Adding an event type is adding an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from anxin.audience import service as audience
from anxin.care import service as care
from anxin.catalog import service as catalog
from anxin.core.fields import FieldInvalid
from anxin.db.uow import UnitOfWork
from anxin.ingest import model as m
from anxin.ingest.bulk_state import Subjects
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.model import Ref
from anxin.orders import service as orders
from anxin.risk import service as risk
from anxin.shops import service as shops
from anxin.worryfree import service as worryfree

Rulebook = orders.FulfilmentRulebook
LifecycleError = orders.LifecycleError  # what ``apply`` and ``bulk`` raise when an event breaks an order's lifecycle


def _none(_: Any) -> Sequence[Ref]:
    return ()


@dataclass(frozen=True)
class Handler:
    parse: Callable[[Mapping[str, Any]], Any]  # data -> command; raises core.fields.FieldInvalid
    apply: Callable[[UnitOfWork, m.Envelope, Any, Rulebook], object]  # once ``needs`` all exist
    bulk: Callable[[Subjects, m.Envelope, Any, Rulebook], object]  # the same, on the chunk's rows in memory
    needs: Callable[[Any], Sequence[Ref]] = _none
    owns: Callable[[Any], Sequence[Ref]] = _none
    produces: Callable[[Any], Sequence[Ref]] = _none
    # The account attributes it carries for risk: (data, command) -> (subject, attributes); applied events only.
    attributes: Callable[[Mapping[str, Any], Any], tuple[str, dict[str, str]]] | None = None


# --- bulk entries shared by several types, and the ones with rules of their own --------------------------------

def _upsert(kind: str, id_attr: str) -> Callable[[Subjects, m.Envelope, Any, Rulebook], object]:
    return lambda s, env, c, _: s.upsert(kind, getattr(c, id_attr), c, env.occurred_at)


def _bulk_shop(s: Subjects, env: m.Envelope, shop: Any, _: Rulebook) -> None:
    """Newer wins, except the opening time: the earliest any version gave (order-independent, as per event)."""
    at, current = env.occurred_at, s.get("shop", shop.shop_id)
    opened = min(d for d in (shop.opened_at or at, current[0].opened_at if current else None) if d is not None)
    if current is not None and at < current[1]:
        if opened != current[0].opened_at:
            s.put("shop", shop.shop_id, (replace(current[0], opened_at=opened), current[1]))
        return
    s.upsert("shop", shop.shop_id, replace(shop, opened_at=opened), at)


def _bulk_paid(s: Subjects, env: m.Envelope, order: Any, rb: Rulebook) -> None:
    if s.get("order", order.order_id) is None:  # a second order.paid for a known order is a no-op
        listings = {i.listing_id: s.get("listing", i.listing_id)[0] for i in order.items}
        s.put_order(replace(order, promise=orders.promise_of(order, listings, rb)))
        s.defer(lambda uow, state: _bulk_worry_free(uow, state, order, listings, rb))


def _wf_chunk(uow: UnitOfWork, s: Subjects) -> tuple[frozenset[str], set[str]]:
    """Read once per chunk: the enrolled listings among the chunk's, and the chunk's orders holding stock (kept up
    to date as its payments reserve), so the chunk's other orders cost the stock nothing."""
    if "wf" not in s.memo:
        listing_ids = sorted(k for k, v in s.rows["listing"].items() if v is not None)
        order_ids = sorted(k for k, v in s.rows["order"].items() if v is not None)
        s.memo["wf"] = (worryfree.enrolled_among(uow, listing_ids), set(worryfree.holding_stock(uow, order_ids)))
    enrolled, holding = s.memo["wf"]
    return enrolled, holding


def _bulk_worry_free(uow: UnitOfWork, s: Subjects, order: Any, listings: Mapping[str, Any], rb: Rulebook) -> None:
    """worryfree.on_order_paid for an order the chunk paid, run when the chunk writes (in apply order, after the
    listings and before the orders): the order's row then carries what the per-event path records."""
    enrolled, holding = _wf_chunk(uow, s)
    if enrolled.isdisjoint(i.listing_id for i in order.items) and order.order_id not in holding:
        return
    paid = worryfree.on_order_paid(uow, order, terms=worryfree.Terms.for_fulfilment(rb), enrolled=enrolled,
                                   lock=False)  # the chunk's orders insert is its guard (on_order_paid says how)
    holding.add(order.order_id)  # it may hold stock now (a checkout hold, a payment's reservation)
    if paid.fulfilled_from != order.fulfilled_from or paid.worry_free != order.worry_free:
        current = s.get("order", order.order_id)  # as it stands now: possibly shipped or cancelled since
        s.put("order", order.order_id, replace(current, fulfilled_from=paid.fulfilled_from,
                                                worry_free=paid.worry_free,
                                                promise=orders.promise_of(paid, listings, rb)))


def _bulk_stock_moves(uow: UnitOfWork, s: Subjects, order_id: str, move: Callable[[], object]) -> None:
    if order_id in _wf_chunk(uow, s)[1]:
        move()


def _bulk_shipped(s: Subjects, env: m.Envelope, c: Any, _: Rulebook) -> None:
    s.put_order(orders.ship_order(s.get("order", c.order_id), carrier=c.carrier, tracking_no=c.tracking_no,
                                  shipped_at=c.shipped_at, weight_g=c.weight_g))
    s.defer(lambda uow, st: _bulk_stock_moves(uow, st, c.order_id,
                                              lambda: worryfree.on_order_shipped(uow, c.order_id, c.shipped_at)))


def _bulk_cancelled(s: Subjects, env: m.Envelope, c: Any, _: Rulebook) -> None:
    s.put_order(orders.cancel_order(s.get("order", c.order_id), reason=c.reason, at=env.occurred_at))
    s.defer(lambda uow, st: _bulk_stock_moves(
        uow, st, c.order_id, lambda: worryfree.on_order_cancelled(uow, c.order_id, env.occurred_at)))


def _bulk_listing(s: Subjects, env: m.Envelope, listing: Any, _: Rulebook) -> None:
    """catalog.upsert_listing in memory: newer wins, and an applied version records catalog.listing_upserted."""
    if s.upsert("listing", listing.listing_id, listing, env.occurred_at):
        s.record(catalog.listing_upserted(listing, as_of=env.occurred_at))


def _bulk_review(s: Subjects, env: m.Envelope, c: Any, _: Rulebook) -> None:
    current = s.get("review", c.order_id)
    if current is None or c.posted_at >= current[2]:  # an older review arriving late changes nothing
        s.put("review", c.order_id, (c.rating, c.text, c.posted_at))
        s.put_order(replace(s.get("order", c.order_id), review_rating=c.rating))


def _complaint(c: Any, order: Any) -> Any:
    return c.complaint(shop_id=order.shop_id, consumer_id=order.consumer_id)  # the order's, not the sender's


# --- per-event entries that read before they write -------------------------------------------------------------

def _paid(uow: UnitOfWork, env: m.Envelope, order: Any, rb: Rulebook) -> None:
    listings = catalog.get_listings(uow, [i.listing_id for i in order.items])
    order = worryfree.on_order_paid(uow, order, terms=worryfree.Terms.for_fulfilment(rb))  # 现货保障 first
    orders.record_paid(uow, replace(order, promise=orders.promise_of(order, listings, rb)))


def _shipped(uow: UnitOfWork, env: m.Envelope, c: Any, _: Rulebook) -> None:
    orders.record_shipped(uow, c.order_id, carrier=c.carrier, tracking_no=c.tracking_no, shipped_at=c.shipped_at,
                          weight_g=c.weight_g)
    worryfree.on_order_shipped(uow, c.order_id, c.shipped_at)


def _cancelled(uow: UnitOfWork, env: m.Envelope, c: Any, _: Rulebook) -> None:
    orders.record_cancelled(uow, c.order_id, reason=c.reason, at=env.occurred_at)
    worryfree.on_order_cancelled(uow, c.order_id, env.occurred_at)


def _file_complaint(uow: UnitOfWork, env: m.Envelope, c: Any, _: Rulebook) -> None:
    care.file_complaint(uow, _complaint(c, orders.get_order(uow, c.order_id)))


def _platform_consultation(c: Any, order: Any) -> Any:
    """The consultation as stored: its shop is its order's; a consumer's order must be theirs."""
    if order is not None and c.customer_role == "consumer" and order.consumer_id != c.customer_id:
        raise LifecycleError("not_the_consumers", f"order {order.order_id} is not consumer {c.customer_id}'s")
    return c.consultation(order_shop_id=order.shop_id if order is not None else None)


def _receive_consultation(uow: UnitOfWork, env: m.Envelope, c: Any, _: Rulebook) -> None:
    order = orders.get_order(uow, c.order_id) if c.order_id is not None else None
    care.receive_consultation(uow, _platform_consultation(c, order))


def _bulk_consultation(s: Subjects, env: m.Envelope, c: Any, _: Rulebook) -> None:
    if s.get("care_consultation", c.consultation_id) is None:  # a second event for a known id changes nothing
        stored = _platform_consultation(c, s.get("order", c.order_id) if c.order_id is not None else None)
        s.put("care_consultation", c.consultation_id, stored)
        s.record(care.consultation_received(stored))


def _bulk_message(s: Subjects, env: m.Envelope, msg: Any, _: Rulebook) -> None:
    if s.get("care_message", msg.message_id) is None:
        s.put("care_message", msg.message_id, msg)
        s.record(care.message_received(msg))


def _consultation_needs(c: Any) -> Sequence[Ref]:
    """Its order (whose shop it takes), else its shop; the merchant channel may name neither."""
    if c.order_id is not None:
        return (Ref("order", c.order_id),)
    return (Ref("shop", c.shop_id),) if c.shop_id is not None else ()


def _consumer(d: Mapping[str, Any], c: Any) -> tuple[str, dict[str, str]]:
    return f"consumer:{c.consumer_id}", risk.consumer_attributes_in(d, "risk")


def _order(c: Any) -> Sequence[Ref]:
    return (Ref("order", c.order_id),)


HANDLERS: dict[str, Handler] = {
    "category.upserted": Handler(
        catalog.parse_category,
        apply=lambda uow, env, c, _: catalog.upsert_category(uow, c, as_of=env.occurred_at),
        bulk=_upsert("category", "category_id"),
        needs=lambda c: (Ref("category", c.parent_id),) if c.parent_id else (),
        owns=lambda c: (Ref("category", c.category_id),), produces=lambda c: (Ref("category", c.category_id),)),
    "shop.upserted": Handler(
        lambda d: shops.parse_shop(d, check_credentials=risk.merchant_credentials_in),
        apply=lambda uow, env, c, _: shops.upsert_shop(uow, c, as_of=env.occurred_at), bulk=_bulk_shop,
        owns=lambda c: (Ref("shop", c.shop_id),), produces=lambda c: (Ref("shop", c.shop_id),),
        attributes=lambda d, c: (f"shop:{c.shop_id}", risk.merchant_credentials_in(d, "credentials"))),
    "listing.upserted": Handler(
        catalog.parse_listing,
        apply=lambda uow, env, c, _: catalog.upsert_listing(uow, c, as_of=env.occurred_at),
        bulk=_bulk_listing,
        needs=lambda c: (Ref("shop", c.shop_id), Ref("category", c.category_id)),
        owns=lambda c: (Ref("listing", c.listing_id),), produces=lambda c: (Ref("listing", c.listing_id),)),
    "order.paid": Handler(
        lambda d: orders.parse_order_paid(d, check_risk=risk.consumer_attributes_in),
        apply=_paid, bulk=_bulk_paid,
        needs=lambda c: (Ref("shop", c.shop_id), *(Ref("listing", i.listing_id) for i in c.items)),
        owns=_order, produces=_order, attributes=_consumer),
    "order.shipped": Handler(
        orders.parse_shipped, apply=_shipped, bulk=_bulk_shipped,
        needs=_order, produces=lambda c: (Ref("tracking", c.tracking_no, c.carrier),)),
    "shipment.scanned": Handler(
        orders.parse_scan,
        apply=lambda uow, env, c, _: orders.record_scan(uow, env.event_id, c),
        bulk=lambda s, env, c, _: s.put("scan", env.event_id, c),
        needs=lambda c: (Ref("tracking", c.tracking_no, c.carrier),)),
    "order.delivered": Handler(
        orders.parse_delivered,
        apply=lambda uow, env, c, _: orders.record_delivered(uow, c.order_id, signed_at=c.signed_at),
        bulk=lambda s, env, c, _: s.put_order(orders.deliver_order(s.get("order", c.order_id),
                                                                   signed_at=c.signed_at)),
        needs=_order),
    "order.cancelled": Handler(
        orders.parse_cancelled, apply=_cancelled, bulk=_bulk_cancelled, needs=_order),
    "review.posted": Handler(
        orders.parse_review,
        apply=lambda uow, env, c, _: orders.record_review(uow, c.order_id, rating=c.rating, text=c.text,
                                                          posted_at=c.posted_at),
        bulk=_bulk_review, needs=_order, owns=lambda c: (Ref("review", c.order_id),)),
    "complaint.filed": Handler(
        care.parse_complaint, apply=_file_complaint,
        bulk=lambda s, env, c, _: s.insert_once("complaint", c.complaint_id,
                                                _complaint(c, s.get("order", c.order_id))),
        needs=_order, owns=lambda c: (Ref("complaint", c.complaint_id),)),
    "chat.session": Handler(
        care.parse_chat_session,
        apply=lambda uow, env, c, _: care.upsert_chat_session(uow, c, as_of=env.occurred_at),
        bulk=_upsert("chat_session", "session_id"),
        needs=lambda c: (Ref("shop", c.shop_id),), owns=lambda c: (Ref("chat_session", c.session_id),)),
    "care.consultation_opened": Handler(
        care.parse_consultation_opened, apply=_receive_consultation, bulk=_bulk_consultation,
        needs=_consultation_needs, owns=lambda c: (Ref("care_consultation", c.consultation_id),),
        produces=lambda c: (Ref("care_consultation", c.consultation_id),)),
    "care.message_posted": Handler(
        care.parse_message_posted, apply=lambda uow, env, msg, _: care.receive_message(uow, msg),
        bulk=_bulk_message, needs=lambda msg: (Ref("care_consultation", msg.consultation_id),),
        owns=lambda msg: (Ref("care_message", msg.message_id),)),
    "consumer.registered": Handler(
        lambda d: audience.parse_consumer(d, check_risk=risk.consumer_attributes_in),
        apply=lambda uow, env, c, _: audience.upsert_consumer(uow, c, as_of=env.occurred_at),
        bulk=_upsert("consumer", "consumer_id"),
        owns=lambda c: (Ref("consumer", c.consumer_id),), attributes=_consumer),
    "content.feedback": Handler(
        audience.parse_content_feedback, apply=lambda uow, env, c, _: audience.record_feedback(uow, c),
        bulk=lambda s, env, c, _: s.insert_once("content_feedback", c.feedback_id, c),
        owns=lambda c: (Ref("content_feedback", c.feedback_id),)),
    # 无忧服务: a lot received at the platform's warehouse (its shop is the listing's). Bulk: received when the
    # chunk writes, in apply order with the chunk's orders' reservations, after the listings are written.
    "warehouse.lot_received": Handler(
        worryfree.parse_lot_received,
        apply=lambda uow, env, c, _: worryfree.receive_lot(uow, c),
        bulk=lambda s, env, c, _: s.defer(lambda uow, _s: worryfree.receive_lot(uow, c)),
        needs=lambda c: (Ref("listing", c.listing_id),)),
}


# The model of each type's ``data``, from the context that owns it (published: ``anxin.ingest.schemas``).
PAYLOAD_MODELS: dict[str, type[BaseModel]] = {
    etype: model for etype, model in sorted({**catalog.PAYLOADS, **shops.PAYLOADS, **orders.PAYLOADS,
                                              **care.PAYLOADS, **audience.PAYLOADS,
                                              **worryfree.PAYLOADS}.items())}


# --- what both paths share -------------------------------------------------------------------------------------

def parse_command(env: m.Envelope, bounds: m.TimeBounds) -> Any:
    """The typed command of an event whose envelope parsed, with every time in range."""
    try:
        cmd = HANDLERS[env.type].parse(env.data)
    except FieldInvalid as exc:
        raise m.event_invalid(exc) from None
    m.check_times(env, cmd, bounds)
    return cmd


def parse_event(raw: object, bounds: m.TimeBounds) -> tuple[m.Envelope, Any]:
    """The envelope, its typed command, and every time in range: what both ingestion paths accept."""
    env = m.parse_envelope(raw, HANDLERS)
    return env, parse_command(env, bounds)


def attributes_of(env: m.Envelope, cmd: Any) -> tuple[str, dict[str, str]] | None:
    """The subject (``consumer:c1``, ``shop:s1``) and the attributes an event, already parsed into ``cmd``, carries;
    None when it carries none. The order's are the buyer's at checkout (delivery address, device, ip, payment)."""
    read = HANDLERS[env.type].attributes
    if read is None:
        return None
    subject, attributes = read(env.data, cmd)
    return (subject, attributes) if attributes else None


def first_missing(uow: UnitOfWork, refs: Sequence[Ref]) -> Ref | None:
    """The first of ``refs`` not stored yet (the per-event path's reads; the listings of an order in one query)."""
    missing_listings: set[str] | None = None
    for ref in refs:
        match ref.kind:
            case "category":
                found = catalog.category_exists(uow, ref.id)
            case "shop":
                found = shops.get_shop(uow, ref.id) is not None
            case "listing":
                if missing_listings is None:
                    missing_listings = set(catalog.missing_listings(uow, [r.id for r in refs if r.kind == "listing"]))
                found = ref.id not in missing_listings
            case "order":
                found = orders.order_exists(uow, ref.id)
            case "tracking":
                found = orders.tracking_known(uow, ref.carrier, ref.id)
            case "care_consultation":
                found = care.consultation_exists(uow, ref.id)
            case _:
                raise AssertionError(f"nothing can wait for a {ref.kind}")
        if not found:
            return ref
    return None


def failed_code(exc: Exception) -> str:
    """The code a parked event that cannot be applied when released is stored with."""
    if isinstance(exc, m.EventInvalid) and exc.code == IngestErrorCode.TIME_OUT_OF_RANGE:
        return exc.code
    return IngestErrorCode.LIFECYCLE.value
