"""The consultation router at its edges: each context rule, the confidence threshold (exactly at it, just below,
with and without the opener's topic), the merchant channel, keyword overrides, and what a decision explains.

A stand-in model returns fixed probabilities so each edge is exact; the shipped model is checked on a few
plain texts at the end."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from anxin.care.intents import INTENT_TOPICS
from anxin.care.routing import NO_ORDER, IntentRouter, OrderContext, keyword_intent, load_router
from anxin.care.routing_rules import load_routing_rules

CLASSES = tuple(INTENT_TOPICS)
RULES = load_routing_rules()


class FixedModel:
    """The classifier's interface with chosen, exactly representable probabilities: ``best`` 1/2, ``second`` 1/4,
    the other consumer intents 1/8, 1/16 … in the vocabulary's order (summing to exactly 1/4); merchant.policy 0
    unless named. Renormalising over a channel's intents is then exact."""

    version = "fixed-test"
    classes = CLASSES

    def __init__(self, best: str, second: str = "pre_sale.price") -> None:
        others = [c for c in CLASSES if c not in (best, second) and c != "merchant.policy"]
        tail = [2.0 ** -(3 + i) for i in range(len(others) - 1)] + [2.0 ** -(len(others) + 1)]
        probs = {best: 0.5, second: 0.25, **dict(zip(others, tail, strict=True))}
        self.p = np.array([probs.get(c, 0.0) for c in CLASSES])
        assert self.p.sum() == 1.0

    def proba(self, text: str) -> Any:
        return self.p


def router(best: str, second: str = "pre_sale.price", **rules: Any) -> IntentRouter:
    return IntentRouter(rules=replace(RULES, **rules), model=FixedModel(best, second))  # type: ignore[arg-type]


ORDER = OrderContext(order_id="o1", order_state="shipped", has_shipment=True)
CASE = replace(ORDER, open_case_id="c1", open_case_state="awaiting_merchant")
STALLED = replace(ORDER, parcel_problem="parcel.stalled")
UNSHIPPED = OrderContext(order_id="o1", order_state="paid")


@pytest.mark.parametrize(("intent", "context", "route", "rule"), [
    ("after_sale.return", CASE, "case", "care.route.after_sale_case"),
    ("after_sale.progress", CASE, "case", "care.route.after_sale_case"),
    ("after_sale.quality", CASE, "case", "care.route.after_sale_case"),
    ("after_sale.quality", ORDER, "merchant_cs", "care.route.fallback.consumer"),  # no open case: the shop answers
    ("logistics.where", ORDER, "parcel", "care.route.where_parcel"),
    ("logistics.where", UNSHIPPED, "merchant_cs", "care.route.fallback.consumer"),  # nothing shipped: ask the shop
    ("logistics.where", STALLED, "platform_cs", "care.route.parcel_problem"),
    ("logistics.problem", STALLED, "platform_cs", "care.route.parcel_problem"),
    ("logistics.problem", ORDER, "merchant_cs", "care.route.fallback.consumer"),  # nothing found yet
    ("complaint.service", ORDER, "platform_cs", "care.route.platform_intents"),
    ("account.security", NO_ORDER, "platform_cs", "care.route.platform_intents"),
    ("order.cancel", replace(UNSHIPPED, contacts_before=1), "merchant_cs", "care.route.fallback.consumer"),
    ("order.cancel", replace(UNSHIPPED, contacts_before=2), "platform_cs", "care.route.repeated_contacts"),
    ("logistics.where", replace(ORDER, contacts_before=5), "parcel", "care.route.where_parcel"),  # earlier rule wins
    ("pre_sale.product_info", NO_ORDER, "merchant_cs", "care.route.fallback.consumer"),
])
def test_each_context_rule_and_the_consumer_fallback(intent: str, context: OrderContext, route: str,
                                                     rule: str) -> None:
    decision = router(intent).route(text="…", topic=INTENT_TOPICS[intent], channel="consumer", context=context)
    assert (decision.intent, decision.route, decision.rule_ids) == (intent, route, (rule,))
    assert decision.owner == (route if route in ("merchant_cs", "platform_cs") else None)
    assert decision.reason_codes == ("intent.classified", "route.fallback" if "fallback" in rule
                                     else "route.context_rule")
    assert decision.topic == INTENT_TOPICS[intent]


