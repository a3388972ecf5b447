"""Listing compliance over HTTP: merchants (and the platform) check a draft before publishing; operators work the
queue of findings. The core slice's ``governance/api.py`` includes this router."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import Field

from anxin.core.principal import Principal
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.listing_checks import ListingChecks
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of
from anxin.web.schema import Free, Instant, Out

router = APIRouter(prefix="/v1/governance", tags=["governance"])

Outcome = Literal["pass", "needs_review", "blocked"]
ReviewState = Literal["none", "open", "cleared", "confirmed"]


class TermMatch(Out):
    field: Literal["title", "description"]
    start: int = Field(description="offset of the first matched character in the field as sent")
    end: int = Field(description="offset after the last one: field[start:end] is the matched text")
    term: str = Field(description="the term as the rulebook lists it")
    text: str = Field(description="the matched characters as written (full-width, upper case …)")
    rule_id: str
    group: str = Field(description="the rule's name")
    outcome: Literal["needs_review", "blocked"]
    violation_kind: str
    reason: str = Field(description="text key of the explanation")


class DraftCheck(Out):
    outcome: Outcome = Field(description="the strictest match's outcome; pass when nothing matched")
    matches: list[TermMatch]
    rule_ids: list[str]
    reason_codes: list[str]
    rulebook_version: str
    category_id: str | None
    facts: Free = Field(description="the category, its lineage and tags the draft was judged with")


class ListingFinding(Out):
    check_id: str
    listing_id: str
    shop_id: str
    category_id: str
    outcome: Literal["needs_review", "blocked"]
    matches: list[TermMatch]
    rule_ids: list[str]
    reason_codes: list[str]
    rulebook_version: str
    facts: Free
    checked_at: Instant
    review_state: ReviewState = Field(description="needs_review findings: open, then cleared or confirmed; "
                                                  "blocked ones: none")
    violation_id: str | None = Field(description="the false_advertising violation it became, if any")
    decided_by: str | None
    decided_at: Instant | None
    decision_note: str | None


def _listings(request: Request) -> ListingChecks:
    return app_of(request).governance.listings


@router.post("/listings/check", summary="Check a listing draft against the term lists (merchants, platform)",
             description='`{"title": "...", "description": "...", "category_id": "c1"}` (description and category '
                         "optional). Answers the outcome (pass, needs_review, blocked) and every matched term with "
                         "its field, character positions, rule and reason, as the published listing would be "
                         "judged. Stores nothing. Without a category only the rules for every category apply.",
             response_model=DraftCheck, openapi_extra=codes(E.INVALID_LISTING_TEXT, E.UNKNOWN_CATEGORY))
def check_draft(request: Request, body: Any = Body(...), who: Principal = Depends(principal)) -> dict[str, Any]:
    return _listings(request).check_draft(who, body)


@router.get("/listings/findings", summary="Listing checks that found something, newest first (operators)",
            description="Filter by `outcome` (needs_review, blocked), `shop_id` and `state` (open: the review "
                        "queue; cleared, confirmed; none for blocked ones).",
            response_model=Page[ListingFinding], openapi_extra=codes(E.INVALID_FINDING_FILTER))
def list_findings(request: Request, outcome: str | None = Query(None, max_length=16),
                  shop_id: str | None = Query(None, max_length=64), state: str | None = Query(None, max_length=16),
                  limit: int = LIMIT, cursor: str | None = CURSOR,
                  who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("governance.listing_findings", outcome, shop_id, state)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))  # (checked at, check id)
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = _listings(request).findings(who, outcome=outcome, shop_id=shop_id, state=state, limit=limit + 1,
                                       after=after)
    return page_of(rows, limit=limit, scope=scope, key=lambda f: (f["checked_at"], f["check_id"]))


@router.post("/listings/findings/{check_id}/decision", summary="Clear or confirm a queued finding (operators)",
             description='`{"decision": "clear" | "confirm", "note": "..."}`. Confirm records a false_advertising '
                         "violation of the listing (its measures follow from the catalogue). The same decision "
                         "again answers the same; another one after the first is 409.",
             response_model=ListingFinding,
             openapi_extra=codes(E.INVALID_FINDING_DECISION, E.FINDING_NOT_FOUND, E.FINDING_ALREADY_DECIDED))
def decide(check_id: str, request: Request, body: Any = Body(...),
           who: Principal = Depends(principal)) -> dict[str, Any]:
    return _listings(request).decide(who, check_id, body)
