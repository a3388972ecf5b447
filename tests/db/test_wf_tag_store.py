"""The tag store's lookups other slices use: enrolled and tagged listings."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from anxin.worryfree import tag_store

pytestmark = pytest.mark.db

T = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)


def _enrol(repo: tag_store.TagRepository, listing_id: str, state: str) -> bool:
    return repo.insert_enrolment({"listing_id": listing_id, "shop_id": "s1", "state": state, "decision": {},
                                  "rulebook_version": "v", "requested_by": "merchant:m1", "requested_at": T,
                                  "decided_at": T, "updated_at": T, "version": 1})


def _tag(repo: tag_store.TagRepository, listing_id: str, on: bool) -> None:
    repo.insert_tag_state({"listing_id": listing_id, "shop_id": "s1", "tagged": on, "since": T, "reasons": [],
                           "rule_ids": [], "rulebook_version": "v", "facts": {}, "trigger": "job",
                           "evaluated_at": T})


def test_enrolled_and_tagged_lookups(engine: sa.Engine) -> None:
    with Session(engine) as s:
        repo = tag_store.TagRepository(s)
        assert _enrol(repo, "L1", tag_store.ACTIVE)
        assert _enrol(repo, "L2", tag_store.WITHDRAWN)
        assert _enrol(repo, "L3", tag_store.REFUSED)
        assert not _enrol(repo, "L1", tag_store.ACTIVE)  # once per listing
        _tag(repo, "L1", True)
        _tag(repo, "L2", False)
        s.commit()
    with Session(engine) as s:
        assert tag_store.enrolled(s, ["L1", "L2", "L3", "L9"]) == frozenset({"L1"})
        assert tag_store.tagged(s, ["L1", "L2", "L9"]) == frozenset({"L1"})
        assert tag_store.enrolled(s, []) == frozenset()
        assert tag_store.tagged(s, iter(["L2"])) == frozenset()
