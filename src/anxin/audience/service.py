"""Audience use cases: applied by ingestion inside its transaction (they never commit)."""

from __future__ import annotations

import datetime as dt

from anxin.audience.model import Consumer, ContentFeedback
from anxin.audience.payloads import PAYLOADS as PAYLOADS  # the model of each event type's data it owns
from anxin.audience.payloads import parse_consumer as parse_consumer
from anxin.audience.payloads import parse_content_feedback as parse_content_feedback
from anxin.audience.store import AudienceRepository
from anxin.audience.store import export_consumers_query as export_consumers_query  # analytics exports
from anxin.audience.store import export_feedback_query as export_feedback_query
from anxin.db.uow import UnitOfWork


def upsert_consumer(uow: UnitOfWork, consumer: Consumer, *, as_of: dt.datetime) -> bool:
    """False when a newer registration of the consumer is already stored."""
    return AudienceRepository(uow.session).upsert_consumer(consumer, as_of)


def get_consumer(uow: UnitOfWork, consumer_id: str) -> Consumer | None:
    row = AudienceRepository(uow.session).get_consumer(consumer_id)
    return row.to_model() if row else None


def record_feedback(uow: UnitOfWork, feedback: ContentFeedback) -> bool:
    """False when the feedback id is already known (a replayed feedback changes nothing)."""
    return AudienceRepository(uow.session).add_feedback(feedback)


def get_feedback(uow: UnitOfWork, feedback_id: str) -> ContentFeedback | None:
    row = AudienceRepository(uow.session).get_feedback(feedback_id)
    return row.to_model() if row else None


# --- bulk ingestion (anxin.ingest.bulk): a few thousand ids per call ----------------------------------------------

def consumers_as_of(uow: UnitOfWork, consumer_ids: list[str]) -> dict[str, tuple[Consumer, dt.datetime]]:
    return AudienceRepository(uow.session).consumers_as_of(consumer_ids)


def bulk_write_consumers(uow: UnitOfWork, new: list[tuple[Consumer, dt.datetime]],
                         changed: list[tuple[Consumer, dt.datetime]]) -> None:
    """Insert ``new`` and overwrite ``changed``; the caller has already applied newer-wins."""
    AudienceRepository(uow.session).write_consumers(new, changed)


def feedback_by_id(uow: UnitOfWork, feedback_ids: list[str]) -> dict[str, ContentFeedback]:
    return AudienceRepository(uow.session).feedback_by_id(feedback_ids)


def bulk_record_feedback(uow: UnitOfWork, feedback: list[ContentFeedback]) -> None:
    """Insert feedback not yet stored; the caller has already dropped known ids."""
    AudienceRepository(uow.session).insert_feedback(feedback)
