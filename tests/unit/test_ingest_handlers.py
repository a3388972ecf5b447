"""Ingestion's dispatch table: one entry per event type the envelope accepts, and nothing else; what each type waits
on; and every key an event can wait on is one some event produces (or it would wait forever)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.unit.test_ingest_time_bounds import BOUNDS, VALID

from anxin.ingest.bulk_state import TABLES
from anxin.ingest.handlers import HANDLERS, parse_event
from anxin.ingest.model import EventInvalid, Ref, parse_envelope

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ingestion.md"
T = "2026-11-02T10:00:00+08:00"


def _documented_types() -> set[str]:
    """The event types of the table in docs/ingestion.md: the contract with the platform."""
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOCS.read_text(encoding="utf-8"), re.MULTILINE))


def test_the_table_has_exactly_the_documented_event_types() -> None:
    assert len(_documented_types()) == 16
    assert set(HANDLERS) == _documented_types()


@pytest.mark.parametrize("etype", sorted(HANDLERS))
def test_the_envelope_accepts_every_type_of_the_table(etype: str) -> None:
    assert parse_envelope({"id": "e1", "type": etype, "occurred_at": T, "data": {}}, HANDLERS).type == etype


@pytest.mark.parametrize("etype", ["order.refunded", "Order.Paid", "order.paid ", "order", "listing.deleted"])
def test_the_envelope_refuses_every_other_type(etype: str) -> None:
    with pytest.raises(EventInvalid) as err:
        parse_envelope({"id": "e1", "type": etype, "occurred_at": T, "data": {}}, HANDLERS)
    assert (err.value.code, err.value.field) == ("event.unknown_type", "type")
    assert "order.paid" in str(err.value)  # the message lists what is known


def _command(etype: str) -> Any:
    return parse_event({"id": "e1", "type": etype, "occurred_at": T, "data": VALID[etype][0]}, BOUNDS)[1]


# What each type waits on (docs/ingestion.md, "Order-tolerant"), what it makes available and what it carries for risk,
# for the sample events of test_ingest_time_bounds (category c1 has no parent; order o1 buys l1 from s1).
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "category.upserted": ([], ["category:c1"]),
    "shop.upserted": ([], ["shop:s1"]),
    "listing.upserted": (["shop:s1", "category:c1"], ["listing:l1"]),
    "order.paid": (["shop:s1", "listing:l1"], ["order:o1"]),
    "order.shipped": (["order:o1"], ["tracking:sf:SF1"]),
    "shipment.scanned": (["tracking:sf:SF1"], []),
    "order.delivered": (["order:o1"], []),
    "order.cancelled": (["order:o1"], []),
    "review.posted": (["order:o1"], []),
    "complaint.filed": (["order:o1"], []),
    "chat.session": (["shop:s1"], []),  # not on its order, which anxin may never see
    "consumer.registered": ([], []),
    "content.feedback": ([], []),
    "care.consultation_opened": (["order:o1"], ["care_consultation:q1"]),  # its order, whose shop it takes
    "care.message_posted": (["care_consultation:q1"], []),
    "warehouse.lot_received": (["listing:l1"], []),  # its shop is the listing's
}


@pytest.mark.parametrize("etype", sorted(HANDLERS))
def test_what_each_type_waits_on_and_makes_available(etype: str) -> None:
    handler, cmd = HANDLERS[etype], _command(etype)
    assert ([r.key for r in handler.needs(cmd)], [r.key for r in handler.produces(cmd)]) == EXPECTED[etype]


def test_a_category_waits_on_its_parent_and_an_order_on_each_listing_in_item_order() -> None:
    cat = parse_event({"id": "e1", "type": "category.upserted", "occurred_at": T,
                       "data": {"category_id": "c2", "name": "C", "parent_id": "c1"}}, BOUNDS)[1]
    assert [r.key for r in HANDLERS["category.upserted"].needs(cat)] == ["category:c1"]
    data = {**VALID["order.paid"][0], "items": [{"listing_id": lid, "qty": 1, "price_fen": 1} for lid in "bab"],
            "paid_fen": 3}
    order = parse_event({"id": "e1", "type": "order.paid", "occurred_at": T, "data": data}, BOUNDS)[1]
    assert [r.key for r in HANDLERS["order.paid"].needs(order)] == ["shop:s1", "listing:b", "listing:a", "listing:b"]


def test_every_key_an_event_can_wait_on_is_produced_by_some_type() -> None:
    needed = {r.kind for etype, h in HANDLERS.items() for r in h.needs(_command(etype))}
    produced = {r.kind for etype, h in HANDLERS.items() for r in h.produces(_command(etype))}
    assert needed == {"category", "shop", "listing", "order", "tracking", "care_consultation"}
    assert needed <= produced


def test_the_bulk_path_can_hold_every_row_an_entry_reads_or_writes() -> None:
    kinds = {r.kind for etype, h in HANDLERS.items() for r in [*h.needs(_command(etype)), *h.owns(_command(etype))]}
    assert kinds - {"tracking"} <= set(TABLES)  # tracking numbers are an index over orders, not a table


def test_only_consumers_and_shops_carry_attributes() -> None:
    assert {t for t, h in HANDLERS.items() if h.attributes is not None} == {
        "order.paid", "consumer.registered", "shop.upserted"}


@pytest.mark.parametrize(("ref", "key"), [(Ref("order", "O1"), "order:O1"), (Ref("tracking", "SF:1", "sf"),
                                                                             "tracking:sf:SF:1")])
def test_park_keys_keep_their_stored_format(ref: Ref, key: str) -> None:
    assert ref.key == key  # ingested_events.waiting_on holds them: a new format would strand parked events
