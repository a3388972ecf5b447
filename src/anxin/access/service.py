"""Use cases for API keys: mint, authenticate, revoke, list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.access.error_codes import AccessErrorCode
from anxin.access.model import Principal, Role, hash_key, new_raw_key, parse_role
from anxin.access.store import ApiKeyRepository, ApiKeyRow
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.db.uow import UowFactory


@dataclass(frozen=True)
class KeyInfo:
    """What operators see about a key: never the raw key, never the hash."""

    key_id: str
    role: Role
    subject: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class AccessService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    def create_key(self, role: str, subject: str) -> tuple[Principal, str]:
        """Returns the principal and the raw key; the raw key is shown once and cannot be recovered."""
        parsed = parse_role(role)
        if parsed is None:
            raise AnxinError(AccessErrorCode.INVALID_ROLE, f"unknown role {role!r}",
                             role=role, allowed=[r.value for r in Role])
        subject = (subject or "").strip()
        if not subject:
            raise AnxinError(AccessErrorCode.INVALID_SUBJECT, "subject must not be empty")
        raw = new_raw_key()
        key_id = new_id("key")
        with self._uow_factory() as uow:
            ApiKeyRepository(uow.session).add(ApiKeyRow(
                key_id=key_id, key_hash=hash_key(raw), role=parsed.value, subject=subject,
                created_at=self._clock.now(), revoked_at=None))
            uow.commit()
        return Principal(key_id=key_id, role=parsed, subject=subject), raw

    def authenticate(self, raw_key: str | None) -> Principal:
        # One error for missing, unknown and revoked: callers learn nothing about which keys exist.
        if not raw_key:
            raise AnxinError(AccessErrorCode.UNAUTHENTICATED, "an API key is required")
        with self._uow_factory() as uow:
            row = ApiKeyRepository(uow.session).get_by_hash(hash_key(raw_key))
            if row is None or row.revoked_at is not None:
                raise AnxinError(AccessErrorCode.UNAUTHENTICATED, "invalid or revoked API key")
            return Principal(key_id=row.key_id, role=Role(row.role), subject=row.subject)

    def revoke(self, key_id: str) -> KeyInfo:
        """Idempotent: revoking a revoked key keeps the first revocation time."""
        with self._uow_factory() as uow:
            row = ApiKeyRepository(uow.session).get(key_id)
            if row is None:
                raise AnxinError(AccessErrorCode.KEY_NOT_FOUND, f"no API key {key_id!r}", key_id=key_id)
            if row.revoked_at is None:
                row.revoked_at = self._clock.now()
            info = _info(row)
            uow.commit()
            return info

    def list_keys(self) -> list[KeyInfo]:
        with self._uow_factory() as uow:
            return [_info(row) for row in ApiKeyRepository(uow.session).list()]


def require_role(principal: Principal, *roles: Role) -> Principal:
    """Guard for use cases limited to some roles; the web layer maps the code to 403."""
    if principal.role not in roles:
        raise AnxinError(AccessErrorCode.FORBIDDEN_ROLE, f"role {principal.role.value!r} may not do this",
                         role=principal.role.value, allowed=[r.value for r in roles])
    return principal


def _info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(key_id=row.key_id, role=Role(row.role), subject=row.subject,
                   created_at=row.created_at, revoked_at=row.revoked_at)
