"""The guarantee rulebook: a versioned YAML file, validated completely when it loads.

A broken rulebook never reaches a consumer: ``load_rulebook`` raises ``RulebookError`` listing every
problem with its path (``guarantees[3].window.days: must be a positive integer``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field, field_validator, model_validator

from anxin.core.rulebook_models import (
    Between,
    ConditionSpec,
    Instant,
    NonEmpty,
    PositiveInt,
    RulebookKind,
    RulebookModel,
    RulebookProblems,
    Text,
    check_condition,
    compiled,
    problem,
)
from anxin.core.rules import Condition, FactSpec

CaseType = Literal["refund_only", "return_refund", "exchange", "compensation"]
Reason = Literal["no_reason", "quality", "damaged", "spoiled", "allergy", "counterfeit", "not_received",
                 "wrong_item", "not_as_described", "missing_parts", "changed_mind_unshipped", "other"]
Route = Literal["auto_approve", "merchant", "review"]
Anchor = Literal["paid", "shipped", "signed"]
Benefit = Literal["freight", "pickup"]
CASE_TYPES: tuple[str, ...] = get_args(CaseType)
REASONS: tuple[str, ...] = get_args(Reason)
ROUTES: tuple[str, ...] = get_args(Route)
ANCHORS: tuple[str, ...] = get_args(Anchor)
BENEFITS: tuple[str, ...] = get_args(Benefit)
LANGS = ("zh-CN", "en")

# Facts about the order alone: usable where the Hall shows coverage before anyone files anything.
ORDER_FACTS: dict[str, FactSpec] = {f.name: f for f in [
    FactSpec("item_tags", "str_set", "category tags of the item(s), ancestors included"),
    FactSpec("shop_services", "str_set", "services the shop opted into"),
    FactSpec("paid_fen", "int", "amount the consumer paid for the order, fen"),
    FactSpec("exemption_confirmed", "bool", "consumer confirmed at checkout that no-reason return is waived"),
    FactSpec("store_type", "str", "enterprise | individual | personal"),
    FactSpec("worry_free", "bool", "无忧服务: the listing carried the worry-free tag at payment and warehouse "
             "stock was reserved for the order"),
    FactSpec("fulfilled_from", "str", "warehouse when every enrolled item ships from the platform's warehouse, else "
             "empty"),
]}
CLAIM_FACTS: dict[str, FactSpec] = {**ORDER_FACTS, **{f.name: f for f in [
    FactSpec("case_type", "str", "refund_only | return_refund | exchange | compensation"),
    FactSpec("reason", "str", "the consumer's stated reason"),
    FactSpec("amount_fen", "int", "amount claimed, fen"),
    FactSpec("refundable_fen", "int", "paid minus what is refunded or claimed already, fen"),
    FactSpec("shipped", "bool", "a tracking number was uploaded"),
    FactSpec("signed", "bool", "the parcel was signed for"),
    FactSpec("evidence_count", "int", "evidence images attached"),
    FactSpec("unsealed", "bool", "the consumer says the item was unsealed"),
    FactSpec("consumer_cases_30d", "int", "after-sale cases this consumer filed in the last 30 days"),
    FactSpec("consumer_credit", "str", "the consumer's credit band from the latest score run: trusted | normal | "
             "doubtful | unscored"),
    FactSpec("parcel_problem", "str", "what fulfilment monitoring found wrong with the parcel: lost, returned, "
             "refused, stalled, no_carrier_scan, or empty"),
]}}


class RulebookError(RulebookProblems):
    title = "invalid rulebook"


@dataclass(frozen=True)
class Check:
    """A named condition with a stable reason code (an exemption that fires, or a requirement that must hold)."""

    id: str
    code: str
    when: Condition
    message: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    anchor: str
    hours: int = 0
    days: int = 0
    count_from_next_local_day: bool = False

    def bounds(self, anchor_at: dt.datetime, local_offset: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
        """[opens, closes): hour windows run from the anchor; day windows counted from the next local
        day close at local midnight after the last day (签收次日起7天)."""
        if self.count_from_next_local_day:
            local = (anchor_at + local_offset).date()
            last_midnight = dt.datetime.combine(local + dt.timedelta(days=1 + self.days), dt.time(), dt.UTC)
            return anchor_at, last_midnight - local_offset
        return anchor_at, anchor_at + dt.timedelta(hours=self.hours, days=self.days)


@dataclass(frozen=True)
class Guarantee:
    id: str
    service: str
    name: Mapping[str, str]
    summary: Mapping[str, str]
    window: Window
    covers: Condition | None = None
    exemptions: tuple[Check, ...] = ()
    requires: tuple[Check, ...] = ()
    case_types: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()  # "*" = any reason
    route: str | None = None
    merchant_response_hours: int | None = None
    compensation_multiplier: int = 0
    benefit: str | None = None

    def handles(self, case_type: str, reason: str) -> bool:
        return self.route is not None and case_type in self.case_types and (
            "*" in self.reasons or reason in self.reasons)


@dataclass(frozen=True)
class Deadlines:
    merchant_response_hours: int
    buyer_ship_return_days: int
    merchant_confirm_receipt_days: int
    escalation_window_hours: int
    arbitration_sla_hours: int


@dataclass(frozen=True)
class Rulebook:
    version: str
    effective_from: dt.datetime
    local_offset: dt.timedelta
    deadlines: Deadlines
    guarantees: tuple[Guarantee, ...]
    review_rules: tuple[Check, ...]
    max_evidence_images: int
    max_evidence_bytes: int
    freight_cap_fen: int
    pickup_free_weight_g: int
    source: str = "<memory>"

    def guarantee(self, guarantee_id: str) -> Guarantee | None:
        return next((g for g in self.guarantees if g.id == guarantee_id), None)


class CheckSpec(RulebookModel):
    id: str
    code: str
    when: ConditionSpec
    message: Text | None = None
    facts: ClassVar[Mapping[str, FactSpec]] = CLAIM_FACTS

    @field_validator("when")
    @classmethod
    def _compiles(cls, when: dict[str, Any]) -> dict[str, Any]:
        return dict(check_condition(when, cls.facts))

    def check(self, path: str) -> Check:
        message = {"zh-CN": self.message.zh_cn, "en": self.message.en} if self.message else {}
        return Check(self.id, self.code, compiled(self.when, self.facts, f"{path}.when"), message)


class OrderCheckSpec(CheckSpec):
    """An exemption: it reads the order alone (coverage is shown before anyone files a claim)."""

    facts: ClassVar[Mapping[str, FactSpec]] = ORDER_FACTS


class WindowSpec(RulebookModel):
    anchor: Anchor
    hours: Annotated[int, Between(0)] = 0
    days: Annotated[int, Between(0)] = 0
    count_from: Literal["anchor", "next_local_day"] = "anchor"

    @model_validator(mode="after")
    def _positive(self) -> WindowSpec:
        if self.hours + self.days <= 0:
            raise problem("needs a positive whole number of hours or days")
        if self.count_from == "next_local_day" and self.hours:
            raise problem("'anchor', or 'next_local_day' with days only", ".count_from")
        return self


class ClaimsSpec(RulebookModel):
    case_types: Annotated[list[CaseType], Field(min_length=1)]
    reasons: Annotated[list[Literal[Reason, "*"]], Field(min_length=1)]


class GuaranteeSpec(RulebookModel):
    id: str
    service: str
    name: Text
    summary: Text
    window: WindowSpec
    covers: ConditionSpec | None = None
    exemptions: list[OrderCheckSpec] = Field(default_factory=list)
    requires: list[CheckSpec] = Field(default_factory=list)
    claims: ClaimsSpec | None = None
    route: Route | None = None
    merchant_response_hours: PositiveInt | None = None
    compensation_multiplier: Annotated[int, Between(0, 10)] = 0
    benefit: Benefit | None = None

    @field_validator("covers")
    @classmethod
    def _covers_order_facts(cls, covers: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if covers is None else dict(check_condition(covers, ORDER_FACTS))

    @model_validator(mode="after")
    def _benefit_or_claims(self) -> GuaranteeSpec:
        if self.benefit is not None and (self.claims is not None or self.route is not None):
            raise problem("a benefit takes no claims or route")
        if self.benefit is None and self.route is None:
            raise problem(f"required unless a benefit: one of {list(ROUTES)}", ".route")
        if self.benefit is None and self.claims is None:
            raise problem("required (case_types and reasons)", ".claims")
        return self

    def guarantee(self, path: str) -> Guarantee:
        w = self.window
        return Guarantee(
            id=self.id, service=self.service, name={"zh-CN": self.name.zh_cn, "en": self.name.en},
            summary={"zh-CN": self.summary.zh_cn, "en": self.summary.en},
            window=Window(w.anchor, w.hours, w.days, w.count_from == "next_local_day"),
            covers=compiled(self.covers, ORDER_FACTS, f"{path}.covers") if self.covers is not None else None,
            exemptions=tuple(e.check(f"{path}.exemptions[{i}]") for i, e in enumerate(self.exemptions)),
            requires=tuple(r.check(f"{path}.requires[{i}]") for i, r in enumerate(self.requires)),
            case_types=frozenset(self.claims.case_types if self.claims else ()),
            reasons=frozenset(self.claims.reasons if self.claims else ()), route=self.route,
            merchant_response_hours=self.merchant_response_hours,
            compensation_multiplier=self.compensation_multiplier, benefit=self.benefit)


class DeadlinesSpec(RulebookModel):
    merchant_response_hours: PositiveInt
    buyer_ship_return_days: PositiveInt
    merchant_confirm_receipt_days: PositiveInt
    escalation_window_hours: PositiveInt
    arbitration_sla_hours: PositiveInt


class LimitsSpec(RulebookModel):
    max_evidence_images: PositiveInt
    max_evidence_bytes: PositiveInt


class FreightSpec(RulebookModel):
    cap_fen: PositiveInt
    pickup_free_weight_g: PositiveInt


class GuaranteesRulebookSpec(RulebookModel):
    """The guarantee rulebook file (``kind: guarantees``)."""

    kind: Literal["guarantees"]
    version: NonEmpty
    effective_from: Instant
    local_utc_offset_hours: Annotated[int, Between(-12, 14)]
    deadlines: DeadlinesSpec
    limits: LimitsSpec
    freight: FreightSpec
    review_rules: list[CheckSpec] = Field(default_factory=list)
    guarantees: list[GuaranteeSpec]

    @model_validator(mode="after")
    def _unique_ids(self) -> GuaranteesRulebookSpec:
        ids = [g.id for g in self.guarantees] + [r.id for r in self.review_rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise problem(f"duplicate ids {dupes}", "guarantees")
        return self


def _rulebook_of(spec: GuaranteesRulebookSpec, source: str) -> Rulebook:
    return Rulebook(version=spec.version, effective_from=spec.effective_from,
                    local_offset=dt.timedelta(hours=spec.local_utc_offset_hours),
                    deadlines=Deadlines(**spec.deadlines.model_dump()),
                    guarantees=tuple(g.guarantee(f"guarantees[{i}]") for i, g in enumerate(spec.guarantees)),
                    review_rules=tuple(r.check(f"review_rules[{i}]") for i, r in enumerate(spec.review_rules)),
                    max_evidence_images=spec.limits.max_evidence_images,
                    max_evidence_bytes=spec.limits.max_evidence_bytes, freight_cap_fen=spec.freight.cap_fen,
                    pickup_free_weight_g=spec.freight.pickup_free_weight_g, source=source)


DEFAULT_RULEBOOK = Path(__file__).resolve().parent.parent / "rulebooks" / "guarantees.yaml"
GUARANTEES_KIND = RulebookKind(GuaranteesRulebookSpec, RulebookError, DEFAULT_RULEBOOK, _rulebook_of)
load_rulebook = GUARANTEES_KIND.load
parse_rulebook = GUARANTEES_KIND.parse


@dataclass(frozen=True)
class RulebookSet:
    """All loaded versions; the one in force at a moment decides, past decisions replay under theirs."""

    books: tuple[Rulebook, ...]

    def in_force(self, at: dt.datetime) -> Rulebook:
        eligible = [b for b in self.books if b.effective_from <= at]
        if not eligible:
            return min(self.books, key=lambda b: b.effective_from)
        return max(eligible, key=lambda b: b.effective_from)

    def version(self, version: str) -> Rulebook:
        for book in self.books:
            if book.version == version:
                return book
        raise KeyError(version)


def load_rulebooks(paths: list[Path] | None = None) -> RulebookSet:
    books = [load_rulebook(p) for p in (paths or [DEFAULT_RULEBOOK])]
    versions = [b.version for b in books]
    if len(set(versions)) != len(versions):
        raise RulebookError([f"two rulebooks share a version: {versions}"])
    return RulebookSet(tuple(books))
