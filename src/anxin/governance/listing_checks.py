"""Listing compliance use cases: a merchant's draft checked before publishing (nothing stored), every published
listing version checked and stored (``catalog.listing_upserted``), blocked ones made violations through the ledger
(the catalogue's default measures take the listing down), needs_review ones queued for operators, who clear or
confirm them.

Every check is a decision that explains itself: outcome, matches with positions, rule ids, reason codes, the
rulebook version and the facts (category, its lineage and tags) it was judged on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from anxin.access.service import require_role
from anxin.catalog import service as catalog
from anxin.catalog.events import ListingUpserted
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.listing_store import (
    REVIEW_CLEARED,
    REVIEW_CONFIRMED,
    REVIEW_NONE,
    REVIEW_OPEN,
    REVIEW_STATES,
    ListingCheckRepository,
    StoredCheck,
)
from anxin.governance.listing_terms_rules import BLOCKED, NEEDS_REVIEW, ListingTerms
from anxin.governance.model import FALSE_ADVERTISING, SOURCE_LISTING_CHECK, RecordViolation, ViolationLedger
from anxin.governance.terms import TermCheck, matcher_for

MAX_TITLE = 300  # as the catalog's listing payload
MAX_DESCRIPTION = 20_000
MAX_NOTE = 500
MAX_ID = 64
DECISIONS = {"clear": REVIEW_CLEARED, "confirm": REVIEW_CONFIRMED}
# The catalogue scores false_advertising by severity: a listing's medical, health or efficacy claim is major, a
# superlative minor (an operator records graver cases, such as a live stream's, by hand).
GRAVER_REASONS = frozenset({"governance.reason.medical_claim", "governance.reason.food_health_claim",
                            "governance.reason.exaggerated_efficacy", "governance.reason.cosmetics_claim"})


def text_hash(*, version: str, category_id: str | None, title: str, description: str) -> str:
    """What a stored check judged: the texts, the category and the rulebook version (a change to any is a new
    check)."""
    raw = json.dumps([version, category_id, title, description], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def draft_fields(body: object) -> tuple[str, str, str | None]:
    """``{"title", "description", "category_id"}`` checked: title required, the others optional."""
    if not isinstance(body, Mapping):
        raise AnxinError(E.INVALID_LISTING_TEXT, "the body must be an object", field="body")
    unknown = sorted(set(body) - {"title", "description", "category_id"})
    if unknown:
        raise AnxinError(E.INVALID_LISTING_TEXT, f"unknown field {unknown[0]!r}", field=unknown[0])
    title, description, category = body.get("title"), body.get("description", ""), body.get("category_id")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        raise AnxinError(E.INVALID_LISTING_TEXT, f"title must be text of 1–{MAX_TITLE} characters", field="title")
    if description is None:
        description = ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise AnxinError(E.INVALID_LISTING_TEXT, f"description must be text of at most {MAX_DESCRIPTION} "
                         "characters", field="description")
    if category is not None and (not isinstance(category, str) or not category or len(category) > MAX_ID):
        raise AnxinError(E.INVALID_LISTING_TEXT, f"category_id must be an id of 1–{MAX_ID} characters",
                         field="category_id")
    return title, description, category


def finding_dict(check: StoredCheck) -> dict[str, Any]:
    return {"check_id": check.check_id, "listing_id": check.listing_id, "shop_id": check.shop_id,
            "category_id": check.category_id, "outcome": check.outcome, "matches": list(check.matches),
            "rule_ids": list(check.rule_ids), "reason_codes": list(check.reason_codes),
            "rulebook_version": check.rulebook_version, "facts": check.facts,
            "checked_at": check.checked_at.isoformat(), "review_state": check.review_state,
            "violation_id": check.violation_id, "decided_by": check.decided_by,
            "decided_at": check.decided_at.isoformat() if check.decided_at else None,
            "decision_note": check.decision_note}


class ListingChecks:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, terms: ListingTerms,
                 ledger: ViolationLedger) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.terms = terms
        self.ledger = ledger
        self.matcher = matcher_for(terms)

    # --- drafts: judged, never stored ---------------------------------------------------------------------------

    def check_draft(self, principal: Principal, body: object) -> dict[str, Any]:
        """A merchant's (or the platform's) draft judged as it would be once published; nothing is written."""
        require_role(principal, Role.MERCHANT, Role.PLATFORM)
        title, description, category_id = draft_fields(body)
        with self.uow_factory() as uow:
            lineage, tags, known = self._category(uow, category_id)
        if category_id is not None and not known:
            raise AnxinError(E.UNKNOWN_CATEGORY, f"no category {category_id!r}", category_id=category_id)
        check = self.matcher.check(title=title, description=description, lineage=lineage, tags=tags)
        return {**check.as_dict(), "category_id": category_id,
                "reason_codes": _reasons(check), "facts": _facts(category_id, lineage, tags, known)}

    # --- published listings: stored, enforced ------------------------------------------------------------------

    def on_listing_upserted(self, event: ListingUpserted, uow: UnitOfWork) -> None:
        """Handler of ``catalog.listing_upserted`` (in the bus's unit of work; at least once: idempotent)."""
        self.check_listing(uow, listing_id=event.listing_id, shop_id=event.shop_id, category_id=event.category_id,
                           title=event.title, description=event.description or "")

    def check_listing(self, uow: UnitOfWork, *, listing_id: str, shop_id: str, category_id: str, title: str,
                      description: str = "") -> tuple[StoredCheck, bool]:
        """Judge a published listing version in the caller's unit of work (it never commits) and store the check;
        the same text again returns the stored check and False, and records nothing. Blocked: a false_advertising
        violation of the listing through the ledger, once; needs_review: the check opens in the operators' queue."""
        digest = text_hash(version=self.terms.version, category_id=category_id, title=title, description=description)
        repo = ListingCheckRepository(uow.session)
        found = repo.by_text(listing_id, digest)
        if found is not None:
            return found, False
        lineage, tags, known = self._category(uow, category_id)
        check = self.matcher.check(title=title, description=description, lineage=lineage, tags=tags)
        stored = StoredCheck(
            check_id=new_id("lchk"), listing_id=listing_id, shop_id=shop_id, category_id=category_id,
            text_hash=digest, outcome=check.outcome, matches=tuple(m.as_dict() for m in check.matches),
            rule_ids=check.rule_ids, reason_codes=tuple(_reasons(check)), rulebook_version=check.version,
            facts=_facts(category_id, lineage, tags, known), checked_at=self.clock.now(),
            review_state=REVIEW_OPEN if check.outcome == NEEDS_REVIEW else REVIEW_NONE)
        if not repo.add(stored):  # a concurrent delivery stored it first
            return repo.by_text(listing_id, digest) or stored, False
        if check.outcome == BLOCKED:
            view, _ = self.ledger.record(uow, self._violation(stored, at=stored.checked_at))
            stored = replace(stored, violation_id=view.violation_id)
            repo.set_violation(stored.check_id, view.violation_id)
        return stored, True

    # --- operators' queue ---------------------------------------------------------------------------------------

    def findings(self, principal: Principal, *, outcome: str | None = None, shop_id: str | None = None,
                 state: str | None = None, limit: int = 50,
                 after: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        require_role(principal, Role.OPERATOR)
        if outcome is not None and outcome not in (NEEDS_REVIEW, BLOCKED):
            raise AnxinError(E.INVALID_FINDING_FILTER, "outcome must be needs_review or blocked", field="outcome")
        if state is not None and state not in REVIEW_STATES:
            raise AnxinError(E.INVALID_FINDING_FILTER, f"state must be one of {', '.join(REVIEW_STATES)}",
                             field="state")
        if shop_id is not None and not 0 < len(shop_id) <= MAX_ID:
            raise AnxinError(E.INVALID_FINDING_FILTER, f"shop_id must be 1–{MAX_ID} characters", field="shop_id")
        with self.uow_factory() as uow:
            rows = ListingCheckRepository(uow.session).findings(outcome=outcome, shop_id=shop_id,
                                                                review_state=state, limit=limit, after=after)
        return [finding_dict(r) for r in rows]

    def decide(self, principal: Principal, check_id: str, body: object) -> dict[str, Any]:
        """An operator clears a queued finding (no violation) or confirms it (a false_advertising violation through
        the ledger). The same decision again answers the same; another one after the first is 409."""
        require_role(principal, Role.OPERATOR)
        if not isinstance(body, Mapping) or body.get("decision") not in DECISIONS:
            raise AnxinError(E.INVALID_FINDING_DECISION, 'decision must be "clear" or "confirm"', field="decision")
        note = body.get("note", "")
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise AnxinError(E.INVALID_FINDING_DECISION, f"note must be text of at most {MAX_NOTE} characters",
                             field="note")
        wanted = DECISIONS[str(body["decision"])]
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()  # SQLite: two decisions racing serialise here; PostgreSQL: the row lock below
            repo = ListingCheckRepository(uow.session)
            check = repo.get(check_id, lock=True) if len(check_id) <= MAX_ID else None
            if check is None:
                raise AnxinError(E.FINDING_NOT_FOUND, f"no finding {check_id!r}", check_id=check_id[:MAX_ID])
            if check.review_state == wanted:
                return finding_dict(check)
            if check.review_state != REVIEW_OPEN:
                raise AnxinError(E.FINDING_ALREADY_DECIDED, f"finding {check_id} is {check.review_state}, not open "
                                 "for review", check_id=check_id, review_state=check.review_state)
            by = f"{principal.role.value}:{principal.subject}"
            check = replace(check, review_state=wanted, decided_by=by, decided_at=now, decision_note=note)
            if wanted == REVIEW_CONFIRMED:
                view, _ = self.ledger.record(uow, replace(self._violation(check, at=now), recorded_by=by, note=note))
                check = replace(check, violation_id=view.violation_id)
            repo.save_decision(check)
            uow.commit()
        return finding_dict(check)

    # --- helpers ------------------------------------------------------------------------------------------------

    def _category(self, uow: UnitOfWork, category_id: str | None) -> tuple[tuple[str, ...], frozenset[str], bool]:
        """The category with its ancestors, its tags with theirs, and whether it is known."""
        if category_id is None:
            return (), frozenset(), False
        found = catalog.category_lineage(uow, [category_id]).get(category_id)
        if found is None:
            return (category_id,), frozenset(), False
        ancestors, tags = found
        return (category_id, *ancestors), tags, True

    @staticmethod
    def _violation(check: StoredCheck, *, at: dt.datetime) -> RecordViolation:
        severity = "major" if any(m.get("reason") in GRAVER_REASONS for m in check.matches) else "minor"
        return RecordViolation(kind=FALSE_ADVERTISING, subject=f"listing:{check.listing_id}", shop_id=check.shop_id,
                               source_type=SOURCE_LISTING_CHECK, source_id=check.check_id, at=at, severity=severity,
                               evidence={"listing_id": check.listing_id,
                                         "claims": sorted({str(m.get("term")) for m in check.matches}),
                                         "matches": list(check.matches),
                                         "rule_ids": list(check.rule_ids),
                                         "rulebook_version": check.rulebook_version})


def _reasons(check: TermCheck) -> list[str]:
    return list(dict.fromkeys(m.reason for m in check.matches))


def _facts(category_id: str | None, lineage: tuple[str, ...], tags: frozenset[str], known: bool) -> dict[str, Any]:
    return {"category_id": category_id, "category_known": known, "lineage": list(lineage), "tags": sorted(tags)}
