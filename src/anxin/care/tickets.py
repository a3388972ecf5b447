"""The ticket state machine and the SLA clocks applied to it. Pure: every function takes the ticket, who acts, the
instant and the policy (the care rulebook) and answers the changed ticket with what happened (timeline entries,
breaches, events); illegal moves raise ``AnxinError`` with a stable ``care.*`` code.

States: open → waiting_customer | waiting_merchant | resolved; waiting_* → open (the awaited party replied) |
resolved; resolved → closed (the customer confirms, or the clock after ``tickets.close_after``); resolved | closed →
open (reopened within ``tickets.reopen_window`` of the resolution).

Clocks (care/sla.py does the business-time arithmetic): the first reply is due ``first_reply.service_minutes`` of
service time after opening on the owner's calendar; a merchant that misses it is breached and the ticket escalates to
``escalation.to`` with a fresh first-reply clock there; the resolution is due the topic's target after opening (or
reopening). A reply at exactly the deadline is on time; one a second later is breached. Each kind of breach is
recorded once per ticket: by the late reply or resolution itself, or by the ``care.sla`` job when none came.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from anxin.care.error_codes import CareErrorCode as E
from anxin.care.events import TicketBreached, TicketClosed
from anxin.care.model import ACTIVE_STATES, AuthorRole, Breach, Owner, Ticket, TicketState, TimelineEntry
from anxin.care.sla import ServiceCalendar, Sla, breached, deadline
from anxin.care.sla_rules import CareRulebookSpec
from anxin.core.errors import AnxinError
from anxin.core.events import Event

S = TicketState

# The state machine: every legal move.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    S.OPEN: frozenset({S.WAITING_CUSTOMER, S.WAITING_MERCHANT, S.RESOLVED}),
    S.WAITING_CUSTOMER: frozenset({S.OPEN, S.RESOLVED}),
    S.WAITING_MERCHANT: frozenset({S.OPEN, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN}),
    S.CLOSED: frozenset({S.OPEN}),
}
REOPENING = frozenset({(S.RESOLVED, S.OPEN), (S.CLOSED, S.OPEN)})


class Side(StrEnum):
    """How the one acting stands to the ticket (the use case works it out from the principal)."""

    CUSTOMER = "customer"  # who opened the consultation: its consumer, or the merchant on the merchant channel
    MERCHANT = "merchant"  # the merchant of the ticket's shop
    STAFF = "staff"  # platform customer service (operators, the platform)
    SYSTEM = "system"  # the clock


@dataclass(frozen=True)
class Actor:
    side: Side
    role: str  # the AuthorRole its messages carry
    ident: str  # <role>:<id>, or "system"


SYSTEM = Actor(Side.SYSTEM, AuthorRole.SYSTEM, "system")


def may_move(side: Side, owner: str, from_state: str, to_state: str) -> bool:
    """Who may make which legal move: the customer closes and reopens; the owner's side works the ticket (a merchant
    only on the shop's own tickets); staff may do any legal move; the clock closes resolved tickets."""
    move = (from_state, to_state)
    if side == Side.STAFF:
        return True
    if side == Side.CUSTOMER:
        return move in REOPENING or move == (S.RESOLVED, S.CLOSED)
    if side == Side.MERCHANT:
        return owner == Owner.MERCHANT_CS and from_state in ACTIVE_STATES
    return move == (S.RESOLVED, S.CLOSED)


def owner_side(owner: str) -> str:
    """The author role whose first message is the owner's first reply."""
    return AuthorRole.MERCHANT if owner == Owner.MERCHANT_CS else AuthorRole.PLATFORM


