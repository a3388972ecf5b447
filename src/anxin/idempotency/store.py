"""Idempotency records: one row per (caller, key), written in the transaction of the request it names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, rowcount


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"
    scope: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    status: Mapped[int | None]
    response: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, scope: str, key: str) -> IdempotencyRow | None:
        return self.session.get(IdempotencyRow, (scope, key), populate_existing=True)

    def insert(self, scope: str, key: str, fingerprint: str, at: dt.datetime) -> None:
        self.session.execute(sa.insert(IdempotencyRow).values(scope=scope, key=key, fingerprint=fingerprint,
                                                              created_at=at, status=None, response=None))

    def record(self, scope: str, key: str, status: int, response: dict[str, Any]) -> None:
        self.session.execute(sa.update(IdempotencyRow).where(IdempotencyRow.scope == scope, IdempotencyRow.key == key)
                             .values(status=status, response=response))

    def purge_before(self, before: dt.datetime) -> int:
        result = self.session.execute(sa.delete(IdempotencyRow).where(IdempotencyRow.created_at < before))
        return rowcount(result)
