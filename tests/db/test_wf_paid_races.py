"""One order's stock under concurrent payments (real threads; SQLite's write transaction, PostgreSQL's READ COMMITTED):
the same ``order.paid`` ingested at once reserves once and answers the others as replays, never an IntegrityError; a
payment topping up a checkout hold from the lot it already holds keeps one row per lot; a FEFO plan made again after
a concurrent drain that comes back to a lot it took from sums into that lot's one reservation."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from tests.concurrency import at_once
from tests.db.builders import T0, item, order_paid
from tests.db.test_wf_stock_races import _invariants
from tests.db.test_wf_stock_service import FakeProgramme, level, passed_lot, seed_catalog

from anxin.core.errors import AnxinError
from anxin.orders.store import OrderRow
from anxin.worryfree import service as wf
from anxin.worryfree import stock
from anxin.worryfree.error_codes import WorryFreeErrorCode as E
from anxin.worryfree.store import ReservationRow

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def _programme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stock, "PROGRAMME", FakeProgramme())


def _rows(anxin, holder: str) -> list[tuple[str, int, str]]:
    with anxin.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(ReservationRow.lot_id, ReservationRow.quantity, ReservationRow.state)
            .where(ReservationRow.holder == holder).order_by(ReservationRow.lot_id))]


@pytest.mark.parametrize("same_event_id", [True, False], ids=["retried-event", "second-event"])
def test_the_same_order_paid_at_once_reserves_once(anxin, same_event_id):
    """Small lots, so a loser's plan may find its first lot drained by the winner and move on to the next one: it must
    still see the winner's order and reserve nothing (no second set of units for one order, no duplicate key)."""
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=2, expires="2027-01-01")
    passed_lot(anxin, "lot_b", quantity=2, expires="2027-02-01")
    passed_lot(anxin, "lot_c", quantity=10, expires="2027-03-01")
    callers = 6
    out = at_once(callers, lambda i: anxin.ingestion.ingest(
        [order_paid("o1", items=[item("l1", 2)], id="pay-o1" if same_event_id else f"pay-o1-{i}")]))
    errors = [o for o in out if isinstance(o, Exception)]
    assert errors == []
    assert sum(r.applied for r in out) == (1 if same_event_id else callers)
    assert sum(r.applied + r.duplicates for r in out) == callers and not any(r.rejected for r in out)
    assert _rows(anxin, "order:o1") == [("lot_a", 2, "confirmed")]
    assert level(anxin) == (12, 2, 0) and _invariants(anxin)["reserved"] == 2
    with anxin.engine.connect() as conn:
        assert conn.execute(sa.select(OrderRow.fulfilled_from).where(OrderRow.order_id == "o1")).all() == [
            ("warehouse",)]


def test_a_hold_and_the_payment_of_its_order_at_once_reserve_once(anxin):
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=1, expires="2027-01-01")
    passed_lot(anxin, "lot_b", quantity=10, expires="2027-02-01")
    out = at_once(4, lambda i: anxin.worryfree.hold("o1", [("l1", 1)]) if i % 2 else anxin.ingestion.ingest(
        [order_paid("o1", items=[item("l1", 1)], id=f"pay-o1-{i}")]))
    # A hold after the payment is a conflict (the order was paid); a payment after the hold confirms it.
    errors = [o for o in out if isinstance(o, Exception)]
    assert all(isinstance(e, AnxinError) and e.code is E.RESERVATION_CONFLICT for e in errors), errors
    live = [r for r in _rows(anxin, "order:o1") if r[2] in ("held", "confirmed")]
    assert sum(q for _, q, _ in live) == 1 and {s for _, _, s in live} == {"confirmed"}
    assert _invariants(anxin)["reserved"] == 1


