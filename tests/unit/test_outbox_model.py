from __future__ import annotations

import datetime as dt
import json

import pytest

from anxin.outbox.model import ACTION_KINDS, KINDS, OutboxMessage, RetryPolicy, message_body, sign, verify

SECRET = "whsec_test"
BODY = b'{"kind":"refund.issue","payload":{"amount_fen":1999}}'
TS = 1_750_000_000


def test_sign_format_and_round_trip():
    header = sign(SECRET, TS, BODY)
    assert header.startswith(f"t={TS},v1=")
    assert len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, BODY, now_ts=TS)


@pytest.mark.parametrize("mutate", [
    lambda h, b: (h, b.replace(b"1999", b"9999")),             # body tampered
    lambda h, b: (h.replace(f"t={TS}", f"t={TS + 1}"), b),       # timestamp tampered
    lambda h, b: (h[:-1] + ("0" if h[-1] != "0" else "1"), b),   # signature tampered
    lambda h, b: ("", b),
    lambda h, b: ("v1=" + h.split("v1=")[1], b),                 # no timestamp
    lambda h, b: (f"t={TS}", b),                                 # no signature
    lambda h, b: ("t=abc,v1=00", b),
])
def test_tampering_is_detected(mutate):
    header, body = mutate(sign(SECRET, TS, BODY), BODY)
    assert not verify(SECRET, header, body, now_ts=TS)


def test_wrong_secret_rejected():
    assert not verify("other", sign(SECRET, TS, BODY), BODY, now_ts=TS)


@pytest.mark.parametrize("skew, ok", [(0, True), (300, True), (-300, True), (301, False), (-301, False),
                                      (86_400, False)])
def test_timestamp_tolerance(skew, ok):
    assert verify(SECRET, sign(SECRET, TS, BODY), BODY, now_ts=TS + skew) is ok


def test_any_v1_may_match_for_secret_rotation():
    new = sign(SECRET, TS, BODY).split(",")[1]
    old = sign("old-secret", TS, BODY).split(",")[1]
    assert verify(SECRET, f"t={TS},{old},{new}", BODY, now_ts=TS)


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
                             "pickup.request", "refund.issue"]
