"""Every stable error code mapped to its HTTP status, in one table.

A test checks that every member of every context's code enum appears here, so a new code cannot
silently become a 500.
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
from anxin.actions.error_codes import ActionErrorCode as X
from anxin.aftersales.error_codes import AfterSalesErrorCode as S
from anxin.core.errors import AnxinError
from anxin.fulfilment.error_codes import FulfilmentErrorCode as F
from anxin.idempotency.error_codes import IdempotencyErrorCode as D
from anxin.ingest.error_codes import IngestErrorCode as I
from anxin.merchants.error_codes import MerchantErrorCode as M
from anxin.outbox.error_codes import OutboxErrorCode as O
from anxin.risk.error_codes import RiskErrorCode as R
from anxin.scoring.error_codes import ScoringErrorCode as K
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.problem import instance_of, problem_response

HTTP_STATUS: dict[StrEnum, int] = {
    A.UNAUTHENTICATED: 401, A.INVALID_ROLE: 422, A.INVALID_SUBJECT: 422, A.FORBIDDEN_ROLE: 403,
    A.KEY_NOT_FOUND: 404, A.TOO_MANY_ATTEMPTS: 429, A.LOGIN_LINK_INVALID: 401,
    I.MALFORMED_BATCH: 400, I.MALFORMED_EVENT: 422, I.UNKNOWN_TYPE: 422, I.INVALID_FIELD: 422,
    I.INVALID_MONEY: 422, I.INVALID_TIMESTAMP: 422, I.TIME_OUT_OF_RANGE: 422, I.ID_CONFLICT: 409, I.LIFECYCLE: 409,
    I.BATCH_TOO_LARGE: 413, I.FILE_UNREADABLE: 400,
    S.ORDER_NOT_FOUND: 404, S.CASE_NOT_FOUND: 404, S.INVALID_FIELD: 422, S.INVALID_CASE_TYPE: 422,
    S.INVALID_REASON: 422, S.INVALID_AMOUNT: 422, S.AMOUNT_EXCEEDS_REFUNDABLE: 422, S.ORDER_CANCELLED: 409,
    S.CASE_ALREADY_OPEN: 409, S.EVIDENCE_NOT_FOUND: 422, S.NO_SUCH_EVIDENCE: 404, S.EVIDENCE_TOO_LARGE: 413,
    S.EVIDENCE_NOT_IMAGE: 415,
    S.TOO_MANY_EVIDENCE: 422, S.INVALID_STATE: 409, S.ACTION_NOT_ALLOWED: 403, S.INVALID_ACTION: 422,
    S.NOTE_REQUIRED: 422, S.DEADLINE_PASSED: 409, S.PICKUP_NOT_COVERED: 409, S.TRACKING_REQUIRED: 422,
    S.INVALID_RETURN_METHOD: 422, S.FORBIDDEN_ROLE: 403, S.RULEBOOK_INVALID: 422,
    O.INVALID_AMOUNT: 422, O.INVALID_KIND: 422, O.INVALID_MESSAGE: 422, O.IDEMPOTENCY_CONFLICT: 409,
    O.MESSAGE_NOT_FOUND: 404, O.NOT_REDELIVERABLE: 409, O.DELIVERY_NOT_FOUND: 404, O.ENDPOINT_NOT_FOUND: 404,
    O.INVALID_ENDPOINT: 422, O.ENDPOINT_CONFIGURED: 409, O.INVALID_FILTER: 422,
    D.KEY_REUSED: 409, D.IN_PROGRESS: 409, D.INVALID_KEY: 422, S.CONCURRENT_CHANGE: 409,
    F.SHOP_NOT_FOUND: 404, F.ORDER_NOT_FOUND: 404, F.INVALID_WINDOW: 422,
    K.SHOP_NOT_FOUND: 404, K.SUBJECT_NOT_FOUND: 404, K.NO_SNAPSHOT: 404, K.UNKNOWN_INDICATOR: 404, K.INVALID_SIDE: 422,
    K.INVALID_DATE: 422, K.FUTURE_DATE: 422, K.UNKNOWN_ENGINE: 422, K.SOURCE_NOT_FOUND: 422, K.SOURCE_INVALID: 422,
    K.ENGINE_UNAVAILABLE: 422, K.INVALID_DEDUCTION: 422, K.DEDUCTION_NOT_FOUND: 404,
    R.FORBIDDEN_ROLE: 403, R.REVIEW_NOT_FOUND: 404, R.RULE_NOT_FOUND: 404, R.SHOP_NOT_FOUND: 404,
    R.VERDICT_NOT_FOUND: 404, R.REVIEW_DECIDED: 409, R.ALREADY_BANNED: 409, R.RULE_BLOCKS_TOO_MANY: 409,
    R.RULE_REVIEWS_TOO_MANY: 409, R.INVALID_DECISION: 422, R.INVALID_REASON: 422, R.NOTE_REQUIRED: 422,
    R.INVALID_RULE: 422, R.INVALID_STATUS: 422, R.INVALID_FIELD: 422, R.ACCESS_BLOCKED: 429,
    M.SHOP_NOT_FOUND: 404, M.FORBIDDEN_ROLE: 403, M.INVALID_FIELD: 422, M.SHOP_EXISTS: 409,
    M.ILLEGAL_TRANSITION: 409, M.TRANSFER_TO_BANNED: 409, M.TRANSFER_SAME_OWNER: 409, M.UPGRADE_INVALID: 422,
    M.SHOP_CLOSED: 409, M.WITHDRAWAL_OVER_LIMIT: 422, M.INSUFFICIENT_DEPOSIT: 409, M.INSUFFICIENT_GOODS: 409,
    M.IDEMPOTENCY_CONFLICT: 409,
    M.INVALID_AMOUNT: 422, M.WAIVER_OVERLAP: 409, M.INVALID_WINDOW: 422, M.INVALID_WAIVER: 422,
    M.INVALID_PERIOD: 422, M.LISTING_CAP: 409, M.CATEGORY_NOT_ALLOWED: 422, M.ENTITY_CHANGE_INVALID: 422,
    M.LICENCE_AT_LIMIT: 409, M.LICENCE_REQUIRED: 422, M.SHOP_NOT_OPEN: 409,
    W.MALFORMED_JSON: 400, W.INVALID_REQUEST: 422, W.NOT_FOUND: 404, W.METHOD_NOT_ALLOWED: 405,
    W.TOO_LARGE: 413, W.UNSUPPORTED_MEDIA: 415, W.FORM_TOKEN_INVALID: 403, W.NUL_CHARACTER: 422,
    W.INVALID_UNICODE: 422, W.OUT_OF_RANGE: 422, W.INVALID_CURSOR: 400,
    X.UNKNOWN_KIND: 422, X.INVALID_PARAMETERS: 422, X.INVALID_TARGET: 422, X.INVALID_CAUSE: 422,
    X.ACTION_NOT_FOUND: 404, X.INVALID_ACK: 422, X.ACK_CONFLICT: 409, X.CAUSE_CONFLICT: 409, X.INVALID_FILTER: 422,
}
ALL_CODE_ENUMS = (A, S, I, O, F, K, R, M, W, D, X)
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