@dataclass(frozen=True)
class TicketPolicy:
    """The care rulebook as the ticket needs it."""

    version: str
    first_reply_rule: str
    first_reply_minutes: int
    calendars: Mapping[str, ServiceCalendar]
    default_calendar: str
    escalation_rule: str
    escalate_to: str
    resolution: Mapping[str, Sla]  # by topic
    close_after_rule: str
    close_after: dt.timedelta
    reopen_rule: str
    reopen_window: dt.timedelta
    rating_rule: str
    rating_window: dt.timedelta

    @classmethod
    def of(cls, book: CareRulebookSpec) -> TicketPolicy:
        calendars = {name: ServiceCalendar.of(spec) for name, spec in book.calendars.items()}
        resolution = {}
        for topic in ("pre_sale", "order", "logistics", "after_sale", "account", "merchant_policy"):
            target = book.resolution.of(topic)
            resolution[topic] = Sla(target.id, book.version, target.service_hours * 60, calendars[target.calendar])
        t = book.tickets
        return cls(version=book.version, first_reply_rule=book.first_reply.id,
                   first_reply_minutes=book.first_reply.service_minutes, calendars=calendars,
                   default_calendar=book.first_reply.calendar, escalation_rule=book.escalation.id,
                   escalate_to=book.escalation.to, resolution=resolution,
                   close_after_rule=t.close_after.id, close_after=dt.timedelta(hours=t.close_after.hours),
                   reopen_rule=t.reopen_window.id, reopen_window=dt.timedelta(days=t.reopen_window.days),
                   rating_rule=t.rating_window.id, rating_window=dt.timedelta(days=t.rating_window.days))

    def first_reply_sla(self, owner: str) -> Sla:
        """The first reply on the owner's calendar (a team without a calendar of its own: the rule's)."""
        calendar = self.calendars.get(owner, self.calendars[self.default_calendar])
        return Sla(self.first_reply_rule, self.version, self.first_reply_minutes, calendar)

    def resolution_sla(self, topic: str) -> Sla:
        return self.resolution[topic]


def breach_point(due: dt.datetime, sla: Sla) -> dt.datetime:
    """The instant after which a clock due at ``due`` is breached: ``due`` itself, unless it falls where the clock
    stops (a closing time), then the next instant the clock runs again."""
    return deadline(due, 0, sla.calendar)


@dataclass
class Change:
    """A ticket after one step, and what the step recorded."""

    ticket: Ticket
    timeline: list[TimelineEntry] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def note(self, at: dt.datetime, kind: str, actor: str, from_state: str | None, to_state: str | None,
             reason: str = "", **data: Any) -> None:
        self.timeline.append(TimelineEntry(self.ticket.ticket_id, at, kind, actor, from_state, to_state, reason,
                                           data))


# --- opening ------------------------------------------------------------------------------------------------------

def open_ticket(*, ticket_id: str, consultation_id: str, channel: str, topic: str, intent: str, owner: str,
                customer_role: str, customer_id: str, shop_id: str | None, merchant_id: str | None,
                order_id: str | None, at: dt.datetime, actor: str, reason: str,
                policy: TicketPolicy) -> Change:
    """A new open ticket with its first-reply and resolution clocks started at ``at``."""
    first = policy.first_reply_sla(owner)
    res = policy.resolution_sla(topic)
    ticket = Ticket(ticket_id=ticket_id, consultation_id=consultation_id, channel=channel, topic=topic,
                    intent=intent, owner=owner, first_owner=owner, customer_role=customer_role,
                    customer_id=customer_id, shop_id=shop_id, merchant_id=merchant_id, order_id=order_id,
                    state=S.OPEN, opened_at=at, rulebook_version=policy.version, first_reply_from=at,
                    first_reply_due=deadline(at, first.service_minutes, first.calendar), resolution_from=at,
                    resolution_due=deadline(at, res.service_minutes, res.calendar), updated_at=at)
    change = Change(ticket)
    change.note(at, "opened", actor, None, S.OPEN, reason, owner=owner,
                first_reply_due=ticket.first_reply_due.isoformat(), first_reply_rule=first.rule_id,
                resolution_due=ticket.resolution_due.isoformat(), resolution_rule=res.rule_id,
                rulebook_version=policy.version)
    return change


# --- moves --------------------------------------------------------------------------------------------------------

