"""Opening consultations and routing them: the opener's question, the order as the other contexts know it
(``OrderContext``), the router's decision (stored, explained) and what follows: a ticket for merchant or platform
customer service, or a bot answer pointing at the open after-sale case or the parcel timeline (a later message from
the customer on such an answer opens a ticket owned by the routing fallback).

Consultations arrive two ways: through the API (``open``, routed at once, idempotent by the client's
``consultation_id``) and as platform chats through ingestion (``care.consultation_opened`` is stored by ingestion;
``route_received``, care's handler of ``care.consultation_received``, routes it and applies the messages that
arrived meanwhile).

Races: ``open`` begins the write transaction (SQLite) and inserts under the unique consultation id (PostgreSQL: the
second opener waits, conflicts, and answers the consultation the first stored); the handler locks the consultation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from anxin.aftersales import service as aftersales
from anxin.care.error_codes import CareErrorCode as E
from anxin.care.events import ConsultationOpened, ConsultationReceived
from anxin.care.model import (
    AuthorRole,
    Channel,
    Consultation,
    Message,
    OpenConsultation,
    PostMessage,
    Route,
    Source,
    Topic,
)
from anxin.care.routing_port import (
    NO_ORDER,
    OrderContext,
    Router,
    RoutingDecision,
    decision_problems,
    fallback_owner,
    settle_route,
)
from anxin.care.shared import (
    actor_for,
    check_id,
    check_text,
    consultation_dict,
    ident,
    is_staff,
    message_dict,
    ticket_dict,
    write_change,
)
from anxin.care.ticket_ops import Tickets
from anxin.care.ticket_store import TicketRepository
from anxin.care.tickets import Side, TicketPolicy, open_ticket
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import derived_id
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.fulfilment import service as fulfilment
from anxin.orders import service as orders
from anxin.shops import service as shops

CONTACTS_WINDOW = dt.timedelta(days=7)  # OrderContext.contacts_before counts this far back


class _LostRace(Exception):
    """Another opener stored the same consultation id first (PostgreSQL): answer theirs."""


def order_context(uow: UnitOfWork, repo: TicketRepository, c: Consultation) -> OrderContext:
    """The consultation's order as the orders, after-sales and fulfilment contexts know it now."""
    if c.order_id is None:
        return NO_ORDER
    order = orders.get_order(uow, c.order_id)
    case = aftersales.open_case_of_order(uow, c.order_id)
    return OrderContext(
        order_id=c.order_id, order_state=order.status.value if order is not None else None,
        has_shipment=order is not None and order.shipped, open_case_id=case[0] if case else None,
        open_case_state=case[1] if case else None, parcel_problem=fulfilment.order_trouble(uow, c.order_id),
        contacts_before=repo.contacts_before(c.customer_role, c.customer_id, c.order_id,
                                             since=c.opened_at - CONTACTS_WINDOW, until=c.opened_at,
                                             excluding=c.consultation_id))


def answer_of(route: str, context: OrderContext) -> tuple[dict[str, Any], str]:
    """The bot's answer for a case or parcel route: links the pages and API show, and its text."""
    if route == Route.CASE:
        case_id = context.open_case_id
        return ({"kind": "case", "case_id": case_id, "case_state": context.open_case_state,
                 "links": {"api": f"/v1/aftersales/cases/{case_id}", "page": f"/hall/orders/{context.order_id}"}},
                f"您的售后单 {case_id} 正在处理中，进度和下一步请查看售后详情。")
    return ({"kind": "parcel", "order_id": context.order_id, "parcel_problem": context.parcel_problem,
             "links": {"api": f"/v1/orders/{context.order_id}/fulfilment", "page": f"/hall/orders/{context.order_id}"}},
            "您的包裹物流轨迹和预计送达时间请查看订单物流详情。")


