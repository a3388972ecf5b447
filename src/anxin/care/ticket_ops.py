"""Working a ticket: messages (the owner side's first is the first reply; the awaited party's reopens a waiting
ticket), state transitions, and the customer's satisfaction rating (1–5, once per resolution, within the window).

Races: every use case begins the write transaction (SQLite) and locks the ticket row (PostgreSQL ``FOR UPDATE``)
before it reads the state it decides on, and saves it only at the version it read; a message id and a rating per
closure are unique besides. Two moves of one ticket at once: one wins, the other sees the new state (and answers
care.illegal_transition if its move no longer exists, or repeats nothing when it was the same message).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from anxin.care.error_codes import CareErrorCode as E
from anxin.care.events import MessageReceived
from anxin.care.model import (
    AuthorRole,
    Consultation,
    Message,
    PostMessage,
    RateTicket,
    Satisfaction,
    Source,
    Ticket,
    TransitionTicket,
)
from anxin.care.routing_port import fallback_owner
from anxin.care.shared import check_id, check_text, message_dict, ticket_actor, ticket_dict, write_change
from anxin.care.ticket_store import TicketRepository
from anxin.care.tickets import Actor, Change, Side, TicketPolicy, check_rating, message, open_ticket, transition
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import derived_id
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory

MAX_REASON = 500


class Tickets:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, policy: TicketPolicy) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.policy = policy

    def _locked(self, uow: UnitOfWork, repo: TicketRepository, ticket_id: str) -> Ticket:
        uow.begin_write()
        ticket = repo.get_ticket(ticket_id, lock=True)
        if ticket is None:
            raise AnxinError(E.NOT_FOUND, "no such ticket", ticket_id=ticket_id)
        return ticket

    # --- messages ----------------------------------------------------------------------------------------------------

    def post_message(self, who: Principal, ticket_id: str, body: PostMessage) -> dict[str, Any]:
        """Post a message on a ticket; the same ``message_id`` again answers the message stored, changing nothing."""
        message_id = check_id(body.message_id, "message_id")
        text = check_text(body.text)
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = TicketRepository(uow.session)
            result = self.post_in(uow, repo, who, ticket_id, message_id, text, now)
            uow.commit()
        return result

    def post_in(self, uow: UnitOfWork, repo: TicketRepository, who: Principal, ticket_id: str, message_id: str,
                text: str, now: dt.datetime) -> dict[str, Any]:
        """``post_message`` in the caller's unit of work (which commits)."""
        ticket = self._locked(uow, repo, ticket_id)
        actor = ticket_actor(uow, who, ticket)
        known = repo.get_message(message_id)
        if known is not None:
            if (known.ticket_id, known.author_id, known.text) != (ticket_id, who.subject, text):
                raise AnxinError(E.ID_REUSED, "this message_id was already used for another message",
                                 field="message_id")
            return {"message": message_dict(known), "ticket": ticket_dict(ticket, self.policy, now)}
        change = message(ticket, actor, now, self.policy)
        posted = Message(message_id, ticket.consultation_id, ticket_id, actor.role, who.subject, text, now,
                         Source.API.value, {}, now)
        if not repo.add_message(posted):
            raise AnxinError(E.ID_REUSED, "this message_id was already used for another message", field="message_id")
        write_change(repo, uow, ticket, change, self.policy)
        return {"message": message_dict(posted), "ticket": ticket_dict(change.ticket, self.policy, now)}

    # --- transitions -------------------------------------------------------------------------------------------------

    def transition(self, who: Principal, ticket_id: str, body: TransitionTicket) -> dict[str, Any]:
        """Move the ticket (care.illegal_transition 409 when the state machine has no such move from its state;
        care.forbidden when the move is not the caller's to make; care.reopen_window_closed)."""
        if not isinstance(body.to_state, str):
            raise AnxinError(E.INVALID, "to_state is required", field="to_state")
        reason = body.reason.strip() if isinstance(body.reason, str) else ""
        if len(reason) > MAX_REASON:
            raise AnxinError(E.INVALID, f"reason must be at most {MAX_REASON} characters", field="reason")
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = TicketRepository(uow.session)
            ticket = self._locked(uow, repo, ticket_id)
            actor = ticket_actor(uow, who, ticket)
            change = transition(ticket, body.to_state, actor, now, reason, self.policy)
            write_change(repo, uow, ticket, change, self.policy)
            uow.commit()
        return ticket_dict(change.ticket, self.policy, now)

    # --- satisfaction ------------------------------------------------------------------------------------------------

    def rate(self, who: Principal, ticket_id: str, body: RateTicket) -> dict[str, Any]:
        """The customer rates a resolved or closed ticket 1–5 with an optional comment, once per resolution, within
        the rating window (care.not_rateable, care.already_rated, care.rating_window_closed: 409)."""
        comment = body.comment.strip() if isinstance(body.comment, str) else ""
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = TicketRepository(uow.session)
            ticket = self._locked(uow, repo, ticket_id)
            actor = ticket_actor(uow, who, ticket)
            check_rating(ticket, actor, body.rating, comment, now,
                         already=repo.rated(ticket_id, ticket.closure_no), policy=self.policy)
            rating = Satisfaction(ticket_id, ticket.closure_no, body.rating, comment, now, actor.ident)
            if not repo.add_rating(ticket, rating):
                raise AnxinError(E.ALREADY_RATED, "this resolution of the ticket is already rated",
                                 closure_no=ticket.closure_no)
            change = Change(ticket)
            change.note(now, "rated", actor.ident, None, None, "", rating=body.rating, closure_no=ticket.closure_no)
            write_change(repo, uow, ticket, change, self.policy)
            uow.commit()
        return {"ticket_id": ticket_id, "closure_no": rating.closure_no, "rating": rating.rating,
                "comment": rating.comment, "rated_at": now.isoformat()}

    # --- follow-ups and platform messages ----------------------------------------------------------------------------

    def open_follow_up(self, uow: UnitOfWork, repo: TicketRepository, c: Consultation, *, at: dt.datetime,
                       actor: str) -> Consultation:
        """The ticket a customer's follow-up opens on a case or parcel answer, owned by the routing fallback."""
        assert c.routing is not None
        owner = c.fallback_owner or fallback_owner(channel=c.channel, shop_id=c.shop_id)
        change = open_ticket(ticket_id=derived_id("tkt", c.consultation_id), consultation_id=c.consultation_id,
                             channel=c.channel,
                             topic=c.routing["topic"], intent=c.routing["intent"], owner=owner,
                             customer_role=c.customer_role, customer_id=c.customer_id, shop_id=c.shop_id,
                             merchant_id=c.merchant_id, order_id=c.order_id, at=at, actor=actor,
                             reason=f"follow_up_after_{c.route}", policy=self.policy)
        write_change(repo, uow, None, change, self.policy)
        updated = replace(c, ticket_id=change.ticket.ticket_id)
        repo.save_consultation(updated)
        repo.attach_messages(c.consultation_id, change.ticket.ticket_id)
        return updated

    def apply_received(self, event: MessageReceived, uow: UnitOfWork) -> None:
        """care's handler of ``care.message_received``: apply a platform chat's message to its ticket (once). A
        consultation not routed yet is left alone: routing applies its waiting messages."""
        uow.begin_write()
        repo = TicketRepository(uow.session)
        c = repo.get_consultation(event.consultation_id, lock=True)
        if c is None or not c.routed:
            return
        m = repo.get_message(event.message_id)
        if m is None or m.applied_at is not None:
            return
        self.apply_platform_message(uow, repo, c, m)

    def apply_platform_message(self, uow: UnitOfWork, repo: TicketRepository, c: Consultation,
                               m: Message) -> Consultation:
        """What a platform chat's message does, at the time it was posted: the customer's on an answered
        consultation opens the fallback ticket; on a ticket, as ``message`` says. A message on a closed ticket is
        kept without effect (the chat happened)."""
        actor = _platform_actor(c, m)
        now = self.clock.now()
        if c.ticket_id is None and actor.side == Side.CUSTOMER:
            c = self.open_follow_up(uow, repo, c, at=m.posted_at, actor=actor.ident)
        if c.ticket_id is not None:
            ticket = repo.get_ticket(c.ticket_id, lock=True)
            assert ticket is not None
            try:
                change = message(ticket, actor, m.posted_at, self.policy)
            except AnxinError as exc:
                if exc.code != E.TICKET_CLOSED:
                    raise
            else:
                write_change(repo, uow, ticket, change, self.policy)
        repo.mark_applied(m.message_id, ticket_id=c.ticket_id, at=now)
        return c


def _platform_actor(c: Consultation, m: Message) -> Actor:
    """Who a platform message's author is to the consultation: the platform says so."""
    who = f"{m.author_role}:{m.author_id}"
    if m.author_role == c.customer_role and m.author_id == c.customer_id:
        return Actor(Side.CUSTOMER, m.author_role, who)
    if m.author_role == AuthorRole.CONSUMER:
        return Actor(Side.CUSTOMER, m.author_role, who)
    if m.author_role == AuthorRole.MERCHANT:
        return Actor(Side.MERCHANT, m.author_role, who)
    return Actor(Side.STAFF, AuthorRole.PLATFORM, who)
