"""Poison isolation (issue 13): an absurd business time is refused at ingestion; an item that raises in a periodic job
is recorded, backed off and retried while the others go on; a job that raises does not stop refund webhooks; webhooks
are signed with the wall clock of sending."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import time

import pytest
import sqlalchemy as sa
from tests.db.builders import T0, H, ingest_ok, item, order_paid, row_counts, seed_order

from anxin.aftersales.service import FileCase
from anxin.bootstrap import bootstrap
from anxin.core.clock import FixedClock, SystemClock
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.service import IngestionService
from anxin.ingest.store import EventLog
from anxin.jobs.model import WHOLE_JOB
from anxin.jobs.store import JobFailureRow
from anxin.orders import service as orders
from anxin.orders.store import OrderRow
from anxin.outbox.model import SIGNATURE_HEADER, verify
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings
from anxin.worker.runner import Worker
from anxin.worker.service import Leases

pytestmark = pytest.mark.db

CODE = IngestErrorCode.TIME_OUT_OF_RANGE.value
YEAR_1 = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
YEAR_9999 = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
SEC = dt.timedelta(seconds=1)


def _legacy_ingestion(anxin, clock):
    """Ingestion as it was before times were bounded: how a poisoned order got into a database."""
    return IngestionService(uow_factory=anxin.uow_factory, clock=clock, fulfilment_rules=anxin.fulfilment_rules,
                            time_min=YEAR_1, future_horizon=dt.timedelta(days=3_000_000))


def _refunds(transport):
    """(case, amount) of every refund webhook sent."""
    bodies = [json.loads(c.body) for c in transport.calls]
    return [(b["payload"]["case_id"], b["payload"]["amount_fen"]) for b in bodies if b["kind"] == "refund.issue"]


def _failures(anxin, job=None):
    return {(f.job, f.item): f for f in anxin.jobs.list(job)}


# --- ingestion ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("paid_at", [YEAR_1, YEAR_9999], ids=["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("bulk", [False, True], ids=["one-by-one", "bulk"])
def test_a_poisoned_order_paid_is_refused_with_its_code_and_nothing_is_written(anxin, engine, paid_at, bulk):
    seed_order(anxin, order_id="o_ok")
    before = row_counts(engine)
    poisoned = order_paid("o_bad", items=[item("l_o_ok")], paid_at=paid_at, at=T0)
    result = (anxin.ingestion.ingest_bulk if bulk else anxin.ingestion.ingest)([poisoned])
    assert [(r.code, r.field, r.event_id) for r in result.rejected] == [(CODE, "data.paid_at", poisoned["id"])]
    assert "outside the accepted range" in result.rejected[0].message
    assert row_counts(engine) == before  # refused whole: no order, no event-log row, no link
    with anxin.uow_factory() as uow:
        assert orders.get_order(uow, "o_bad") is None


def test_the_range_follows_the_settings_and_the_clock(engine, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("ANXIN_TIME_MIN", "2020-01-01")
    monkeypatch.setenv("ANXIN_FUTURE_HORIZON_DAYS", "30")
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence")
    anxin = bootstrap(settings=settings, clock=clock, engine=engine, transport=RecordingTransport(),
                      run_migrations=False)
    ok = order_paid("o1", paid_at=T0 + 29 * 24 * H)
    late = order_paid("o2", paid_at=T0 + 31 * 24 * H)
    early = order_paid("o3", paid_at=dt.datetime(2019, 12, 31, tzinfo=dt.UTC))
    result = anxin.ingestion.ingest([ok, late, early])
    assert [(r.index, r.code) for r in result.rejected] == [(1, CODE), (2, CODE)]
    clock.advance(days=2)  # `now` is the injected clock's: the horizon moves with it
    assert not anxin.ingestion.ingest([late]).rejected


def test_a_poisoned_event_parked_before_the_fix_fails_on_release_instead_of_applying(anxin, clock):
    legacy = _legacy_ingestion(anxin, clock)
    poisoned = order_paid("o_bad", shop_id="s9", items=[item("l9")], paid_at=YEAR_1, at=T0)
    assert legacy.ingest([poisoned]).pending == 1  # parked on its shop, as it was accepted then
    seed_order(anxin, order_id="o9", shop_id="s9", listing_id="l9")  # its shop and listing arrive now
    with anxin.uow_factory() as uow:
        row = EventLog(uow.session).get(poisoned["id"])
        assert (row.status, row.error_code) == ("failed", CODE)
        assert orders.get_order(uow, "o_bad") is None


# --- a failing item in a periodic job -------------------------------------------------------------------------------

def _poison_orders(anxin, clock):
    """Two sound orders and one paid in year 1, as legacy ingestion let it in."""
    for oid in ("o1", "o2"):
        seed_order(anxin, order_id=oid, shop_id="s1", listing_id="l1", category_id="cat_1")
    result = _legacy_ingestion(anxin, clock).ingest([order_paid("o_bad", items=[item("l1")], paid_at=YEAR_1,
                                                                at=T0)])
    assert result.applied == 1, result.as_dict()


def _next_check(anxin, order_id):
    with anxin.uow_factory() as uow:
        return uow.session.scalar(sa.select(OrderRow.next_check_at).where(OrderRow.order_id == order_id))


def test_a_failing_order_in_the_fulfilment_pass_is_recorded_retried_with_backoff_and_cleared(anxin, clock):
    _poison_orders(anxin, clock)
    first = anxin.fulfilment.check_due()
    assert first.failed == ["o_bad"]
    assert first.orders_checked == 2  # the others are judged
    assert _next_check(anxin, "o1") != _next_check(anxin, "o_bad")
    failure = _failures(anxin)[("fulfilment.check", "o_bad")]
    assert (failure.attempts, failure.first_failed_at, failure.next_retry_at) == (1, T0, T0 + 60 * SEC)
    assert "OverflowError" in failure.error
    assert _next_check(anxin, "o_bad") == T0 + 60 * SEC  # put off until its retry

    clock.advance(seconds=59)  # still backing off: not tried
    assert anxin.fulfilment.check_due().failed == []
    assert _failures(anxin)[("fulfilment.check", "o_bad")].attempts == 1

    clock.advance(seconds=1)  # tried again, fails again: the wait doubles
    assert anxin.fulfilment.check_due().failed == ["o_bad"]
    failure = _failures(anxin)[("fulfilment.check", "o_bad")]
    assert (failure.attempts, failure.first_failed_at, failure.last_failed_at) == (2, T0, T0 + 60 * SEC)
    assert failure.next_retry_at == T0 + 180 * SEC

    with anxin.uow_factory() as uow:  # an operator repairs the order (its promise follows from the payment)
        uow.session.execute(sa.update(OrderRow).where(OrderRow.order_id == "o_bad").values(
            paid_at=T0, promise=None, ship_by=T0 + 48 * H))
        uow.commit()
    clock.advance(seconds=120)
    report = anxin.fulfilment.check_due()
    assert (report.failed, report.orders_checked) == ([], 1)
    assert _failures(anxin) == {}  # cleared on success


def test_a_change_to_a_failing_order_makes_it_due_again_at_once(anxin, clock):
    _poison_orders(anxin, clock)
    anxin.fulfilment.check_due()
    ingest_ok(anxin, [{"id": "ev_cancel", "type": "order.cancelled", "occurred_at": (T0 + H).isoformat(),
                       "data": {"order_id": "o_bad", "reason": "fraud"}}])
    assert _next_check(anxin, "o_bad") < T0  # due at once: new data may have fixed it
    clock.advance(seconds=1)  # long before its retry time
    assert anxin.fulfilment.check_due().failed == ["o_bad"]  # taken again; cancelling did not cure the year 1
    assert _failures(anxin)[("fulfilment.check", "o_bad")].attempts == 2


# --- a job that raises in the tick --------------------------------------------------------------------------------

class BrokenFulfilment:
    """A fulfilment pass that always raises, like the poisoned one before items were isolated."""

    def __init__(self) -> None:
        self.calls = 0

    def check_due(self, at=None, **_):
        self.calls += 1
        raise OverflowError("date value out of range")


def test_a_job_that_raises_in_the_tick_does_not_stop_refund_webhooks(anxin, clock, transport):
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=12345)
    consumer = anxin.access.create_key("consumer", "c1")[0]
    clock.set(T0 + H)
    case = anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 12345, ())).case
    broken = BrokenFulfilment()
    ticking = dataclasses.replace(anxin, fulfilment=broken)

    report = ticking.tick()
    assert report["delivered"] == 1  # the instant refund still goes out
    assert _refunds(transport) == [(case.case_id, 12345)]
    assert report["fulfilment"] is None and "OverflowError" in report["failed_jobs"]["fulfilment.check"]
    assert report["merchants"]["settled"] is not None  # the jobs after it ran
    failure = _failures(anxin)[("fulfilment.check", WHOLE_JOB)]
    assert (failure.attempts, failure.next_retry_at) == (1, T0 + H + 10 * SEC)

    ticking.tick()  # backing off: not run again, the rest runs
    assert broken.calls == 1
    clock.advance(seconds=10)
    ticking.tick()
    assert broken.calls == 2 and _failures(anxin)[("fulfilment.check", WHOLE_JOB)].attempts == 2
    clock.advance(seconds=20)
    assert anxin.tick()["failed_jobs"] == {}  # the real pass succeeds: the record is cleared
    assert _failures(anxin) == {}


def test_the_poisoned_order_no_longer_stops_the_tick(anxin, clock, transport):
    """The issue's scenario end to end: a year-1 order in the database, a refund due; the tick delivers it."""
    _poison_orders(anxin, clock)
    consumer = anxin.access.create_key("consumer", "c1")[0]
    seed_order(anxin, order_id="o7", shop_id="s7", services=["anxin_gou"], price_fen=500)
    clock.set(T0 + H)
    case = anxin.aftersales.file_case(consumer, FileCase("o7", "refund_only", "other", 500, ())).case
    report = anxin.tick()
    assert report["failed_jobs"] == {} and report["fulfilment"]["failed"] == ["o_bad"]
    assert _refunds(transport) == [(case.case_id, 500)]


