"""Customer-care HTTP API: open a consultation (routed at once: to a ticket, or answered by the order's after-sale
case or parcel timeline), the ticket queue by next SLA deadline, one ticket with its conversation and timeline,
messages, state transitions, satisfaction, and the staff's CSAT and SLA reports.

Thin: the use cases are ``Anxin.care`` (who may see and do what is theirs: someone else's consultation or ticket is
simply not found). Client ids make the writes idempotent: the same ``consultation_id`` or ``message_id`` again is a
no-op answering what the first did. What a consumer or merchant reads of a routing decision (intent, topic, route,
owner; never the classifier's confidence, rules or facts) is cut by the use cases, for every response carrying one."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from anxin.care import api_models as out
from anxin.care import companion_api
from anxin.care.error_codes import CareErrorCode as E
from anxin.care.service import Care, OpenConsultation, PostMessage, RateTicket, TransitionTicket, queue_key
from anxin.core.clock import parse_instant
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1/care", tags=["care"])
DEFAULT_REPORT = dt.timedelta(days=30)


def care_of(request: Request) -> Care:
    return app_of(request).care


def _instant(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise AnxinError(E.INVALID_FILTER, f"{name} must be an ISO 8601 instant with an offset",
                         field=name) from None


def _period(request: Request, since: str | None, until: str | None) -> tuple[dt.datetime, dt.datetime]:
    end = _instant(until, "until") or app_of(request).clock.now()
    start = _instant(since, "since") or end - DEFAULT_REPORT
    if start >= end:
        raise AnxinError(E.INVALID_FILTER, "since must be before until", field="since")
    return start, end


OPENING = (E.INVALID, E.ORDER_NOT_FOUND, E.SHOP_NOT_FOUND, E.ID_REUSED, E.FORBIDDEN)
MESSAGING = (E.NOT_FOUND, E.INVALID, E.ID_REUSED, E.TICKET_CLOSED, E.FORBIDDEN, E.CONFLICT)


@router.post("/consultations", status_code=201, response_model=out.Opened,
             summary="Open a consultation (consumers about their orders; merchants to the platform)",
             description="Routed at once: its intent is classified from the text and the order's context (its state, "
                         "an open after-sale case, the parcel's findings), then it goes to the merchant's customer "
                         "service or to platform customer service (a ticket with SLA clocks: the merchant's first "
                         "reply is due within 3 minutes of service time), or the open after-sale case or the parcel "
                         "timeline answers it (`answer`, and a bot message linking to it). A consumer opens on the "
                         "consumer channel about their own order or a shop; a merchant on the merchant channel. The "
                         "same `consultation_id` with the same content again answers the same consultation; with "
                         "other content it is 409 `care.id_reused`.",
             openapi_extra=codes(*OPENING))
def open_consultation(body: out.OpenConsultationIn, request: Request,
                      who: Principal = Depends(principal)) -> dict[str, Any]:
    cmd = OpenConsultation(consultation_id=body.consultation_id, channel=body.channel, text=body.text,
                           topic=body.topic, order_id=body.order_id, shop_id=body.shop_id)
    return care_of(request).consultations.open(who, cmd)


@router.get("/consultations/{consultation_id}", response_model=out.Opened,
            summary="One consultation with its routing, its ticket or answer, and its messages (its customer, the "
                    "merchant of its ticket, staff)",
            openapi_extra=codes(E.NOT_FOUND))
def get_consultation(consultation_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return care_of(request).consultations.get(who, consultation_id)


@router.post("/consultations/{consultation_id}/messages", status_code=201, response_model=out.Posted,
             summary="Follow up a consultation: on its ticket, or (its customer) on a case or parcel answer, which "
                     "opens a ticket",
             description="The ticket a follow-up opens is owned by the shop's customer service for a consumer with a "
                         "shop, by platform customer service otherwise. The same `message_id` again is a no-op.",
             openapi_extra=codes(*MESSAGING))
def follow_up(consultation_id: str, body: out.PostMessageIn, request: Request,
              who: Principal = Depends(principal)) -> dict[str, Any]:
    cmd = PostMessage(message_id=body.message_id, text=body.text)
    return care_of(request).consultations.post_message(who, consultation_id, cmd)


@router.get("/tickets", response_model=Page[out.Ticket],
            summary="The ticket queue, next SLA deadline first (staff: all; merchants: their shops' tickets; "
                    "consumers and merchants: the ones they opened)",
            description="Filters: `owner` (merchant_cs, platform_cs), `state`, `shop_id`, `intent`, `breached` "
                        "(true: an SLA of the ticket was missed; false: none was). Ordered by the next deadline (the "
                        "first reply while none came, then the resolution); tickets nothing is due on (resolved, "
                        "closed) come last.",
            openapi_extra=codes(E.INVALID_FILTER))
def queue(request: Request, owner: out.Owner | None = Query(None), state: out.State | None = Query(None),
          shop_id: str | None = Query(None, max_length=64), intent: str | None = Query(None, max_length=40),
          breached: bool | None = Query(None), limit: int = LIMIT, cursor: str | None = CURSOR,
          who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("care.tickets", who.role.value, who.subject, owner, state, shop_id, intent, breached)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))  # queue_key: (next deadline, ticket id)
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = care_of(request).queries.queue(who, owner=owner, state=state, shop_id=shop_id, intent=intent,
                                          breached=breached, limit=limit + 1, after=after)
    return page_of(rows, limit=limit, scope=scope, key=queue_key)


@router.get("/tickets/{ticket_id}", response_model=out.TicketDetail,
            summary="One ticket: its consultation, conversation, timeline, SLA clocks, breaches and ratings",
            openapi_extra=codes(E.NOT_FOUND))
def get_ticket(ticket_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return care_of(request).queries.ticket(who, ticket_id)


@router.post("/tickets/{ticket_id}/messages", status_code=201, response_model=out.Posted,
             summary="Post a message on a ticket (its customer, the merchant of its shop, staff)",
             description="The owner's side's first message is the first reply its SLA is judged by (a reply at "
                         "exactly the deadline is on time); the awaited party replying moves a waiting ticket back "
                         "to open. The same `message_id` again is a no-op; with another text it is 409 "
                         "`care.id_reused`. A closed ticket takes no message: reopen it first.",
             openapi_extra=codes(*MESSAGING))
def post_message(ticket_id: str, body: out.PostMessageIn, request: Request,
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    cmd = PostMessage(message_id=body.message_id, text=body.text)
    return care_of(request).tickets.post_message(who, ticket_id, cmd)


@router.post("/tickets/{ticket_id}/transitions", response_model=out.Ticket,
             summary="Move a ticket: waiting / resolved (its owner's side, staff), closed or reopened (its customer)",
             description="open → waiting_customer | waiting_merchant | resolved; waiting_* → open | resolved; "
                         "resolved → closed (the customer confirms); resolved | closed → open (the customer reopens "
                         "within the rulebook's window). Every move is a timeline entry: who, when, from, to and the "
                         "reason. A move the state machine has not is 409 `care.illegal_transition`; one that is not "
                         "the caller's to make is 403 `care.forbidden`.",
             openapi_extra=codes(E.NOT_FOUND, E.INVALID, E.ILLEGAL_TRANSITION, E.REOPEN_WINDOW_CLOSED, E.FORBIDDEN,
                                 E.CONFLICT))
def transition(ticket_id: str, body: out.TransitionIn, request: Request,
               who: Principal = Depends(principal)) -> dict[str, Any]:
    cmd = TransitionTicket(to_state=body.to_state, reason=body.reason)
    return care_of(request).tickets.transition(who, ticket_id, cmd)


@router.post("/tickets/{ticket_id}/satisfaction", status_code=201, response_model=out.RatingOut,
             summary="Rate a resolved or closed ticket 1–5 with an optional comment (its customer)",
             description="Once per resolution (a reopened ticket resolved again may be rated again), within the "
                         "rulebook's rating window of the resolution.",
             openapi_extra=codes(E.NOT_FOUND, E.INVALID, E.NOT_RATEABLE, E.ALREADY_RATED, E.RATING_WINDOW_CLOSED,
                                 E.FORBIDDEN, E.CONFLICT))
def rate(ticket_id: str, body: out.RatingIn, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    cmd = RateTicket(rating=body.rating, comment=body.comment)
    return care_of(request).tickets.rate(who, ticket_id, cmd)


@router.get("/csat", response_model=out.Csat, summary="Customer satisfaction by channel, intent, merchant or owner "
                                                      "(staff)",
            description="Ratings given in [since, until) (default: the 30 days to now): how many, their average and "
                        "CSAT, the share rated 4 or 5.",
            openapi_extra=codes(E.INVALID_FILTER))
def csat(request: Request, by: Literal["channel", "intent", "merchant", "owner"] = Query("channel"),
         since: str | None = Query(None, max_length=40), until: str | None = Query(None, max_length=40),
         who: Principal = Depends(principal)) -> dict[str, Any]:
    start, end = _period(request, since, until)
    return care_of(request).queries.csat(who, by=by, since=start, until=end)


@router.get("/sla", response_model=out.SlaReport,
            summary="The SLA report: first-reply and resolution breach rates, escalations, median times (staff)",
            description="Tickets opened in [since, until) (default: the 30 days to now), in all and by the team they "
                        "opened with.",
            openapi_extra=codes(E.INVALID_FILTER))
def sla(request: Request, since: str | None = Query(None, max_length=40),
        until: str | None = Query(None, max_length=40), who: Principal = Depends(principal)) -> dict[str, Any]:
    start, end = _period(request, since, until)
    return care_of(request).queries.sla_report(who, since=start, until=end)


# The 30-day companion's routes (care/companion_api.py, already under /v1/care) are served with these.
router.routes.extend(companion_api.router.routes)
