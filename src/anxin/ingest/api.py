"""POST /v1/events — the platform pushes what happened."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.ingest.api_models import EventCounts, IngestResult
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.handlers import HANDLERS
from anxin.ingest.model import MAX_EVENT_ID
from anxin.ingest.service import MAX_BATCH
from anxin.web.auth import app_of, role_guard
from anxin.web.error_codes import WebErrorCode

router = APIRouter(prefix="/v1", tags=["ingestion"])


EVENT_TYPES: list[JsonValue] = list(sorted(HANDLERS))


class EventIn(BaseModel):
    """The envelope of one event, as documented: the handler parses the batch itself, so a bad event is rejected
    alone (with its index) rather than failing the whole batch as a schema would."""

    model_config = ConfigDict(title="Event", extra="forbid")
    id: str = Field(min_length=1, max_length=MAX_EVENT_ID, description="the sender's id: a replay changes nothing")
    type: str = Field(json_schema_extra={"enum": EVENT_TYPES}, description="what happened")
    occurred_at: AwareDatetime = Field(description="business time, ISO 8601 with an offset")
    data: dict[str, Any] = Field(description="the event's fields; each type's are checked by the context owning it")


class EventBatch(BaseModel):
    model_config = ConfigDict(title="EventBatch", extra="forbid")
    events: list[EventIn] = Field(max_length=MAX_BATCH)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


@router.post("/events", summary="Ingest a batch of platform events",
             description="Idempotent by event id; events referring to unknown subjects are parked and applied "
                         "when their subject arrives; each event lands atomically; rejected events come back "
                         "with their index, code and message while the rest land.",
             response_model=IngestResult, openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": EventBatch.model_json_schema()}}}})
async def post_events(request: Request, _: Principal = Depends(role_guard(Role.PLATFORM))) -> dict[str, Any]:
    try:
        body = json.loads(await request.body(), parse_constant=_no_constants)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError):
        raise AnxinError(WebErrorCode.MALFORMED_JSON, "the request body is not valid JSON") from None
    if not isinstance(body, dict) or "events" not in body:
        raise AnxinError(IngestErrorCode.MALFORMED_BATCH, 'expected {"events": [...]}')
    result = await run_in_threadpool(app_of(request).ingestion.ingest, body["events"])
    return result.as_dict()


@router.get("/events/stats", summary="Counts of ingested events by status",
            response_model=EventCounts)
def event_stats(request: Request, _: Principal = Depends(role_guard(Role.PLATFORM, Role.OPERATOR))) -> dict[str, int]:
    return app_of(request).ingestion.stats()
