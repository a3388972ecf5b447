"""Pure validation of platform events into typed commands.

Each event type has a parser that checks every field and raises ``EventInvalid`` with a stable code
and the field's path, so a sender can fix exactly what was wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from anxin.audience.model import SENTIMENTS, Consumer, ContentFeedback
from anxin.care.model import COMPLAINT_REASONS, ChatSession, Complaint
from anxin.catalog.model import Category, Listing, ListingTiers, valid_tag
from anxin.core.clock import parse_instant
from anxin.core.money import MAX_FEN, is_fen
from anxin.orders.fulfilment_rules import FulfilmentRulebook
from anxin.orders.model import Order, OrderItem, Scan, normalise_carrier
from anxin.orders.promise import ListingPromise, Promise, PromiseInput, PromiseItem, Tiers, promise_for
from anxin.risk.model import CONSUMER_KINDS, MERCHANT_KINDS, AttributeError_, clean_attributes
from anxin.shops.model import STORE_TYPES, Shop

MAX_ID = 64  # shop, listing, order, consumer ids: the width of their columns
MAX_EVENT_ID = 128
MAX_TEXT = 2000
MAX_HOURS = 24 * 90
# Hierarchical region codes, country-province-city[-district]: CN-ZJ-HZ. "CN-ZJ" covers "CN-ZJ-HZ".
_REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,8}){1,3}$")
STOCK_TIERS = ("spot", "presale")


SALE_CHANNELS = ("live", "short_video", "product_card", "other")


class EventInvalid(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code  # an IngestErrorCode value
        self.field = field


@dataclass(frozen=True)
class Envelope:
    event_id: str
    type: str
    occurred_at: dt.datetime
    data: Mapping[str, Any]
    payload_hash: str


@dataclass(frozen=True)
class TimeBounds:
    """The business times anxin accepts: a sender's year 1 or 9999 is a bug, and once stored it would crash every
    later computation on it (deadlines, windows, pages) with OverflowError. ``latest`` is now + a horizon, so
    presale dates and scheduled times still fit."""

    earliest: dt.datetime
    latest: dt.datetime

    @classmethod
    def around(cls, now: dt.datetime, *, earliest: dt.datetime, horizon: dt.timedelta) -> TimeBounds:
        try:
            return cls(earliest, now + horizon)
        except OverflowError:  # a clock set near year 9999 (tick --at): nothing later than the last instant
            return cls(earliest, dt.datetime.max.replace(tzinfo=dt.UTC))

    def contains(self, at: dt.datetime) -> bool:
        return self.earliest <= at <= self.latest


def _times(value: Any, path: str) -> Iterator[tuple[str, dt.datetime]]:
    """Every datetime a parsed command holds, with its path (attribute names are the event's field names)."""
    if isinstance(value, dt.datetime):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _times(getattr(value, f.name), f"{path}.{f.name}" if path else f.name)
    elif isinstance(value, tuple | list):
        for i, v in enumerate(value):
            yield from _times(v, f"{path}[{i}]")


def check_times(env: Envelope, cmd: Any, bounds: TimeBounds) -> None:
    """Refuse the event if its occurred_at or any time in its data is outside ``bounds``. Walks the parsed command,
    so a timestamp field added to an event type later is checked without a list to keep in step."""
    for path, at in [("occurred_at", env.occurred_at), *_times(cmd, "data")]:
        if not bounds.contains(at):
            raise EventInvalid("event.time_out_of_range",
                               f"{path} {at.isoformat()} is outside the accepted range "
                               f"[{bounds.earliest.isoformat()}, {bounds.latest.isoformat()}]", path)


def parse_event(raw: object, bounds: TimeBounds) -> tuple[Envelope, Any]:
    """The envelope, its typed command, and every time in range: what both ingestion paths accept."""
    env = parse_envelope(raw)
    cmd = PARSERS[env.type](env)
    check_times(env, cmd, bounds)
    return env, cmd


def payload_hash(raw: Mapping[str, Any]) -> str:
    canonical = json.dumps({"type": raw.get("type"), "occurred_at": raw.get("occurred_at"),
                            "data": raw.get("data")}, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_envelope(raw: object) -> Envelope:
    if not isinstance(raw, Mapping):
        raise EventInvalid("event.malformed", "an event must be a JSON object")
    event_id = _str(raw, "id", path="", max_len=MAX_EVENT_ID)
    etype = _str(raw, "type", path="")
    if etype not in PARSERS:
        raise EventInvalid("event.unknown_type", f"unknown event type {etype!r}; known: {', '.join(sorted(PARSERS))}",
                           "type")
    occurred_at = _instant(raw, "occurred_at", path="")
    data = raw.get("data")
    if not isinstance(data, Mapping):
        raise EventInvalid("event.malformed", "'data' must be a JSON object", "data")
    try:
        digest = payload_hash(raw)
    except (ValueError, TypeError):  # NaN, Infinity or non-JSON values cannot be stored as JSON
        raise EventInvalid("event.malformed", "the event holds values that are not JSON (NaN, Infinity)") from None
    return Envelope(event_id, etype, occurred_at, data, digest)


# --- field readers -------------------------------------------------------------------------------

def _field(data: Mapping[str, Any], name: str, path: str) -> Any:
    if name not in data or data[name] is None:
        raise EventInvalid("event.invalid_field", f"missing required field {path + name!r}", path + name)
    return data[name]


def _str(data: Mapping[str, Any], name: str, *, path: str = "data.", max_len: int = MAX_ID) -> str:
    value = _field(data, name, path)
    if not isinstance(value, str) or not value.strip():
        raise EventInvalid("event.invalid_field", f"{path + name} must be a non-empty string", path + name)
    if len(value) > max_len:
        raise EventInvalid("event.invalid_field", f"{path + name} is longer than {max_len} characters", path + name)
    if "\x00" in value:  # no id or text holds NUL, and PostgreSQL cannot store it
        raise EventInvalid("event.invalid_field", f"{path + name} contains a NUL character", path + name)
    return value


def _opt_str(data: Mapping[str, Any], name: str, *, path: str = "data.", max_len: int = MAX_TEXT) -> str | None:
    if data.get(name) is None:
        return None
    return _str(data, name, path=path, max_len=max_len)


def _fen(data: Mapping[str, Any], name: str, *, path: str = "data.", positive: bool = False) -> int:
    value = _field(data, name, path)
    if not is_fen(value):
        raise EventInvalid("event.invalid_money", f"{path + name} must be an integer amount in fen, got {value!r}",
                           path + name)
    if value > MAX_FEN:
        raise EventInvalid("event.invalid_money", f"{path + name} exceeds the maximum of {MAX_FEN} fen", path + name)
    if value < 0 or (positive and value == 0):
        raise EventInvalid("event.invalid_money", f"{path + name} must be {'positive' if positive else '>= 0'}",
                           path + name)
    return int(value)


def _int(data: Mapping[str, Any], name: str, lo: int, hi: int, *, path: str = "data.") -> int:
    value = _field(data, name, path)
    if not is_fen(value) or not lo <= value <= hi:
        raise EventInvalid("event.invalid_field", f"{path + name} must be an integer in [{lo}, {hi}]", path + name)
    return int(value)


def _instant(data: Mapping[str, Any], name: str, *, path: str = "data.") -> dt.datetime:
    value = _field(data, name, path)
    if not isinstance(value, str):
        raise EventInvalid("event.invalid_timestamp", f"{path + name} must be an ISO 8601 string", path + name)
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise EventInvalid("event.invalid_timestamp", f"{path + name}: {exc}", path + name) from None


def _str_list(data: Mapping[str, Any], name: str, *, path: str = "data.") -> list[str]:
    value = data.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EventInvalid("event.invalid_field", f"{path + name} must be a list of strings", path + name)
    return value


def _opt_instant(data: Mapping[str, Any], name: str, *, path: str = "data.") -> dt.datetime | None:
    return None if data.get(name) is None else _instant(data, name, path=path)


def _opt_hours(data: Mapping[str, Any], name: str, *, path: str = "data.") -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if not is_fen(value) or not 1 <= value <= MAX_HOURS:
        raise EventInvalid("event.invalid_field", f"{path + name} must be an integer in [1, {MAX_HOURS}]",
                           path + name)
    return int(value)


def _opt_bool(data: Mapping[str, Any], name: str, *, path: str = "data.") -> bool:
    value = data.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise EventInvalid("event.invalid_field", f"{path + name} must be a boolean", path + name)
    return value


def _choice(data: Mapping[str, Any], name: str, options: tuple[str, ...], *, path: str = "data.") -> str:
    value = _str(data, name, path=path, max_len=32)
    if value not in options:
        raise EventInvalid("event.invalid_field", f"{path + name} must be one of {list(options)}, got {value!r}",
                           path + name)
    return value


def _opt_region(data: Mapping[str, Any], name: str, *, path: str = "data.") -> str | None:
    value = _opt_str(data, name, path=path, max_len=32)
    if value is None:
        return None
    code = value.strip().upper()
    if not _REGION.match(code):
        raise EventInvalid("event.invalid_field", f"{path + name} must be a region code like CN-ZJ-HZ, got {value!r}",
                           path + name)
    return code


def _attributes(data: Mapping[str, Any], name: str, kinds: tuple[str, ...], *, path: str = "data.") -> dict[str, str]:
    """Opaque account attributes for risk (device, phone … or a shop's credentials). Missing, null or blank
    values are simply absent; an unknown kind, a non-string or an over-long value rejects the event."""
    raw = data.get(name)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise EventInvalid("event.invalid_field", f"{path + name} must be an object of attributes", path + name)
    try:
        return clean_attributes(raw, kinds)
    except AttributeError_ as exc:
        raise EventInvalid("event.invalid_field", f"{path + name}.{exc.kind}: {exc}",
                           f"{path + name}.{exc.kind}") from None


# --- per-type parsers ----------------------------------------------------------------------------

def parse_category(env: Envelope) -> Category:
    d = env.data
    tags = _str_list(d, "tags")
    bad = [t for t in tags if not valid_tag(t)]
    if bad:
        raise EventInvalid("event.invalid_field", f"tags must be lowercase identifiers, got {bad}", "data.tags")
    parent = _opt_str(d, "parent_id", max_len=MAX_ID)
    cid = _str(d, "category_id")
    if parent == cid:
        raise EventInvalid("event.invalid_field", "a category cannot be its own parent", "data.parent_id")
    return Category(cid, _str(d, "name", max_len=200), parent, frozenset(tags))


def parse_shop(env: Envelope) -> Shop:
    d = env.data
    store_type = _str(d, "store_type")
    if store_type not in STORE_TYPES:
        raise EventInvalid("event.invalid_field", f"store_type must be one of {sorted(STORE_TYPES)}",
                           "data.store_type")
    services = _str_list(d, "services")
    _attributes(d, "credentials", MERCHANT_KINDS)  # validated here; attributes_of() reads them when applied
    return Shop(_str(d, "shop_id"), _str(d, "merchant_id"), _str(d, "name", max_len=200), store_type,
                frozenset(services), _opt_instant(d, "opened_at"))


def parse_listing(env: Envelope) -> Listing:
    d = env.data
    presale = _opt_instant(d, "presale_ship_by")
    tiers = None
    raw_tiers = d.get("tiers")
    if raw_tiers is not None:
        if not isinstance(raw_tiers, Mapping):
            raise EventInvalid("event.invalid_field", "data.tiers must be an object", "data.tiers")
        p = "data.tiers."
        tiers = ListingTiers(_opt_hours(raw_tiers, "spot_hours", path=p), _opt_instant(raw_tiers, "presale_ship_by",
                                                                                        path=p),
                             _opt_hours(raw_tiers, "presale_hours", path=p))
        if (tiers.presale_ship_by is None) == (tiers.presale_hours is None):
            raise EventInvalid("event.invalid_field", "data.tiers needs exactly one of presale_ship_by or "
                               "presale_hours", "data.tiers")
        if presale is not None:
            raise EventInvalid("event.invalid_field", "a tiered listing gives its presale date inside data.tiers",
                               "data.presale_ship_by")
    return Listing(_str(d, "listing_id"), _str(d, "shop_id"), _str(d, "category_id"),
                   _str(d, "title", max_len=300), _fen(d, "price_fen"), _opt_hours(d, "ship_within_hours"),
                   _opt_hours(d, "page_ship_within_hours"), presale, tiers)


def parse_order_paid(env: Envelope) -> Order:
    d = env.data
    raw_items = _field(d, "items", "data.")
    if not isinstance(raw_items, list) or not raw_items:
        raise EventInvalid("event.invalid_field", "data.items must be a non-empty list", "data.items")
    items = []
    for i, raw in enumerate(raw_items):
        path = f"data.items[{i}]."
        if not isinstance(raw, Mapping):
            raise EventInvalid("event.invalid_field", f"{path[:-1]} must be an object", path[:-1])
        confirmed = raw.get("exemption_confirmed", False)
        if not isinstance(confirmed, bool):
            raise EventInvalid("event.invalid_field", f"{path}exemption_confirmed must be a boolean",
                               path + "exemption_confirmed")
        tier = _opt_str(raw, "stock_tier", path=path, max_len=16)
        if tier is not None and tier not in STOCK_TIERS:
            raise EventInvalid("event.invalid_field", f"{path}stock_tier must be one of {list(STOCK_TIERS)}",
                               path + "stock_tier")
        items.append(OrderItem(_str(raw, "listing_id", path=path), _int(raw, "qty", 1, 100_000, path=path),
                               _fen(raw, "price_fen", path=path), confirmed, tier))
    paid_fen = _fen(d, "paid_fen")
    _attributes(d, "risk", CONSUMER_KINDS)
    gross = sum(i.qty * i.price_fen for i in items)
    if paid_fen > gross:
        raise EventInvalid("event.invalid_money", f"paid_fen {paid_fen} exceeds the items' total {gross}",
                           "data.paid_fen")
    coupons = _coupons(d, gross - paid_fen)
    return Order(_str(d, "order_id"), _str(d, "consumer_id"), _str(d, "shop_id"), tuple(items), paid_fen,
                 _instant(d, "paid_at"), ship_from_region=_opt_region(d, "ship_from_region"),
                 ship_to_region=_opt_region(d, "ship_to_region"), consumer_hold=_opt_bool(d, "consumer_hold"),
                 creator_id=_opt_str(d, "creator_id", max_len=MAX_ID), shop_coupon_fen=coupons[0],
                 platform_coupon_fen=coupons[1], channel=coupons[2])


def _coupons(d: Mapping[str, Any], discount: int) -> tuple[int, int, str | None]:
    """Who paid for the discount decides the fee base (shop coupons lower it, platform coupons do not). Without
    a split, the whole discount is the shop's."""
    platform = _fen(d, "platform_coupon_fen") if d.get("platform_coupon_fen") is not None else 0
    shop = _fen(d, "shop_coupon_fen") if d.get("shop_coupon_fen") is not None else discount - min(platform, discount)
    if shop + platform > discount:
        raise EventInvalid("event.invalid_money", f"coupons {shop} + {platform} exceed the discount {discount} "
                           "(items' total minus paid_fen)", "data.shop_coupon_fen")
    channel = _opt_str(d, "channel", max_len=16)
    if channel is not None and channel not in SALE_CHANNELS:
        raise EventInvalid("event.invalid_field", f"data.channel must be one of {list(SALE_CHANNELS)}",
                           "data.channel")
    return shop, platform, channel


def listing_promise(listing: Listing, item: OrderItem) -> ListingPromise:
    """The listing's promise settings as the promise rules read them. The checkout says which stock tier the
    item came from; without a tier on a tiered listing the spot tier is assumed (spot stock sells first)."""
    tiers = None
    if listing.tiers is not None:
        t = listing.tiers
        tiers = Tiers(spot_remaining=0 if item.stock_tier == "presale" else item.qty, spot_hours=t.spot_hours,
                      presale_ship_by=t.presale_ship_by, presale_hours=t.presale_hours)
    return ListingPromise(listing.listing_id, listing.page_ship_within_hours, listing.ship_within_hours,
                          listing.presale_ship_by, tiers)


def promise_of(order: Order, listings: Mapping[str, Listing], rb: FulfilmentRulebook) -> Promise:
    """The order's ship-by, from the listings as they stand when the order is recorded (both ingestion paths)."""
    return promise_for(
        PromiseInput(order.order_id, order.paid_at, tuple(PromiseItem(i.listing_id, i.qty) for i in order.items),
                     consumer_hold=order.consumer_hold, destination_region=order.ship_to_region,
                     origin_region=order.ship_from_region),
        [listing_promise(listings[i.listing_id], i) for i in order.items if i.listing_id in listings], rb)


@dataclass(frozen=True)
class ShipOrder:
    order_id: str
    carrier: str
    tracking_no: str
    shipped_at: dt.datetime
    weight_g: int | None = None  # the parcel as weighed at collection (risk compares a return's weight with it)


@dataclass(frozen=True)
class DeliverOrder:
    order_id: str
    signed_at: dt.datetime


@dataclass(frozen=True)
class CancelOrder:
    order_id: str
    reason: str


@dataclass(frozen=True)
class PostReview:
    order_id: str
    rating: int
    text: str
    posted_at: dt.datetime


@dataclass(frozen=True)
class FileComplaint:
    """A complaint as sent: its shop and consumer are the order's (complaint_of)."""

    complaint_id: str
    order_id: str
    reason: str
    filed_at: dt.datetime
    text: str


def complaint_of(cmd: FileComplaint, order: Order) -> Complaint:
    return Complaint(cmd.complaint_id, cmd.order_id, order.shop_id, order.consumer_id, cmd.reason, cmd.filed_at,
                     cmd.text)


def parse_shipped(env: Envelope) -> ShipOrder:
    d = env.data
    weight = None if d.get("weight_g") is None else _int(d, "weight_g", 1, 1_000_000)
    return ShipOrder(_str(d, "order_id"), normalise_carrier(_str(d, "carrier")),
                     _str(d, "tracking_no", max_len=128).strip(), _instant(d, "shipped_at"), weight)


def parse_scan(env: Envelope) -> Scan:
    d = env.data
    return Scan(normalise_carrier(_str(d, "carrier")), _str(d, "tracking_no", max_len=128).strip(),
                _str(d, "status", max_len=32),
                _opt_str(d, "location", max_len=200) or "", _instant(d, "scanned_at"), _opt_region(d, "region"))


def parse_delivered(env: Envelope) -> DeliverOrder:
    return DeliverOrder(_str(env.data, "order_id"), _instant(env.data, "signed_at"))


def parse_cancelled(env: Envelope) -> CancelOrder:
    return CancelOrder(_str(env.data, "order_id"), _opt_str(env.data, "reason", max_len=200) or "")


def parse_review(env: Envelope) -> PostReview:
    d = env.data
    return PostReview(_str(d, "order_id"), _int(d, "rating", 1, 5), _opt_str(d, "text") or "",
                      _instant(d, "posted_at"))


def parse_complaint(env: Envelope) -> FileComplaint:
    d = env.data
    return FileComplaint(_str(d, "complaint_id"), _str(d, "order_id"), _choice(d, "reason", COMPLAINT_REASONS),
                         _instant(d, "filed_at"), _opt_str(d, "text") or "")


def parse_chat_session(env: Envelope) -> ChatSession:
    d = env.data
    session_id, shop_id, consumer_id = _str(d, "session_id"), _str(d, "shop_id"), _str(d, "consumer_id")
    order_id = _opt_str(d, "order_id", max_len=MAX_ID)
    opened = _instant(d, "opened_at")
    to_human, first_reply = _opt_instant(d, "to_human_at"), _opt_instant(d, "first_human_reply_at")
    closed = _opt_instant(d, "closed_at")
    # Scores read response times as differences of these: a reply without a handoff, or a time running backwards,
    # would count as a negative or impossible wait.
    if first_reply is not None and to_human is None:
        raise EventInvalid("event.invalid_field", "data.first_human_reply_at needs data.to_human_at (only a session "
                           "handed to a human agent has a human reply)", "data.first_human_reply_at")
    for name, value in (("to_human_at", to_human), ("first_human_reply_at", first_reply), ("closed_at", closed)):
        if value is not None and value < opened:
            raise EventInvalid("event.invalid_field", f"data.{name} is before data.opened_at", f"data.{name}")
    if first_reply is not None and to_human is not None and first_reply < to_human:
        raise EventInvalid("event.invalid_field", "data.first_human_reply_at is before data.to_human_at",
                           "data.first_human_reply_at")
    return ChatSession(session_id, shop_id, consumer_id, order_id, opened, to_human, first_reply, closed)


def parse_consumer(env: Envelope) -> Consumer:
    consumer = Consumer(_str(env.data, "consumer_id"), _instant(env.data, "registered_at"))
    _attributes(env.data, "risk", CONSUMER_KINDS)
    return consumer


def parse_content_feedback(env: Envelope) -> ContentFeedback:
    d = env.data
    return ContentFeedback(_str(d, "feedback_id"), _str(d, "creator_id"), _str(d, "content_id"),
                           _choice(d, "sentiment", SENTIMENTS), _instant(d, "at"))


PARSERS: dict[str, Callable[[Envelope], Any]] = {
    "category.upserted": parse_category,
    "shop.upserted": parse_shop,
    "listing.upserted": parse_listing,
    "order.paid": parse_order_paid,
    "order.shipped": parse_shipped,
    "shipment.scanned": parse_scan,
    "order.delivered": parse_delivered,
    "order.cancelled": parse_cancelled,
    "review.posted": parse_review,
    "complaint.filed": parse_complaint,
    "chat.session": parse_chat_session,
    "consumer.registered": parse_consumer,
    "content.feedback": parse_content_feedback,
}


# Where each event type carries account attributes: (field in data, kinds, subject prefix, id attribute of its command).
_ATTRIBUTES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "order.paid": ("risk", CONSUMER_KINDS, "consumer", "consumer_id"),
    "consumer.registered": ("risk", CONSUMER_KINDS, "consumer", "consumer_id"),
    "shop.upserted": ("credentials", MERCHANT_KINDS, "shop", "shop_id"),
}


def attributes_of(env: Envelope, cmd: Any) -> tuple[str, dict[str, str]] | None:
    """The subject (``consumer:c1``, ``shop:s1``) and the attributes an event, already parsed into ``cmd``, carries;
    None when it carries none. The order's are the buyer's at checkout (delivery address, device, ip, payment)."""
    spec = _ATTRIBUTES.get(env.type)
    if spec is None:
        return None
    name, kinds, prefix, id_attr = spec
    attributes = _attributes(env.data, name, kinds)
    return (f"{prefix}:{getattr(cmd, id_attr)}", attributes) if attributes else None


# Keys an applied event makes available; parked events wait on one of these.
def category_key(category_id: str) -> str:
    return f"category:{category_id}"


def shop_key(shop_id: str) -> str:
    return f"shop:{shop_id}"


def listing_key(listing_id: str) -> str:
    return f"listing:{listing_id}"


def order_key(order_id: str) -> str:
    return f"order:{order_id}"


def tracking_key(carrier: str, tracking_no: str) -> str:
    return f"tracking:{carrier}:{tracking_no}"
