"""Standard Webhooks signatures: the spec's published vector, rotation, the timestamp window, tampering."""

from __future__ import annotations

import base64

import pytest

from anxin.outbox.signing import (
    InvalidSecret,
    as_whsec,
    new_secret,
    secret_key,
    sign_headers,
    signature,
    verify,
)

# The reference libraries' test vector (standard-webhooks/libraries/python/tests/test_webhooks.py, test_sign_function).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

BODY = b'{"kind":"refund.issue","payload":{"amount_fen":1999}}'
TS = 1_750_000_000


def test_spec_vector():
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE
    headers = {"webhook-id": SPEC_ID, "webhook-timestamp": str(SPEC_TS), "webhook-signature": SPEC_SIGNATURE}
    assert verify([SPEC_SECRET], headers, SPEC_BODY, now_ts=SPEC_TS)
    # The spec's invalid signature (last character changed) is refused.
    bad = {**headers, "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}
    assert not verify([SPEC_SECRET], bad, SPEC_BODY, now_ts=SPEC_TS)


def test_headers_round_trip_and_are_case_insensitive():
    secret = new_secret()
    headers = sign_headers([secret], "msg_1", TS, BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(TS)
    assert headers["webhook-signature"].startswith("v1,")
    assert verify([secret], {k.title(): v for k, v in headers.items()}, BODY, now_ts=TS)


def test_new_secrets_are_whsec_base64_of_24_random_bytes():
    a, b = new_secret(), new_secret()
    assert a != b and a.startswith("whsec_")
    assert len(base64.b64decode(a.removeprefix("whsec_"))) == 24


def test_legacy_secret_is_its_utf8_bytes_and_has_a_whsec_spelling():
    assert secret_key("test-secret") == b"test-secret"
    assert secret_key(as_whsec("test-secret")) == b"test-secret"
    assert signature("test-secret", "m", TS, BODY) == signature(as_whsec("test-secret"), "m", TS, BODY)
    assert as_whsec(SPEC_SECRET) == SPEC_SECRET


@pytest.mark.parametrize("bad", ["", "whsec_", "whsec_***not base64***"])
def test_malformed_secrets_are_refused(bad):
    with pytest.raises(InvalidSecret):
        secret_key(bad)


def test_rotation_two_signatures_either_secret_verifies():
    old, new = new_secret(), new_secret()
    headers = sign_headers([new, old], "msg_1", TS, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify([old], headers, BODY, now_ts=TS)  # a receiver not switched yet
    assert verify([new], headers, BODY, now_ts=TS)  # a receiver already switched
    assert verify([new, old], headers, BODY, now_ts=TS)
    assert not verify([new_secret()], headers, BODY, now_ts=TS)


def test_unknown_versions_and_junk_entries_are_ignored():
    secret = new_secret()
    good = sign_headers([secret], "msg_1", TS, BODY)
    entry = good["webhook-signature"]
    mixed = {**good, "webhook-signature": f"v2,{entry[3:]} junk v1,AAAA {entry}"}
    assert verify([secret], mixed, BODY, now_ts=TS)
    only_v2 = {**good, "webhook-signature": f"v2,{entry[3:]}"}
    assert not verify([secret], only_v2, BODY, now_ts=TS)


@pytest.mark.parametrize("skew, ok", [(0, True), (300, True), (-300, True), (301, False), (-301, False),
                                      (86_400, False)])
def test_timestamp_tolerance_edges(skew, ok):
    secret = new_secret()
    assert verify([secret], sign_headers([secret], "msg_1", TS, BODY), BODY, now_ts=TS + skew) is ok


def _flip_first_byte(header: str) -> str:
    # Flip a whole byte: swapping the last base64 character can leave the
    # decoded bytes unchanged (its low bits are padding), which made this flaky.
    version, sig = header.split(",", 1)
    raw = bytearray(base64.b64decode(sig))
    raw[0] ^= 0xFF
    return f"{version},{base64.b64encode(bytes(raw)).decode()}"


@pytest.mark.parametrize("mutate", [
    lambda h, b: (h, b.replace(b"1999", b"9999")),                                   # body tampered
    lambda h, b: ({**h, "webhook-timestamp": str(TS + 1)}, b),                       # timestamp tampered
    lambda h, b: ({**h, "webhook-id": "msg_2"}, b),                                  # id tampered
    lambda h, b: ({**h, "webhook-signature": _flip_first_byte(h["webhook-signature"])}, b),  # signature tampered
    lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
    lambda h, b: ({k: v for k, v in h.items() if k != "webhook-timestamp"}, b),
    lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b),
    lambda h, b: ({**h, "webhook-timestamp": "abc"}, b),
    lambda h, b: ({**h, "webhook-signature": "v1,"}, b),
])
def test_tampering_is_detected(mutate):
    secret = new_secret()
    headers, body = mutate(sign_headers([secret], "msg_1", TS, BODY), BODY)
    assert not verify([secret], headers, body, now_ts=TS)
