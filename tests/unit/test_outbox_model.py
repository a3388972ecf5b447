from __future__ import annotations

import datetime as dt
import json

import pytest

from anxin.outbox.model import (
    ACTION_KINDS,
    ALL_KINDS,
    DEAD,
    DELIVERED,
    KINDS,
    NOTICE,
    PENDING,
    REFUND,
    Delivery,
    Endpoint,
    OutboxMessage,
    RetryPolicy,
    after_attempt,
    event_type_problems,
    message_body,
    message_status,
    normalise_event_types,
    subscribers,
    url_problem,
)

T0 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("attempts, seconds", [
    (0, 10), (1, 20), (2, 40), (3, 80), (4, 160), (5, 320), (6, 640), (7, 1280), (8, 2560),
    (9, 3600), (10, 3600), (11, 3600), (500, 3600), (10**9, 3600),
])
def test_retry_delays(attempts, seconds):
    assert RetryPolicy().next_delay(attempts) == dt.timedelta(seconds=seconds)


def test_retry_custom_policy_and_flat_factor():
    triple = RetryPolicy(base_seconds=5, factor=3, max_delay_seconds=100)
    assert [triple.next_delay(n).total_seconds() for n in range(4)] == [5, 15, 45, 100]
    flat = RetryPolicy(base_seconds=5, factor=1, max_delay_seconds=100)
    assert flat.next_delay(10**9).total_seconds() == 5


@pytest.mark.parametrize("attempts, exhausted", [(0, False), (1, False), (11, False), (12, True), (13, True)])
def test_retry_exhaustion(attempts, exhausted):
    assert RetryPolicy().is_exhausted(attempts) is exhausted


@pytest.mark.parametrize("kwargs", [{"base_seconds": 0}, {"factor": 0}, {"max_attempts": 0},
                                    {"base_seconds": 10, "max_delay_seconds": 5}])
def test_retry_policy_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_negative_attempts_rejected():
    with pytest.raises(ValueError):
        RetryPolicy().next_delay(-1)


def test_message_body_is_canonical():
    at = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)
    msg = OutboxMessage(message_id="msg_1", idempotency_key="case_1:refund", kind="refund.issue",
                        payload={"z": 1, "a": "退款"}, created_at=at, attempts=0, next_attempt_at=at,
                        status="pending", delivered_at=None, last_error=None)
    body = message_body(msg)
    assert body == ('{"created_at":"2025-06-01T08:00:00+00:00","idempotency_key":"case_1:refund",'
                    '"kind":"refund.issue","message_id":"msg_1","payload":{"a":"退款","z":1}}').encode()
    assert set(json.loads(body)) == {"message_id", "idempotency_key", "kind", "created_at", "payload"}


def test_kinds_are_stable():
    assert sorted(KINDS - ACTION_KINDS) == ["compensation.issue", "consumer.notice", "coupon.issue", "exchange.reship",
                             "freight.compensate",
                             "pickup.request", "prize.ship", "refund.issue"]


# -- fan-out and the per-delivery retry policy ------------------------------------------------------------------

def endpoint(endpoint_id, event_types, enabled=True):
    return Endpoint(endpoint_id, f"https://{endpoint_id}.example/hook", "", tuple(event_types), enabled, T0, T0)


def test_fan_out_to_enabled_subscribers_only():
    eps = [endpoint("all", [ALL_KINDS]), endpoint("refunds", [REFUND]), endpoint("off", [ALL_KINDS], enabled=False),
           endpoint("notices", [NOTICE])]
    assert subscribers(REFUND, eps) == ["all", "refunds"]
    assert subscribers(NOTICE, eps) == ["all", "notices"]
    assert subscribers("coupon.issue", eps) == ["all"]
    assert subscribers(REFUND, [endpoint("notices", [NOTICE])]) == []  # stays pending: nobody wants it


@pytest.mark.parametrize("statuses, derived", [
    ([], PENDING),  # no delivery yet: nobody subscribed, nobody received it
    ([PENDING], PENDING), ([DELIVERED, PENDING], PENDING), ([DELIVERED], DELIVERED),
    ([DELIVERED, DELIVERED], DELIVERED), ([DELIVERED, DEAD], DEAD), ([PENDING, DEAD], DEAD),
])
def test_message_status_is_derived_from_its_deliveries(statuses, derived):
    assert message_status(statuses) == derived


def test_each_delivery_retries_with_backoff_then_dies():
    policy = RetryPolicy(base_seconds=10, max_attempts=3)
    first = after_attempt(attempts=0, next_attempt_at=T0, succeeded=False, now=T0, retry=policy)
    assert (first.status, first.attempts, first.next_attempt_at) == (PENDING, 1, T0 + dt.timedelta(seconds=10))
    later = T0 + dt.timedelta(seconds=10)
    second = after_attempt(attempts=1, next_attempt_at=first.next_attempt_at, succeeded=False, now=later,
                           retry=policy)
    assert (second.status, second.next_attempt_at) == (PENDING, later + dt.timedelta(seconds=20))
    third = after_attempt(attempts=2, next_attempt_at=second.next_attempt_at, succeeded=False, now=later,
                          retry=policy)
    assert (third.status, third.attempts, third.delivered_at) == (DEAD, 3, None)
    ok = after_attempt(attempts=2, next_attempt_at=second.next_attempt_at, succeeded=True, now=later, retry=policy)
    assert (ok.status, ok.attempts, ok.delivered_at) == (DELIVERED, 3, later)


def test_redeliverable_deliveries():
    def d(status, attempts):
        return Delivery("dlv_1", "msg_1", "ep_1", status, attempts, T0, T0)
    assert d(DEAD, 12).redeliverable and d(PENDING, 2).redeliverable
    assert not d(PENDING, 0).redeliverable and not d(DELIVERED, 1).redeliverable


def test_event_types_and_urls():
    assert normalise_event_types([REFUND, NOTICE, REFUND]) == (NOTICE, REFUND)
    assert normalise_event_types([REFUND, ALL_KINDS]) == (ALL_KINDS,)
    assert event_type_problems([]) and event_type_problems(["refund.maybe"]) == ["unknown kind 'refund.maybe'"]
    assert event_type_problems([ALL_KINDS, REFUND]) == []
    assert url_problem("https://platform.example/hooks") is None and url_problem("http://127.0.0.1:9/x") is None
    for bad in ["ftp://x", "https://", "https://a b", "javascript:alert(1)", "https://x/" + "a" * 2000]:
        assert url_problem(bad), bad