def test_a_payment_tops_up_a_checkout_hold_from_the_lot_it_holds(anxin):
    """Held 1 at checkout, paid for 3: the two more come from the same first-expiring lot, into its one row."""
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=10)
    anxin.worryfree.hold("o1", [("l1", 1)])
    result = anxin.ingestion.ingest([order_paid("o1", items=[item("l1", 3)])])
    assert result.applied == 1, result.as_dict()
    assert _rows(anxin, "order:o1") == [("lot_a", 3, "confirmed")]
    assert level(anxin) == (7, 3, 0) and _invariants(anxin)["reserved"] == 3


def test_a_plan_made_again_after_a_concurrent_drain_sums_the_lot_it_came_back_to(anxin, monkeypatch):
    """o1 asks for 2 and plans [A:1, B:1] from what it read. Before it takes anything, another transaction (its own
    thread and connection) reserves A's last unit and B's, and a third gives two units back to A. o1's take of B then
    finds nothing (PostgreSQL), the plan made again takes A once more: one row of 2 on A. On SQLite o1 holds the
    write transaction from before its read, the others wait for it, and the plan is made once."""
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=3, expires="2027-01-01")
    passed_lot(anxin, "lot_b", quantity=1, expires="2027-02-01")
    with anxin.uow_factory() as uow:
        wf.reserve(uow, holder="order:other", items=[("l1", 2)], at=T0, source="order_paid")
        uow.commit()
    planned, go = threading.Event(), threading.Event()
    reads: list[str] = []
    original = stock.StockRepository.pickable

    def pickable(self, listing_id: str):  # the real read; o1's first one then waits for the others to act
        lots = original(self, listing_id)
        if threading.current_thread().name == "o1":
            reads.append(",".join(f"{lt.lot_id}:{lt.units_available}" for lt in lots))
            if len(reads) == 1:
                planned.set()
                go.wait(3)  # SQLite: the others wait on o1's write transaction; it goes on alone
        return lots

    monkeypatch.setattr(stock.StockRepository, "pickable", pickable)
    made: list[object] = []

    def o1() -> None:
        try:
            with anxin.uow_factory() as uow:
                made.extend(wf.reserve(uow, holder="order:o1", items=[("l1", 2)], at=T0, source="order_paid"))
                uow.commit()
        except Exception as exc:  # asserted below
            made.append(exc)

    thread = threading.Thread(target=o1, name="o1")
    thread.start()
    assert planned.wait(10)
    others = threading.Thread(target=_drain_then_give_back, args=(anxin,))
    others.start()
    if anxin.engine.dialect.name == "postgresql":
        others.join(10)
        assert not others.is_alive()
    go.set()
    thread.join(20)
    others.join(20)
    assert not [m for m in made if isinstance(m, Exception)], made
    assert reads[0] == "lot_a:1,lot_b:1"
    if anxin.engine.dialect.name == "postgresql":
        assert reads[1:] == ["lot_a:1"]  # the plan was made again, and came back to A
        assert [(r.lot_id, r.quantity) for r in made] == [("lot_a", 2)]
        assert _rows(anxin, "order:o1") == [("lot_a", 2, "confirmed")]
        assert _invariants(anxin)["available"] == 0
    else:
        assert reads == ["lot_a:1,lot_b:1"]
        assert _rows(anxin, "order:o1") == [("lot_a", 1, "confirmed"), ("lot_b", 1, "confirmed")]
        assert _invariants(anxin)["available"] == 2  # the drain found nothing left; A got its two back


def _drain_then_give_back(anxin) -> None:
    try:
        with anxin.uow_factory() as uow:  # A's last unit and B's
            wf.reserve(uow, holder="order:drain", items=[("l1", 2)], at=T0, source="order_paid")
            uow.commit()
    except AnxinError as exc:  # SQLite: o1 reserved first, nothing is left
        assert exc.code is E.OUT_OF_STOCK
    with anxin.uow_factory() as uow:  # two units back to A
        wf.release(uow, holder="order:other", at=T0, reason="order_cancelled")
        uow.commit()
