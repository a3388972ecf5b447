"""Event factories and seeding helpers shared by the database and API tests.

Every factory returns a plain platform event (a dict, exactly what ``POST /v1/events`` takes), so a
test can tweak any field before ingesting it. ``seed_order`` ingests a category, a shop, a listing and
an order (optionally shipped, signed, cancelled) and fails loudly if any of them is not applied.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from anxin.db.tables import metadata

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # the conftest clock's start: 10:00 in Beijing
MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def iso(at: dt.datetime) -> str:
    return at.isoformat()


def new_event_id(prefix: str = "ev") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def event(etype: str, data: dict[str, Any], *, id: str | None = None, at: dt.datetime = T0) -> dict[str, Any]:
    return {"id": id or new_event_id(), "type": etype, "occurred_at": iso(at), "data": data}


def category(category_id: str = "cat_general", *, name: str | None = None, parent_id: str | None = None,
             tags: Iterable[str] = (), id: str | None = None, at: dt.datetime = T0) -> dict[str, Any]:
    data: dict[str, Any] = {"category_id": category_id, "name": name or f"Category {category_id}",
                            "tags": list(tags)}
    if parent_id is not None:
        data["parent_id"] = parent_id
    return event("category.upserted", data, id=id, at=at)


def shop(shop_id: str = "s1", merchant_id: str = "m1", *, services: Iterable[str] = (),
         store_type: str = "enterprise", name: str | None = None, credentials: dict[str, Any] | None = None,
         opened_at: dt.datetime | None = None, id: str | None = None, at: dt.datetime = T0) -> dict[str, Any]:
    data: dict[str, Any] = {"shop_id": shop_id, "merchant_id": merchant_id, "name": name or f"Shop {shop_id}",
                            "store_type": store_type, "services": list(services)}
    if credentials is not None:
        data["credentials"] = credentials
    if opened_at is not None:
        data["opened_at"] = iso(opened_at)
    return event("shop.upserted", data, id=id, at=at)


def listing(listing_id: str = "l1", shop_id: str = "s1", category_id: str = "cat_general", *,
            price_fen: int = 9900, title: str | None = None, ship_within_hours: int | None = None,
            id: str | None = None, at: dt.datetime = T0) -> dict[str, Any]:
    data: dict[str, Any] = {"listing_id": listing_id, "shop_id": shop_id, "category_id": category_id,
                            "title": title or f"Listing {listing_id}", "price_fen": price_fen}
    if ship_within_hours is not None:
        data["ship_within_hours"] = ship_within_hours
    return event("listing.upserted", data, id=id, at=at)


def item(listing_id: str = "l1", qty: int = 1, price_fen: int = 9900, *,
         exemption_confirmed: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"listing_id": listing_id, "qty": qty, "price_fen": price_fen}
    if exemption_confirmed is not None:
        out["exemption_confirmed"] = exemption_confirmed
    return out


def order_paid(order_id: str = "o1", consumer_id: str = "c1", shop_id: str = "s1", *,
               items: Sequence[dict[str, Any]] | None = None, paid_fen: int | None = None,
               paid_at: dt.datetime = T0, creator_id: str | None = None, risk: dict[str, Any] | None = None,
               shop_coupon_fen: int | None = None, platform_coupon_fen: int | None = None,
               channel: str | None = None, id: str | None = None, at: dt.datetime | None = None) -> dict[str, Any]:
    items = list(items) if items is not None else [item()]
    if paid_fen is None:
        paid_fen = sum(i["qty"] * i["price_fen"] for i in items)
    data: dict[str, Any] = {"order_id": order_id, "consumer_id": consumer_id, "shop_id": shop_id, "items": items,
                            "paid_fen": paid_fen, "paid_at": iso(paid_at)}
    if creator_id is not None:
        data["creator_id"] = creator_id
    if risk is not None:
        data["risk"] = risk
    for name, value in (("shop_coupon_fen", shop_coupon_fen), ("platform_coupon_fen", platform_coupon_fen),
                        ("channel", channel)):
        if value is not None:
            data[name] = value
    return event("order.paid", data, id=id, at=at or paid_at)


def shipped(order_id: str = "o1", *, carrier: str = "sf", tracking_no: str | None = None,
            shipped_at: dt.datetime = T0 + 2 * H, weight_g: int | None = None, id: str | None = None,
            at: dt.datetime | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"order_id": order_id, "carrier": carrier, "tracking_no": tracking_no or f"SF{order_id}",
                            "shipped_at": iso(shipped_at)}
    if weight_g is not None:
        data["weight_g"] = weight_g
    return event("order.shipped", data, id=id, at=at or shipped_at)


def scanned(tracking_no: str, *, carrier: str = "sf", status: str = "in_transit", location: str = "Hangzhou",
            scanned_at: dt.datetime = T0 + 5 * H, id: str | None = None,
            at: dt.datetime | None = None) -> dict[str, Any]:
    return event("shipment.scanned", {"carrier": carrier, "tracking_no": tracking_no, "status": status,
                                      "location": location, "scanned_at": iso(scanned_at)},
                 id=id, at=at or scanned_at)


def delivered(order_id: str = "o1", *, signed_at: dt.datetime = T0 + D, id: str | None = None,
              at: dt.datetime | None = None) -> dict[str, Any]:
    return event("order.delivered", {"order_id": order_id, "signed_at": iso(signed_at)}, id=id, at=at or signed_at)


def cancelled(order_id: str = "o1", *, reason: str = "changed mind", id: str | None = None,
              at: dt.datetime = T0 + H) -> dict[str, Any]:
    return event("order.cancelled", {"order_id": order_id, "reason": reason}, id=id, at=at)


def review(order_id: str = "o1", *, rating: int = 5, text: str = "good", posted_at: dt.datetime = T0 + 2 * D,
           id: str | None = None, at: dt.datetime | None = None) -> dict[str, Any]:
    return event("review.posted", {"order_id": order_id, "rating": rating, "text": text,
                                   "posted_at": iso(posted_at)}, id=id, at=at or posted_at)


def complaint(complaint_id: str = "cp1", order_id: str = "o1", *, reason: str = "quality", text: str | None = None,
              filed_at: dt.datetime = T0 + 3 * D, id: str | None = None,
              at: dt.datetime | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"complaint_id": complaint_id, "order_id": order_id, "reason": reason,
                            "filed_at": iso(filed_at)}
    if text is not None:
        data["text"] = text
    return event("complaint.filed", data, id=id, at=at or filed_at)


def chat_session(session_id: str = "cs1", shop_id: str = "s1", consumer_id: str = "c1", *,
                 order_id: str | None = None, opened_at: dt.datetime = T0 + D,
                 to_human_at: dt.datetime | None = None, first_human_reply_at: dt.datetime | None = None,
                 closed_at: dt.datetime | None = None, id: str | None = None,
                 at: dt.datetime | None = None) -> dict[str, Any]:
    """Optional times are left out when None; ``at`` defaults to the last time the report knows."""
    data: dict[str, Any] = {"session_id": session_id, "shop_id": shop_id, "consumer_id": consumer_id,
                            "opened_at": iso(opened_at)}
    times = {"to_human_at": to_human_at, "first_human_reply_at": first_human_reply_at, "closed_at": closed_at}
    data.update({k: iso(v) for k, v in times.items() if v is not None})
    if order_id is not None:
        data["order_id"] = order_id
    last = max([opened_at, *[v for v in times.values() if v is not None]])
    return event("chat.session", data, id=id, at=at or last)


def consumer_registered(consumer_id: str = "c1", *, registered_at: dt.datetime = T0 - 30 * D,
                        risk: dict[str, Any] | None = None, id: str | None = None,
                        at: dt.datetime | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"consumer_id": consumer_id, "registered_at": iso(registered_at)}
    if risk is not None:
        data["risk"] = risk
    return event("consumer.registered", data, id=id, at=at or registered_at)


def content_feedback(feedback_id: str = "fb1", creator_id: str = "cr1", *, content_id: str = "v1",
                     sentiment: str = "positive", at: dt.datetime = T0, id: str | None = None) -> dict[str, Any]:
    return event("content.feedback", {"feedback_id": feedback_id, "creator_id": creator_id, "content_id": content_id,
                                      "sentiment": sentiment, "at": iso(at)}, id=id, at=at)


# --- seeding -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SeededOrder:
    order_id: str
    consumer_id: str
    shop_id: str
    merchant_id: str
    listing_id: str
    category_id: str
    paid_fen: int
    paid_at: dt.datetime
    tracking_no: str | None
    signed_at: dt.datetime | None


def ingest_ok(anxin: Any, events: list[dict[str, Any]]) -> Any:
    """Ingest and insist that nothing was rejected."""
    result = anxin.ingestion.ingest(events)
    assert not result.rejected, result.as_dict()
    return result


def seed_order(anxin: Any, *, order_id: str = "o1", consumer_id: str = "c1", shop_id: str = "s1",
               merchant_id: str = "m1", services: Iterable[str] = (), tags: Iterable[str] = (),
               price_fen: int = 9900, qty: int = 1, paid_fen: int | None = None, paid_at: dt.datetime = T0,
               shipped_at: dt.datetime | None = None, signed_at: dt.datetime | None = None,
               cancel: bool = False, exemption_confirmed: bool | None = None,
               category_id: str | None = None, listing_id: str | None = None) -> SeededOrder:
    """Ingest everything an order needs; ``signed_at`` implies a shipment one hour before it."""
    category_id = category_id or f"cat_{order_id}"
    listing_id = listing_id or f"l_{order_id}"
    paid = qty * price_fen if paid_fen is None else paid_fen
    events = [category(category_id, tags=tags), shop(shop_id, merchant_id, services=services),
              listing(listing_id, shop_id, category_id, price_fen=price_fen),
              order_paid(order_id, consumer_id, shop_id, items=[item(listing_id, qty, price_fen,
                                                                       exemption_confirmed=exemption_confirmed)],
                         paid_fen=paid, paid_at=paid_at)]
    tracking = None
    if signed_at is not None and shipped_at is None:
        shipped_at = max(paid_at, signed_at - H)
    if shipped_at is not None:
        tracking = f"SF{order_id}"
        events.append(shipped(order_id, tracking_no=tracking, shipped_at=shipped_at))
    if signed_at is not None:
        events.append(delivered(order_id, signed_at=signed_at))
    if cancel:
        events.append(cancelled(order_id, at=paid_at + H))
    result = ingest_ok(anxin, events)
    assert result.applied == len(events), result.as_dict()
    return SeededOrder(order_id, consumer_id, shop_id, merchant_id, listing_id, category_id, paid, paid_at,
                       tracking, signed_at)


# --- evidence and snapshots ----------------------------------------------------------------------

def png_bytes(seed: int = 0, size: tuple[int, int] = (8, 8)) -> bytes:
    """A small, valid PNG; different seeds give different bytes (and so different sha256)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 13 + 7) % 256)).save(buf, "PNG")
    return buf.getvalue()


def snapshot(engine: sa.Engine) -> dict[str, list[str]]:
    """Every row of every table, as comparable text: 'nothing changed' means an equal snapshot."""
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            out[table.name] = sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
    return out


def row_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: int(conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
                for t in metadata.sorted_tables}
