"""What the care pages share: the facade, the forms read into the use cases' commands, and keyset pages of the
queue (a cursor bound to the list and its filters, like the API's; a stale or edited one gives the first page)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.datastructures import FormData

from anxin.care.service import Care, OpenConsultation, PostMessage, RateTicket, TransitionTicket, queue_key
from anxin.core.errors import AnxinError
from anxin.web.auth import app_of
from anxin.web.paging import Page, cursor_instant, decode_cursor, page_of
from anxin.web.render import form_str

MAX_TEXT = 2000
PAGE_SIZE = 50


def care_of(request: Request) -> Care:
    return app_of(request).care


def new_id(prefix: str) -> str:
    """A client id minted when a form is drawn: posting the same form twice opens or sends once."""
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def queue_after(cursor: str, scope: str) -> tuple[dt.datetime, str] | None:
    """The queue position a page's cursor carries (``queue_key`` of the last row shown); a stale or edited link
    gives the first page."""
    try:
        key = decode_cursor(cursor[:512] or None, scope=scope, shape=(str, str))
        return None if key is None else (cursor_instant(key[0]), str(key[1]))
    except AnxinError:
        return None


def paged(base: str, filters: Mapping[str, str], rows: list[dict[str, Any]], scope: str,
          first: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    page: Page[dict[str, Any]] = page_of(rows, limit=PAGE_SIZE, scope=scope, key=queue_key)
    shown = {k: v for k, v in filters.items() if v}
    return page.items, {
        "first": None if first else base + ("?" + urlencode(shown) if shown else ""),
        "next": base + "?" + urlencode({**shown, "cursor": page.next}) if page.next else None}


def consultation_body(values: Mapping[str, str], *, channel: str) -> OpenConsultation:
    return OpenConsultation(consultation_id=values["consultation_id"], channel=channel, text=values["text"],
                            topic=values.get("topic") or None, order_id=values.get("order_id") or None,
                            shop_id=values.get("shop_id") or None)


def message_body(form: FormData) -> PostMessage:
    return PostMessage(message_id=form_str(form, "message_id", max_len=64) or new_id("msg"),
                       text=form_str(form, "text", max_len=MAX_TEXT))


def transition_body(form: FormData) -> TransitionTicket:
    return TransitionTicket(to_state=form_str(form, "to_state", max_len=32),
                            reason=form_str(form, "reason", max_len=500))


def rating_body(form: FormData) -> RateTicket:
    raw = form_str(form, "rating", max_len=2)
    return RateTicket(rating=int(raw) if raw.isdigit() else 0, comment=form_str(form, "comment", max_len=500))
