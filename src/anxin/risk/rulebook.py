"""The risk rulebook: versioned YAML, validated on load, every problem reported with its path.

Rules are conditions over the signals of one stage (a claim, a return, a shop's onboarding, access to
merchant data), each with an action (review | block), points towards the risk score, and a status:
``live`` acts, ``shadow`` is evaluated and logged without acting, ``off`` is skipped. Facts are declared
here, in code, because code computes them; the rulebook only compares them.

A rule that fires on a request with no risk signal at all (a first claim from a new account) would
block everyone: the loader refuses it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from anxin.core.rulebook_loading import ProblemCollector
from anxin.core.rules import Condition, FactSpec, FactType, RuleError, compile_condition, evaluate
from anxin.risk.model import Outcome

STAGES = ("claim", "return", "onboarding", "access")
STATUSES = ("live", "shadow", "off")
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "rulebooks" / "risk.yaml"


def _facts(*specs: tuple[str, FactType, str]) -> dict[str, FactSpec]:
    return {name: FactSpec(name, kind, text) for name, kind, text in specs}


_RING: tuple[tuple[str, FactType, str], ...] = (
    ("ring_member", "bool", "the account is in a component the ring score calls a ring"),
    ("ring_size", "int", "accounts in that ring (0 if none)"),
    ("ring_score", "int", "the ring's score, 0–100"),
    ("linked_abusers", "int", "accounts sharing a device, phone, payment or address with this one whose abuse "
                              "an operator confirmed"),
    ("confirmed_abuse", "int", "this account's own confirmed abuse verdicts"))

# What each stage's signals are, and their neutral values: a request that shows no risk at all.
FACTS: dict[str, dict[str, FactSpec]] = {
    "claim": _facts(
        ("amount_fen", "int", "amount claimed"), ("case_type", "str", "after-sale type"),
        ("reason", "str", "claimed reason"), ("evidence_count", "int", "images attached"),
        ("evidence_near_dups", "int", "attached images with a near-duplicate filed in another case"),
        ("evidence_other_accounts", "int", "other accounts whose evidence is a near-duplicate of this claim's"),
        ("evidence_other_shops", "int", "other shops the same or a near-identical image was filed against"),
        ("claims_30d", "int", "this account's claims in 30 days, this one included"),
        ("claims_90d", "int", "this account's claims in 90 days, this one included"),
        ("orders_90d", "int", "this account's orders in 90 days"),
        ("claim_rate_pct", "int", "claims per 100 orders in 90 days"),
        ("claim_rate_vs_peers_pct", "int", "that rate as a percentage of the platform's rate for accounts with "
                                           "as many orders"),
        ("refund_without_return_90d", "int", "refund-only claims on delivered orders in 90 days, this one included"),
        ("shops_claimed_30d", "int", "distinct shops claimed against in 30 days, this one included"),
        ("hours_since_delivery", "int", "hours from sign-off to the claim (-1: not delivered)"),
        ("threat_terms", "int", "threatening phrases in the claim's text"),
        ("velocity_x100", "int", "claims counted with a decay (half-life in the rulebook), × 100"),
        *_RING),
    "return": _facts(
        ("freight_declared_fen", "int", "return freight the consumer declared"),
        ("freight_tariff_fen", "int", "the carrier tariff for the parcel's weight and route"),
        ("freight_excess_pct", "int", "declared freight above the tariff, % of the tariff"),
        ("return_weight_pct", "int", "return parcel weight as % of the goods' weight (-1: not given)"),
        ("return_from_other_address", "bool", "the return left from an address other than the delivery address"),
        ("freight_flags_90d", "int", "this account's earlier returns flagged for freight in 90 days"),
        *_RING),
    "onboarding": _facts(
        ("banned_links", "int", "credentials shared with banned shops"),
        ("banned_link_kinds", "str_set", "which credentials (licence, legal_rep, phone, bank_account, device)"),
        ("linked_shops", "int", "other shops sharing a credential")),
    "access": _facts(
        ("reads_per_hour", "int", "merchant-credential reads by this principal in the last hour (decayed)"),
        ("shops_read_per_hour", "int", "distinct shops whose credentials it read in the last hour")),
}
NEUTRAL: dict[str, dict[str, Any]] = {
    "claim": {"amount_fen": 1, "case_type": "refund_only", "reason": "quality", "evidence_count": 0,
              "evidence_near_dups": 0, "evidence_other_accounts": 0, "evidence_other_shops": 0, "claims_30d": 1,
              "claims_90d": 1, "orders_90d": 1, "claim_rate_pct": 100, "claim_rate_vs_peers_pct": 100,
              "refund_without_return_90d": 0, "shops_claimed_30d": 1, "hours_since_delivery": -1,
              "threat_terms": 0, "velocity_x100": 100, "ring_member": False, "ring_size": 0, "ring_score": 0,
              "linked_abusers": 0, "confirmed_abuse": 0},
    "return": {"freight_declared_fen": 0, "freight_tariff_fen": 1000, "freight_excess_pct": 0,
               "return_weight_pct": 100, "return_from_other_address": False, "freight_flags_90d": 0,
               "ring_member": False, "ring_size": 0, "ring_score": 0, "linked_abusers": 0, "confirmed_abuse": 0},
    "onboarding": {"banned_links": 0, "banned_link_kinds": frozenset(), "linked_shops": 0},
    "access": {"reads_per_hour": 0, "shops_read_per_hour": 0},
}


@dataclass(frozen=True)
class Rule:
    id: str
    stage: str
    code: str
    action: Outcome
    points: int
    status: str
    message: Mapping[str, str]
    when: Condition
    source: Mapping[str, Any]  # the condition as written, for the console and the audit log


@dataclass(frozen=True)
class Tariff:
    first_kg_fen: int
    extra_kg_fen: int
    cross_province_extra_fen: int


@dataclass(frozen=True)
class RingRules:
    min_size: int
    max_size: int
    min_density_pct: int
    min_strong_kinds: int
    max_value_degree: int


@dataclass(frozen=True)
class RiskRulebook:
    version: str
    effective_from: dt.datetime
    mode: str  # enforce | shadow
    near_dup_radius: int
    velocity_half_life_hours: int
    review_sla_hours: Mapping[str, int]  # by the verdict under review: block | review
    max_block_share_pct: int  # activation guard over the backtest
    max_review_share_pct: int
    tariff: Tariff
    threat_terms: tuple[str, ...]
    rings: RingRules
    rules: tuple[Rule, ...]

    def for_stage(self, stage: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.stage == stage)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


class RiskRulebookError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("risk rulebook refused:\n  " + "\n  ".join(problems))
        self.problems = problems


def _rule(raw: Any, path: str, p: ProblemCollector, seen: set[str]) -> Rule | None:
    if not isinstance(raw, Mapping):
        p.add(f"{path}: must be a mapping")
        return None
    p.unknown(raw, path, ("id", "stage", "code", "action", "points", "status", "message", "when"))
    rule_id = p.text(raw, "id", path)
    if rule_id in seen:
        p.add(f"{path}.id: duplicate rule id {rule_id!r}")
    seen.add(rule_id)
    stage = p.choice(raw, "stage", path, STAGES)
    code = p.text(raw, "code", path)
    action = Outcome(p.choice(raw, "action", path, ("review", "block")))
    points = p.integer(raw, "points", path, low=0, high=1000)
    status = p.choice(raw, "status", path, STATUSES) if "status" in raw else "live"
    message = raw.get("message")
    if not isinstance(message, Mapping) or not {"zh-CN", "en"} <= set(message) or \
            not all(isinstance(v, str) and v for v in message.values()):
        p.add(f"{path}.message: needs non-empty zh-CN and en texts")
        message = {}
    try:
        when = compile_condition(raw.get("when"), FACTS[stage], f"{path}.when")
    except RuleError as exc:
        p.add(str(exc))
        return None
    rule = Rule(rule_id, stage, code, action, points, status, dict(message), when, dict(raw["when"]))
    fires, _ = evaluate(when, NEUTRAL[stage])
    if fires:
        p.add(f"{path}.when: fires on a request with no risk signal at all (a first claim from a new account); "
              f"as a {action.value} rule it would {action.value} everyone")
    return rule


def parse_rulebook(raw: Any) -> RiskRulebook:
    p = ProblemCollector()
    if not isinstance(raw, Mapping):
        raise RiskRulebookError(["the rulebook must be a mapping"])
    p.unknown(raw, "", ("version", "effective_from", "mode", "parameters", "review_sla_hours", "activation",
                        "freight_tariff", "threat_terms", "rings", "rules"))
    version = p.text(raw, "version", "")
    effective_from = p.instant(raw, "effective_from", "")
    mode = p.choice(raw, "mode", "", ("enforce", "shadow"))
    params = p.section(raw, "parameters", ("near_dup_radius", "velocity_half_life_hours"))
    radius = p.integer(params, "near_dup_radius", "parameters", low=0, high=16)
    half_life = p.integer(params, "velocity_half_life_hours", "parameters", low=1, high=24 * 365)
    sla_raw = p.section(raw, "review_sla_hours", ("block", "review"))
    sla = {k: p.integer(sla_raw, k, "review_sla_hours", low=1, high=24 * 30) for k in ("block", "review")}
    act = p.section(raw, "activation", ("max_block_share_pct", "max_review_share_pct"))
    max_block = p.integer(act, "max_block_share_pct", "activation", low=0, high=100)
    max_review = p.integer(act, "max_review_share_pct", "activation", low=0, high=100)
    t = p.section(raw, "freight_tariff", ("first_kg_fen", "extra_kg_fen", "cross_province_extra_fen"))
    tariff = Tariff(*(p.integer(t, k, "freight_tariff", low=0, high=100_000)
                      for k in ("first_kg_fen", "extra_kg_fen", "cross_province_extra_fen")))
    terms = raw.get("threat_terms")
    if not isinstance(terms, list) or not all(isinstance(x, str) and x.strip() for x in terms):
        p.add("threat_terms: must be a list of non-empty strings")
        terms = []
    r = p.section(raw, "rings", ("min_size", "max_size", "min_density_pct", "min_strong_kinds",
                                 "max_value_degree"))
    rings = RingRules(p.integer(r, "min_size", "rings", low=2), p.integer(r, "max_size", "rings", low=2),
                      p.integer(r, "min_density_pct", "rings", low=0, high=100),
                      p.integer(r, "min_strong_kinds", "rings", low=0, high=6),
                      p.integer(r, "max_value_degree", "rings", low=2))
    if rings.max_size < rings.min_size:
        p.add(f"rings.max_size: {rings.max_size} is below min_size {rings.min_size}")
    raw_rules = raw.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list):
        p.add("rules: required, a list")
    else:
        seen: set[str] = set()
        for i, item in enumerate(raw_rules):
            rule = _rule(item, f"rules[{i}]", p, seen)
            if rule is not None:
                rules.append(rule)
    if p.problems:
        raise RiskRulebookError(p.problems)
    assert effective_from is not None
    return RiskRulebook(version, effective_from, mode, radius, half_life, sla, max_block, max_review, tariff,
                        tuple(t.strip() for t in terms), rings, tuple(rules))


def parse_rule(raw: Any, *, taken: set[str] | None = None) -> Rule:
    """One rule on its own (an operator's draft), validated exactly as the rulebook's rules are."""
    p = ProblemCollector()
    rule = _rule(raw, "rule", p, set(taken or ()))
    if p.problems or rule is None:
        raise RiskRulebookError(p.problems or ["rule: could not be read"])
    return rule


def load_risk_rulebook(path: str | Path | None = None) -> RiskRulebook:
    target = Path(path) if path else DEFAULT_PATH
    try:
        raw = yaml.safe_load(target.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RiskRulebookError([f"{target}: {exc}"]) from None
    return parse_rulebook(raw)
