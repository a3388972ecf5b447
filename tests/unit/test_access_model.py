from __future__ import annotations

import hashlib

import pytest

from anxin.access.model import KEY_PREFIX, Principal, Role, hash_key, new_raw_key, parse_role


def test_hash_key_is_sha256_hex():
    assert hash_key("ax_abc") == hashlib.sha256(b"ax_abc").hexdigest()
    assert len(hash_key("x")) == 64


def test_raw_keys_are_prefixed_and_unique():
    keys = {new_raw_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(k.startswith(KEY_PREFIX) and len(k) > 30 for k in keys)


@pytest.mark.parametrize("value, expected", [
    ("platform", Role.PLATFORM), ("consumer", Role.CONSUMER), ("merchant", Role.MERCHANT),
    ("operator", Role.OPERATOR), ("admin", None), ("", None), ("Merchant", None),
])
def test_parse_role(value, expected):
    assert parse_role(value) is expected


def test_principal_is_frozen():
    p = Principal(key_id="key_1", role=Role.MERCHANT, subject="m1")
    with pytest.raises(AttributeError):
        p.subject = "m2"  # type: ignore[misc]


def test_failure_window_blocks_at_the_limit_and_slides_on():
    import datetime as dt

    from anxin.access.model import FailureWindow

    t0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    window = FailureWindow(limit=3, window=dt.timedelta(seconds=60))
    for s in (0, 10, 20):
        assert window.retry_after("a", t0 + dt.timedelta(seconds=s)) is None
        window.fail("a", t0 + dt.timedelta(seconds=s))
    assert window.retry_after("a", t0 + dt.timedelta(seconds=30)) == 30  # until the failure at 0 s leaves
    assert window.retry_after("b", t0 + dt.timedelta(seconds=30)) is None  # per address
    assert window.retry_after("a", t0 + dt.timedelta(seconds=60)) is None
    window.fail("a", t0 + dt.timedelta(seconds=61))  # the oldest of the last three is now the one at 10 s
    assert window.retry_after("a", t0 + dt.timedelta(seconds=61)) == 9


def test_failure_window_memory_is_bounded():
    import datetime as dt

    from anxin.access.model import FailureWindow

    t0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    window = FailureWindow(limit=1, window=dt.timedelta(minutes=1), max_clients=100)
    for n in range(1000):
        window.fail(f"10.0.{n // 256}.{n % 256}", t0)
    assert len(window._seen) == 100 and window.retry_after("10.0.3.231", t0) == 60  # the latest are kept
