"""Stable error codes of the care context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class CareErrorCode(ErrorCode):
    NOT_FOUND = "care.not_found", 404  # no such consultation or ticket that you may see
    FORBIDDEN = "care.forbidden", 403  # you may see it, not do this to it
    INVALID = "care.invalid", 422  # a field is missing, too long or not one of its values
    INVALID_FILTER = "care.invalid_filter", 422
    ORDER_NOT_FOUND = "care.order_not_found", 422  # the order is unknown or not the opener's
    SHOP_NOT_FOUND = "care.shop_not_found", 422
    ID_REUSED = "care.id_reused", 409  # a consultation or message id already used for something else
    ILLEGAL_TRANSITION = "care.illegal_transition", 409  # the state machine has no such move from this state
    TICKET_CLOSED = "care.ticket_closed", 409  # a closed ticket takes no message: reopen it first
    REOPEN_WINDOW_CLOSED = "care.reopen_window_closed", 409
    NOT_RATEABLE = "care.not_rateable", 409  # only a resolved or closed ticket is rated
    ALREADY_RATED = "care.already_rated", 409  # once per closure
    RATING_WINDOW_CLOSED = "care.rating_window_closed", 409
    CONFLICT = "care.conflict", 409  # changed by someone else meanwhile: read it again and retry
