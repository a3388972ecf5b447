"""The bulk ingestion path: the same guarantees, counts and end state as the per-event path."""

from __future__ import annotations

import copy
import json
import random

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.exc import OperationalError
from tests.db.builders import (
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
    item,
    listing,
    order_paid,
    review,
    scanned,
    shipped,
    shop,
)

from anxin.audience import service as audience
from anxin.bootstrap import bootstrap
from anxin.care import service as care
from anxin.cli.main import main
from anxin.core.clock import FixedClock
from anxin.db.tables import metadata
from anxin.ingest.handlers import HANDLERS
from anxin.ingest.service import MAX_BATCH, IngestionService, IngestResult
from anxin.orders import service as orders
from anxin.orders.model import OrderStatus
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings

pytestmark = pytest.mark.db

TABLES = ("categories", "shops", "listings", "orders", "shipment_scans", "reviews", "complaints", "chat_sessions",
          "consumers", "content_feedback", "care_consultations", "care_messages", "risk_links", "ingested_events")
SCORING_INPUTS = ("complaints", "chat_sessions", "consumers", "content_feedback")
REASONS = ["quality", "service_attitude", "delivery", "false_advertising", "after_sales", "other"]
TAGS = ["fresh", "apparel", "cosmetics", "3c", "food"]


