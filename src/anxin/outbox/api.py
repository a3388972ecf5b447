"""Webhooks for operators: endpoints (a secret is shown once, when created or rotated), messages with their
deliveries and attempts, and redelivery. Thin: parse, call OutboxService, return what it returns."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from anxin.core.principal import Principal, Role
from anxin.outbox import api_models as out
from anxin.outbox.endpoints import EndpointSecret
from anxin.outbox.error_codes import OutboxErrorCode as E
from anxin.outbox.model import Status
from anxin.outbox.service import message_dict
from anxin.web.auth import app_of, role_guard
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1/ops/webhooks", tags=["webhooks"])
OPERATOR = Depends(role_guard(Role.OPERATOR))


class NewEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: StrictStr = Field(max_length=2000, description="http(s) URL that receives the POSTs")
    event_types: list[StrictStr] = Field(["*"], description="message kinds, or * for all")
    description: StrictStr = Field("", max_length=500)
    enabled: StrictBool = True


class EndpointChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: StrictStr | None = Field(None, max_length=2000)
    event_types: list[StrictStr] | None = None
    description: StrictStr | None = Field(None, max_length=500)
    enabled: StrictBool | None = None


def _with_secret(created: EndpointSecret) -> dict[str, Any]:
    return {"endpoint": created.endpoint.as_dict(), "secret": created.secret,
            "note": "the secret is shown only now: store it with the receiver"}


@router.get("/endpoints", summary="Webhook endpoints, with their deliveries by status",
            response_model=out.Endpoints, openapi_extra=codes())
def list_endpoints(request: Request, _: Principal = OPERATOR) -> dict[str, Any]:
    outbox = app_of(request).outbox
    counts = outbox.delivery_counts()
    return {"endpoints": [{**e.as_dict(), "deliveries": counts.get(e.endpoint_id, {})}
                          for e in outbox.endpoints.list()]}


@router.post("/endpoints", status_code=201, summary="Add an endpoint (its signing secret is returned once)",
             response_model=out.EndpointWithSecret,
             openapi_extra=codes(E.INVALID_ENDPOINT))
def create_endpoint(request: Request, body: NewEndpoint, _: Principal = OPERATOR) -> dict[str, Any]:
    return _with_secret(app_of(request).outbox.endpoints.create(
        url=body.url, event_types=body.event_types, description=body.description, enabled=body.enabled))


@router.patch("/endpoints/{endpoint_id}", summary="Change an endpoint's URL, kinds, description, or enable it",
              response_model=out.EndpointChanged,
              openapi_extra=codes(E.INVALID_ENDPOINT, E.ENDPOINT_NOT_FOUND, E.ENDPOINT_CONFIGURED))
def update_endpoint(request: Request, endpoint_id: str, body: EndpointChange,
                    _: Principal = OPERATOR) -> dict[str, Any]:
    endpoint = app_of(request).outbox.endpoints.update(
        endpoint_id, url=body.url, event_types=body.event_types, description=body.description,
        enabled=body.enabled)
    return {"endpoint": endpoint.as_dict()}


@router.post("/endpoints/{endpoint_id}/rotate-secret",
             summary="New signing secret (returned once); the old one keeps signing for 24 hours",
             response_model=out.EndpointWithSecret,
             openapi_extra=codes(E.ENDPOINT_NOT_FOUND, E.ENDPOINT_CONFIGURED))
def rotate_secret(request: Request, endpoint_id: str, _: Principal = OPERATOR) -> dict[str, Any]:
    return _with_secret(app_of(request).outbox.endpoints.rotate_secret(endpoint_id))


@router.get("/messages", summary="Outbox messages, newest first, by status, kind and subject",
            response_model=Page[out.Message], openapi_extra=codes(E.INVALID_FILTER))
def list_messages(request: Request, status: Status | None = Query(None),
                  kind: str | None = Query(None, max_length=64),
                  subject_ref: str | None = Query(None, max_length=128),
                  limit: int = LIMIT, cursor: str | None = CURSOR, _: Principal = OPERATOR) -> Page[dict[str, Any]]:
    scope = scope_of("outbox.messages", status, kind, subject_ref)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))  # (created at, message id)
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = app_of(request).outbox.list_messages(subject_ref=subject_ref, status=status, kind=kind, limit=limit + 1,
                                                after=after, newest_first=True)
    return page_of(rows, limit=limit, scope=scope, item=message_dict,
                   key=lambda m: (m.created_at.isoformat(), m.message_id))


@router.get("/message-counts", summary="How many outbox messages are pending, delivered and dead",
            response_model=out.MessageCounts, openapi_extra=codes())
def message_counts(request: Request, _: Principal = OPERATOR) -> dict[str, int]:
    return app_of(request).outbox.stats()


@router.get("/messages/{message_id}", summary="One message with its deliveries and their attempts",
            response_model=out.MessageDetail, openapi_extra=codes(E.MESSAGE_NOT_FOUND))
def get_message(request: Request, message_id: str, _: Principal = OPERATOR) -> dict[str, Any]:
    return app_of(request).outbox.message_detail(message_id).as_dict()


@router.post("/messages/{message_id}/redeliver",
             summary="Restart every dead or failing delivery of a message now (same webhook-id)",
             response_model=out.MessageDetail,
             openapi_extra=codes(E.MESSAGE_NOT_FOUND, E.NOT_REDELIVERABLE))
def redeliver_message(request: Request, message_id: str, _: Principal = OPERATOR) -> dict[str, Any]:
    outbox = app_of(request).outbox
    outbox.redeliver(message_id)
    return outbox.message_detail(message_id).as_dict()


@router.post("/deliveries/{delivery_id}/redeliver",
             summary="Restart one dead or failing delivery now (same webhook-id)", response_model=out.Redelivered,
             openapi_extra=codes(E.DELIVERY_NOT_FOUND, E.NOT_REDELIVERABLE))
def redeliver_delivery(request: Request, delivery_id: str, _: Principal = OPERATOR) -> dict[str, Any]:
    return {"delivery": app_of(request).outbox.redeliver_delivery(delivery_id).as_dict()}
