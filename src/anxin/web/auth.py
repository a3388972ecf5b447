"""Who is calling, and the key they name a money-moving call with. The JSON API (``/v1``) takes a bearer key in the
Authorization header and nothing else; pages also take the session cookie set by signing in (a form or a one-time
login link), and their forms carry a CSRF token. A cookie never authenticates an API call, so a foreign site cannot
make a browser call the API. The Idempotency-Key header is read here the same way for every router: a key is private
to its caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from anxin.access.service import require_role
from anxin.bootstrap import Anxin
from anxin.core.principal import Principal, Role
from anxin.idempotency.model import HEADER, IdempotentRequest, Replay, request_for

COOKIE = "anxin_session"
REPLAYED_HEADER = "Idempotent-Replayed"


def app_of(request: Request) -> Anxin:
    return request.app.state.anxin  # type: ignore[no-any-return]


def client_of(request: Request) -> str | None:
    """The caller's address as the server sees it (behind a proxy: run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else None


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def principal(request: Request) -> Principal:
    """The API's caller: the bearer key only; failures count against the caller's address."""
    return app_of(request).access.authenticate(bearer(request), client=client_of(request))


def page_principal(request: Request) -> Principal:
    """A page's caller: a bearer key when one is sent (scripts, tests), otherwise the session cookie."""
    if request.headers.get("authorization"):
        return principal(request)
    return app_of(request).access.session(session_token(request))


def role_guard(*roles: Role) -> Callable[[Request], Principal]:
    def dependency(request: Request) -> Principal:
        return require_role(principal(request), *roles)
    return dependency


def idempotent_request(request: Request, who: Principal, body: BaseModel) -> IdempotentRequest | None:
    """The key is private to its caller (role and subject), and remembers the method, path and body it named. No
    header, no request: the body is not serialised and the use case neither claims nor records a key."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    return request_for(f"{who.role.value}:{who.subject}", key, request.method, request.url.path, body.model_dump())


def replayed(replay: Replay, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=replay.status, headers={REPLAYED_HEADER: "true"})
