"""The API documentation pages, served offline and without inline scripts (their CSP is in ``headers``), and what
a problem's ``type`` (``/problems/<code>``) names."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from anxin.core.errors import AnxinError
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.errors import HTTP_STATUS
from anxin.web.problem import title, type_uri

router = APIRouter(include_in_schema=False)
ASSETS = "/static-offline-docs"  # where fastapi_offline mounts Swagger UI and ReDoc

SWAGGER = f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>anxin - Swagger UI</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css"><link rel="icon" href="{ASSETS}/favicon.png">
</head><body><div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script><script src="/static/swagger-init.js"></script>
</body></html>
"""

REDOC = f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>anxin - ReDoc</title><link rel="icon" href="{ASSETS}/favicon.png">
</head><body><redoc spec-url="/openapi.json"></redoc><script src="{ASSETS}/redoc.standalone.js"></script>
</body></html>
"""


@router.get("/docs")
def swagger() -> HTMLResponse:
    return HTMLResponse(SWAGGER)


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return HTMLResponse(REDOC)


STATUS_OF = {code.value: status for code, status in HTTP_STATUS.items()}


@router.get("/problems/{code}")
def problem_type(code: str) -> dict[str, object]:
    """A problem type, so the ``type`` of every problem resolves: its code, title and HTTP status."""
    if code not in STATUS_OF:
        raise AnxinError(W.NOT_FOUND, f"no problem type {code!r}")
    return {"type": type_uri(code), "code": code, "title": title(code), "status": STATUS_OF[code],
            "documentation": "/docs"}
