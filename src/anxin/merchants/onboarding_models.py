"""The onboarding section's model (``rulebooks/merchants/onboarding.yaml``, ``kind: merchants.onboarding``): store
types and what each may sell, category qualifications, 一证多店, screening outcomes and the lifecycle. Pure."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from anxin.core.rulebook_models import Between, NonEmpty, PositiveInt, RulebookModel, Text, problem
from anxin.merchants.rulebook_models import MatchSpec, duplicates, refuse

Failing = Literal["reject", "review"]  # what a failed screening check does
CarryOrReset = Literal["carry", "reset"]


class StoreTypeSpec(RulebookModel):
    name: Text
    needs_licence: bool
    allowed: MatchSpec | None = None  # left out or empty: every category
    denied: MatchSpec | None = None


class StoreTypesSpec(RulebookModel):
    enterprise: StoreTypeSpec
    individual: StoreTypeSpec
    personal: StoreTypeSpec


class QualificationSpec(RulebookModel):
    id: NonEmpty
    match: MatchSpec
    requires: NonEmpty  # a qualification the applicant holds: food_permit, cosmetics_filing

    @field_validator("match")
    @classmethod
    def _names_something(cls, match: MatchSpec) -> MatchSpec:
        if match.everything:  # a qualification for every category is a typo
            raise problem("must name categories or tags")
        return match


class LicencesSpec(RulebookModel):
    max_shops_per_licence: Annotated[int, Between(1, 1000)]


class BannedLinkSpec(RulebookModel):
    licence: Failing
    legal_rep: Failing
    bank_account: Failing
    phone: Failing


class AffiliatedViolationsSpec(RulebookModel):
    at_least: PositiveInt
    outcome: Failing


class ScreeningSpec(RulebookModel):
    banned_link: BannedLinkSpec
    missing_licence: Failing
    licence_at_limit: Failing
    category_not_allowed: Failing
    missing_qualification: Failing
    affiliated_violations: AffiliatedViolationsSpec


class CarryoverSpec(RulebookModel):
    """What a transfer carries over; the deposit either stays with the shop or goes back to whoever paid it."""

    score: CarryOrReset
    violation_points: CarryOrReset
    deposit: Literal["carry", "refund"]
    novice_progress: CarryOrReset


class CarryoverKindsSpec(RulebookModel):
    transfer: CarryoverSpec
    entity_change: CarryoverSpec
    upgrade: CarryoverSpec


class LifecycleSpec(RulebookModel):
    novice_days: Annotated[int, Between(1, 3650)]
    carryover: CarryoverKindsSpec


class OnboardingSpec(RulebookModel):
    """The onboarding section file (``kind: merchants.onboarding``)."""

    kind: Literal["merchants.onboarding"]
    store_types: StoreTypesSpec
    qualifications: list[QualificationSpec] = Field(default_factory=list)
    licences: LicencesSpec
    screening: ScreeningSpec
    lifecycle: LifecycleSpec

    @field_validator("qualifications")
    @classmethod
    def _unique_ids(cls, rules: list[QualificationSpec]) -> list[QualificationSpec]:
        refuse(duplicates([q.id for q in rules]))
        return rules
