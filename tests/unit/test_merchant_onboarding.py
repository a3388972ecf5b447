"""Onboarding and lifecycle with plain values: screening at every check and limit, every state transition, the
novice period's edge, transfers and their refusals, and the onboarding rulebook section's validation."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from tests.catalogs import reason_texts

from anxin.merchants.categories import CategoryRef
from anxin.merchants.lifecycle import (
    TRANSITIONS,
    LifecycleError,
    ShopFacts,
    ShopState,
    TransferError,
    TransferTarget,
    graduation_at,
    graduation_due,
    plan_transfer,
    transition,
)
from anxin.merchants.onboarding import (
    DEFAULT_ONBOARDING_PATH,
    BannedLink,
    ShopApplication,
    load_onboarding,
    load_onboarding_file,
    screen,
)
from anxin.merchants.reasons import Reason, render
from anxin.merchants.rulebook_models import MerchantRulebookError

RULES = load_onboarding_file()
RAW = yaml.safe_load(DEFAULT_ONBOARDING_PATH.read_text(encoding="utf-8"))
T = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
BJ = dt.timezone(dt.timedelta(hours=8))

SNACKS = CategoryRef("food-snacks", ("food",), frozenset({"food"}))
SHIRTS = CategoryRef("apparel-men", ("apparel",), frozenset({"apparel"}))
DOWN = CategoryRef("down-women", ("down_jackets", "apparel"), frozenset({"apparel"}))
UNDERWEAR = CategoryRef("apparel-underwear", ("apparel",), frozenset({"apparel", "hygiene_sealed"}))
RING = CategoryRef("jewelry-engraved", ("jewelry",), frozenset({"jewelry", "custom_made"}))
WINE = CategoryRef("red-wine", ("alcohol", "food"), frozenset({"alcohol", "food"}))
FORMULA = CategoryRef("formula-stage1", ("infant_formula", "mother_baby"))
THERMOMETER = CategoryRef("thermometers", ("medical_devices",))
LIPSTICK = CategoryRef("cosmetics-makeup", ("cosmetics",), frozenset({"cosmetics"}))

def apply(**kw: Any) -> ShopApplication:
    base: dict[str, Any] = {"shop_id": "s1", "merchant_id": "m1", "store_type": "enterprise", "licence_no": "L1",
                            "legal_rep": "Zhang San", "categories": (SHIRTS,), "qualifications": frozenset(),
                            "applied_at": T}
    return ShopApplication(**{**base, **kw})


def decide(app: ShopApplication, *, shops: int = 0, links: tuple[BannedLink, ...] = (), affiliated: int = 0) -> Any:
    decision = screen(app, rules=RULES, shops_on_licence=shops, banned_links=links, affiliated_violations=affiliated)
    return decision


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


def test_shipped_onboarding_section_loads() -> None:
    assert RULES.max_shops_per_licence == 5
    assert {st: r.needs_licence for st, r in RULES.store_types.items()} == {
        "enterprise": True, "individual": True, "personal": False}
    assert RULES.store_types["individual"].names.as_dict() == {"zh-CN": "个体工商户", "en": "Individual business"}
    assert {q.requires for q in RULES.qualifications} >= {"food_permit", "cosmetics_filing", "alcohol_licence"}
    assert RULES.lifecycle.novice_days == 90
    assert RULES.lifecycle.carryover["transfer"].as_dict() == {
        "score": "carry", "violation_points": "carry", "deposit": "refund", "novice_progress": "carry"}
    assert set(RULES.lifecycle.carryover["upgrade"].as_dict().values()) == {"carry"}
    assert RULES.screening.banned_link["phone"] == "review" and RULES.screening.banned_link["licence"] == "reject"


# --- screening ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("app", "shops", "outcome", "expected"), [
    (apply(), 0, "approve", ["screening.passed"]),
    (apply(store_type="individual"), 0, "approve", ["screening.passed"]),
    (apply(store_type="personal", licence_no=None), 0, "approve", ["screening.passed"]),
    (apply(store_type="individual", licence_no=None), 0, "reject", ["screening.licence_missing"]),
    (apply(licence_no=None), 0, "reject", ["screening.licence_missing"]),
    (apply(licence_no=""), 0, "reject", ["screening.licence_missing"]),
    # 一证多店: the fifth shop on a licence is fine, a sixth is not
    (apply(), 4, "approve", ["screening.passed"]),
    (apply(), 5, "reject", ["screening.licence_at_limit"]),
    (apply(), 6, "reject", ["screening.licence_at_limit"]),
    (apply(store_type="personal", licence_no=None), 9, "approve", ["screening.passed"]),  # no licence, no count
    (apply(store_type="martian"), 0, "reject", ["screening.unknown_store_type"]),
    (apply(categories=()), 0, "reject", ["screening.no_categories"]),
])
def test_screening_licence_and_store_type(app: ShopApplication, shops: int, outcome: str,
                                          expected: list[str]) -> None:
    decision = decide(app, shops=shops)
    assert (decision.outcome, codes(decision.reasons)) == (outcome, expected)


@pytest.mark.parametrize(("store_type", "category", "allowed"), [
    ("personal", SHIRTS, True), ("personal", DOWN, False), ("personal", UNDERWEAR, False),
    ("personal", RING, False), ("personal", WINE, False), ("personal", FORMULA, False),
    ("personal", THERMOMETER, False), ("personal", CategoryRef("x", (), frozenset({"jewelry"})), False),
    ("individual", DOWN, True), ("individual", UNDERWEAR, True), ("individual", RING, True),
    ("enterprise", DOWN, True), ("enterprise", RING, True),
])
def test_what_each_store_type_may_sell(store_type: str, category: CategoryRef, allowed: bool) -> None:
    licence = None if store_type == "personal" else "L1"
    held = frozenset({"food_permit", "alcohol_licence", "infant_formula_registration", "medical_device_filing"})
    decision = decide(apply(store_type=store_type, licence_no=licence, categories=(category,), qualifications=held))
    assert (decision.outcome == "approve") is allowed
    if not allowed:
        assert decision.reasons == (Reason("screening.category_not_allowed", f"onboarding.store_types.{store_type}",
                                           {"category": category.category_id, "store_type": store_type}),)


@pytest.mark.parametrize(("categories", "held", "missing"), [
    ((SNACKS,), frozenset(), ["food_permit"]),
    ((SNACKS,), frozenset({"food_permit"}), []),
    ((LIPSTICK, SNACKS), frozenset({"food_permit"}), ["cosmetics_filing"]),
    ((WINE,), frozenset({"food_permit"}), ["alcohol_licence"]),
    ((WINE,), frozenset(), ["food_permit", "alcohol_licence"]),  # wine is food too
    ((SHIRTS,), frozenset(), []),
])
def test_category_qualifications(categories: tuple[CategoryRef, ...], held: frozenset[str],
                                 missing: list[str]) -> None:
    decision = decide(apply(categories=categories, qualifications=held))
    found = [r.params["qualification"] for r in decision.reasons if r.code == "screening.qualification_missing"]
    assert found == missing
    assert decision.outcome == ("reject" if missing else "approve")


@pytest.mark.parametrize(("links", "affiliated", "outcome"), [
    ((), 0, "approve"),
    ((), 1, "review"),
    ((), 3, "review"),
    ((BannedLink("phone", "138****0000", "b9"),), 0, "review"),
    ((BannedLink("licence", "9131****", "b9"),), 0, "reject"),
    ((BannedLink("legal_rep", "Zh**", "b9"),), 0, "reject"),
    ((BannedLink("bank_account", "6222****", "b9"),), 0, "reject"),
    ((BannedLink("phone", "138****0000", "b9"), BannedLink("bank_account", "6222****", "b8")), 1, "reject"),
])
def test_banned_links_and_affiliated_violations(links: tuple[BannedLink, ...], affiliated: int, outcome: str) -> None:
    decision = decide(apply(), links=links, affiliated=affiliated)
    assert decision.outcome == outcome
    assert sum(r.code == "screening.banned_link" for r in decision.reasons) == len(links)


def test_every_failing_check_is_a_reason_with_its_facts() -> None:
    app = apply(store_type="personal", licence_no="L9", categories=(DOWN, WINE, LIPSTICK))
    decision = decide(app, shops=5, links=(BannedLink("phone", "138****0000", "b9"),), affiliated=2)
    assert decision.outcome == "reject"
    assert codes(decision.reasons) == [
        "screening.banned_link", "screening.licence_at_limit", "screening.category_not_allowed",
        "screening.category_not_allowed", "screening.qualification_missing", "screening.qualification_missing",
        "screening.qualification_missing", "screening.affiliated_violations"]
    assert decision.facts["shops_on_licence"] == 5 and decision.facts["max_shops_per_licence"] == 5
    assert decision.facts["categories"] == "down-women, red-wine, cosmetics-makeup"


# --- lifecycle ---------------------------------------------------------------------------------------------------

LEGAL = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_transitions_make_a_history_line(current: ShopState, target: ShopState) -> None:
    change = transition(current, target, reason_code="lifecycle.suspended", at=T)
    assert (change.from_state, change.to_state, change.at, change.reason_code) == (current, target, T,
                                                                                    "lifecycle.suspended")
    assert change.reasons[0].params == {"from_state": current.value, "to_state": target.value}


@pytest.mark.parametrize(("current", "target"),
                         sorted(set(itertools.product(ShopState, ShopState)) - LEGAL))
def test_every_illegal_transition_is_refused(current: ShopState, target: ShopState) -> None:
    with pytest.raises(LifecycleError) as err:
        transition(current, target, reason_code="lifecycle.reinstated", at=T)
    assert err.value.code == "merchants.illegal_transition"


def test_the_table_is_the_issue_s() -> None:
    s = ShopState
    assert TRANSITIONS[s.APPLIED] == {s.NOVICE, s.CLOSED}
    assert TRANSITIONS[s.SUSPENDED] == {s.ACTIVE, s.CLOSED}
    assert TRANSITIONS[s.CLOSED] == frozenset()
    assert all(s.CLOSED in TRANSITIONS[state] for state in s if state is not s.CLOSED)
    with pytest.raises(LifecycleError) as err:
        transition(s.ACTIVE, s.CLOSED, reason_code="", at=T)
    assert err.value.code == "merchants.invalid_field"


@pytest.mark.parametrize(("opened", "at", "due"), [
    (dt.datetime(2025, 3, 1, 10, 0, tzinfo=BJ), dt.datetime(2025, 5, 29, 23, 59, 59, tzinfo=BJ), False),
    (dt.datetime(2025, 3, 1, 10, 0, tzinfo=BJ), dt.datetime(2025, 5, 30, 0, 0, tzinfo=BJ), True),
    (dt.datetime(2025, 3, 1, 0, 0, tzinfo=BJ), dt.datetime(2025, 5, 30, 0, 0, tzinfo=BJ), True),
    # 23:30 UTC on 28 Feb is already 1 March in Beijing
    (dt.datetime(2025, 2, 28, 23, 30, tzinfo=dt.UTC), dt.datetime(2025, 5, 29, 15, 59, tzinfo=dt.UTC), False),
    (dt.datetime(2025, 2, 28, 23, 30, tzinfo=dt.UTC), dt.datetime(2025, 5, 29, 16, 0, tzinfo=dt.UTC), True),
])
def test_novice_period_ends_at_beijing_midnight(opened: dt.datetime, at: dt.datetime, due: bool) -> None:
    assert graduation_due(opened, at, RULES) is due
    assert graduation_at(opened, RULES) == dt.datetime(2025, 5, 29, 16, 0, tzinfo=dt.UTC)


# --- transfers -----------------------------------------------------------------------------------------------------

def shop(**kw: Any) -> ShopFacts:
    base: dict[str, Any] = {"shop_id": "s1", "merchant_id": "m1", "store_type": "individual",
                            "state": ShopState.ACTIVE, "licence_no": "L1", "categories": (SHIRTS,)}
    return ShopFacts(**{**base, **kw})


def plan(kind: str, current: ShopFacts, target: TransferTarget, *, links: tuple[BannedLink, ...] = (),
         shops: int = 0) -> Any:
    result = plan_transfer(kind, shop=current, target=target, rules=RULES, banned_links=links,
                           shops_on_target_licence=shops)
    return result


def test_a_transfer_keeps_score_and_points_and_refunds_the_deposit_to_the_old_owner() -> None:
    p = plan("transfer", shop(), TransferTarget("m2", "enterprise", "L2"), shops=4)
    assert (p.shop_id, p.from_merchant_id, p.to_merchant_id, p.state) == ("s1", "m1", "m2", ShopState.ACTIVE)
    assert (p.from_store_type, p.to_store_type, p.licence_no) == ("individual", "enterprise", "L2")
    assert (p.deposit_action, p.deposit_refund_to) == ("refund", "m1")
    assert p.carryover.score == "carry" and p.carryover.violation_points == "carry"
    assert codes(p.reasons) == ["transfer.history_kept", "transfer.carried", "transfer.carried",
                                "transfer.deposit_refunded", "transfer.carried", "transfer.store_type_changed",
                                "transfer.licence_changed"]


def test_an_upgrade_keeps_everything() -> None:
    p = plan("upgrade", shop(store_type="personal", licence_no=None, state=ShopState.NOVICE),
             TransferTarget("m1", "individual", "L7"))
    assert p.deposit_action == "carry" and p.deposit_refund_to is None and p.state is ShopState.NOVICE
    assert set(p.carryover.as_dict().values()) == {"carry"}
    assert "transfer.store_type_changed" in codes(p.reasons)


def reset_score_rules() -> Any:
    carry = RULES.lifecycle.carryover
    new = {**carry, "transfer": dataclasses.replace(carry["transfer"], score="reset", novice_progress="reset")}
    return dataclasses.replace(RULES, lifecycle=dataclasses.replace(RULES.lifecycle, carryover=new))


def test_the_rulebook_decides_what_starts_afresh() -> None:
    p = plan_transfer("transfer", shop=shop(), target=TransferTarget("m2", "individual", "L1"),
                      rules=reset_score_rules(), banned_links=())
    assert [(r.code, r.params.get("item")) for r in p.reasons[1:5]] == [
        ("transfer.reset", "score"), ("transfer.carried", "violation_points"), ("transfer.deposit_refunded", None),
        ("transfer.reset", "novice_progress")]


def test_an_entity_change_keeps_the_deposit_with_the_shop() -> None:
    p = plan("entity_change", shop(store_type="individual"), TransferTarget("m1", "enterprise", "L2"))
    assert (p.deposit_action, p.to_merchant_id, p.to_store_type) == ("carry", "m1", "enterprise")


BANNED = (BannedLink("licence", "9131****", "b9"),)


@pytest.mark.parametrize(("kind", "current", "target", "links", "shops", "code"), [
    ("transfer", shop(), TransferTarget("m2", "individual", "L2"), BANNED, 0, "merchants.transfer_to_banned"),
    ("entity_change", shop(), TransferTarget("m1", "individual", "L2"), BANNED, 0, "merchants.transfer_to_banned"),
    ("transfer", shop(), TransferTarget("m1", "individual", "L2"), (), 0, "merchants.transfer_same_owner"),
    ("transfer", shop(state=ShopState.CLOSED), TransferTarget("m2", "individual", "L2"), (), 0,
     "merchants.shop_closed"),
    ("transfer", shop(state=ShopState.APPLIED), TransferTarget("m2", "individual", "L2"), (), 0,
     "merchants.shop_not_open"),
    ("upgrade", shop(), TransferTarget("m1", "enterprise", "L2"), (), 0, "merchants.upgrade_invalid"),
    ("upgrade", shop(store_type="personal"), TransferTarget("m1", "enterprise", "L2"), (), 0,
     "merchants.upgrade_invalid"),
    ("upgrade", shop(store_type="personal", licence_no=None), TransferTarget("m1", "individual", None), (), 0,
     "merchants.upgrade_invalid"),
    ("upgrade", shop(store_type="personal", licence_no=None), TransferTarget("m2", "individual", "L2"), (), 0,
     "merchants.upgrade_invalid"),
    ("entity_change", shop(), TransferTarget("m2", "individual", "L2"), (), 0, "merchants.entity_change_invalid"),
    ("entity_change", shop(), TransferTarget("m1", "individual", "L1"), (), 0, "merchants.entity_change_invalid"),
    ("transfer", shop(), TransferTarget("m2", "enterprise", None), (), 0, "merchants.licence_required"),
    ("transfer", shop(), TransferTarget("m2", "enterprise", "L2"), (), 5, "merchants.licence_at_limit"),
    ("transfer", shop(categories=(DOWN,)), TransferTarget("m2", "personal", None), (), 0,
     "merchants.category_not_allowed"),
    ("transfer", shop(), TransferTarget("m2", "martian", "L2"), (), 0, "merchants.invalid_field"),
    ("merger", shop(), TransferTarget("m2", "individual", "L2"), (), 0, "merchants.invalid_field"),
])
def test_transfer_refusals_have_codes(kind: str, current: ShopFacts, target: TransferTarget,
                                      links: tuple[BannedLink, ...], shops: int, code: str) -> None:
    with pytest.raises(TransferError) as err:
        plan(kind, current, target, links=links, shops=shops)
    assert err.value.code == code
    if code == "merchants.transfer_to_banned":
        assert err.value.details["links"][0]["banned_shop_id"] == "b9"


def test_a_target_licence_just_below_its_limit_or_unchanged_is_fine() -> None:
    assert plan("transfer", shop(), TransferTarget("m2", "individual", "L2"), shops=4).licence_no == "L2"
    assert plan("transfer", shop(), TransferTarget("m2", "individual", "L1"), shops=9).licence_no == "L1"


# --- rulebook validation -------------------------------------------------------------------------------------------

def problems_after(mutate: Callable[[dict[str, Any]], None]) -> list[str]:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    try:
        load_onboarding(raw)
    except MerchantRulebookError as exc:
        return exc.problems
    return []


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda r: r.update(colour="red"), "onboarding.colour: unknown key"),
    (lambda r: r.pop("store_types"), "onboarding.store_types: required"),
    (lambda r: r["store_types"].pop("personal"), "onboarding.store_types.personal: required"),
    (lambda r: r["store_types"].update(martian={}), "onboarding.store_types.martian: unknown key"),
    (lambda r: r["store_types"]["personal"]["name"].pop("en"), "onboarding.store_types.personal.name.en: required"),
    (lambda r: r["store_types"]["personal"].update(needs_licence="no"),
     "onboarding.store_types.personal.needs_licence: must be true or false, got 'no'"),
    (lambda r: r["store_types"]["personal"]["denied"].update(tags=[""]),
     "onboarding.store_types.personal.denied.tags[0]: required, a non-empty string"),
    (lambda r: r.update(kind="merchants"), "onboarding.kind: must be one of 'merchants.onboarding'"),
    (lambda r: r["store_types"]["personal"]["denied"].update(tags="alcohol"),
     "onboarding.store_types.personal.denied.tags: must be a list"),
    (lambda r: r["qualifications"][1].pop("requires"), "onboarding.qualifications[1].requires: required"),
    (lambda r: r["qualifications"][1].update(match={}), "onboarding.qualifications[1].match: must name categories"),
    (lambda r: r["qualifications"][2].update(id="qualification.food"),
     "onboarding.qualifications[2].id: duplicate id 'qualification.food'"),
    (lambda r: r["licences"].update(max_shops_per_licence=2.5),
     "onboarding.licences.max_shops_per_licence: must be an integer"),
    (lambda r: r["licences"].update(max_shops_per_licence=0),
     "onboarding.licences.max_shops_per_licence: must be an integer 1–1000, got 0"),
    (lambda r: r["screening"]["banned_link"].update(phone="ignore"),
     "onboarding.screening.banned_link.phone: must be one of 'reject' or 'review', got 'ignore'"),
    (lambda r: r["screening"].update(missing_licence="approve"),
     "onboarding.screening.missing_licence: must be one of"),
    (lambda r: r["screening"]["affiliated_violations"].pop("at_least"),
     "onboarding.screening.affiliated_violations.at_least: required"),
    (lambda r: r["lifecycle"].update(novice_days="90"), "onboarding.lifecycle.novice_days: must be an integer"),
    (lambda r: r["lifecycle"]["carryover"]["transfer"].update(deposit="reset"),
     "onboarding.lifecycle.carryover.transfer.deposit: must be one of 'carry' or 'refund', got 'reset'"),
    (lambda r: r["lifecycle"]["carryover"]["upgrade"].update(history="carry"),
     "onboarding.lifecycle.carryover.upgrade.history: unknown key"),
    (lambda r: r["lifecycle"]["carryover"].pop("entity_change"),
     "onboarding.lifecycle.carryover.entity_change: required"),
])
def test_a_broken_section_names_the_problem_with_its_path(mutate: Callable[[dict[str, Any]], None],
                                                          problem: str) -> None:
    found = problems_after(mutate)
    assert len(found) == 1 and found[0].startswith(problem), found


def test_every_problem_is_reported_at_once_and_the_file_loader_refuses(tmp_path: Any) -> None:
    def break_three(r: dict[str, Any]) -> None:
        r["licences"]["max_shops_per_licence"] = "five"
        r["screening"]["licence_at_limit"] = "maybe"
        r["lifecycle"]["carryover"]["upgrade"]["score"] = "keep"

    found = problems_after(break_three)
    assert [p.split(":")[0] for p in found] == [
        "onboarding.licences.max_shops_per_licence", "onboarding.screening.licence_at_limit",
        "onboarding.lifecycle.carryover.upgrade.score"]
    raw = copy.deepcopy(RAW)
    break_three(raw)
    path = tmp_path / "onboarding.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(MerchantRulebookError, match="max_shops_per_licence") as err:
        load_onboarding_file(path)
    assert [p.split(":")[0] for p in err.value.problems] == [p.split(":")[0] for p in found]
    assert problems_after(lambda r: r.clear())
    with pytest.raises(MerchantRulebookError) as err:
        load_onboarding(yaml.safe_load("[]"))
    assert err.value.problems == ["onboarding: must be a mapping"]


# --- reason texts ------------------------------------------------------------------------------------------------

def test_every_emitted_code_has_both_texts_and_renders() -> None:
    texts = reason_texts("screening", "lifecycle", "transfer")
    for code, langs in texts.items():
        assert set(langs) == {"zh-CN", "en"} and all(langs.values()), code
    reasons = [
        *decide(apply()).reasons,
        *decide(apply(store_type="martian", categories=())).reasons,
        *decide(apply(store_type="personal", licence_no="L9", categories=(DOWN, SNACKS)), shops=5, affiliated=1,
                links=(BannedLink("phone", "138****0000", "b9"),)).reasons,
        *decide(apply(licence_no=None)).reasons,
        *plan("transfer", shop(), TransferTarget("m2", "enterprise", "L2")).reasons,
        *plan_transfer("transfer", shop=shop(), target=TransferTarget("m2", "individual", "L1"),
                       rules=reset_score_rules(), banned_links=()).reasons,
        *plan("upgrade", shop(store_type="personal", licence_no=None),
              TransferTarget("m1", "individual", "L7")).reasons,
        *(transition(ShopState.ACTIVE, ShopState.SUSPENDED, reason_code=code, at=T).reasons[0]
          for code in texts if code.startswith("lifecycle.")),
    ]
    assert {r.code for r in reasons} == set(texts)  # every code is emitted somewhere and has its texts
    for reason in reasons:
        for lang in ("zh-CN", "en"):
            assert render(reason, texts, lang) != reason.code, (reason, lang)
