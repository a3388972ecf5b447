"""Ingestion against a real database: idempotency, order tolerance, per-event atomicity, validation codes."""

from __future__ import annotations

import copy
import os
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from tests.db.builders import (
    MIN,
    T0,
    D,
    H,
    cancelled,
    category,
    chat_session,
    complaint,
    consumer_registered,
    content_feedback,
    delivered,
    event,
    ingest_ok,
    item,
    listing,
    order_paid,
    review,
    row_counts,
    scanned,
    seed_order,
    shipped,
    shop,
    snapshot,
)

from anxin.audience import service as audience
from anxin.audience.model import Consumer, ContentFeedback
from anxin.care import service as care
from anxin.care.model import ChatSession, Complaint
from anxin.care.store import ChatSessionRow
from anxin.catalog import service as catalog
from anxin.catalog.store import CategoryRow, ListingRow
from anxin.core.errors import AnxinError
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.service import MAX_BATCH
from anxin.ingest.store import EventLog, IngestedEventRow
from anxin.orders import service as orders
from anxin.orders.model import OrderStatus
from anxin.orders.store import OrderRow, ReviewRow
from anxin.risk.store import LinkRow
from anxin.shops.store import ShopRow

pytestmark = pytest.mark.db

ON_POSTGRES = os.environ.get("ANXIN_TEST_DATABASE_URL", "").startswith("postgresql")


def _order(anxin, order_id):
    with anxin.uow_factory() as uow:
        return orders.get_order(uow, order_id)


def _timeline(anxin, order_id):
    with anxin.uow_factory() as uow:
        return orders.timeline(uow, order_id)


def _detached(row):
    """A plain copy of a row's columns (rows expire when their unit of work rolls back)."""
    if row is None:
        return None
    return SimpleNamespace(**{c.key: getattr(row, c.key) for c in sa.inspect(row).mapper.column_attrs})


def _event_row(anxin, event_id):
    with anxin.uow_factory() as uow:
        return _detached(EventLog(uow.session).get(event_id))


def _shop_row(anxin, shop_id):
    with anxin.uow_factory() as uow:
        return _detached(uow.session.get(ShopRow, shop_id))


def _base_events(order_id="o1"):
    """A whole happy path: category, shop, listing, paid, shipped, scanned, delivered, reviewed."""
    return [category("cat_general", tags=["apparel"]), shop("s1", "m1"), listing("l1", "s1", "cat_general"),
            order_paid(order_id), shipped(order_id, tracking_no="SF001"), scanned("SF001"),
            delivered(order_id), review(order_id, rating=4)]


# --- idempotency -----------------------------------------------------------------------------------

def test_replaying_a_batch_counts_duplicates_and_changes_nothing(anxin, engine, clock):
    events = _base_events()
    first = anxin.ingestion.ingest(events)
    assert first.as_dict() == {"received": 8, "applied": 8, "pending": 0, "duplicates": 0, "released": 0,
                               "rejected": []}
    before = snapshot(engine)
    clock.advance(hours=3)  # a later replay must not even touch received_at
    again = anxin.ingestion.ingest(copy.deepcopy(events))
    assert again.as_dict() == {"received": 8, "applied": 0, "pending": 0, "duplicates": 8, "released": 0,
                               "rejected": []}
    assert snapshot(engine) == before
    order = _order(anxin, "o1")
    assert order.status is OrderStatus.DELIVERED and order.review_rating == 4


def test_replay_with_reordered_keys_is_still_a_duplicate(anxin):
    ev = order_paid("o1")
    ingest_ok(anxin, [category("cat_general"), shop(), listing(), ev])
    reordered = {"data": dict(reversed(list(ev["data"].items()))), "occurred_at": ev["occurred_at"],
                 "type": ev["type"], "id": ev["id"]}
    assert anxin.ingestion.ingest([reordered]).duplicates == 1


def test_replay_of_a_parked_event_is_a_duplicate_not_a_second_park(anxin, engine):
    ev = shipped("o1")
    assert anxin.ingestion.ingest([ev]).pending == 1
    before = snapshot(engine)
    result = anxin.ingestion.ingest([copy.deepcopy(ev)])
    assert (result.pending, result.duplicates) == (0, 1)
    assert snapshot(engine) == before


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda e: e["data"].update(paid_fen=100), id="different data"),
    pytest.param(lambda e: e.update(type="order.cancelled", data={"order_id": "o1"}), id="different type"),
    pytest.param(lambda e: e.update(occurred_at=(T0 + H).isoformat()), id="different occurred_at"),
])
def test_same_id_with_different_payload_is_an_id_conflict(anxin, engine, mutate):
    ev = order_paid("o1", items=[item("l1", 1, 9900)])
    ingest_ok(anxin, [category("cat_general"), shop(), listing(), ev])
    before = snapshot(engine)
    other = copy.deepcopy(ev)
    mutate(other)
    result = anxin.ingestion.ingest([other])
    assert [(r.index, r.event_id, r.code) for r in result.rejected] == [(0, ev["id"],
                                                                        IngestErrorCode.ID_CONFLICT.value)]
    assert (result.applied, result.duplicates) == (0, 0)
    assert snapshot(engine) == before
    assert _order(anxin, "o1").paid_fen == 9900


# --- order tolerance -----------------------------------------------------------------------------------

