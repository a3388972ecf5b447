"""Matchmaking HTTP API (issue 18 §7): a new shop's creator matches, invitations, answers, and an accepted
invitation's live session with its outcome. Thin: parse, call ``anxin.merchants.matchmaking`` with the caller.

A merchant sees its own shops' matches and invitations; a creator the invitations addressed to them; operators and
the platform everything. Another party's invitation is ``merchants.invitation_not_found``. Lists are newest first,
cursor-paginated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from anxin.core.principal import Principal
from anxin.merchants.error_codes import MerchantErrorCode as ME
from anxin.merchants.match_error_codes import MatchErrorCode as E
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1", tags=["matchmaking"])

State = Literal["pending", "accepted", "declined", "withdrawn", "expired"]
_STATE = Query(None, description="only invitations in this state (stored state: pending ones past their expiry "
                                 "read as expired once the job has run)")


class MatchReason(BaseModel):
    code: str
    rule_id: str
    params: dict[str, Any]


class MatchParts(BaseModel):
    category_fit_bp: int
    reputation_bp: int
    capacity_bp: int


class MatchProposal(BaseModel):
    creator_id: str
    proposed: bool
    match_bp: int = Field(description="0–10000: the parts weighted by the rulebook")
    parts: MatchParts
    band: str | None = Field(description="the creator's reputation band (matchmaking rulebook), None: unscored")
    slots_left: int = Field(description="the creator's free slots in the week judged")
    reasons: list[MatchReason]
    rule_ids: list[str]
    facts: dict[str, Any]


class MatchGate(BaseModel):
    programme: str
    eligible: bool
    until: str | None
    reasons: list[MatchReason]
    facts_used: dict[str, Any]


class MatchCreatorMatches(BaseModel):
    run_id: str
    shop_id: str
    at: dt.datetime
    week_start: dt.date
    rulebook_version: str
    eligible: bool
    gate: MatchGate
    considered: int = Field(description="creators with sales in the window, judged")
    proposals: list[MatchProposal]


class MatchSession(BaseModel):
    start: dt.datetime
    end: dt.datetime
    phase: str | None = Field(description="upcoming | live | ended, for an accepted invitation")


class MatchOutcome(BaseModel):
    orders: int
    gmv_fen: int
    cases: int
    late_shipments: int
    as_of: dt.datetime


class MatchInvitation(BaseModel):
    invitation_id: str
    shop_id: str
    creator_id: str
    state: State
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    note: str
    week_start: dt.date
    rulebook_version: str
    match: MatchProposal
    session: MatchSession
    outcome: MatchOutcome | None = Field(description="orders with the creator and the shop paid in the session "
                                                     "window: count, GMV, after-sale cases, late shipments")


class MatchInvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    creator_id: StrictStr = Field(min_length=1, max_length=64)
    session_start: AwareDatetime
    session_end: AwareDatetime
    note: StrictStr = Field("", max_length=500)


INVITE = (E.FORBIDDEN_ROLE, ME.SHOP_NOT_FOUND, E.NOT_ELIGIBLE, E.INVALID_SESSION, E.ALREADY_INVITED,
          E.TOO_MANY_OPEN, E.CREATOR_NOT_MATCHED, E.CREATOR_FULL)
ANSWER = (E.INVITATION_NOT_FOUND, E.FORBIDDEN_ROLE, E.INVITATION_CLOSED)


def _cursor_key(cursor: str | None, scope: str) -> tuple[dt.datetime, str] | None:
    after = decode_cursor(cursor, scope=scope, shape=(str, str))
    return None if after is None else (dt.datetime.fromisoformat(str(after[0])), str(after[1]))


def _key(inv: dict[str, Any]) -> tuple[str, str]:
    return inv["created_at"].isoformat(), inv["invitation_id"]


@router.get("/shops/{shop_id}/creator-matches", summary="The creators matched with a new shop, with reasons "
            "(the run is recorded)", response_model=MatchCreatorMatches,
            openapi_extra=codes(E.FORBIDDEN_ROLE, ME.SHOP_NOT_FOUND))
def creator_matches(shop_id: str, request: Request, week_of: dt.date | None = Query(
        None, description="judge capacity in the Beijing week holding this day (default: this week)"),
        who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.matchmaking.matches(who, shop_id, week_of=week_of)


@router.post("/shops/{shop_id}/invitations", status_code=201, summary="Invite a matched creator to a live session",
             response_model=MatchInvitation, openapi_extra=codes(*INVITE))
def invite(shop_id: str, body: MatchInvitationIn, request: Request,
           who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.matchmaking.invite(
        who, shop_id, creator_id=body.creator_id, session_start=body.session_start.astimezone(dt.UTC),
        session_end=body.session_end.astimezone(dt.UTC), note=body.note)


@router.get("/shops/{shop_id}/invitations", summary="A shop's invitations, newest first, with outcomes",
            response_model=Page[MatchInvitation], openapi_extra=codes(E.FORBIDDEN_ROLE, ME.SHOP_NOT_FOUND))
def shop_invitations(shop_id: str, request: Request, state: State | None = _STATE, limit: int = LIMIT,
                     cursor: str | None = CURSOR, who: Principal = Depends(principal)) -> Page[Any]:
    scope = scope_of("shop-invitations", shop_id, state)
    rows = app_of(request).merchants.matchmaking.shop_invitations(
        who, shop_id, state=state, after=_cursor_key(cursor, scope), limit=limit + 1, outcome=True)
    return page_of(rows, limit=limit, scope=scope, key=_key)


@router.get("/creators/me/invitations", summary="The calling creator's invitations, newest first",
            response_model=Page[MatchInvitation], openapi_extra=codes(E.FORBIDDEN_ROLE))
def my_invitations(request: Request, state: State | None = _STATE, limit: int = LIMIT, cursor: str | None = CURSOR,
                   who: Principal = Depends(principal)) -> Page[Any]:
    scope = scope_of("my-invitations", who.subject, state)
    rows = app_of(request).merchants.matchmaking.my_invitations(
        who, state=state, after=_cursor_key(cursor, scope), limit=limit + 1, outcome=True)
    return page_of(rows, limit=limit, scope=scope, key=_key)


@router.get("/invitations/{invitation_id}", summary="One invitation, its live session and the session's outcome",
            response_model=MatchInvitation, openapi_extra=codes(E.INVITATION_NOT_FOUND))
def invitation(invitation_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.matchmaking.invitation(who, invitation_id)


@router.post("/invitations/{invitation_id}/accept", summary="Accept: the live session is scheduled",
             response_model=MatchInvitation, openapi_extra=codes(*ANSWER))
def accept(invitation_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.matchmaking.accept(who, invitation_id)


@router.post("/invitations/{invitation_id}/decline", summary="Decline: the creator's slot is freed",
             response_model=MatchInvitation, openapi_extra=codes(*ANSWER))
def decline(invitation_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.matchmaking.decline(who, invitation_id)


@router.post("/invitations/{invitation_id}/withdraw", summary="Withdraw (the shop): the creator's slot is freed",
             response_model=MatchInvitation, openapi_extra=codes(*ANSWER))
def withdraw(invitation_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).merchants.matchmaking.withdraw(who, invitation_id)
