"""Real concurrent callers on one ticket (SQLite's write transaction, PostgreSQL's row lock and the ticket's version):
two moves, two ratings, two messages, two openings of one consultation id, two follow-ups, two SLA runs at once
leave exactly what one at a time would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.care_fakes import FakeRouter
from tests.concurrency import all_at_once, at_once
from tests.db.builders import T0, D, seed_order

from anxin.aftersales.service import FileCase
from anxin.bootstrap import bootstrap
from anxin.care.error_codes import CareErrorCode as E
from anxin.care.service import OpenConsultation, PostMessage, RateTicket, TransitionTicket
from anxin.care.ticket_store import BreachRow, ConsultationRow, MessageRow, SatisfactionRow, TicketRow
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.settings import Settings

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


def _count(anxin, row: Any, **where: Any) -> int:
    with anxin.engine.connect() as conn:
        stmt = sa.select(sa.func.count()).select_from(row)
        for name, value in where.items():
            stmt = stmt.where(getattr(row, name) == value)
        return int(conn.execute(stmt).scalar() or 0)


def _ticket(anxin, cid: str = "q1") -> str:
    out = anxin.care.consultations.open(CONSUMER, OpenConsultation(cid, "consumer", "有货吗", order_id="o1"))
    return str(out["ticket"]["ticket_id"])


def _split(out: list[Any]) -> tuple[list[Any], list[AnxinError]]:
    won = [o for o in out if not isinstance(o, Exception)]
    lost = [o for o in out if isinstance(o, Exception)]
    assert all(isinstance(e, AnxinError) for e in lost), lost
    return won, lost  # type: ignore[return-value]


def test_two_resolutions_at_once_resolve_once(anxin):
    seed_order(anxin)
    for round_ in range(3):
        tid = _ticket(anxin, f"q{round_}")
        won, lost = _split(at_once(2, lambda i, tid=tid: anxin.care.tickets.transition(
            (MERCHANT, OPS)[i], tid, TransitionTicket("resolved"))))
        assert len(won) == 1 and [e.code for e in lost] == [E.ILLEGAL_TRANSITION]
        t = anxin.care.queries.ticket(OPS, tid)
        assert (t["state"], t["closure_no"], t["version"]) == ("resolved", 1, 2)
        assert [e["to_state"] for e in t["timeline"]] == ["open", "resolved"]


def test_two_ratings_at_once_rate_once(anxin):
    seed_order(anxin)
    tid = _ticket(anxin)
    anxin.care.tickets.transition(MERCHANT, tid, TransitionTicket("resolved"))
    won, lost = _split(at_once(3, lambda i: anxin.care.tickets.rate(CONSUMER, tid, RateTicket(i + 3))))
    assert len(won) == 1 and [e.code for e in lost] == [E.ALREADY_RATED] * 2
    assert _count(anxin, SatisfactionRow, ticket_id=tid) == 1


def test_the_same_message_twice_at_once_is_posted_once(anxin):
    seed_order(anxin)
    tid = _ticket(anxin)
    out = at_once(3, lambda i: anxin.care.tickets.post_message(MERCHANT, tid, PostMessage("r1", "在的")))
    won, lost = _split(out)
    assert lost == [] and len({w["message"]["message_id"] for w in won}) == 1
    assert _count(anxin, MessageRow, ticket_id=tid) == 1
    assert anxin.care.queries.ticket(OPS, tid)["version"] == 2  # the first reply, stamped once


def test_different_messages_at_once_all_land_and_the_first_reply_is_one_of_them(anxin, clock):
    seed_order(anxin)
    tid = _ticket(anxin)
    _, lost = _split(at_once(4, lambda i: anxin.care.tickets.post_message(
        (MERCHANT, CONSUMER)[i % 2], tid, PostMessage(f"m{i}", f"第{i}条"))))
    assert lost == [] and _count(anxin, MessageRow, ticket_id=tid) == 4
    t = anxin.care.queries.ticket(OPS, tid)
    assert t["sla"]["first_reply"]["replied_at"] == clock.now().isoformat()
    assert [e["kind"] for e in t["timeline"]].count("first_reply") == 1


def test_one_consultation_id_opened_twice_at_once_is_one_consultation(anxin):
    seed_order(anxin)
    for round_ in range(3):
        cid = f"same{round_}"
        won, lost = _split(at_once(3, lambda i, cid=cid: anxin.care.consultations.open(
            CONSUMER, OpenConsultation(cid, "consumer", "有货吗", order_id="o1"))))
        assert lost == [] and len({w["ticket"]["ticket_id"] for w in won}) == 1
        assert _count(anxin, ConsultationRow, consultation_id=cid) == 1
        assert _count(anxin, TicketRow, consultation_id=cid) == 1


def test_two_follow_ups_at_once_open_one_ticket(anxin):
    seed_order(anxin, paid_at=T0 - 3 * D, signed_at=T0 - D)
    anxin.aftersales.file_case(CONSUMER, FileCase("o1", "return_refund", "no_reason", 9900))
    out = anxin.care.consultations.open(CONSUMER, OpenConsultation("q1", "consumer", "退款什么时候到",
                                                                   order_id="o1"))
    assert out["ticket"] is None
    won, lost = _split(at_once(2, lambda i: anxin.care.consultations.post_message(
        CONSUMER, "q1", PostMessage(f"f{i}", "还没到账"))))
    assert lost == [] and len({w["ticket"]["ticket_id"] for w in won}) == 1
    assert _count(anxin, TicketRow, consultation_id="q1") == 1


def test_two_sla_runs_at_once_breach_and_escalate_once(anxin):
    seed_order(anxin)
    tids = [_ticket(anxin, f"q{i}") for i in range(4)]
    reports = all_at_once([lambda: anxin.care.sla.check_due(T0 + 4 * MIN)] * 2)
    assert not any(isinstance(r, Exception) for r in reports), reports
    assert sum(r.breaches.get("first_reply", 0) for r in reports) == 4
    assert sum(r.escalated for r in reports) == 4
    assert _count(anxin, BreachRow) == 4
    for tid in tids:
        t = anxin.care.queries.ticket(OPS, tid)
        assert [e["kind"] for e in t["timeline"]] == ["opened", "breached", "escalated"]
