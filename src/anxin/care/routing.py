"""Routing a consultation: its intent from the text (the classifier, keyword rules, the opener's topic when the
classifier is unsure) and its route from the intent and the order's context (the rulebook's context rules, then
the channel's fallback): to the merchant's customer service, to the platform's, to the open after-sale case or to
the parcel timeline when those answer it.

Pure: the caller builds the ``OrderContext`` from the orders, after-sales and fulfilment services when the
consultation opens. Every decision explains itself: reason codes, the rule ids, the rulebook and model versions,
and the facts it used (the top-3 intents with probabilities, the keyword rules that matched, the context, the
trace of the context rule that decided).

Reason codes: the intent's — ``intent.classified`` (the classifier's best, confident), ``intent.keyword_rule`` (a
keyword rule overrode it), ``intent.opener_topic`` (unsure: the opener's topic decided), ``intent.low_confidence``
(unsure and no topic to go by: the classifier's best stands) — then the route's: ``route.context_rule`` or
``route.fallback``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from anxin.care.intents import MODELS_DIR, TOPICS, IntentModel, fold, load_shipped_model
from anxin.care.routing_rules import CHANNELS, OWNERS, RoutingRules, load_routing_rules
from anxin.core.rules import evaluate


@dataclass(frozen=True)
class OrderContext:
    """What the router knows about the order a consultation is about (all empty: no order)."""

    order_id: str | None = None
    order_state: str | None = None  # the orders context's state string (paid, shipped, signed, cancelled …)
    has_shipment: bool = False
    open_case_id: str | None = None
    open_case_state: str | None = None  # aftersales CaseState value
    parcel_problem: str | None = None  # fulfilment finding kind (parcel.stalled, parcel.exception, late_shipment …)
    contacts_before: int = 0  # this opener's consultations about the same order in the last 7 days

    def facts(self) -> dict[str, Any]:
        """The context as the rulebook's facts (absent strings are "")."""
        return {"has_order": self.order_id is not None, "order_state": self.order_state or "",
                "has_shipment": self.has_shipment, "has_open_case": self.open_case_id is not None,
                "open_case_state": self.open_case_state or "", "has_parcel_problem": self.parcel_problem is not None,
                "parcel_problem": self.parcel_problem or "", "contacts_before": self.contacts_before}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


NO_ORDER = OrderContext()


@dataclass(frozen=True)
class RoutingDecision:
    intent: str
    topic: str
    route: str  # merchant_cs | platform_cs | case | parcel
    owner: str | None  # the ticket's owner; None when the route is case or parcel
    confidence: float  # the classifier's probability of ``intent`` (among the channel's intents), 4 places
    reason_codes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str
    model_version: str
    facts: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "topic": self.topic, "route": self.route, "owner": self.owner,
                "confidence": self.confidence, "reason_codes": list(self.reason_codes),
                "rule_ids": list(self.rule_ids), "rulebook_version": self.rulebook_version,
                "model_version": self.model_version, "facts": self.facts}


class Router(Protocol):
    def route(self, *, text: str, topic: str | None, channel: str, context: OrderContext) -> RoutingDecision: ...


@dataclass(frozen=True)
class IntentVerdict:
    """The intent half of a decision (what ``anxin care eval`` scores)."""

    intent: str
    confidence: float
    reason_code: str
    rule_ids: tuple[str, ...]
    top: tuple[tuple[str, float], ...]  # the channel's intents, most probable first (3)
    keyword_rules: tuple[dict[str, Any], ...]  # every keyword rule that matched: id, terms, intent


