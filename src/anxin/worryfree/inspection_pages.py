"""Pages of inbound inspection: the merchant's lots, the operators' inspection queue."""

from __future__ import annotations

from fastapi import APIRouter

from anxin.web.render import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
