"""Worry-free HTTP API: the one router the web shell finds; the other slices' routers are added to it."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["worry-free"])

# The slices' routers, one API for the context (each keeps its own file and error codes).
from anxin.worryfree import inspection_api, lucky_bag_api, pool_api, tag_api  # noqa: E402

for _part in (inspection_api, tag_api, lucky_bag_api, pool_api):
    router.routes.extend(_part.router.routes)
