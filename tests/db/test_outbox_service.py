from __future__ import annotations

import datetime as dt
import json
import threading

import httpx
import pytest

from anxin.core.clock import FixedClock
from anxin.core.errors import AnxinError
from anxin.db.uow import uow_factory_for
from anxin.outbox.error_codes import OutboxErrorCode
from anxin.outbox.model import COMPENSATION, NOTICE, PICKUP, REFUND, RetryPolicy
from anxin.outbox.receiver import WebhookSink, serve_sink
from anxin.outbox.service import DeliveryReport, OutboxService, enqueue
from anxin.outbox.signing import verify
from anxin.outbox.transport import HttpxTransport, RecordingTransport

pytestmark = pytest.mark.db

T0 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)
SECRET = "whsec_dGVzdC1zZWNyZXQ="
URL = "http://platform.test/webhooks/anxin"


@pytest.fixture
def clock():
    return FixedClock(T0)


@pytest.fixture
def uow_factory(engine):
    return uow_factory_for(engine)


def service(uow_factory, clock, transport, *, url=URL, secret=SECRET, **kw):
    """A service with the default endpoint (what ANXIN_WEBHOOK_URL configures) at ``url``; ``url=None``: none."""
    # Signed at the test's time too (the receivers below check against it); bootstrap signs with the wall clock.
    svc = OutboxService(uow_factory=uow_factory, clock=clock, transport=transport,
                        wall_clock=kw.pop("wall_clock", clock), **kw)
    if url:
        svc.endpoints.ensure_configured(url, secret)
    return svc


def put(uow_factory, clock, key="case_1:refund", kind=REFUND, amount=1999, subject="case_1", payload=None):
    with uow_factory() as uow:
        if payload is None:
            payload = {"case_id": subject, "amount_fen": amount}
        msg = enqueue(uow, clock=clock, kind=kind, idempotency_key=key, amount_fen=amount,
                      subject_ref=subject, payload=payload)
        uow.commit()
    return msg


# -- enqueue ------------------------------------------------------------------------------------------

def test_enqueue_is_idempotent_on_key(uow_factory, clock):
    with uow_factory() as uow:
        a = enqueue(uow, clock=clock, kind=REFUND, idempotency_key="k1", payload={"n": 1}, amount_fen=100,
                    subject_ref="case_1")
        b = enqueue(uow, clock=clock, kind=REFUND, idempotency_key="k1", payload={"n": 1}, amount_fen=100,
                    subject_ref="case_1")
        uow.commit()
    clock.advance(minutes=5)
    c = put(uow_factory, clock, key="k1", amount=100)
    assert a.message_id == b.message_id == c.message_id
    assert c.created_at == T0 and c.payload == {"n": 1}
    svc = service(uow_factory, clock, RecordingTransport())
    assert svc.stats() == {"pending": 1, "delivered": 0, "dead": 0}


def test_the_store_tells_a_new_row_from_a_taken_key_on_every_database(uow_factory, clock):
    # psycopg reports rowcount -1 for INSERT … ON CONFLICT DO NOTHING: the store must not rely on it.
    from anxin.outbox.delivery_store import EndpointRepository
    from anxin.outbox.store import OutboxRepository, OutboxRow

    def row(message_id):
        return OutboxRow(message_id=message_id, idempotency_key="same-key", kind=REFUND, payload={}, amount_fen=1,
                         subject_ref="case_1", created_at=T0, status="pending", attempts=0, next_attempt_at=T0,
                         lease_until=None, delivered_at=None, last_error=None, fanned_out_at=None)

    endpoint = {"endpoint_id": "ep_x", "url": URL, "secret": SECRET, "description": "", "previous_secret": None,
                "previous_secret_until": None, "event_types": ["*"], "enabled": True, "created_at": T0,
                "updated_at": T0}
    with uow_factory() as uow:
        first = row("m_first")
        assert OutboxRepository(uow.session).add(first) is first
        again = OutboxRepository(uow.session).add(row("m_second"))
        assert again is not first and again.message_id == "m_first"
        repo = EndpointRepository(uow.session)
        assert repo.insert_if_absent(endpoint) is True
        assert repo.insert_if_absent(endpoint) is False
        uow.commit()


def test_enqueue_key_reuse_for_other_amount_is_a_conflict(uow_factory, clock):
    put(uow_factory, clock, key="k1", amount=100)
    with pytest.raises(AnxinError) as exc:
        put(uow_factory, clock, key="k1", amount=200)
    assert exc.value.code == OutboxErrorCode.IDEMPOTENCY_CONFLICT