def test_shipped_before_paid_is_parked_then_applied(anxin):
    early = shipped("o1", tracking_no="SF9")
    result = anxin.ingestion.ingest([early])
    assert (result.pending, result.applied) == (1, 0)
    row = _event_row(anxin, early["id"])
    assert (row.status, row.waiting_on) == ("pending", "order:o1")
    assert _order(anxin, "o1") is None

    result = anxin.ingestion.ingest([category("cat_general"), shop(), listing(), order_paid("o1")])
    assert (result.applied, result.released, result.pending) == (4, 1, 0)
    order = _order(anxin, "o1")
    assert order.status is OrderStatus.SHIPPED and order.tracking_no == "SF9"
    row = _event_row(anxin, early["id"])
    assert (row.status, row.waiting_on) == ("applied", None) and row.applied_at is not None


def test_scan_before_shipped_waits_on_the_tracking_number(anxin):
    seed_order(anxin, order_id="o1")
    scan = scanned("  SF77 ", carrier=" SF ")  # carrier and tracking are normalised on both sides
    assert anxin.ingestion.ingest([scan]).pending == 1
    assert _event_row(anxin, scan["id"]).waiting_on == "tracking:sf:SF77"
    result = anxin.ingestion.ingest([shipped("o1", carrier="sf", tracking_no="SF77")])
    assert (result.applied, result.released) == (1, 1)
    tl = _timeline(anxin, "o1")
    assert [(s.status, s.tracking_no) for s in tl.scans] == [("in_transit", "SF77")]


def test_listing_before_shop_and_category_waits_for_both(anxin):
    lst = listing("l1", "s1", "cat_a")
    assert anxin.ingestion.ingest([lst]).pending == 1
    assert _event_row(anxin, lst["id"]).waiting_on == "shop:s1"
    # The shop arrives: the listing moves on to wait for its category, still not applied.
    result = anxin.ingestion.ingest([shop("s1")])
    assert (result.applied, result.released) == (1, 0)
    row = _event_row(anxin, lst["id"])
    assert (row.status, row.waiting_on) == ("pending", "category:cat_a")
    result = anxin.ingestion.ingest([category("cat_a")])
    assert (result.applied, result.released) == (1, 1)
    with anxin.uow_factory() as uow:
        assert uow.session.get(ListingRow, "l1") is not None


def test_category_before_parent_inherits_parent_tags_once_released(anxin):
    child = category("durian", parent_id="fresh_fruit", tags=["food"])
    assert anxin.ingestion.ingest([child]).pending == 1
    with anxin.uow_factory() as uow:
        assert not catalog.category_exists(uow, "durian")
    result = anxin.ingestion.ingest([category("fresh_fruit", tags=["fresh"])])
    assert (result.applied, result.released) == (1, 1)
    ingest_ok(anxin, [shop(), listing("l1", "s1", "durian")])
    with anxin.uow_factory() as uow:
        assert catalog.tags_for_listing(uow, "l1") == frozenset({"fresh", "food"})


def test_chain_of_three_parked_events_is_released_by_one_arrival(anxin):
    """parent category <- child category <- listing <- order.paid <- order.shipped, sent newest-first."""
    ingest_ok(anxin, [shop("s1")])
    late = [shipped("o1", tracking_no="SF1"), order_paid("o1", items=[item("l1")]),
            listing("l1", "s1", "child"), category("child", parent_id="parent")]
    result = anxin.ingestion.ingest(late)
    assert (result.pending, result.applied, result.released) == (4, 0, 0)
    with anxin.uow_factory() as uow:
        waiting = {r.event_id: r.waiting_on for r in uow.session.scalars(
            sa.select(IngestedEventRow).where(IngestedEventRow.status == "pending"))}
    assert waiting == {late[0]["id"]: "order:o1", late[1]["id"]: "listing:l1", late[2]["id"]: "category:child",
                       late[3]["id"]: "category:parent"}
    result = anxin.ingestion.ingest([category("parent")])
    assert (result.applied, result.released, result.pending) == (1, 4, 0)
    assert _order(anxin, "o1").status is OrderStatus.SHIPPED
    assert anxin.ingestion.stats() == {"applied": 6}


def test_parked_events_are_released_in_occurred_at_order(anxin):
    # Both reviews wait for the order; the later one must win, whatever order they arrived in.
    later = review("o1", rating=2, text="broke", posted_at=T0 + 3 * D)
    earlier = review("o1", rating=5, text="great", posted_at=T0 + 2 * D)
    assert anxin.ingestion.ingest([later, earlier]).pending == 2
    result = anxin.ingestion.ingest([category("cat_general"), shop(), listing(), order_paid("o1")])
    assert result.released == 2
    assert _order(anxin, "o1").review_rating == 2
    with anxin.uow_factory() as uow:
        assert uow.session.get(ReviewRow, "o1").text == "broke"
    # Scans waiting on a tracking number come out in scanned order too.
    scan2 = scanned("SFX", status="delivered", scanned_at=T0 + 9 * H)
    scan1 = scanned("SFX", status="picked_up", scanned_at=T0 + 3 * H)
    assert anxin.ingestion.ingest([scan2, scan1]).pending == 2
    result = anxin.ingestion.ingest([shipped("o1", tracking_no="SFX")])
    assert result.released == 2
    assert [s.status for s in _timeline(anxin, "o1").scans] == ["picked_up", "delivered"]