# --- signatures ---------------------------------------------------------------------------------------------------

def test_webhooks_are_signed_with_the_wall_clock_not_the_business_clock(engine, tmp_path):
    """`anxin tick --at <future>`: the business clock is years ahead; the receiver checks real time (300 s)."""
    future = FixedClock(dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    transport = RecordingTransport()
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence", webhook_secret="s3cret")
    anxin = bootstrap(settings=settings, clock=future, engine=engine, transport=transport, run_migrations=False)
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=100, paid_at=future.now())
    consumer = anxin.access.create_key("consumer", "c1")[0]
    anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 100, ()))
    assert anxin.tick()["delivered"] == 1
    call = transport.calls[0]
    assert verify("s3cret", call.headers[SIGNATURE_HEADER], call.body, now_ts=int(time.time()))
    assert not verify("s3cret", call.headers[SIGNATURE_HEADER], call.body, now_ts=int(future.now().timestamp()))


def test_job_failures_table_round_trips(anxin, clock):
    run = anxin.jobs.start("demo.job")
    with run.item("x" * 300):  # longer than the column: cut, not a driver error; a NUL is escaped (PostgreSQL)
        raise ValueError("bad\x00value")
    stored = anxin.jobs.list("demo.job")
    assert [(f.item, f.error, f.attempts) for f in stored] == [("x" * 200, "ValueError: bad\\x00value", 1)]
    with anxin.uow_factory() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(JobFailureRow)) == 1


class StuckFulfilment:
    """A fulfilment pass that hangs until released, like a slow one over a huge backlog."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def check_due(self, at=None, **_):
        self.entered.set()
        self.release.wait(30)
        raise TimeoutError("gave up")


def test_a_worker_delivers_refunds_while_another_job_hangs(anxin, clock, transport):
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=300)
    consumer = anxin.access.create_key("consumer", "c1")[0]
    clock.set(T0 + H)
    case = anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 300, ())).case
    stuck = StuckFulfilment()
    leases = Leases(uow_factory=anxin.uow_factory, clock=SystemClock(), holder="w1", ttl=dt.timedelta(seconds=30))
    worker = Worker(schedule=dataclasses.replace(anxin, fulfilment=stuck).schedule(), leases=leases, jobs=anxin.jobs,
                    clock=SystemClock(), every=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        assert stuck.entered.wait(10)
        deadline = time.monotonic() + 10
        while not transport.calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not stuck.release.is_set()  # the jobs' loop is still stuck in the fulfilment pass
        assert _refunds(transport) == [(case.case_id, 300)]
    finally:
        stuck.release.set()
        stop.set()
        thread.join(timeout=30)