class IntentRouter:
    """The router of the spec: a routing rulebook and a classifier whose classes are that rulebook's intents."""

    def __init__(self, *, rules: RoutingRules, model: IntentModel) -> None:
        names = {i.name for i in rules.intents}
        if set(model.classes) != names:
            raise ValueError(f"the model's intents {sorted(model.classes)} are not the rulebook's {sorted(names)}")
        self.rules = rules
        self.model = model
        self._columns = {c: [model.classes.index(i.name) for i in rules.on(c)] for c in CHANNELS}

    @property
    def rulebook_version(self) -> str:
        return self.rules.version

    @property
    def model_version(self) -> str:
        return self.model.version

    def classify(self, *, text: str, topic: str | None, channel: str) -> IntentVerdict:
        _check(topic, channel)
        allowed = self.rules.on(channel)
        p = self.model.proba(text)[self._columns[channel]]
        p = p / p.sum()
        probability = {info.name: float(p[j]) for j, info in enumerate(allowed)}
        ranked = sorted(probability.items(), key=lambda kv: -kv[1])  # stable: ties keep the rulebook's order
        top = tuple((name, round(pr, 4)) for name, pr in ranked[:3])
        folded = fold(text)
        names = {i.name for i in allowed}
        matched = [r for r in self.rules.keyword_rules if r.intent in names and any(t in folded for t in r.terms)]
        best, best_p = ranked[0]
        ids: tuple[str, ...] = ()
        if matched:
            intent, code, ids = matched[0].intent, "intent.keyword_rule", (matched[0].id,)
        elif best_p >= self.rules.min_confidence:
            intent, code = best, "intent.classified"
        else:
            of_topic = [name for name, _ in ranked if topic is not None and self.rules.intent(name).topic == topic]
            intent = of_topic[0] if of_topic else best
            code = "intent.opener_topic" if of_topic else "intent.low_confidence"
            ids = (self.rules.low_confidence_id,)
        shown = tuple({"id": r.id, "terms": [t for t in r.terms if t in folded], "intent": r.intent} for r in matched)
        return IntentVerdict(intent, round(probability[intent], 4), code, ids, top, shown)

    def route(self, *, text: str, topic: str | None, channel: str, context: OrderContext) -> RoutingDecision:
        verdict = self.classify(text=text, topic=topic, channel=channel)
        intent_topic = self.rules.intent(verdict.intent).topic
        facts = {"channel": channel, "intent": verdict.intent, "topic": intent_topic, "opener_topic": topic or "",
                 **context.facts()}
        route, route_id, code, trace = "", "", "route.fallback", []
        for rule in self.rules.context_rules:
            passed, steps = evaluate(rule.condition, facts)
            if passed:
                route, route_id, code, trace = rule.route, rule.id, "route.context_rule", steps
                break
        if not route:
            route_id, route = self.rules.fallback[channel]
        return RoutingDecision(
            intent=verdict.intent, topic=intent_topic, route=route, owner=route if route in OWNERS else None,
            confidence=verdict.confidence, reason_codes=(verdict.reason_code, code),
            rule_ids=(*verdict.rule_ids, route_id), rulebook_version=self.rules.version,
            model_version=self.model.version,
            facts={"channel": channel, "opener_topic": topic, "context": context.as_dict(),
                   "top_intents": [{"intent": n, "probability": p} for n, p in verdict.top],
                   "keyword_rules": list(verdict.keyword_rules), "min_confidence": self.rules.min_confidence,
                   "route_trace": [s.as_dict() for s in trace]})


def keyword_intent(rules: RoutingRules, *, text: str, topic: str | None, channel: str) -> str:
    """The keyword-only baseline the classifier is measured against: the first matching keyword rule; else the
    channel's intent whose rulebook keywords match most (then the longest matched, then the rulebook's order);
    else the first intent of the opener's topic; else the channel's first intent."""
    _check(topic, channel)
    folded = fold(text)
    allowed = rules.on(channel)
    names = {i.name for i in allowed}
    for rule in rules.keyword_rules:
        if rule.intent in names and any(t in folded for t in rule.terms):
            return rule.intent
    best, best_key = None, (0, 0)
    for info in allowed:
        hits = [k for k in info.keywords if k in folded]
        key = (len(hits), sum(len(k) for k in hits))
        if key > best_key:
            best, best_key = info.name, key
    if best is not None:
        return best
    of_topic = [i.name for i in allowed if i.topic == topic]
    return of_topic[0] if of_topic else allowed[0].name


def _check(topic: str | None, channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
    if topic is not None and topic not in TOPICS:
        raise ValueError(f"topic must be one of {TOPICS} or None, got {topic!r}")


def load_router(path: Path | None = None, *, models: Path = MODELS_DIR) -> IntentRouter:
    """The router from a routing rulebook (default: the packaged one) and the model its manifest names (default:
    the shipped one)."""
    return IntentRouter(rules=load_routing_rules(path), model=load_shipped_model(models))
