"""Queries of the selection pool: the worry-free tag of a page of listings (the tag rules' last decision)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from anxin.worryfree.pool_filters import TagFacts


def tag_facts(session: Session, listing_ids: list[str]) -> dict[str, TagFacts]:
    """The tag state of each listing that has one (enrolled listings the tag rules have judged)."""
    return {}
