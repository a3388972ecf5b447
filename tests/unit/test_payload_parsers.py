"""Each context's payload parsers (catalog, shops, orders, care, audience, risk's attributes: Pydantic models through
``anxin.core.payload``) and the shared field readers of ``anxin.core.fields``, at their edges: they raise
``FieldInvalid`` with the kind of problem and the field's path, and know nothing of ingestion (whose codes
test_ingest_parsers checks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from anxin.audience.payloads import parse_consumer, parse_content_feedback
from anxin.care.payloads import parse_chat_session, parse_complaint
from anxin.catalog.payloads import MAX_DESCRIPTION, parse_category, parse_listing
from anxin.core import payload
from anxin.core.fields import MAX_HOURS, FieldInvalid, Problem
from anxin.core.money import MAX_FEN
from anxin.orders.payloads import parse_order_paid, parse_review, parse_scan, parse_shipped
from anxin.risk.model import CONSUMER_KINDS, attributes_in
from anxin.shops.payloads import parse_shop

T = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
TS = "2026-11-02T10:00:00+08:00"
FIELD, MONEY, TIME = Problem.FIELD, Problem.MONEY, Problem.TIMESTAMP


def _no_check(data: Any, name: str) -> None:
    return None


def paid(d: dict[str, Any]) -> Any:
    return parse_order_paid(d, check_risk=_no_check)


def shop(d: dict[str, Any]) -> Any:
    return parse_shop(d, check_credentials=_no_check)


def consumer(d: dict[str, Any]) -> Any:
    return parse_consumer(d, check_risk=_no_check)


CAT = {"category_id": "c1", "name": "C"}
LISTING = {"listing_id": "l1", "shop_id": "s1", "category_id": "c1", "title": "L", "price_fen": 100}
SHOP = {"shop_id": "s1", "merchant_id": "m1", "name": "S", "store_type": "enterprise"}
ITEM = {"listing_id": "l1", "qty": 2, "price_fen": 500}
PAID = {"order_id": "o1", "consumer_id": "c1", "shop_id": "s1", "items": [ITEM], "paid_fen": 800, "paid_at": TS}
SHIPPED = {"order_id": "o1", "carrier": " SF ", "tracking_no": " SF1 ", "shipped_at": TS}
SCAN = {"carrier": "SF", "tracking_no": "SF1", "status": "in_transit", "scanned_at": TS}
REVIEW = {"order_id": "o1", "rating": 5, "posted_at": TS}
COMPLAINT = {"complaint_id": "cp1", "order_id": "o1", "reason": "quality", "filed_at": TS}
CHAT = {"session_id": "cs1", "shop_id": "s1", "consumer_id": "c1", "opened_at": TS}
CONSUMER = {"consumer_id": "c1", "registered_at": TS}
FEEDBACK = {"feedback_id": "f1", "creator_id": "cr1", "content_id": "v1", "sentiment": "positive", "at": TS}

# (parser, data, what the result must satisfy)
VALID: list[tuple[Callable[[dict[str, Any]], Any], dict[str, Any], Callable[[Any], bool]]] = [
    (parse_category, {**CAT, "tags": ["fresh", "x_1"], "parent_id": "c0"},
     lambda c: (c.parent_id, c.tags) == ("c0", frozenset({"fresh", "x_1"}))),
    (parse_category, {**CAT, "tags": None}, lambda c: c.tags == frozenset()),
    (parse_category, {**CAT, "category_id": "c" * 64}, lambda c: len(c.category_id) == 64),  # the column's width
    (parse_listing, {**LISTING, "price_fen": 0}, lambda li: li.price_fen == 0),
    (parse_listing, {**LISTING, "price_fen": MAX_FEN}, lambda li: li.price_fen == MAX_FEN),
    (parse_listing, {**LISTING, "ship_within_hours": 1, "page_ship_within_hours": MAX_HOURS},
     lambda li: (li.ship_within_hours, li.page_ship_within_hours) == (1, MAX_HOURS)),
    (parse_listing, {**LISTING, "tiers": {"spot_hours": 24, "presale_hours": 72}},
     lambda li: (li.tiers.spot_hours, li.tiers.presale_hours, li.tiers.presale_ship_by) == (24, 72, None)),
    (parse_listing, {**LISTING, "tiers": {"presale_ship_by": TS}}, lambda li: li.tiers.presale_ship_by == T),
    (parse_listing, LISTING, lambda li: li.description is None),  # optional
    (parse_listing, {**LISTING, "description": None}, lambda li: li.description is None),
    (parse_listing, {**LISTING, "description": ""}, lambda li: li.description == ""),  # a listing with no text
    (parse_listing, {**LISTING, "description": "产地直发，坏果包赔。\n最近上新"},
     lambda li: li.description == "产地直发，坏果包赔。\n最近上新"),
    (parse_listing, {**LISTING, "description": "最" * MAX_DESCRIPTION}, lambda li: len(li.description) == 5000),
    (shop, {**SHOP, "services": ["pickup"], "opened_at": TS},
     lambda s: (s.services, s.opened_at) == (frozenset({"pickup"}), T)),
    (paid, PAID, lambda o: (o.paid_fen, o.shop_coupon_fen, o.platform_coupon_fen) == (800, 200, 0)),
    (paid, {**PAID, "platform_coupon_fen": 200}, lambda o: (o.shop_coupon_fen, o.platform_coupon_fen) == (0, 200)),
    (paid, {**PAID, "platform_coupon_fen": 150, "shop_coupon_fen": 50},  # the split may use the whole discount
     lambda o: (o.shop_coupon_fen, o.platform_coupon_fen) == (50, 150)),
    (paid, {**PAID, "paid_fen": 1000}, lambda o: o.shop_coupon_fen == 0),  # no discount
    (paid, {**PAID, "ship_to_region": " cn-zj-hz ", "channel": "live", "consumer_hold": None},
     lambda o: (o.ship_to_region, o.channel, o.consumer_hold) == ("CN-ZJ-HZ", "live", False)),
    (paid, {**PAID, "items": [{**ITEM, "stock_tier": "presale", "exemption_confirmed": True}]},
     lambda o: (o.items[0].stock_tier, o.items[0].exemption_confirmed) == ("presale", True)),
    (paid, {**PAID, "items": [{**ITEM, "qty": 100_000, "price_fen": 1}], "paid_fen": 100_000},
     lambda o: o.items[0].qty == 100_000),
    (parse_shipped, SHIPPED, lambda s: (s.carrier, s.tracking_no, s.weight_g) == ("sf", "SF1", None)),
    (parse_scan, {**SCAN, "region": "CN-ZJ"}, lambda s: (s.carrier, s.location, s.region) == ("sf", "", "CN-ZJ")),
    (parse_review, {**REVIEW, "rating": 1, "text": None}, lambda r: (r.rating, r.text) == (1, "")),
    (parse_complaint, {**COMPLAINT, "text": "t" * 2000}, lambda c: len(c.text) == 2000),
    (parse_chat_session, {**CHAT, "to_human_at": TS, "first_human_reply_at": TS}, lambda c: c.to_human_at == T),
    (consumer, CONSUMER, lambda c: c.registered_at == T),
    (parse_content_feedback, FEEDBACK, lambda f: f.sentiment == "positive"),
]


@pytest.mark.parametrize(("parse", "data", "check"), VALID, ids=[f"{p.__name__}-{i}" for i, (p, _, _) in
                                                                 enumerate(VALID)])
def test_valid_payloads(parse: Callable[[dict[str, Any]], Any], data: dict[str, Any], check: Any) -> None:
    assert check(parse(data))


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


INVALID: list[tuple[Callable[[dict[str, Any]], Any], dict[str, Any], Problem, str]] = [
    (parse_category, {**CAT, "category_id": "c" * 65}, FIELD, "data.category_id"),
    (parse_category, {**CAT, "category_id": "  "}, FIELD, "data.category_id"),
    (parse_category, {**CAT, "category_id": 7}, FIELD, "data.category_id"),
    (parse_category, {**CAT, "parent_id": "c1"}, FIELD, "data.parent_id"),
    (parse_category, {**CAT, "tags": ["fresh", "Fresh"]}, FIELD, "data.tags[1]"),
    (parse_category, {**CAT, "tags": "fresh"}, FIELD, "data.tags"),
    (parse_category, {**CAT, "name": "n" * 201}, FIELD, "data.name"),
    (parse_listing, {**LISTING, "price_fen": -1}, MONEY, "data.price_fen"),
    (parse_listing, {**LISTING, "price_fen": MAX_FEN + 1}, MONEY, "data.price_fen"),
    (parse_listing, {**LISTING, "price_fen": 1.0}, MONEY, "data.price_fen"),
    (parse_listing, {**LISTING, "price_fen": True}, MONEY, "data.price_fen"),
    (parse_listing, {**LISTING, "ship_within_hours": 0}, FIELD, "data.ship_within_hours"),
    (parse_listing, {**LISTING, "ship_within_hours": MAX_HOURS + 1}, FIELD, "data.ship_within_hours"),
    (parse_listing, {**LISTING, "tiers": []}, FIELD, "data.tiers"),
    (parse_listing, {**LISTING, "tiers": {"spot_hours": 24}}, FIELD, "data.tiers"),  # neither presale
    (parse_listing, {**LISTING, "tiers": {"presale_hours": 1, "presale_ship_by": TS}}, FIELD, "data.tiers"),  # both
    (parse_listing, {**LISTING, "tiers": {"presale_hours": 0}}, FIELD, "data.tiers.presale_hours"),
    (parse_listing, {**LISTING, "tiers": {"presale_hours": 1}, "presale_ship_by": TS}, FIELD, "data.presale_ship_by"),
    (parse_listing, {**LISTING, "presale_ship_by": "2026-11-02T10:00:00"}, TIME, "data.presale_ship_by"),
    (parse_listing, {**LISTING, "description": "x" * (MAX_DESCRIPTION + 1)}, FIELD, "data.description"),
    (parse_listing, {**LISTING, "description": 42}, FIELD, "data.description"),
    (parse_listing, {**LISTING, "description": ["最好"]}, FIELD, "data.description"),
    (parse_listing, {**LISTING, "description": "ok\x00"}, FIELD, "data.description"),
    (shop, {**SHOP, "store_type": "flagship"}, FIELD, "data.store_type"),
    (shop, {**SHOP, "services": [1]}, FIELD, "data.services[0]"),
    (shop, {**SHOP, "opened_at": "yesterday"}, TIME, "data.opened_at"),
    (paid, {**PAID, "items": []}, FIELD, "data.items"),
    (paid, {**PAID, "items": {"listing_id": "l1"}}, FIELD, "data.items"),
    (paid, {**PAID, "items": ["l1"]}, FIELD, "data.items[0]"),
    (paid, {**PAID, "items": [ITEM, {**ITEM, "qty": 0}]}, FIELD, "data.items[1].qty"),
    (paid, {**PAID, "items": [{**ITEM, "qty": 100_001}]}, FIELD, "data.items[0].qty"),
    (paid, {**PAID, "items": [{**ITEM, "stock_tier": "backorder"}]}, FIELD, "data.items[0].stock_tier"),
    (paid, {**PAID, "items": [{**ITEM, "exemption_confirmed": "yes"}]}, FIELD, "data.items[0].exemption_confirmed"),
    (paid, {**PAID, "items": [{**ITEM, "price_fen": -5}]}, MONEY, "data.items[0].price_fen"),
    (paid, {**PAID, "paid_fen": 1001}, MONEY, "data.paid_fen"),  # more than the items' total
    (paid, {**PAID, "shop_coupon_fen": 150, "platform_coupon_fen": 51}, MONEY, "data.shop_coupon_fen"),
    (paid, {**PAID, "platform_coupon_fen": 201, "shop_coupon_fen": 0}, MONEY, "data.shop_coupon_fen"),
    (paid, {**PAID, "channel": "tv"}, FIELD, "data.channel"),
    (paid, {**PAID, "ship_from_region": "Hangzhou"}, FIELD, "data.ship_from_region"),
    (paid, {**PAID, "consumer_hold": 1}, FIELD, "data.consumer_hold"),
    (paid, _without(PAID, "paid_at"), FIELD, "data.paid_at"),
    (parse_shipped, {**SHIPPED, "tracking_no": "T" * 129}, FIELD, "data.tracking_no"),
    (parse_shipped, {**SHIPPED, "shipped_at": 1767225600}, TIME, "data.shipped_at"),
    (parse_scan, {**SCAN, "status": "s" * 33}, FIELD, "data.status"),
    (parse_scan, {**SCAN, "region": "CN-"}, FIELD, "data.region"),
    (parse_review, {**REVIEW, "rating": 6}, FIELD, "data.rating"),
    (parse_review, {**REVIEW, "rating": 4.5}, FIELD, "data.rating"),
    (parse_complaint, {**COMPLAINT, "reason": "rude"}, FIELD, "data.reason"),
    (parse_complaint, {**COMPLAINT, "text": "t" * 2001}, FIELD, "data.text"),
    (parse_chat_session, {**CHAT, "first_human_reply_at": TS}, FIELD, "data.first_human_reply_at"),
    (parse_chat_session, {**CHAT, "closed_at": "2026-11-02T09:59:59+08:00"}, FIELD, "data.closed_at"),
    (consumer, {**CONSUMER, "consumer_id": "c\x00"}, FIELD, "data.consumer_id"),
    (parse_content_feedback, {**FEEDBACK, "sentiment": "s" * 33}, FIELD, "data.sentiment"),
]


@pytest.mark.parametrize(("parse", "data", "problem", "field"), INVALID,
                         ids=[f"{p.__name__}-{f}-{i}" for i, (p, _, _, f) in enumerate(INVALID)])
def test_invalid_payloads_name_the_problem_and_the_field(parse: Callable[[dict[str, Any]], Any],
                                                         data: dict[str, Any], problem: Problem, field: str) -> None:
    with pytest.raises(FieldInvalid) as exc:
        parse(data)
    assert (exc.value.problem, exc.value.field) == (problem, field)


def test_every_problem_is_reported_with_its_path() -> None:
    """The first problem gives the kind and the field; the message names them all, so a sender fixes them at once."""
    items = [ITEM, ITEM, {**ITEM, "price_fen": "5.00"}]
    with pytest.raises(FieldInvalid) as exc:
        paid({**PAID, "items": items, "paid_at": "2026-11-02 10:00", "channel": "tv"})
    assert (exc.value.problem, exc.value.field) == (MONEY, "data.items[2].price_fen")
    message = str(exc.value)
    assert message.startswith("data.items[2].price_fen: must be an integer amount in fen, got '5.00'")
    assert "; data.paid_at: " in message and "; data.channel: " in message


def test_unknown_fields_are_ignored() -> None:
    assert paid({**PAID, "note": "gift", "items": [{**ITEM, "sku": "x"}]}).paid_fen == 800


def test_attributes_are_checked_where_the_payload_carries_them() -> None:
    """The attribute check is risk's, injected; it runs in the parser's order (before the order's own ids)."""
    seen: list[str] = []

    def check(data: Any, name: str) -> None:
        seen.append(name)
        raise FieldInvalid(Problem.FIELD, "no", f"data.{name}")

    for parse, data in ((lambda d: parse_order_paid(d, check_risk=check), _without(PAID, "order_id")),
                        (lambda d: parse_shop(d, check_credentials=check), _without(SHOP, "shop_id")),
                        (lambda d: parse_consumer(d, check_risk=check), CONSUMER)):
        with pytest.raises(FieldInvalid):
            parse(data)
    assert seen == ["risk", "credentials", "risk"]


@pytest.mark.parametrize(("raw", "expected", "field"), [
    (None, {}, None), ({"device": " d1 ", "ip": None, "phone": ""}, {"device": "d1"}, None),
    ({"device": "d" * 128}, {"device": "d" * 128}, None), ({"device": "d" * 129}, None, "data.risk.device"),
    ({"imei": "x"}, None, "data.risk.imei"), ({"phone": 1}, None, "data.risk.phone"), ("d1", None, "data.risk"),
])
def test_risk_attributes_in_a_payload(raw: Any, expected: dict[str, str] | None, field: str | None) -> None:
    if field is None:
        assert attributes_in({"risk": raw}, "risk", CONSUMER_KINDS) == expected
    else:
        with pytest.raises(FieldInvalid) as exc:
            attributes_in({"risk": raw}, "risk", CONSUMER_KINDS)
        assert (exc.value.problem, exc.value.field) == (FIELD, field)


class _Edges(payload.Payload):
    """One field of each shared type, each optional, so a case sets just the one it tests."""

    id: payload.Id | None = None
    label: payload.Label | None = None
    fen: payload.Fen | None = None
    at: payload.Instant | None = None
    region: payload.Region | None = None
    flag: payload.Flag = False
    hours: payload.Hours | None = None


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("id", "a" * 64, None), ("id", "a" * 65, FIELD), ("id", "a\x00", FIELD), ("id", " ", FIELD), ("id", 7, FIELD),
    ("label", "s" * 32, None), ("label", "s" * 33, FIELD),
    ("fen", 0, None), ("fen", MAX_FEN, None), ("fen", MAX_FEN + 1, MONEY), ("fen", -1, MONEY), ("fen", 1.0, MONEY),
    ("fen", True, MONEY), ("fen", "100", MONEY),
    ("at", "2026-11-02T02:00:00Z", None), ("at", "2026-11-02T02:00:00", TIME), ("at", 1767225600, TIME),
    ("at", "9999-12-31T23:59:59-01:00", TIME),  # past the last instant once UTC
    ("region", "CN-ZJ-HZ-XH", None), ("region", "CN-ZJ-HZ-XH-1", FIELD), ("region", "CN", FIELD),
    ("flag", None, None), ("flag", 1, FIELD), ("flag", "true", FIELD),
    ("hours", MAX_HOURS, None), ("hours", 0, FIELD), ("hours", 1.0, FIELD),
])
def test_payload_field_types_at_their_edges(name: str, value: Any, problem: Problem | None) -> None:
    if problem is None:
        payload.parse(_Edges, {name: value})
    else:
        with pytest.raises(FieldInvalid) as exc:
            payload.parse(_Edges, {name: value})
        assert (exc.value.problem, exc.value.field) == (problem, f"data.{name}")
        assert str(exc.value).startswith(f"data.{name}: ")


def test_times_are_kept_in_utc_and_regions_normalised() -> None:
    parsed = payload.parse(_Edges, {"at": TS, "region": " cn-zj-hz "})
    assert (parsed.at, parsed.at.tzinfo, parsed.region) == (T, dt.UTC, "CN-ZJ-HZ")


def test_a_missing_field_is_named_with_its_path() -> None:
    with pytest.raises(FieldInvalid) as exc:
        paid({**PAID, "items": [ITEM, ITEM, ITEM, _without(ITEM, "qty")]})
    assert (exc.value.problem, exc.value.field, str(exc.value)) == (
        FIELD, "data.items[3].qty", "data.items[3].qty: Field required")