def test_parked_event_whose_release_fails_is_kept_as_failed(anxin, engine):
    # Shipped "before" it was paid: cannot apply once the order arrives.
    bad = shipped("o1", shipped_at=T0 - 5 * H)
    good_scan = review("o1", rating=3)
    assert anxin.ingestion.ingest([bad, good_scan]).pending == 2
    result = anxin.ingestion.ingest([category("cat_general"), shop(), listing(), order_paid("o1", paid_at=T0)])
    assert result.applied == 4
    assert result.released == 1  # the review; the failed shipment is not counted as released
    assert result.rejected == []
    row = _event_row(anxin, bad["id"])
    assert row is not None, "a failed release must keep the event"
    assert (row.status, row.waiting_on, row.error_code) == ("failed", None, IngestErrorCode.LIFECYCLE.value)
    assert "paid_at" in row.error_message
    order = _order(anxin, "o1")
    assert order.status is OrderStatus.PAID and order.tracking_no is None and order.review_rating == 3
    assert anxin.ingestion.stats() == {"applied": 5, "failed": 1}
    # Replaying the failed event is recognised, not retried.
    assert anxin.ingestion.ingest([copy.deepcopy(bad)]).duplicates == 1


# --- per-event atomicity --------------------------------------------------------------------------------

def test_a_bad_event_in_the_middle_is_rejected_alone(anxin):
    bad = order_paid("o2", items=[item("l1", 1, 500)], paid_fen=1.5)
    events = [category("cat_general"), shop(), bad, listing(), order_paid("o1")]
    result = anxin.ingestion.ingest(events)
    assert (result.received, result.applied) == (5, 4)
    assert [r.as_dict() for r in result.rejected] == [{
        "index": 2, "id": bad["id"], "code": "event.invalid_money", "field": "data.paid_fen",
        "message": result.rejected[0].message}]
    assert _order(anxin, "o1") is not None and _order(anxin, "o2") is None
    assert _event_row(anxin, bad["id"]) is None


def test_lifecycle_rejection_in_the_middle_of_a_batch(anxin, engine):
    seed_order(anxin, order_id="o1", cancel=True)
    seed_order(anxin, order_id="o2")
    before = row_counts(engine)
    ship_cancelled = shipped("o1")
    result = anxin.ingestion.ingest([review("o2", rating=1), ship_cancelled, shipped("o2")])
    assert result.applied == 2
    assert [(r.index, r.event_id, r.code) for r in result.rejected] == [
        (1, ship_cancelled["id"], "event.lifecycle_violation")]
    assert row_counts(engine)["ingested_events"] == before["ingested_events"] + 2
    assert _order(anxin, "o2").status is OrderStatus.SHIPPED


# --- validation codes ------------------------------------------------------------------------------------

def _without(ev, *path):
    ev = copy.deepcopy(ev)
    target = ev
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return ev


def _with(ev, value, *path):
    ev = copy.deepcopy(ev)
    target = ev
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return ev


PAID = order_paid("o9", items=[item("l1", 2, 1000)], paid_fen=2000)
NAIVE = "2026-11-02T10:00:00"

