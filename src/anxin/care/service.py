"""Customer-care use cases: applied by ingestion inside its transaction (they never commit)."""

from __future__ import annotations

import datetime as dt

from anxin.care.model import ChatSession, Complaint
from anxin.care.payloads import PAYLOADS as PAYLOADS  # the model of each event type's data it owns
from anxin.care.payloads import FileComplaint as FileComplaint
from anxin.care.payloads import parse_chat_session as parse_chat_session
from anxin.care.payloads import parse_complaint as parse_complaint
from anxin.care.store import CareRepository
from anxin.care.store import export_chats_query as export_chats_query  # analytics exports
from anxin.care.store import export_complaints_query as export_complaints_query
from anxin.db.uow import UnitOfWork


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


def chat_reply_stats(uow: UnitOfWork, shop_id: str, *, within: dt.timedelta) -> tuple[int, int]:
    """(chats handed to a person, of them answered by a person within ``within``) for one shop, all time."""
    return CareRepository(uow.session).reply_stats(shop_id, within)


def complaint_counts(uow: UnitOfWork, shop_ids: list[str], *, since: dt.datetime,
                     until: dt.datetime) -> dict[str, int]:
    """Complaints filed in [since, until) per shop, 0 for a shop with none (governance's complaint rate)."""
    found = CareRepository(uow.session).complaint_counts(shop_ids, since, until)
    return {sid: found.get(sid, 0) for sid in shop_ids}
