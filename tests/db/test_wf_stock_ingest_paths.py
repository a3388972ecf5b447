"""Both ingestion paths leave the same warehouse stock: lots received, reservations at payment (FEFO, unbacked when
short), releases on cancellation, shipments, replays and parked events, per event and in bulk chunks of any size."""

from __future__ import annotations

import copy
import random

import pytest
import sqlalchemy as sa
from tests.db.builders import MIN, T0, H, cancelled, item, listing, order_paid, shipped
from tests.db.test_ingest_bulk import wipe
from tests.db.test_wf_stock_service import FakeProgramme, lot_received, passed_lot, seed_catalog

from anxin.db.tables import metadata
from anxin.worryfree import stock

pytestmark = pytest.mark.db

COMPARED = ("orders", "wf_lots", "wf_reservations", "wf_unbacked_orders")


@pytest.fixture(autouse=True)
def _programme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stock, "PROGRAMME", FakeProgramme(enrolled=("l1", "l2", "l3"), tagged=("l1", "l3")))


def _state(engine: sa.Engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for name in COMPARED:
            cols = ", ".join(c.name for c in metadata.tables[name].c if c.name != "change_seq")
            out[name] = sorted((tuple(r) for r in conn.exec_driver_sql(f"SELECT {cols} FROM {name}")), key=repr)
    return out


def _seed(anxin) -> None:
    seed_catalog(anxin, listings=("l1", "l2"))
    passed_lot(anxin, "lot_a", quantity=4, expires="2027-03-01")
    passed_lot(anxin, "lot_b", quantity=3, expires="2027-01-01")
    passed_lot(anxin, "lot_c", "l2", quantity=2)


def _stream(seed: int) -> list[dict]:
    rnd = random.Random(seed)
    events: list[dict] = []
    for n in range(30):
        at = T0 + n * MIN
        lid = rnd.choice(["l1", "l1", "l2", "l3", "l9"])  # l3 arrives at the end: its orders wait; l9 is not enrolled
        events.append(order_paid(f"o{n}", items=[item(lid, rnd.randint(1, 3))], paid_at=at))
        if rnd.random() < 0.3:
            events.append(cancelled(f"o{n}", at=at + MIN))
        elif rnd.random() < 0.3:
            events.append(shipped(f"o{n}", shipped_at=at + H))
        if rnd.random() < 0.2:
            events.append(copy.deepcopy(events[rnd.randrange(len(events))]))  # a replay
    events.insert(5, lot_received("lot_new", "l1", 6, at=T0))  # received, not yet inspected: never reserved
    events.append(lot_received("lot_l3", "l3", 5, at=T0 + H))  # waits on l3 too
    events.append(listing("l3"))
    events.append(listing("l9"))
    return events


@pytest.mark.parametrize(("seed", "chunk"), [(1, 10_000), (2, 7), (3, 3)])
def test_both_paths_leave_the_same_stock(anxin, engine, seed, chunk):
    events = _stream(seed)
    _seed(anxin)
    expected = anxin.ingestion.ingest(copy.deepcopy(events)).as_dict()
    want = _state(engine)
    wipe(engine)
    _seed(anxin)
    got = anxin.ingestion.ingest_bulk(copy.deepcopy(events), chunk_size=chunk).as_dict()
    assert got == expected
    assert _state(engine) == want
    assert want["wf_reservations"] and want["wf_unbacked_orders"]  # the stream exercised both outcomes
