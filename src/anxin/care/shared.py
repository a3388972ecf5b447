"""What the care use cases share: who a caller is to a ticket (customer, the shop's merchant, staff, or nobody they
may show it to), writing a ticket's change (row, timeline, breaches, events) and the dicts the API and pages show."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from anxin.access.service import require_role
from anxin.care.error_codes import CareErrorCode as E
from anxin.care.events import TicketBreached
from anxin.care.model import AuthorRole, Consultation, Message, Owner, Ticket, TicketState, TimelineEntry
from anxin.care.ticket_store import TicketRepository, Visibility
from anxin.care.tickets import Actor, Change, Side, TicketPolicy, check_at, next_due, reopen_window_ends
from anxin.core.errors import AnxinError
from anxin.core.fields import MAX_ID, MAX_TEXT
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork
from anxin.shops.service import shop_ids_of_merchant

STAFF_ROLES = (Role.OPERATOR, Role.PLATFORM)
CARE_ROLES = (Role.CONSUMER, Role.MERCHANT, *STAFF_ROLES)


_ID = re.compile(rf"[A-Za-z0-9_.:\-]{{1,{MAX_ID}}}")


def check_id(value: object, name: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise AnxinError(E.INVALID, f"{name} must be 1–{MAX_ID} letters, digits or _.:-", field=name)
    return value


def check_text(value: object, name: str = "text") -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_TEXT:
        raise AnxinError(E.INVALID, f"{name} must be 1–{MAX_TEXT} characters", field=name)
    return text


def is_staff(who: Principal) -> bool:
    return who.role in STAFF_ROLES


def ident(who: Principal) -> str:
    return f"{who.role.value}:{who.subject}"


def actor_for(uow: UnitOfWork, who: Principal, *, customer_role: str, customer_id: str, shop_id: str | None,
              first_owner: str | None, state: str | None) -> Actor | None:
    """How ``who`` stands to a consultation or ticket, or None when it is not theirs to see. A merchant sees their
    own merchant-channel consultations and, of their shops' tickets, those that opened with merchant CS and those
    waiting on the merchant."""
    require_role(who, *CARE_ROLES)
    if is_staff(who):
        return Actor(Side.STAFF, AuthorRole.PLATFORM, ident(who))
    if who.role.value == customer_role and who.subject == customer_id:
        return Actor(Side.CUSTOMER, customer_role, ident(who))
    if who.role == Role.MERCHANT and shop_id is not None and (
            first_owner == Owner.MERCHANT_CS or state == TicketState.WAITING_MERCHANT) \
            and shop_id in shop_ids_of_merchant(uow, who.subject):
        return Actor(Side.MERCHANT, AuthorRole.MERCHANT, ident(who))
    return None


def ticket_actor(uow: UnitOfWork, who: Principal, t: Ticket) -> Actor:
    actor = actor_for(uow, who, customer_role=t.customer_role, customer_id=t.customer_id, shop_id=t.shop_id,
                      first_owner=t.first_owner, state=t.state)
    if actor is None:
        raise AnxinError(E.NOT_FOUND, "no such ticket", ticket_id=t.ticket_id)
    return actor


def visibility(uow: UnitOfWork, who: Principal) -> Visibility:
    require_role(who, *CARE_ROLES)
    if is_staff(who):
        return Visibility(everything=True)
    shops = tuple(shop_ids_of_merchant(uow, who.subject)) if who.role == Role.MERCHANT else ()
    return Visibility(customer=(who.role.value, who.subject), shop_ids=shops)


def write_change(repo: TicketRepository, uow: UnitOfWork, before: Ticket | None, change: Change,
                 policy: TicketPolicy) -> None:
    """Store one step of a ticket: the row (new, or only if nobody changed it since ``before`` was read: else
    care.conflict), its timeline, its breaches (once per kind: a breach already stored is not published again) and
    its events, published with the caller's commit."""
    t = change.ticket
    if before is None:
        if not repo.add_ticket(t, check_at(t, policy)):
            raise AnxinError(E.CONFLICT, "the consultation got its ticket meanwhile: read it again")
    elif t != before and not repo.save_ticket(t, previous_version=before.version, check_at=check_at(t, policy)):
        raise AnxinError(E.CONFLICT, "the ticket changed meanwhile: read it again and retry", ticket_id=t.ticket_id)
    repo.add_timeline(change.timeline)
    dropped = {b.kind for b in change.breaches if not repo.add_breach(b, shop_id=t.shop_id)}
    uow.record(*[e for e in change.events if not (isinstance(e, TicketBreached) and e.kind in dropped)])


