"""The 30-day companion's HTTP API, for platform staff: the outreach queue by due time, one task, its moves and
remedy, and the effect report. Thin: the use cases are ``care.companion_ops.OutreachDesk``. Care's ``api.py``
includes this router."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from anxin.care.companion_error_codes import CareOutreachErrorCode as E
from anxin.care.companion_ops import OutreachDesk
from anxin.care.companion_policy import STATES
from anxin.care.companion_rules import REMEDIES, TROUBLES
from anxin.core.clock import parse_instant
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of
from anxin.web.schema import Fen, Free, Instant, Out

router = APIRouter(prefix="/v1/care", tags=["care"])


def desk_of(request: Request) -> OutreachDesk:
    return app_of(request).outreach


# --- request and response models ---------------------------------------------------------------------------------

class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal["contacted", "done"] | None = Field(
        None, description="the task's next state; omit to choose the remedy only")
    remedy: Literal["coupon", "expedited_reshipment", "case_escalation", "none"] | None = Field(
        None, description="the remedy chosen (final once chosen; `done` needs one). A coupon is sent to the "
                          "platform at once, within the order's caps")
    note: StrictStr = Field("", max_length=2000)


class Move(Out):
    from_: str | None = Field(alias="from")
    to: str
    at: Instant
    by: str
    note: str
    remedy: str | None


class Decision(Out):
    outcome: str = Field(description="opened or held_out")
    trouble: str
    reason_codes: list[str]
    rule_ids: list[str]
    rulebook_version: str
    facts: Free
    remedy: str | None
    coupon_fen: int | None
    priority: int | None
    due_at: Instant | None
    expires_at: Instant | None


class OutreachTask(Out):
    task_id: str
    order_id: str
    trouble: str = Field(json_schema_extra={"enum": list(TROUBLES)})
    shop_id: str
    consumer_id: str
    state: str = Field(json_schema_extra={"enum": list(STATES)})
    held_out: bool = Field(description="in the hold-out share: recorded, never contacted (the effect's control)")
    priority: int = Field(description="1 first")
    trouble_at: Instant
    opened_at: Instant
    due_at: Instant
    expires_at: Instant | None
    source: str = Field(description="the event that reported the trouble")
    source_id: str
    remedy_suggested: str = Field(json_schema_extra={"enum": list(REMEDIES)})
    coupon_suggested_fen: Fen | None
    remedy_chosen: str | None
    coupon_fen: Fen = Field(description="the coupon sent to the platform (0: none)")
    decision: Decision
    rulebook_version: str
    history: list[Move]
    contacted_at: Instant | None
    closed_at: Instant | None
    updated_at: Instant


class EffectGroup(Out):
    tasks: int
    orders: int
    reached: int = Field(description="tasks an operator contacted")
    contacted_after: int = Field(description="tasks whose order had a consultation within the window after them")
    contact_rate: float | None
    ratings: int | None
    csat_mean: float | None
    csat_satisfied_share: float | None = Field(description="ratings of 4 or 5, of all ratings")


class TroubleEffect(Out):
    cared_for: EffectGroup
    held_out: EffectGroup
    contact_rate_difference: float | None
    csat_mean_difference: float | None


class EffectReport(Out):
    since: Instant
    until: Instant
    contact_window_hours: int
    holdout_share_bp: int
    rulebook_version: str
    csat_source: str | None = Field(description="where the ratings come from; null: none wired (CSAT unknown)")
    cared_for: EffectGroup
    held_out: EffectGroup
    contact_rate_difference: float | None = Field(description="cared-for minus held-out")
    csat_mean_difference: float | None
    by_trouble: dict[str, TroubleEffect]


def _instant(value: str, name: str) -> dt.datetime:
    try:
        return parse_instant(value)
    except ValueError:
        raise AnxinError(E.INVALID_PERIOD, f"{name} must be an ISO 8601 instant with an offset", field=name) from None


# --- routes ------------------------------------------------------------------------------------------------------

@router.get("/outreach", response_model=Page[OutreachTask], response_model_by_alias=True,
            summary="Outreach tasks of the 30-day companion by due time, earliest first (staff)",
            description="Without `state`: every task but the held-out ones. `state`: open, contacted, done, expired "
                        "or held_out; `trouble`: late_shipment, parcel_stalled, parcel_lost, parcel_exception, "
                        "case_rejected, repeated_contacts, bad_review; `shop_id`: one shop's orders.",
            openapi_extra=codes(E.INVALID_FILTER))
def list_outreach(state: str | None = Query(None, max_length=16), trouble: str | None = Query(None, max_length=24),
                  shop_id: str | None = Query(None, max_length=64), limit: int = LIMIT, cursor: str | None = CURSOR,
                  who: Principal = Depends(principal), desk: OutreachDesk = Depends(desk_of)) -> Page[dict[str, Any]]:
    scope = scope_of("care.outreach", state, trouble, shop_id)
    key = decode_cursor(cursor, scope=scope, shape=(str, str))  # (due_at iso, task id)
    after = None if key is None else (cursor_instant(key[0]), str(key[1]))
    rows = desk.queue(who, state=state, trouble=trouble, shop_id=shop_id, limit=limit + 1, after=after)
    return page_of(rows, limit=limit, scope=scope, key=lambda t: (t["due_at"], t["task_id"]))


@router.get("/outreach/{task_id}", response_model=OutreachTask, response_model_by_alias=True,
            summary="One outreach task with its decision and history (staff)",
            openapi_extra=codes(E.TASK_NOT_FOUND))
def get_outreach(task_id: str, who: Principal = Depends(principal),
                 desk: OutreachDesk = Depends(desk_of)) -> dict[str, Any]:
    return desk.task(who, task_id)


@router.post("/outreach/{task_id}/transitions", response_model=OutreachTask, response_model_by_alias=True,
             summary="Move an outreach task (open → contacted → done) and choose its remedy (staff)",
             description='`{"to": "contacted"}`, `{"to": "done", "remedy": "coupon", "note": "..."}` or '
                         '`{"remedy": "expedited_reshipment"}` (the remedy only). Done needs a remedy (`none` is '
                         "one); a chosen remedy is final. A coupon is sent to the platform through the outbox in "
                         "the same transaction, once per task, within the order's caps (409 "
                         "`care.outreach.coupon_cap_reached` when nothing is left). Expiry is the worker's.",
             openapi_extra=codes(E.TASK_NOT_FOUND, E.INVALID_TRANSITION, E.INVALID_REMEDY, E.REMEDY_REQUIRED,
                                 E.REMEDY_ALREADY_CHOSEN, E.COUPON_CAP_REACHED))
def transition_outreach(task_id: str, body: TransitionIn, who: Principal = Depends(principal),
                        desk: OutreachDesk = Depends(desk_of)) -> dict[str, Any]:
    return desk.transition(who, task_id, to=body.to, remedy=body.remedy, note=body.note)


@router.get("/outreach-effect", response_model=EffectReport, response_model_by_alias=True,
            summary="The companion's effect: contact rate and CSAT of cared-for against held-out tasks (staff)",
            description="Tasks opened in [since, until) (at most 366 days), counted in the group the hold-out "
                        "hash put them in. A contact after the trouble is a consultation about the order within "
                        "the rulebook's window after the task was opened; CSAT is the ratings of care tickets "
                        "about the order in the same span.",
            openapi_extra=codes(E.INVALID_PERIOD))
def outreach_effect(since: str = Query(..., max_length=40), until: str = Query(..., max_length=40),
                    who: Principal = Depends(principal), desk: OutreachDesk = Depends(desk_of)) -> dict[str, Any]:
    return desk.effect(who, since=_instant(since, "since"), until=_instant(until, "until"))