INVALID = [
    ("event not an object", 42, "event.malformed", None),
    ("data not an object", _with(PAID, [1, 2], "data"), "event.malformed", "data"),
    ("missing id", _without(PAID, "id"), "event.invalid_field", "id"),
    ("empty id", _with(PAID, "  ", "id"), "event.invalid_field", "id"),
    ("id too long", _with(PAID, "x" * 129, "id"), "event.invalid_field", "id"),
    ("missing type", _without(PAID, "type"), "event.invalid_field", "type"),
    ("unknown type", _with(PAID, "order.refunded", "type"), "event.unknown_type", "type"),
    ("missing data field", _without(PAID, "data", "order_id"), "event.invalid_field", "data.order_id"),
    ("null data field", _with(PAID, None, "data", "consumer_id"), "event.invalid_field", "data.consumer_id"),
    ("id field not a string", _with(PAID, 7, "data", "shop_id"), "event.invalid_field", "data.shop_id"),
    ("negative money", _with(PAID, -1, "data", "paid_fen"), "event.invalid_money", "data.paid_fen"),
    ("float money", _with(PAID, 2000.0, "data", "paid_fen"), "event.invalid_money", "data.paid_fen"),
    ("bool money", _with(PAID, True, "data", "paid_fen"), "event.invalid_money", "data.paid_fen"),
    ("string money", _with(PAID, "2000", "data", "paid_fen"), "event.invalid_money", "data.paid_fen"),
    ("negative item price", _with(PAID, [item("l1", 1, -5)], "data", "items"), "event.invalid_money",
     "data.items[0].price_fen"),
    ("float item price", _with(PAID, [item("l1", 1, 9.9)], "data", "items"), "event.invalid_money",
     "data.items[0].price_fen"),
    ("qty zero", _with(PAID, [item("l1", 0, 1000)], "data", "items"), "event.invalid_field", "data.items[0].qty"),
    ("item not an object", _with(PAID, ["l1"], "data", "items"), "event.invalid_field", "data.items[0]"),
    ("exemption not a bool", _with(PAID, [{**item("l1"), "exemption_confirmed": "yes"}], "data", "items"),
     "event.invalid_field", "data.items[0].exemption_confirmed"),
    ("items empty", _with(PAID, [], "data", "items"), "event.invalid_field", "data.items"),
    ("items not a list", _with(PAID, {"l1": 1}, "data", "items"), "event.invalid_field", "data.items"),
    ("paid above items total", _with(PAID, 2001, "data", "paid_fen"), "event.invalid_money", "data.paid_fen"),
    ("occurred_at without offset", _with(PAID, NAIVE, "occurred_at"), "event.invalid_timestamp", "occurred_at"),
    ("paid_at without offset", _with(PAID, NAIVE, "data", "paid_at"), "event.invalid_timestamp", "data.paid_at"),
    ("timestamp not a string", _with(PAID, 1767225600, "occurred_at"), "event.invalid_timestamp", "occurred_at"),
    ("timestamp garbage", _with(PAID, "yesterday", "data", "paid_at"), "event.invalid_timestamp", "data.paid_at"),
    ("rating 0", review("o9", rating=0), "event.invalid_field", "data.rating"),
    ("rating 6", review("o9", rating=6), "event.invalid_field", "data.rating"),
    ("rating float", _with(review("o9"), 4.5, "data", "rating"), "event.invalid_field", "data.rating"),
    ("rating bool", _with(review("o9"), True, "data", "rating"), "event.invalid_field", "data.rating"),
    ("store type", shop(store_type="megastore"), "event.invalid_field", "data.store_type"),
    ("services not strings", _with(shop(), [1], "data", "services"), "event.invalid_field", "data.services[0]"),
    ("bad tag", category("c", tags=["Fresh Fruit"]), "event.invalid_field", "data.tags[0]"),
    ("own parent", category("c", parent_id="c"), "event.invalid_field", "data.parent_id"),
    ("negative listing price", listing(price_fen=-1), "event.invalid_money", "data.price_fen"),
    ("ship_within_hours 0", listing(ship_within_hours=0), "event.invalid_field", "data.ship_within_hours"),
    ("signed_at without offset", _with(delivered("o9"), NAIVE, "data", "signed_at"), "event.invalid_timestamp",
     "data.signed_at"),
    # the scoring inputs
    ("creator_id empty", _with(PAID, "", "data", "creator_id"), "event.invalid_field", "data.creator_id"),
    ("creator_id not a string", _with(PAID, 7, "data", "creator_id"), "event.invalid_field", "data.creator_id"),
    ("creator_id too long", _with(PAID, "k" * 65, "data", "creator_id"), "event.invalid_field", "data.creator_id"),
    ("creator_id with NUL", _with(PAID, "k\x00", "data", "creator_id"), "event.invalid_field", "data.creator_id"),
    ("complaint reason", complaint(reason="rude"), "event.invalid_field", "data.reason"),
    ("complaint without order", _without(complaint(), "data", "order_id"), "event.invalid_field", "data.order_id"),
    ("complaint text with NUL", complaint(text="bad\x00"), "event.invalid_field", "data.text"),
    ("complaint filed_at naive", _with(complaint(), NAIVE, "data", "filed_at"), "event.invalid_timestamp",
     "data.filed_at"),
    ("chat reply without handoff", chat_session(first_human_reply_at=T0 + D + H), "event.invalid_field",
     "data.first_human_reply_at"),
    ("chat handoff before opening", chat_session(to_human_at=T0), "event.invalid_field", "data.to_human_at"),
    ("chat closed before opening", chat_session(closed_at=T0), "event.invalid_field", "data.closed_at"),
    ("chat reply before handoff", chat_session(to_human_at=T0 + D + 2 * H, first_human_reply_at=T0 + D + H),
     "event.invalid_field", "data.first_human_reply_at"),
    ("chat without consumer", _without(chat_session(), "data", "consumer_id"), "event.invalid_field",
     "data.consumer_id"),
    ("chat order_id empty", _with(chat_session(), " ", "data", "order_id"), "event.invalid_field", "data.order_id"),
    ("consumer registered_at garbage", _with(consumer_registered(), "soon", "data", "registered_at"),
     "event.invalid_timestamp", "data.registered_at"),
    ("consumer id with NUL", consumer_registered("c\x00"), "event.invalid_field", "data.consumer_id"),
    ("feedback sentiment", content_feedback(sentiment="angry"), "event.invalid_field", "data.sentiment"),
    ("feedback without creator", _without(content_feedback(), "data", "creator_id"), "event.invalid_field",
     "data.creator_id"),
    # the attributes risk control reads
    ("risk kind unknown", _with(PAID, {"imei": "x"}, "data", "risk"), "event.invalid_field", "data.risk.imei"),
    ("risk value not a string", _with(PAID, {"device": 7}, "data", "risk"), "event.invalid_field",
     "data.risk.device"),
    ("risk value too long", _with(PAID, {"ip": "9" * 129}, "data", "risk"), "event.invalid_field", "data.risk.ip"),
    ("risk not an object", _with(PAID, ["dev_1"], "data", "risk"), "event.invalid_field", "data.risk"),
    ("registration risk kind", consumer_registered(risk={"licence": "lic_1"}), "event.invalid_field",
     "data.risk.licence"),
    ("credential kind unknown", shop(credentials={"ip": "ip_1"}), "event.invalid_field", "data.credentials.ip"),
    ("credential not a string", shop(credentials={"bank_account": 6222}), "event.invalid_field",
     "data.credentials.bank_account"),
]