# --- what callers see ---------------------------------------------------------------------------------------------

def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def ticket_dict(t: Ticket, policy: TicketPolicy, now: dt.datetime) -> dict[str, Any]:
    due = next_due(t)
    reopen_ends = reopen_window_ends(t, policy)
    return {
        "ticket_id": t.ticket_id, "consultation_id": t.consultation_id, "channel": t.channel, "topic": t.topic,
        "intent": t.intent, "owner": t.owner, "first_owner": t.first_owner, "state": t.state,
        "customer": {"role": t.customer_role, "id": t.customer_id}, "shop_id": t.shop_id, "order_id": t.order_id,
        "opened_at": t.opened_at.isoformat(), "updated_at": _iso(t.updated_at), "version": t.version,
        "next_due_at": _iso(due), "seconds_to_next_due": int((due - now).total_seconds()) if due else None,
        "sla": {
            "first_reply": {"due": t.first_reply_due.isoformat(), "replied_at": _iso(t.first_replied_at),
                            "breached_at": _iso(t.first_reply_breached_at), "rule_id": policy.first_reply_rule},
            "merchant_replied_at": _iso(t.merchant_replied_at), "escalated_at": _iso(t.escalated_at),
            "resolution": {"due": t.resolution_due.isoformat(), "resolved_at": _iso(t.resolved_at),
                           "breached_at": _iso(t.resolution_breached_at),
                           "rule_id": policy.resolution_sla(t.topic).rule_id},
            "close_due": _iso(t.close_due), "closed_at": _iso(t.closed_at),
            "reopen_window_ends_at": _iso(reopen_ends) if t.state in (TicketState.RESOLVED, TicketState.CLOSED)
            else None,
            "rating_window_ends_at": _iso(t.resolved_at + policy.rating_window) if t.resolved_at else None,
            "rulebook_version": t.rulebook_version},
        "breached": t.first_reply_breached_at is not None or t.resolution_breached_at is not None,
        "closure_no": t.closure_no,
    }


def consultation_dict(c: Consultation, *, staff: bool) -> dict[str, Any]:
    """The routing decision in full for staff; its intent and route only for the customer and the merchant."""
    routing = c.routing
    if routing is not None and not staff:
        routing = {"intent": routing["intent"], "topic": routing["topic"], "route": routing["route"],
                   "owner": routing["owner"]}
    return {"consultation_id": c.consultation_id, "channel": c.channel, "topic": c.topic, "text": c.text,
            "customer": {"role": c.customer_role, "id": c.customer_id}, "order_id": c.order_id,
            "shop_id": c.shop_id, "opened_at": c.opened_at.isoformat(), "source": c.source,
            "routed": c.routed, "routed_at": _iso(c.routed_at), "route": c.route, "routing": routing,
            "ticket_id": c.ticket_id, "answer": c.answer}


def message_dict(m: Message) -> dict[str, Any]:
    return {"message_id": m.message_id, "consultation_id": m.consultation_id, "ticket_id": m.ticket_id,
            "author": {"role": m.author_role, "id": m.author_id}, "text": m.text, "posted_at": m.posted_at.isoformat(),
            "source": m.source, "data": dict(m.data)}


def timeline_dict(e: TimelineEntry, *, staff: bool) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "kind": e.kind, "actor": e.actor if staff else e.actor.split(":", 1)[0],
            "from_state": e.from_state, "to_state": e.to_state, "reason": e.reason,
            "data": dict(e.data) if staff else {k: v for k, v in e.data.items() if k != "facts"}}
