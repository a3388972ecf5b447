"""Worry-free pages: the merchant's enrolment and tag page; the other slices' page routers are added to it."""

from __future__ import annotations

from fastapi import APIRouter

from anxin.web.render import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)

from anxin.worryfree import creator_pages, inspection_pages, lucky_bag_pages  # noqa: E402

router.include_router(inspection_pages.router)
router.include_router(lucky_bag_pages.router)
router.include_router(creator_pages.router)
