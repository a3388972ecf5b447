"""Several endpoints: fan-out, one endpoint down not blocking another, redelivery, the attempt log, rotation,
concurrent deliverers. SQLite by default, PostgreSQL with ANXIN_TEST_DATABASE_URL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from anxin.core.clock import FixedClock
from anxin.core.errors import AnxinError
from anxin.db.uow import uow_factory_for
from anxin.outbox.error_codes import OutboxErrorCode
from anxin.outbox.model import ATTEMPT_LOG_SIZE, DEFAULT_ENDPOINT_ID, NOTICE, REFUND, RetryPolicy
from anxin.outbox.service import DeliveryReport, OutboxService, enqueue
from anxin.outbox.signing import verify
from anxin.outbox.transport import RecordingTransport

pytestmark = pytest.mark.db

T0 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)
A, B = "http://a.test/hook", "http://b.test/hook"


@pytest.fixture
def clock():
    return FixedClock(T0)


@pytest.fixture
def uow_factory(engine):
    return uow_factory_for(engine)


def make(uow_factory, clock, transport, **kw):
    return OutboxService(uow_factory=uow_factory, clock=clock, transport=transport, wall_clock=clock, **kw)


def put(uow_factory, clock, key="case_1:refund", kind=REFUND, subject="case_1"):
    with uow_factory() as uow:
        msg = enqueue(uow, clock=clock, kind=kind, idempotency_key=key, amount_fen=100, subject_ref=subject,
                      payload={"case_id": subject})
        uow.commit()
    return msg


def ts(clock):
    return int(clock.now().timestamp())


def test_fan_out_one_delivery_per_subscribed_enabled_endpoint(uow_factory, clock):
    transport = RecordingTransport()
    svc = make(uow_factory, clock, transport)
    a = svc.endpoints.create(url=A, event_types=["*"], description="everything")
    b = svc.endpoints.create(url=B, event_types=[REFUND])
    svc.endpoints.create(url="http://off.test/hook", event_types=["*"], enabled=False)
    refund = put(uow_factory, clock)
    notice = put(uow_factory, clock, key="n1", kind=NOTICE)
    assert svc.deliver_due() == DeliveryReport(delivered=3)
    assert sorted((c.url, c.headers["webhook-id"]) for c in transport.calls) == sorted(
        [(A, refund.message_id), (B, refund.message_id), (A, notice.message_id)])
    # Each endpoint's request is signed with its own secret.
    for call in transport.to(A):
        assert verify([a.secret], call.headers, call.body, now_ts=ts(clock))
        assert not verify([b.secret], call.headers, call.body, now_ts=ts(clock))
    detail = svc.message_detail(refund.message_id)
    assert {d.endpoint_id for d in detail.deliveries} == {a.endpoint.endpoint_id, b.endpoint.endpoint_id}
    assert all(d.status == "delivered" for d in detail.deliveries)
    assert [x.status_code for x in detail.attempts] == [200, 200]
    assert detail.as_dict()["message"]["status"] == "delivered"
    assert svc.deliver_due() == DeliveryReport()


def test_one_endpoint_down_does_not_block_the_other_then_redelivery(uow_factory, clock):
    transport = RecordingTransport(by_url={B: 503})
    svc = make(uow_factory, clock, transport, retry=RetryPolicy(base_seconds=10, max_attempts=3))
    svc.endpoints.create(url=A, event_types=["*"])
    b = svc.endpoints.create(url=B, event_types=["*"]).endpoint
    first = put(uow_factory, clock)
    assert svc.deliver_due() == DeliveryReport(delivered=1, failed=1)
    assert svc.get_message(first.message_id).status == "pending"  # delivered to A only
    # A keeps receiving new messages while B fails and backs off.
    second = put(uow_factory, clock, key="case_2:refund", subject="case_2")
    assert svc.deliver_due() == DeliveryReport(delivered=1, failed=1)
    for _ in range(4):
        clock.advance(minutes=5)
        svc.deliver_due()
    assert len(transport.to(A)) == 2 and len(transport.to(B)) == 6  # 3 attempts each, then dead
    for msg in (first, second):
        m = svc.get_message(msg.message_id)
        assert (m.status, m.last_error) == ("dead", "HTTP 503")
        dead = [d for d in svc.message_detail(msg.message_id).deliveries if d.status == "dead"]
        assert [d.endpoint_id for d in dead] == [b.endpoint_id]
    assert {m.message_id for m in svc.list_messages(status="dead")} == {first.message_id, second.message_id}

    # B is back. Redeliver one delivery, then a whole message: fresh attempts from now, same webhook-id, A not
    # sent again.
    del transport.by_url[B]
    dead_b = next(d for d in svc.message_detail(first.message_id).deliveries if d.endpoint_id == b.endpoint_id)
    again = svc.redeliver_delivery(dead_b.delivery_id)
    assert (again.status, again.attempts, again.next_attempt_at) == ("pending", 0, clock.now())
    assert svc.get_message(first.message_id).status == "pending"
    assert svc.redeliver(second.message_id).status == "pending"
    assert svc.deliver_due() == DeliveryReport(delivered=2)
    assert len(transport.to(A)) == 2
    assert {c.headers["webhook-id"] for c in transport.to(B)[-2:]} == {first.message_id, second.message_id}
    assert svc.stats() == {"pending": 0, "delivered": 2, "dead": 0}
    for bad, code in [(lambda: svc.redeliver(first.message_id), OutboxErrorCode.NOT_REDELIVERABLE),
                      (lambda: svc.redeliver_delivery(dead_b.delivery_id), OutboxErrorCode.NOT_REDELIVERABLE),
                      (lambda: svc.redeliver_delivery("dlv_missing"), OutboxErrorCode.DELIVERY_NOT_FOUND)]:
        with pytest.raises(AnxinError) as exc:
            bad()
        assert exc.value.code == code


def test_a_failing_delivery_can_be_redelivered_now(uow_factory, clock):
    transport = RecordingTransport([500])
    svc = make(uow_factory, clock, transport)
    svc.endpoints.create(url=A, event_types=["*"])
    msg = put(uow_factory, clock)
    assert svc.deliver_due() == DeliveryReport(failed=1)
    assert svc.deliver_due() == DeliveryReport()  # backing off
    svc.redeliver(msg.message_id)
    assert svc.deliver_due() == DeliveryReport(delivered=1)


def test_disabled_endpoint_waits_and_resumes(uow_factory, clock):
    transport = RecordingTransport()
    svc = make(uow_factory, clock, transport)
    ep = svc.endpoints.create(url=A, event_types=["*"]).endpoint
    msg = put(uow_factory, clock)
    svc.deliver_due()
    svc.endpoints.update(ep.endpoint_id, enabled=False)
    later = put(uow_factory, clock, key="k2")
    assert svc.deliver_due() == DeliveryReport() and len(transport.calls) == 1
    assert svc.get_message(later.message_id).status == "pending"
    svc.endpoints.update(ep.endpoint_id, enabled=True)
    assert svc.deliver_due() == DeliveryReport(delivered=1)
    assert [c.headers["webhook-id"] for c in transport.calls] == [msg.message_id, later.message_id]


def test_attempt_log_is_bounded_per_delivery(uow_factory, clock):
    transport = RecordingTransport(default_status=502)
    svc = make(uow_factory, clock, transport, retry=RetryPolicy(base_seconds=1, max_delay_seconds=1,
                                                                max_attempts=ATTEMPT_LOG_SIZE + 5))
    svc.endpoints.create(url=A, event_types=["*"])
    msg = put(uow_factory, clock)
    for _ in range(ATTEMPT_LOG_SIZE + 5):
        svc.deliver_due()
        clock.advance(seconds=1)
    detail = svc.message_detail(msg.message_id)
    assert detail.deliveries[0].status == "dead" and detail.deliveries[0].attempts == ATTEMPT_LOG_SIZE + 5
    assert len(detail.attempts) == ATTEMPT_LOG_SIZE  # the newest
    assert detail.attempts[-1].attempted_at == T0 + dt.timedelta(seconds=ATTEMPT_LOG_SIZE + 4)
    assert all(a.status_code == 502 and a.error == "HTTP 502" and a.duration_ms >= 0 for a in detail.attempts)


def test_rotation_signs_with_both_secrets_for_a_day(uow_factory, clock):
    transport = RecordingTransport()
    svc = make(uow_factory, clock, transport)
    created = svc.endpoints.create(url=A, event_types=["*"])
    rotated = svc.endpoints.rotate_secret(created.endpoint.endpoint_id)
    assert rotated.secret != created.secret
    put(uow_factory, clock)
    svc.deliver_due()
    call = transport.calls[-1]
    assert len(call.headers["webhook-signature"].split(" ")) == 2
    assert verify([created.secret], call.headers, call.body, now_ts=ts(clock))
    assert verify([rotated.secret], call.headers, call.body, now_ts=ts(clock))
    clock.advance(hours=25)
    put(uow_factory, clock, key="k2")
    svc.deliver_due()
    call = transport.calls[-1]
    assert verify([rotated.secret], call.headers, call.body, now_ts=ts(clock))
    assert not verify([created.secret], call.headers, call.body, now_ts=ts(clock))


def test_configured_endpoint_is_ensured_idempotently(uow_factory, clock):
    svc = make(uow_factory, clock, RecordingTransport())
    first = svc.endpoints.ensure_configured(A, "legacy-secret")
    svc.endpoints.update(DEFAULT_ENDPOINT_ID, event_types=[REFUND])  # an operator's choice survives restarts
    again = svc.endpoints.ensure_configured(A, "legacy-secret")
    assert [e.endpoint_id for e in svc.endpoints.list()] == [DEFAULT_ENDPOINT_ID]
    assert (first.event_types, again.event_types) == (("*",), (REFUND,)) and again.previous_secret_until is None
    moved = svc.endpoints.ensure_configured(B, "new-secret")
    assert moved.url == B and moved.previous_secret_until == clock.now() + dt.timedelta(hours=24)
    for bad in (lambda: svc.endpoints.rotate_secret(DEFAULT_ENDPOINT_ID),
                lambda: svc.endpoints.update(DEFAULT_ENDPOINT_ID, url="http://elsewhere.test/")):
        with pytest.raises(AnxinError) as exc:
            bad()
        assert exc.value.code == OutboxErrorCode.ENDPOINT_CONFIGURED


@pytest.mark.parametrize("kwargs", [{"url": "ftp://x", "event_types": ["*"]}, {"url": A, "event_types": []},
                                    {"url": A, "event_types": ["refund.maybe"]},
                                    {"url": A, "event_types": ["*"], "description": "x" * 501}])
def test_invalid_endpoints_are_refused(uow_factory, clock, kwargs):
    svc = make(uow_factory, clock, RecordingTransport())
    with pytest.raises(AnxinError) as exc:
        svc.endpoints.create(**kwargs)
    assert exc.value.code == OutboxErrorCode.INVALID_ENDPOINT and svc.endpoints.list() == []


def test_two_concurrent_deliverers_never_send_one_delivery_twice(uow_factory, clock):
    keys = [f"case_{i}:refund" for i in range(30)]
    for key in keys:
        put(uow_factory, clock, key=key)
    in_flight: set[tuple[str, str]] = set()
    overlaps: list[tuple[str, str]] = []
    guard = threading.Lock()

    def slow(url, body, headers):
        item = (url, headers["webhook-id"])
        with guard:
            if item in in_flight:
                overlaps.append(item)
            in_flight.add(item)
        threading.Event().wait(0.002)
        with guard:
            in_flight.discard(item)
        return 200

    transport = RecordingTransport(handler=slow)
    setup = make(uow_factory, clock, transport)
    setup.endpoints.create(url=A, event_types=["*"])
    setup.endpoints.create(url=B, event_types=[REFUND])
    workers = [make(uow_factory, clock, transport) for _ in range(2)]
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def run(worker):
        try:
            barrier.wait()
            for _ in range(8):
                reports.append(worker.deliver_due(limit=5))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and overlaps == []
    sent = sorted((c.url, c.headers["Idempotency-Key"]) for c in transport.calls)
    assert sent == sorted([(u, k) for u in (A, B) for k in keys])
    assert sum(r.delivered for r in reports) == 2 * len(keys)
    assert setup.stats() == {"pending": 0, "delivered": len(keys), "dead": 0}


def test_a_message_dead_before_deliveries_existed_can_be_redelivered(uow_factory, clock):
    """Upgraded databases hold messages that died under the one-URL outbox, without deliveries."""
    import sqlalchemy as sa

    from anxin.outbox.store import OutboxRow

    transport = RecordingTransport()
    svc = make(uow_factory, clock, transport)
    msg = put(uow_factory, clock)
    with uow_factory() as uow:
        uow.session.execute(sa.update(OutboxRow).values(status="dead", attempts=12))
        uow.commit()
    svc.endpoints.create(url=A, event_types=["*"])
    assert svc.deliver_due() == DeliveryReport() and transport.calls == []
    assert svc.redeliver(msg.message_id).status == "pending"
    assert svc.deliver_due() == DeliveryReport(delivered=1)
    assert svc.get_message(msg.message_id).status == "delivered"