def test_enqueue_in_rolled_back_uow_leaves_nothing(uow_factory, clock):
    with uow_factory() as uow:
        enqueue(uow, clock=clock, kind=REFUND, idempotency_key="k1", payload={}, amount_fen=1,
                subject_ref="case_1")
        # no commit: the state change that caused it failed, so must the message
    with pytest.raises(RuntimeError), uow_factory() as uow:
        enqueue(uow, clock=clock, kind=REFUND, idempotency_key="k2", payload={}, amount_fen=1,
                subject_ref="case_1")
        raise RuntimeError("case update failed")
    transport = RecordingTransport()
    svc = service(uow_factory, clock, transport)
    assert svc.stats() == {"pending": 0, "delivered": 0, "dead": 0}
    assert svc.deliver_due() == DeliveryReport()
    assert transport.calls == []


@pytest.mark.parametrize("amount", [-1, True, 1.5, "100"])
def test_enqueue_rejects_bad_amounts(uow_factory, clock, amount):
    with pytest.raises(AnxinError) as exc:
        put(uow_factory, clock, amount=amount, payload={})
    assert exc.value.code == OutboxErrorCode.INVALID_AMOUNT


@pytest.mark.parametrize("kwargs, code", [
    ({"kind": "refund.maybe"}, OutboxErrorCode.INVALID_KIND),
    ({"key": ""}, OutboxErrorCode.INVALID_MESSAGE),
    ({"payload": {"x": object()}}, OutboxErrorCode.INVALID_MESSAGE),
    ({"payload": {"x": float("nan")}}, OutboxErrorCode.INVALID_MESSAGE),
])
def test_enqueue_rejects_bad_messages(uow_factory, clock, kwargs, code):
    with pytest.raises(AnxinError) as exc:
        put(uow_factory, clock, **kwargs)
    assert exc.value.code == code


def test_amounts_and_listing(uow_factory, clock):
    big = 10**12  # BigInteger: more than 2^31 fen
    put(uow_factory, clock, key="a", amount=big, subject="case_1")
    clock.advance(seconds=1)  # listing is in creation order
    put(uow_factory, clock, key="b", kind=PICKUP, amount=None, subject="case_1")
    put(uow_factory, clock, key="c", kind=COMPENSATION, amount=0, subject="case_2")
    svc = service(uow_factory, clock, RecordingTransport())
    listed = svc.list_messages(subject_ref="case_1")
    assert [(m.idempotency_key, m.amount_fen) for m in listed] == [("a", big), ("b", None)]
    assert len(svc.list_messages(status="pending")) == 3
    assert svc.list_messages(status="dead") == []


# -- delivery -----------------------------------------------------------------------------------------

def test_delivers_once_with_signed_headers(uow_factory, clock):
    msg = put(uow_factory, clock)
    transport = RecordingTransport()
    svc = service(uow_factory, clock, transport)
    assert svc.deliver_due() == DeliveryReport(delivered=1)
    assert svc.deliver_due() == DeliveryReport()
    assert len(transport.calls) == 1
    call = transport.calls[0]
    assert call.url == URL
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["Idempotency-Key"] == "case_1:refund"
    assert call.headers["webhook-id"] == msg.message_id
    assert call.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert call.headers["webhook-signature"].startswith("v1,")
    assert verify([SECRET], call.headers, call.body, now_ts=int(T0.timestamp()))
    body = json.loads(call.body)
    assert body == {"message_id": msg.message_id, "idempotency_key": "case_1:refund", "kind": REFUND,
                    "created_at": "2025-06-01T08:00:00+00:00",
                    "payload": {"case_id": "case_1", "amount_fen": 1999}}
    assert call.body == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    delivered = svc.get_message(msg.message_id)
    assert delivered.status == "delivered" and delivered.delivered_at == T0 and delivered.attempts == 1


def test_retry_after_500_with_backoff(uow_factory, clock):
    msg = put(uow_factory, clock)
    transport = RecordingTransport([500, httpx.ConnectError("connection refused")])
    svc = service(uow_factory, clock, transport)
    assert svc.deliver_due() == DeliveryReport(failed=1)
    m = svc.get_message(msg.message_id)
    assert (m.status, m.attempts, m.last_error) == ("pending", 1, "HTTP 500")
    assert m.next_attempt_at == T0 + dt.timedelta(seconds=10)

    clock.advance(seconds=9)
    assert svc.deliver_due() == DeliveryReport()
    clock.advance(seconds=1)
    assert svc.deliver_due() == DeliveryReport(failed=1)
    m = svc.get_message(msg.message_id)
    assert m.attempts == 2 and m.last_error.startswith("ConnectError")
    assert m.next_attempt_at == clock.now() + dt.timedelta(seconds=20)

    clock.advance(seconds=20)
    assert svc.deliver_due() == DeliveryReport(delivered=1)
    m = svc.get_message(msg.message_id)
    assert (m.status, m.attempts, m.last_error) == ("delivered", 3, None)
    assert len(transport.calls) == 3


