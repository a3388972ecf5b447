"""The one list shape of the API: ``Page[T]`` with an opaque cursor (keyset pagination).

A list endpoint answers ``{"items": [...], "next": "<cursor>" | null, "limit": n}``. The cursor is the sort key of
the page's last item, bound to the list it came from (its ``scope``: the endpoint and its filters), so a page
boundary never shifts when rows are added before it, and a cursor from another list is refused with
``request.invalid_cursor`` (400) instead of answering a wrong page. Clients must treat it as opaque.

    @router.get("/things", response_model=Page[Thing])
    def things(request: Request, state: State | None = None, limit: int = LIMIT, cursor: str | None = CURSOR):
        scope = scope_of("things", state)
        after = decode_cursor(cursor, scope=scope, shape=(str, str))  # (opened_at iso, id) or None
        rows = service.things(state=state, after=after, limit=limit + 1)  # one more: is there a next page?
        return page_of(rows, limit=limit, scope=scope, key=lambda r: (r.opened_at.isoformat(), r.id))
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from anxin.core.clock import parse_instant
from anxin.core.errors import AnxinError
from anxin.web.error_codes import WebErrorCode as W

T = TypeVar("T")
Key = tuple[str | int, ...]

MAX_LIMIT = 500
LIMIT = Query(50, ge=1, le=MAX_LIMIT, description=f"items per page, 1–{MAX_LIMIT}")
CURSOR = Query(None, max_length=512, description="the `next` of the previous page; omit for the first page")


class Page(BaseModel, Generic[T]):
    """One page of a list, oldest-first or newest-first as the endpoint documents."""

    model_config = ConfigDict(frozen=True)

    items: list[T]
    next: str | None = Field(description="opaque cursor of the next page; null on the last page")
    limit: int = Field(description="the page size asked for")


def scope_of(*parts: object) -> str:
    """A short fingerprint of the list and its filters, carried in the cursor."""
    text = json.dumps([str(p) if p is not None else None for p in parts], separators=(",", ":"))
    return hashlib.blake2s(text.encode(), digest_size=6).hexdigest()


def encode_cursor(key: Key, *, scope: str) -> str:
    raw = json.dumps({"s": scope, "k": list(key)}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, scope: str, shape: Sequence[type]) -> Key | None:
    """The key a cursor carries, checked against the list's scope and the key's types; None for no cursor."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("the cursor is not one this API gave out") from None
    if not isinstance(data, dict) or data.get("s") != scope:
        raise _invalid("the cursor belongs to another list or other filters")
    key = data.get("k")
    if (not isinstance(key, list) or len(key) != len(shape)
            or not all(type(v) is t for v, t in zip(key, shape, strict=True))):
        raise _invalid("the cursor is not one this API gave out")
    return tuple(key)


def cursor_instant(value: str | int) -> dt.datetime:
    """An instant a cursor carries (its key's ISO text); a forged one is an invalid cursor, not a 500."""
    try:
        return parse_instant(str(value))
    except ValueError:
        raise _invalid("the cursor is not one this API gave out") from None


def page_of(rows: Sequence[Any], *, limit: int, scope: str, key: Callable[[Any], Key],
            item: Callable[[Any], T] | None = None) -> Page[T]:
    """A page from ``limit + 1`` rows fetched after the cursor: the extra row only says a next page exists."""
    shown = list(rows[:limit])
    more = len(rows) > limit and bool(shown)
    return Page[Any](items=[item(r) for r in shown] if item else shown,
                     next=encode_cursor(key(shown[-1]), scope=scope) if more else None, limit=limit)


def _invalid(detail: str) -> AnxinError:
    return AnxinError(W.INVALID_CURSOR, detail, field="cursor")