@pytest.mark.parametrize(("intent", "context"), [
    ("merchant.policy", NO_ORDER), ("account.security", NO_ORDER), ("merchant.policy", CASE),
])
def test_the_merchant_channel_always_goes_to_platform_cs(intent: str, context: OrderContext) -> None:
    decision = router(intent).route(text="保证金", topic=None, channel="merchant", context=context)
    assert (decision.route, decision.owner) == ("platform_cs", "platform_cs")
    assert decision.rule_ids == ("care.route.merchant_channel",)


def test_on_the_merchant_channel_only_its_intents_compete() -> None:
    # the model prefers a consumer intent; among the merchant channel's two the probabilities are renormalised
    decision = router("after_sale.return", second="merchant.policy").route(
        text="…", topic=None, channel="merchant", context=NO_ORDER)
    assert decision.intent == "merchant.policy"
    assert [t["intent"] for t in decision.facts["top_intents"]] == ["merchant.policy", "account.security"]
    security = FixedModel("after_sale.return", "merchant.policy").p[CLASSES.index("account.security")]
    assert decision.confidence == round(0.25 / (0.25 + security), 4)


def test_the_confidence_threshold_at_its_edge() -> None:
    def decide(min_confidence: float, topic: str | None, channel: str = "consumer", best: str = "logistics.where",
               second: str = "after_sale.progress") -> tuple[str, str, tuple[str, ...]]:
        d = router(best, second, min_confidence=min_confidence).route(text="…", topic=topic, channel=channel,
                                                                      context=NO_ORDER)
        return d.intent, d.reason_codes[0], d.rule_ids

    just_above = float(np.nextafter(0.5, 1.0))
    assert decide(0.5, "after_sale") == ("logistics.where", "intent.classified", ("care.route.fallback.consumer",))
    assert decide(just_above, "after_sale") == (
        "after_sale.progress", "intent.opener_topic", ("care.intent.low_confidence", "care.route.fallback.consumer"))
    # the opener's topic picks that topic's most probable intent, which may be the classifier's own best
    assert decide(just_above, "logistics")[:2] == ("logistics.where", "intent.opener_topic")
    # no topic to go by: the classifier's best stands, and says so
    assert decide(just_above, None)[:2] == ("logistics.where", "intent.low_confidence")
    # a topic with no intent on the channel cannot decide either (merchant channel: 1/2 and 1/4 renormalised)
    assert decide(0.9, "logistics", "merchant", "merchant.policy", "account.security")[:2] == \
        ("merchant.policy", "intent.low_confidence")
    assert decide(0.66, "logistics", "merchant", "merchant.policy", "account.security")[:2] == \
        ("merchant.policy", "intent.classified")  # 2/3 ≥ 0.66


@pytest.mark.parametrize(("text", "intent", "rule"), [
    ("我要投诉你们", "complaint.service", "care.kw.complaint"),
    ("再不处理打１２３１５", "complaint.service", "care.kw.complaint"),  # full-width digits fold
    ("我的账号被盗了", "account.security", "care.kw.account_stolen"),
    ("显示签收了但是没收到", "logistics.problem", "care.kw.signed_not_received"),
    ("投诉，账号被盗", "complaint.service", "care.kw.complaint"),  # the first rule in the rulebook's order wins
])
def test_keyword_rules_override_a_confident_classifier(text: str, intent: str, rule: str) -> None:
    decision = router("pre_sale.price", "logistics.where").route(text=text, topic="pre_sale", channel="consumer",
                                                    context=NO_ORDER)
    assert (decision.intent, decision.reason_codes[0], decision.rule_ids[0]) == (intent, "intent.keyword_rule", rule)
    assert decision.confidence < 0.25  # the classifier's probability of the overriding intent, shown as it is
    assert decision.facts["keyword_rules"][0]["id"] == rule


