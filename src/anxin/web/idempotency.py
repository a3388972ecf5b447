"""The Idempotency-Key header of money-moving calls, read the same way by every router."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from anxin.core.principal import Principal
from anxin.idempotency.model import HEADER, IdempotentRequest, Replay, request_for

REPLAYED_HEADER = "Idempotent-Replayed"


def idempotent_request(request: Request, who: Principal, body: Any) -> IdempotentRequest | None:
    """The key is private to its caller (role and subject), and remembers the method, path and body it named."""
    return request_for(f"{who.role.value}:{who.subject}", request.headers.get(HEADER), request.method,
                       request.url.path, body)


def replayed(replay: Replay, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=replay.status, headers={REPLAYED_HEADER: "true"})
