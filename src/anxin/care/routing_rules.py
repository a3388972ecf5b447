"""The care routing rulebook (``rulebooks/care_routing.yaml``, ``kind: care_routing``) as a strict model: the
intents with their topic, channels and baseline keywords; keyword rules that override the classifier; the minimum
confidence under which the opener's topic decides; context rules (conditions on the intent and the order's
context) that pick a route; the fallback route per channel. Validated completely on load: every problem at once,
with its path (``context_rules[2].when: unknown intent 'logistic.where'``). Imports only ``core`` and the care
vocabulary (``care.intents``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from anxin.care.intents import INTENT_TOPICS, TOPICS, fold
from anxin.core.rulebook_models import (
    ConditionSpec,
    Instant,
    NonEmpty,
    RulebookKind,
    RulebookModel,
    RulebookProblems,
    check_condition,
    compiled,
    refuse,
)
from anxin.core.rules import AllOf, Condition, FactSpec, Leaf

DEFAULT_ROUTING_RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "care_routing.yaml"

CHANNELS: tuple[str, ...] = ("consumer", "merchant")
ROUTES: tuple[str, ...] = ("merchant_cs", "platform_cs", "case", "parcel")
OWNERS: tuple[str, ...] = ("merchant_cs", "platform_cs")  # the routes a ticket is opened for

Channel = Literal["consumer", "merchant"]
Route = Literal["merchant_cs", "platform_cs", "case", "parcel"]
Topic = Literal["pre_sale", "order", "logistics", "after_sale", "account", "merchant_policy"]
RuleId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_.]*$")]
IntentName = Annotated[str, Field(pattern=r"^[a-z][a-z_]*\.[a-z][a-z_]*$")]
Term = Annotated[str, Field(min_length=1, max_length=40)]

# What a context rule may ask about: the classified intent and the order's context when the consultation opened.
# A string fact that is absent (no order, no case, no parcel problem, no topic picked) is "".
ROUTING_FACTS: dict[str, FactSpec] = {f.name: f for f in (
    FactSpec("channel", "str", "consumer | merchant"),
    FactSpec("intent", "str", "the intent the router settled on"),
    FactSpec("topic", "str", "that intent's topic"),
    FactSpec("opener_topic", "str", "the topic the opener picked, '' when none"),
    FactSpec("has_order", "bool", "the consultation is about an order"),
    FactSpec("order_state", "str", "the orders context's state of that order, '' when none"),
    FactSpec("has_shipment", "bool", "the order has a shipment (a parcel with a timeline)"),
    FactSpec("has_open_case", "bool", "the order has an open after-sale case"),
    FactSpec("open_case_state", "str", "that case's state, '' when none"),
    FactSpec("has_parcel_problem", "bool", "fulfilment found a problem with the order's parcel or shipment"),
    FactSpec("parcel_problem", "str", "the finding's kind (parcel.stalled, late_shipment …), '' when none"),
    FactSpec("contacts_before", "int", "this opener's consultations about the same order in the last 7 days"),
)}
# The string facts whose values come from a closed vocabulary, checked when the rulebook loads.
_VOCABULARY: dict[str, tuple[str, ...]] = {"channel": CHANNELS, "intent": tuple(INTENT_TOPICS), "topic": TOPICS,
                                           "opener_topic": (*TOPICS, "")}
# A route that hands the consultation to a record must know the record exists.
_ROUTE_NEEDS: dict[str, str] = {"case": "has_open_case", "parcel": "has_shipment"}


class IntentSpec(RulebookModel):
    topic: Topic
    channels: Annotated[list[Channel], Field(min_length=1)]
    keywords: list[Term] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _distinct(cls, channels: list[str]) -> list[str]:
        refuse([("", f"{c!r} is listed twice") for c in sorted(set(channels)) if channels.count(c) > 1], channels)
        return channels


class KeywordRuleSpec(RulebookModel):
    id: RuleId
    any: Annotated[list[Term], Field(min_length=1)]
    intent: IntentName


class LowConfidenceSpec(RulebookModel):
    id: RuleId
    min_confidence: Annotated[float, Field(gt=0.0, lt=1.0)]


class ContextRuleSpec(RulebookModel):
    id: RuleId
    when: ConditionSpec
    route: Route

    @field_validator("when")
    @classmethod
    def _compiles(cls, when: dict[str, Any]) -> dict[str, Any]:
        check_condition(when, ROUTING_FACTS)
        found = [(at, f"unknown {fact} {value!r}; one of {list(_VOCABULARY[fact])}")
                 for at, fact, value in _string_values(when, "") if value not in _VOCABULARY[fact]]
        refuse(found, when)
        return dict(when)

    @model_validator(mode="after")
    def _route_has_its_record(self) -> ContextRuleSpec:
        needed = _ROUTE_NEEDS.get(self.route)
        if needed and not _requires(compiled(self.when, ROUTING_FACTS, "when"), needed):
            refuse([(".when", f"route {self.route!r} needs {{fact: {needed}, op: is_true}} in the condition (or "
                              "in its top-level all): without the record there is nothing to answer with")], self)
        return self


class FallbackRule(RulebookModel):
    id: RuleId
    route: Literal["merchant_cs", "platform_cs"]


class FallbackSpec(RulebookModel):
    consumer: FallbackRule
    merchant: FallbackRule

    @field_validator("merchant")
    @classmethod
    def _platform(cls, rule: FallbackRule) -> FallbackRule:
        if rule.route != "platform_cs":
            refuse([(".route", "a merchant's consultation goes to platform_cs: merchants do not answer themselves")],
                   rule)
        return rule


class CareRoutingSpec(RulebookModel):
    kind: Literal["care_routing"]
    version: NonEmpty
    effective_from: Instant
    intents: Annotated[dict[IntentName, IntentSpec], Field(min_length=1)]
    keyword_rules: list[KeywordRuleSpec] = Field(default_factory=list)
    low_confidence: LowConfidenceSpec
    context_rules: list[ContextRuleSpec] = Field(default_factory=list)
    fallback: FallbackSpec

    @field_validator("intents")
    @classmethod
    def _care_intents(cls, intents: dict[str, IntentSpec]) -> dict[str, IntentSpec]:
        # a field validator, so these are reported with the other fields' problems
        found: list[tuple[str, str]] = []
        for name, spec in intents.items():
            if name not in INTENT_TOPICS:
                found.append((f".{name}", f"not a care intent; one of {list(INTENT_TOPICS)}"))
            elif spec.topic != INTENT_TOPICS[name]:
                found.append((f".{name}.topic", f"{name} belongs to {INTENT_TOPICS[name]!r}"))
        refuse(found, intents)
        return intents

    @model_validator(mode="after")
    def _cross_checks(self) -> CareRoutingSpec:
        found: list[tuple[str, str]] = []
        for channel in CHANNELS:
            if not any(channel in spec.channels for spec in self.intents.values()):
                found.append((".intents", f"no intent is asked on the {channel} channel"))
        for i, rule in enumerate(self.keyword_rules):
            if rule.intent not in self.intents:
                found.append((f".keyword_rules[{i}].intent", f"unknown intent {rule.intent!r}"))
        used = {v for _, fact, v in (x for r in self.context_rules for x in _string_values(r.when, ""))
                if fact == "intent"}
        found += [(".context_rules", f"intent {v!r} is not in this rulebook's intents")
                  for v in sorted(used - set(self.intents))]
        ids = [r.id for r in self.keyword_rules] + [r.id for r in self.context_rules] + [
            self.low_confidence.id, self.fallback.consumer.id, self.fallback.merchant.id]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            found.append(("", f"rule ids must be distinct, repeated: {', '.join(repeated)}"))
        refuse(found, self)
        return self


def _string_values(raw: Mapping[str, Any], at: str) -> Iterator[tuple[str, str, str]]:
    """(path, fact, value) of every closed-vocabulary string a condition compares with."""
    for group in ("all", "any"):
        for i, item in enumerate(raw.get(group) or ()):
            if isinstance(item, Mapping):
                yield from _string_values(item, f"{at}.{group}[{i}]")
    if isinstance(raw.get("not"), Mapping):
        yield from _string_values(raw["not"], f"{at}.not")
    fact, value = raw.get("fact"), raw.get("value")
    if fact in _VOCABULARY:
        for v in value if isinstance(value, list) else [value] if isinstance(value, str) else []:
            yield at, str(fact), v


def _requires(condition: Condition, fact: str) -> bool:
    """The condition holds only when the bool ``fact`` is true: it is that leaf, or a leaf of its top-level all."""
    leaves = condition.items if isinstance(condition, AllOf) else (condition,)
    return any(isinstance(x, Leaf) and x.fact == fact and x.op == "is_true" for x in leaves)


# --- the loaded rulebook ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IntentInfo:
    name: str
    topic: str
    channels: frozenset[str]
    keywords: tuple[str, ...]  # folded


@dataclass(frozen=True)
class KeywordRule:
    id: str
    terms: tuple[str, ...]  # folded
    intent: str


@dataclass(frozen=True)
class ContextRule:
    id: str
    condition: Condition
    route: str


@dataclass(frozen=True)
class RoutingRules:
    version: str
    effective_from: dt.datetime
    intents: tuple[IntentInfo, ...]  # in the rulebook's order
    keyword_rules: tuple[KeywordRule, ...]
    low_confidence_id: str
    min_confidence: float
    context_rules: tuple[ContextRule, ...]
    fallback: dict[str, tuple[str, str]]  # channel -> (rule id, route)
    source: str = "<memory>"

    def intent(self, name: str) -> IntentInfo:
        return next(i for i in self.intents if i.name == name)

    def on(self, channel: str) -> tuple[IntentInfo, ...]:
        """The intents asked on ``channel``, in the rulebook's order."""
        return tuple(i for i in self.intents if channel in i.channels)


