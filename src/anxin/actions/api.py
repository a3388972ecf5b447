"""Actions HTTP API: the platform acks what anxin told it to do; operators list, read and issue actions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request

from anxin.actions import api_models as out
from anxin.actions.error_codes import ActionErrorCode as E
from anxin.actions.model import URGENCY
from anxin.core.principal import Principal
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1/actions", tags=["actions"])
TARGET = Query(None, max_length=80, description="`<type>:<id>`, e.g. `shop:s1`")


@router.post("/{action_id}/ack", summary="The platform's ack of an action: done, or failed with a reason",
             description='`{"status": "done"}` or `{"status": "failed", "reason": "..."}`. Idempotent: the same ack '
                         "again answers the same; a different ack after the first is 409 `actions.ack_conflict`; "
                         "an unknown action is 404 `actions.action_not_found`. Platform role.",
             response_model=out.Action, openapi_extra=codes(E.INVALID_ACK, E.ACTION_NOT_FOUND, E.ACK_CONFLICT))
def ack(action_id: str, request: Request, body: Any = Body(...),
        who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).actions.ack(who, action_id, body)


@router.get("", summary="Actions sent to the platform, those needing attention first (operators)",
            description="Failed and unconfirmed (sent, not acked within the ack timeout) first, then issued and "
                        "sent, then done; newest first within each. Filter by `state` (issued, sent, unconfirmed, "
                        "done, failed) and `target` (`shop:s1`). How many there are in each state: "
                        "`GET /v1/actions/counts`.",
            response_model=Page[out.Action], openapi_extra=codes(E.INVALID_FILTER))
def list_actions(request: Request, state: str | None = Query(None, max_length=16), target: str | None = TARGET,
                 limit: int = LIMIT, cursor: str | None = CURSOR,
                 who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("actions", state, target)
    key = decode_cursor(cursor, scope=scope, shape=(int, str, str))  # (urgency, issued at, action id)
    after = None if key is None else (int(key[0]), cursor_instant(key[1]), str(key[2]))
    rows = app_of(request).actions.list(who, state=state, target=target, limit=limit + 1, after=after)
    return page_of(rows, limit=limit, scope=scope,
                   key=lambda a: (URGENCY[a["state"]], a["issued_at"], a["action_id"]))


@router.get("/counts", summary="How many actions are in each state, of one target or all (operators)",
            response_model=out.ActionCounts, openapi_extra=codes(E.INVALID_FILTER))
def action_counts(request: Request, target: str | None = TARGET,
                  who: Principal = Depends(principal)) -> dict[str, int]:
    return app_of(request).actions.counts(who, target=target)


@router.post("", summary="Issue an action by hand (operators)",
             description='`{"kind": "shop.restrict", "target": "shop:s1", "parameters": {"restrict": '
                         '["new_listings"]}, "cause": {"type": "ticket", "id": "T-1"}, "note": "..."}`. One action '
                         "per kind, target and cause: the same request again returns the same action "
                         '(`"created": false`).',
             response_model=out.IssuedAction,
             openapi_extra=codes(E.UNKNOWN_KIND, E.INVALID_PARAMETERS, E.INVALID_TARGET, E.INVALID_CAUSE,
                                 E.CAUSE_CONFLICT))
def issue(request: Request, body: Any = Body(...), who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).actions.issue_by_hand(who, body)


@router.get("/{action_id}", summary="One action and its state (operators and the platform)",
            response_model=out.Action, openapi_extra=codes(E.ACTION_NOT_FOUND))
def get_action(action_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).actions.get(who, action_id)
