"""The risk review queue pages by keyset (priority, due, id) on SQLite and PostgreSQL: ties on priority and on
the due time are where a keyset condition goes wrong; the counts are their own query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.db.builders import T0, H

from anxin.core.principal import Principal, Role
from anxin.risk.store import ReviewRow

pytestmark = pytest.mark.db
OPERATOR = Principal("k_op", Role.OPERATOR, "ops")


def _review(i: int, priority: int, due: dt.datetime, state: str = "open") -> ReviewRow:
    return ReviewRow(review_id=f"rv_{i:03d}", verdict_id=f"vd_{i:03d}", stage="claim", case_id=None,
                     consumer_id=f"c{i}", shop_id=None, outcome="block" if priority == 0 else "review",
                     priority=priority, state=state, opened_at=T0, due_at=due, decided_at=None, decided_by=None,
                     decision_reason=None, note="")


def test_the_queue_pages_cover_it_once_in_order(anxin: Any) -> None:
    with anxin.uow_factory() as uow:
        for i in range(11):
            uow.session.add(_review(i, priority=i % 2, due=T0 + H * (i % 3)))  # ties on both
        uow.session.add(_review(99, priority=0, due=T0, state="cleared"))
        uow.commit()
    whole = [r["review_id"] for r in anxin.risk.queue(OPERATOR)]
    assert len(whole) == 11 and "rv_099" not in whole
    paged: list[str] = []
    after = None
    while True:
        page = anxin.risk.queue(OPERATOR, limit=3, after=after)
        paged += [r["review_id"] for r in page]
        if len(page) < 3:
            break
        last = page[-1]
        after = (last["priority"], dt.datetime.fromisoformat(last["due_at"]), last["review_id"])
    assert paged == whole
    assert [(r["priority"], r["due_at"], r["review_id"]) for r in anxin.risk.queue(OPERATOR)] == sorted(
        (r["priority"], r["due_at"], r["review_id"]) for r in anxin.risk.queue(OPERATOR))
    counts = anxin.risk.review_counts(OPERATOR)
    assert counts["open"] == 11 and counts["cleared"] == 1 and counts["withdrawn"] == 0
