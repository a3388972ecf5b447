"""Actions HTTP API: the platform acks what anxin told it to do; operators list, read and issue actions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request

from anxin.core.principal import Principal
from anxin.web.auth import app_of, principal

router = APIRouter(prefix="/v1/actions", tags=["actions"])


@router.post("/{action_id}/ack", summary="The platform's ack of an action: done, or failed with a reason",
             description='`{"status": "done"}` or `{"status": "failed", "reason": "..."}`. Idempotent: the same ack '
                         "again answers the same; a different ack after the first is 409 `actions.ack_conflict`; "
                         "an unknown action is 404 `actions.action_not_found`. Platform role.")
def ack(action_id: str, request: Request, body: Any = Body(...),
        who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).actions.ack(who, action_id, body)


@router.get("", summary="Actions sent to the platform, those needing attention first (operators)",
            description="Failed and unconfirmed (sent, not acked within the ack timeout) first, then issued and "
                        "sent, then done; newest first within each. Filter by `state` (issued, sent, unconfirmed, "
                        "done, failed) and `target` (`shop:s1`). Page with `limit` and `offset` (`next_offset`).")
def list_actions(request: Request, state: str | None = Query(None, max_length=16),
                 target: str | None = Query(None, max_length=80), limit: int = Query(100, ge=1, le=500),
                 offset: int = Query(0, ge=0, le=1_000_000),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).actions.list(who, state=state, target=target, limit=limit, offset=offset)


@router.post("", summary="Issue an action by hand (operators)",
             description='`{"kind": "shop.restrict", "target": "shop:s1", "parameters": {"restrict": '
                         '["new_listings"]}, "cause": {"type": "ticket", "id": "T-1"}, "note": "..."}`. One action '
                         "per kind, target and cause: the same request again returns the same action "
                         '(`"created": false`).')
def issue(request: Request, body: Any = Body(...), who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).actions.issue_by_hand(who, body)


@router.get("/{action_id}", summary="One action and its state (operators and the platform)")
def get_action(action_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).actions.get(who, action_id)
