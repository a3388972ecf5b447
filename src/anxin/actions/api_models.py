"""The actions API's responses: an action as operators and the platform see it, and the counts by state."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from anxin.actions.model import KINDS, VIEW_STATES
from anxin.web.schema import Free, Instant, Out

# The domain keeps kinds and states as named text constants: the schema lists the same values.
Kind = Annotated[str, Field(json_schema_extra={"enum": list(KINDS)})]
ViewState = Annotated[str, Field(json_schema_extra={"enum": list(VIEW_STATES)},
                                 description="issued, sent, done, failed; or unconfirmed: sent, not acked within "
                                             "the ack timeout")]


class Cause(Out):
    type: str = Field(description="what caused it: risk.verdict, risk.ban, risk.review, ticket, operator …")
    id: str


class Action(Out):
    action_id: str
    kind: Kind
    target: str = Field(description="<type>:<id>, e.g. shop:s1")
    parameters: Free = Field(description="the kind's parameters (amount_fen in fen for funds.*)")
    reason_codes: list[str]
    rule_id: str | None = Field(description="the reaction rule that issued it; null when issued by hand")
    cause: Cause
    note: str
    issued_by: str
    issued_at: Instant
    message_id: str = Field(description="the outbox message that carries it to the platform")
    state: ViewState
    sent_at: Instant | None
    acked_at: Instant | None
    failure_reason: str | None


class IssuedAction(Action):
    created: bool = Field(description="false: the same kind, target and cause was issued before (this is it)")


class ActionCounts(Out):
    issued: int
    sent: int
    unconfirmed: int
    done: int
    failed: int
