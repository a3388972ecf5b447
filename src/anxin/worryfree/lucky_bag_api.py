"""HTTP API of lucky bags (无忧福袋): campaigns, entries, draws."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["worry-free"])
