"""The parsers of the scoring inputs (order.paid's creator, complaints, chat sessions, consumers, content feedback) and
of the attributes risk control reads (order.paid and consumer.registered ``data.risk``, shop.upserted
``data.credentials``), through ingestion's table: each context's parser, and the codes ingestion reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anxin.audience.model import Consumer, ContentFeedback
from anxin.care.model import ChatSession
from anxin.care.payloads import FileComplaint
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.handlers import HANDLERS, attributes_of, parse_command
from anxin.ingest.model import EventInvalid, TimeBounds, parse_envelope

T = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
BJ = dt.timezone(dt.timedelta(hours=8))
BOUNDS = TimeBounds(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC))


def at(t: dt.datetime) -> str:
    return t.astimezone(BJ).isoformat()  # senders use their own offset; anxin keeps UTC


PAID = {"order_id": "o1", "consumer_id": "c1", "shop_id": "s1", "items": [{"listing_id": "l1", "qty": 1,
                                                                           "price_fen": 100}],
        "paid_fen": 100, "paid_at": at(T)}
COMPLAINT = {"complaint_id": "cp1", "order_id": "o1", "reason": "quality", "filed_at": at(T)}
CHAT = {"session_id": "cs1", "shop_id": "s1", "consumer_id": "c1", "opened_at": at(T)}
CONSUMER = {"consumer_id": "c1", "registered_at": at(T)}
FEEDBACK = {"feedback_id": "f1", "creator_id": "cr1", "content_id": "v1", "sentiment": "negative", "at": at(T)}
SHOP = {"shop_id": "s1", "merchant_id": "m1", "name": "Shop", "store_type": "enterprise", "services": []}
RISK = {"device": "dev_1", "phone": "tel_1", "address": "addr_1", "payment": "pay_1", "return_address": "addr_2",
        "ip": "ip_1"}
CREDENTIALS = {"licence": "lic_1", "legal_rep": "rep_1", "phone": "tel_9", "bank_account": "bank_1", "device": "dev_9"}


def parse(etype: str, data: dict[str, Any]) -> Any:
    env = parse_envelope({"id": "e1", "type": etype, "occurred_at": at(T), "data": data}, HANDLERS)
    return parse_command(env, BOUNDS)


VALID = [
    ("order.paid", PAID, lambda o: o.creator_id is None),
    ("order.paid", {**PAID, "creator_id": None}, lambda o: o.creator_id is None),
    ("order.paid", {**PAID, "creator_id": "cr9"}, lambda o: o.creator_id == "cr9"),
    ("complaint.filed", COMPLAINT, lambda c: c == FileComplaint("cp1", "o1", "quality", T, "")),
    ("complaint.filed", {**COMPLAINT, "reason": "service_attitude", "text": "rude"},
     lambda c: (c.reason, c.text) == ("service_attitude", "rude")),
    ("complaint.filed", {**COMPLAINT, "text": None}, lambda c: c.text == ""),
    ("chat.session", CHAT, lambda c: c == ChatSession("cs1", "s1", "c1", None, T)),
    ("chat.session", {**CHAT, "order_id": "o1", "to_human_at": at(T + H), "first_human_reply_at": at(T + 2 * H),
                      "closed_at": at(T + 3 * H)},
     lambda c: c == ChatSession("cs1", "s1", "c1", "o1", T, T + H, T + 2 * H, T + 3 * H)),
    ("chat.session", {**CHAT, "to_human_at": at(T), "first_human_reply_at": at(T), "closed_at": at(T)},
     lambda c: c.closed_at == T),  # all at once is allowed
    ("chat.session", {**CHAT, "to_human_at": at(T + H)}, lambda c: c.first_human_reply_at is None),  # nobody came
    ("consumer.registered", CONSUMER, lambda c: c == Consumer("c1", T)),
    ("content.feedback", FEEDBACK, lambda f: f == ContentFeedback("f1", "cr1", "v1", "negative", T)),
    ("content.feedback", {**FEEDBACK, "sentiment": "neutral"}, lambda f: f.sentiment == "neutral"),
    # Attributes are validated by the parser and leave the command as it was.
    ("order.paid", {**PAID, "risk": RISK}, lambda o: o.consumer_id == "c1" and o.paid_fen == 100),
    ("consumer.registered", {**CONSUMER, "risk": RISK}, lambda c: c == Consumer("c1", T)),
    ("shop.upserted", {**SHOP, "credentials": CREDENTIALS}, lambda s: s.shop_id == "s1"),
]


@pytest.mark.parametrize(("etype", "data", "check"), VALID, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(VALID)])
def test_valid_events_parse(etype: str, data: dict[str, Any], check: Any) -> None:
    assert check(parse(etype, data))


F, TS = IngestErrorCode.INVALID_FIELD.value, IngestErrorCode.INVALID_TIMESTAMP.value


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


SHIPPED = {"order_id": "o1", "carrier": "SF", "tracking_no": "SF1", "shipped_at": at(T)}

INVALID = [
    ("order.shipped", {**SHIPPED, "weight_g": 0}, F, "data.weight_g"),
    ("order.shipped", {**SHIPPED, "weight_g": "1kg"}, F, "data.weight_g"),
    ("order.shipped", {**SHIPPED, "weight_g": 1.5}, F, "data.weight_g"),
    ("order.shipped", {**SHIPPED, "weight_g": 1_000_001}, F, "data.weight_g"),
    ("order.paid", {**PAID, "creator_id": ""}, F, "data.creator_id"),
    ("order.paid", {**PAID, "creator_id": 3}, F, "data.creator_id"),
    ("order.paid", {**PAID, "creator_id": "c" * 65}, F, "data.creator_id"),
    ("order.paid", {**PAID, "creator_id": "c\x00"}, F, "data.creator_id"),
    ("complaint.filed", _without(COMPLAINT, "complaint_id"), F, "data.complaint_id"),
    ("complaint.filed", _without(COMPLAINT, "order_id"), F, "data.order_id"),
    ("complaint.filed", {**COMPLAINT, "reason": "Quality"}, F, "data.reason"),
    ("complaint.filed", {**COMPLAINT, "reason": ["quality"]}, F, "data.reason"),
    ("complaint.filed", _without(COMPLAINT, "reason"), F, "data.reason"),
    ("complaint.filed", {**COMPLAINT, "text": "x" * 2001}, F, "data.text"),
    ("complaint.filed", {**COMPLAINT, "text": "a\x00b"}, F, "data.text"),
    ("complaint.filed", {**COMPLAINT, "filed_at": "2026-11-02T10:00:00"}, TS, "data.filed_at"),
    ("complaint.filed", _without(COMPLAINT, "filed_at"), F, "data.filed_at"),
    ("chat.session", _without(CHAT, "session_id"), F, "data.session_id"),
    ("chat.session", _without(CHAT, "shop_id"), F, "data.shop_id"),
    ("chat.session", {**CHAT, "consumer_id": "c\x00"}, F, "data.consumer_id"),
    ("chat.session", {**CHAT, "order_id": ""}, F, "data.order_id"),
    ("chat.session", _without(CHAT, "opened_at"), F, "data.opened_at"),
    ("chat.session", {**CHAT, "closed_at": 1767225600}, TS, "data.closed_at"),
    ("chat.session", {**CHAT, "first_human_reply_at": at(T + H)}, F, "data.first_human_reply_at"),
    ("chat.session", {**CHAT, "to_human_at": at(T - H)}, F, "data.to_human_at"),
    ("chat.session", {**CHAT, "closed_at": at(T - H)}, F, "data.closed_at"),
    ("chat.session", {**CHAT, "to_human_at": at(T + 2 * H), "first_human_reply_at": at(T + H)}, F,
     "data.first_human_reply_at"),
    ("consumer.registered", _without(CONSUMER, "consumer_id"), F, "data.consumer_id"),
    ("consumer.registered", {**CONSUMER, "registered_at": "last year"}, TS, "data.registered_at"),
    ("content.feedback", {**FEEDBACK, "sentiment": "angry"}, F, "data.sentiment"),
    ("content.feedback", {**FEEDBACK, "sentiment": None}, F, "data.sentiment"),
    ("content.feedback", {**FEEDBACK, "content_id": "v\x00"}, F, "data.content_id"),
    ("content.feedback", _without(FEEDBACK, "creator_id"), F, "data.creator_id"),
    ("content.feedback", {**FEEDBACK, "feedback_id": "f" * 65}, F, "data.feedback_id"),
    ("content.feedback", _without(FEEDBACK, "at"), F, "data.at"),
    ("order.paid", {**PAID, "risk": {"imei": "x"}}, F, "data.risk.imei"),
    ("order.paid", {**PAID, "risk": {"device": 42}}, F, "data.risk.device"),
    ("order.paid", {**PAID, "risk": {"phone": ["tel_1"]}}, F, "data.risk.phone"),
    ("order.paid", {**PAID, "risk": {"ip": "1" * 129}}, F, "data.risk.ip"),
    ("order.paid", {**PAID, "risk": {"licence": "lic_1"}}, F, "data.risk.licence"),  # a shop's kind
    ("order.paid", {**PAID, "risk": ["dev_1"]}, F, "data.risk"),
    ("order.paid", {**PAID, "risk": "dev_1"}, F, "data.risk"),
    ("consumer.registered", {**CONSUMER, "risk": {"address": True}}, F, "data.risk.address"),
    ("consumer.registered", {**CONSUMER, "risk": {"Device": "dev_1"}}, F, "data.risk.Device"),
    ("shop.upserted", {**SHOP, "credentials": {"address": "addr_1"}}, F, "data.credentials.address"),  # a buyer's
    ("shop.upserted", {**SHOP, "credentials": {"bank_account": 6222}}, F, "data.credentials.bank_account"),
    ("shop.upserted", {**SHOP, "credentials": {"legal_rep": "r" * 129}}, F, "data.credentials.legal_rep"),
    ("shop.upserted", {**SHOP, "credentials": 7}, F, "data.credentials"),
]


@pytest.mark.parametrize(("etype", "data", "code", "field"), INVALID,
                         ids=[f"{t}-{f}-{i}" for i, (t, _, _, f) in enumerate(INVALID)])
def test_invalid_events_name_the_field(etype: str, data: dict[str, Any], code: str, field: str) -> None:
    with pytest.raises(EventInvalid) as exc:
        parse(etype, data)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert field in str(exc.value)


@pytest.mark.parametrize(("data", "weight"), [(SHIPPED, None), ({**SHIPPED, "weight_g": None}, None),
                                              ({**SHIPPED, "weight_g": 1}, 1),
                                              ({**SHIPPED, "weight_g": 1_000_000}, 1_000_000)])
def test_a_shipment_may_say_what_the_parcel_weighed(data: dict[str, Any], weight: int | None) -> None:
    assert parse("order.shipped", data).weight_g == weight


def test_a_complaint_belongs_to_the_orders_shop_and_consumer() -> None:
    complaint = FileComplaint("cp1", "o1", "delivery", T + H, "late").complaint(shop_id="s_real", consumer_id="c_real")
    assert (complaint.shop_id, complaint.consumer_id, complaint.order_id, complaint.text) == (
        "s_real", "c_real", "o1", "late")


def test_every_new_kind_is_known_to_the_envelope() -> None:
    assert {"complaint.filed", "chat.session", "consumer.registered", "content.feedback"} <= set(HANDLERS)


def _attributes(etype: str, data: dict[str, Any]) -> Any:
    env = parse_envelope({"id": "e1", "type": etype, "occurred_at": at(T), "data": data}, HANDLERS)
    return attributes_of(env, parse_command(env, BOUNDS))


ATTRIBUTES = [
    ("order.paid", {**PAID, "risk": RISK}, ("consumer:c1", RISK)),
    ("consumer.registered", {**CONSUMER, "risk": RISK}, ("consumer:c1", RISK)),
    ("shop.upserted", {**SHOP, "credentials": CREDENTIALS}, ("shop:s1", CREDENTIALS)),
    # Missing, null or blank attributes are normal: simply absent.
    ("order.paid", {**PAID, "risk": {"device": " dev_1 ", "phone": None, "ip": "  ", "payment": ""}},
     ("consumer:c1", {"device": "dev_1"})),
    ("order.paid", {**PAID, "risk": {"address": "a" * 128}}, ("consumer:c1", {"address": "a" * 128})),
    ("order.paid", {**PAID, "risk": {"device": None}}, None),
    ("order.paid", {**PAID, "risk": {}}, None),
    ("order.paid", {**PAID, "risk": None}, None),
    ("order.paid", PAID, None),
    ("consumer.registered", CONSUMER, None),
    ("shop.upserted", {**SHOP, "credentials": {"licence": None}}, None),
    ("shop.upserted", SHOP, None),
    ("complaint.filed", {**COMPLAINT, "risk": RISK}, None),  # only the three types carry attributes
]


@pytest.mark.parametrize(("etype", "data", "expected"), ATTRIBUTES,
                         ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(ATTRIBUTES)])
def test_attributes_name_their_subject_and_drop_what_is_missing(etype: str, data: dict[str, Any],
                                                                expected: Any) -> None:
    assert _attributes(etype, data) == expected