def transition(ticket: Ticket, to_state: str, actor: Actor, at: dt.datetime, reason: str,
               policy: TicketPolicy) -> Change:
    """One move of the state machine by ``actor``; raises care.illegal_transition (no such move from here),
    care.forbidden (not theirs to make) or care.reopen_window_closed."""
    if to_state not in TRANSITIONS:
        raise AnxinError(E.INVALID, f"to_state must be one of {list(TRANSITIONS)}", field="to_state")
    allowed = TRANSITIONS[ticket.state]
    if to_state not in allowed:
        raise AnxinError(E.ILLEGAL_TRANSITION, f"a {ticket.state} ticket cannot move to {to_state}",
                         from_state=ticket.state, to_state=to_state, allowed=sorted(allowed))
    if not may_move(actor.side, ticket.owner, ticket.state, to_state):
        raise AnxinError(E.FORBIDDEN, f"the {actor.side} may not move a {ticket.state} ticket to {to_state}",
                         from_state=ticket.state, to_state=to_state)
    if (ticket.state, to_state) in REOPENING:
        return _reopen(ticket, actor, at, reason, policy)
    if to_state == S.RESOLVED:
        return _resolve(ticket, actor, at, reason, policy)
    if to_state == S.CLOSED:
        return _close(ticket, actor, at, reason, policy)
    change = Change(_moved(ticket, to_state, at))
    change.note(at, "transition", actor.ident, ticket.state, to_state, reason)
    return change


def _moved(ticket: Ticket, to_state: str, at: dt.datetime, **changes: Any) -> Ticket:
    return replace(ticket, state=to_state, version=ticket.version + 1, updated_at=at, **changes)


def _resolve(ticket: Ticket, actor: Actor, at: dt.datetime, reason: str, policy: TicketPolicy) -> Change:
    change = Change(_moved(ticket, S.RESOLVED, at, resolved_at=at, close_due=at + policy.close_after,
                           closure_no=ticket.closure_no + 1))
    change.note(at, "transition", actor.ident, ticket.state, S.RESOLVED, reason,
                close_due=(at + policy.close_after).isoformat(), close_rule=policy.close_after_rule)
    if ticket.resolution_breached_at is None:
        sla = policy.resolution_sla(ticket.topic)
        verdict = breached(ticket.resolution_from, at, at, sla)
        if verdict.breached:
            _breach(change, "resolution", ticket.resolution_due, at, sla, verdict.facts)
    return change


def _close(ticket: Ticket, actor: Actor, at: dt.datetime, reason: str, policy: TicketPolicy) -> Change:
    assert ticket.resolved_at is not None, "only a resolved ticket closes"
    change = Change(_moved(ticket, S.CLOSED, at, closed_at=at, close_due=None))
    data = {"close_rule": policy.close_after_rule} if actor.side == Side.SYSTEM else {}
    change.note(at, "transition", actor.ident, ticket.state, S.CLOSED, reason, **data)
    t = change.ticket
    change.events.append(TicketClosed(
        ticket_id=t.ticket_id, consultation_id=t.consultation_id, closure_no=t.closure_no, owner=t.owner,
        channel=t.channel, intent=t.intent, shop_id=t.shop_id, order_id=t.order_id, resolved_at=ticket.resolved_at,
        closed_at=at, by=actor.side.value))
    return change


def reopen_window_ends(ticket: Ticket, policy: TicketPolicy) -> dt.datetime | None:
    return ticket.resolved_at + policy.reopen_window if ticket.resolved_at is not None else None


def _reopen(ticket: Ticket, actor: Actor, at: dt.datetime, reason: str, policy: TicketPolicy) -> Change:
    ends = reopen_window_ends(ticket, policy)
    if ends is None or at > ends:
        raise AnxinError(E.REOPEN_WINDOW_CLOSED, "the ticket can no longer be reopened",
                         window_ends_at=ends.isoformat() if ends else None, rule_id=policy.reopen_rule)
    res = policy.resolution_sla(ticket.topic)
    due = deadline(at, res.service_minutes, res.calendar)
    change = Change(_moved(ticket, S.OPEN, at, resolved_at=None, close_due=None, closed_at=None,
                           resolution_from=at, resolution_due=due))
    change.note(at, "reopened", actor.ident, ticket.state, S.OPEN, reason, resolution_due=due.isoformat(),
                reopen_rule=policy.reopen_rule)
    return change


