"""Stable error codes of merchants' matchmaking (creator matches, invitations, live sessions)."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class MatchErrorCode(ErrorCode):
    NOT_ELIGIBLE = "merchants.match_not_eligible", 409  # the creator-matching gate refuses the shop (reasons given)
    CREATOR_NOT_MATCHED = "merchants.creator_not_matched", 422  # the creator is not a match for the shop (reasons)
    CREATOR_FULL = "merchants.creator_full", 409  # no slot left in the creator's week
    INVALID_SESSION = "merchants.invalid_session", 422  # the session window breaks the rulebook (reasons)
    TOO_MANY_OPEN = "merchants.too_many_open_invitations", 409
    ALREADY_INVITED = "merchants.already_invited", 409  # an invitation to this creator is waiting already
    INVITATION_NOT_FOUND = "merchants.invitation_not_found", 404  # also another party's invitation: no leak
    INVITATION_CLOSED = "merchants.invitation_closed", 409  # accepted, declined or expired already
    FORBIDDEN_ROLE = "merchants.match_forbidden_role", 403
