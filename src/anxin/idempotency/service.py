"""Claim a key inside the caller's unit of work, record the response in it: the key and the effect it guards
commit together or not at all, so a crash between them cannot leave one without the other.

Concurrent requests with one key: on PostgreSQL the second insert waits on the primary key until the first
transaction ends, then finds its row; on SQLite the writer lock (``uow.begin_write``, taken by the caller first)
serialises them. Either way the second answers the first's response, or ``in_progress`` if it never finished.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError

from anxin.db.uow import UnitOfWork, UowFactory
from anxin.idempotency.model import HEADER as HEADER  # what callers build requests and replays with
from anxin.idempotency.model import RETENTION, answer
from anxin.idempotency.model import IdempotentRequest as IdempotentRequest
from anxin.idempotency.model import Replay as Replay
from anxin.idempotency.model import request_for as request_for
from anxin.idempotency.store import IdempotencyRepository


def claim(uow: UnitOfWork, request: IdempotentRequest | None, *, at: dt.datetime) -> Replay | None:
    """None: the key is new (now held by this transaction), go on and ``record`` the response. A ``Replay``:
    answer it and do nothing else."""
    if request is None:
        return None
    repo = IdempotencyRepository(uow.session)
    row = repo.get(request.scope, request.key)
    if row is None:
        try:
            with uow.savepoint():
                repo.insert(request.scope, request.key, request.fingerprint, at)
            return None
        except IntegrityError:  # another transaction took the key and has committed it meanwhile
            row = repo.get(request.scope, request.key)
            if row is None:
                raise
    return answer(row.fingerprint, row.status, row.response, request)


def record(uow: UnitOfWork, request: IdempotentRequest | None, status: int, body: dict[str, Any]) -> None:
    if request is not None:
        IdempotencyRepository(uow.session).record(request.scope, request.key, status, body)


def purge(uow_factory: UowFactory, *, now: dt.datetime) -> int:
    """Forget keys older than the retention (48 h, so every key is kept at least the promised 24 h)."""
    with uow_factory() as uow:
        removed = IdempotencyRepository(uow.session).purge_before(now - RETENTION)
        uow.commit()
        return removed
