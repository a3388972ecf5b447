"""Risk HTTP API: the operators' review queue and decisions, the risk rules (list, propose, backtest, activate)
and shop bans.

Thin: parse, call RiskService with the caller, return what it returns. The service checks the role (operators and
the platform; anyone else gets ``risk.forbidden_role``) and every value; a body that does not match its schema is
``request.invalid`` (422) before the service is called.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.risk import api_models as out
from anxin.risk.error_codes import RiskErrorCode as R
from anxin.risk.rule_admin import BACKTEST_DAYS
from anxin.risk.service import CLEAR_REASONS, CONFIRM_REASONS
from anxin.web.auth import app_of, principal
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of

router = APIRouter(prefix="/v1/risk", tags=["risk"])
QueueState = Literal["open", "cleared", "confirmed", "withdrawn", "decided"]


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: StrictStr = Field(description="clear (not abuse: the request goes on) | confirm (abuse: refused)")
    reason: StrictStr = Field(description=f"clear: {', '.join(CLEAR_REASONS)}; confirm: {', '.join(CONFIRM_REASONS)}")
    note: StrictStr = Field("", description="required to confirm; shown with the decision")


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: StrictStr = Field(description="live | shadow | off; going live replays the rule first")


class BacktestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_id: StrictStr | None = Field(None, description="a rule in force or a draft")
    definition: dict[str, Any] | None = Field(None, description="a rule not yet proposed, as in risk.yaml")
    days: StrictInt = Field(BACKTEST_DAYS, description="replay the verdicts of the last days, 1..365")

    @model_validator(mode="after")
    def _one_rule(self) -> BacktestBody:
        if (self.rule_id is None) == (self.definition is None):
            raise ValueError("give either rule_id or definition")
        return self


class BanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    shop_id: StrictStr
    reason: StrictStr = Field(description="why; shops sharing its credentials are flagged at onboarding")


MAX_RULE_ID = 60
RULE_EXAMPLE = {"id": "K.MANY_SHOPS", "stage": "claim", "code": "risk.claims_against_many_shops",
                "action": "review", "points": 200,
                "message": {"zh-CN": "近30天向多家店铺索赔", "en": "Claims against many shops in 30 days"},
                "when": {"fact": "shops_claimed_30d", "op": "gte", "value": 5}}


@router.get("/reviews", summary="The review queue: block before review, then by due time (operators)",
            description="How many reviews there are in each state, and overdue: `GET /v1/risk/review-counts`.",
            response_model=Page[out.Review], openapi_extra=codes(R.FORBIDDEN_ROLE))
def queue(request: Request, state: QueueState = "open", limit: int = LIMIT, cursor: str | None = CURSOR,
          who: Principal = Depends(principal)) -> Page[dict[str, Any]]:
    scope = scope_of("risk.reviews", state)
    key = decode_cursor(cursor, scope=scope, shape=(int, str, str))  # (priority, due at, review id)
    after = None if key is None else (int(key[0]), cursor_instant(key[1]), str(key[2]))
    rows = app_of(request).risk.queue(who, state=state, limit=limit + 1, after=after)
    return page_of(rows, limit=limit, scope=scope, key=lambda r: (r["priority"], r["due_at"], r["review_id"]))


@router.get("/review-counts", summary="How many reviews are open, cleared, confirmed, withdrawn; open ones overdue",
            response_model=out.ReviewCounts, openapi_extra=codes(R.FORBIDDEN_ROLE))
def review_counts(request: Request, who: Principal = Depends(principal)) -> dict[str, int]:
    return app_of(request).risk.review_counts(who)


@router.get("/reviews/{review_id}", summary="A review with its verdict, signals, linked accounts, history, audit",
            response_model=out.ReviewDetail, openapi_extra=codes(R.FORBIDDEN_ROLE, R.REVIEW_NOT_FOUND))
def review(review_id: str, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).risk.review(who, review_id)


@router.post("/reviews/{review_id}/decision", summary="Clear or confirm a review; settles its after-sale case",
             response_model=out.Review,
             openapi_extra=codes(R.FORBIDDEN_ROLE, R.REVIEW_NOT_FOUND, R.REVIEW_DECIDED, R.INVALID_DECISION,
                                 R.INVALID_REASON, R.INVALID_FIELD, R.NOTE_REQUIRED))
def decide(review_id: str, body: DecisionBody, request: Request,
           who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).risk.decide(who, review_id, decision=body.decision, reason=body.reason, note=body.note)


@router.get("/rules", summary="The risk rules in force, drafts included, with status and last backtest",
            response_model=out.Rules, openapi_extra=codes(R.FORBIDDEN_ROLE))
def rules(request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).risk_rules.rules(who)


@router.post("/rules", status_code=201, summary="Propose a draft rule: validated, backtested, run in shadow",
             response_model=out.RuleChange, openapi_extra=codes(R.FORBIDDEN_ROLE, R.INVALID_RULE))
def propose(request: Request, definition: dict[str, Any] = Body(..., examples=[RULE_EXAMPLE]),
            who: Principal = Depends(principal)) -> dict[str, Any]:
    rule_id = definition.get("id")
    if isinstance(rule_id, str) and len(rule_id) > MAX_RULE_ID:  # the rule state's key column holds 60
        raise AnxinError(R.INVALID_RULE, f"a rule id has at most {MAX_RULE_ID} characters", field="id")
    return app_of(request).risk_rules.propose_rule(who, definition)


@router.post("/rules/{rule_id}/status", summary="Set a rule live, shadow or off (live is refused beyond limits)",
             response_model=out.RuleChange,
             openapi_extra=codes(R.FORBIDDEN_ROLE, R.INVALID_STATUS, R.RULE_NOT_FOUND, R.RULE_BLOCKS_TOO_MANY,
                                 R.RULE_REVIEWS_TOO_MANY))
def set_status(rule_id: str, body: StatusBody, request: Request,
               who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).risk_rules.set_rule_status(who, rule_id, body.status)


@router.post("/backtest", summary="What a rule (by id, or a definition) would have done over the last days",
             response_model=out.Backtest,
             openapi_extra=codes(R.FORBIDDEN_ROLE, R.INVALID_FIELD, R.INVALID_RULE, R.RULE_NOT_FOUND))
def backtest(body: BacktestBody, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).risk_rules.backtest(who, rule_id=body.rule_id, definition=body.definition, days=body.days)


@router.post("/bans", status_code=201, summary="Ban a shop: new shops sharing its credentials are flagged",
             response_model=out.Ban,
             openapi_extra=codes(R.FORBIDDEN_ROLE, R.INVALID_FIELD, R.NOTE_REQUIRED, R.ALREADY_BANNED,
                                 R.SHOP_NOT_FOUND))
def ban(body: BanBody, request: Request, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).risk.ban_shop(who, body.shop_id, reason=body.reason)


@router.get("/shops/{shop_id}/credentials",
            summary="A shop's credentials, ban and onboarding verdicts (operators; reads are rate-watched)",
            response_model=out.ShopCredentials,
            openapi_extra=codes(R.FORBIDDEN_ROLE, R.ACCESS_BLOCKED, R.SHOP_NOT_FOUND))
def shop_credentials(request: Request, shop_id: str, who: Principal = Depends(principal)) -> dict[str, Any]:
    return app_of(request).risk.shop_credentials(who, shop_id)
