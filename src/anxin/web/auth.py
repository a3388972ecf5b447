"""Who is calling: a bearer key in the Authorization header, or the page session cookie."""

from __future__ import annotations

from fastapi import Request

from anxin.access.model import Principal, Role
from anxin.access.service import require_role
from anxin.bootstrap import Anxin

COOKIE = "anxin_key"


def app_of(request: Request) -> Anxin:
    return request.app.state.anxin  # type: ignore[no-any-return]


def raw_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(COOKIE)


def principal(request: Request) -> Principal:
    return app_of(request).access.authenticate(raw_key(request))


def role_guard(*roles: Role):  # type: ignore[no-untyped-def]
    def dependency(request: Request) -> Principal:
        return require_role(principal(request), *roles)
    return dependency
