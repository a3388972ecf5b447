"""Onboarding (issue 6 §1): store types and what each may sell, the licence registry limit, and the screening of a
shop application into approve / review / reject with every failing check as a reason. Pure.

The rules come from the ``onboarding`` section of the merchants rulebook (``rulebooks/merchants/onboarding.yaml``);
``load_onboarding`` validates it and names every problem with its path. The lifecycle part of the section (novice
period, what a transfer carries over) is read here too and used by ``anxin.merchants.lifecycle``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anxin.core.rulebook_loading import ProblemCollector, load_section_file
from anxin.merchants.categories import CategoryMatch, CategoryRef
from anxin.merchants.reasons import Reason

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

REASON_TEXT: dict[str, dict[str, str]] = {
    "screening.passed": {"zh-CN": "入驻审核通过：各项检查均无问题", "en": "Application approved: every check passed"},
    "screening.unknown_store_type": {"zh-CN": "未知的店铺类型 {store_type}",
                                     "en": "Unknown store type {store_type}"},
    "screening.no_categories": {"zh-CN": "申请未选择经营类目", "en": "The application names no category"},
    "screening.banned_link": {"zh-CN": "与被封禁主体关联（{kind}：{value_hint}，店铺 {banned_shop_id}）",
                              "en": "Linked to a banned entity ({kind}: {value_hint}, shop {banned_shop_id})"},
    "screening.licence_missing": {"zh-CN": "{store_type} 店铺须提供营业执照",
                                  "en": "A {store_type} shop needs a business licence"},
    "screening.licence_at_limit": {"zh-CN": "营业执照 {licence_no} 已开 {shops} 家店，达到上限 {limit} 家",
                                   "en": "Licence {licence_no} already opens {shops} shops, the limit is {limit}"},
    "screening.category_not_allowed": {"zh-CN": "{store_type} 店铺不可经营类目 {category}",
                                       "en": "A {store_type} shop may not sell {category}"},
    "screening.qualification_missing": {"zh-CN": "类目 {categories} 需要资质 {qualification}",
                                        "en": "Categories {categories} need the qualification {qualification}"},
    "screening.affiliated_violations": {
        "zh-CN": "关联主体有 {count} 次严重违规（达到 {threshold} 次须人工审核）",
        "en": "An affiliated entity has {count} serious violations ({threshold} or more go to manual review)"},
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

def load_onboarding(raw: Mapping[str, Any], problems: ProblemCollector) -> OnboardingRules:
    """Validate the parsed ``onboarding.yaml``; every problem goes to ``problems`` with its path, and harmless
    defaults stand in for what is broken so the walk goes on."""
    c, p = problems, SECTION
    if not isinstance(raw, Mapping):
        c.add(f"{p}: must be a mapping")
        raw = {}
    c.unknown(raw, p, ("kind", "store_types", "qualifications", "licences", "screening", "lifecycle"))
    store_types = _store_types(c, raw)
    qualifications = _qualifications(c, raw.get("qualifications"))
    lic = c.mapping(raw, "licences", p, ("max_shops_per_licence",))
    max_shops = 1 if lic is None else c.integer(lic, "max_shops_per_licence", f"{p}.licences", high=1000)
    return OnboardingRules(store_types, qualifications, max_shops, _screening(c, raw), _lifecycle(c, raw))


def load_onboarding_file(path: str | Path = DEFAULT_ONBOARDING_PATH) -> OnboardingRules:
    """This section from its own YAML file; ``ValueError`` lists every problem."""
    return load_section_file(path, "onboarding", load_onboarding)


def _names(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str) -> Names:
    value = c.mapping(raw, key, path, ("zh-CN", "en"))
    if value is None:
        return Names("", "")
    return Names(c.text(value, "zh-CN", f"{path}.{key}"), c.text(value, "en", f"{path}.{key}"))


def _category_match(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str, *,
                   required: bool = True) -> CategoryMatch | None:
    value = c.mapping(raw, key, path, ("categories", "tags"), required=required)
    if value is None:
        return None
    return CategoryMatch(_words(c, value, "categories", f"{path}.{key}"), _words(c, value, "tags", f"{path}.{key}"))


def _words(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str) -> frozenset[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        c.add(f"{path}.{key}: must be a list of non-empty strings")
        return frozenset()
    return frozenset(value)


def _flag(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str) -> bool:
    value = raw.get(key)
    if not isinstance(value, bool):
        c.add(f"{path}.{key}: required, true or false")
        return True
    return value


def _store_types(c: ProblemCollector, raw: Mapping[str, Any]) -> dict[str, StoreTypeRules]:
    path = f"{SECTION}.store_types"
    section = c.mapping(raw, "store_types", SECTION, STORE_TYPES)
    result: dict[str, StoreTypeRules] = {}
    for store_type in STORE_TYPES:
        entry = None if section is None else c.mapping(section, store_type, path,
                                                      ("name", "needs_licence", "allowed", "denied"))
        if entry is None:
            result[store_type] = StoreTypeRules(store_type, Names("", ""), needs_licence=True)
            continue
        where = f"{path}.{store_type}"
        result[store_type] = StoreTypeRules(
            store_type, _names(c, entry, "name", where), _flag(c, entry, "needs_licence", where),
            _category_match(c, entry, "allowed", where, required=False) or CategoryMatch(),
            _category_match(c, entry, "denied", where, required=False))
    return result


def _qualifications(c: ProblemCollector, raw: Any) -> tuple[QualificationRule, ...]:
    path = f"{SECTION}.qualifications"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        c.add(f"{path}: must be a list")
        return ()
    rules: list[QualificationRule] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(entry, Mapping):
            c.add(f"{where}: must be a mapping")
            continue
        c.unknown(entry, where, ("id", "match", "requires"))
        rule_id = c.text(entry, "id", where)
        if rule_id and rule_id in seen:
            c.add(f"{where}.id: duplicate id {rule_id!r}")
        seen.add(rule_id)
        match = _category_match(c, entry, "match", where)
        if match is not None and match.everything:
            c.add(f"{where}.match: must name categories or tags")  # a qualification for everything is a typo
        rules.append(QualificationRule(rule_id, match or CategoryMatch(), c.text(entry, "requires", where)))
    return tuple(rules)


def _screening(c: ProblemCollector, raw: Mapping[str, Any]) -> ScreeningRules:
    path = f"{SECTION}.screening"
    checks = ("missing_licence", "licence_at_limit", "category_not_allowed", "missing_qualification")
    section = c.mapping(raw, "screening", SECTION, ("banned_link", *checks, "affiliated_violations"))
    if section is None:
        return ScreeningRules()
    failing = ("reject", "review")
    links = c.mapping(section, "banned_link", path, LINK_KINDS)
    banned = {kind: "reject" if links is None else c.choice(links, kind, f"{path}.banned_link", failing)
              for kind in LINK_KINDS}
    outcomes = {check: c.choice(section, check, path, failing) for check in checks}
    affiliated = c.mapping(section, "affiliated_violations", path, ("at_least", "outcome"))
    where = f"{path}.affiliated_violations"
    return ScreeningRules(
        banned_link=banned, missing_licence=outcomes["missing_licence"], licence_at_limit=outcomes["licence_at_limit"],
        category_not_allowed=outcomes["category_not_allowed"], missing_qualification=outcomes["missing_qualification"],
        affiliated_violations_at_least=1 if affiliated is None else c.integer(affiliated, "at_least", where),
        affiliated_violations="review" if affiliated is None else c.choice(affiliated, "outcome", where, failing))


def _lifecycle(c: ProblemCollector, raw: Mapping[str, Any]) -> LifecycleRules:
    path = f"{SECTION}.lifecycle"
    section = c.mapping(raw, "lifecycle", SECTION, ("novice_days", "carryover"))
    if section is None:
        return LifecycleRules()
    novice_days = c.integer(section, "novice_days", path, high=3650)
    kinds = c.mapping(section, "carryover", path, TRANSFER_KINDS)
    carryover: dict[str, Carryover] = {}
    for kind in TRANSFER_KINDS:
        entry = None if kinds is None else c.mapping(kinds, kind, f"{path}.carryover", tuple(CARRY_OPTIONS))
        where = f"{path}.carryover.{kind}"
        chosen = {item: c.choice(entry, item, where, options) if entry is not None else options[0]
                  for item, options in CARRY_OPTIONS.items()}
        carryover[kind] = Carryover(kind, **chosen)
    return LifecycleRules(novice_days, carryover)
