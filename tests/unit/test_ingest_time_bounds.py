"""Business times outside the accepted range are refused with event.time_out_of_range, for every timestamp field of
every event type (issue 13: a paid_at in year 1 or 9999 was accepted, then crashed every job that read it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.handlers import HANDLERS, parse_event
from anxin.ingest.model import EventInvalid, TimeBounds

NOW = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
BOUNDS = TimeBounds.around(NOW, earliest=EARLIEST, horizon=dt.timedelta(days=730))
T = NOW.isoformat()
CODE = IngestErrorCode.TIME_OUT_OF_RANGE.value

# One valid event per type, and where its times are: every field parsed with the instant reader.
VALID: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "category.upserted": ({"category_id": "c1", "name": "C"}, ()),
    "shop.upserted": ({"shop_id": "s1", "merchant_id": "m1", "name": "S", "store_type": "enterprise",
                       "opened_at": T}, ("opened_at",)),
    "listing.upserted": ({"listing_id": "l1", "shop_id": "s1", "category_id": "c1", "title": "L", "price_fen": 1,
                          "presale_ship_by": T}, ("presale_ship_by",)),
    "order.paid": ({"order_id": "o1", "consumer_id": "c1", "shop_id": "s1", "paid_fen": 1, "paid_at": T,
                    "items": [{"listing_id": "l1", "qty": 1, "price_fen": 1}]}, ("paid_at",)),
    "order.shipped": ({"order_id": "o1", "carrier": "sf", "tracking_no": "SF1", "shipped_at": T}, ("shipped_at",)),
    "shipment.scanned": ({"carrier": "sf", "tracking_no": "SF1", "status": "in_transit", "scanned_at": T},
                         ("scanned_at",)),
    "order.delivered": ({"order_id": "o1", "signed_at": T}, ("signed_at",)),
    "order.cancelled": ({"order_id": "o1"}, ()),
    "review.posted": ({"order_id": "o1", "rating": 5, "posted_at": T}, ("posted_at",)),
    "complaint.filed": ({"complaint_id": "cp1", "order_id": "o1", "reason": "quality", "filed_at": T}, ("filed_at",)),
    "chat.session": ({"session_id": "cs1", "shop_id": "s1", "consumer_id": "c1", "opened_at": T, "to_human_at": T,
                      "first_human_reply_at": T, "closed_at": T},
                     ("opened_at", "to_human_at", "first_human_reply_at", "closed_at")),
    "consumer.registered": ({"consumer_id": "c1", "registered_at": T}, ("registered_at",)),
    "content.feedback": ({"feedback_id": "f1", "creator_id": "cr1", "content_id": "v1", "sentiment": "positive",
                          "at": T}, ("at",)),
    "care.consultation_opened": ({"consultation_id": "q1", "channel": "consumer", "consumer_id": "c1",
                                  "order_id": "o1", "text": "到哪了", "opened_at": T}, ("opened_at",)),
    "care.message_posted": ({"message_id": "mm1", "consultation_id": "q1", "author_role": "consumer",
                             "author_id": "c1", "text": "还没到", "posted_at": T}, ("posted_at",)),
    "warehouse.lot_received": ({"lot_id": "lot1", "listing_id": "l1", "quantity": 10, "produced_on": "2026-10-01",
                                "expires_on": "2027-10-01", "supplier_id": "sup1", "received_at": T},
                               ("received_at",)),
}
TIERED = {**VALID["listing.upserted"][0], "presale_ship_by": None, "tiers": {"presale_ship_by": T}}


def _event(etype: str, data: dict[str, Any], occurred_at: str = T) -> dict[str, Any]:
    return {"id": "e1", "type": etype, "occurred_at": occurred_at, "data": data}


def test_the_table_covers_every_event_type() -> None:
    assert set(VALID) == set(HANDLERS)


@pytest.mark.parametrize("etype", sorted(VALID))
def test_valid_events_pass(etype: str) -> None:
    parse_event(_event(etype, VALID[etype][0]), BOUNDS)


POISON = ["0001-01-01T00:00:00+00:00", "9999-12-31T00:00:00+00:00", "1999-12-31T23:59:59+00:00"]
# A chat's later times before its opening are refused by the parser first (event.invalid_field): only the far future
# reaches the range check for them.
CASES = [(etype, name, stamp) for etype, (_, names) in VALID.items() for name in names for stamp in POISON
         if etype != "chat.session" or name == "opened_at" or stamp.startswith("9999")]


@pytest.mark.parametrize(("etype", "name", "stamp"), CASES)
def test_every_time_field_is_bounded(etype: str, name: str, stamp: str) -> None:
    data = dict(VALID[etype][0])
    if etype == "chat.session":  # no other time may run backwards against the one moved
        data.update(first_human_reply_at=None, closed_at=None)
        if name == "opened_at":
            data.update(to_human_at=None)
    data[name] = stamp
    with pytest.raises(EventInvalid) as err:
        parse_event(_event(etype, data), BOUNDS)
    assert (err.value.code, err.value.field) == (CODE, f"data.{name}")


@pytest.mark.parametrize("stamp", POISON)
def test_occurred_at_and_nested_tier_dates_are_bounded(stamp: str) -> None:
    with pytest.raises(EventInvalid) as err:
        parse_event(_event("order.delivered", VALID["order.delivered"][0], stamp), BOUNDS)
    assert (err.value.code, err.value.field) == (CODE, "occurred_at")
    with pytest.raises(EventInvalid) as err:
        parse_event(_event("listing.upserted", {**TIERED, "tiers": {"presale_ship_by": stamp}}), BOUNDS)
    assert (err.value.code, err.value.field) == (CODE, "data.tiers.presale_ship_by")


US = dt.timedelta(microseconds=1)


@pytest.mark.parametrize(("at", "accepted"), [
    (EARLIEST, True), (EARLIEST - US, False), (BOUNDS.latest, True), (BOUNDS.latest + US, False),
    (NOW, True), (dt.datetime(1, 1, 1, tzinfo=dt.UTC), False), (dt.datetime.max.replace(tzinfo=dt.UTC), False)])
def test_edges_of_the_range(at: dt.datetime, accepted: bool) -> None:
    assert BOUNDS.latest == NOW + dt.timedelta(days=730)
    event = _event("order.delivered", {"order_id": "o1", "signed_at": at.isoformat()})
    if accepted:
        assert parse_event(event, BOUNDS)[1].signed_at == at
    else:
        with pytest.raises(EventInvalid, match="outside the accepted range"):
            parse_event(event, BOUNDS)


def test_a_clock_near_the_last_instant_does_not_overflow_the_bounds() -> None:
    late = dt.datetime(9999, 12, 1, tzinfo=dt.UTC)
    bounds = TimeBounds.around(late, earliest=EARLIEST, horizon=dt.timedelta(days=730))
    assert bounds.latest == dt.datetime.max.replace(tzinfo=dt.UTC)


def test_unparseable_instants_keep_their_own_code() -> None:
    with pytest.raises(EventInvalid) as err:  # past the last representable instant once made UTC
        parse_event(_event("order.delivered", {"order_id": "o1", "signed_at": "9999-12-31T23:59:59-01:00"}), BOUNDS)
    assert err.value.code == IngestErrorCode.INVALID_TIMESTAMP.value
