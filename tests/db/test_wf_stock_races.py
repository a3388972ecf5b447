"""Many checkouts at once for one listing with little stock (SQLite's write transaction; PostgreSQL's conditional
UPDATEs under READ COMMITTED): what is reserved never exceeds what the passed lots held, no counter goes negative, and
each caller either holds all it asked for or nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.concurrency import at_once
from tests.db.builders import T0, H, cancelled, item, order_paid
from tests.db.test_wf_stock_service import FakeProgramme, level, passed_lot, seed_catalog

from anxin.core.errors import AnxinError
from anxin.worryfree import service as wf
from anxin.worryfree import stock
from anxin.worryfree.error_codes import WorryFreeErrorCode as E
from anxin.worryfree.store import LotRow, ReservationRow

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def _programme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stock, "PROGRAMME", FakeProgramme())


def _outcomes(out: list[object]) -> tuple[list[wf.Hold], list[AnxinError]]:
    won = [o for o in out if not isinstance(o, Exception)]
    lost = [o for o in out if isinstance(o, Exception)]
    assert all(isinstance(e, AnxinError) for e in lost), lost
    return won, lost  # type: ignore[return-value]


def _invariants(anxin) -> dict[str, int]:
    """Every lot's counters add up, and the live reservations are what the lots say is reserved."""
    with anxin.engine.connect() as conn:
        lots = conn.execute(sa.select(LotRow.lot_id, LotRow.quantity, LotRow.units_available, LotRow.units_reserved,
                                      LotRow.units_shipped, LotRow.units_removed)).all()
        live = dict(conn.execute(sa.select(ReservationRow.lot_id, sa.func.sum(ReservationRow.quantity)).where(
            ReservationRow.state.in_(["held", "confirmed"])).group_by(ReservationRow.lot_id)).all())
    for lot_id, qty, avail, reserved, shipped_, removed in lots:
        assert min(avail, reserved, shipped_) >= 0
        assert avail + reserved + shipped_ + removed == qty, lot_id
        assert int(live.get(lot_id, 0)) == reserved, lot_id
    return {"available": sum(r[2] for r in lots), "reserved": sum(r[3] for r in lots)}


@pytest.mark.parametrize(("stock_units", "callers", "qty"), [(7, 24, 1), (7, 16, 2), (1, 12, 1)])
def test_concurrent_checkouts_never_reserve_more_than_the_stock(anxin, stock_units, callers, qty):
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=stock_units - stock_units // 2)
    if stock_units // 2:
        passed_lot(anxin, "lot_b", quantity=stock_units // 2, expires="2027-12-01")
    won, lost = _outcomes(at_once(callers, lambda i: anxin.worryfree.hold(f"o{i}", [("l1", qty)])))
    assert len(won) == stock_units // qty  # every caller that could be served was, all or nothing
    assert {e.code for e in lost} == {E.OUT_OF_STOCK}
    assert all(sum(r.quantity for r in h.reservations) == qty for h in won)
    assert _invariants(anxin) == {"available": stock_units - len(won) * qty, "reserved": len(won) * qty}


def test_the_same_checkout_sent_at_once_holds_once(anxin):
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=10)
    won, lost = _outcomes(at_once(6, lambda i: anxin.worryfree.hold("o1", [("l1", 3)])))
    assert lost == [] and sum(h.created for h in won) == 1
    assert {tuple(r.reservation_id for r in h.reservations) for h in won} == {
        tuple(r.reservation_id for r in won[0].reservations)}
    assert level(anxin) == (7, 3, 0) and _invariants(anxin)["reserved"] == 3


def test_checkouts_payments_and_cancellations_at_once_keep_the_books(anxin):
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=5)
    for i in range(4):  # four paid orders, reserved at payment
        assert anxin.ingestion.ingest([order_paid(f"p{i}", items=[item("l1", 1)])]).applied == 1
    assert level(anxin) == (1, 4, 0)

    def work(i: int) -> object:
        if i < 4:
            return anxin.ingestion.ingest([cancelled(f"p{i}", at=T0 + H)])
        return anxin.worryfree.hold(f"c{i}", [("l1", 1)])

    out = at_once(12, work)
    holds = [o for o in out[4:] if not isinstance(o, Exception)]
    assert all(isinstance(o, AnxinError) and o.code is E.OUT_OF_STOCK for o in out[4:] if isinstance(o, Exception))
    assert 1 <= len(holds) <= 5
    assert _invariants(anxin) == {"available": 5 - len(holds), "reserved": len(holds)}


def test_concurrent_releases_give_units_back_once(anxin):
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=3)
    anxin.worryfree.hold("o1", [("l1", 3)])
    out = at_once(5, lambda i: anxin.worryfree.drop("o1"))
    assert not [o for o in out if isinstance(o, Exception)]
    assert level(anxin) == (3, 0, 0) and _invariants(anxin)["reserved"] == 0


def test_concurrent_expiry_and_payment_of_one_hold_end_consistent(anxin):
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=2)
    anxin.worryfree.hold("o1", [("l1", 2)])
    anxin.clock.advance(minutes=16)
    out = at_once(2, lambda i: anxin.worryfree.expire_holds() if i == 0 else anxin.ingestion.ingest(
        [order_paid("o1", items=[item("l1", 2)], paid_at=anxin.clock.now())]))
    assert not [o for o in out if isinstance(o, Exception)], out
    totals = _invariants(anxin)
    assert totals["available"] + totals["reserved"] == 2
    with anxin.uow_factory() as uow:
        from anxin.orders import service as orders
        order = orders.get_order(uow, "o1")
    # Either payment confirmed the hold before it expired, or it expired and payment reserved again: both backed.
    assert order is not None and order.fulfilled_from == "warehouse" and totals["reserved"] == 2


def test_a_plan_made_again_after_a_lost_take_may_come_back_to_a_lot_it_took_from(anxin, monkeypatch):
    """Plan [A:1, B:1]; A is taken; before B, another checkout takes B and a release gives a unit back to A; the
    plan made again takes A again: one reservation of 2 on A, never two rows for one lot (a duplicate key)."""
    seed_catalog(anxin)
    passed_lot(anxin, "lot_a", quantity=2, expires="2027-01-01")
    passed_lot(anxin, "lot_b", quantity=1, expires="2027-02-01")
    with anxin.uow_factory() as uow:  # one unit of A is someone else's, to be given back mid-plan
        wf.reserve(uow, holder="order:other", items=[("l1", 1)], at=T0, source="payment")
        uow.commit()
    original = stock.StockRepository.take
    raced: list[str] = []

    def take(self, lot_id: str, qty: int) -> bool:
        if lot_id == "lot_b" and not raced:
            raced.append(lot_id)
            assert original(self, "lot_b", 1)  # the concurrent checkout drains B ...
            wf.release(_Uow(self.session), holder="order:other", at=T0, reason="cancelled")  # ... A gets one back
        return original(self, lot_id, qty)

    monkeypatch.setattr(stock.StockRepository, "take", take)
    with anxin.uow_factory() as uow:
        made = wf.reserve(uow, holder="order:o1", items=[("l1", 2)], at=T0, source="payment")
        uow.commit()
    assert raced and [(r.lot_id, r.quantity) for r in made] == [("lot_a", 2)]


class _Uow:
    """The same session, as the release inside the fake take needs it."""

    def __init__(self, session: object) -> None:
        self.session = session

    def begin_write(self) -> None:
        pass
