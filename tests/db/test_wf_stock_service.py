"""The worry-free stock on a real database (SQLite; PostgreSQL with ANXIN_TEST_DATABASE_URL): lots received through
ingestion, verdicts, reservations FEFO within the shelf-life rule, checkout holds, payment, cancellation, shipment,
transfers and replays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.db.builders import T0, H, cancelled, category, event, item, listing, order_paid, shipped, shop

from anxin.core.errors import AnxinError
from anxin.worryfree import service as wf
from anxin.worryfree import stock
from anxin.worryfree.error_codes import WorryFreeErrorCode as E
from anxin.worryfree.store import UnbackedOrderRow

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
    # Received the day it was made (whole shelf life left), so the inbound inspection's shelf-life check passes
    # it; the shipment-side share these tests probe is then only a matter of the lot's dates.
    if "produced" in kw and "at" not in kw:
        made = dt.date.fromisoformat(str(kw["produced"]))
        kw["at"] = min(T0, dt.datetime.combine(made, dt.time(12), tzinfo=dt.timezone(dt.timedelta(hours=8))))
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
        "s1", "inspecting", 0, 5)  # the inspection slice plans it on receipt
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
        made = wf.reserve(uow, holder="order:o9", items=[("l1", 2)], at=T0, source="order_paid")
        uow.commit()
    assert [(r.lot_id, r.quantity, r.state.value) for r in made] == [("lot1", 2, "confirmed")]
    assert level(anxin) == (1, 2, 0)
    with anxin.uow_factory() as uow, pytest.raises(AnxinError) as err:
        wf.reserve(uow, holder="order:o10", items=[("l1", 2)], at=T0, source="order_paid")
    assert err.value.code is E.OUT_OF_STOCK and err.value.details["short"] == [
        {"listing_id": "l1", "wanted": 2, "available": 1}]
    assert level(anxin) == (1, 2, 0)  # nothing of the failed reservation stays
    with anxin.uow_factory() as uow:
        wf.ship(uow, holder="order:o9", at=T0 + H)
        assert wf.release(uow, holder="order:o9", at=T0 + H, reason="late") == []  # shipped: nothing to release
        uow.commit()
    assert level(anxin) == (1, 0, 2)


# --- FEFO and shelf life at shipment ---------------------------------------------------------------------------

SHIP_DAY = dt.date(2026, 11, 3)  # T0 is 10:00 in Beijing on 11-02; the warehouse ships within 24 h


def _dates(left_days: int, whole_days: int = 100) -> dict[str, str]:
    """A lot whose remaining shelf life on the ship-by day is left_days of whole_days."""
    expires = SHIP_DAY + dt.timedelta(days=left_days)
    return {"produced": (expires - dt.timedelta(days=whole_days)).isoformat(), "expires": expires.isoformat()}


def _reserve(anxin, holder: str, qty: int, listing_id: str = "l1") -> list[tuple[str, int]]:
    with anxin.uow_factory() as uow:
        made = wf.reserve(uow, holder=holder, items=[(listing_id, qty)], at=T0, source="order_paid")
        uow.commit()
    return [(r.lot_id, r.quantity) for r in made]


def test_fefo_takes_the_first_expiring_lot_first_then_the_next(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "late", quantity=5, **_dates(90))
    passed_lot(anxin, "early", quantity=2, **_dates(60))
    passed_lot(anxin, "same_b", quantity=1, **_dates(70), at=T0 - H)
    passed_lot(anxin, "same_a", quantity=1, **_dates(70), at=T0 - H)  # same expiry and arrival: by lot id
    passed_lot(anxin, "same_c", quantity=1, **_dates(70), at=T0 - 2 * H)  # same expiry, received earlier
    assert _reserve(anxin, "order:a", 3) == [("early", 2), ("same_c", 1)]
    assert _reserve(anxin, "order:b", 3) == [("same_a", 1), ("same_b", 1), ("late", 1)]
    assert level(anxin) == (4, 6, 0)


@pytest.mark.parametrize(("tags", "left", "taken"), [
    ((), 33, True), ((), 32, False),  # default: at least 0.33 at shipment
    (("food",), 50, True), (("food",), 49, False),  # food: at least 0.5
    (("fresh", "cosmetics"), 50, True), (("fresh", "cosmetics"), 49, False),  # the strictest tag applies
])
def test_a_lot_exactly_at_the_minimum_share_at_shipment_ships_one_day_less_does_not(anxin, programme, tags, left,
                                                                                    taken):
    seed_catalog(anxin, tags=tags)
    passed_lot(anxin, "lot1", quantity=1, **_dates(left))
    if taken:
        assert _reserve(anxin, "order:a", 1) == [("lot1", 1)]
    else:
        with anxin.uow_factory() as uow, pytest.raises(AnxinError) as err:
            wf.reserve(uow, holder="order:a", items=[("l1", 1)], at=T0, source="order_paid")
        assert err.value.code is E.OUT_OF_STOCK
        assert err.value.details["short"] == [{"listing_id": "l1", "wanted": 1, "available": 0}]


def test_stock_is_depleted_only_when_every_passed_lot_is_empty(anxin, programme):
    """The depletion check counts a listing only when the plan emptied every lot it read: a lot left with units, or
    one too short-lived to ship but still in stock, keeps the listing off zero."""
    seed_catalog(anxin)
    passed_lot(anxin, "first", quantity=2, **_dates(80))
    passed_lot(anxin, "second", quantity=2, **_dates(90))
    passed_lot(anxin, "short", quantity=1, **_dates(10))  # in stock, but below the minimum share at shipment
    passed_lot(anxin, "l2_a", "l2", quantity=1, **_dates(80))
    passed_lot(anxin, "l2_b", "l2", quantity=2, **_dates(90))

    def depleted(holder: str, items: list[tuple[str, int]]) -> list[str]:
        with anxin.uow_factory() as uow:
            wf.reserve(uow, holder=holder, items=items, at=T0, source="order_paid")
            uow.commit()
            return [e.listing_id for e in uow.published if type(e).__name__ == "StockDepleted"]

    assert depleted("order:a", [("l1", 2), ("l2", 1)]) == []  # "first" and "l2_a" emptied, the others hold units
    assert depleted("order:b", [("l1", 2)]) == []  # all l1 could ship is gone; "short" still counts as stock
    assert level(anxin) == (1, 4, 0)
    assert depleted("order:c", [("l2", 2)]) == ["l2"]
    assert level(anxin, "l2") == (0, 3, 0)


def test_a_short_lot_is_skipped_for_a_fresher_one_not_a_reason_to_fail(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "old", quantity=5, **_dates(10))
    passed_lot(anxin, "fresh", quantity=5, **_dates(80))
    assert _reserve(anxin, "order:a", 2) == [("fresh", 2)]
    with anxin.uow_factory() as uow:
        made = wf.reservations(uow, "order:a")
    assert made[0].facts["share_at_ship_day"] == "4/5" and made[0].facts["min_share_at_shipment"] == "33/100"
    assert made[0].rule_ids == ("worryfree.stock.fefo", "worryfree.shelf_life.at_shipment")


def test_stock_at_zero_reserves_the_last_unit_then_nothing(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=3)
    with anxin.uow_factory() as uow:
        wf.reserve(uow, holder="order:a", items=[("l1", 2)], at=T0, source="order_paid")
        assert [e for e in uow._events if type(e).__name__ == "StockDepleted"] == []
        wf.reserve(uow, holder="order:b", items=[("l1", 1)], at=T0, source="order_paid")
        assert [e.listing_id for e in uow._events if type(e).__name__ == "StockDepleted"] == ["l1"]
        uow.commit()
    assert level(anxin) == (0, 3, 0)
    with anxin.uow_factory() as uow, pytest.raises(AnxinError) as err:
        wf.reserve(uow, holder="order:c", items=[("l1", 1)], at=T0, source="order_paid")
    assert err.value.code is E.OUT_OF_STOCK


def test_all_or_nothing_across_items(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=3)
    passed_lot(anxin, "lot2", "l2", quantity=1)
    with anxin.uow_factory() as uow, pytest.raises(AnxinError) as err:
        wf.reserve(uow, holder="order:a", items=[("l1", 2), ("l2", 2)], at=T0, source="order_paid")
    assert err.value.details["short"] == [{"listing_id": "l2", "wanted": 2, "available": 1}]
    assert level(anxin) == (3, 0, 0) and level(anxin, "l2") == (1, 0, 0)


def test_unjudged_and_rejected_lots_are_never_reserved(anxin, programme):
    seed_catalog(anxin)
    anxin.ingestion.ingest([lot_received("waiting", quantity=5), lot_received("bad", quantity=5)])
    with anxin.uow_factory() as uow:
        wf.set_lot_verdict(uow, "bad", status="rejected", units_removed=0, at=T0)
        uow.commit()
    with anxin.uow_factory() as uow, pytest.raises(AnxinError):
        wf.reserve(uow, holder="order:a", items=[("l1", 1)], at=T0, source="order_paid")
    with anxin.uow_factory() as uow:
        assert wf.stock_of(uow, "l1").lots_by_status == {"inspecting": 1, "rejected": 1}


# --- the orders' hooks through ingestion ------------------------------------------------------------------------

def _order(anxin, order_id: str = "o1"):
    with anxin.uow_factory() as uow:
        from anxin.orders import service as orders
        return orders.get_order(uow, order_id)


def _states(anxin, holder: str = "order:o1") -> list[tuple[str, int, str]]:
    with anxin.uow_factory() as uow:
        return [(r.lot_id, r.quantity, r.state.value) for r in wf.reservations(uow, holder)]


def test_a_paid_order_of_an_enrolled_tagged_listing_reserves_and_ships_from_the_warehouse(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=5)
    assert anxin.ingestion.ingest([order_paid(items=[item("l1", 2)])]).applied == 1
    o = _order(anxin)
    assert (o.fulfilled_from, o.worry_free, o.prize_of) == ("warehouse", True, None)
    assert o.promise is not None and (o.promise.basis, o.promise.rule_id) == ("warehouse", "fulfilment.warehouse")
    assert o.promise.ship_by == T0 + 24 * H
    assert _states(anxin) == [("lot1", 2, "confirmed")]
    assert anxin.ingestion.ingest([shipped("o1")]).applied == 1
    assert _states(anxin) == [("lot1", 2, "shipped")] and level(anxin) == (3, 0, 2)


def test_an_enrolled_listing_without_the_tag_is_warehouse_but_not_worry_free(anxin, programme):
    programme.tagged_ids = set()
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=5)
    anxin.ingestion.ingest([order_paid(items=[item("l1", 1)])])
    o = _order(anxin)
    assert (o.fulfilled_from, o.worry_free) == ("warehouse", False)


def test_a_listing_not_enrolled_keeps_its_own_promise_and_touches_no_stock(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot2", "l2", quantity=5)
    anxin.ingestion.ingest([order_paid(items=[item("l2", 1)])])
    o = _order(anxin)
    assert (o.fulfilled_from, o.worry_free, o.promise.basis) == (None, False, "in_stock_default")
    assert level(anxin, "l2") == (5, 0, 0)


def test_a_paid_order_without_stock_is_recorded_unbacked_and_sold_without_the_guarantee(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=1)
    anxin.ingestion.ingest([order_paid(items=[item("l1", 2)])])
    o = _order(anxin)
    assert (o.fulfilled_from, o.worry_free, o.promise.basis) == (None, False, "in_stock_default")
    assert level(anxin) == (1, 0, 0)  # nothing half-reserved
    with anxin.engine.connect() as conn:
        rows = conn.execute(sa.select(UnbackedOrderRow.order_id, UnbackedOrderRow.quantity,
                                      UnbackedOrderRow.available, UnbackedOrderRow.reason)).all()
    assert [tuple(r) for r in rows] == [("o1", 2, 1, "out_of_stock")]


def test_a_checkout_hold_is_confirmed_by_payment_not_reserved_twice(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=3)
    hold = anxin.worryfree.hold("o1", [("l1", 2)])
    assert hold.created and _states(anxin) == [("lot1", 2, "held")]
    anxin.ingestion.ingest([order_paid(items=[item("l1", 2)])])
    assert _states(anxin) == [("lot1", 2, "confirmed")] and level(anxin) == (1, 2, 0)
    assert _order(anxin).fulfilled_from == "warehouse"
    anxin.clock.advance(minutes=30)
    assert anxin.worryfree.expire_holds() == 0  # confirmed: no longer a hold


def test_an_expired_hold_gives_its_units_back_and_payment_reserves_again(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=2)
    anxin.worryfree.hold("o1", [("l1", 2)])
    anxin.clock.advance(minutes=14, seconds=59)
    assert anxin.worryfree.expire_holds() == 0
    anxin.clock.advance(seconds=1)  # exactly checkout_hold_minutes later
    assert anxin.worryfree.expire_holds() == 1 and level(anxin) == (2, 0, 0)
    assert _states(anxin) == [("lot1", 2, "expired")]
    anxin.ingestion.ingest([order_paid(items=[item("l1", 2)], paid_at=T0 + 20 * dt.timedelta(minutes=1))])
    assert _states(anxin) == [("lot1", 2, "confirmed")] and level(anxin) == (0, 2, 0)


def test_cancellation_releases_once_and_replays_change_nothing(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=3)
    paid = order_paid(items=[item("l1", 2)])
    anxin.ingestion.ingest([paid, dict(paid)])  # the same event twice
    anxin.ingestion.ingest([order_paid(items=[item("l1", 2)])])  # another event id for the same order
    assert level(anxin) == (1, 2, 0)
    anxin.ingestion.ingest([cancelled("o1"), cancelled("o1", at=T0 + 2 * H)])
    assert level(anxin) == (3, 0, 0) and _states(anxin) == [("lot1", 2, "released")]


def test_a_lucky_bags_stock_moves_to_a_prize_order(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=2, **_dates(60))
    passed_lot(anxin, "lot2", quantity=2, **_dates(80))
    with anxin.uow_factory() as uow:
        wf.reserve(uow, holder="bag:b1", items=[("l1", 3)], at=T0, source="lucky_bag")
        moved = wf.transfer(uow, from_holder="bag:b1", to_holder="order:p1", listing_id="l1", qty=2, at=T0)
        with pytest.raises(AnxinError) as err:
            wf.transfer(uow, from_holder="bag:b1", to_holder="order:p2", listing_id="l1", qty=2, at=T0)
        uow.commit()
    assert err.value.code is E.OUT_OF_STOCK
    assert [(r.lot_id, r.quantity) for r in moved] == [("lot1", 2)]
    assert sorted(_states(anxin, "bag:b1")) == [("lot1", 2, "released"), ("lot2", 1, "confirmed")]
    assert level(anxin) == (1, 3, 0)
    with anxin.uow_factory() as uow:
        wf.release(uow, holder="bag:b1", at=T0, reason="draw_done")
        uow.commit()
    assert level(anxin) == (2, 2, 0)  # the prize keeps its units, the bag's unused one is back


def test_units_given_back_to_an_empty_listing_publish_that_it_has_stock_again(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot1", quantity=2)
    with anxin.uow_factory() as uow:
        wf.reserve(uow, holder="order:a", items=[("l1", 1)], at=T0, source="order_paid")
        wf.reserve(uow, holder="order:b", items=[("l1", 1)], at=T0, source="order_paid")
        wf.release(uow, holder="order:a", at=T0, reason="cancelled")  # 0 -> 1: stock again
        wf.reserve(uow, holder="order:c", items=[("l1", 1)], at=T0, source="order_paid")
        wf.release(uow, holder="order:c", at=T0, reason="cancelled")
        wf.release(uow, holder="order:b", at=T0, reason="cancelled")  # 1 -> 2: not news
        names = [(type(e).__name__, getattr(e, "available", None)) for e in uow._events
                 if type(e).__name__ in ("StockDepleted", "StockReplenished")]
        uow.commit()
    assert names == [("StockDepleted", None), ("StockReplenished", 1), ("StockDepleted", None),
                     ("StockReplenished", 1)]


def test_a_hold_of_a_listing_no_longer_enrolled_is_still_confirmed_by_payment(anxin, programme):
    seed_catalog(anxin)
    passed_lot(anxin, "lot2", "l2", quantity=2)
    anxin.worryfree.hold("o1", [("l2", 1)])  # l2 is not enrolled (withdrawn after the lot came in, say)
    anxin.ingestion.ingest([order_paid(items=[item("l2", 1)])])
    assert _states(anxin) == [("lot2", 1, "confirmed")]
    assert (_order(anxin).fulfilled_from, _order(anxin).worry_free) == ("warehouse", False)
