"""Page shell: login by key (sets the session cookie), language choice."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
