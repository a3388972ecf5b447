"""HTTP API of inbound inspection: lots and their inspection results."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["worry-free"])
