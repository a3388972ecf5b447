"""Reading an error response: every one is an RFC 9457 problem (``anxin.web.problem``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

MEMBERS = {"type", "title", "status", "detail", "instance", "code"}


def problem(resp: Any) -> dict[str, Any]:
    """The problem a response carries, checked: its media type, its members, and that they agree with the response."""
    assert resp.headers["content-type"] == "application/problem+json", (resp.status_code, resp.text[:300])
    body = resp.json()
    assert set(body) >= MEMBERS, body
    assert body["status"] == resp.status_code, body
    assert body["type"] == f"/problems/{body['code']}", body
    assert body["instance"] == urlsplit(str(resp.request.url)).path, body
    assert isinstance(body["title"], str) and body["title"] and isinstance(body["detail"], str), body
    return body


def code(resp: Any) -> str:
    return str(problem(resp)["code"])
