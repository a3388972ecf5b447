"""POST /v1/events — the platform pushes what happened."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.ingest.api_models import EventCounts, IngestResult
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.schemas import batch_schema
from anxin.ingest.service import MAX_BATCH
from anxin.web.auth import app_of, role_guard
from anxin.web.error_codes import WebErrorCode
from anxin.web.openapi import codes

router = APIRouter(prefix="/v1", tags=["ingestion"])


# The body as documented: one of the event types' schemas per event (``anxin.ingest.schemas``, from the models the
# parsers validate with). The handler parses the batch itself, so a bad event is rejected alone (with its index and
# every problem's path) rather than failing the whole batch as validating the body would.
BATCH_SCHEMA = batch_schema(MAX_BATCH)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


@router.post("/events", summary="Ingest a batch of platform events",
             description="Idempotent by event id; events referring to unknown subjects are parked and applied "
                         "when their subject arrives; each event lands atomically; rejected events come back "
                         "with their index, code and message while the rest land.",
             response_model=IngestResult, openapi_extra={
                 **codes(IngestErrorCode.MALFORMED_BATCH, IngestErrorCode.BATCH_TOO_LARGE),
                 "requestBody": {"required": True, "content": {"application/json": {"schema": BATCH_SCHEMA}}}})
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
            response_model=EventCounts, openapi_extra=codes())
def event_stats(request: Request, _: Principal = Depends(role_guard(Role.PLATFORM, Role.OPERATOR))) -> dict[str, int]:
    return app_of(request).ingestion.stats()