@pytest.mark.parametrize(("raw", "code", "field"), [pytest.param(r, c, f, id=i) for i, r, c, f in INVALID])
def test_every_validation_error_has_a_stable_code_and_field(anxin, engine, raw, code, field):
    before = snapshot(engine)
    result = anxin.ingestion.ingest([raw])
    assert len(result.rejected) == 1, result.as_dict()
    rejection = result.rejected[0]
    assert (rejection.index, rejection.code, rejection.field) == (0, code, field)
    assert rejection.message
    expected_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    assert rejection.event_id == expected_id
    assert (result.applied, result.pending, result.duplicates) == (0, 0, 0)
    assert snapshot(engine) == before


def test_every_ingest_error_code_used_for_events_is_an_enum_member():
    known = {c.value for c in IngestErrorCode}
    assert {code for _, _, code, _ in INVALID} <= known


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_out_of_range_timestamp_is_rejected_not_raised(anxin, stamp):
    result = anxin.ingestion.ingest([_with(PAID, stamp, "occurred_at"), shop()])
    assert [(r.code, r.field) for r in result.rejected] == [("event.invalid_timestamp", "occurred_at")]
    assert result.applied == 1


def test_money_beyond_bigint_is_rejected_not_raised(anxin):
    huge = 2**63
    ev = order_paid("o1", items=[item("l1", 1, huge)], paid_fen=huge)
    result = anxin.ingestion.ingest([category("cat_general"), shop(), listing(), ev])
    assert [(r.code, r.field) for r in result.rejected] == [("event.invalid_money", "data.items[0].price_fen")]
    assert result.applied == 3


@pytest.mark.parametrize(("length", "stored"), [(64, True), (65, False), (100, False)])
def test_subject_ids_fit_their_columns_on_every_database(anxin, length, stored):
    long_id = "o" * length
    result = anxin.ingestion.ingest([category("cat_general"), shop(), listing(), order_paid(long_id),
                                     review(long_id)])
    if stored:
        assert result.applied == 5, result.as_dict()
        assert _order(anxin, long_id) is not None
    else:  # refused with a code before it reaches a VARCHAR(64) column, the rest of the batch lands
        assert [(r.index, r.code, r.field) for r in result.rejected] == [
            (3, "event.invalid_field", "data.order_id"), (4, "event.invalid_field", "data.order_id")]
        assert result.applied == 3 and result.pending == 0
        assert _order(anxin, long_id) is None


# --- lifecycle -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("setup", "bad", "fragment"), [
    pytest.param(dict(cancel=True), lambda: shipped("o1"), "cancelled", id="ship a cancelled order"),
    pytest.param(dict(cancel=True), lambda: delivered("o1"), "cancelled", id="sign a cancelled order"),
    pytest.param({}, lambda: delivered("o1", signed_at=T0 - H), "paid_at", id="sign-off before payment"),
    pytest.param({}, lambda: shipped("o1", shipped_at=T0 - H), "paid_at", id="shipped before payment"),
    pytest.param(dict(shipped_at=T0 + 5 * H), lambda: delivered("o1", signed_at=T0 + 4 * H), "shipped_at",
                 id="sign-off before shipment"),
    pytest.param(dict(signed_at=T0 + D), lambda: cancelled("o1", at=T0 + 2 * D), "signed", id="cancel delivered"),
])
def test_lifecycle_violations_are_rejected_and_write_nothing(anxin, engine, setup, bad, fragment):
    seed_order(anxin, order_id="o1", **setup)
    before = snapshot(engine)
    ev = bad()
    result = anxin.ingestion.ingest([ev])
    assert [(r.index, r.event_id, r.code) for r in result.rejected] == [(0, ev["id"], "event.lifecycle_violation")]
    assert fragment in result.rejected[0].message
    assert snapshot(engine) == before
    # Rejected, not recorded: the same id may be sent again once corrected.
    assert _event_row(anxin, ev["id"]) is None


def test_cancelling_twice_is_harmless(anxin):
    seed_order(anxin, order_id="o1", cancel=True)
    result = anxin.ingestion.ingest([cancelled("o1", reason="again", at=T0 + 2 * H)])
    assert (result.applied, result.rejected) == (1, [])
    order = _order(anxin, "o1")
    assert order.status is OrderStatus.CANCELLED and order.cancelled_at == T0 + H


def test_second_order_paid_for_a_known_order_does_not_overwrite(anxin):
    seed_order(anxin, order_id="o1", price_fen=9900)
    ev = order_paid("o1", consumer_id="someone_else", shop_id="s1", items=[item("l_o1", 1, 100)])
    assert anxin.ingestion.ingest([ev]).applied == 1
    order = _order(anxin, "o1")
    assert (order.consumer_id, order.paid_fen) == ("c1", 9900)


# --- last writer by occurred_at ---------------------------------------------------------------------------

def test_an_older_shop_upsert_arriving_late_does_not_overwrite(anxin):
    newer = shop("s1", "m1", name="New name", services=["anxin_gou"], at=T0 + 2 * H)
    older = shop("s1", "m_old", name="Old name", services=[], at=T0 + H)
    ingest_ok(anxin, [newer])
    result = anxin.ingestion.ingest([older])
    assert result.applied == 1  # accepted and logged, but it lost
    row = _shop_row(anxin, "s1")
    assert (row.merchant_id, row.name, row.services, row.as_of) == ("m1", "New name", ["anxin_gou"], T0 + 2 * H)
    even_newer = shop("s1", "m2", name="Newest", services=["pickup"], at=T0 + 3 * H)
    ingest_ok(anxin, [even_newer])
    row = _shop_row(anxin, "s1")
    assert (row.merchant_id, row.name, row.services) == ("m2", "Newest", ["pickup"])


