"""Listing checks against the database: stored once per listing version, blocked ones recorded as violations
through the ledger once, needs_review ones queued and decided by operators; drafts store nothing."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from anxin.bootstrap import Anxin
from anxin.catalog import service as catalog
from anxin.catalog.model import Category
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.governance.listing_checks import ListingChecks
from anxin.governance.listing_store import ListingCheckRepository
from anxin.governance.listing_terms_rules import load_listing_terms
from anxin.governance.model import RecordViolation, ViolationView

pytestmark = pytest.mark.db

OPERATOR = Principal(key_id="k-op", role=Role.OPERATOR, subject="ops")
MERCHANT = Principal(key_id="k-m", role=Role.MERCHANT, subject="m1")


class FakeLedger:
    """Records what it was asked to record, idempotent per (source_type, source_id, kind) like the real one."""

    def __init__(self) -> None:
        self.calls: list[RecordViolation] = []
        self.views: dict[tuple[str, str, str], ViolationView] = {}

    def record(self, uow: Any, cmd: RecordViolation) -> tuple[ViolationView, bool]:
        self.calls.append(cmd)
        key = (cmd.source_type, cmd.source_id, cmd.kind)
        if key in self.views:
            return self.views[key], False
        view = ViolationView(violation_id=f"v{len(self.views) + 1}", kind=cmd.kind, violation_class="general",
                             subject=cmd.subject, shop_id=cmd.shop_id, creator_id=cmd.creator_id,
                             points_hundredths=200, appealable=True, state="active", recorded_at=cmd.at,
                             source_type=cmd.source_type, source_id=cmd.source_id)
        self.views[key] = view
        return view, True

    def get(self, uow: Any, violation_id: str) -> ViolationView | None:
        return next((v for v in self.views.values() if v.violation_id == violation_id), None)

    def reverse(self, uow: Any, violation_id: str, **_: Any) -> ViolationView:
        raise NotImplementedError

    def count(self, uow: Any, *, kind: str, shop_id: str, since: dt.datetime) -> int:
        return len(self.views)


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def checks(anxin: Anxin, ledger: FakeLedger) -> ListingChecks:
    with anxin.uow_factory() as uow:
        at = anxin.clock.now()
        catalog.upsert_category(uow, Category("beauty", "美妆", None, frozenset({"cosmetics"})), as_of=at)
        catalog.upsert_category(uow, Category("masks", "面膜", "beauty", frozenset()), as_of=at)
        uow.commit()
    return ListingChecks(uow_factory=anxin.uow_factory, clock=anxin.clock, terms=load_listing_terms(),
                         ledger=ledger)


def _stored(anxin: Anxin) -> int:
    with anxin.uow_factory() as uow:
        return ListingCheckRepository(uow.session).count()


def _check(anxin: Anxin, checks: ListingChecks, title: str, listing_id: str = "l1") -> Any:
    with anxin.uow_factory() as uow:
        out = checks.check_listing(uow, listing_id=listing_id, shop_id="s1", category_id="masks", title=title,
                                   description="")
        uow.commit()
    return out


def test_blocked_listing_is_stored_once_and_recorded_once(anxin: Anxin, checks: ListingChecks,
                                                          ledger: FakeLedger) -> None:
    first, created = _check(anxin, checks, "祛痘消炎面膜")  # 消炎 on a cosmetics category (via its parent's tag)
    again, created_again = _check(anxin, checks, "祛痘消炎面膜")
    assert (created, created_again) == (True, False)
    assert again.check_id == first.check_id and _stored(anxin) == 1
    assert first.outcome == "blocked" and first.rule_ids == ("terms.medical.claims",)
    assert first.facts["tags"] == ["cosmetics"] and first.facts["lineage"] == ["masks", "beauty"]
    assert first.rulebook_version == "governance-2026.12"
    assert [m["term"] for m in first.matches] == ["消炎"] and first.matches[0]["start"] == 2
    assert len(ledger.calls) == 1
    cmd = ledger.calls[0]
    assert (cmd.kind, cmd.subject, cmd.shop_id, cmd.source_type, cmd.source_id) == (
        "false_advertising", "listing:l1", "s1", "governance.listing_check", first.check_id)
    assert cmd.evidence["listing_id"] == "l1" and cmd.evidence["matches"] == list(first.matches)
    assert again.violation_id == "v1"


def test_new_text_is_a_new_check(anxin: Anxin, checks: ListingChecks, ledger: FakeLedger) -> None:
    _check(anxin, checks, "补水面膜")
    second, created = _check(anxin, checks, "最好的补水面膜")
    assert created and second.outcome == "blocked" and _stored(anxin) == 2


def test_pass_and_review_record_no_violation(anxin: Anxin, checks: ListingChecks, ledger: FakeLedger) -> None:
    passed, _ = _check(anxin, checks, "最近上新 补水面膜", "l1")
    queued, _ = _check(anxin, checks, "独家 补水面膜", "l2")
    assert (passed.outcome, passed.review_state) == ("pass", "none")
    assert (queued.outcome, queued.review_state) == ("needs_review", "open")
    assert ledger.calls == []
    found = checks.findings(OPERATOR, state="open")
    assert [f["check_id"] for f in found] == [queued.check_id]  # pass checks are not findings


def test_operator_confirms_and_clears(anxin: Anxin, checks: ListingChecks, ledger: FakeLedger) -> None:
    a, _ = _check(anxin, checks, "独家 补水面膜", "l1")
    b, _ = _check(anxin, checks, "首选 补水面膜", "l2")
    confirmed = checks.decide(OPERATOR, a.check_id, {"decision": "confirm", "note": "no proof of sales"})
    assert confirmed["review_state"] == "confirmed" and confirmed["violation_id"] == "v1"
    assert ledger.calls[0].recorded_by == "operator:ops" and ledger.calls[0].source_id == a.check_id
    assert checks.decide(OPERATOR, a.check_id, {"decision": "confirm"})["violation_id"] == "v1"  # same again
    assert len(ledger.calls) == 1
    cleared = checks.decide(OPERATOR, b.check_id, {"decision": "clear"})
    assert cleared["review_state"] == "cleared" and cleared["violation_id"] is None
    with pytest.raises(AnxinError) as exc:
        checks.decide(OPERATOR, b.check_id, {"decision": "confirm"})
    assert exc.value.code.value == "governance.finding_already_decided"
    assert [f["check_id"] for f in checks.findings(OPERATOR, state="open")] == []
    assert len(checks.findings(OPERATOR, outcome="needs_review", shop_id="s1")) == 2


def test_draft_check_stores_nothing(anxin: Anxin, checks: ListingChecks, ledger: FakeLedger) -> None:
    out = checks.check_draft(MERCHANT, {"title": "祛痘消炎面膜", "description": "最好用", "category_id": "masks"})
    assert out["outcome"] == "blocked"
    assert [(m["field"], m["term"]) for m in out["matches"]] == [("title", "消炎"), ("description", "最好")]
    assert _stored(anxin) == 0 and ledger.calls == []
    with pytest.raises(AnxinError) as exc:
        checks.check_draft(MERCHANT, {"title": "面膜", "category_id": "nope"})
    assert exc.value.code.value == "governance.unknown_category"
    with pytest.raises(AnxinError) as exc:
        checks.check_draft(OPERATOR, {"title": "面膜"})
    assert exc.value.code.value == "access.forbidden_role"


def test_listing_upserted_handler_is_idempotent(anxin: Anxin, checks: ListingChecks, ledger: FakeLedger) -> None:
    # The shape of anxin.catalog.events.ListingUpserted (the catalog seam slice); delivered twice, at least once.
    event = SimpleNamespace(listing_id="l7", shop_id="s1", category_id="masks", title="国家级 面膜",
                            description="", upserted_at=anxin.clock.now())
    for _ in range(2):
        with anxin.uow_factory() as uow:
            checks.on_listing_upserted(event, uow)
            uow.commit()
    assert _stored(anxin) == 1 and len(ledger.calls) == 1
    assert ledger.calls[0].evidence["matches"][0]["term"] == "国家级"