def test_dead_after_max_attempts_then_redeliver(uow_factory, clock):
    msg = put(uow_factory, clock)
    transport = RecordingTransport(default_status=503)
    svc = service(uow_factory, clock, transport, retry=RetryPolicy(base_seconds=1, max_attempts=3))
    reports = []
    for _ in range(3):
        reports.append(svc.deliver_due())
        clock.advance(hours=1)
    assert reports == [DeliveryReport(failed=1), DeliveryReport(failed=1), DeliveryReport(dead=1)]
    assert svc.deliver_due() == DeliveryReport()
    m = svc.get_message(msg.message_id)
    assert (m.status, m.attempts, m.last_error) == ("dead", 3, "HTTP 503")
    assert svc.stats() == {"pending": 0, "delivered": 0, "dead": 1}
    assert [x.message_id for x in svc.list_messages(status="dead")] == [msg.message_id]

    with pytest.raises(AnxinError) as exc:
        svc.redeliver("msg_missing")
    assert exc.value.code == OutboxErrorCode.MESSAGE_NOT_FOUND

    transport.script(200)
    again = svc.redeliver(msg.message_id)
    assert (again.status, again.attempts, again.next_attempt_at) == ("pending", 0, clock.now())
    assert svc.deliver_due() == DeliveryReport(delivered=1)
    with pytest.raises(AnxinError) as exc:
        svc.redeliver(msg.message_id)
    assert exc.value.code == OutboxErrorCode.NOT_REDELIVERABLE
    assert len(transport.calls) == 4


def test_without_a_subscribed_endpoint_messages_stay_pending_without_spending_attempts(uow_factory, clock):
    msg = put(uow_factory, clock)
    transport = RecordingTransport()
    svc = service(uow_factory, clock, transport, url=None)
    for _ in range(5):
        assert svc.deliver_due() == DeliveryReport()
    notices_only = svc.endpoints.create(url="http://notices.test/hook", event_types=[NOTICE])
    assert svc.deliver_due() == DeliveryReport()
    m = svc.get_message(msg.message_id)
    assert (m.status, m.attempts) == ("pending", 0) and transport.calls == []
    assert svc.message_detail(msg.message_id).deliveries == []
    # An endpoint that wants it arrives: the waiting message goes out to it (and only to it).
    svc.endpoints.update(notices_only.endpoint.endpoint_id, event_types=[NOTICE, REFUND])
    assert svc.deliver_due() == DeliveryReport(delivered=1)
    assert [c.url for c in transport.calls] == ["http://notices.test/hook"]
    assert svc.get_message(msg.message_id).status == "delivered"


# -- leases -------------------------------------------------------------------------------------------

def test_lease_prevents_double_sending(uow_factory, clock):
    put(uow_factory, clock, key="k1")
    b_transport = RecordingTransport()
    b = service(uow_factory, clock, b_transport)
    b_reports = []

    def a_post(url, body, headers):
        # While A is mid-send (its lease committed), worker B runs: it must not claim the same row.
        b_reports.append(b.deliver_due())
        return 200

    a_transport = RecordingTransport(handler=a_post)
    a = service(uow_factory, clock, a_transport)
    assert a.deliver_due() == DeliveryReport(delivered=1)
    assert b_reports == [DeliveryReport()]
    assert len(a_transport.calls) == 1 and b_transport.calls == []


@pytest.mark.parametrize(("lease_seconds", "taken_over"), [(5, True), (60, False)])
def test_the_delivery_lease_is_configurable(uow_factory, clock, lease_seconds, taken_over):
    """ANXIN_DELIVERY_LEASE_SECONDS: a delivery held 6 s by a stalled worker is another's after a 5 s lease, not
    after the default 60 s."""
    put(uow_factory, clock, key="k1")
    sink = WebhookSink(SECRET, clock=clock)
    lease = dt.timedelta(seconds=lease_seconds)
    b = service(uow_factory, clock, RecordingTransport(handler=lambda url, body, headers: sink.receive(
        body, headers)[0]), lease=lease)
    b_reports = []

    def a_post(url, body, headers):
        clock.advance(seconds=6)
        b_reports.append(b.deliver_due())
        return sink.receive(body, headers)[0]

    a = service(uow_factory, clock, RecordingTransport(handler=a_post), lease=lease)
    report = a.deliver_due()
    if taken_over:
        assert (report, b_reports) == (DeliveryReport(deferred=1), [DeliveryReport(delivered=1)])
    else:
        assert (report, b_reports) == (DeliveryReport(delivered=1), [DeliveryReport()])
    assert len(sink.applied) == 1 and sink.redelivered == ({"k1": 1} if taken_over else {})


