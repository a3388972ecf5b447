from __future__ import annotations

import datetime as dt

import pytest

from anxin.access.error_codes import AccessErrorCode
from anxin.access.model import Role, hash_key
from anxin.access.service import AccessService, require_role
from anxin.access.store import ApiKeyRepository
from anxin.core.clock import FixedClock
from anxin.core.errors import AnxinError
from anxin.db.uow import uow_factory_for

pytestmark = pytest.mark.db

T0 = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    return FixedClock(T0)


@pytest.fixture
def access(engine, clock):
    return AccessService(uow_factory=uow_factory_for(engine), clock=clock)


def _code(excinfo):
    return excinfo.value.code


def test_create_and_authenticate(access, engine):
    principal, raw = access.create_key("merchant", "m_100")
    assert raw.startswith("ax_")
    assert principal.role is Role.MERCHANT and principal.subject == "m_100"
    assert access.authenticate(raw) == principal
    # Only the hash is stored.
    with uow_factory_for(engine)() as uow:
        row = ApiKeyRepository(uow.session).get_by_hash(hash_key(raw))
        assert row is not None and row.key_hash != raw and raw not in row.key_hash


@pytest.mark.parametrize("raw", [None, "", "ax_not-a-real-key"])
def test_missing_or_unknown_key_is_unauthenticated(access, raw):
    access.create_key("platform", "shop-platform")
    with pytest.raises(AnxinError) as exc:
        access.authenticate(raw)
    assert _code(exc) == AccessErrorCode.UNAUTHENTICATED


def test_revoke(access, clock):
    principal, raw = access.create_key("consumer", "c_1")
    other, other_raw = access.create_key("consumer", "c_2")
    clock.advance(hours=1)
    info = access.revoke(principal.key_id)
    assert info.revoked_at == T0 + dt.timedelta(hours=1)
    with pytest.raises(AnxinError) as exc:
        access.authenticate(raw)
    assert _code(exc) == AccessErrorCode.UNAUTHENTICATED
    assert access.authenticate(other_raw) == other
    # Revoking again keeps the first revocation time.
    clock.advance(hours=1)
    assert access.revoke(principal.key_id).revoked_at == info.revoked_at


def test_revoke_unknown_key(access):
    with pytest.raises(AnxinError) as exc:
        access.revoke("key_missing")
    assert _code(exc) == AccessErrorCode.KEY_NOT_FOUND


@pytest.mark.parametrize("role", ["admin", "", "MERCHANT"])
def test_invalid_role(access, role):
    with pytest.raises(AnxinError) as exc:
        access.create_key(role, "x")
    assert _code(exc) == AccessErrorCode.INVALID_ROLE
    assert access.list_keys() == []


@pytest.mark.parametrize("subject", ["", "   "])
def test_invalid_subject(access, subject):
    with pytest.raises(AnxinError) as exc:
        access.create_key("operator", subject)
    assert _code(exc) == AccessErrorCode.INVALID_SUBJECT


def test_list_keys(access):
    p1, _ = access.create_key("operator", "ops-alice")
    p2, _ = access.create_key("merchant", "m_7")
    access.revoke(p1.key_id)
    keys = {k.key_id: k for k in access.list_keys()}
    assert set(keys) == {p1.key_id, p2.key_id}
    assert keys[p1.key_id].revoked_at == T0 and keys[p2.key_id].revoked_at is None
    assert not hasattr(keys[p1.key_id], "key_hash")


def test_require_role(access):
    principal, _ = access.create_key("consumer", "c_9")
    assert require_role(principal, Role.CONSUMER, Role.OPERATOR) is principal
    with pytest.raises(AnxinError) as exc:
        require_role(principal, Role.MERCHANT)
    assert _code(exc) == AccessErrorCode.FORBIDDEN_ROLE
