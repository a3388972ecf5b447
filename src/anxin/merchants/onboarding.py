"""Onboarding (issue 6 §1): store types and what each may sell, the licence registry limit, and the screening of a
shop application into approve / review / reject with every failing check as a reason. Pure.

The rules come from the ``onboarding`` section of the merchants rulebook (``rulebooks/merchants/onboarding.yaml``);
``load_onboarding`` validates it against ``OnboardingSpec`` and names every problem with its path. The lifecycle
part of the section (novice period, what a transfer carries over) is read here too and used by
``anxin.merchants.lifecycle``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anxin.merchants.categories import CategoryMatch, CategoryRef, category_match
from anxin.merchants.onboarding_models import OnboardingSpec
from anxin.merchants.reasons import Reason
from anxin.merchants.rulebook_models import parse, parse_file

DEFAULT_ONBOARDING_PATH = Path(__file__).resolve().parent.parent / "rulebooks" / "merchants" / "onboarding.yaml"
SECTION = "onboarding"
STORE_TYPES = ("enterprise", "individual", "personal")
LINK_KINDS = ("licence", "legal_rep", "bank_account", "phone")
OUTCOMES = ("approve", "review", "reject")
TRANSFER_KINDS = ("transfer", "entity_change", "upgrade")
# What a transfer may carry over, and the alternative when it does not: the deposit goes back to whoever paid it,
# the rest starts afresh. The shop's history is always kept, so it is not an option.
CARRY_OPTIONS: Mapping[str, tuple[str, str]] = {
    "score": ("carry", "reset"),
    "violation_points": ("carry", "reset"),
    "deposit": ("carry", "refund"),
    "novice_progress": ("carry", "reset"),
}

@dataclass(frozen=True)
class Names:
    zh_cn: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh-CN": self.zh_cn, "en": self.en}


@dataclass(frozen=True)
class StoreTypeRules:
    store_type: str
    names: Names
    needs_licence: bool
    allowed: CategoryMatch = field(default_factory=CategoryMatch)  # empty: every category
    denied: CategoryMatch | None = None  # None: nothing denied (an empty CategoryMatch would cover everything)

    def may_sell(self, ref: CategoryRef) -> bool:
        return self.allowed.covers(ref) and not (self.denied is not None and self.denied.covers(ref))


@dataclass(frozen=True)
class QualificationRule:
    rule_id: str
    match: CategoryMatch
    requires: str  # a qualification the applicant holds: "food_permit", "cosmetics_filing"


@dataclass(frozen=True)
class ScreeningRules:
    """For each check, the outcome when it fails: ``reject`` or ``review`` (manual review)."""

    banned_link: Mapping[str, str] = field(default_factory=lambda: dict.fromkeys(LINK_KINDS, "reject"))
    missing_licence: str = "reject"
    licence_at_limit: str = "reject"
    category_not_allowed: str = "reject"
    missing_qualification: str = "reject"
    affiliated_violations_at_least: int = 1
    affiliated_violations: str = "review"


@dataclass(frozen=True)
class Carryover:
    kind: str  # transfer | entity_change | upgrade
    score: str = "carry"
    violation_points: str = "carry"
    deposit: str = "carry"
    novice_progress: str = "carry"

    def as_dict(self) -> dict[str, str]:
        return {item: getattr(self, item) for item in CARRY_OPTIONS}


@dataclass(frozen=True)
class LifecycleRules:
    novice_days: int = 90
    carryover: Mapping[str, Carryover] = field(default_factory=lambda: {k: Carryover(k) for k in TRANSFER_KINDS})


@dataclass(frozen=True)
class OnboardingRules:
    store_types: Mapping[str, StoreTypeRules]
    qualifications: tuple[QualificationRule, ...]
    max_shops_per_licence: int  # 一证多店: how many shops one business licence may open (INF default 5)
    screening: ScreeningRules
    lifecycle: LifecycleRules


@dataclass(frozen=True)
class BannedLink:
    """A finding of the risk context: the applicant shares ``kind`` with a banned shop. ``value_hint`` is masked."""

    kind: str  # licence | legal_rep | bank_account | phone
    value_hint: str
    banned_shop_id: str


@dataclass(frozen=True)
class ShopApplication:
    shop_id: str
    merchant_id: str
    store_type: str
    licence_no: str | None
    legal_rep: str | None
    categories: tuple[CategoryRef, ...]
    qualifications: frozenset[str]
    applied_at: dt.datetime


@dataclass(frozen=True)
class ScreeningDecision:
    outcome: str  # approve | review | reject
    reasons: tuple[Reason, ...]
    facts: Mapping[str, int | str]


def screen(application: ShopApplication, *, rules: OnboardingRules, shops_on_licence: int,
           banned_links: Sequence[BannedLink], affiliated_violations: int) -> ScreeningDecision:
    """Run every check; each failing one adds a reason with its outcome (reject beats review beats approve).

    ``shops_on_licence``: the open shops the application's licence already has (this one not counted), so with a
    limit of 5 a licence with 4 shops may open one more and a licence with 5 may not. ``affiliated_violations``:
    serious violations of entities the risk context links to the applicant."""
    s = rules.screening
    failed: list[tuple[str, Reason]] = []
    store = rules.store_types.get(application.store_type)
    if store is None:
        failed.append(("reject", Reason("screening.unknown_store_type", "onboarding.store_types",
                                        {"store_type": application.store_type})))
    if not application.categories:
        failed.append(("reject", Reason("screening.no_categories", "onboarding.store_types")))
    for link in banned_links:
        failed.append((s.banned_link.get(link.kind, "reject"), Reason(
            "screening.banned_link", f"onboarding.screening.banned_link.{link.kind}",
            {"kind": link.kind, "value_hint": link.value_hint, "banned_shop_id": link.banned_shop_id})))
    if store is not None and store.needs_licence and not application.licence_no:
        failed.append((s.missing_licence, Reason("screening.licence_missing", "onboarding.screening.missing_licence",
                                                 {"store_type": application.store_type})))
    if application.licence_no and shops_on_licence >= rules.max_shops_per_licence:
        failed.append((s.licence_at_limit, Reason(
            "screening.licence_at_limit", "onboarding.licences.max_shops_per_licence",
            {"licence_no": application.licence_no, "shops": shops_on_licence, "limit": rules.max_shops_per_licence})))
    for ref in application.categories:
        if store is not None and not store.may_sell(ref):
            failed.append((s.category_not_allowed, Reason(
                "screening.category_not_allowed", f"onboarding.store_types.{store.store_type}",
                {"category": ref.category_id, "store_type": store.store_type})))
    for q in rules.qualifications:
        needing = [ref.category_id for ref in application.categories if q.match.covers(ref)]
        if needing and q.requires not in application.qualifications:
            failed.append((s.missing_qualification, Reason(
                "screening.qualification_missing", q.rule_id,
                {"qualification": q.requires, "categories": ", ".join(needing)})))
    if affiliated_violations >= s.affiliated_violations_at_least:
        failed.append((s.affiliated_violations, Reason(
            "screening.affiliated_violations", "onboarding.screening.affiliated_violations",
            {"count": affiliated_violations, "threshold": s.affiliated_violations_at_least})))

    outcomes = {outcome for outcome, _ in failed}
    outcome = "reject" if "reject" in outcomes else "review" if "review" in outcomes else "approve"
    reasons = tuple(r for _, r in failed) or (Reason("screening.passed", "onboarding.screening"),)
    facts: dict[str, int | str] = {
        "store_type": application.store_type, "licence_no": application.licence_no or "",
        "shops_on_licence": shops_on_licence, "max_shops_per_licence": rules.max_shops_per_licence,
        "banned_links": len(banned_links), "affiliated_violations": affiliated_violations,
        "categories": ", ".join(ref.category_id for ref in application.categories),
        "qualifications": ", ".join(sorted(application.qualifications)),
    }
    return ScreeningDecision(outcome, reasons, facts)


# --- loading ---------------------------------------------------------------------------------------------------------

def onboarding_rules(spec: OnboardingSpec) -> OnboardingRules:
    """The validated section as the rules ``screen`` and the lifecycle apply."""
    store_types = {
        st: StoreTypeRules(st, Names(t.name.zh_cn, t.name.en), t.needs_licence,
                           category_match(t.allowed) if t.allowed is not None else CategoryMatch(),
                           category_match(t.denied) if t.denied is not None else None)
        for st in STORE_TYPES for t in (getattr(spec.store_types, st),)}
    s = spec.screening
    carryover = {kind: Carryover(kind, **getattr(spec.lifecycle.carryover, kind).model_dump())
                 for kind in TRANSFER_KINDS}
    return OnboardingRules(
        store_types, tuple(QualificationRule(q.id, category_match(q.match), q.requires) for q in spec.qualifications),
        spec.licences.max_shops_per_licence,
        ScreeningRules(banned_link=s.banned_link.model_dump(), missing_licence=s.missing_licence,
                       licence_at_limit=s.licence_at_limit, category_not_allowed=s.category_not_allowed,
                       missing_qualification=s.missing_qualification,
                       affiliated_violations_at_least=s.affiliated_violations.at_least,
                       affiliated_violations=s.affiliated_violations.outcome),
        LifecycleRules(spec.lifecycle.novice_days, carryover))


def load_onboarding(raw: object) -> OnboardingRules:
    """The parsed ``onboarding.yaml``; ``MerchantRulebookError`` names every problem with its path."""
    return onboarding_rules(parse(OnboardingSpec, raw, SECTION))


def load_onboarding_file(path: str | Path = DEFAULT_ONBOARDING_PATH) -> OnboardingRules:
    """This section from its own YAML file; ``MerchantRulebookError`` lists every problem."""
    return onboarding_rules(parse_file(OnboardingSpec, path, SECTION))
