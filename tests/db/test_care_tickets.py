"""Consultations and tickets through the care facade on a FixedClock: routing to a ticket or to the case / parcel
answer, the first-reply SLA to the second (breach once, escalation), transitions and who may make them, ratings,
auto-close, the queue by deadline with its visibility, CSAT, the SLA report and the reply statistics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.care_fakes import FakeRouter
from tests.db.builders import T0, D, H, seed_order

from anxin.aftersales.service import FileCase
from anxin.bootstrap import bootstrap
from anxin.care.error_codes import CareErrorCode as E
from anxin.care.events import ConsultationOpened, TicketBreached, TicketClosed
from anxin.care.service import OpenConsultation, PostMessage, RateTicket, TransitionTicket, queue_key
from anxin.care.ticket_store import TicketRow
from anxin.core.clock import BEIJING
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.settings import Settings

pytestmark = pytest.mark.db

S = dt.timedelta(seconds=1)
MIN = dt.timedelta(minutes=1)
CONSUMER = Principal("k-c1", Role.CONSUMER, "c1")
OTHER_CONSUMER = Principal("k-c2", Role.CONSUMER, "c2")
MERCHANT = Principal("k-m1", Role.MERCHANT, "m1")
OTHER_MERCHANT = Principal("k-m2", Role.MERCHANT, "m2")
OPS = Principal("k-ops", Role.OPERATOR, "ops1")


@pytest.fixture
def router() -> FakeRouter:
    return FakeRouter()


@pytest.fixture
def anxin(engine, clock, transport, tmp_path: Path, router: FakeRouter):
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence",
                        webhook_url="http://127.0.0.1:9/unused", webhook_secret="test-secret")
    return bootstrap(settings=settings, clock=clock, engine=engine, transport=transport, run_migrations=False,
                     care_router=router)


def _open(anxin, cid="q1", text="这个有货吗", who=CONSUMER, **kw):
    channel = "merchant" if who.role == Role.MERCHANT else "consumer"
    return anxin.care.consultations.open(who, OpenConsultation(cid, kw.pop("channel", channel), text, **kw))


def _code(call) -> str:
    with pytest.raises(AnxinError) as err:
        call()
    return err.value.code.value


class Recorder:
    """The message bus as the units of work see it, recording what they publish."""

    def __init__(self, inner):
        self.inner, self.events = inner, []

    def publish(self, uow, events):
        self.events += events
        return self.inner.publish(uow, events)

    def after_commit(self, ids):
        self.inner.after_commit(ids)


@pytest.fixture
def published(anxin) -> list:
    recorder = Recorder(anxin.uow_factory.publisher)
    anxin.uow_factory.publisher = recorder
    return recorder.events


# --- opening and routing ---------------------------------------------------------------------------------------------

def test_a_question_about_an_order_opens_a_merchant_ticket_once(anxin, router, published):
    seed_order(anxin)
    first = _open(anxin, order_id="o1")
    t = first["ticket"]
    assert (t["owner"], t["state"], t["shop_id"], t["intent"]) == ("merchant_cs", "open", "s1",
                                                                   "pre_sale.product_info")
    assert t["sla"]["first_reply"]["due"] == (T0 + 3 * MIN).isoformat()
    assert first["consultation"]["routing"] == {"intent": "pre_sale.product_info", "topic": "pre_sale",
                                                "route": "merchant_cs", "owner": "merchant_cs"}  # no facts to them
    context = router.calls[0][3]
    assert (context.order_id, context.order_state, context.has_shipment, context.open_case_id,
            context.contacts_before) == ("o1", "paid", False, None, 0)
    assert _open(anxin, order_id="o1") == first  # the same consultation again: answered, nothing new
    assert len(router.calls) == 1
    assert _code(lambda: _open(anxin, text="另一个问题", order_id="o1")) == E.ID_REUSED
    staff = anxin.care.consultations.get(OPS, "q1")["consultation"]["routing"]
    assert staff["rule_ids"] == ["fake.rule"] and staff["facts"]["context"]["order_id"] == "o1"
    assert [e for e in published if isinstance(e, ConsultationOpened)] == [ConsultationOpened(
        consultation_id="q1", order_id="o1", shop_id="s1", consumer_id="c1", intent="pre_sale.product_info",
        route="merchant_cs", at=T0, channel="consumer", topic="pre_sale", ticket_id=t["ticket_id"], source="api")]


def test_who_may_open_about_what(anxin):
    seed_order(anxin)
    assert _code(lambda: _open(anxin, who=OTHER_CONSUMER, order_id="o1")) == E.ORDER_NOT_FOUND
    assert _code(lambda: _open(anxin, order_id="o1", shop_id="s9")) == E.INVALID
    assert _code(lambda: _open(anxin, shop_id="nope")) == E.SHOP_NOT_FOUND
    assert _code(lambda: _open(anxin, channel="merchant")) == E.INVALID
    assert _code(lambda: _open(anxin, topic="gossip")) == E.INVALID
    assert _code(lambda: _open(anxin, text="   ")) == E.INVALID
    assert _code(lambda: _open(anxin, who=OPS)) == E.FORBIDDEN
    merchant = _open(anxin, "mq1", "保证金什么时候退", who=MERCHANT, shop_id="s1")
    assert (merchant["ticket"]["owner"], merchant["ticket"]["intent"]) == ("platform_cs", "merchant.policy")
    assert _code(lambda: _open(anxin, "mq2", "结算", who=OTHER_MERCHANT, shop_id="s1")) == E.SHOP_NOT_FOUND


def test_a_pre_sale_question_without_shop_goes_to_platform_cs(anxin):
    out = _open(anxin, "q0", "有优惠吗")
    assert (out["ticket"]["owner"], out["consultation"]["route"]) == ("platform_cs", "platform_cs")
    assert "care.no_shop_for_merchant" in anxin.care.consultations.get(OPS, "q0")["consultation"]["routing"][
        "reason_codes"]


def test_an_open_case_answers_an_after_sale_question_and_a_follow_up_opens_a_ticket(anxin, clock):
    seed_order(anxin, paid_at=T0 - 3 * D, signed_at=T0 - D)
    case = anxin.aftersales.file_case(CONSUMER, FileCase("o1", "return_refund", "no_reason", 9900)).case
    out = _open(anxin, text="退款什么时候到", order_id="o1")
    assert out["ticket"] is None and out["consultation"]["route"] == "case"
    assert out["answer"]["case_id"] == case.case_id and out["answer"]["links"]["api"].endswith(case.case_id)
    assert [m["author"]["role"] for m in out["messages"]] == ["bot"]
    assert _code(lambda: anxin.care.consultations.post_message(MERCHANT, "q1", PostMessage("m0", "hi"))) == \
        E.NOT_FOUND
    clock.advance(minutes=5)
    follow = anxin.care.consultations.post_message(CONSUMER, "q1", PostMessage("m1", "还是没到账"))
    t = follow["ticket"]
    assert (t["owner"], t["state"], t["opened_at"]) == ("merchant_cs", "open", clock.now().isoformat())
    again = anxin.care.consultations.post_message(CONSUMER, "q1", PostMessage("m1", "还是没到账"))
    assert again["message"] == follow["message"]
    detail = anxin.care.queries.ticket(MERCHANT, t["ticket_id"])
    assert [m["author"]["role"] for m in detail["messages"]] == ["bot", "consumer"]
    assert detail["timeline"][0]["reason"] == "follow_up_after_case"


def test_a_shipped_parcel_answers_where_is_it(anxin):
    seed_order(anxin, paid_at=T0 - D, shipped_at=T0 - H)
    out = _open(anxin, text="到哪了", order_id="o1")
    assert out["ticket"] is None and out["answer"]["kind"] == "parcel"
    assert out["answer"]["links"]["api"] == "/v1/orders/o1/fulfilment"


def test_repeated_contacts_are_counted_for_the_router(anxin, router, clock):
    seed_order(anxin)
    _open(anxin, "a", order_id="o1")
    clock.advance(days=1)
    _open(anxin, "b", order_id="o1")
    clock.advance(days=7)
    _open(anxin, "c", order_id="o1")
    assert [call[3].contacts_before for call in router.calls] == [0, 1, 1]


# --- the first-reply SLA ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("after", "breached"), [(3 * MIN, False), (3 * MIN + S, True), (2 * MIN, False)])
def test_a_merchant_reply_is_judged_to_the_second(anxin, clock, after, breached):
    seed_order(anxin)
    tid = _open(anxin, order_id="o1")["ticket"]["ticket_id"]
    clock.set(T0 + after)
    out = anxin.care.tickets.post_message(MERCHANT, tid, PostMessage("r1", "有货的"))
    sla = out["ticket"]["sla"]
    assert sla["first_reply"]["replied_at"] == (T0 + after).isoformat()
    assert (sla["first_reply"]["breached_at"] is not None) is breached
    assert out["ticket"]["owner"] == "merchant_cs"  # a late reply is a breach, not an escalation


def test_a_missed_first_reply_is_breached_once_and_escalated(anxin, clock, published):
    seed_order(anxin)
    tid = _open(anxin, order_id="o1")["ticket"]["ticket_id"]
    assert anxin.care.sla.check_due(T0 + 3 * MIN).checked == 0  # exactly 3 minutes: not yet
    report = anxin.care.sla.check_due(T0 + 3 * MIN + S)
    assert (report.breaches, report.escalated) == ({"first_reply": 1}, 1)
    t = anxin.care.queries.ticket(OPS, tid)
    assert (t["owner"], t["first_owner"], t["breached"]) == ("platform_cs", "merchant_cs", True)
    assert t["sla"]["first_reply"]["due"] == (T0 + 6 * MIN + S).isoformat()  # platform CS: 3 minutes from now
    assert [b["kind"] for b in t["breaches"]] == ["first_reply"]
    assert [e["kind"] for e in t["timeline"]] == ["opened", "breached", "escalated"]
    assert anxin.care.sla.check_due(T0 + H).breaches == {}  # once per ticket and kind
    breached = [e for e in published if isinstance(e, TicketBreached)]
    assert [(e.kind, e.owner, e.escalated_to, e.due) for e in breached] == [
        ("first_reply", "merchant_cs", "platform_cs", T0 + 3 * MIN)]
    clock.set(T0 + 10 * MIN)
    out = anxin.care.tickets.post_message(OPS, tid, PostMessage("p1", "平台客服为您服务"))
    assert out["ticket"]["sla"]["first_reply"]["replied_at"] == (T0 + 10 * MIN).isoformat()
    late = anxin.care.tickets.post_message(MERCHANT, tid, PostMessage("r1", "抱歉来晚了"))  # still theirs to see
    assert late["ticket"]["sla"]["merchant_replied_at"] == (T0 + 10 * MIN).isoformat()


def test_a_consultation_at_night_is_due_after_the_next_opening(anxin, clock):
    seed_order(anxin)
    clock.set(dt.datetime(2026, 11, 2, 22, 59, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    t = _open(anxin, order_id="o1")["ticket"]
    assert t["sla"]["first_reply"]["due"] == dt.datetime(2026, 11, 3, 0, 2, tzinfo=dt.UTC).isoformat()  # 08:02 BJ
    eleven = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
    assert anxin.care.sla.check_due(eleven + H).breaches == {}  # the clock stops at 23:00


def test_the_resolution_target_is_breached_by_the_clock(anxin):
    seed_order(anxin)
    tid = _open(anxin, order_id="o1")["ticket"]["ticket_id"]
    anxin.care.tickets.post_message(MERCHANT, tid, PostMessage("r1", "您好"))
    t = anxin.care.queries.ticket(OPS, tid)
    due = dt.datetime.fromisoformat(t["sla"]["resolution"]["due"])
    assert anxin.care.sla.check_due(due).breaches == {}
    assert anxin.care.sla.check_due(due + S).breaches == {"resolution": 1}


# --- the state machine ------------------------------------------------------------------------------------------------

def test_a_ticket_is_worked_resolved_closed_rated_and_reopened(anxin, clock):
    seed_order(anxin)
    tid = _open(anxin, order_id="o1")["ticket"]["ticket_id"]
    move = anxin.care.tickets.transition
    assert move(MERCHANT, tid, TransitionTicket("waiting_customer", "asked for size"))["state"] == "waiting_customer"
    clock.advance(minutes=1)
    back = anxin.care.tickets.post_message(CONSUMER, tid, PostMessage("c1m", "M码"))
    assert back["ticket"]["state"] == "open"
    assert _code(lambda: move(CONSUMER, tid, TransitionTicket("resolved"))) == E.FORBIDDEN
    assert _code(lambda: move(MERCHANT, tid, TransitionTicket("closed"))) == E.ILLEGAL_TRANSITION
    assert _code(lambda: move(OTHER_MERCHANT, tid, TransitionTicket("resolved"))) == E.NOT_FOUND
    assert _code(lambda: move(MERCHANT, tid, TransitionTicket("nowhere"))) == E.INVALID
    assert _code(lambda: anxin.care.tickets.rate(CONSUMER, tid, RateTicket(5))) == E.NOT_RATEABLE
    resolved = move(MERCHANT, tid, TransitionTicket("resolved", "sent"))
    assert resolved["sla"]["close_due"] == (clock.now() + 72 * H).isoformat()
    assert _code(lambda: anxin.care.tickets.rate(MERCHANT, tid, RateTicket(5))) == E.FORBIDDEN
    assert _code(lambda: anxin.care.tickets.rate(CONSUMER, tid, RateTicket(6))) == E.INVALID
    assert anxin.care.tickets.rate(CONSUMER, tid, RateTicket(4, "ok"))["closure_no"] == 1
    assert _code(lambda: anxin.care.tickets.rate(CONSUMER, tid, RateTicket(5))) == E.ALREADY_RATED
    closed = move(CONSUMER, tid, TransitionTicket("closed", "thanks"))
    assert closed["state"] == "closed"
    assert _code(lambda: anxin.care.tickets.post_message(CONSUMER, tid, PostMessage("late", "还有"))) == \
        E.TICKET_CLOSED
    clock.advance(days=7)  # exactly the reopen window after the resolution
    reopened = move(CONSUMER, tid, TransitionTicket("open", "broke again"))
    assert (reopened["state"], reopened["sla"]["resolution"]["resolved_at"]) == ("open", None)
    move(MERCHANT, tid, TransitionTicket("resolved"))
    assert anxin.care.tickets.rate(CONSUMER, tid, RateTicket(2))["closure_no"] == 2  # a new closure, a new rating
    clock.advance(days=7, seconds=1)
    assert _code(lambda: move(CONSUMER, tid, TransitionTicket("open"))) == E.REOPEN_WINDOW_CLOSED
    detail = anxin.care.queries.ticket(CONSUMER, tid)
    assert [r["rating"] for r in detail["ratings"]] == [4, 2]
    assert all(":" not in e["actor"] for e in detail["timeline"])  # consumers see roles, not staff ids


def test_resolved_tickets_close_by_themselves_after_the_period(anxin, clock, published):
    seed_order(anxin)
    tid = _open(anxin, order_id="o1")["ticket"]["ticket_id"]
    anxin.care.tickets.post_message(MERCHANT, tid, PostMessage("r1", "好的"))
    anxin.care.tickets.transition(MERCHANT, tid, TransitionTicket("resolved"))
    assert anxin.care.sla.check_due(T0 + 72 * H).closed == 0
    report = anxin.care.sla.check_due(T0 + 72 * H + S)
    assert report.closed == 1
    t = anxin.care.queries.ticket(CONSUMER, tid)
    assert (t["state"], t["timeline"][-1]["reason"]) == ("closed", "close_after_elapsed")
    assert [(e.ticket_id, e.by, e.closure_no) for e in published if isinstance(e, TicketClosed)] == [(tid, "system", 1)]


def test_a_ticket_that_fails_the_clock_is_recorded_and_the_others_are_judged(anxin, engine, clock):
    seed_order(anxin)
    good, bad = (_open(anxin, f"q{i}", order_id="o1")["ticket"]["ticket_id"] for i in range(2))
    with engine.begin() as conn:  # a row no rulebook topic fits: judging it raises
        conn.execute(sa.update(TicketRow).where(TicketRow.ticket_id == bad).values(topic="bogus"))
    clock.set(T0 + 4 * MIN)
    report = anxin.care.sla.check_due()
    assert (report.failed, report.breaches) == ([bad], {"first_reply": 1})
    assert [(f.job, f.item) for f in anxin.jobs.list("care.sla")] == [("care.sla", bad)]
    assert anxin.care.queries.ticket(OPS, good)["owner"] == "platform_cs"
    clock.advance(seconds=30)
    assert anxin.care.sla.check_due().failed == []  # backing off: not taken again yet
    clock.advance(minutes=1)
    assert anxin.care.sla.check_due().failed == [bad]  # its retry is due: it fails again, recorded again
    assert anxin.jobs.list("care.sla")[0].attempts == 2


def test_the_rating_window_closes(anxin, clock):
    seed_order(anxin)
    tid = _open(anxin, order_id="o1")["ticket"]["ticket_id"]
    anxin.care.tickets.transition(MERCHANT, tid, TransitionTicket("resolved"))
    clock.advance(days=7, seconds=1)
    assert _code(lambda: anxin.care.tickets.rate(CONSUMER, tid, RateTicket(5))) == E.RATING_WINDOW_CLOSED


# --- the queue and the reports ----------------------------------------------------------------------------------------

def test_the_queue_is_ordered_by_the_next_deadline_and_paged(anxin, clock):
    seed_order(anxin)
    seed_order(anxin, order_id="o2", consumer_id="c2", shop_id="s2", merchant_id="m2")
    ids = []
    for i, (who, order) in enumerate([(CONSUMER, "o1"), (OTHER_CONSUMER, "o2"), (CONSUMER, "o1")]):
        clock.set(T0 + i * MIN)
        ids.append(_open(anxin, f"q{i}", who=who, order_id=order)["ticket"]["ticket_id"])
    anxin.care.tickets.post_message(MERCHANT, ids[0], PostMessage("r0", "hi"))  # next due: its resolution
    staff = anxin.care.queries.queue(OPS)
    assert [t["ticket_id"] for t in staff] == [ids[1], ids[2], ids[0]]
    page = anxin.care.queries.queue(OPS, limit=2)
    rest = anxin.care.queries.queue(OPS, limit=2, after=queue_key(page[-1]))
    assert [t["ticket_id"] for t in page + rest] == [ids[1], ids[2], ids[0]]
    assert [t["ticket_id"] for t in anxin.care.queries.queue(MERCHANT)] == [ids[2], ids[0]]
    assert [t["ticket_id"] for t in anxin.care.queries.queue(OTHER_CONSUMER)] == [ids[1]]
    assert [t["ticket_id"] for t in anxin.care.queries.queue(OPS, shop_id="s2")] == [ids[1]]
    anxin.care.sla.check_due(T0 + 6 * MIN)
    assert {t["ticket_id"] for t in anxin.care.queries.queue(OPS, breached=True)} == {ids[1], ids[2]}
    assert [t["ticket_id"] for t in anxin.care.queries.queue(OPS, owner="merchant_cs")] == [ids[0]]
    assert _code(lambda: anxin.care.queries.queue(OPS, state="lost")) == E.INVALID_FILTER
    assert _code(lambda: anxin.care.queries.ticket(OTHER_MERCHANT, ids[0])) == E.NOT_FOUND


def test_csat_the_sla_report_and_reply_stats(anxin, clock):
    seed_order(anxin)
    fast = _open(anxin, "q1", order_id="o1")["ticket"]["ticket_id"]
    clock.set(T0 + 2 * MIN)
    anxin.care.tickets.post_message(MERCHANT, fast, PostMessage("r1", "在的"))
    clock.set(T0 + 10 * MIN)
    slow = _open(anxin, "q2", order_id="o1")["ticket"]["ticket_id"]
    clock.set(T0 + 14 * MIN)
    anxin.care.tickets.post_message(MERCHANT, slow, PostMessage("r2", "在的"))
    for tid, rating in ((fast, 5), (slow, 2)):
        anxin.care.tickets.transition(MERCHANT, tid, TransitionTicket("resolved"))
        anxin.care.tickets.rate(CONSUMER, tid, RateTicket(rating))
    period = {"since": T0 - D, "until": T0 + D}
    csat = anxin.care.queries.csat(OPS, by="merchant", **period)
    assert csat["groups"] == [{"key": "m1", "ratings": 2, "average": 3.5, "csat": 0.5}]
    report = anxin.care.queries.sla_report(OPS, **period)
    assert (report["merchant_cs"]["tickets"], report["merchant_cs"]["first_reply_breached"]) == (2, 1)
    assert report["merchant_cs"]["median_first_reply_seconds"] == 180.0
    stats = anxin.care.queries.reply_stats(MERCHANT, "s1", **period)
    assert (stats["handed"], stats["answered_within"], stats["reply_rate"]) == (2, 1, 0.5)
    assert stats["avg_first_response_seconds"] == 180.0
    assert _code(lambda: anxin.care.queries.reply_stats(OTHER_MERCHANT, "s1", **period)) == E.NOT_FOUND
    assert _code(lambda: anxin.care.queries.csat(OPS, by="weather", **period)) == E.INVALID_FILTER


def test_the_service_report_reads_care_through_its_published_facts(anxin, clock):
    """A consultation, its ticket answered by the merchant and a rating: the month's report counts them, from care's
    export queries (not its tables), and computing it again gives the same numbers and fingerprint."""
    seed_order(anxin)
    tid = _open(anxin, order_id="o1")["ticket"]["ticket_id"]
    clock.advance(minutes=2)
    anxin.care.tickets.post_message(MERCHANT, tid, PostMessage("m1r", "有货"))
    anxin.care.tickets.transition(MERCHANT, tid, TransitionTicket("resolved", "answered"))
    anxin.care.tickets.rate(CONSUMER, tid, RateTicket(4, "ok"))
    clock.advance(hours=1)
    month = clock.now().astimezone(BEIJING).strftime("%Y-%m")
    report = anxin.reports.build(OPS, month)
    assert report.figure("consultations_served").value == 1
    assert report.figure("csat").value == 4.0
    assert {u.key for u in report.unsupported} & {"csat", "consultations_served"} == set()
    again = anxin.reports.build(OPS, month)
    assert (again.fingerprint, again.figures) == (report.fingerprint, report.figures)
