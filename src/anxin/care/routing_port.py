"""The port between care's use cases and intent routing: what a router is given (``OrderContext``, built by care from
the orders, after-sales and fulfilment services when a consultation opens) and what it answers (``RoutingDecision``,
stored with the consultation). Pure; the real router (rulebook + character n-gram classifier) lives in
``care.routing`` and implements ``Router``; tests use small deterministic fakes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from anxin.care.model import INTENT_TOPICS, Channel, Owner, Route


@dataclass(frozen=True)
class OrderContext:
    """The order a consultation is about, as the other contexts know it at opening time (all None/False/0 without
    an order)."""

    order_id: str | None = None
    order_state: str | None = None  # the orders context's status (paid, shipped, delivered, cancelled …)
    has_shipment: bool = False
    open_case_id: str | None = None
    open_case_state: str | None = None  # the after-sales CaseState value
    parcel_problem: str | None = None  # a fulfilment finding kind (parcel.stalled, parcel.exception, late_shipment …)
    contacts_before: int = 0  # this opener's consultations about the same order in the last 7 days

    def facts(self) -> dict[str, Any]:
        """The context as the routing rulebook's facts (absent strings are "")."""
        return {"has_order": self.order_id is not None, "order_state": self.order_state or "",
                "has_shipment": self.has_shipment, "has_open_case": self.open_case_id is not None,
                "open_case_state": self.open_case_state or "", "has_parcel_problem": self.parcel_problem is not None,
                "parcel_problem": self.parcel_problem or "", "contacts_before": self.contacts_before}

    def as_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "order_state": self.order_state, "has_shipment": self.has_shipment,
                "open_case_id": self.open_case_id, "open_case_state": self.open_case_state,
                "parcel_problem": self.parcel_problem, "contacts_before": self.contacts_before}


NO_ORDER = OrderContext()


@dataclass(frozen=True)
class RoutingDecision:
    """Where a consultation goes and why: a decision that explains itself (stored and shown)."""

    intent: str
    topic: str
    route: str
    owner: str | None  # None when the route is case / parcel
    confidence: float  # the classifier's probability of ``intent``, rounded to 4 places
    reason_codes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str
    model_version: str
    facts: dict[str, Any] = field(default_factory=dict)  # context used, top intents, matched keyword rules

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "topic": self.topic, "route": self.route, "owner": self.owner,
                "confidence": self.confidence, "reason_codes": list(self.reason_codes),
                "rule_ids": list(self.rule_ids), "rulebook_version": self.rulebook_version,
                "model_version": self.model_version, "facts": dict(self.facts)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RoutingDecision:
        return cls(d["intent"], d["topic"], d["route"], d.get("owner"), float(d["confidence"]),
                   tuple(d.get("reason_codes", ())), tuple(d.get("rule_ids", ())), d["rulebook_version"],
                   d["model_version"], dict(d.get("facts", {})))


class Router(Protocol):
    def route(self, *, text: str, topic: str | None, channel: str, context: OrderContext) -> RoutingDecision: ...


def decision_problems(d: RoutingDecision) -> list[str]:
    """What makes a router's answer unusable (a bug in the router, not the caller's fault)."""
    found = []
    if d.intent not in INTENT_TOPICS:
        found.append(f"unknown intent {d.intent!r}")
    elif INTENT_TOPICS[d.intent] != d.topic:
        found.append(f"intent {d.intent} belongs to topic {INTENT_TOPICS[d.intent]}, not {d.topic}")
    if d.route not in tuple(Route):
        found.append(f"unknown route {d.route!r}")
    elif d.route in (Route.CASE, Route.PARCEL) and d.owner is not None:
        found.append(f"route {d.route} has no owner, got {d.owner!r}")
    elif d.route in (Route.MERCHANT_CS, Route.PLATFORM_CS) and d.owner != d.route:
        found.append(f"route {d.route} is owned by {d.route}, got {d.owner!r}")
    if not (isinstance(d.confidence, int | float) and math.isfinite(d.confidence) and 0 <= d.confidence <= 1):
        found.append(f"confidence must be within [0, 1], got {d.confidence!r}")
    return found


def settle_route(d: RoutingDecision, *, channel: str, shop_id: str | None, open_case_id: str | None,
                 order_id: str | None) -> RoutingDecision:
    """The router's decision made safe for what care can do: the merchant channel always goes to platform CS, a
    merchant route needs a shop, a case route an open case and a parcel route an order; otherwise platform CS,
    with a reason code saying why."""
    reason = None
    if channel == Channel.MERCHANT and d.route != Route.PLATFORM_CS:
        reason = "care.merchant_channel_to_platform"
    elif d.route == Route.MERCHANT_CS and shop_id is None:
        reason = "care.no_shop_for_merchant"
    elif d.route == Route.CASE and open_case_id is None:
        reason = "care.no_open_case"
    elif d.route == Route.PARCEL and order_id is None:
        reason = "care.no_order_for_parcel"
    if reason is None:
        return d
    return RoutingDecision(d.intent, d.topic, Route.PLATFORM_CS.value, Owner.PLATFORM_CS.value, d.confidence,
                           (*d.reason_codes, reason), d.rule_ids, d.rulebook_version, d.model_version,
                           {**d.facts, "router_route": d.route})


def fallback_owner(*, channel: str, shop_id: str | None) -> str:
    """Who owns the ticket that a customer's follow-up opens on a case or parcel answer: the shop's customer
    service for a consumer with a shop, platform CS otherwise."""
    return Owner.MERCHANT_CS.value if channel == Channel.CONSUMER and shop_id is not None else Owner.PLATFORM_CS.value
