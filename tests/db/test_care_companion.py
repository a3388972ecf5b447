"""The 30-day companion end to end: troubles published where they happen (fulfilment, after-sales, orders, care)
open one outreach task per order and trouble through the message bus; operators work the queue; a coupon goes to
the outbox once; the expiry job; held-out orders are recorded for the effect report; races open one task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pytest
import sqlalchemy as sa
from tests.concurrency import at_once
from tests.db.builders import T0, D, H, ingest_ok, review, scanned, seed_order, shipped

from anxin.aftersales.service import FileCase
from anxin.care.companion_error_codes import CareOutreachErrorCode as E
from anxin.care.companion_ops import OutreachDesk
from anxin.care.companion_policy import held_out
from anxin.care.companion_store import task_id_for
from anxin.care.events import ConsultationOpened
from anxin.core.errors import AnxinError
from anxin.fulfilment.events import LateShipmentRecorded
from anxin.orders.events import BadReviewReceived

pytestmark = pytest.mark.db


def ids(anxin, *, held: bool, n: int, prefix: str = "o") -> list[str]:
    """Order ids the hold-out hash puts in the group asked for."""
    return [f"{prefix}{i}" for i in range(5000) if held_out(f"{prefix}{i}", anxin.companion.rules) is held][:n]


@pytest.fixture
def ops(anxin):
    return anxin.access.create_key("operator", "ops")[0]


def tasks(anxin, ops, **filters) -> list[dict]:
    return anxin.outreach.queue(ops, limit=500, **filters)


def opened(consultation_id: str, order_id: str | None, at: dt.datetime) -> ConsultationOpened:
    return ConsultationOpened(consultation_id=consultation_id, order_id=order_id, shop_id="s1", consumer_id="c1",
                              intent="logistics.where", route="merchant_cs", at=at, channel="consumer",
                              topic="logistics", ticket_id=None, source="api")


def consult(anxin, consultation_id: str, order_id: str | None, at: dt.datetime) -> None:
    with anxin.uow_factory() as uow:
        uow.record(opened(consultation_id, order_id, at))
        uow.commit()


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(sql).scalar() or 0)


# --- troubles where they happen -------------------------------------------------------------------------------

def test_a_late_shipment_opens_one_task_with_its_decision(anxin, clock, ops):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id)
    clock.set(T0 + 3 * D)
    anxin.tick()
    anxin.tick()  # a second pass changes nothing
    [task] = tasks(anxin, ops)
    assert (task["order_id"], task["trouble"], task["state"], task["held_out"]) == (order_id, "late_shipment",
                                                                                    "open", False)
    assert task["source"] == "fulfilment.late_shipment_recorded"
    assert task["remedy_suggested"] == "coupon" and task["coupon_suggested_fen"] == 300
    assert task["decision"]["rule_ids"] == ["companion.window", "companion.trouble.late_shipment"]
    assert task["decision"]["rulebook_version"] == "care-companion-2026.12"
    assert task["task_id"] == task_id_for(order_id, "late_shipment")
    late_at = dt.datetime.fromisoformat(task["trouble_at"])
    assert dt.datetime.fromisoformat(task["due_at"]) == late_at + 8 * H


@pytest.mark.parametrize(("scans", "trouble"), [
    ([("collected", 1)], "parcel_stalled"),  # no scan for 72 h
    ([("collected", 1), ("lost", 30)], "parcel_lost"),
    ([("collected", 1), ("returned", 30)], "parcel_exception"),
])
def test_a_parcel_in_trouble_opens_its_task(anxin, clock, ops, scans, trouble):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id, shipped_at=T0 + H)
    ingest_ok(anxin, [scanned(f"SF{order_id}", status=s, scanned_at=T0 + h * H) for s, h in scans])
    clock.set(T0 + 4 * D)
    anxin.tick()
    found = {t["trouble"]: t for t in tasks(anxin, ops)}
    assert trouble in found, found
    assert found[trouble]["source"] == "fulfilment.parcel_trouble_found"


def test_a_merchant_rejection_and_a_rulebook_rejection_open_case_rejected(anxin, clock, ops):
    first, second = ids(anxin, held=False, n=2)
    consumer = anxin.access.create_key("consumer", "c1")[0]
    merchant = anxin.access.create_key("merchant", "m1")[0]
    seed_order(anxin, order_id=first)
    clock.set(T0 + H)
    case = anxin.aftersales.file_case(consumer, FileCase(first, "refund_only", "other", 9900)).case
    assert tasks(anxin, ops) == []
    anxin.aftersales.act(merchant, case.case_id, "reject", note="already packed")
    # Fresh produce without a photo: the guarantee rulebook rejects the request as it is filed.
    seed_order(anxin, order_id=second, services=["anxin_gou"], tags=["fresh"], signed_at=T0 + D)
    clock.set(T0 + D + 3 * H)
    view = anxin.aftersales.file_case(consumer, FileCase(second, "refund_only", "spoiled", 9900))
    assert view.case.state.value == "rejected"
    found = {t["order_id"]: t for t in tasks(anxin, ops, trouble="case_rejected")}
    assert set(found) == {first, second}
    assert found[first]["decision"]["facts"]["rejected_by"] == "merchant_rejected"
    assert found[second]["decision"]["facts"]["rejected_by"] == "rulebook_rejected"
    assert found[first]["remedy_suggested"] == "case_escalation"


@pytest.mark.parametrize("bulk", [False, True])
def test_a_bad_review_opens_a_task_on_both_ingestion_paths(anxin, clock, ops, bulk):
    bad, good, late = ids(anxin, held=False, n=3)
    for order_id in (bad, good, late):
        seed_order(anxin, order_id=order_id)
    events = [review(bad, rating=2, text="差"), review(good, rating=3),
              review(late, rating=1, posted_at=T0 + 30 * D)]  # exactly 30 days after payment: outside
    if bulk:
        assert not anxin.ingestion.ingest_bulk(events).rejected
    else:
        ingest_ok(anxin, events)
    [task] = tasks(anxin, ops, trouble="bad_review")
    assert (task["order_id"], task["decision"]["facts"]["rating"]) == (bad, 2)


def test_repeated_contacts_count_per_order_within_the_window(anxin, clock, ops):
    order_id, other = ids(anxin, held=False, n=2)
    seed_order(anxin, order_id=order_id)
    seed_order(anxin, order_id=other)
    consult(anxin, "k1", order_id, T0 + H)
    consult(anxin, "k2", order_id, T0 + 2 * H)
    consult(anxin, "k2", order_id, T0 + 2 * H)  # a redelivered consultation counts once
    consult(anxin, "k0", None, T0 + 2 * H)  # about no order
    assert tasks(anxin, ops) == []
    consult(anxin, "x1", other, T0)  # three about the other order, but not within 72 hours
    consult(anxin, "x2", other, T0 + 72 * H)
    consult(anxin, "x3", other, T0 + 72 * H + 1 * H)
    consult(anxin, "k3", order_id, T0 + 73 * H)  # 72 hours after the first: the window includes it
    [task] = tasks(anxin, ops)
    assert (task["order_id"], task["trouble"], task["decision"]["facts"]["contacts"]) == (
        order_id, "repeated_contacts", 3)
    consult(anxin, "k4", order_id, T0 + 74 * H)  # once per order and trouble
    assert len(tasks(anxin, ops)) == 1


def test_a_held_out_order_is_recorded_never_queued(anxin, clock, ops):
    order_id = ids(anxin, held=True, n=1)[0]
    seed_order(anxin, order_id=order_id)
    ingest_ok(anxin, [review(order_id, rating=1)])
    assert tasks(anxin, ops) == []
    [task] = tasks(anxin, ops, state="held_out")
    assert (task["held_out"], task["expires_at"]) == (True, None)
    assert "companion.holdout" in task["decision"]["rule_ids"]
    with pytest.raises(AnxinError) as exc:
        anxin.outreach.transition(ops, task["task_id"], to="contacted")
    assert exc.value.code is E.INVALID_TRANSITION


# --- the operators' desk -------------------------------------------------------------------------------------

def test_the_queue_is_by_due_time_with_filters_and_staff_only(anxin, clock, ops):
    a, b = ids(anxin, held=False, n=2)
    seed_order(anxin, order_id=a, shop_id="s1")
    seed_order(anxin, order_id=b, shop_id="s2", merchant_id="m2")
    ingest_ok(anxin, [review(a, rating=1, posted_at=T0 + 2 * D), review(b, rating=1, posted_at=T0 + D)])
    consult(anxin, "k1", a, T0 + 3 * D)
    consult(anxin, "k2", a, T0 + 3 * D)
    consult(anxin, "k3", a, T0 + 3 * D)
    due = [(t["order_id"], t["trouble"]) for t in tasks(anxin, ops)]
    # bad reviews due 24 h after posting, repeated contacts 2 h after the third
    assert due == [(b, "bad_review"), (a, "bad_review"), (a, "repeated_contacts")]
    assert [t["order_id"] for t in tasks(anxin, ops, shop_id="s2")] == [b]
    assert [t["trouble"] for t in tasks(anxin, ops, trouble="repeated_contacts")] == ["repeated_contacts"]
    first = anxin.outreach.queue(ops, limit=2)
    rest = anxin.outreach.queue(ops, limit=2, after=(dt.datetime.fromisoformat(first[-1]["due_at"]),
                                                     first[-1]["task_id"]))
    assert [t["task_id"] for t in first + rest] == [t["task_id"] for t in tasks(anxin, ops)]
    for bad_filter in ({"state": "lost"}, {"trouble": "rain"}):
        with pytest.raises(AnxinError) as exc:
            anxin.outreach.queue(ops, **bad_filter)
        assert exc.value.code is E.INVALID_FILTER
    merchant = anxin.access.create_key("merchant", "m1")[0]
    with pytest.raises(AnxinError) as exc:
        anxin.outreach.queue(merchant)
    assert exc.value.code.value == "access.forbidden_role"
    with pytest.raises(AnxinError) as exc:
        anxin.outreach.task(ops, "otr_nope")
    assert exc.value.code is E.TASK_NOT_FOUND


def coupons(anxin) -> list[tuple[str, int | None]]:
    return sorted((m.idempotency_key, m.amount_fen) for m in anxin.outbox.list_messages(limit=1000)
                  if m.kind == "coupon.issue" and m.payload.get("reason") == "care_outreach")


def test_contact_then_done_with_a_coupon_sends_it_once_within_the_orders_cap(anxin, clock, ops):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id, price_fen=20_000)
    ingest_ok(anxin, [review(order_id, rating=1, posted_at=T0 + D)])
    for k in ("k1", "k2", "k3"):
        consult(anxin, k, order_id, T0 + D)
    review_task = task_id_for(order_id, "bad_review")
    contacts_task = task_id_for(order_id, "repeated_contacts")
    clock.set(T0 + D + H)
    view = anxin.outreach.transition(ops, review_task, to="contacted", note="called, apologised")
    assert (view["state"], view["contacted_at"], view["remedy_chosen"]) == ("contacted", (T0 + D + H).isoformat(),
                                                                            None)
    with pytest.raises(AnxinError) as exc:
        anxin.outreach.transition(ops, review_task, to="done")
    assert exc.value.code is E.REMEDY_REQUIRED
    view = anxin.outreach.transition(ops, review_task, to="done", remedy="coupon")
    assert (view["state"], view["remedy_chosen"], view["coupon_fen"]) == ("done", "coupon", 500)
    assert [h["to"] for h in view["history"]] == ["open", "contacted", "done"]
    assert view["history"][1]["by"] == "operator:ops"
    with pytest.raises(AnxinError) as exc:
        anxin.outreach.transition(ops, review_task, to="done", remedy="coupon")
    assert exc.value.code is E.INVALID_TRANSITION
    # The other task of the order: its coupon is what the 20-yuan cap leaves, and the choice is final.
    view = anxin.outreach.transition(ops, contacts_task, to=None, remedy="coupon")
    assert (view["state"], view["coupon_fen"]) == ("open", 500)
    with pytest.raises(AnxinError) as exc:
        anxin.outreach.transition(ops, contacts_task, to="done", remedy="none")
    assert exc.value.code is E.REMEDY_ALREADY_CHOSEN
    assert anxin.outreach.transition(ops, contacts_task, to="done")["state"] == "done"
    assert coupons(anxin) == [(f"care-outreach-coupon:{contacts_task}", 500),
                              (f"care-outreach-coupon:{review_task}", 500)]
    message = next(m for m in anxin.outbox.list_messages(limit=1000) if m.subject_ref == f"order:{order_id}"
                   and m.payload.get("task_id") == review_task)
    assert message.payload["trouble"] == "bad_review" and message.payload["rule_id"] == "companion.coupon"


def test_a_coupon_past_the_cap_is_refused(anxin, clock, ops):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id, price_fen=2000)  # 20 % of 20 yuan: 4 yuan for all its coupons
    ingest_ok(anxin, [review(order_id, rating=1, posted_at=T0 + D)])
    for k in ("k1", "k2", "k3"):
        consult(anxin, k, order_id, T0 + D)
    first = anxin.outreach.transition(ops, task_id_for(order_id, "bad_review"), to="done", remedy="coupon")
    assert first["coupon_fen"] == 400
    with pytest.raises(AnxinError) as exc:
        anxin.outreach.transition(ops, task_id_for(order_id, "repeated_contacts"), to="done", remedy="coupon")
    assert exc.value.code is E.COUPON_CAP_REACHED
    assert anxin.outreach.task(ops, task_id_for(order_id, "repeated_contacts"))["state"] == "open"
    assert len(coupons(anxin)) == 1


def test_the_expiry_job_expires_active_tasks_past_their_expiry_only(anxin, clock, ops, engine):
    a, b, c = ids(anxin, held=False, n=3)
    for order_id in (a, b, c):
        seed_order(anxin, order_id=order_id)
    ingest_ok(anxin, [review(o, rating=1, posted_at=T0 + D) for o in (a, b, c)])
    anxin.outreach.transition(ops, task_id_for(b, "bad_review"), to="contacted")
    anxin.outreach.transition(ops, task_id_for(c, "bad_review"), to="done", remedy="none")
    expires = T0 + D + 24 * H + 72 * H
    assert anxin.companion.expire_due(expires - dt.timedelta(seconds=1)) == 0
    clock.set(expires)
    report = anxin.tick()
    assert report["care"]["outreach_expired"] == 2 and "care.outreach_expire" not in report["failed_jobs"]
    states = {t["order_id"]: t["state"] for t in tasks(anxin, ops, trouble="bad_review")}
    assert states == {a: "expired", b: "expired", c: "done"}  # (the tick also found their late shipments)
    assert anxin.companion.expire_due(expires + H) == 0
    assert anxin.companion.expire_due(expires + D) == 3  # the late shipments' tasks (due 8 h after, + 72 h)


# --- races ---------------------------------------------------------------------------------------------------

def test_the_same_event_handled_twice_at_once_opens_one_task(anxin, ops, engine):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id)
    event = LateShipmentRecorded(order_id=order_id, shop_id="s1", finding_id="fnd_x", points_hundredths=10,
                                 capped_by=None, points_rule_id="r", coupon_fen=0, late_at=T0 + 2 * D)

    def handle(_: int) -> None:
        with anxin.uow_factory() as uow:
            anxin.companion.on_late_shipment(event, uow)
            uow.commit()

    results = at_once(4, handle)
    assert [r for r in results if r is not None] == []
    assert count(engine, "SELECT count(*) FROM care_outreach_tasks") == 1


def test_consultations_handled_at_once_still_see_each_other(anxin, ops, engine):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id)
    events = [opened(f"k{i}", order_id, T0 + i * H) for i in range(3)]

    def handle(i: int) -> None:
        with anxin.uow_factory() as uow:
            anxin.companion.on_consultation(events[i], uow)
            uow.commit()

    assert [r for r in at_once(3, handle) if r is not None] == []
    assert count(engine, "SELECT count(*) FROM care_outreach_contacts") == 3
    assert [t["trouble"] for t in tasks(anxin, ops)] == ["repeated_contacts"]


def test_the_same_coupon_chosen_twice_at_once_is_sent_once(anxin, ops):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id)
    ingest_ok(anxin, [review(order_id, rating=1, posted_at=T0 + D)])
    task_id = task_id_for(order_id, "bad_review")
    results = at_once(3, lambda _: anxin.outreach.transition(ops, task_id, to="done", remedy="coupon"))
    assert sum(isinstance(r, dict) for r in results) == 1
    assert all(isinstance(r, dict) or r.code is E.INVALID_TRANSITION for r in results)
    assert coupons(anxin) == [(f"care-outreach-coupon:{task_id}", 500)]


# --- the effect ------------------------------------------------------------------------------------------------

class FakeRatings:
    """Care's ticket ratings as care-core will give them: (rated at, rating) per order."""

    def __init__(self, ratings: Mapping[str, Sequence[tuple[dt.datetime, int]]]) -> None:
        self.ratings = ratings

    def __call__(self, uow, order_ids, since, until):
        return {o: [r for r in self.ratings.get(o, ()) if since <= r[0] < until] for o in order_ids}


