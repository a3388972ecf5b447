"""HTTP API of enrolment and the worry-free tag."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["worry-free"])
