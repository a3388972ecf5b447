"""What every request passes before any handler, and what every response carries: one middleware, outermost.

* Security headers on every response, the guard's own refusals included. Pages are rendered on the server with no
  script at all and only same-origin stylesheets, so their policy allows nothing inline. The API documentation
  (Swagger UI, ReDoc; served offline from this server) runs same-origin scripts and sets inline styles, so it gets a
  policy of its own. API responses are never framed, sniffed or interpreted as documents.
* A body longer than its limit is refused with ``413 request.too_large`` — from Content-Length when sent,
  otherwise while it streams in, so an oversize body is never read whole. ``POST /v1/events`` has its own
  limit (``ANXIN_EVENTS_MAX_BYTES``); other bodies ``ANXIN_MAX_BODY_BYTES``; multipart uploads are bounded by
  their handlers (the evidence limit) and are streamed through untouched.
* NUL characters (PostgreSQL text cannot hold them) and lone UTF-16 surrogates (not encodable as UTF-8) are
  refused wherever a client can put them, once, here: a JSON string or key anywhere in the body
  (``422 request.nul_character`` / ``request.invalid_unicode`` with the JSON path), a url-encoded form field,
  and the path or query (``404 request.not_found``: no id contains NUL).
"""

from __future__ import annotations

import json
import re

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anxin.web.error_codes import WebErrorCode as W
from anxin.web.problem import instance_of, problem_response

# Cheap pre-scan: only bodies holding a NUL or a surrogate escape are parsed here (a surrogate pair is how
# json.dumps writes an emoji, so a match is a suspicion, decided by the exact check below).
_SUSPECT = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|%00|\x00", re.IGNORECASE)
EVENTS_PATH = "/v1/events"
# Bounds for list and id parameters, so no number or string a client sends overflows a column or a driver.
MAX_OFFSET = 1_000_000
MAX_ID = 64

PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; worker-src 'self' blob:; font-src 'self'; frame-ancestors 'none'; base-uri 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS = ("/docs", "/redoc", "/static-offline-docs/")
COMMON = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer"}


def policy_for(path: str) -> str:
    if path.startswith(DOCS):
        return DOCS_CSP
    if path.startswith("/v1/") or path in ("/openapi.json", "/healthz"):
        return API_CSP
    return PAGE_CSP


def _with_headers(send: Send, csp: str) -> Send:
    async def with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in COMMON.items():
                headers.setdefault(name, value)
            headers.setdefault("content-security-policy", csp)
        await send(message)
    return with_headers


def _respond(code: W, message: str, status: int, instance: str, **details: object) -> JSONResponse:
    return problem_response(code, message, status, instance, details)


def bad_text(value: str) -> W | None:
    """The code for a string a database cannot store, or None when it is fine."""
    if "\x00" in value:
        return W.NUL_CHARACTER
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return W.INVALID_UNICODE
    return None


def _shown(key: str) -> str:
    """A key as it may appear in an error: the response itself must be valid UTF-8."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")[:80]


def find_bad_text(document: object) -> tuple[W, str] | None:
    """The first string (key or value) in a parsed JSON document that cannot be stored, with its path."""
    stack: list[tuple[object, str]] = [(document, "")]
    while stack:  # iterative: a deeply nested body must not overflow the Python stack here
        node, path = stack.pop()
        if isinstance(node, str):
            code = bad_text(node)
            if code:
                return code, path or "."
        elif isinstance(node, dict):
            for key, value in node.items():
                code = bad_text(key)
                if code:
                    return code, f"{path}.{_shown(key)}" if path else _shown(key)
                stack.append((value, f"{path}.{_shown(key)}" if path else _shown(key)))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{n}]") for n, item in enumerate(node))
    return None


def _body_problem(body: bytes, content_type: str) -> tuple[W, str] | None:
    if not _SUSPECT.search(body):
        return None
    if content_type.startswith("application/x-www-form-urlencoded"):
        if b"%00" in body or b"\x00" in body:
            return W.NUL_CHARACTER, "form"
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (or too deep): the handler answers with its own code
        return None
    return find_bad_text(document)


class InputGuard:
    """The input checks and the security headers in one middleware: one wrapper around every request, not two."""

    def __init__(self, app: ASGIApp, *, max_body: int, max_events_body: int) -> None:
        self.app, self.max_body, self.max_events_body = app, max_body, max_events_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        send = _with_headers(send, policy_for(path))
        if "\x00" in path or b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get("query_string", b""):
            refused = _respond(W.NOT_FOUND, "not found: the request holds a NUL character", 404,
                               instance_of(scope))
            await refused(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if scope.get("method") in ("GET", "HEAD", "OPTIONS") or content_type.startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        limit = self.max_events_body if path.rstrip("/") == EVENTS_PATH else self.max_body
        too_large = _respond(W.TOO_LARGE, f"the request body is larger than {limit} bytes", 413, instance_of(scope),
                             limit=limit)
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await too_large(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = _body_problem(body, content_type)
        if problem:
            code, where = problem
            text = "a NUL character" if code is W.NUL_CHARACTER else "a lone UTF-16 surrogate"
            await _respond(code, f"the request holds {text} at {where}; it cannot be stored", 422,
                           instance_of(scope), path=where)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect as the server would report it
    return replay
