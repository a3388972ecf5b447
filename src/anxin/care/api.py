"""Care's HTTP API. The 30-day companion's routes come from their own router, included here (care-web adds the
consultations and tickets routes to this module)."""

from __future__ import annotations

from fastapi import APIRouter

from anxin.care import companion_api

router = APIRouter(tags=["care"])

router.include_router(companion_api.router)
