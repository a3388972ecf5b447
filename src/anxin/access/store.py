"""API key rows and their repository. Raw keys are never stored, only their sha256."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


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
