"""Queries of the selection pool: the worry-free tag of a page of listings (the tag rules' last decision)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from anxin.worryfree.pool_filters import TagFacts
from anxin.worryfree.tag_store import TagRepository


def tag_facts(session: Session, listing_ids: list[str]) -> dict[str, TagFacts]:
    """The tag state of each listing that has one (enrolled listings the tag rules have judged)."""
    if not listing_ids:
        return {}
    states = TagRepository(session).tag_states(listing_ids)
    return {lid: TagFacts(bool(r.tagged), r.since, tuple(r.reasons or ()), tuple(r.rule_ids or ()),
                          r.rulebook_version) for lid, r in states.items()}
