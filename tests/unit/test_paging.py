"""The one list shape: cursors are opaque, bound to their list, and a page boundary is the last item shown."""

import pytest

from anxin.core.errors import AnxinError
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.paging import decode_cursor, encode_cursor, page_of, scope_of

SCOPE = scope_of("cases", "open")


def test_a_cursor_round_trips_its_key():
    key = ("2026-12-01T08:00:00+00:00", "c-17", 3)
    assert decode_cursor(encode_cursor(key, scope=SCOPE), scope=SCOPE, shape=(str, str, int)) == key


@pytest.mark.parametrize("cursor", [None, ""])
def test_no_cursor_is_the_first_page(cursor):
    assert decode_cursor(cursor, scope=SCOPE, shape=(str,)) is None


@pytest.mark.parametrize("cursor, scope, shape", [
    ("not base64 !!", SCOPE, (str,)),
    (encode_cursor(("a",), scope=scope_of("cases", "closed")), SCOPE, (str,)),  # other filters
    (encode_cursor(("a",), scope=SCOPE), SCOPE, (str, str)),  # other arity
    (encode_cursor((1,), scope=SCOPE), SCOPE, (str,)),  # other types
    ("eyJzIjoxfQ", SCOPE, (str,)),  # JSON, but not a cursor
])
def test_a_foreign_or_forged_cursor_is_refused_with_a_stable_code(cursor, scope, shape):
    with pytest.raises(AnxinError) as caught:
        decode_cursor(cursor, scope=scope, shape=shape)
    assert caught.value.code is W.INVALID_CURSOR


@pytest.mark.parametrize("rows, limit, items, more", [
    ([], 2, [], False),
    ([1], 2, [1], False),
    ([1, 2], 2, [1, 2], False),
    ([1, 2, 3], 2, [1, 2], True),
])
def test_a_page_has_a_next_cursor_only_when_a_row_was_left(rows, limit, items, more):
    page = page_of(rows, limit=limit, scope=SCOPE, key=lambda r: (r,))
    assert page.items == items and page.limit == limit
    assert (page.next is not None) is more
    if more:
        assert decode_cursor(page.next, scope=SCOPE, shape=(int,)) == (items[-1],)