def test_the_effect_compares_cared_for_and_held_out_tasks(anxin, clock, ops):
    cared = ids(anxin, held=False, n=2)
    held = ids(anxin, held=True, n=2)
    for order_id in (*cared, *held):
        seed_order(anxin, order_id=order_id)
    clock.set(T0 + D)
    ingest_ok(anxin, [review(o, rating=1, posted_at=T0 + D) for o in (*cared, *held)])
    # After the tasks were opened: one cared-for order and both held-out orders come back.
    consult(anxin, "a1", cared[0], T0 + 2 * D)
    consult(anxin, "b1", held[0], T0 + 2 * D)
    consult(anxin, "b2", held[1], T0 + 8 * D + H)  # later than the 7-day window: not counted
    consult(anxin, "b3", held[1], T0 + 3 * D)
    ratings = {cared[0]: [(T0 + 3 * D, 5)], cared[1]: [(T0 + 3 * D, 4)], held[0]: [(T0 + 3 * D, 2)],
               held[1]: [(T0 - D, 5)]}  # before the task: not counted
    desk = OutreachDesk(uow_factory=anxin.uow_factory, clock=clock, rules=anxin.companion.rules,
                        satisfaction=FakeRatings(ratings))
    report = desk.effect(ops, since=T0, until=T0 + 2 * D)
    assert (report["cared_for"]["tasks"], report["cared_for"]["contacted_after"],
            report["cared_for"]["contact_rate"]) == (2, 1, 0.5)
    assert (report["held_out"]["tasks"], report["held_out"]["contacted_after"],
            report["held_out"]["contact_rate"]) == (2, 2, 1.0)
    assert report["contact_rate_difference"] == -0.5
    assert (report["cared_for"]["csat_mean"], report["held_out"]["csat_mean"]) == (4.5, 2.0)
    assert report["csat_mean_difference"] == 2.5
    assert set(report["by_trouble"]) == {"bad_review"}
    unwired = anxin.outreach.effect(ops, since=T0, until=T0 + 2 * D)
    assert (unwired["csat_source"], unwired["cared_for"]["csat_mean"]) == (None, None)
    with pytest.raises(AnxinError) as exc:
        anxin.outreach.effect(ops, since=T0, until=T0)
    assert exc.value.code is E.INVALID_PERIOD


def test_the_new_events_are_logged_and_handled(anxin, clock, engine):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id)
    ingest_ok(anxin, [review(order_id, rating=2)])
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name, status FROM domain_events WHERE name = 'orders.bad_review_received'").all()
    assert rows == [(BadReviewReceived.__event_name__, "done")]
    assert count(engine, "SELECT count(*) FROM care_outreach_tasks") == 1


def test_an_order_shipped_on_time_opens_nothing(anxin, clock, ops):
    order_id = ids(anxin, held=False, n=1)[0]
    seed_order(anxin, order_id=order_id)
    ingest_ok(anxin, [shipped(order_id, tracking_no="SF9", shipped_at=T0 + H),
                      scanned("SF9", status="collected", scanned_at=T0 + 2 * H),
                      scanned("SF9", status="signed", scanned_at=T0 + D)])
    clock.set(T0 + 3 * D)
    anxin.tick()
    assert tasks(anxin, ops) == [] and tasks(anxin, ops, state="held_out") == []
