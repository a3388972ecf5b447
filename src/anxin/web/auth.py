"""Who is calling. The JSON API (``/v1``) takes a bearer key in the Authorization header and nothing else;
pages also take the session cookie set by signing in (a form or a one-time login link), and their forms carry
a CSRF token. A cookie never authenticates an API call, so a foreign site cannot make a browser call the API.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from anxin.access.service import require_role
from anxin.bootstrap import Anxin
from anxin.core.principal import Principal, Role

COOKIE = "anxin_session"


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
