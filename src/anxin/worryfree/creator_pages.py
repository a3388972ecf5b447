"""The creator's pages: home, selection pool, own reputation score."""

from __future__ import annotations

from fastapi import APIRouter

from anxin.web.render import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
