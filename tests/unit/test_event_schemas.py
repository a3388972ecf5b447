"""The published JSON Schemas of the event types (docs/schemas/events, issue 15): current, one per type, and they
agree with the parsers on what a sender may send (the parsers validate with the models the schemas come from)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from tools.event_schemas import TARGET, stale

from anxin.ingest.handlers import HANDLERS, PAYLOAD_MODELS, parse_event
from anxin.ingest.model import EventInvalid, TimeBounds

TS = "2026-11-02T10:00:00+08:00"
BOUNDS = TimeBounds(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
ITEM = {"listing_id": "l1", "qty": 2, "price_fen": 500, "stock_tier": "spot"}
DATA: dict[str, dict[str, Any]] = {
    "category.upserted": {"category_id": "c1", "name": "Fruit", "tags": ["fresh"]},
    "shop.upserted": {"shop_id": "s1", "merchant_id": "m1", "name": "S", "store_type": "enterprise",
                      "services": ["pickup"], "credentials": {"licence": "lic_1"}},
    "listing.upserted": {"listing_id": "l1", "shop_id": "s1", "category_id": "c1", "title": "Apples",
                         "price_fen": 500, "tiers": {"spot_hours": 24, "presale_ship_by": TS}},
    "order.paid": {"order_id": "o1", "consumer_id": "c1", "shop_id": "s1", "items": [ITEM], "paid_fen": 900,
                   "paid_at": TS, "ship_to_region": "CN-ZJ-HZ", "channel": "live", "risk": {"device": "d1"}},
    "order.shipped": {"order_id": "o1", "carrier": "SF", "tracking_no": "SF1", "shipped_at": TS, "weight_g": 900},
    "shipment.scanned": {"carrier": "SF", "tracking_no": "SF1", "status": "in_transit", "scanned_at": TS},
    "order.delivered": {"order_id": "o1", "signed_at": TS},
    "order.cancelled": {"order_id": "o1", "reason": "out of stock"},
    "review.posted": {"order_id": "o1", "rating": 5, "text": "good", "posted_at": TS},
    "complaint.filed": {"complaint_id": "cp1", "order_id": "o1", "reason": "quality", "filed_at": TS},
    "chat.session": {"session_id": "cs1", "shop_id": "s1", "consumer_id": "c1", "opened_at": TS},
    "consumer.registered": {"consumer_id": "c1", "registered_at": TS},
    "content.feedback": {"feedback_id": "f1", "creator_id": "cr1", "content_id": "v1", "sentiment": "positive",
                         "at": TS},
    "care.consultation_opened": {"consultation_id": "q1", "channel": "consumer", "consumer_id": "c1",
                                 "topic": "logistics", "order_id": "o1", "text": "到哪了", "opened_at": TS},
    "care.message_posted": {"message_id": "m1", "consultation_id": "q1", "author_role": "platform",
                            "author_id": "agent7", "text": "您好", "posted_at": TS},
    "warehouse.lot_received": {"lot_id": "lot1", "listing_id": "l1", "quantity": 100, "produced_on": "2026-10-01",
                               "expires_on": "2027-04-01", "supplier_id": "sup1", "received_at": TS},
}


def _validator(etype: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((TARGET / f"{etype}.schema.json").read_text(encoding="utf-8")))


def _event(etype: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": "e1", "type": etype, "occurred_at": TS, "data": data}


def test_the_published_event_schemas_are_current() -> None:
    assert stale() == [], "run: python -m tools.event_schemas"


def test_every_event_type_has_a_model_and_a_schema() -> None:
    assert set(PAYLOAD_MODELS) == set(HANDLERS) == set(DATA)
    for etype in HANDLERS:
        Draft202012Validator.check_schema(_validator(etype).schema)


@pytest.mark.parametrize("etype", sorted(DATA))
def test_a_valid_event_passes_its_schema_and_its_parser(etype: str) -> None:
    event = _event(etype, DATA[etype])
    assert list(_validator(etype).iter_errors(event)) == []
    assert parse_event(event, BOUNDS)[0].type == etype


INVALID = [
    ("order.paid", {**DATA["order.paid"], "paid_fen": "900"}, "data.paid_fen"),
    ("order.paid", {**DATA["order.paid"], "items": []}, "data.items"),
    ("order.paid", {**DATA["order.paid"], "items": [ITEM, {**ITEM, "qty": 0}]}, "data.items[1].qty"),
    ("order.paid", {**DATA["order.paid"], "channel": "tv"}, "data.channel"),
    ("shop.upserted", {**DATA["shop.upserted"], "store_type": "flagship"}, "data.store_type"),
    ("listing.upserted", {**DATA["listing.upserted"], "title": "t" * 301}, "data.title"),
    ("review.posted", {**DATA["review.posted"], "rating": 6}, "data.rating"),
    ("content.feedback", {k: v for k, v in DATA["content.feedback"].items() if k != "at"}, "data.at"),
    ("complaint.filed", {**DATA["complaint.filed"], "reason": "rude"}, "data.reason"),
    ("care.consultation_opened", {**DATA["care.consultation_opened"], "topic": "gossip"}, "data.topic"),
    ("care.message_posted", {**DATA["care.message_posted"], "author_role": "bot"}, "data.author_role"),
    ("warehouse.lot_received", {**DATA["warehouse.lot_received"], "quantity": 0}, "data.quantity"),
    ("warehouse.lot_received", {**DATA["warehouse.lot_received"], "produced_on": "2026-13-01"}, "data.produced_on"),
]


@pytest.mark.parametrize(("etype", "data", "field"), INVALID, ids=[f"{t}-{f}" for t, _, f in INVALID])
def test_an_invalid_event_fails_its_schema_and_its_parser_at_the_same_field(etype: str, data: dict[str, Any],
                                                                            field: str) -> None:
    event = _event(etype, data)
    errors = list(_validator(etype).iter_errors(event))
    assert errors, "the schema accepts it"
    paths = {"".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path).lstrip(".")
             for e in errors}
    assert field in paths or field.rsplit(".", 1)[0] in paths  # a missing field is reported on its object
    with pytest.raises(EventInvalid) as exc:
        parse_event(event, BOUNDS)
    assert exc.value.field == field
