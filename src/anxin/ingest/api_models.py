"""The ingestion API's responses: what became of a batch, and the counts by status."""

from __future__ import annotations

from pydantic import Field, RootModel

from anxin.web.schema import Out


class Rejection(Out):
    index: int = Field(description="the event's place in the batch, from 0")
    id: str | None = Field(description="the event's id, when it had one")
    code: str = Field(description="a stable error code (event.*, or the owning context's)")
    message: str
    field: str | None


class IngestResult(Out):
    received: int
    applied: int
    pending: int = Field(description="parked: they refer to a subject not yet known")
    duplicates: int = Field(description="ids already ingested: nothing changed")
    released: int = Field(description="parked events (of this or earlier batches) applied because of this batch")
    rejected: list[Rejection]


class EventCounts(RootModel[dict[str, int]]):
    """Ingested events by status (applied, pending, rejected …) → how many."""