def test_an_older_category_upsert_arriving_late_does_not_overwrite(anxin):
    ingest_ok(anxin, [category("c1", tags=["fresh"], at=T0 + 2 * H), category("c1", tags=[], at=T0 + H)])
    with anxin.uow_factory() as uow:
        assert uow.session.get(CategoryRow, "c1").tags == ["fresh"]


def test_an_older_review_arriving_late_does_not_overwrite(anxin):
    seed_order(anxin, order_id="o1")
    ingest_ok(anxin, [review("o1", rating=1, text="late", posted_at=T0 + 3 * D),
                      review("o1", rating=5, text="early", posted_at=T0 + 2 * D)])
    with anxin.uow_factory() as uow:
        row = uow.session.get(ReviewRow, "o1")
        assert (row.rating, row.text, row.posted_at) == (1, "late", T0 + 3 * D)


def test_review_rating_on_the_order_follows_the_newest_review(anxin):
    seed_order(anxin, order_id="o1")
    ingest_ok(anxin, [review("o1", rating=1, posted_at=T0 + 3 * D)])
    ingest_ok(anxin, [review("o1", rating=5, posted_at=T0 + 2 * D)])  # older, arriving later
    assert _order(anxin, "o1").review_rating == 1


# --- batch shape ------------------------------------------------------------------------------------------

def test_batch_too_large_is_refused_whole(anxin, engine):
    events = [category(f"c{i}") for i in range(MAX_BATCH + 1)]
    with pytest.raises(AnxinError) as exc:
        anxin.ingestion.ingest(events)
    assert exc.value.code is IngestErrorCode.BATCH_TOO_LARGE
    assert exc.value.details == {"received": MAX_BATCH + 1}
    assert row_counts(engine)["ingested_events"] == 0


def test_batch_of_exactly_max_is_accepted(anxin):
    ev = category("c1")
    result = anxin.ingestion.ingest([ev] * MAX_BATCH)  # replays keep the test fast; the size is what counts
    assert (result.received, result.applied, result.duplicates) == (MAX_BATCH, 1, MAX_BATCH - 1)


@pytest.mark.parametrize("batch", [None, {"events": []}, "events", 5])
def test_a_batch_that_is_not_a_list_is_malformed(anxin, batch):
    with pytest.raises(AnxinError) as exc:
        anxin.ingestion.ingest(batch)
    assert exc.value.code is IngestErrorCode.MALFORMED_BATCH


def test_empty_batch(anxin):
    assert anxin.ingestion.ingest([]).as_dict() == {"received": 0, "applied": 0, "pending": 0, "duplicates": 0,
                                                    "released": 0, "rejected": []}


def test_event_within_a_batch_seen_twice_is_a_duplicate(anxin):
    ev = category("c1")
    result = anxin.ingestion.ingest([ev, copy.deepcopy(ev), event("category.upserted", ev["data"], id=ev["id"],
                                                                     at=T0 + H)])
    assert (result.applied, result.duplicates) == (1, 1)
    assert [r.code for r in result.rejected] == ["event.id_conflict"]


@pytest.mark.parametrize(("price", "accepted"), [(10**12, True), (10**12 + 1, False), (2**63, False)])
def test_money_has_an_upper_bound(anxin, price, accepted):
    ingest_ok(anxin, [category("cat_general"), shop()])
    result = anxin.ingestion.ingest([listing(price_fen=price)])
    if accepted:
        assert (result.applied, result.rejected) == (1, [])
    else:
        assert [(r.code, r.field) for r in result.rejected] == [("event.invalid_money", "data.price_fen")]


# --- scoring inputs: the order's creator, complaints, chat sessions, consumers, content feedback -----------------

def _complaint(anxin, complaint_id):
    with anxin.uow_factory() as uow:
        return care.get_complaint(uow, complaint_id)


def _chat(anxin, session_id):
    with anxin.uow_factory() as uow:
        return care.get_chat_session(uow, session_id)


def test_order_paid_carries_an_optional_creator(anxin):
    ingest_ok(anxin, [category("cat_general"), shop(), listing(), order_paid("o1", creator_id="cr7"),
                      order_paid("o2"), _with(order_paid("o3"), None, "data", "creator_id")])
    assert [_order(anxin, o).creator_id for o in ("o1", "o2", "o3")] == ["cr7", None, None]
    with anxin.uow_factory() as uow:
        assert uow.session.scalars(sa.select(OrderRow.order_id).where(OrderRow.creator_id == "cr7")).all() == ["o1"]


def test_a_complaint_takes_its_shop_and_consumer_from_the_order(anxin, engine):
    seed_order(anxin, order_id="o1", consumer_id="c9", shop_id="s3")
    ev = complaint("cp1", "o1", reason="delivery", text="late again", filed_at=T0 + 3 * D)
    assert anxin.ingestion.ingest([ev]).applied == 1
    assert _complaint(anxin, "cp1") == Complaint("cp1", "o1", "s3", "c9", "delivery", T0 + 3 * D, "late again")
    before = snapshot(engine)
    assert anxin.ingestion.ingest([copy.deepcopy(ev)]).duplicates == 1
    # The same complaint sent again under a new event id is applied and changes nothing.
    again = complaint("cp1", "o1", reason="other", text="changed my mind", filed_at=T0 + 4 * D)
    assert anxin.ingestion.ingest([again]).applied == 1
    after = snapshot(engine)
    assert after["complaints"] == before["complaints"]
    assert _complaint(anxin, "cp1").reason == "delivery"


