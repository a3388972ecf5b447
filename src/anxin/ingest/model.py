"""Pure ingestion values: the event envelope, the business-time bounds, what events refer to, and batch results.

The envelope is a Pydantic model (``EnvelopeFields``); the ``data`` of each event type is parsed by the context that
owns it, with its own model (``anxin.ingest.handlers`` lists who). Both raise ``anxin.core.fields.FieldInvalid``
(``anxin.core.payload.parse``), which ``event_invalid`` turns into ingestion's stable codes.
Codes are written as strings here (this module may not import ``error_codes``); tests check they are members.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from anxin.core import payload
from anxin.core.fields import FieldInvalid, Problem

MAX_EVENT_ID = payload.MAX_REFERENCE
_FIELD_CODES = {Problem.FIELD: "event.invalid_field", Problem.MONEY: "event.invalid_money",
                Problem.TIMESTAMP: "event.invalid_timestamp"}


class EventInvalid(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code  # an IngestErrorCode value
        self.field = field


def event_invalid(exc: FieldInvalid) -> EventInvalid:
    """A field problem found by a context's parser, as ingestion reports it."""
    return EventInvalid(_FIELD_CODES[exc.problem], str(exc), exc.field)


class EnvelopeFields(BaseModel):
    """What every event carries besides its ``data`` (checked as an object, then by its type's model)."""

    model_config = ConfigDict(extra="ignore", title="EventEnvelope")
    id: payload.Reference = Field(description="the sender's id: a replay changes nothing")
    type: payload.Id = Field(description="what happened")
    occurred_at: payload.Instant = Field(description="business time")


@dataclass(frozen=True)
class Envelope:
    event_id: str
    type: str
    occurred_at: dt.datetime
    data: Mapping[str, Any]
    payload_hash: str


@dataclass(frozen=True)
class TimeBounds:
    """The business times anxin accepts: a sender's year 1 or 9999 is a bug, and once stored it would crash every
    later computation on it (deadlines, windows, pages) with OverflowError. ``latest`` is now + a horizon, so
    presale dates and scheduled times still fit."""

    earliest: dt.datetime
    latest: dt.datetime

    @classmethod
    def around(cls, now: dt.datetime, *, earliest: dt.datetime, horizon: dt.timedelta) -> TimeBounds:
        try:
            return cls(earliest, now + horizon)
        except OverflowError:  # a clock set near year 9999 (tick --at): nothing later than the last instant
            return cls(earliest, dt.datetime.max.replace(tzinfo=dt.UTC))

    def contains(self, at: dt.datetime) -> bool:
        return self.earliest <= at <= self.latest


def _times(value: Any, path: str) -> Iterator[tuple[str, dt.datetime]]:
    """Every datetime a parsed command holds, with its path (attribute names are the event's field names)."""
    if isinstance(value, dt.datetime):
        yield path, value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _times(getattr(value, f.name), f"{path}.{f.name}" if path else f.name)
    elif isinstance(value, tuple | list):
        for i, v in enumerate(value):
            yield from _times(v, f"{path}[{i}]")


def check_times(env: Envelope, cmd: Any, bounds: TimeBounds) -> None:
    """Refuse the event if its occurred_at or any time in its data is outside ``bounds``. Walks the parsed command,
    so a timestamp field added to an event type later is checked without a list to keep in step."""
    for path, at in [("occurred_at", env.occurred_at), *_times(cmd, "data")]:
        if not bounds.contains(at):
            raise EventInvalid("event.time_out_of_range",
                               f"{path} {at.isoformat()} is outside the accepted range "
                               f"[{bounds.earliest.isoformat()}, {bounds.latest.isoformat()}]", path)


def payload_hash(raw: Mapping[str, Any]) -> str:
    canonical = json.dumps({"type": raw.get("type"), "occurred_at": raw.get("occurred_at"),
                            "data": raw.get("data")}, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_envelope(raw: object, known_types: Collection[str]) -> Envelope:
    """The envelope of an event whose type is one of ``known_types``; its ``data`` is checked to be an object only."""
    if not isinstance(raw, Mapping):
        raise EventInvalid("event.malformed", "an event must be a JSON object")
    etype = raw.get("type")
    if isinstance(etype, str) and etype.strip() and etype not in known_types:
        raise EventInvalid("event.unknown_type",
                           f"unknown event type {etype!r}; known: {', '.join(sorted(known_types))}", "type")
    try:
        fields = payload.parse(EnvelopeFields, raw, path="")
    except FieldInvalid as exc:
        raise event_invalid(exc) from None
    data = raw.get("data")
    if not isinstance(data, Mapping):
        raise EventInvalid("event.malformed", "'data' must be a JSON object", "data")
    try:
        digest = payload_hash(raw)
    except (ValueError, TypeError):  # NaN, Infinity or non-JSON values cannot be stored as JSON
        raise EventInvalid("event.malformed", "the event holds values that are not JSON (NaN, Infinity)") from None
    return Envelope(fields.id, fields.type, fields.occurred_at, data, digest)


@dataclass(frozen=True, slots=True)
class Ref:
    """Something an event refers to or writes: ``Ref("order", "O1")``; a tracking number is per carrier. Its
    ``key`` is what an event that needs it and finds it missing is parked on (``order:O1``)."""

    kind: str  # category | shop | listing | order | tracking, or a row of the bulk path's state (review …)
    id: str
    carrier: str = ""

    @property
    def key(self) -> str:
        return f"tracking:{self.carrier}:{self.id}" if self.kind == "tracking" else f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str | None
    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.event_id, "code": self.code, "message": self.message,
                "field": self.field}


@dataclass
class IngestResult:
    received: int = 0
    applied: int = 0
    pending: int = 0
    duplicates: int = 0
    released: int = 0  # parked events (from this or earlier batches) applied because of this batch
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "applied": self.applied, "pending": self.pending,
                "duplicates": self.duplicates, "released": self.released,
                "rejected": [r.as_dict() for r in self.rejected]}

    def merge(self, other: IngestResult, offset: int) -> None:
        self.received += other.received
        self.applied += other.applied
        self.pending += other.pending
        self.duplicates += other.duplicates
        self.released += other.released
        self.rejected += [Rejection(r.index + offset, r.event_id, r.code, r.message, r.field) for r in other.rejected]
