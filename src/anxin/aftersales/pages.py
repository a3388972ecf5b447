"""Service Guarantee Hall, merchant case list, operator console (server-rendered, zh-CN and en)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
