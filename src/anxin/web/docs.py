"""The API documentation pages, served offline and without inline scripts (their CSP is in ``headers``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

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
