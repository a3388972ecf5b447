"""Platform chats as events: `care.consultation_opened` and `care.message_posted` are stored once per id by both
ingestion paths, routed and applied by care's handlers; a message before its consultation waits for it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from tests.care_fakes import FakeRouter
from tests.db.builders import T0, D, H, event, iso, seed_order

from anxin.bootstrap import bootstrap
from anxin.core.principal import Principal, Role
from anxin.settings import Settings

pytestmark = pytest.mark.db

MIN = dt.timedelta(minutes=1)
OPS = Principal("k-ops", Role.OPERATOR, "ops1")


@pytest.fixture
def anxin(engine, clock, transport, tmp_path: Path):
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence",
                        webhook_url="http://127.0.0.1:9/unused", webhook_secret="test-secret")
    return bootstrap(settings=settings, clock=clock, engine=engine, transport=transport, run_migrations=False,
                     care_router=FakeRouter())


def opened(cid: str = "pq1", text: str = "这个有货吗", *, at: dt.datetime = T0, **data: Any) -> dict[str, Any]:
    body = {"consultation_id": cid, "channel": "consumer", "consumer_id": "c1", "order_id": "o1", "text": text,
            "opened_at": iso(at), **data}
    return event("care.consultation_opened", {k: v for k, v in body.items() if v is not None}, at=at)


def posted(mid: str, role: str, who: str, *, cid: str = "pq1", text: str = "在的",
           at: dt.datetime = T0) -> dict[str, Any]:
    return event("care.message_posted", {"message_id": mid, "consultation_id": cid, "author_role": role,
                                         "author_id": who, "text": text, "posted_at": iso(at)}, at=at)


def _ingest(anxin, events, bulk: bool):
    result = anxin.ingestion.ingest_bulk(events) if bulk else anxin.ingestion.ingest(events)
    anxin.process_events()
    return result


def _only_ticket(anxin) -> dict[str, Any]:
    queue = anxin.care.queries.queue(OPS)
    assert len(queue) == 1
    return anxin.care.queries.ticket(OPS, queue[0]["ticket_id"])


@pytest.mark.parametrize("bulk", [False, True])
def test_a_platform_chat_becomes_a_ticket_and_its_reply_the_first_reply(anxin, bulk):
    seed_order(anxin)
    result = _ingest(anxin, [opened(), posted("pm1", "merchant", "m1", at=T0 + 2 * MIN),
                             posted("pm2", "consumer", "c1", text="好的", at=T0 + 3 * MIN)], bulk)
    assert (result.applied, result.rejected) == (3, [])
    t = _only_ticket(anxin)
    assert (t["owner"], t["state"], t["consultation"]["source"]) == ("merchant_cs", "open", "platform")
    assert t["sla"]["first_reply"]["replied_at"] == (T0 + 2 * MIN).isoformat()
    assert [m["message_id"] for m in t["messages"]] == ["pm1", "pm2"]
    again = _ingest(anxin, [opened(text="另一个"), posted("pm1", "merchant", "m1", text="别的")], bulk)
    assert again.applied == 2  # new event ids, known consultation and message ids: nothing changes
    assert [m["text"] for m in _only_ticket(anxin)["messages"]] == ["在的", "好的"]


@pytest.mark.parametrize("bulk", [False, True])
def test_a_message_before_its_consultation_waits_and_is_applied_in_order(anxin, bulk):
    seed_order(anxin)
    first = _ingest(anxin, [posted("pm1", "merchant", "m1", at=T0 + 4 * MIN)], bulk)
    assert first.pending == 1
    _ingest(anxin, [opened()], bulk)
    t = _only_ticket(anxin)
    assert t["sla"]["first_reply"]["replied_at"] == (T0 + 4 * MIN).isoformat()
    assert t["sla"]["first_reply"]["breached_at"] == (T0 + 4 * MIN).isoformat()  # late: 4 minutes


@pytest.mark.parametrize("bulk", [False, True])
def test_a_consultation_about_someone_elses_order_is_refused(anxin, bulk):
    seed_order(anxin)
    result = _ingest(anxin, [opened(consumer_id="c9")], bulk)
    assert [r.code for r in result.rejected] == ["event.lifecycle_violation"]
    assert anxin.care.queries.queue(OPS) == []


def test_a_parcel_answer_then_the_customer_follows_up(anxin):
    seed_order(anxin, paid_at=T0 - D, shipped_at=T0 - H)
    _ingest(anxin, [opened(text="到哪了")], False)
    assert anxin.care.queries.queue(OPS) == []
    c = anxin.care.consultations.get(OPS, "pq1")
    assert (c["consultation"]["route"], c["answer"]["kind"]) == ("parcel", "parcel")
    _ingest(anxin, [posted("pm1", "consumer", "c1", text="还是没到", at=T0 + 10 * MIN)], False)
    t = _only_ticket(anxin)
    assert (t["owner"], t["opened_at"]) == ("merchant_cs", (T0 + 10 * MIN).isoformat())
    assert [m["author"]["role"] for m in t["messages"]] == ["bot", "consumer"]


def test_a_merchant_chat_goes_to_platform_cs(anxin):
    seed_order(anxin)
    ev = event("care.consultation_opened", {"consultation_id": "mq", "channel": "merchant", "merchant_id": "m1",
                                            "shop_id": "s1", "text": "保证金", "opened_at": iso(T0)})
    _ingest(anxin, [ev], False)
    t = _only_ticket(anxin)
    assert (t["owner"], t["customer"], t["intent"]) == ("platform_cs", {"role": "merchant", "id": "m1"},
                                                        "merchant.policy")
