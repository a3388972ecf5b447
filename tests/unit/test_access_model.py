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
