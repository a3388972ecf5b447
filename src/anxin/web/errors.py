"""Every stable error code and its HTTP status, collected from the contexts.

Each context declares its codes with their statuses (``<context>/error_codes.py``, and ``<part>_error_codes.py``
beside it for a part with codes of its own: an ``anxin.core.errors.ErrorCode``); this module finds them through
the list of contexts (``anxin.contexts``), so adding a context or a code edits nothing here.
A member without a status fails at import, so a new code cannot silently become a 500.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from anxin.access.error_codes import AccessErrorCode as A
from anxin.contexts import error_code_modules
from anxin.core.errors import AnxinError, ErrorCode
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.problem import instance_of, problem_response


def code_enums() -> tuple[type[ErrorCode], ...]:
    """The code enums of every context, in the list's order, then the web shell's own (the request's)."""
    found = [value for module in error_code_modules() for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, ErrorCode) and value.__module__ == module.__name__]
    return (*found, W)


ALL_CODE_ENUMS = code_enums()
HTTP_STATUS: dict[StrEnum, int] = {code: code.status for enum in ALL_CODE_ENUMS for code in enum}
log = logging.getLogger("anxin.web")


def error_headers(exc: AnxinError) -> dict[str, str] | None:
    if exc.code is A.UNAUTHENTICATED:
        return {"WWW-Authenticate": "Bearer"}
    if exc.code is A.TOO_MANY_ATTEMPTS:
        return {"Retry-After": str(exc.details.get("retry_after", 60))}
    return None


def install(app: FastAPI) -> None:
    """Every error the API answers is a problem (``anxin.web.problem``); pages render their own (``PageRoute``)."""

    @app.exception_handler(AnxinError)
    async def _anxin(request: Request, exc: AnxinError) -> JSONResponse:
        return problem_response(exc.code, exc.message, HTTP_STATUS.get(exc.code, 400),
                                instance_of(request.scope), exc.details, headers=error_headers(exc))

    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: DataError) -> JSONResponse:
        # The last line of defence: a value the database refuses (a string longer than its column, a number
        # beyond its type) is the caller's input, not a server fault. Inputs are bounded before this; log it.
        log.warning("database refused a value on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem_response(W.OUT_OF_RANGE, "a value is out of the range the database can store", 422,
                                instance_of(request.scope))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e.get("msg")}
                    for e in exc.errors()]
        where = instance_of(request.scope)
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem_response(W.MALFORMED_JSON, "the request body is not valid JSON", 400, where)
        return problem_response(W.INVALID_REQUEST, "the request does not match the schema", 422, where,
                                {"problems": problems})

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError) -> JSONResponse:
        return problem_response(W.MALFORMED_JSON, "the request body is nested too deeply", 400,
                                instance_of(request.scope))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: W.NOT_FOUND, 405: W.METHOD_NOT_ALLOWED, 413: W.TOO_LARGE}.get(exc.status_code, W.INVALID_REQUEST)
        return problem_response(code, str(exc.detail), exc.status_code, instance_of(request.scope),
                                headers=exc.headers)