# --- messages -----------------------------------------------------------------------------------------------------

def message(ticket: Ticket, actor: Actor, at: dt.datetime, policy: TicketPolicy) -> Change:
    """What a message by ``actor`` does to the ticket: the owner side's first message is the first reply (judged
    against its clock: late, it is a breach); the merchant's first message is kept for the reply rate; the awaited
    party's message moves a waiting ticket back to open. A closed ticket takes none (care.ticket_closed)."""
    if ticket.state == S.CLOSED:
        raise AnxinError(E.TICKET_CLOSED, "the ticket is closed: reopen it first", state=ticket.state)
    change = Change(ticket)
    t = ticket
    if actor.role == AuthorRole.MERCHANT and t.merchant_replied_at is None and actor.side != Side.CUSTOMER:
        t = replace(t, merchant_replied_at=at)
    if actor.side != Side.CUSTOMER and actor.role == owner_side(t.owner) and t.first_replied_at is None:
        t = replace(t, first_replied_at=at)
        sla = policy.first_reply_sla(t.owner)
        # A reply from before its clock started (a platform message that arrives after the escalation it preceded)
        # has used no service time.
        judged = max(at, t.first_reply_from)
        verdict = breached(t.first_reply_from, judged, judged, sla)
        change.ticket = t
        change.note(at, "first_reply", actor.ident, None, None, "", outcome=verdict.outcome,
                    due=t.first_reply_due.isoformat(), rule_id=sla.rule_id,
                    service_seconds_used=verdict.facts["service_seconds_used"])
        if verdict.breached and t.first_reply_breached_at is None:
            _breach(change, "first_reply", t.first_reply_due, at, sla, verdict.facts)
        t = change.ticket
    awaited = (t.state == S.WAITING_CUSTOMER and actor.side == Side.CUSTOMER) or (
        t.state == S.WAITING_MERCHANT and actor.side == Side.MERCHANT)
    if awaited:
        reason = "customer_replied" if actor.side == Side.CUSTOMER else "merchant_replied"
        change.note(at, "transition", actor.ident, t.state, S.OPEN, reason)
        t = replace(t, state=S.OPEN)
    if t != ticket:
        t = replace(t, version=ticket.version + 1, updated_at=at)
    change.ticket = t
    return change


# --- the clock (the care.sla job) ---------------------------------------------------------------------------------

def due(ticket: Ticket, now: dt.datetime, policy: TicketPolicy) -> Change:
    """Everything the clock does to the ticket at ``now``: the missed first reply is breached (a merchant's ticket
    escalates to platform CS with a fresh first-reply clock), the missed resolution is breached, a resolved ticket
    past its close-after period closes. Nothing when nothing is due; safe to run again."""
    change = Change(ticket)
    t = ticket
    if t.state in ACTIVE_STATES and t.first_replied_at is None and t.first_reply_breached_at is None:
        sla = policy.first_reply_sla(t.owner)
        verdict = breached(t.first_reply_from, None, now, sla)
        if verdict.breached:
            escalate = t.owner == Owner.MERCHANT_CS and t.escalated_at is None and policy.escalate_to != t.owner
            _breach(change, "first_reply", t.first_reply_due, now, sla, verdict.facts,
                    escalated_to=policy.escalate_to if escalate else None)
            t = change.ticket
            if escalate:
                to = policy.first_reply_sla(policy.escalate_to)
                new_due = deadline(now, to.service_minutes, to.calendar)
                change.note(now, "escalated", SYSTEM.ident, None, None, "first_reply_missed", from_owner=t.owner,
                            to_owner=policy.escalate_to, rule_id=policy.escalation_rule,
                            first_reply_due=new_due.isoformat())
                t = replace(t, owner=policy.escalate_to, escalated_at=now, first_reply_from=now,
                            first_reply_due=new_due)
    if t.state in ACTIVE_STATES and t.resolution_breached_at is None:
        sla = policy.resolution_sla(t.topic)
        verdict = breached(t.resolution_from, None, now, sla)
        if verdict.breached:
            change.ticket = t
            _breach(change, "resolution", t.resolution_due, now, sla, verdict.facts)
            t = change.ticket
    if t.state == S.RESOLVED and t.close_due is not None and now > t.close_due:
        closed = _close(t, SYSTEM, now, "close_after_elapsed", policy)
        change.timeline += closed.timeline
        change.events += closed.events
        t = closed.ticket
    if t != ticket:
        t = replace(t, version=ticket.version + 1, updated_at=now)
    change.ticket = t
    return change


