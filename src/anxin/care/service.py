"""Customer care, as the other contexts, ingestion, the API, pages and the worker see it.

``Anxin.care`` is the facade ``Care`` (``care_for``): ``.consultations`` opens and routes consultations (the API's,
and the platform chats ingestion stores: its handlers ``route_received``), ``.tickets`` works tickets (messages,
transitions, ratings; ``apply_received`` handles platform messages), ``.queries`` reads (queues by deadline, a
ticket, CSAT, the SLA report, reply statistics) and ``.sla`` is the ``care.sla`` job.

The module functions are applied by ingestion inside its transaction (they never commit): complaints and chat
sessions (the scores' inputs) and the platform chats' consultations and messages, stored for care's handlers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from anxin.care.consultations import Consultations
from anxin.care.events import ConsultationReceived, MessageReceived
from anxin.care.model import ChatSession, Complaint, Consultation, Message
from anxin.care.model import OpenConsultation as OpenConsultation  # the commands the facade takes
from anxin.care.model import PostMessage as PostMessage
from anxin.care.model import RateTicket as RateTicket
from anxin.care.model import TransitionTicket as TransitionTicket
from anxin.care.payloads import PAYLOADS as PAYLOADS  # the model of each event type's data it owns
from anxin.care.payloads import FileComplaint as FileComplaint
from anxin.care.payloads import PlatformConsultation as PlatformConsultation
from anxin.care.payloads import parse_chat_session as parse_chat_session
from anxin.care.payloads import parse_complaint as parse_complaint
from anxin.care.payloads import parse_consultation_opened as parse_consultation_opened
from anxin.care.payloads import parse_message_posted as parse_message_posted
from anxin.care.queries import Queries
from anxin.care.queries import queue_key as queue_key  # the keyset position of a queue item
from anxin.care.routing_port import OrderContext as OrderContext  # the router's port (care.routing implements it)
from anxin.care.routing_port import Router as Router
from anxin.care.routing_port import RoutingDecision as RoutingDecision
from anxin.care.sla_jobs import SLA_JOB as SLA_JOB
from anxin.care.sla_jobs import JobRuns, SlaJobs
from anxin.care.sla_jobs import SlaReport as SlaReport
from anxin.care.sla_rules import CareRulebookSpec, load_care_rules
from anxin.care.store import CareRepository
from anxin.care.store import export_chats_query as export_chats_query  # analytics exports
from anxin.care.store import export_complaints_query as export_complaints_query
from anxin.care.ticket_ops import Tickets
from anxin.care.ticket_store import TicketRepository
from anxin.care.ticket_store import export_consultations_query as export_consultations_query  # the report's facts
from anxin.care.ticket_store import export_satisfaction_query as export_satisfaction_query
from anxin.care.ticket_store import export_tickets_query as export_tickets_query
from anxin.care.tickets import TicketPolicy
from anxin.core.clock import Clock
from anxin.db.uow import UnitOfWork, UowFactory


@dataclass(frozen=True)
class Care:
    rulebook: CareRulebookSpec
    policy: TicketPolicy
    consultations: Consultations  # open, post_message (follow-ups), get; route_received (handler)
    tickets: Tickets  # post_message, transition, rate; apply_received (handler)
    queries: Queries  # queue, ticket, csat, sla_report, reply_stats
    sla: SlaJobs  # check_due: the care.sla job


def care_for(*, uow_factory: UowFactory, clock: Clock, rulebook: CareRulebookSpec | None = None,
             router: Router | None = None, jobs: JobRuns | None = None) -> Care:
    """Care wired: ``router`` routes consultations (``care.routing.load_router()`` in production; None: opening
    one fails loudly), ``jobs`` records the SLA job's failing tickets (``jobs.service.JobFailures``)."""
    book = rulebook or load_care_rules()
    policy = TicketPolicy.of(book)
    tickets = Tickets(uow_factory=uow_factory, clock=clock, policy=policy)
    return Care(rulebook=book, policy=policy,
                consultations=Consultations(uow_factory=uow_factory, clock=clock, policy=policy, router=router,
                                            tickets=tickets),
                tickets=tickets, queries=Queries(uow_factory=uow_factory, clock=clock, policy=policy),
                sla=SlaJobs(uow_factory=uow_factory, clock=clock, policy=policy, jobs=jobs))


# --- platform chats, applied by ingestion (stored here; routed and applied by care's handlers) ----------------------

def consultation_received(c: Consultation) -> ConsultationReceived:
    return ConsultationReceived(consultation_id=c.consultation_id, at=c.opened_at)


def message_received(m: Message) -> MessageReceived:
    return MessageReceived(message_id=m.message_id, consultation_id=m.consultation_id, at=m.posted_at)


