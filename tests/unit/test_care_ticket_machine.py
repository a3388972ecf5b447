"""The ticket state machine and its SLA clocks at the edges, on the packaged care rulebook (merchant CS 08:00–23:00
Beijing, platform CS around the clock, an example closed holiday on 2027-02-06): exactly 3 minutes, the 08:00 and
23:00 boundaries, holidays, escalation, the close-after period, the reopen and rating windows, who may move what."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from anxin.care.error_codes import CareErrorCode as E
from anxin.care.events import TicketBreached, TicketClosed
from anxin.care.model import AuthorRole, Ticket, TicketState
from anxin.care.routing_port import RoutingDecision, decision_problems, fallback_owner, settle_route
from anxin.care.sla_rules import load_care_rules
from anxin.care.tickets import (
    SYSTEM,
    TRANSITIONS,
    Actor,
    Side,
    TicketPolicy,
    check_at,
    check_rating,
    due,
    message,
    next_due,
    open_ticket,
    transition,
)
from anxin.core.clock import BEIJING, UTC
from anxin.core.errors import AnxinError

POLICY = TicketPolicy.of(load_care_rules())
S = dt.timedelta(seconds=1)
MIN = dt.timedelta(minutes=1)
CUSTOMER = Actor(Side.CUSTOMER, AuthorRole.CONSUMER, "consumer:c1")
MERCHANT = Actor(Side.MERCHANT, AuthorRole.MERCHANT, "merchant:m1")
STAFF = Actor(Side.STAFF, AuthorRole.PLATFORM, "operator:o1")


def bj(month: int, day: int, hour: int, minute: int, second: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)


def ticket(at: dt.datetime, owner: str = "merchant_cs", topic: str = "pre_sale") -> Ticket:
    return open_ticket(ticket_id="t1", consultation_id="q1", channel="consumer", topic=topic,
                       intent="pre_sale.product_info", owner=owner, customer_role="consumer", customer_id="c1",
                       shop_id="s1", merchant_id="m1", order_id="o1", at=at, actor="consumer:c1", reason="",
                       policy=POLICY).ticket


def _code(call) -> str:
    with pytest.raises(AnxinError) as err:
        call()
    return err.value.code.value


# --- the first-reply clock ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("opened", "owner", "expected_due"), [
    (bj(12, 7, 10, 0), "merchant_cs", bj(12, 7, 10, 3)),
    (bj(12, 7, 7, 59), "merchant_cs", bj(12, 7, 8, 3)),  # before 08:00: counts from the opening
    (bj(12, 7, 8, 0), "merchant_cs", bj(12, 7, 8, 3)),  # at 08:00 exactly: counts at once
    (bj(12, 7, 22, 57), "merchant_cs", bj(12, 7, 23, 0)),  # due exactly at the closing time
    (bj(12, 7, 22, 59), "merchant_cs", bj(12, 8, 8, 2)),  # one minute left, two after the next opening
    (bj(12, 7, 23, 0), "merchant_cs", bj(12, 8, 8, 3)),  # at 23:00 exactly: already closed
    (bj(2, 6, 12, 0, year=2027), "merchant_cs", bj(2, 7, 10, 3, year=2027)),  # a closed holiday, then short hours
    (bj(12, 7, 23, 30), "platform_cs", bj(12, 7, 23, 33)),  # platform CS answers around the clock
])
def test_the_first_reply_is_due_on_the_owners_calendar(opened, owner, expected_due):
    t = ticket(opened, owner)
    assert t.first_reply_due == expected_due.astimezone(UTC)
    assert next_due(t) == t.first_reply_due


@pytest.mark.parametrize(("reply_after", "outcome"), [(2 * MIN, "on_time"), (3 * MIN, "on_time"),
                                                       (3 * MIN + S, "breached")])
def test_a_reply_is_judged_to_the_second(reply_after, outcome):
    t = ticket(bj(12, 7, 10, 0))
    change = message(t, MERCHANT, t.opened_at + reply_after, POLICY)
    assert change.ticket.first_replied_at == t.opened_at + reply_after
    assert change.timeline[0].data["outcome"] == outcome
    assert [b.kind for b in change.breaches] == (["first_reply"] if outcome == "breached" else [])
    assert (change.ticket.owner, change.ticket.escalated_at) == ("merchant_cs", None)


def test_a_reply_at_night_after_a_deadline_on_the_closing_time_is_on_time():
    t = ticket(bj(12, 7, 22, 57))  # due 23:00, the clock stops then
    assert message(t, MERCHANT, bj(12, 7, 23, 30), POLICY).breaches == []
    assert [b.kind for b in message(t, MERCHANT, bj(12, 8, 8, 0, 1), POLICY).breaches] == ["first_reply"]


@pytest.mark.parametrize(("opened", "judged", "breached"), [
    (bj(12, 7, 10, 0), bj(12, 7, 10, 3), False),  # exactly 3 minutes
    (bj(12, 7, 10, 0), bj(12, 7, 10, 3, 1), True),
    (bj(12, 7, 22, 57), bj(12, 7, 23, 59), False),  # the clock stopped at 23:00
    (bj(12, 7, 22, 57), bj(12, 8, 8, 0), False),  # and starts again at 08:00
    (bj(12, 7, 22, 57), bj(12, 8, 8, 0, 1), True),
    (bj(2, 5, 22, 59, year=2027), bj(2, 7, 10, 1, year=2027), False),  # 1 min + a closed holiday + 1 min
    (bj(2, 5, 22, 59, year=2027), bj(2, 7, 10, 2, 1, year=2027), True),
])
def test_the_clock_breaches_and_escalates_a_missed_merchant_reply_once(opened, judged, breached):
    t = ticket(opened)
    change = due(t, judged.astimezone(UTC), POLICY)
    assert bool(change.breaches) is breached
    point = check_at(t, POLICY)
    assert point is not None and (judged > point) is breached  # the job takes tickets whose check_at has passed
    if not breached:
        assert change.ticket == t
        return
    escalated = change.ticket
    assert (escalated.owner, escalated.first_owner, escalated.escalated_at) == ("platform_cs", "merchant_cs", judged)
    assert escalated.first_reply_due == judged + 3 * MIN  # platform CS: around the clock
    assert [e.kind for e in change.timeline] == ["breached", "escalated"]
    assert [type(e) for e in change.events] == [TicketBreached]
    assert change.events[0].escalated_to == "platform_cs"
    assert due(escalated, judged + dt.timedelta(hours=1), POLICY).breaches == []  # once per ticket and kind
    assert message(escalated, MERCHANT, judged + MIN, POLICY).ticket.first_replied_at is None  # not the owner now
    assert message(escalated, STAFF, judged + MIN, POLICY).ticket.first_replied_at == judged + MIN


def test_a_reply_from_before_the_clock_started_is_on_time():
    t = ticket(bj(12, 7, 10, 0))
    escalated = due(t, t.opened_at + 5 * MIN, POLICY).ticket
    early = message(escalated, STAFF, t.opened_at + MIN, POLICY)  # a platform message that arrived late
    assert early.ticket.first_replied_at == t.opened_at + MIN and early.breaches == []


def test_a_platform_ticket_is_breached_but_not_escalated():
    t = ticket(bj(12, 7, 3, 0), owner="platform_cs")
    change = due(t, t.opened_at + 3 * MIN + S, POLICY)
    assert [b.owner for b in change.breaches] == ["platform_cs"]
    assert change.ticket.owner == "platform_cs" and change.ticket.escalated_at is None


def test_the_resolution_target_follows_the_topic():
    t = ticket(bj(12, 7, 10, 0), topic="logistics")  # 24 service hours on the platform calendar
    assert t.resolution_due == bj(12, 8, 10, 0).astimezone(UTC)
    replied = message(t, MERCHANT, t.opened_at + MIN, POLICY).ticket
    assert next_due(replied) == t.resolution_due
    assert due(replied, t.resolution_due, POLICY).breaches == []
    assert [b.kind for b in due(replied, t.resolution_due + S, POLICY).breaches] == ["resolution"]
    late = transition(replied, "resolved", MERCHANT, t.resolution_due + S, "", POLICY)
    assert [b.kind for b in late.breaches] == ["resolution"]


# --- the state machine -----------------------------------------------------------------------------------------------

LEGAL = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
# Who may make each legal move (the merchant only on its own merchant-CS tickets).
MAY = {
    Side.CUSTOMER: {("resolved", "closed"), ("resolved", "open"), ("closed", "open")},
    Side.MERCHANT: {m for m in LEGAL if m[0] in ("open", "waiting_customer", "waiting_merchant")},
    Side.STAFF: LEGAL,
}


def _in_state(state: str) -> Ticket:
    t = ticket(bj(12, 7, 10, 0))
    at = t.opened_at + MIN
    if state in ("waiting_customer", "waiting_merchant"):
        return transition(t, state, STAFF, at, "", POLICY).ticket
    if state in ("resolved", "closed"):
        t = transition(t, "resolved", STAFF, at, "", POLICY).ticket
        return transition(t, "closed", STAFF, at, "", POLICY).ticket if state == "closed" else t
    return t


@pytest.mark.parametrize(("side", "from_state", "to_state"),
                         list(itertools.product(MAY, list(TicketState), list(TicketState))))
def test_every_move_by_every_side(side, from_state, to_state):
    actor = {Side.CUSTOMER: CUSTOMER, Side.MERCHANT: MERCHANT, Side.STAFF: STAFF}[side]
    t = _in_state(from_state)
    at = t.opened_at + 2 * MIN
    if (from_state, to_state) not in LEGAL:
        assert _code(lambda: transition(t, to_state, actor, at, "", POLICY)) == E.ILLEGAL_TRANSITION
    elif (from_state, to_state) not in MAY[side]:
        assert _code(lambda: transition(t, to_state, actor, at, "", POLICY)) == E.FORBIDDEN
    else:
        change = transition(t, to_state, actor, at, "why", POLICY)
        assert (change.ticket.state, change.ticket.version) == (to_state, t.version + 1)
        assert (change.timeline[-1].from_state, change.timeline[-1].to_state) == (from_state, to_state)
        assert change.timeline[-1].actor == actor.ident


def test_a_merchant_does_not_work_a_platform_ticket():
    t = ticket(bj(12, 7, 10, 0), owner="platform_cs")
    assert _code(lambda: transition(t, "resolved", MERCHANT, t.opened_at, "", POLICY)) == E.FORBIDDEN


def test_the_awaited_party_reopens_a_waiting_ticket_by_replying():
    t = _in_state("waiting_customer")
    assert message(t, MERCHANT, t.opened_at + 3 * MIN, POLICY).ticket.state == "waiting_customer"
    back = message(t, CUSTOMER, t.opened_at + 3 * MIN, POLICY)
    assert (back.ticket.state, back.timeline[-1].reason) == ("open", "customer_replied")
    waiting = transition(ticket(bj(12, 7, 10, 0)), "waiting_merchant", STAFF, bj(12, 7, 10, 1), "", POLICY).ticket
    assert message(waiting, MERCHANT, bj(12, 7, 10, 2), POLICY).ticket.state == "open"
    assert _code(lambda: message(_in_state("closed"), CUSTOMER, bj(12, 7, 11, 0), POLICY)) == E.TICKET_CLOSED


@pytest.mark.parametrize(("after", "allowed"), [(dt.timedelta(days=7), True), (dt.timedelta(days=7) + S, False)])
def test_the_reopen_window_edge(after, allowed):
    for state in ("resolved", "closed"):
        t = _in_state(state)
        at = t.resolved_at + after
        if allowed:
            reopened = transition(t, "open", CUSTOMER, at, "", POLICY).ticket
            assert (reopened.resolved_at, reopened.closed_at, reopened.resolution_from) == (None, None, at)
            assert reopened.closure_no == 1  # the next resolution is closure 2
        else:
            assert _code(lambda t=t, at=at: transition(t, "open", CUSTOMER, at, "", POLICY)) == \
                E.REOPEN_WINDOW_CLOSED


def test_a_resolved_ticket_closes_after_the_close_after_period():
    t = _in_state("resolved")
    assert t.close_due == t.resolved_at + dt.timedelta(hours=72)
    assert check_at(t, POLICY) == t.close_due and next_due(t) is None
    assert due(t, t.close_due, POLICY).ticket == t
    closed = due(t, t.close_due + S, POLICY)
    assert (closed.ticket.state, closed.ticket.closed_at, closed.ticket.version) == ("closed", t.close_due + S,
                                                                                      t.version + 1)
    assert [type(e) for e in closed.events] == [TicketClosed] and closed.events[0].by == "system"
    assert check_at(closed.ticket, POLICY) is None
    assert SYSTEM.side == Side.SYSTEM


@pytest.mark.parametrize(("after", "rating", "already", "code"), [
    (dt.timedelta(days=7), 5, False, None),
    (dt.timedelta(days=7) + S, 5, False, E.RATING_WINDOW_CLOSED),
    (dt.timedelta(hours=1), 5, True, E.ALREADY_RATED),
    (dt.timedelta(hours=1), 0, False, E.INVALID),
    (dt.timedelta(hours=1), True, False, E.INVALID),
])
def test_the_rating_rules(after, rating, already, code):
    t = _in_state("closed")
    call = lambda: check_rating(t, CUSTOMER, rating, "", t.resolved_at + after, already=already,  # noqa: E731
                                policy=POLICY)
    if code is None:
        call()
    else:
        assert _code(call) == code
    assert _code(lambda: check_rating(t, MERCHANT, 5, "", t.resolved_at, already=False, policy=POLICY)) == \
        E.FORBIDDEN
    assert _code(lambda: check_rating(_in_state("open"), CUSTOMER, 5, "", t.resolved_at, already=False,
                                      policy=POLICY)) == E.NOT_RATEABLE


# --- the routing port -----------------------------------------------------------------------------------------------

def _decision(route: str, owner: str | None, intent: str = "pre_sale.price", topic: str = "pre_sale",
              confidence: float = 0.5) -> RoutingDecision:
    return RoutingDecision(intent, topic, route, owner, confidence, ("r",), ("id",), "v1", "m1")


@pytest.mark.parametrize(("decision", "problems"), [
    (_decision("merchant_cs", "merchant_cs"), 0),
    (_decision("case", None), 0),
    (_decision("case", "platform_cs"), 1),
    (_decision("merchant_cs", "platform_cs"), 1),
    (_decision("somewhere", None), 1),
    (_decision("merchant_cs", "merchant_cs", intent="order.cancel"), 1),
    (_decision("merchant_cs", "merchant_cs", intent="nope"), 1),
    (_decision("merchant_cs", "merchant_cs", confidence=1.5), 1),
])
def test_an_unusable_router_answer_is_caught(decision, problems):
    assert len(decision_problems(decision)) == problems


@pytest.mark.parametrize(("route", "channel", "shop", "case", "order", "settled", "reason"), [
    ("merchant_cs", "consumer", "s1", None, None, "merchant_cs", None),
    ("merchant_cs", "consumer", None, None, None, "platform_cs", "care.no_shop_for_merchant"),
    ("merchant_cs", "merchant", "s1", None, None, "platform_cs", "care.merchant_channel_to_platform"),
    ("case", "consumer", "s1", None, "o1", "platform_cs", "care.no_open_case"),
    ("case", "consumer", "s1", "k1", "o1", "case", None),
    ("parcel", "consumer", None, None, None, "platform_cs", "care.no_order_for_parcel"),
])
def test_a_route_care_cannot_follow_goes_to_platform_cs(route, channel, shop, case, order, settled, reason):
    d = settle_route(_decision(route, route if route.endswith("_cs") else None), channel=channel, shop_id=shop,
                     open_case_id=case, order_id=order)
    assert d.route == settled and decision_problems(d) == []
    assert (reason in d.reason_codes) if reason else d.reason_codes == ("r",)
    assert fallback_owner(channel="consumer", shop_id="s1") == "merchant_cs"
    assert fallback_owner(channel="consumer", shop_id=None) == fallback_owner(channel="merchant", shop_id="s1") \
        == "platform_cs"