def random_stream(seed: int, n_orders: int = 36) -> list[object]:
    """Shuffled events with replays, id conflicts, bad events, parked chains and lifecycle violations; consumers'
    attributes and shops' credentials drawn from small pools, so links repeat, earlier and later."""
    rng = random.Random(seed)
    attrs = random.Random(f"attributes:{seed}")  # a stream of its own: the older draws stay where they were
    n = iter(range(10**6))

    def risk() -> dict[str, str | None] | None:
        kinds = ["device", *attrs.sample(["phone", "address", "payment", "ip", "return_address"], attrs.randint(0, 3))]
        data = {k: attrs.choice([f"{k}{attrs.randint(0, 1)}"] * 3 + [None, " "]) for k in kinds}
        return None if attrs.random() < 0.2 else data

    def credentials() -> dict[str, str] | None:
        kinds = attrs.sample(["licence", "legal_rep", "phone", "bank_account", "device"], attrs.randint(0, 3))
        return attrs.choice([None, {k: f"{k}{attrs.randint(0, 2)}" for k in kinds}])

    def eid() -> str:
        return f"e{seed}_{next(n)}"

    def at() -> object:
        return T0 + rng.randint(0, 6) * H

    evs: list[dict] = []
    parents = {"c0": None, "c1": "c0", "c2": "c1", "c3": None, "c4": "c3", "c5": "ghost"}  # c5 waits forever
    for cid, parent in parents.items():
        for _ in range(rng.choice([1, 1, 2])):  # a second upsert, older or newer
            evs.append(category(cid, parent_id=parent, tags=rng.sample(TAGS, 2), id=eid(), at=at()))
    for s in range(4):
        for _ in range(rng.choice([1, 2])):
            evs.append(shop(f"s{s}", f"m{rng.randint(0, 2)}", services=rng.sample(["pickup", "anxin_gou"], 1),
                            name=f"Shop {rng.randint(0, 9)}", credentials=credentials(), id=eid(), at=at()))
    for li in range(8):
        evs.append(listing(f"l{li}", f"s{rng.randint(0, 4)}", f"c{rng.randint(0, 5)}",  # s4 never arrives
                           price_fen=rng.randint(1, 50) * 100, id=eid(), at=at()))
    for i in range(n_orders):
        oid, paid_at = f"o{i}", T0 + rng.randint(0, 48) * H
        lid = f"l{rng.randint(0, 7)}"
        evs.append(order_paid(oid, f"c{i % 5}", f"s{rng.randint(0, 3)}", items=[item(lid, 1, 900)],
                              paid_at=paid_at, creator_id=rng.choice([None, "cr0", "cr1"]), risk=risk(), id=eid()))
        kind = rng.choice(["normal", "normal", "cancel", "reship", "bad_sign", "late_cancel"])
        ship_at = paid_at + rng.randint(-1, 5) * H  # -1: shipped before paid, fails when it meets the order
        carrier = rng.choice(["sf", " SF ", "yto"])
        if kind == "cancel":
            evs.append(cancelled(oid, id=eid(), at=paid_at + H))
        evs.append(shipped(oid, carrier=carrier, tracking_no=f"T{i}", shipped_at=ship_at, id=eid()))
        if kind == "reship":
            evs.append(shipped(oid, carrier="yto", tracking_no=f"R{i}", shipped_at=ship_at + H, id=eid()))
            evs.append(scanned(f"R{i}", carrier="yto", scanned_at=ship_at + 2 * H, id=eid()))
        for k in range(rng.randint(0, 3)):
            evs.append(scanned(f"T{i}", carrier=carrier, status=f"st{k}", scanned_at=ship_at + rng.randint(0, 3) * H,
                               id=eid()))
        sign_at = paid_at - H if kind == "bad_sign" else ship_at + D
        evs.append(delivered(oid, signed_at=sign_at, id=eid()))
        if kind == "late_cancel":
            evs.append(cancelled(oid, id=eid(), at=sign_at + H))
        for _ in range(rng.randint(0, 2)):
            evs.append(review(oid, rating=rng.randint(1, 5), text=f"t{rng.randint(0, 9)}",
                              posted_at=paid_at + rng.randint(1, 4) * D, id=eid()))
        if rng.random() < 0.1:  # a second order.paid for a known order: applied, changes nothing
            evs.append(order_paid(oid, "cX", f"s{rng.randint(0, 3)}", items=[item(lid)], risk=risk(), id=eid()))
    evs.append(scanned("NEVER", id=eid()))  # waits forever
    evs.append(complaint("cp_never", "o_never", id=eid()))  # waits forever
    evs.append(chat_session("cs_never", "s_never", id=eid()))  # waits forever
    for k in range(n_orders // 3):  # complaints on known, later and never-paid orders; some ids sent twice
        cpid = f"cp{rng.randint(0, n_orders // 4)}"
        evs.append(complaint(cpid, rng.choice([f"o{rng.randrange(n_orders)}", "o_never"]),
                             reason=rng.choice(REASONS), text=rng.choice([None, f"t{k}"]),
                             filed_at=T0 + rng.randint(2, 9) * D, id=eid()))
    for k in range(n_orders // 3):  # chat sessions re-reported older or newer; s4 never arrives
        opened = T0 + rng.randint(0, 30) * H
        handed = rng.choice([None, opened + rng.randint(0, 2) * H])
        evs.append(chat_session(f"cs{rng.randint(0, n_orders // 5)}", f"s{rng.randint(0, 4)}", f"c{k % 5}",
                                order_id=rng.choice([None, f"o{k}"]), opened_at=opened, to_human_at=handed,
                                first_human_reply_at=handed and rng.choice([None, handed + H]),
                                closed_at=opened + 5 * H, at=opened + rng.randint(5, 8) * H, id=eid()))
    for c in range(6):
        for _ in range(rng.choice([1, 2])):
            evs.append(consumer_registered(f"c{c}", registered_at=T0 - rng.randint(1, 400) * D, at=at(), risk=risk(),
                                           id=eid()))
    for k in range(n_orders // 3):
        evs.append(content_feedback(f"fb{rng.randint(0, n_orders // 4)}", f"cr{rng.randint(0, 2)}",
                                    content_id=f"v{k % 4}", sentiment=rng.choice(["positive", "neutral", "negative"]),
                                    at=at(), id=eid()))
    rng.shuffle(evs)
    out: list[object] = list(evs)
    for ev in rng.sample(evs, len(evs) // 8):  # replays, anywhere
        out.insert(rng.randrange(len(out) + 1), copy.deepcopy(ev))
    for ev in rng.sample(evs, 3):  # the same id with a different payload
        other = copy.deepcopy(ev)
        other["occurred_at"] = (T0 + 99 * D).isoformat()
        out.insert(rng.randrange(len(out) + 1), other)
    bad = [42, None, {"id": eid(), "type": "order.refunded", "occurred_at": T0.isoformat(), "data": {}},
           order_paid("oX", items=[item("l1", 1, 500)], paid_fen=1.5, id=eid()), {"type": "shop.upserted"},
           chat_session("csX", closed_at=T0, id=eid()), complaint("cpX", reason="rude", id=eid()),
           content_feedback("fbX", sentiment="meh", id=eid()), order_paid("oY", risk={"imei": "x"}, id=eid()),
           shop("sY", credentials={"licence": 7}, id=eid())]
    for ev in bad:
        out.insert(rng.randrange(len(out) + 1), ev)
    return out


def table_state(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of the ingestion tables as the driver returns it (SQLite: the stored text of datetimes and JSON);
    scans in insertion order without their surrogate id. ``change_seq`` counts writes (per chunk in bulk, per event
    otherwise), and a link's ``seq`` the order rows were inserted in, so both are left out."""
    out = {}
    with engine.connect() as conn:
        for name in TABLES:
            skip = ("id", "change_seq", "seq") if name == "risk_links" else ("id", "change_seq")
            cols = ", ".join(c.name for c in metadata.tables[name].c if c.name not in skip)
            if name == "shipment_scans":
                out[name] = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {cols} FROM {name} ORDER BY id")]
            else:
                out[name] = sorted((tuple(r) for r in conn.exec_driver_sql(f"SELECT {cols} FROM {name}")), key=repr)
    return out


def wipe(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


def per_event(anxin, events: list[object]) -> IngestResult:
    total = IngestResult()
    for start in range(0, len(events), MAX_BATCH):
        total.merge(anxin.ingestion.ingest(events[start:start + MAX_BATCH]), start)
    return total


def _order(anxin, order_id):
    with anxin.uow_factory() as uow:
        return orders.get_order(uow, order_id)


def _statuses(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        return {r.event_id: (r.status, r.waiting_on) for r in conn.execute(
            sa.select(metadata.tables["ingested_events"]))}


# --- equivalence with ingest() ---------------------------------------------------------------------------

@pytest.mark.parametrize(("seed", "chunk"), [(1, 10_000), (2, 37), (3, 5), (4, 120)])
def test_bulk_ends_in_the_same_state_as_per_event(anxin, engine, seed, chunk):
    events = random_stream(seed)
    expected = per_event(anxin, copy.deepcopy(events))
    want = table_state(engine)
    wipe(engine)
    got = anxin.ingestion.ingest_bulk(copy.deepcopy(events), chunk_size=chunk)
    assert got.as_dict() == expected.as_dict()
    state = table_state(engine)
    for name in TABLES:
        assert state[name] == want[name], name
    # The stream exercises what it should: parking, releases, failures, rejections of every kind.
    statuses = {row[5] for row in want["ingested_events"]}
    assert {"applied", "pending", "failed"} <= statuses, statuses
    codes = {r.code for r in expected.rejected}
    assert {"event.id_conflict", "event.lifecycle_violation", "event.malformed", "event.invalid_money"} <= codes
    assert expected.released > 0 and expected.duplicates > 0
    assert all(want[name] for name in SCORING_INPUTS)
    kinds = {(row[1], row[5]) for row in want["ingested_events"]}
    assert {("complaint.filed", "pending"), ("chat.session", "pending")} <= kinds, kinds
    creator = [c.name for c in metadata.tables["orders"].c if c.name != "change_seq"].index("creator_id")
    assert {row[creator] for row in want["orders"]} == {None, "cr0", "cr1"}
    # Links of consumers and shops, some seen again later (first_seen < last_seen), and none from a parked event.
    links = want["risk_links"]
    assert {row[0].split(":")[0] for row in links} == {"consumer", "shop"}
    assert any(row[3] != row[4] for row in links)
    pending = {row[0] for row in want["ingested_events"] if row[5] == "pending"}
    assert not {row[5] for row in links} & pending
    assert "data.risk.imei" in {r.field for r in expected.rejected}


def mixed_batches() -> tuple[list[dict], list[dict]]:
    """Two batches with every event type. The first parks on every kind of key (a category's parent, a shop, a
    listing, an order, a tracking number); the second releases all of it, in chains, with a replay, an id conflict
    and a lifecycle violation (a cancellation after delivery) among them."""
    risk = {"device": "dev_1", "phone": "tel_1"}
    waiting = [
        category("c_child", parent_id="c_root", id="w_cat"),  # category:c_root
        listing("l1", "s1", "c_child", id="w_l1"),  # shop:s1
        chat_session("cs1", "s1", order_id="o1", id="w_chat"),  # shop:s1 (never on its order)
        order_paid("o1", "c1", "s1", items=[item("l1", 2, 500)], paid_fen=900, risk=risk, id="w_o1"),  # shop:s1
        shop("s2", credentials={"licence": "lic_2"}, id="w_s2"),  # applied now
        listing("l2", "s2", "c_root", id="w_l2"),  # category:c_root
        order_paid("o2", "c2", "s2", items=[item("l2")], id="w_o2"),  # listing:l2
        shipped("o1", tracking_no="SF1", id="w_ship"),  # order:o1
        scanned("SF1", id="w_scan"),  # tracking:sf:SF1
        delivered("o1", id="w_sign"), review("o1", rating=2, id="w_review"), complaint("cp1", "o1", id="w_cp"),
        cancelled("o2", id="w_cancel"),  # order:o2, applied once o2 is
        event("care.consultation_opened", {"consultation_id": "q1", "channel": "consumer", "consumer_id": "c1",
                                           "order_id": "o1", "text": "到哪了", "opened_at": T0.isoformat()},
              id="w_q1"),  # order:o1
        event("care.message_posted", {"message_id": "qm1", "consultation_id": "q1", "author_role": "merchant",
                                      "author_id": "m1", "text": "已发货", "posted_at": T0.isoformat()},
              id="w_qm1"),  # care_consultation:q1
        event("warehouse.lot_received", {"lot_id": "lot1", "listing_id": "l1", "quantity": 20,
                                         "produced_on": "2026-10-01", "expires_on": "2027-10-01",
                                         "supplier_id": "sup1", "received_at": T0.isoformat()},
              id="w_lot"),  # listing:l1
    ]
    conflict = copy.deepcopy(waiting[1])
    conflict["data"]["title"] = "another listing"
    releasing = [
        consumer_registered("c1", risk=risk, id="r_c1"), content_feedback("fb1", id="r_fb"),
        category("c_root", tags=["fresh"], id="r_root"),  # releases c_child and l2, then o2, then its cancellation
        copy.deepcopy(waiting[4]), conflict,  # a replay and an id conflict
        shop("s1", credentials={"licence": "lic_1", "phone": "tel_1"}, id="r_s1"),  # l1, cs1, o1, then o1's events
        cancelled("o1", id="r_cancel", at=T0 + 3 * D),  # o1 was signed for: a lifecycle violation
    ]
    return waiting, releasing


@pytest.mark.parametrize("chunk", [10_000, 3])
def test_every_event_type_parked_then_released_ends_the_same_on_both_paths(anxin, engine, chunk):
    waiting, releasing = mixed_batches()
    assert {e["type"] for e in waiting + releasing} == set(HANDLERS)
    expected = [anxin.ingestion.ingest(copy.deepcopy(batch)).as_dict() for batch in (waiting, releasing)]
    want = table_state(engine)
    wipe(engine)
    got = [anxin.ingestion.ingest_bulk(copy.deepcopy(waiting), chunk_size=chunk).as_dict()]
    parked = {waiting_on.split(":")[0] for status, waiting_on in _statuses(engine).values() if status == "pending"}
    assert parked == {"category", "shop", "listing", "order", "tracking", "care_consultation"}
    got.append(anxin.ingestion.ingest_bulk(copy.deepcopy(releasing), chunk_size=chunk).as_dict())
    assert got == expected
    assert table_state(engine) == want
    assert (expected[0]["pending"], expected[1]["released"], expected[1]["duplicates"]) == (15, 15, 1)
    assert [r["code"] for r in expected[1]["rejected"]] == ["event.id_conflict", "event.lifecycle_violation"]
    assert set(_statuses(engine).values()) == {("applied", None)}
    order = _order(anxin, "o1")
    assert (order.status, order.tracking_no, order.review_rating) == (OrderStatus.DELIVERED, "SF1", 2)
    assert _order(anxin, "o2").status is OrderStatus.CANCELLED
    assert all(want[name] for name in TABLES)  # every table the table's entries write got its row


def test_replaying_a_whole_chunk_changes_nothing(anxin, engine, clock):
    events = random_stream(5)
    first = anxin.ingestion.ingest_bulk(copy.deepcopy(events))
    before = table_state(engine)
    clock.advance(hours=3)
    again = anxin.ingestion.ingest_bulk(copy.deepcopy(events))
    assert table_state(engine) == before
    assert (again.applied, again.pending, again.released) == (0, 0, 0)
    # Every stored event is now a duplicate; only what was never stored (or conflicts with it) is rejected again.
    assert again.duplicates == first.duplicates + len(before["ingested_events"])
    assert again.duplicates + len(again.rejected) == again.received
    assert [r.index for r in again.rejected] == [r.index for r in first.rejected]


# --- order tolerance across chunks and across paths --------------------------------------------------------

def _catalogue():
    return [category("cat_general"), shop("s1"), listing("l1", "s1", "cat_general")]


def test_parked_in_one_chunk_released_by_a_later_chunk(anxin, engine):
    early = [shipped("o1", tracking_no="SF1"), scanned("SF1"), review("o1", rating=2)]
    late = [*_catalogue(), order_paid("o1")]
    result = anxin.ingestion.ingest_bulk(early + late, chunk_size=3)
    assert (result.pending, result.applied, result.released) == (3, 4, 3)
    assert set(_statuses(engine).values()) == {("applied", None)}
    order = _order(anxin, "o1")
    assert (order.status, order.tracking_no, order.review_rating) == (OrderStatus.SHIPPED, "SF1", 2)


def test_parked_by_bulk_released_by_per_event(anxin, engine):
    ship, scan = shipped("o1", tracking_no="SF1"), scanned("SF1")
    assert anxin.ingestion.ingest_bulk([scan, ship]).pending == 2
    assert _statuses(engine) == {ship["id"]: ("pending", "order:o1"), scan["id"]: ("pending", "tracking:sf:SF1")}
    result = anxin.ingestion.ingest([*_catalogue(), order_paid("o1")])
    assert (result.applied, result.released) == (4, 2)  # the shipment, then the scan it unlocks
    assert set(_statuses(engine).values()) == {("applied", None)}


def test_parked_by_per_event_released_by_bulk(anxin, engine):
    child = listing("l1", "s1", "cat_child")
    waiting = [shipped("o1", tracking_no="SF1"), order_paid("o1"), child, category("cat_child", parent_id="root")]
    assert anxin.ingestion.ingest([*waiting, shop("s1")]).pending == 4
    result = anxin.ingestion.ingest_bulk([category("root"), scanned("SF1")])
    assert (result.applied, result.released, result.pending) == (2, 4, 0)  # a chain of four released by one
    assert set(_statuses(engine).values()) == {("applied", None)}
    with anxin.uow_factory() as uow:
        assert len(orders.timeline(uow, "o1").scans) == 1


def test_a_release_that_breaks_the_lifecycle_is_kept_as_failed(anxin, engine):
    bad = shipped("o1", shipped_at=T0 - 5 * H)
    result = anxin.ingestion.ingest_bulk([bad, *_catalogue(), order_paid("o1", paid_at=T0)], chunk_size=2)
    assert (result.pending, result.applied, result.released, result.rejected) == (1, 4, 0, [])
    with engine.connect() as conn:
        row = conn.execute(sa.select(metadata.tables["ingested_events"]).where(
            sa.column("event_id") == bad["id"])).one()
    assert (row.status, row.waiting_on, row.error_code) == ("failed", None, "event.lifecycle_violation")


# --- rejections --------------------------------------------------------------------------------------------

def test_rejected_events_come_back_with_their_index_while_the_rest_lands(anxin):
    setup = [*_catalogue(), order_paid("o1"), cancelled("o1")]
    conflict = copy.deepcopy(setup[0])
    conflict["data"]["name"] = "Other"
    ship_cancelled = shipped("o1")
    bad_money = order_paid("o2", items=[item("l1", 1, 500)], paid_fen=1.5)
    events = [*setup, bad_money, {"id": "x"}, conflict, ship_cancelled, order_paid("o3")]
    result = anxin.ingestion.ingest_bulk(events, chunk_size=4)
    assert [(r.index, r.event_id, r.code, r.field) for r in result.rejected] == [
        (5, bad_money["id"], "event.invalid_money", "data.paid_fen"),
        (6, "x", "event.invalid_field", "type"),
        (7, conflict["id"], "event.id_conflict", None),
        (8, ship_cancelled["id"], "event.lifecycle_violation", None)]
    assert (result.received, result.applied) == (10, 6)
    assert _order(anxin, "o1").status is OrderStatus.CANCELLED and _order(anxin, "o3") is not None


def test_newer_wins_inside_one_chunk(anxin, engine):
    result = anxin.ingestion.ingest_bulk([shop("s1", name="New", at=T0 + 2 * H), shop("s1", name="Old", at=T0)])
    assert result.applied == 2
    with engine.connect() as conn:
        assert conn.scalar(sa.select(metadata.tables["shops"].c.name)) == "New"


def test_scoring_inputs_parked_by_bulk_released_by_per_event(anxin, engine):
    grievance, chat = complaint("cp1", "o1", reason="delivery"), chat_session("cs1", "s1", "c1")
    assert anxin.ingestion.ingest_bulk([grievance, chat]).pending == 2
    assert _statuses(engine) == {grievance["id"]: ("pending", "order:o1"), chat["id"]: ("pending", "shop:s1")}
    result = anxin.ingestion.ingest([*_catalogue(), order_paid("o1", "c7", creator_id="cr1")])
    assert (result.applied, result.released) == (4, 2)
    with anxin.uow_factory() as uow:
        stored = care.get_complaint(uow, "cp1")
        assert (stored.shop_id, stored.consumer_id, stored.reason) == ("s1", "c7", "delivery")
        assert care.get_chat_session(uow, "cs1") is not None
        assert orders.get_order(uow, "o1").creator_id == "cr1"


def test_scoring_inputs_parked_by_per_event_released_by_bulk(anxin, engine):
    waiting = [complaint("cp1", "o1"), chat_session("cs1", "s1"), order_paid("o1", creator_id="cr1")]
    assert anxin.ingestion.ingest(waiting).pending == 3
    result = anxin.ingestion.ingest_bulk(_catalogue())
    # the shop releases the chat, the listing the order, the order the complaint
    assert (result.applied, result.released, result.pending) == (3, 3, 0)
    assert set(_statuses(engine).values()) == {("applied", None)}
    with anxin.uow_factory() as uow:
        assert care.get_complaint(uow, "cp1").consumer_id == "c1"


def test_scoring_inputs_newer_wins_and_insert_once_inside_one_chunk(anxin, engine):
    ingest = [shop("s1"), chat_session("cs1", opened_at=T0, closed_at=T0 + 3 * H, at=T0 + 3 * H),
              chat_session("cs1", opened_at=T0, closed_at=T0 + H, at=T0 + H),
              consumer_registered("c1", registered_at=T0 - 5 * D, at=T0 + H),
              consumer_registered("c1", registered_at=T0 - 9 * D, at=T0),
              content_feedback("fb1", "cr1", sentiment="negative"), content_feedback("fb1", "cr2")]
    assert anxin.ingestion.ingest_bulk(ingest).applied == 7
    with anxin.uow_factory() as uow:
        assert care.get_chat_session(uow, "cs1").closed_at == T0 + 3 * H
        assert audience.get_consumer(uow, "c1").registered_at == T0 - 5 * D
        assert (audience.get_feedback(uow, "fb1").creator_id, audience.get_feedback(uow, "fb1").sentiment) == (
            "cr1", "negative")


def test_a_link_seen_again_in_one_chunk_keeps_its_first_sighting(anxin, engine):
    """One upsert merging two sightings would keep the later one's source: bulk must not."""
    first = order_paid("o1", "c1", risk={"device": "d1"}, paid_at=T0 + H)
    events = [*_catalogue(), first, order_paid("o2", "c1", risk={"device": "d1"}, paid_at=T0 + D),
              order_paid("o3", "c1", risk={"device": "d1"}, paid_at=T0)]  # an earlier sighting, applied last
    expected = per_event(anxin, copy.deepcopy(events))
    want = table_state(engine)["risk_links"]
    wipe(engine)
    assert anxin.ingestion.ingest_bulk(copy.deepcopy(events)).as_dict() == expected.as_dict()
    assert table_state(engine)["risk_links"] == want
    ((subject, kind, value, first_seen, last_seen, source),) = want
    assert (subject, kind, value, source) == ("consumer:c1", "device", "d1", first["id"])
    assert first_seen != last_seen


# --- a database error falls back to the per-event path --------------------------------------------------------

def test_a_database_error_replays_the_chunk_event_by_event(anxin, engine, monkeypatch, caplog):
    events = random_stream(6, n_orders=16)
    expected = per_event(anxin, copy.deepcopy(events))
    want = table_state(engine)
    wipe(engine)
    calls = {"n": 0}
    real = orders.bulk_record_scans

    def flaky(uow, scans):
        calls["n"] += 1
        if calls["n"] == 2:  # the second chunk fails after most of its writes were sent
            raise OperationalError("INSERT INTO shipment_scans", {}, Exception("disk I/O error"))
        real(uow, scans)

    monkeypatch.setattr(orders, "bulk_record_scans", flaky)
    got = anxin.ingestion.ingest_bulk(copy.deepcopy(events), chunk_size=60)
    assert calls["n"] > 2
    assert got.as_dict() == expected.as_dict()
    assert table_state(engine) == want
    assert "replaying it event by event" in caplog.text


def test_subscribers_see_every_event_through_the_per_event_path(anxin, clock):
    seen = []
    service = IngestionService(uow_factory=anxin.uow_factory, clock=clock, fulfilment_rules=anxin.fulfilment_rules,
                               subscribers=[lambda uow, env, cmd: seen.append(env.event_id)])
    events = [shipped("o1"), *_catalogue(), order_paid("o1")]
    result = service.ingest_bulk(events)
    assert (result.applied, result.released) == (4, 1)
    assert seen == [e["id"] for e in events[1:]] + [events[0]["id"]]  # the shipment when it is released


# --- the command line ------------------------------------------------------------------------------------

def test_cli_ingest_bulk(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ANXIN_DATABASE_URL", url)
    monkeypatch.setenv("ANXIN_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.delenv("ANXIN_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("ANXIN_RULEBOOKS", raising=False)
    bad = order_paid("o2", paid_fen=1.5)
    lines = [json.dumps(e) for e in [shipped("o1"), *_catalogue(), bad]] + ["{not json", ""]
    lines += [json.dumps(order_paid("o1")), json.dumps(event("shop.upserted", {"shop_id": "s2"}))]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(path), "--bulk", "--batch", "3"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"received": 8, "applied": 4, "pending": 1, "duplicates": 0, "released": 1, "rejected": 3}
    assert "line 5: [event.invalid_money]" in result.stderr
    assert "line 6: [event.malformed]" in result.stderr
    assert "line 9: [event.invalid_field]" in result.stderr
    anxin = bootstrap(settings=Settings(database_url=url, evidence_dir=tmp_path / "evidence"),
                      clock=FixedClock(T0), transport=RecordingTransport())
    assert _order(anxin, "o1").status is OrderStatus.SHIPPED
