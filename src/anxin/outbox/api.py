"""Webhooks for operators: endpoints (a secret is shown once, when created or rotated), messages with their
deliveries and attempts, and redelivery. Thin: parse, call OutboxService, return what it returns."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from anxin.core.principal import Principal, Role
from anxin.outbox.endpoints import EndpointSecret
from anxin.outbox.service import message_dict
from anxin.web.auth import app_of, role_guard

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


@router.get("/endpoints", summary="Webhook endpoints, with their deliveries by status")
def list_endpoints(request: Request, _: Principal = OPERATOR) -> dict[str, Any]:
    outbox = app_of(request).outbox
    counts = outbox.delivery_counts()
    return {"endpoints": [{**e.as_dict(), "deliveries": counts.get(e.endpoint_id, {})}
                          for e in outbox.endpoints.list()]}


@router.post("/endpoints", status_code=201, summary="Add an endpoint (its signing secret is returned once)")
def create_endpoint(request: Request, body: NewEndpoint, _: Principal = OPERATOR) -> dict[str, Any]:
    return _with_secret(app_of(request).outbox.endpoints.create(
        url=body.url, event_types=body.event_types, description=body.description, enabled=body.enabled))


@router.patch("/endpoints/{endpoint_id}", summary="Change an endpoint's URL, kinds, description, or enable it")
def update_endpoint(request: Request, endpoint_id: str, body: EndpointChange,
                    _: Principal = OPERATOR) -> dict[str, Any]:
    endpoint = app_of(request).outbox.endpoints.update(
        endpoint_id, url=body.url, event_types=body.event_types, description=body.description,
        enabled=body.enabled)
    return {"endpoint": endpoint.as_dict()}


@router.post("/endpoints/{endpoint_id}/rotate-secret",
             summary="New signing secret (returned once); the old one keeps signing for 24 hours")
def rotate_secret(request: Request, endpoint_id: str, _: Principal = OPERATOR) -> dict[str, Any]:
    return _with_secret(app_of(request).outbox.endpoints.rotate_secret(endpoint_id))


@router.get("/messages", summary="Outbox messages, newest first, by status, kind and subject")
def list_messages(request: Request, status: str | None = Query(None, max_length=16),
                  kind: str | None = Query(None, max_length=64),
                  subject_ref: str | None = Query(None, max_length=128),
                  limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000),
                  _: Principal = OPERATOR) -> dict[str, Any]:
    outbox = app_of(request).outbox
    page = outbox.list_messages(subject_ref=subject_ref, status=status, kind=kind, limit=limit + 1, offset=offset,
                                newest_first=True)
    return {"messages": [message_dict(m) for m in page[:limit]],
            "next_offset": offset + limit if len(page) > limit else None, "counts": outbox.stats()}


@router.get("/messages/{message_id}", summary="One message with its deliveries and their attempts")
def get_message(request: Request, message_id: str, _: Principal = OPERATOR) -> dict[str, Any]:
    return app_of(request).outbox.message_detail(message_id).as_dict()


@router.post("/messages/{message_id}/redeliver",
             summary="Restart every dead or failing delivery of a message now (same webhook-id)")
def redeliver_message(request: Request, message_id: str, _: Principal = OPERATOR) -> dict[str, Any]:
    outbox = app_of(request).outbox
    outbox.redeliver(message_id)
    return outbox.message_detail(message_id).as_dict()


@router.post("/deliveries/{delivery_id}/redeliver",
             summary="Restart one dead or failing delivery now (same webhook-id)")
def redeliver_delivery(request: Request, delivery_id: str, _: Principal = OPERATOR) -> dict[str, Any]:
    return {"delivery": app_of(request).outbox.redeliver_delivery(delivery_id).as_dict()}