def test_expired_lease_is_taken_over_and_stale_worker_cannot_overwrite(uow_factory, clock):
    msg = put(uow_factory, clock, key="k1")
    sink = WebhookSink(SECRET, clock=clock)
    b_transport = RecordingTransport(handler=lambda url, body, headers: sink.receive(body, headers)[0])
    b = service(uow_factory, clock, b_transport)
    b_reports = []

    def a_post(url, body, headers):
        # A hangs past its lease; B takes over and delivers; then A's (slow) request lands too.
        clock.advance(seconds=61)
        b_reports.append(b.deliver_due())
        return sink.receive(body, headers)[0]

    a = service(uow_factory, clock, RecordingTransport(handler=a_post))
    assert a.deliver_due() == DeliveryReport(deferred=1)
    assert b_reports == [DeliveryReport(delivered=1)]
    assert len(sink.applied) == 1 and sink.duplicates == 1 and sink.redelivered == {"k1": 1}
    m = a.get_message(msg.message_id)
    assert m.status == "delivered" and m.attempts == 1


def test_concurrent_workers_send_each_message_once(uow_factory, clock):
    keys = [f"case_{i}:refund" for i in range(40)]
    for key in keys:
        put(uow_factory, clock, key=key)
    transport = RecordingTransport()
    workers = [service(uow_factory, clock, transport) for _ in range(4)]
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def run(worker):
        try:
            barrier.wait()
            for _ in range(5):
                reports.append(worker.deliver_due(limit=7))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    sent = [c.headers["Idempotency-Key"] for c in transport.calls]
    assert sorted(sent) == sorted(keys)
    assert sum(r.delivered for r in reports) == len(keys)


# -- end to end over HTTP -----------------------------------------------------------------------------

@pytest.fixture
def http_sink(clock):
    sink = WebhookSink(SECRET, clock=clock)
    server, url = serve_sink(sink)
    transport = HttpxTransport(timeout=5.0)
    yield sink, transport, url
    transport.close()
    server.shutdown()
    server.server_close()


def test_end_to_end_exactly_once_effect_over_http(uow_factory, clock, http_sink):
    sink, transport, url = http_sink
    svc = service(uow_factory, clock, transport, url=url)
    put(uow_factory, clock, key="case_1:refund", amount=1999)
    clock.advance(seconds=1)  # delivery is in creation order
    put(uow_factory, clock, key="case_2:freight", amount=800, subject="case_2")
    assert svc.deliver_due() == DeliveryReport(delivered=2)
    assert [r.idempotency_key for r in sink.applied] == ["case_1:refund", "case_2:freight"]
    assert sink.get("case_1:refund").message["payload"]["amount_fen"] == 1999

    # The receiver applies the refund but the response is lost (500): the sender must retry, and the
    # retry must be recognised as a duplicate, so the money moves once.
    lost = put(uow_factory, clock, key="case_3:refund", amount=500, subject="case_3")
    sink.lose_next_responses(1)
    assert svc.deliver_due() == DeliveryReport(failed=1)
    assert len(sink.applied) == 3 and sink.duplicates == 0
    clock.advance(seconds=10)
    assert svc.deliver_due() == DeliveryReport(delivered=1)
    assert len(sink.applied) == 3 and sink.duplicates == 1
    assert sum(1 for r in sink.applied if r.idempotency_key == "case_3:refund") == 1
    assert svc.get_message(lost.message_id).attempts == 2
    assert svc.deliver_due() == DeliveryReport()


def test_wrong_secret_is_rejected_by_receiver(uow_factory, clock, http_sink):
    sink, transport, url = http_sink
    put(uow_factory, clock)
    bad = service(uow_factory, clock, transport, url=url, secret="not-the-secret")
    assert bad.deliver_due() == DeliveryReport(failed=1)
    assert sink.applied == [] and sink.deliveries == 0
    assert bad.list_messages()[0].last_error == "HTTP 401"


def test_unreachable_receiver_is_a_failed_attempt(uow_factory, clock):
    put(uow_factory, clock)
    transport = HttpxTransport(timeout=1.0)
    try:
        svc = service(uow_factory, clock, transport, url="http://127.0.0.1:9/unreachable")
        assert svc.deliver_due() == DeliveryReport(failed=1)
        assert svc.list_messages()[0].status == "pending"
    finally:
        transport.close()
