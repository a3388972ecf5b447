"""The worry-free stock on a real database (SQLite; PostgreSQL with ANXIN_TEST_DATABASE_URL): lots received through
ingestion, verdicts, reservations FEFO within the shelf-life rule, checkout holds, payment, cancellation, shipment,
transfers and replays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.db.builders import T0, D, H, category, event, item, listing, order_paid, shop

from anxin.core.errors import AnxinError
from anxin.worryfree import service as wf
from anxin.worryfree import stock
from anxin.worryfree.error_codes import WorryFreeErrorCode as E
from anxin.worryfree.events import LotReceived, OrderUnbacked
from anxin.worryfree.store import ReservationRow, UnbackedOrderRow

pytestmark = pytest.mark.db


class FakeProgramme:
    """Enrolment and tag as the tag slice would answer them: sets of listing ids."""

    def __init__(self, enrolled: Sequence[str] = ("l1",), tagged: Sequence[str] = ("l1",)) -> None:
        self.enrolled_ids, self.tagged_ids = set(enrolled), set(tagged)

    def enrolled(self, session: Session, listing_ids: Sequence[str]) -> frozenset[str]:
        return frozenset(self.enrolled_ids & set(listing_ids))

    def tagged(self, session: Session, listing_ids: Sequence[str]) -> frozenset[str]:
        return frozenset(self.tagged_ids & set(listing_ids))


@pytest.fixture
def programme(monkeypatch: pytest.MonkeyPatch) -> FakeProgramme:
    fake = FakeProgramme()
    monkeypatch.setattr(stock, "PROGRAMME", fake)
    return fake


def lot_received(lot_id: str, listing_id: str = "l1", quantity: int = 10, *, produced: str = "2026-10-01",
                 expires: str = "2027-10-01", supplier_id: str = "sup1", at: dt.datetime = T0,
                 id: str | None = None) -> dict[str, object]:
    return event("warehouse.lot_received", {"lot_id": lot_id, "listing_id": listing_id, "quantity": quantity,
                                            "produced_on": produced, "expires_on": expires,
                                            "supplier_id": supplier_id, "received_at": at.isoformat()},
                 id=id, at=at)


def seed_catalog(anxin, *, tags: Sequence[str] = (), listings: Sequence[str] = ("l1", "l2")) -> None:
    result = anxin.ingestion.ingest([category(tags=tags), shop(), *(listing(lid) for lid in listings)])
    assert result.applied == 2 + len(listings), result


def passed_lot(anxin, lot_id: str, listing_id: str = "l1", quantity: int = 10, removed: int = 0,
               **kw: object) -> None:
    result = anxin.ingestion.ingest([lot_received(lot_id, listing_id, quantity, **kw)])  # type: ignore[arg-type]
    assert result.applied == 1, result
    with anxin.uow_factory() as uow:
        wf.set_lot_verdict(uow, lot_id, status="passed", units_removed=removed, at=T0)
        uow.commit()


def level(anxin, listing_id: str = "l1") -> tuple[int, int, int]:
    with anxin.uow_factory() as uow:
        s = wf.stock_of(uow, listing_id)
    return s.available, s.reserved, s.shipped


def test_a_lot_received_is_stored_with_the_listings_shop_and_published(anxin):
    seed_catalog(anxin)
    result = anxin.ingestion.ingest([lot_received("lot1", quantity=5)])
    assert result.applied == 1
    with anxin.uow_factory() as uow:
        got = wf.lot(uow, "lot1")
    assert got is not None and (got.shop_id, got.status.value, got.units_available, got.quantity) == (
        "s1", "received", 0, 5)
    again = anxin.ingestion.ingest([lot_received("lot1", quantity=5)])  # another event id, same lot: no change
    assert again.applied == 1
    assert level(anxin) == (0, 0, 0)


def test_a_lot_before_its_listing_waits_for_it(anxin):
    anxin.ingestion.ingest([category(), shop()])
    assert anxin.ingestion.ingest([lot_received("lot1")]).pending == 1
    assert anxin.ingestion.ingest([listing("l1")]).released == 1
    with anxin.uow_factory() as uow:
        assert wf.lot(uow, "lot1") is not None


def test_a_verdict_makes_stock_available_once(anxin):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=10, removed=2)
    assert level(anxin) == (8, 0, 0)
    with anxin.uow_factory() as uow, pytest.raises(AnxinError) as err:
        wf.set_lot_verdict(uow, "lot1", status="rejected", units_removed=0, at=T0)
    assert err.value.code is E.VERDICT_CONFLICT


def test_reserve_release_ship_move_units_between_counters(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=3)
    with anxin.uow_factory() as uow:
        made = wf.reserve(uow, holder="order:o9", items=[("l1", 2)], at=T0, source="payment")
        uow.commit()
    assert [(r.lot_id, r.quantity, r.state.value) for r in made] == [("lot1", 2, "confirmed")]
    assert level(anxin) == (1, 2, 0)
    with anxin.uow_factory() as uow, pytest.raises(AnxinError) as err:
        wf.reserve(uow, holder="order:o10", items=[("l1", 2)], at=T0, source="payment")
    assert err.value.code is E.OUT_OF_STOCK and err.value.details["short"] == [
        {"listing_id": "l1", "wanted": 2, "available": 1}]
    assert level(anxin) == (1, 2, 0)  # nothing of the failed reservation stays
    with anxin.uow_factory() as uow:
        wf.ship(uow, holder="order:o9", at=T0 + H)
        assert wf.release(uow, holder="order:o9", at=T0 + H, reason="late") == []  # shipped: nothing to release
        uow.commit()
    assert level(anxin) == (1, 0, 2)
