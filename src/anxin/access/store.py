"""API keys, one-time login links and page sessions. Raw keys and tokens are never stored, only their sha256."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, rowcount


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class LoginLinkRow(Base):
    """A one-time login link: exchanged once (``used_at``) for a page session, before ``expires_at``."""

    __tablename__ = "login_links"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None]


class WebSessionRow(Base):
    """A signed-in browser: the page cookie holds the raw token; signing out or revoking the key ends it."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    ended_at: Mapped[dt.datetime | None]


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: ApiKeyRow) -> ApiKeyRow:
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, key_id: str) -> ApiKeyRow | None:
        return self.session.get(ApiKeyRow, key_id)

    def get_by_hash(self, key_hash: str) -> ApiKeyRow | None:
        return self.session.scalars(sa.select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash)).one_or_none()

    def list(self) -> list[ApiKeyRow]:
        stmt = sa.select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id)
        return list(self.session.scalars(stmt))


class TokenRepository:
    """Login links and sessions: looked up by token hash, joined to their key (a revoked key ends both)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: LoginLinkRow | WebSessionRow) -> None:
        self.session.add(row)
        self.session.flush()

    def use_link(self, token_hash: str, now: dt.datetime) -> ApiKeyRow | None:
        """Marks an unused, unexpired link used and returns its key; None when it is not (any more) valid.

        One conditional UPDATE: of two requests racing with the same link, exactly one sees a row change.
        """
        link = LoginLinkRow
        used = self.session.execute(sa.update(link).where(
            link.token_hash == token_hash, link.used_at.is_(None), link.expires_at > now,
        ).values(used_at=now).execution_options(synchronize_session=False))
        if rowcount(used) != 1:
            return None
        key_id = self.session.scalar(sa.select(link.key_id).where(link.token_hash == token_hash))
        return self.session.get(ApiKeyRow, key_id)

    def session_key(self, token_hash: str, now: dt.datetime) -> ApiKeyRow | None:
        s = WebSessionRow
        return self.session.scalars(sa.select(ApiKeyRow).join(s, s.key_id == ApiKeyRow.key_id).where(
            s.token_hash == token_hash, s.ended_at.is_(None), s.expires_at > now)).one_or_none()

    def end_session(self, token_hash: str, now: dt.datetime) -> None:
        s = WebSessionRow
        self.session.execute(sa.update(s).where(s.token_hash == token_hash, s.ended_at.is_(None))
                             .values(ended_at=now).execution_options(synchronize_session=False))

    def purge(self, before: dt.datetime) -> None:
        """Links and sessions expired before ``before`` are of no use to anyone: delete them."""
        self.session.execute(sa.delete(LoginLinkRow).where(LoginLinkRow.expires_at < before))
        self.session.execute(sa.delete(WebSessionRow).where(WebSessionRow.expires_at < before))
