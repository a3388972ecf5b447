"""Lucky bags on a real database (SQLite; PostgreSQL with ANXIN_TEST_DATABASE_URL): campaigns reserve their prize
stock, entries at the window's bounds, the draw (idempotent, one result under concurrent draws), prize orders with
the warehouse promise and the same after-sales, the platform told to ship them, leftovers released, and the
creator's score facts leaving prize orders out while the shop's count them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from tests.concurrency import at_once
from tests.db.builders import MIN, T0, H, category, event, listing, shop

from anxin.aftersales.service import FileCase
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.orders import service as orders
from anxin.warehouse import FactExtractor
from anxin.worryfree import draw as d
from anxin.worryfree import service as wf
from anxin.worryfree.error_codes import WorryFreeErrorCode as WE
from anxin.worryfree.lucky_bag_error_codes import LuckyBagErrorCode as E
from anxin.worryfree.lucky_bags import NewBag, NewEntry, prize_order_id

pytestmark = pytest.mark.db

US = dt.timedelta(microseconds=1)
CREATOR = Principal("k_cr", Role.CREATOR, "cr1")
MERCHANT = Principal("k_m1", Role.MERCHANT, "m1")
OTHER_MERCHANT = Principal("k_m2", Role.MERCHANT, "m2")
PLATFORM = Principal("k_pf", Role.PLATFORM, "platform")
OPERATOR = Principal("k_op", Role.OPERATOR, "ops")
OPENS, CLOSES = T0 + H, T0 + 2 * H


def lot_received(lot_id: str, listing_id: str, quantity: int) -> dict[str, object]:
    return event("warehouse.lot_received", {"lot_id": lot_id, "listing_id": listing_id, "quantity": quantity,
                                            "produced_on": "2026-10-01", "expires_on": "2027-10-01",
                                            "supplier_id": "sup1", "received_at": T0.isoformat()}, at=T0)


@pytest.fixture
def world(anxin):
    """Shop s1 (merchant m1) with listings l1, l2 (tagged) and l3 (not tagged); 5 passed units of each."""
    result = anxin.ingestion.ingest([category(), shop(), *(listing(lid) for lid in ("l1", "l2", "l3")),
                                     *(lot_received(f"lot_{lid}", lid, 5) for lid in ("l1", "l2", "l3"))])
    assert result.applied == 8, result
    with anxin.uow_factory() as uow:
        for lid in ("l1", "l2", "l3"):
            wf.set_lot_verdict(uow, f"lot_{lid}", status="passed", units_removed=0, at=T0)
        uow.commit()
    anxin.lucky_bags.tagged = lambda uow, ids: frozenset(ids) & {"l1", "l2"}
    return anxin


def level(anxin, listing_id: str) -> tuple[int, int, int]:
    with anxin.uow_factory() as uow:
        s = wf.stock_of(uow, listing_id)
    return s.available, s.reserved, s.shipped


def new_bag(anxin, who: Principal = CREATOR, prizes: Sequence[tuple[str, int]] = (("l1", 2), ("l2", 1)),
            **kw: object) -> dict[str, object]:
    cmd = NewBag(live_room_id="room1", shop_id=str(kw.pop("shop_id", "s1")), prizes=tuple(prizes),
                 opens_at=OPENS, closes_at=CLOSES, title="福袋", **kw)  # type: ignore[arg-type]
    return anxin.lucky_bags.create(who, cmd)


def enter(anxin, bag_id: str, consumer: str, at: dt.datetime = OPENS, region: str = "CN-ZJ-HZ"):
    return anxin.lucky_bags.enter(PLATFORM, bag_id, NewEntry(consumer, region, at))


def code(exc: pytest.ExceptionInfo[AnxinError]) -> object:
    return exc.value.code


# --- campaigns -----------------------------------------------------------------------------------------------------

def test_a_bag_reserves_its_prize_stock_and_shows_only_the_seeds_hash(world):
    bag = new_bag(world)
    assert bag["state"] == "open" and bag["creator_id"] == "cr1" and bag["seed"] is None
    assert len(str(bag["seed_hash"])) == 64 and bag["prize_units"] == 3
    assert level(world, "l1") == (3, 2, 0) and level(world, "l2") == (4, 1, 0)
    with world.uow_factory() as uow:
        held = wf.reservations(uow, wf.bag_holder(str(bag["bag_id"])))
    assert sorted((r.listing_id, r.quantity, r.source.value) for r in held) == [
        ("l1", 2, "lucky_bag"), ("l2", 1, "lucky_bag")]


@pytest.mark.parametrize(("who", "prizes", "kw", "expected"), [
    (CREATOR, (("l3", 1),), {}, E.NOT_TAGGED),              # l3 does not carry the worry-free tag
    (CREATOR, (("l1", 1),), {"shop_id": "s9"}, E.FORBIDDEN),  # no such shop
    (OTHER_MERCHANT, (("l1", 1),), {}, E.FORBIDDEN),         # not m2's shop
    (CREATOR, (("l1", 6),), {}, WE.OUT_OF_STOCK),            # 5 passed units
    (CREATOR, (), {}, E.INVALID),
    (CREATOR, (("l1", 1), ("l1", 1)), {}, E.INVALID),
])
def test_a_bag_is_refused_with_its_reason_and_holds_nothing(world, who, prizes, kw, expected):
    with pytest.raises(AnxinError) as exc:
        new_bag(world, who, prizes, **kw)
    assert code(exc) is expected
    assert level(world, "l1") == (5, 0, 0)


def test_a_merchant_creates_a_bag_for_its_own_shop(world):
    bag = new_bag(world, MERCHANT, creator_id="cr7")
    assert bag["creator_id"] == "cr7" and bag["created_by"] == "merchant:m1"
    assert [b["bag_id"] for b in world.lucky_bags.list(MERCHANT)] == [bag["bag_id"]]
    assert world.lucky_bags.list(CREATOR) == []
    with pytest.raises(AnxinError) as exc:
        world.lucky_bags.get(OTHER_MERCHANT, str(bag["bag_id"]))
    assert code(exc) is E.NOT_FOUND


# --- entries -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "region", "eligible", "reasons"), [
    (OPENS - US, "CN-ZJ-HZ", False, ["before_window"]),
    (OPENS, "CN-ZJ-HZ", True, ["eligible"]),          # the window opens inclusive
    (CLOSES - US, "CN-ZJ-HZ", True, ["eligible"]),
    (CLOSES, "CN-ZJ-HZ", False, ["after_window"]),    # and closes exclusive
    (OPENS, "CN-HK", False, ["region_not_allowed"]),
    (CLOSES, "US-CA", False, ["after_window", "region_not_allowed"]),
])
def test_entries_at_the_windows_bounds(world, clock, at, region, eligible, reasons):
    bag = new_bag(world)
    clock.set(CLOSES + H)
    entry, created = enter(world, str(bag["bag_id"]), "c1", at, region)
    assert created and entry["eligible"] is eligible and entry["reasons"] == reasons
    assert entry["rule_ids"][0] == "lucky_bags.entry.window"
    assert entry["rulebook_version"] == "worryfree-lucky-bags-2026.12.1"


def test_one_entry_per_consumer_even_at_once(world, clock):
    bag_id = str(new_bag(world)["bag_id"])
    clock.set(OPENS + 5 * MIN)
    results = at_once(4, lambda i: enter(world, bag_id, "c1", OPENS + i * MIN))
    assert sum(1 for _, created in results if created) == 1
    assert len({e["entry_id"] for e, _ in results}) == 1
    assert len(world.lucky_bags.entries(CREATOR, bag_id)) == 1


def test_an_entry_in_the_future_is_refused(world, clock):
    bag_id = str(new_bag(world)["bag_id"])
    clock.set(OPENS)
    with pytest.raises(AnxinError) as exc:
        enter(world, bag_id, "c1", OPENS + US)
    assert code(exc) is E.INVALID


# --- the draw -------------------------------------------------------------------------------------------------------

def drawn_world(world, clock, consumers: Sequence[str] = ("c1", "c2", "c3", "c4")) -> dict[str, object]:
    bag_id = str(new_bag(world)["bag_id"])
    clock.set(OPENS + MIN)
    for c in consumers:
        enter(world, bag_id, c, OPENS + MIN)
    enter(world, bag_id, "c_hk", OPENS + MIN, region="CN-HK")  # not eligible: never drawn
    clock.set(CLOSES)
    bag, drawn = world.lucky_bags.draw(CREATOR, bag_id)
    assert drawn
    return bag


def test_the_draw_waits_for_the_close(world, clock):
    bag_id = str(new_bag(world)["bag_id"])
    clock.set(CLOSES - US)
    with pytest.raises(AnxinError) as exc:
        world.lucky_bags.draw(CREATOR, bag_id)
    assert code(exc) is E.WINDOW_NOT_CLOSED


def test_the_draw_makes_zero_price_prize_orders_under_the_warehouse_promise(world, clock, transport):
    bag = drawn_world(world, clock)
    bag_id = str(bag["bag_id"])
    audit = bag["audit"]
    assert isinstance(audit, dict) and bag["seed"] is not None and d.seed_hash(str(bag["seed"])) == bag["seed_hash"]
    assert audit["entrants"] == 4 and audit["prize_units"] == 3
    assert {(c["numerator"], c["denominator"]) for c in audit["chances"]} == {(3, 4)}
    assert "c_hk" not in {c["entrant_id"] for c in audit["chances"]}
    assert audit["entrants_digest"] == d.entrants_digest(["c1", "c2", "c3", "c4"])
    result = d.draw(bag_id=bag_id, seed=str(bag["seed"]), committed_hash=str(bag["seed_hash"]),
                    entrant_ids=["c1", "c2", "c3", "c4"], prizes=[("l1", 2), ("l2", 1)])
    assert result.as_dict()["winners"] == audit["winners"]  # anyone can recompute it
    winners = bag["winners"]
    assert isinstance(winners, list) and [w["listing_id"] for w in winners] == ["l1", "l1", "l2"]
    with world.uow_factory() as uow:
        for w in winners:
            o = orders.get_order(uow, w["order_id"])
            assert o is not None and o.order_id == prize_order_id(bag_id, w["position"])
            assert (o.paid_fen, o.prize_of, o.fulfilled_from, o.worry_free, o.creator_id, o.consumer_id) == (
                0, bag_id, "warehouse", True, "cr1", w["consumer_id"])
            assert o.promise is not None and o.promise.basis == "warehouse"
            assert o.promise.ship_by == CLOSES + 24 * H
            assert [(r.listing_id, r.quantity) for r in wf.reservations(uow, wf.order_holder(o.order_id))] == [
                (w["listing_id"], 1)]
    assert level(world, "l1") == (3, 2, 0) and level(world, "l2") == (4, 1, 0)  # the prizes stay reserved
    ships = [m for m in world.outbox.list_messages() if m.kind == "prize.ship"]
    assert sorted(m.payload["order_id"] for m in ships) == sorted(w["order_id"] for w in winners)
    assert all(m.amount_fen is None and m.payload["paid_fen"] == 0 for m in ships)


def test_units_nobody_won_go_back_to_stock(world, clock):
    bag = drawn_world(world, clock, consumers=("c1",))
    assert [w["listing_id"] for w in bag["winners"]] == ["l1"]  # type: ignore[union-attr]
    assert sorted((r["listing_id"], r["quantity"]) for r in bag["released"]) == [("l1", 1), ("l2", 1)]  # type: ignore[union-attr]
    assert level(world, "l1") == (4, 1, 0) and level(world, "l2") == (5, 0, 0)
    assert bag["audit"]["undrawn"] == [{"listing_id": "l1", "units": 1}, {"listing_id": "l2", "units": 1}]  # type: ignore[index]


def test_a_second_draw_answers_the_first(world, clock):
    bag = drawn_world(world, clock)
    again, drawn = world.lucky_bags.draw(CREATOR, str(bag["bag_id"]))
    assert not drawn and again["audit"] == bag["audit"] and again["winners"] == bag["winners"]
    with pytest.raises(AnxinError) as exc:
        enter(world, str(bag["bag_id"]), "c9", OPENS + MIN)
    assert code(exc) is E.NOT_OPEN


def test_concurrent_draws_give_one_result(world, clock):
    bag_id = str(new_bag(world)["bag_id"])
    clock.set(OPENS + MIN)
    for i in range(6):
        enter(world, bag_id, f"c{i}", OPENS + MIN)
    clock.set(CLOSES)
    results = at_once(4, lambda i: world.lucky_bags.draw(CREATOR if i % 2 else PLATFORM, bag_id))
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert sum(1 for _, drawn in results if drawn) == 1
    assert len({str(b["winners"]) for b, _ in results}) == 1
    with world.uow_factory() as uow:
        prizes = [o for o in (orders.get_order(uow, prize_order_id(bag_id, p)) for p in range(1, 7)) if o]
    assert len(prizes) == 3
    assert level(world, "l1") == (3, 2, 0)


@pytest.mark.parametrize(("who", "after", "expected"), [
    (CREATOR, 72 * H - US, None),
    (CREATOR, 72 * H, E.OWNER_WINDOW_PASSED),
    (OPERATOR, 72 * H - US, E.FORBIDDEN),
    (OPERATOR, 72 * H, None),
    (OTHER_MERCHANT, H, E.NOT_FOUND),
])
def test_who_may_draw_and_when(world, clock, who, after, expected):
    bag_id = str(new_bag(world)["bag_id"])
    clock.set(CLOSES + after)
    if expected is None:
        assert world.lucky_bags.draw(who, bag_id)[1]
    else:
        with pytest.raises(AnxinError) as exc:
            world.lucky_bags.draw(who, bag_id)
        assert code(exc) is expected


# --- cancelling -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "at", "expected"), [
    (CREATOR, OPENS - US, None),                     # the owner, before anyone could enter
    (CREATOR, OPENS, E.CANCEL_WINDOW_PASSED),        # the window has opened
    (MERCHANT, OPENS - US, None),                    # the shop's merchant owns it too
    (OPERATOR, CLOSES + H, None),                    # an operator, until the draw
    (OTHER_MERCHANT, T0, E.NOT_FOUND),
])
def test_who_may_cancel_and_when(world, clock, who, at, expected):
    bag_id = str(new_bag(world)["bag_id"])
    clock.set(at)
    if expected is None:
        bag, cancelled = world.lucky_bags.cancel(who, bag_id, "主播临时取消")
        assert cancelled and bag["state"] == "cancelled" and bag["cancel_reason"] == "主播临时取消"
        assert bag["cancelled_by"] == f"{who.role.value}:{who.subject}"
    else:
        with pytest.raises(AnxinError) as exc:
            world.lucky_bags.cancel(who, bag_id, "取消")
        assert code(exc) is expected
        assert level(world, "l1") == (3, 2, 0)  # still held


def test_cancelling_gives_the_stock_back_and_ends_the_bag(world, clock):
    bag_id = str(new_bag(world)["bag_id"])
    assert level(world, "l1") == (3, 2, 0)
    bag, cancelled = world.lucky_bags.cancel(CREATOR, bag_id, "换一个福袋")
    assert cancelled and sorted((r["listing_id"], r["quantity"]) for r in bag["released"]) == [("l1", 2), ("l2", 1)]  # type: ignore[union-attr]
    assert level(world, "l1") == (5, 0, 0) and level(world, "l2") == (5, 0, 0)
    again, cancelled = world.lucky_bags.cancel(CREATOR, bag_id, "换一个福袋")
    assert not cancelled and again["state"] == "cancelled" and level(world, "l1") == (5, 0, 0)
    clock.set(OPENS + MIN)
    with pytest.raises(AnxinError) as exc:
        enter(world, bag_id, "c1", OPENS + MIN)
    assert code(exc) is E.NOT_OPEN
    clock.set(CLOSES)
    with pytest.raises(AnxinError) as exc:
        world.lucky_bags.draw(CREATOR, bag_id)
    assert code(exc) is E.NOT_OPEN
    with pytest.raises(AnxinError) as exc:
        world.lucky_bags.cancel(CREATOR, bag_id, "  ")
    assert code(exc) is E.INVALID


def test_a_drawn_bag_is_never_cancelled(world, clock):
    bag = drawn_world(world, clock)
    with pytest.raises(AnxinError) as exc:
        world.lucky_bags.cancel(OPERATOR, str(bag["bag_id"]), "too late")
    assert code(exc) is E.NOT_OPEN


def test_a_cancel_racing_the_draw_leaves_one_outcome(world, clock):
    bag_id = str(new_bag(world)["bag_id"])
    clock.set(OPENS + MIN)
    for i in range(4):
        enter(world, bag_id, f"c{i}", OPENS + MIN)
    clock.set(CLOSES + MIN)
    results = at_once(2, lambda i: world.lucky_bags.draw(CREATOR, bag_id) if i == 0
                      else world.lucky_bags.cancel(OPERATOR, bag_id, "违规"))
    done = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(done) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], AnxinError) and refused[0].code is E.NOT_OPEN
    state = world.lucky_bags.get(OPERATOR, bag_id)["state"]
    with world.uow_factory() as uow:
        prizes = [o for o in (orders.get_order(uow, prize_order_id(bag_id, p)) for p in range(1, 5)) if o]
    if state == "drawn":
        assert len(prizes) == 3 and level(world, "l1") == (3, 2, 0)
    else:
        assert state == "cancelled" and not prizes and level(world, "l1") == (5, 0, 0)


# --- after-sales and scores -----------------------------------------------------------------------------------------

def test_an_after_sale_case_can_be_filed_on_a_prize_order(world, clock):
    bag = drawn_world(world, clock)
    w = bag["winners"][0]  # type: ignore[index]
    consumer = world.access.create_key("consumer", w["consumer_id"])[0]
    clock.set(CLOSES + H)
    case = world.aftersales.file_case(consumer, FileCase(w["order_id"], "exchange", "quality", 0))
    assert case.case.order_id == w["order_id"]


def test_the_creators_facts_leave_prize_orders_out_the_shops_count_them(world, clock):
    bag = drawn_world(world, clock)
    w = bag["winners"][0]  # type: ignore[index]
    consumer = world.access.create_key("consumer", w["consumer_id"])[0]
    clock.set(CLOSES + H)
    world.aftersales.file_case(consumer, FileCase(w["order_id"], "exchange", "quality", 0))
    facts = FactExtractor(world.engine, since=T0, until=CLOSES + 24 * H).read_all()
    cases = facts["cases"].to_pylist()
    assert [(c["order_id"], c["shop_id"], c["creator_id"]) for c in cases] == [(w["order_id"], "s1", None)]
    rows = facts["orders"].to_pylist()
    prizes = [r for r in rows if r["order_id"] in {w["order_id"] for w in bag["winners"]}]  # type: ignore[union-attr]
    assert len(prizes) == 3
    assert all(r["shop_id"] == "s1" and r["creator_id"] is None for r in prizes)