def test_a_complaint_before_its_order_is_parked_then_applied(anxin):
    early = complaint("cp1", "o1", reason="quality")
    assert anxin.ingestion.ingest([early]).pending == 1
    assert _event_row(anxin, early["id"]).waiting_on == "order:o1"
    assert _complaint(anxin, "cp1") is None
    result = anxin.ingestion.ingest([category("cat_general"), shop("s2"), listing("l1", "s2"),
                                     order_paid("o1", "c4", "s2")])
    assert (result.applied, result.released, result.pending) == (4, 1, 0)
    stored = _complaint(anxin, "cp1")
    assert (stored.shop_id, stored.consumer_id, stored.text) == ("s2", "c4", "")
    assert _event_row(anxin, early["id"]).status == "applied"


def test_a_chat_session_before_its_shop_is_parked_then_applied(anxin):
    ev = chat_session("cs1", "s1", "c1", order_id="o_unknown", opened_at=T0, to_human_at=T0 + H,
                      first_human_reply_at=T0 + 2 * H, closed_at=T0 + 3 * H)
    assert anxin.ingestion.ingest([ev]).pending == 1
    assert _event_row(anxin, ev["id"]).waiting_on == "shop:s1"
    result = anxin.ingestion.ingest([shop("s1")])
    assert (result.applied, result.released) == (1, 1)
    # The order is not waited for: a chat may be about an order anxin never sees.
    assert _chat(anxin, "cs1") == ChatSession("cs1", "s1", "c1", "o_unknown", T0, T0 + H, T0 + 2 * H, T0 + 3 * H)


def test_a_chat_session_re_reported_with_more_fields_newer_wins(anxin, engine):
    ingest_ok(anxin, [shop("s1")])
    first = chat_session("cs1", opened_at=T0, to_human_at=T0 + H, at=T0 + H)
    fuller = chat_session("cs1", opened_at=T0, to_human_at=T0 + H, first_human_reply_at=T0 + 90 * MIN,
                          closed_at=T0 + 2 * H, order_id="o1", at=T0 + 2 * H)
    ingest_ok(anxin, [first, fuller])
    assert _chat(anxin, "cs1") == ChatSession("cs1", "s1", "c1", "o1", T0, T0 + H, T0 + 90 * MIN, T0 + 2 * H)
    before = snapshot(engine)
    stale = chat_session("cs1", opened_at=T0, at=T0 + 30 * MIN)  # an older report, arriving last
    assert anxin.ingestion.ingest([stale]).applied == 1  # accepted and logged, but it lost
    assert snapshot(engine)["chat_sessions"] == before["chat_sessions"]
    assert anxin.ingestion.ingest([copy.deepcopy(fuller)]).duplicates == 1
    with anxin.uow_factory() as uow:
        assert uow.session.get(ChatSessionRow, "cs1").as_of == T0 + 2 * H


def test_consumer_registration_newer_wins(anxin, engine):
    newer = consumer_registered("c1", registered_at=T0 - 10 * D, at=T0)
    older = consumer_registered("c1", registered_at=T0 - 99 * D, at=T0 - D)
    ingest_ok(anxin, [newer, older])
    with anxin.uow_factory() as uow:
        assert audience.get_consumer(uow, "c1") == Consumer("c1", T0 - 10 * D)
    before = snapshot(engine)
    assert anxin.ingestion.ingest([copy.deepcopy(newer)]).duplicates == 1
    assert snapshot(engine) == before
    ingest_ok(anxin, [consumer_registered("c1", registered_at=T0 - 11 * D, at=T0 + H)])  # a correction
    with anxin.uow_factory() as uow:
        assert audience.get_consumer(uow, "c1").registered_at == T0 - 11 * D


def test_content_feedback_is_recorded_once(anxin, engine):
    ev = content_feedback("fb1", "cr1", content_id="v9", sentiment="negative", at=T0)
    assert anxin.ingestion.ingest([ev, copy.deepcopy(ev)]).as_dict()["duplicates"] == 1
    before = snapshot(engine)
    same_id = content_feedback("fb1", "cr2", sentiment="positive", at=T0 + H)
    assert anxin.ingestion.ingest([same_id]).applied == 1
    assert snapshot(engine)["content_feedback"] == before["content_feedback"]
    with anxin.uow_factory() as uow:
        assert audience.get_feedback(uow, "fb1") == ContentFeedback("fb1", "cr1", "v9", "negative", T0)


@pytest.mark.parametrize(("length", "stored"), [(64, True), (65, False)])
def test_scoring_input_ids_fit_their_columns_on_every_database(anxin, length, stored):
    seed_order(anxin, order_id="o1")
    long_id = "x" * length
    events = [complaint(long_id, "o1"), chat_session(long_id, order_id=long_id), consumer_registered(long_id),
              content_feedback(long_id, long_id, content_id=long_id)]
    result = anxin.ingestion.ingest(events)
    if stored:
        assert (result.applied, result.rejected) == (4, []), result.as_dict()
    else:
        assert [(r.index, r.field) for r in result.rejected] == [
            (0, "data.complaint_id"), (1, "data.session_id"), (2, "data.consumer_id"), (3, "data.feedback_id")]