def _rules_of(spec: CareRoutingSpec, source: str) -> RoutingRules:
    return RoutingRules(
        version=spec.version, effective_from=spec.effective_from,
        intents=tuple(IntentInfo(name, s.topic, frozenset(s.channels), tuple(fold(k) for k in s.keywords))
                      for name, s in spec.intents.items()),
        keyword_rules=tuple(KeywordRule(r.id, tuple(fold(t) for t in r.any), r.intent) for r in spec.keyword_rules),
        low_confidence_id=spec.low_confidence.id, min_confidence=spec.low_confidence.min_confidence,
        context_rules=tuple(ContextRule(r.id, compiled(r.when, ROUTING_FACTS, f"context_rules[{i}].when"), r.route)
                            for i, r in enumerate(spec.context_rules)),
        fallback={c: (getattr(spec.fallback, c).id, getattr(spec.fallback, c).route) for c in CHANNELS},
        source=source)


class CareRoutingError(RulebookProblems):
    title = "invalid care routing rulebook"


ROUTING_KIND = RulebookKind(CareRoutingSpec, CareRoutingError, DEFAULT_ROUTING_RULEBOOK, _rules_of)
parse_routing_rules = ROUTING_KIND.parse
load_routing_rules = ROUTING_KIND.load  # the packaged file by default
