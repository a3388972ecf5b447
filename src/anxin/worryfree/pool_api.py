"""HTTP API of the creators' selection pool and the programme's order metrics."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["worry-free"])