class Consultations:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, policy: TicketPolicy, router: Router | None,
                 tickets: Tickets) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.policy = policy
        self.router = router  # None until a router is wired: opening then fails loudly
        self.tickets = tickets

    # --- the API ---------------------------------------------------------------------------------------------------

    def open(self, who: Principal, body: OpenConsultation, *, router: Router | None = None) -> dict[str, Any]:
        """Open (or, with a known ``consultation_id`` of the same opener and content, answer again) a consultation:
        routed now; a ticket for merchant or platform CS, or the case / parcel answer."""
        if who.role not in (Role.CONSUMER, Role.MERCHANT):
            raise AnxinError(E.FORBIDDEN, "consumers and merchants open consultations (platform chats arrive as "
                             "events)", role=who.role.value)
        cid = check_id(body.consultation_id, "consultation_id")
        channel = Channel.CONSUMER if who.role == Role.CONSUMER else Channel.MERCHANT
        if body.channel != channel:
            raise AnxinError(E.INVALID, f"a {who.role.value} opens on the {channel.value} channel", field="channel")
        if body.topic is not None and body.topic not in tuple(Topic):
            raise AnxinError(E.INVALID, f"topic must be one of {[t.value for t in Topic]}", field="topic")
        text = check_text(body.text)
        for name in ("order_id", "shop_id"):
            if getattr(body, name) is not None:
                check_id(getattr(body, name), name)
        routing = router or self.router
        if routing is None:
            raise RuntimeError("no intent router is wired into care (care_for(router=...))")
        now = self.clock.now()
        try:
            with self.uow_factory() as uow:
                uow.begin_write()
                repo = TicketRepository(uow.session)
                known = repo.get_consultation(cid)
                if known is not None:
                    return self._again(uow, repo, who, known, body, text)
                order_id, shop_id, merchant_id = self._subject(uow, who, body)
                c = Consultation(cid, channel.value, body.topic, text, who.role.value, who.subject, order_id, shop_id,
                                 merchant_id, now, Source.API.value)
                if not repo.add_consultation(c):
                    raise _LostRace
                routed = self._route(uow, repo, c, routing, now, actor=ident(who))
                uow.commit()
                return self._result(uow, repo, routed, staff=False)
        except _LostRace:
            with self.uow_factory() as uow:
                repo = TicketRepository(uow.session)
                known = repo.get_consultation(cid)
                assert known is not None
                return self._again(uow, repo, who, known, body, text)

    def _again(self, uow: UnitOfWork, repo: TicketRepository, who: Principal, known: Consultation,
               body: OpenConsultation, text: str) -> dict[str, Any]:
        same = (known.customer_role, known.customer_id, known.channel, known.topic, known.text) == (
            who.role.value, who.subject, body.channel, body.topic, text) and (
            body.order_id is None or body.order_id == known.order_id) and (
            body.shop_id is None or body.shop_id == known.shop_id)
        if not same:
            raise AnxinError(E.ID_REUSED, "this consultation_id was already used for another consultation",
                             field="consultation_id")
        return self._result(uow, repo, known, staff=False)

    def _subject(self, uow: UnitOfWork, who: Principal, body: OpenConsultation) -> tuple[str | None, str | None,
                                                                                         str | None]:
        """(order, shop, the shop's merchant): the order's shop, never the sender's say; an order or shop that is
        not the opener's is refused."""
        mine = shops.shop_ids_of_merchant(uow, who.subject) if who.role == Role.MERCHANT else []
        shop_id = body.shop_id
        if body.order_id is not None:
            order = orders.get_order(uow, body.order_id)
            ours = order is not None and (order.consumer_id == who.subject if who.role == Role.CONSUMER
                                          else order.shop_id in mine)
            if order is None or not ours:
                raise AnxinError(E.ORDER_NOT_FOUND, "no such order of yours", field="order_id")
            if shop_id is not None and shop_id != order.shop_id:
                raise AnxinError(E.INVALID, "shop_id is not the order's shop", field="shop_id")
            shop_id = order.shop_id
        if shop_id is not None and (shops.get_shop(uow, shop_id) is None
                                    or (who.role == Role.MERCHANT and shop_id not in mine)):
            raise AnxinError(E.SHOP_NOT_FOUND, "no such shop", field="shop_id")
        if who.role == Role.MERCHANT:
            return body.order_id, shop_id, who.subject
        shop = shops.get_shop(uow, shop_id) if shop_id is not None else None
        return body.order_id, shop_id, shop.merchant_id if shop is not None else None

    # --- a follow-up on a consultation (the case / parcel answers have no ticket yet) -------------------------------

    def post_message(self, who: Principal, consultation_id: str, body: PostMessage) -> dict[str, Any]:
        """A message on a consultation: on its ticket if it has one (``Tickets.post_message``); on a case or parcel
        answer, the customer's message opens a ticket owned by the routing fallback."""
        check_id(body.message_id, "message_id")
        text = check_text(body.text)
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = TicketRepository(uow.session)
            c = repo.get_consultation(consultation_id, lock=True)
            if c is None:
                raise AnxinError(E.NOT_FOUND, "no such consultation", consultation_id=consultation_id)
            ticket = repo.get_ticket(c.ticket_id) if c.ticket_id is not None else None
            actor = actor_for(uow, who, customer_role=c.customer_role, customer_id=c.customer_id, shop_id=c.shop_id,
                              first_owner=ticket.first_owner if ticket else None,
                              state=ticket.state if ticket else None)
            if actor is None:
                raise AnxinError(E.NOT_FOUND, "no such consultation", consultation_id=consultation_id)
            if not c.routed:
                raise AnxinError(E.CONFLICT, "the consultation is being routed: retry in a moment")
            if ticket is None:
                if actor.side != Side.CUSTOMER:
                    raise AnxinError(E.FORBIDDEN, "only the customer follows up an answered consultation")
                if repo.get_message(body.message_id) is not None:
                    raise AnxinError(E.ID_REUSED, "this message_id was already used for another message",
                                     field="message_id")
                c = self.tickets.open_follow_up(uow, repo, c, at=now, actor=actor.ident)
            assert c.ticket_id is not None
            result = self.tickets.post_in(uow, repo, who, c.ticket_id, body.message_id, text, now)
            uow.commit()
        return result

    # --- platform chats (ingestion stored them; this is care's handler) ---------------------------------------------

    def route_received(self, event: ConsultationReceived, uow: UnitOfWork) -> None:
        """Route a platform chat's consultation (once: a routed one is left alone), then apply the messages that
        arrived for it meanwhile, in the order they were posted."""
        if self.router is None:
            raise RuntimeError("no intent router is wired into care (care_for(router=...))")
        uow.begin_write()
        repo = TicketRepository(uow.session)
        c = repo.get_consultation(event.consultation_id, lock=True)
        if c is None or c.routed:
            return
        if c.customer_role == Channel.CONSUMER and c.shop_id is not None and c.merchant_id is None:
            shop = shops.get_shop(uow, c.shop_id)
            c = replace(c, merchant_id=shop.merchant_id if shop is not None else None)
        routed = self._route(uow, repo, c, self.router, self.clock.now(), actor="platform")
        for m in repo.pending_messages(c.consultation_id):
            routed = self.tickets.apply_platform_message(uow, repo, routed, m)

    # --- routing -----------------------------------------------------------------------------------------------------

    def _route(self, uow: UnitOfWork, repo: TicketRepository, c: Consultation, router: Router, now: dt.datetime,
               *, actor: str) -> Consultation:
        context = order_context(uow, repo, c)
        decision = router.route(text=c.text, topic=c.topic, channel=c.channel, context=context)
        problems = decision_problems(decision)
        if problems:
            raise RuntimeError(f"the router answered an unusable decision: {'; '.join(problems)}")
        decision = settle_route(decision, channel=c.channel, shop_id=c.shop_id, open_case_id=context.open_case_id,
                                order_id=c.order_id)
        facts = {**decision.facts, "context": context.as_dict()}
        decision = RoutingDecision(decision.intent, decision.topic, decision.route, decision.owner,
                                   round(float(decision.confidence), 4), decision.reason_codes, decision.rule_ids,
                                   decision.rulebook_version, decision.model_version, facts)
        routed = replace(c, routing=decision.as_dict(), route=decision.route, routed_at=now,
                         fallback_owner=fallback_owner(channel=c.channel, shop_id=c.shop_id))
        if decision.owner is not None:
            change = open_ticket(ticket_id=derived_id("tkt", c.consultation_id), consultation_id=c.consultation_id,
                                 channel=c.channel,
                                 topic=decision.topic, intent=decision.intent, owner=decision.owner,
                                 customer_role=c.customer_role, customer_id=c.customer_id, shop_id=c.shop_id,
                                 merchant_id=c.merchant_id, order_id=c.order_id, at=c.opened_at, actor=actor,
                                 reason=f"routed_to_{decision.route}", policy=self.policy)
            write_change(repo, uow, None, change, self.policy)
            routed = replace(routed, ticket_id=change.ticket.ticket_id)
        else:
            answer, text = answer_of(decision.route, context)
            routed = replace(routed, answer=answer)
            repo.add_message(Message(derived_id("msg", c.consultation_id, "answer"), c.consultation_id, None,
                                     AuthorRole.BOT, "care.bot", text, now,
                                     c.source, answer, now))
        repo.save_consultation(routed)
        uow.record(ConsultationOpened(
            consultation_id=c.consultation_id, order_id=c.order_id, shop_id=c.shop_id,
            consumer_id=c.customer_id if c.customer_role == Channel.CONSUMER else None, intent=decision.intent,
            route=decision.route, at=c.opened_at, channel=c.channel, topic=decision.topic, ticket_id=routed.ticket_id,
            source=c.source))
        return routed

    # --- reading -----------------------------------------------------------------------------------------------------

    def _result(self, uow: UnitOfWork, repo: TicketRepository, c: Consultation, *, staff: bool) -> dict[str, Any]:
        ticket = repo.get_ticket(c.ticket_id) if c.ticket_id is not None else None
        return {"consultation": consultation_dict(c, staff=staff),
                "ticket": ticket_dict(ticket, self.policy, self.clock.now()) if ticket is not None else None,
                "answer": c.answer,
                "messages": [message_dict(m) for m in repo.messages(c.consultation_id)]}

    def get(self, who: Principal, consultation_id: str) -> dict[str, Any]:
        """A consultation with its routing (in full for staff), its ticket and its messages."""
        with self.uow_factory() as uow:
            repo = TicketRepository(uow.session)
            c = repo.get_consultation(consultation_id)
            ticket = repo.get_ticket(c.ticket_id) if c is not None and c.ticket_id is not None else None
            actor = None if c is None else actor_for(
                uow, who, customer_role=c.customer_role, customer_id=c.customer_id, shop_id=c.shop_id,
                first_owner=ticket.first_owner if ticket else None, state=ticket.state if ticket else None)
            if c is None or actor is None or (actor.side == Side.MERCHANT and ticket is None):
                raise AnxinError(E.NOT_FOUND, "no such consultation", consultation_id=consultation_id)
            return self._result(uow, repo, c, staff=is_staff(who))