# --- attributes for risk control: links recorded with the event ------------------------------------------------

RISK = {"device": "dev_1", "phone": "tel_1", "address": "addr_1", "payment": "pay_1", "ip": "ip_1"}
CREDENTIALS = {"licence": "lic_1", "legal_rep": "rep_1", "phone": "tel_9", "bank_account": "bank_1", "device": "dev_9"}


def _links(engine):
    """subject -> {(kind, value): (first_seen_at, last_seen_at, source)}"""
    out: dict[str, dict] = {}
    with engine.connect() as conn:
        for r in conn.execute(sa.select(LinkRow.__table__)):
            first, last = (t.replace(tzinfo=None) for t in (r.first_seen_at, r.last_seen_at))
            out.setdefault(r.subject, {})[(r.kind, r.value)] = (first, last, r.source)
    return out


def _naive(at):
    return at.replace(tzinfo=None)


def test_attributes_are_linked_to_their_subject_in_the_events_transaction(anxin, engine):
    registered = consumer_registered("c1", registered_at=T0 - 30 * D, risk={**RISK, "return_address": "addr_2"},
                                     at=T0 - 30 * D)
    the_shop = shop("s1", credentials=CREDENTIALS)
    paid = order_paid("o1", "c1", "s1", risk={**RISK, "device": "dev_2", "ip": "ip_2"}, paid_at=T0 + H)
    ingest_ok(anxin, [registered, the_shop, category("cat_general"), listing("l1"), paid])
    links = _links(engine)
    assert set(links) == {"consumer:c1", "shop:s1"}
    assert links["shop:s1"] == {(k, v): (_naive(T0), _naive(T0), the_shop["id"]) for k, v in CREDENTIALS.items()}
    at_registration = (_naive(T0 - 30 * D), _naive(T0 - 30 * D), registered["id"])
    consumer = links["consumer:c1"]
    assert consumer[("return_address", "addr_2")] == consumer[("device", "dev_1")] == at_registration
    # Seen again at checkout: the same link, last seen later; the checkout's new device and IP are new links.
    assert consumer[("address", "addr_1")] == (_naive(T0 - 30 * D), _naive(T0 + H), registered["id"])
    assert consumer[("device", "dev_2")] == consumer[("ip", "ip_2")] == (_naive(T0 + H), _naive(T0 + H), paid["id"])
    assert len(consumer) == 8


def test_a_replay_adds_nothing_and_a_later_event_moves_last_seen(anxin, engine, clock):
    ingest_ok(anxin, [shop("s1"), category("cat_general"), listing("l1")])
    first = order_paid("o1", "c1", risk=RISK, paid_at=T0)
    ingest_ok(anxin, [first])
    before = snapshot(engine)
    clock.advance(hours=2)
    assert anxin.ingestion.ingest([copy.deepcopy(first)]).duplicates == 1
    assert snapshot(engine) == before
    later = order_paid("o2", "c1", risk={"device": "dev_1", "payment": "pay_2"}, paid_at=T0 + 3 * D)
    earlier = order_paid("o3", "c1", risk={"device": "dev_1"}, paid_at=T0 - D)  # arrives last, changes nothing
    ingest_ok(anxin, [later, earlier])
    consumer = _links(engine)["consumer:c1"]
    assert consumer[("device", "dev_1")] == (_naive(T0), _naive(T0 + 3 * D), first["id"])
    assert consumer[("phone", "tel_1")] == (_naive(T0), _naive(T0), first["id"])
    assert consumer[("payment", "pay_2")] == (_naive(T0 + 3 * D), _naive(T0 + 3 * D), later["id"])
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(LinkRow.__table__)) == 6


def test_a_parked_order_links_its_buyer_once_applied(anxin, engine):
    paid = order_paid("o1", "c1", risk=RISK)
    assert anxin.ingestion.ingest([paid]).pending == 1
    assert _links(engine) == {}
    result = anxin.ingestion.ingest([shop("s1", credentials={"licence": "lic_1"}), category("cat_general"),
                                     listing("l1")])
    assert result.released == 1
    links = _links(engine)
    assert {k: src for k, (_, _, src) in links["consumer:c1"].items()} == {(k, v): paid["id"] for k, v in RISK.items()}
    assert set(links["shop:s1"]) == {("licence", "lic_1")}


def test_missing_or_blank_attributes_are_simply_absent(anxin, engine):
    ingest_ok(anxin, [shop("s1", credentials={"licence": None, "phone": " "}), category("cat_general"),
                      listing("l1"), order_paid("o1", "c1", risk={"device": "  dev_1 ", "ip": "", "phone": None}),
                      order_paid("o2", "c2", risk={}), consumer_registered("c3", risk=None)])
    assert {k: set(v) for k, v in _links(engine).items()} == {"consumer:c1": {("device", "dev_1")}}


def test_a_rejected_attribute_rejects_its_event_alone(anxin, engine):
    good = order_paid("o1", "c1", risk=RISK)
    bad = order_paid("o2", "c2", risk={**RISK, "imei": "35-209900-176148-1"})
    result = anxin.ingestion.ingest([shop("s1"), category("cat_general"), listing("l1"), bad, good])
    assert [(r.index, r.field) for r in result.rejected] == [(3, "data.risk.imei")]
    assert set(_links(engine)) == {"consumer:c1"}
    assert _order(anxin, "o2") is None and _order(anxin, "o1") is not None
