"""Pure guarantee policy: which guarantees cover an order now, and the decision on a claim.

Both return values that explain themselves: reason codes with the rule id and rulebook version, the
facts that were used and the trace of every comparison. Nothing here reads a clock or a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from anxin.aftersales.rulebook import Check, Guarantee, Rulebook
from anxin.core.rules import TraceStep, evaluate


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING_MERCHANT = "pending_merchant"
    REVIEW = "review"


ROUTE_OUTCOME = {"auto_approve": Outcome.APPROVED, "merchant": Outcome.PENDING_MERCHANT, "review": Outcome.REVIEW}


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    consumer_id: str
    shop_id: str
    merchant_id: str
    store_type: str
    shop_services: frozenset[str]
    item_tags: frozenset[str]
    paid_fen: int
    paid_at: dt.datetime
    shipped_at: dt.datetime | None
    signed_at: dt.datetime | None
    shipped: bool
    exemption_confirmed: bool
    parcel_problem: str = ""  # from fulfilment monitoring: lost, returned, refused, stalled, no_carrier_scan
    worry_free: bool = False  # 无忧服务: the listing carried the worry-free tag at payment and stock was reserved
    fulfilled_from: str = ""  # "warehouse" when shipped from the platform's warehouse, else empty

    def anchor(self, name: str) -> dt.datetime | None:
        return {"paid": self.paid_at, "shipped": self.shipped_at, "signed": self.signed_at}[name]

    def as_facts(self) -> dict[str, Any]:
        return {"item_tags": self.item_tags, "shop_services": self.shop_services, "paid_fen": self.paid_fen,
                "exemption_confirmed": self.exemption_confirmed, "store_type": self.store_type,
                "worry_free": self.worry_free, "fulfilled_from": self.fulfilled_from}


@dataclass(frozen=True)
class Claim:
    case_type: str
    reason: str
    amount_fen: int
    evidence_count: int = 0
    unsealed: bool = False


@dataclass(frozen=True)
class Reason:
    code: str
    rule: str
    version: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "rule": self.rule, "version": self.version, "detail": self.detail}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    guarantee_id: str | None
    rulebook_version: str
    decided_at: dt.datetime
    facts: dict[str, Any]
    trace: tuple[dict[str, Any], ...]
    merchant_response_hours: int | None = None
    compensation_multiplier: int = 0
    # Guarantees tried first that did not hold, and why ("not instant: paid 300 yuan or more").
    passed_over: tuple[Reason, ...] = ()
    # The risk context's verdict on the request (outcome, score, rules that fired, shadow rules), when asked.
    risk: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"outcome": self.outcome.value, "reasons": [r.as_dict() for r in self.reasons],
               "passed_over": [r.as_dict() for r in self.passed_over], "guarantee": self.guarantee_id,
               "rulebook_version": self.rulebook_version,
               "decided_at": self.decided_at.isoformat(), "facts": self.facts, "trace": list(self.trace)}
        if self.risk is not None:
            out["risk"] = self.risk
        return out


@dataclass(frozen=True)
class Coverage:
    guarantee: Guarantee
    state: str  # active | pending | expired | unavailable | not_applicable
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    reasons: tuple[Reason, ...]

    def as_dict(self) -> dict[str, Any]:
        g = self.guarantee
        return {"id": g.id, "service": g.service, "name": dict(g.name), "summary": dict(g.summary),
                "state": self.state, "opens_at": self.opens_at.isoformat() if self.opens_at else None,
                "closes_at": self.closes_at.isoformat() if self.closes_at else None,
                "reasons": [r.as_dict() for r in self.reasons]}


def _steps(trace: list[TraceStep], rule: str) -> list[dict[str, Any]]:
    return [{"rule": rule, **step.as_dict()} for step in trace]


def _serialisable(facts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if isinstance(value, frozenset | set):
            out[key] = sorted(value)
        elif isinstance(value, dt.datetime):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _fired(checks: tuple[Check, ...], facts: dict[str, Any], version: str,
           trace: list[dict[str, Any]], *, fire_when: bool) -> list[Reason]:
    """Checks whose condition came out as ``fire_when`` (exemptions fire on True, requirements on False)."""
    reasons = []
    for check in checks:
        passed, steps = evaluate(check.when, facts)
        trace += _steps(steps, check.id)
        if passed is fire_when:
            reasons.append(Reason(check.code, check.id, version))
    return reasons


def _window(g: Guarantee, order: OrderFacts, rb: Rulebook, now: dt.datetime,
            trace: list[dict[str, Any]]) -> tuple[dt.datetime | None, dt.datetime | None, Reason | None]:
    anchor_at = order.anchor(g.window.anchor)
    if anchor_at is None:
        trace.append({"rule": g.id, "path": "window", "fact": g.window.anchor + "_at", "op": "is_set",
                      "expected": True, "actual": None, "passed": False})
        return None, None, Reason("window.not_open", g.id, rb.version, {"anchor": g.window.anchor})
    opens, closes = g.window.bounds(anchor_at, rb.local_offset)
    inside = opens <= now < closes
    trace.append({"rule": g.id, "path": "window", "fact": "now", "op": "in_window",
                  "expected": [opens.isoformat(), closes.isoformat()], "actual": now.isoformat(), "passed": inside})
    if now < opens:
        return opens, closes, Reason("window.not_open", g.id, rb.version, {"opens_at": opens.isoformat()})
    if now >= closes:
        return opens, closes, Reason("window.closed", g.id, rb.version, {"closed_at": closes.isoformat()})
    return opens, closes, None


def _applies(g: Guarantee, facts: dict[str, Any], rb: Rulebook, trace: list[dict[str, Any]]) -> list[Reason]:
    reasons: list[Reason] = []
    if g.covers is not None:
        passed, steps = evaluate(g.covers, facts)
        trace += _steps(steps, g.id)
        if not passed:
            reasons.append(Reason("guarantee.not_offered", g.id, rb.version))
    reasons += _fired(g.exemptions, facts, rb.version, trace, fire_when=True)
    return reasons


def coverage(order: OrderFacts, rb: Rulebook, now: dt.datetime) -> list[Coverage]:
    """Every guarantee in the rulebook and where this order stands with it at ``now``."""
    result = []
    base = order.as_facts()
    # Requirements are shown as they would stand for a well-evidenced claim of the whole amount.
    hypothetical = {**base, "case_type": "refund_only", "reason": "quality", "amount_fen": order.paid_fen,
                    "refundable_fen": order.paid_fen, "shipped": order.shipped, "signed": order.signed_at is not None,
                    "evidence_count": 1, "unsealed": False, "consumer_cases_30d": 0,
                    "parcel_problem": order.parcel_problem, "consumer_credit": "unscored"}
    for g in rb.guarantees:
        trace: list[dict[str, Any]] = []
        not_applicable = _applies(g, base, rb, trace)
        if not_applicable:
            result.append(Coverage(g, "not_applicable", None, None, tuple(not_applicable)))
            continue
        opens, closes, why = _window(g, order, rb, now, trace)
        unmet = _fired(g.requires, hypothetical, rb.version, trace, fire_when=False)
        if opens is None:
            state = "pending"
        elif why is not None and why.code == "window.closed":
            state = "expired"
        elif unmet:
            state = "unavailable"
        else:
            state = "active" if why is None else "pending"
        result.append(Coverage(g, state, opens, closes, tuple(unmet if state == "unavailable" else
                                                               ([why] if why else []))))
    return result


def decide(order: OrderFacts, claim: Claim, rb: Rulebook, now: dt.datetime, *,
           refundable_fen: int, consumer_cases_30d: int, consumer_credit: str = "unscored") -> Decision:
    """The first guarantee that handles the claim and passes every check decides the route."""
    facts: dict[str, Any] = {
        **order.as_facts(), "case_type": claim.case_type, "reason": claim.reason, "amount_fen": claim.amount_fen,
        "refundable_fen": refundable_fen, "shipped": order.shipped, "signed": order.signed_at is not None,
        "evidence_count": claim.evidence_count, "unsealed": claim.unsealed,
        "consumer_cases_30d": consumer_cases_30d, "parcel_problem": order.parcel_problem,
        "consumer_credit": consumer_credit,
    }
    stored = _serialisable({**facts, "order_id": order.order_id, "paid_at": order.paid_at,
                            "shipped_at": order.shipped_at, "signed_at": order.signed_at, "now": now})
    trace: list[dict[str, Any]] = []
    rejected_because: list[Reason] = []
    chosen: Guarantee | None = None
    for g in rb.guarantees:
        if not g.handles(claim.case_type, claim.reason):
            continue
        why_not = _applies(g, facts, rb, trace)
        _, _, window_reason = _window(g, order, rb, now, trace)
        if window_reason is not None:
            why_not.append(window_reason)
        why_not += _fired(g.requires, facts, rb.version, trace, fire_when=False)
        if not why_not:
            chosen = g
            break
        rejected_because += why_not
    if chosen is None:
        if not rejected_because:
            rejected_because.append(Reason("guarantee.none_handles_claim", "-", rb.version,
                                           {"case_type": claim.case_type, "reason": claim.reason}))
        return Decision(Outcome.REJECTED, tuple(rejected_because), None, rb.version, now, stored, tuple(trace))
    outcome = ROUTE_OUTCOME[chosen.route or "merchant"]
    reasons = [Reason(f"guarantee.{outcome.value}", chosen.id, rb.version, {"service": chosen.service})]
    if outcome is not Outcome.REVIEW:
        review = _fired(rb.review_rules, facts, rb.version, trace, fire_when=True)
        if review:
            outcome = Outcome.REVIEW
            reasons += review
    return Decision(outcome, tuple(reasons), chosen.id, rb.version, now, stored, tuple(trace),
                    merchant_response_hours=chosen.merchant_response_hours or rb.deadlines.merchant_response_hours,
                    compensation_multiplier=chosen.compensation_multiplier, passed_over=tuple(rejected_because))


def offered(rb: Rulebook, facts: dict[str, Any]) -> list[Guarantee]:
    """The guarantees a listing's orders would carry: those whose ``covers`` holds for the listing-level facts
    (shop services, item tags, price, store type) and no exemption fires (the selection pool's badges)."""
    return [g for g in rb.guarantees if not _applies(g, facts, rb, [])]
