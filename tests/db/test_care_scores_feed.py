"""Merchant-CS tickets feed the scores' IM 3-minute reply rate through care's chats export (the warehouse's `chats`
facts), measured by the scores' own definition: a ticket the merchant answered in 2 minutes counts, one answered in
4 minutes does not, one opened after 23:00 is not counted at all, a platform-CS ticket is not the merchant's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from tests.care_fakes import FakeRouter
from tests.db.builders import T0, D, seed_order

from anxin.bootstrap import bootstrap
from anxin.care.service import OpenConsultation, PostMessage
from anxin.core.principal import Principal, Role
from anxin.scoring.definition import DUCKDB, parts_of
from anxin.scoring.rulebook import load_score_rulebook
from anxin.settings import Settings
from anxin.warehouse import OperationalFacts

pytestmark = pytest.mark.db

MIN = dt.timedelta(minutes=1)
CONSUMER = Principal("k-c1", Role.CONSUMER, "c1")
MERCHANT = Principal("k-m1", Role.MERCHANT, "m1")
OPS = Principal("k-ops", Role.OPERATOR, "ops1")


@pytest.fixture
def anxin(engine, clock, transport, tmp_path: Path):
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence",
                        webhook_url="http://127.0.0.1:9/unused", webhook_secret="test-secret")
    return bootstrap(settings=settings, clock=clock, engine=engine, transport=transport, run_migrations=False,
                     care_router=FakeRouter())


def _ticket(anxin, clock, cid: str, at: dt.datetime, reply_after: dt.timedelta | None, text: str = "有货吗") -> str:
    clock.set(at)
    tid = anxin.care.consultations.open(CONSUMER, OpenConsultation(cid, "consumer", text, order_id="o1"))[
        "ticket"]["ticket_id"]
    if reply_after is not None:
        clock.set(at + reply_after)
        anxin.care.tickets.post_message(MERCHANT if "投诉" not in text else OPS, tid, PostMessage(f"r_{cid}", "在的"))
    return tid


def test_merchant_tickets_count_in_the_three_minute_reply_rate(anxin, clock):
    seed_order(anxin)
    fast = _ticket(anxin, clock, "fast", T0, 2 * MIN)  # 10:00 Beijing
    slow = _ticket(anxin, clock, "slow", T0 + 10 * MIN, 4 * MIN)
    night = _ticket(anxin, clock, "night", T0 + dt.timedelta(hours=13, minutes=30), MIN)  # 23:30 Beijing
    unanswered = _ticket(anxin, clock, "silent", T0 + 20 * MIN, None)
    _ticket(anxin, clock, "complaint", T0 + 30 * MIN, MIN, text="我要投诉")  # platform CS's, not the merchant's

    facts = OperationalFacts(anxin.engine).read(since=T0 - D, until=T0 + D, shop_ids=["s1"])
    chats = facts["chats"]
    assert sorted(chats.column("session_id").to_pylist()) == sorted(f"ticket:{t}" for t in (fast, slow, night,
                                                                                            unanswered))
    book = load_score_rulebook()
    parts = parts_of(book.merchant.indicator("M.IM_REPLY_RATE"), DUCKDB, book.utc_offset_hours * 3600)
    con = duckdb.connect()
    con.register("chats", chats)
    rows = dict((sid, (num, den)) for sid, num, den in con.execute(
        f"SELECT session_id, {parts.num.expr}, {parts.den.expr} FROM chats").fetchall())
    assert rows == {f"ticket:{fast}": (1, 1), f"ticket:{slow}": (0, 1), f"ticket:{night}": (0, 0),
                    f"ticket:{unanswered}": (0, 1)}
    stats = anxin.care.queries.reply_stats(OPS, "s1", since=T0 - D, until=T0 + D)
    assert (stats["handed"], stats["answered_within"], stats["reply_rate"]) == (3, 1, round(1 / 3, 4))
    assert stats["avg_first_response_seconds"] == 180.0  # (120 + 240) / 2; the night ticket is not served hours
