"""Consumer and content-feedback rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.audience.model import Consumer, ContentFeedback
from anxin.db.base import Base, table


class ConsumerRow(Base):
    __tablename__ = "consumers"
    consumer_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    registered_at: Mapped[dt.datetime]
    as_of: Mapped[dt.datetime]  # the occurred_at of the event it reflects: a late, older one loses

    def to_model(self) -> Consumer:
        return Consumer(self.consumer_id, self.registered_at)


class ContentFeedbackRow(Base):
    __tablename__ = "content_feedback"
    feedback_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    creator_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    content_id: Mapped[str] = mapped_column(sa.String(64))
    sentiment: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[dt.datetime] = mapped_column(index=True)

    def to_model(self) -> ContentFeedback:
        return ContentFeedback(self.feedback_id, self.creator_id, self.content_id, self.sentiment, self.at)


def _consumer_values(c: Consumer, as_of: dt.datetime) -> dict[str, Any]:
    return {"consumer_id": c.consumer_id, "registered_at": c.registered_at, "as_of": as_of}


def _feedback_values(f: ContentFeedback) -> dict[str, Any]:
    return {"feedback_id": f.feedback_id, "creator_id": f.creator_id, "content_id": f.content_id,
            "sentiment": f.sentiment, "at": f.at}


class AudienceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_consumer(self, consumer_id: str) -> ConsumerRow | None:
        return self.session.get(ConsumerRow, consumer_id)

    def upsert_consumer(self, consumer: Consumer, as_of: dt.datetime) -> bool:
        """False when a newer registration is already stored."""
        row = self.session.get(ConsumerRow, consumer.consumer_id)
        if row is None:
            self.session.add(ConsumerRow(**_consumer_values(consumer, as_of)))
            return True
        if as_of < row.as_of:
            return False
        row.registered_at, row.as_of = consumer.registered_at, as_of
        return True

    def get_feedback(self, feedback_id: str) -> ContentFeedbackRow | None:
        return self.session.get(ContentFeedbackRow, feedback_id)

    def add_feedback(self, feedback: ContentFeedback) -> bool:
        """False when the feedback id is already stored: feedback is recorded once."""
        if self.session.get(ContentFeedbackRow, feedback.feedback_id) is not None:
            return False
        self.session.add(ContentFeedbackRow(**_feedback_values(feedback)))
        return True

    # --- bulk ingestion: Core statements on the same tables, the same column values as above -----------------

    def consumers_as_of(self, consumer_ids: list[str]) -> dict[str, tuple[Consumer, dt.datetime]]:
        t = table(ConsumerRow)
        rows = self.session.execute(sa.select(t).where(t.c.consumer_id.in_(consumer_ids)))
        return {r.consumer_id: (ConsumerRow.to_model(r), r.as_of) for r in rows}  # type: ignore[arg-type]

    def write_consumers(self, new: list[tuple[Consumer, dt.datetime]],
                        changed: list[tuple[Consumer, dt.datetime]]) -> None:
        t = table(ConsumerRow)
        if new:
            self.session.execute(sa.insert(t), [_consumer_values(c, at) for c, at in new])
        if changed:
            self.session.execute(sa.update(t).where(t.c.consumer_id == sa.bindparam("_id")), [
                {"_id": c.consumer_id, "registered_at": c.registered_at, "as_of": at} for c, at in changed])

    def feedback_by_id(self, feedback_ids: list[str]) -> dict[str, ContentFeedback]:
        t = table(ContentFeedbackRow)
        rows = self.session.execute(sa.select(t).where(t.c.feedback_id.in_(feedback_ids)))
        return {r.feedback_id: ContentFeedbackRow.to_model(r) for r in rows}  # type: ignore[arg-type]

    def insert_feedback(self, feedback: list[ContentFeedback]) -> None:
        if feedback:
            self.session.execute(sa.insert(table(ContentFeedbackRow)), [_feedback_values(f) for f in feedback])


def export_feedback_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    """Viewers' feedback posted in ``[since, until)``, for analytics exports (the scoring facts)."""
    f = ContentFeedbackRow
    return (sa.select(f.feedback_id, f.creator_id, f.at, f.sentiment)
            .where(f.at >= since, f.at < until).order_by(f.feedback_id))


def export_consumers_query() -> sa.Select[*tuple[Any, ...]]:
    return sa.select(ConsumerRow.consumer_id, ConsumerRow.registered_at).order_by(ConsumerRow.consumer_id)
