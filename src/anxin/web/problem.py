"""Errors as RFC 9457 problem details: one builder for every JSON error anxin answers.

A problem is ``application/problem+json`` with ``type`` (a URI naming the stable code), ``title`` (the same for
every occurrence of the code), ``status``, ``detail`` (this occurrence, for people), ``instance`` (the request path)
and anxin's ``code``; the error's details (``field``, ``limit``, ``path``, ``problems``, …) are extension members
beside them. The type URI is relative, ``/problems/<code>``: it is stable, and resolves on any anxin server.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from urllib.parse import quote

from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/problems/"
MEMBERS = ("type", "title", "status", "detail", "instance", "code")


def instance_of(scope: Mapping[str, object]) -> str:
    """The path asked for, as it was sent (percent-encoded, so a URI reference whatever it holds)."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("latin-1").split("?", 1)[0]
    return quote(str(scope.get("path", "")))


def type_uri(code: str) -> str:
    return TYPE_BASE + code


def title(code: str) -> str:
    """``aftersales.case_not_found`` → ``Case not found``: fixed per code, as RFC 9457 asks of a title."""
    words = code.rsplit(".", 1)[-1].replace("_", " ")
    return words[:1].upper() + words[1:]


def problem(code: StrEnum | str, detail: str, status: int, instance: str,
            details: Mapping[str, object] | None = None) -> dict[str, object]:
    value = code.value if isinstance(code, StrEnum) else code
    body: dict[str, object] = {"type": type_uri(value), "title": title(value), "status": status, "detail": detail,
                               "instance": instance, "code": value}
    clashing = {}
    for key, item in (details or {}).items():
        if key in MEMBERS:  # a detail never overwrites a member; it is kept, one level down
            clashing[key] = item
        else:
            body[key] = item
    if clashing:
        body["details"] = clashing
    return body


def problem_response(code: StrEnum | str, detail: str, status: int, instance: str,
                     details: Mapping[str, object] | None = None,
                     headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem(code, detail, status, instance, details), status_code=status, headers=headers,
                        media_type=MEDIA_TYPE)