def receive_consultation(uow: UnitOfWork, c: Consultation) -> bool:
    """Store a platform chat's consultation for routing; False (nothing recorded) when its id is already known."""
    if not TicketRepository(uow.session).add_consultation(c):
        return False
    uow.record(consultation_received(c))
    return True


def receive_message(uow: UnitOfWork, m: Message) -> bool:
    """Store a platform chat's message to be applied; False when its id is already known."""
    if not TicketRepository(uow.session).add_message(m):
        return False
    uow.record(message_received(m))
    return True


def consultation_exists(uow: UnitOfWork, consultation_id: str) -> bool:
    return TicketRepository(uow.session).get_consultation(consultation_id) is not None


def consultations_by_id(uow: UnitOfWork, ids: list[str]) -> dict[str, Consultation]:
    return TicketRepository(uow.session).consultations_by_id(ids)


def bulk_receive_consultations(uow: UnitOfWork, consultations: list[Consultation]) -> None:
    """Insert consultations not yet stored (the bulk path records their events itself)."""
    TicketRepository(uow.session).insert_consultations(consultations)


def messages_by_id(uow: UnitOfWork, ids: list[str]) -> dict[str, Message]:
    return TicketRepository(uow.session).messages_by_id(ids)


def bulk_receive_messages(uow: UnitOfWork, messages: list[Message]) -> None:
    TicketRepository(uow.session).insert_messages(messages)


# --- complaints and chat sessions --------------------------------------------------------------------------------

def file_complaint(uow: UnitOfWork, complaint: Complaint) -> bool:
    """False when the complaint id is already known (a replayed complaint changes nothing)."""
    return CareRepository(uow.session).add_complaint(complaint)


def get_complaint(uow: UnitOfWork, complaint_id: str) -> Complaint | None:
    row = CareRepository(uow.session).get_complaint(complaint_id)
    return row.to_model() if row else None


def upsert_chat_session(uow: UnitOfWork, chat: ChatSession, *, as_of: dt.datetime) -> bool:
    """False when a newer report of the session is already stored."""
    return CareRepository(uow.session).upsert_chat_session(chat, as_of)


def get_chat_session(uow: UnitOfWork, session_id: str) -> ChatSession | None:
    row = CareRepository(uow.session).get_chat_session(session_id)
    return row.to_model() if row else None


# --- bulk ingestion (anxin.ingest.bulk): a few thousand ids per call ----------------------------------------------

def complaints_by_id(uow: UnitOfWork, complaint_ids: list[str]) -> dict[str, Complaint]:
    return CareRepository(uow.session).complaints_by_id(complaint_ids)


def bulk_file_complaints(uow: UnitOfWork, complaints: list[Complaint]) -> None:
    """Insert complaints not yet stored; the caller has already dropped known ids."""
    CareRepository(uow.session).insert_complaints(complaints)


def chat_sessions_as_of(uow: UnitOfWork, session_ids: list[str]) -> dict[str, tuple[ChatSession, dt.datetime]]:
    return CareRepository(uow.session).chat_sessions_as_of(session_ids)


def bulk_write_chat_sessions(uow: UnitOfWork, new: list[tuple[ChatSession, dt.datetime]],
                             changed: list[tuple[ChatSession, dt.datetime]]) -> None:
    """Insert ``new`` and overwrite ``changed``; the caller has already applied newer-wins."""
    CareRepository(uow.session).write_chat_sessions(new, changed)


def complaint_reasons_of_orders(uow: UnitOfWork, order_ids: list[str]) -> dict[str, set[str]]:
    """The complaint reasons filed about each order (the worry-free programme's product complaint rate)."""
    return CareRepository(uow.session).complaint_reasons_of_orders(order_ids)


def chat_reply_stats(uow: UnitOfWork, shop_id: str, *, within: dt.timedelta) -> tuple[int, int]:
    """(chats handed to a person, of them answered by a person within ``within``) for one shop, all time."""
    return CareRepository(uow.session).reply_stats(shop_id, within)


def complaint_counts(uow: UnitOfWork, shop_ids: list[str], *, since: dt.datetime,
                     until: dt.datetime) -> dict[str, int]:
    """Complaints filed in [since, until) per shop, 0 for a shop with none (governance's complaint rate)."""
    found = CareRepository(uow.session).complaint_counts(shop_ids, since, until)
    return {sid: found.get(sid, 0) for sid in shop_ids}


def ratings_by_order(uow: UnitOfWork, order_ids: Sequence[str], since: dt.datetime,
                     until: dt.datetime) -> dict[str, list[tuple[dt.datetime, int]]]:
    """Ratings (rated at, 1–5) that tickets about each order received in [since, until): the companion's CSAT."""
    return TicketRepository(uow.session).ratings_by_order(order_ids, since, until)
