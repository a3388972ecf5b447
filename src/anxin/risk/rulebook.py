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
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator

from anxin.core.rulebook_models import (
    Between,
    ConditionSpec,
    Instant,
    NonEmpty,
    Pct,
    RulebookKind,
    RulebookModel,
    RulebookProblems,
    Text,
    check_condition,
    compiled,
    problem,
    validated,
)
from anxin.core.rules import Condition, FactSpec, FactType, evaluate
from anxin.risk.model import Outcome

Stage = Literal["claim", "return", "onboarding", "access"]
Status = Literal["live", "shadow", "off"]
STAGES: tuple[str, ...] = get_args(Stage)
STATUSES: tuple[str, ...] = get_args(Status)
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
        ("evidence_own_orders", "int", "this account's other orders whose evidence nearly matches this claim's"),
        ("last_mile_elsewhere", "bool", "a not-received claim whose parcel's last scan was in another region than "
                                        "the delivery address (misdelivered)"),
        ("returns_refused_90d", "int", "this account's returns merchants refused on inspection in 90 days"),
        ("no_reason_claims_90d", "int", "this account's no-reason claims in 90 days, this one included"),
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
              "threat_terms": 0, "velocity_x100": 100, "evidence_own_orders": 0, "last_mile_elsewhere": False,
              "returns_refused_90d": 0,
              "no_reason_claims_90d": 0, "ring_member": False, "ring_size": 0, "ring_score": 0,
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


class RiskRulebookError(RulebookProblems):
    title = "risk rulebook refused"


class RuleSpec(RulebookModel):
    id: NonEmpty
    stage: Stage
    code: NonEmpty
    action: Literal["review", "block"]
    points: Annotated[int, Between(0, 1000)]
    status: Status = "live"
    message: Text
    when: ConditionSpec

    @field_validator("when")
    @classmethod
    def _reads_the_stage_facts(cls, when: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        stage = info.data.get("stage")
        return dict(check_condition(when, FACTS[stage])) if stage in FACTS else when

    @model_validator(mode="after")
    def _not_on_a_clean_request(self) -> RuleSpec:
        fires, _ = evaluate(compiled(self.when, FACTS[self.stage], "when"), NEUTRAL[self.stage])
        if fires:
            raise problem(f"fires on a request with no risk signal at all (a first claim from a new account); "
                          f"as a {self.action} rule it would {self.action} everyone", ".when")
        return self

    def rule(self, path: str) -> Rule:
        return Rule(self.id, self.stage, self.code, Outcome(self.action), self.points, self.status,
                    {"zh-CN": self.message.zh_cn, "en": self.message.en},
                    compiled(self.when, FACTS[self.stage], f"{path}.when"), dict(self.when))


class ParametersSpec(RulebookModel):
    near_dup_radius: Annotated[int, Between(0, 16)]  # bits of a 64-bit perceptual hash
    velocity_half_life_hours: Annotated[int, Between(1, 24 * 365)]


class ReviewSlaSpec(RulebookModel):
    block: Annotated[int, Between(1, 24 * 30)]
    review: Annotated[int, Between(1, 24 * 30)]


class ActivationSpec(RulebookModel):
    max_block_share_pct: Pct
    max_review_share_pct: Pct


class TariffSpec(RulebookModel):
    first_kg_fen: Annotated[int, Between(0, 100_000)]
    extra_kg_fen: Annotated[int, Between(0, 100_000)]
    cross_province_extra_fen: Annotated[int, Between(0, 100_000)]


class RingsSpec(RulebookModel):
    min_size: Annotated[int, Between(2)]
    max_size: Annotated[int, Between(2)]
    min_density_pct: Pct
    min_strong_kinds: Annotated[int, Between(0, 6)]
    max_value_degree: Annotated[int, Between(2)]

    @model_validator(mode="after")
    def _ordered(self) -> RingsSpec:
        if self.max_size < self.min_size:
            raise problem(f"{self.max_size} is below min_size {self.min_size}", ".max_size")
        return self


class RiskRulebookSpec(RulebookModel):
    """The risk rulebook file (``kind: risk``)."""

    kind: Literal["risk"]
    version: NonEmpty
    effective_from: Instant
    mode: Literal["enforce", "shadow"]
    parameters: ParametersSpec
    review_sla_hours: ReviewSlaSpec
    activation: ActivationSpec
    freight_tariff: TariffSpec
    threat_terms: list[Annotated[str, Field(min_length=1, pattern=r"\S")]]
    rings: RingsSpec
    rules: list[RuleSpec]

    @model_validator(mode="after")
    def _unique_ids(self) -> RiskRulebookSpec:
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.id in seen:
                raise problem(f"duplicate rule id {rule.id!r}", f"rules[{i}].id")
            seen.add(rule.id)
        return self


def _rulebook_of(spec: RiskRulebookSpec, _source: str) -> RiskRulebook:
    p, a, t, r = spec.parameters, spec.activation, spec.freight_tariff, spec.rings
    return RiskRulebook(spec.version, spec.effective_from, spec.mode, p.near_dup_radius, p.velocity_half_life_hours,
                        spec.review_sla_hours.model_dump(), a.max_block_share_pct, a.max_review_share_pct,
                        Tariff(t.first_kg_fen, t.extra_kg_fen, t.cross_province_extra_fen),
                        tuple(x.strip() for x in spec.threat_terms),
                        RingRules(r.min_size, r.max_size, r.min_density_pct, r.min_strong_kinds, r.max_value_degree),
                        tuple(rule.rule(f"rules[{i}]") for i, rule in enumerate(spec.rules)))


def parse_rule(raw: Any, *, taken: set[str] | None = None) -> Rule:
    """One rule on its own (an operator's draft), validated exactly as the rulebook's rules are."""
    spec = validated(RuleSpec, raw, RiskRulebookError, "rule")
    if spec.id in (taken or ()):
        raise RiskRulebookError([f"rule.id: duplicate rule id {spec.id!r}"])
    return spec.rule("rule")


RISK_KIND = RulebookKind(RiskRulebookSpec, RiskRulebookError, DEFAULT_PATH, _rulebook_of)
parse_rulebook = RISK_KIND.parse
load_risk_rulebook = RISK_KIND.load  # the packaged file by default
