"""The care routing rulebook: the shipped file is valid (as `anxin rules check` sees it), and a broken one is
refused with every problem at once, each with its path."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from anxin.care.intents import INTENT_TOPICS
from anxin.care.routing_rules import (
    DEFAULT_ROUTING_RULEBOOK,
    CareRoutingError,
    load_routing_rules,
    parse_routing_rules,
)
from anxin.cli.rulebooks import check

RAW: dict[str, Any] = yaml.safe_load(DEFAULT_ROUTING_RULEBOOK.read_text(encoding="utf-8"))


def test_the_shipped_rulebook_is_valid() -> None:
    rules = load_routing_rules()
    assert rules.version == "care-routing-2026.12"
    assert [i.name for i in rules.intents] == list(INTENT_TOPICS)
    assert [i.name for i in rules.on("merchant")] == ["account.security", "merchant.policy"]
    assert rules.context_rules[0].id == "care.route.merchant_channel"
    assert rules.fallback == {"consumer": ("care.route.fallback.consumer", "merchant_cs"),
                              "merchant": ("care.route.fallback.merchant", "platform_cs")}
    report = check(DEFAULT_ROUTING_RULEBOOK)
    assert report.kind == "care_routing" and not report.problems, report.problems


def _broken() -> dict[str, Any]:
    raw = copy.deepcopy(RAW)
    raw["intents"]["order.modify"]["topic"] = "logistics"
    raw["intents"]["order.refund"] = {"topic": "order", "channels": ["consumer"]}
    raw["keyword_rules"][0]["intent"] = "complaint"
    raw["low_confidence"]["min_confidence"] = 1.5
    rules = raw["context_rules"]
    rules[1]["when"] = {"fact": "topic", "op": "eq", "value": "after_sale"}  # route case without its record
    rules[2]["route"] = "shop"
    rules[3]["when"] = {"all": [{"fact": "intent", "op": "in", "value": ["logistics.problem", "logistic.where"]},
                                {"fact": "parcel", "op": "is_true"}]}
    rules[4]["when"] = {"fact": "channel", "op": "eq", "value": "creator"}
    raw["fallback"]["merchant"]["route"] = "merchant_cs"
    return raw


def test_a_broken_rulebook_is_refused_with_every_problem_and_its_path() -> None:
    with pytest.raises(CareRoutingError) as refused:
        parse_routing_rules(_broken())
    found = "\n".join(refused.value.problems)
    for expected in (
        "intents.order.refund: not a care intent",
        "intents.order.modify.topic: order.modify belongs to 'order'",
        "keyword_rules[0].intent: string should match pattern",
        "low_confidence.min_confidence:",
        "context_rules[1].when: route 'case' needs {fact: has_open_case, op: is_true}",
        "context_rules[2].route: must be one of",
        "context_rules[3].when.all[1]: unknown fact 'parcel'",
        "context_rules[4].when: unknown channel 'creator'",
        "fallback.merchant.route: a merchant's consultation goes to platform_cs",
    ):
        assert expected in found, found


def test_a_channel_listed_twice() -> None:
    raw = copy.deepcopy(RAW)
    raw["intents"]["order.modify"]["channels"] = ["consumer", "consumer"]
    with pytest.raises(CareRoutingError, match=r"intents\.order\.modify\.channels: 'consumer' is listed twice"):
        parse_routing_rules(raw)


def test_cross_checks_report_together_once_the_shapes_are_right() -> None:
    raw = copy.deepcopy(RAW)
    del raw["intents"]["pre_sale.price"]
    raw["intents"]["merchant.policy"]["channels"] = ["consumer"]
    raw["intents"]["account.security"]["channels"] = ["consumer"]
    raw["keyword_rules"][0]["intent"] = "pre_sale.price"
    raw["keyword_rules"][1]["id"] = "care.route.merchant_channel"
    raw["context_rules"][3]["when"] = {"fact": "intent", "op": "eq", "value": "pre_sale.price"}
    with pytest.raises(CareRoutingError) as refused:
        parse_routing_rules(raw)
    assert refused.value.problems == [
        "intents: no intent is asked on the merchant channel",
        "keyword_rules[0].intent: unknown intent 'pre_sale.price'",
        "context_rules: intent 'pre_sale.price' is not in this rulebook's intents",
        "<root>: rule ids must be distinct, repeated: care.route.merchant_channel",
    ]


@pytest.mark.parametrize("key", ["kind", "version", "effective_from", "intents", "low_confidence", "fallback"])
def test_required_keys(key: str) -> None:
    raw = copy.deepcopy(RAW)
    del raw[key]
    with pytest.raises(CareRoutingError, match=f"{key}: required"):
        parse_routing_rules(raw)