def test_a_keyword_rule_for_an_intent_not_asked_on_the_channel_is_ignored() -> None:
    decision = router("merchant.policy").route(text="买家投诉我们怎么申诉", topic=None, channel="merchant",
                                               context=NO_ORDER)
    assert decision.intent == "merchant.policy" and decision.reason_codes[0] == "intent.classified"
    assert decision.facts["keyword_rules"] == []


def test_a_decision_carries_versions_rule_ids_and_the_facts_it_used() -> None:
    decision = router("logistics.where", "logistics.problem").route(
        text="到哪了", topic="logistics", channel="consumer", context=ORDER)
    assert decision.rulebook_version == "care-routing-2026.12" and decision.model_version == "fixed-test"
    facts = decision.facts
    assert facts["context"]["order_id"] == "o1" and facts["opener_topic"] == "logistics"
    assert [t["intent"] for t in facts["top_intents"]] == ["logistics.where", "logistics.problem",
                                                           "pre_sale.product_info"]
    assert [t["probability"] for t in facts["top_intents"]] == [0.5, 0.25, 0.125]
    assert {s["fact"] for s in facts["route_trace"]} == {"intent", "has_shipment", "has_parcel_problem"}
    assert json.loads(json.dumps(decision.as_dict()))["route"] == "parcel"


@pytest.mark.parametrize(("topic", "channel"), [("shipping", "consumer"), (None, "creator")])
def test_unknown_topics_and_channels_are_refused(topic: str | None, channel: str) -> None:
    with pytest.raises(ValueError):
        router("order.modify").route(text="…", topic=topic, channel=channel, context=NO_ORDER)


def test_a_model_whose_intents_are_not_the_rulebooks_is_refused() -> None:
    model = FixedModel("order.modify")
    model.classes = CLASSES[:-1]  # type: ignore[misc]
    with pytest.raises(ValueError, match="intents"):
        IntentRouter(rules=RULES, model=model)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "topic", "channel", "intent"), [
    ("我要投诉", None, "consumer", "complaint.service"),  # a keyword rule
    ("退货退款怎么操作", None, "consumer", "after_sale.return"),  # the most intent keywords
    ("在吗", "order", "consumer", "order.modify"),  # nothing matches: the opener's topic's first intent
    ("在吗", None, "consumer", "pre_sale.product_info"),  # nor a topic: the channel's first intent
    ("在吗", None, "merchant", "account.security"),
    ("保证金什么时候退", None, "merchant", "merchant.policy"),
])
def test_the_keyword_baseline(text: str, topic: str | None, channel: str, intent: str) -> None:
    assert keyword_intent(RULES, text=text, topic=topic, channel=channel) == intent


@pytest.mark.parametrize(("text", "topic", "channel", "context", "intent", "route"), [
    ("你好，我的快递到哪了？", "logistics", "consumer", ORDER, "logistics.where", "parcel"),
    ("我要投诉这个商家，客服一直不回", None, "consumer", ORDER, "complaint.service", "platform_cs"),
    ("收到的杯子是碎的", "after_sale", "consumer", CASE, "after_sale.quality", "case"),
    ("帮我把地址改成杭州", "order", "consumer", UNSHIPPED, "order.modify", "merchant_cs"),
    ("保证金什么时候退", "merchant_policy", "merchant", NO_ORDER, "merchant.policy", "platform_cs"),
])
def test_the_shipped_router_on_plain_texts(text: str, topic: str | None, channel: str, context: OrderContext,
                                           intent: str, route: str) -> None:
    decision = load_router().route(text=text, topic=topic, channel=channel, context=context)
    assert (decision.intent, decision.route) == (intent, route), decision.facts["top_intents"]
    assert decision.model_version == "intents-2026.12"