def _breach(change: Change, kind: str, due_at: dt.datetime, at: dt.datetime, sla: Sla, facts: dict[str, Any],
            escalated_to: str | None = None) -> None:
    t = change.ticket
    b = Breach(t.ticket_id, kind, due_at, at, t.owner, sla.rule_id, sla.rulebook_version, facts)
    change.breaches.append(b)
    change.ticket = (replace(t, first_reply_breached_at=at) if kind == "first_reply"
                     else replace(t, resolution_breached_at=at))
    change.note(at, "breached", SYSTEM.ident, None, None, kind, due=due_at.isoformat(), owner=t.owner,
                rule_id=sla.rule_id, rulebook_version=sla.rulebook_version, facts=facts)
    change.events.append(TicketBreached(
        ticket_id=t.ticket_id, consultation_id=t.consultation_id, kind=kind, owner=t.owner, shop_id=t.shop_id,
        order_id=t.order_id, due=due_at, at=at, escalated_to=escalated_to, rule_id=sla.rule_id,
        rulebook_version=sla.rulebook_version))


def check_at(ticket: Ticket, policy: TicketPolicy) -> dt.datetime | None:
    """The earliest instant after which the clock has something to do to the ticket (None: nothing ever, until it
    changes): the job takes tickets whose ``check_at`` is before its ``now``."""
    t = ticket
    points = []
    if t.state in ACTIVE_STATES:
        if t.first_replied_at is None and t.first_reply_breached_at is None:
            points.append(breach_point(t.first_reply_due, policy.first_reply_sla(t.owner)))
        if t.resolution_breached_at is None:
            points.append(breach_point(t.resolution_due, policy.resolution_sla(t.topic)))
    elif t.state == S.RESOLVED and t.close_due is not None:
        points.append(t.close_due)
    return min(points) if points else None


def next_due(ticket: Ticket) -> dt.datetime | None:
    """The deadline the queue sorts by: the first reply while none came, then the resolution; None once resolved."""
    if ticket.state not in ACTIVE_STATES:
        return None
    return ticket.first_reply_due if ticket.first_replied_at is None else ticket.resolution_due


# --- satisfaction -------------------------------------------------------------------------------------------------

MAX_COMMENT = 1000


def check_rating(ticket: Ticket, actor: Actor, rating: object, comment: str, at: dt.datetime, *, already: bool,
                 policy: TicketPolicy) -> None:
    """May ``actor`` rate the ticket now: its customer, 1–5, a resolved or closed ticket, once per closure, within
    the rating window of its resolution."""
    if actor.side != Side.CUSTOMER:
        raise AnxinError(E.FORBIDDEN, "only the ticket's customer rates it")
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise AnxinError(E.INVALID, "rating must be an integer 1–5", field="rating")
    if len(comment) > MAX_COMMENT:
        raise AnxinError(E.INVALID, f"comment must be at most {MAX_COMMENT} characters", field="comment")
    if ticket.state not in (S.RESOLVED, S.CLOSED) or ticket.resolved_at is None:
        raise AnxinError(E.NOT_RATEABLE, f"a {ticket.state} ticket is not rated yet", state=ticket.state)
    if already:
        raise AnxinError(E.ALREADY_RATED, "this resolution of the ticket is already rated",
                         closure_no=ticket.closure_no)
    ends = ticket.resolved_at + policy.rating_window
    if at > ends:
        raise AnxinError(E.RATING_WINDOW_CLOSED, "the rating window has closed", window_ends_at=ends.isoformat(),
                         rule_id=policy.rating_rule)
