"""Use cases for API keys (mint, authenticate, revoke, list), one-time login links and page sessions.

Failed key, link and session attempts count against the caller's address (``FailureWindow``); past the limit
every attempt from that address is refused with ``access.too_many_attempts`` until the window slides on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.access.error_codes import AccessErrorCode
from anxin.access.model import (
    LINK_PREFIX,
    SESSION_PREFIX,
    FailureWindow,
    Principal,
    Role,
    hash_key,
    new_raw_key,
    new_token,
    parse_role,
)
from anxin.access.store import ApiKeyRepository, ApiKeyRow, LoginLinkRow, TokenRepository, WebSessionRow
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


@dataclass(frozen=True)
class LoginLink:
    """A one-time link's raw token (shown once), who it signs in as and until when."""

    token: str
    principal: Principal
    expires_at: dt.datetime


SESSION_LIFETIME = dt.timedelta(days=7)
LINK_LIFETIME = dt.timedelta(minutes=15)
MAX_LINK_LIFETIME = dt.timedelta(days=7)


class AccessService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, failure_limit: int = 20,
                 failure_window: dt.timedelta = dt.timedelta(minutes=1),
                 link_lifetime: dt.timedelta = LINK_LIFETIME) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._failures = FailureWindow(limit=failure_limit, window=failure_window)
        self.link_lifetime = link_lifetime

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

    def authenticate(self, raw_key: str | None, *, client: str | None = None) -> Principal:
        """The key's principal. ``client`` (the caller's address) is counted on failure and refused when blocked."""
        # One error for missing, unknown and revoked: callers learn nothing about which keys exist.
        if not raw_key:
            raise AnxinError(AccessErrorCode.UNAUTHENTICATED, "an API key is required")
        self._check_blocked(client)
        with self._uow_factory() as uow:
            row = ApiKeyRepository(uow.session).get_by_hash(hash_key(raw_key))
            who = None if row is None or row.revoked_at is not None else _principal(row)
        if who is None:
            raise self._failed(client, "invalid or revoked API key")
        return who

    # --- pages: sessions and one-time login links ---------------------------------------------------

    def sign_in(self, raw_key: str, *, client: str | None = None) -> tuple[Principal, str]:
        """A key typed into the login form: its principal and a new page session token (the cookie)."""
        who = self.authenticate(raw_key, client=client)
        return who, self._new_session(who.key_id)

    def session(self, token: str | None) -> Principal:
        """The principal of a page session cookie; ended, expired or revoked-key sessions are unauthenticated.

        Not counted as failed attempts: a browser keeps sending a stale cookie on every page, and a session
        token is as unguessable as a key."""
        if not token:
            raise AnxinError(AccessErrorCode.UNAUTHENTICATED, "not signed in")
        with self._uow_factory() as uow:
            row = TokenRepository(uow.session).session_key(hash_key(token), self._clock.now())
            who = None if row is None or row.revoked_at is not None else _principal(row)
        if who is None:
            raise AnxinError(AccessErrorCode.UNAUTHENTICATED, "the session has ended; sign in again")
        return who

    def end_session(self, token: str) -> None:
        with self._uow_factory() as uow:
            TokenRepository(uow.session).end_session(hash_key(token), self._clock.now())
            uow.commit()

    def create_login_link(self, *, key_id: str | None = None, role: str | None = None, subject: str | None = None,
                          lifetime: dt.timedelta | None = None) -> LoginLink:
        """A link for an existing key (``key_id``), or for a new key of ``role`` and ``subject``."""
        lifetime = self.link_lifetime if lifetime is None else lifetime
        if not dt.timedelta(0) < lifetime <= MAX_LINK_LIFETIME:
            raise AnxinError(AccessErrorCode.LOGIN_LINK_INVALID, "a login link lives between a second and 7 days",
                             lifetime_seconds=lifetime.total_seconds())
        if key_id is None:
            who, _ = self.create_key(role or "", subject or "")
            key_id = who.key_id
        token, now = new_token(LINK_PREFIX), self._clock.now()
        with self._uow_factory() as uow:
            row = ApiKeyRepository(uow.session).get(key_id)
            if row is None or row.revoked_at is not None:
                raise AnxinError(AccessErrorCode.KEY_NOT_FOUND, f"no active API key {key_id!r}", key_id=key_id)
            tokens = TokenRepository(uow.session)
            tokens.purge(now - dt.timedelta(days=1))
            tokens.add(LoginLinkRow(token_hash=hash_key(token), key_id=key_id, created_at=now,
                                    expires_at=now + lifetime, used_at=None))
            uow.commit()
            return LoginLink(token=token, principal=_principal(row), expires_at=now + lifetime)

    def redeem_login_link(self, token: str, *, client: str | None = None) -> tuple[Principal, str]:
        """Exchanges a link for a page session token, once: a used, expired or unknown link is refused."""
        if not token:
            raise AnxinError(AccessErrorCode.LOGIN_LINK_INVALID, "the login link is incomplete")
        self._check_blocked(client)
        now = self._clock.now()
        with self._uow_factory() as uow:
            tokens = TokenRepository(uow.session)
            row = tokens.use_link(hash_key(token), now)
            if row is None or row.revoked_at is not None:  # leaving the block rolls the use back
                raise self._failed(client, "this login link was used already, has expired or does not exist",
                                   code=AccessErrorCode.LOGIN_LINK_INVALID)
            session = new_token(SESSION_PREFIX)
            tokens.add(WebSessionRow(token_hash=hash_key(session), key_id=row.key_id, created_at=now,
                                     expires_at=now + SESSION_LIFETIME, ended_at=None))
            uow.commit()
            return _principal(row), session

    def _new_session(self, key_id: str) -> str:
        token, now = new_token(SESSION_PREFIX), self._clock.now()
        with self._uow_factory() as uow:
            tokens = TokenRepository(uow.session)
            tokens.purge(now - dt.timedelta(days=1))
            tokens.add(WebSessionRow(token_hash=hash_key(token), key_id=key_id, created_at=now,
                                     expires_at=now + SESSION_LIFETIME, ended_at=None))
            uow.commit()
        return token

    # --- failed attempts ------------------------------------------------------------------------------

    def _check_blocked(self, client: str | None) -> None:
        wait = self._failures.retry_after(client, self._clock.now()) if client else None
        if wait is not None:
            raise AnxinError(AccessErrorCode.TOO_MANY_ATTEMPTS,
                             f"too many failed attempts from this address; try again in {wait} s", retry_after=wait)

    def _failed(self, client: str | None, message: str,
                code: AccessErrorCode = AccessErrorCode.UNAUTHENTICATED) -> AnxinError:
        if client:
            self._failures.fail(client, self._clock.now())
        return AnxinError(code, message)

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


def _principal(row: ApiKeyRow) -> Principal:
    return Principal(key_id=row.key_id, role=Role(row.role), subject=row.subject)


def _info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(key_id=row.key_id, role=Role(row.role), subject=row.subject,
                   created_at=row.created_at, revoked_at=row.revoked_at)
