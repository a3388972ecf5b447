"""Deposit requirements with plain values: the base table per store type, the June 2025 GMV tiers at their edges and
at applies_from, the zero-deposit trial (eligibility, caps, top-up from sales, withdrawal limits), deposit status,
and the deposits rulebook section's validation."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from tests.catalogs import reason_texts

from anxin.merchants.categories import CategoryRef
from anxin.merchants.deposits import (
    DEFAULT_DEPOSITS_PATH,
    DepositError,
    deposit_status,
    listing_cap,
    load_deposits,
    load_deposits_file,
    required_deposit,
    top_up_from_sales,
    trial_eligibility,
)
from anxin.merchants.ledger import trial_withdrawal_problems
from anxin.merchants.reasons import Reason, render
from anxin.merchants.rulebook_models import MerchantRulebookError

RULES = load_deposits_file()
RAW = yaml.safe_load(DEFAULT_DEPOSITS_PATH.read_text(encoding="utf-8"))
BJ = dt.timezone(dt.timedelta(hours=8))
BEFORE_TIERS = dt.datetime(2025, 6, 11, 23, 59, 59, 999999, tzinfo=BJ)
TIERS_FROM = dt.datetime(2025, 6, 12, tzinfo=BJ)
NOW = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)

SHIRTS = CategoryRef("apparel-men", ("apparel",), frozenset({"apparel"}))
DOWN = CategoryRef("down-women", ("down_jackets", "apparel"), frozenset({"apparel"}))
BRA = CategoryRef("bras", ("womens_underwear", "apparel"))
RING = CategoryRef("jewelry-engraved", ("jewelry",), frozenset({"jewelry"}))
TOYS = CategoryRef("baby-toys", ("mother_baby",))
FORMULA = CategoryRef("formula-stage1", ("infant_formula", "mother_baby"))
PHONES = CategoryRef("3c-phones", ("3c",), frozenset({"3c"}))
WINE = CategoryRef("red-wine", ("alcohol", "food"), frozenset({"alcohol", "food"}))

REASON_TEXT = reason_texts("deposit", "trial")  # the pages word these reasons with them


def test_shipped_deposits_section_loads() -> None:
    assert [(t.below_fen, t.fen) for t in RULES.gmv_tiers] == [(5_000_000, 50_000), (10_000_000, 200_000),
                                                                (None, 500_000)]
    assert RULES.tiers_apply_from == TIERS_FROM and RULES.combination == "cap_base"
    assert dict(RULES.trial.listing_caps) == {"individual": 100, "personal": 100, "enterprise": 200}
    assert RULES.trial.platform_marketing is False and RULES.trial.top_up_share_bp == 1000
    assert (RULES.trial_withdrawal.min_fen, RULES.trial_withdrawal.max_share_pct) == (10_000, 50)
    assert RULES.trial.exclusions[0].starts == dt.datetime(2024, 7, 11, tzinfo=BJ)


# --- base table (before the June 2025 tiers) ------------------------------------------------------------------------

@pytest.mark.parametrize(("store_type", "categories", "fen", "rule_ids"), [
    ("individual", (SHIRTS,), 200_000, ("deposit.base.apparel",)),
    ("enterprise", (SHIRTS,), 400_000, ("deposit.base.apparel",)),
    ("personal", (SHIRTS,), 200_000, ("deposit.base.apparel",)),
    ("individual", (DOWN,), 5_000_000, ("deposit.base.down_jackets",)),
    ("enterprise", (DOWN,), 5_000_000, ("deposit.base.down_jackets",)),
    ("individual", (BRA,), 200_000, ("deposit.base.womens_underwear",)),
    ("enterprise", (BRA,), 1_000_000, ("deposit.base.womens_underwear",)),
    ("individual", (RING,), 2_000_000, ("deposit.base.jewelry",)),
    ("individual", (TOYS,), 500_000, ("deposit.base.mother_baby",)),
    ("enterprise", (FORMULA,), 500_000, ("deposit.base.infant_formula",)),
    ("enterprise", (PHONES,), 400_000, ("deposit.base.default",)),
    ("personal", (), 200_000, ("deposit.base.default",)),
    # the highest base over the shop's categories
    ("enterprise", (SHIRTS, BRA, PHONES), 1_000_000,
     ("deposit.base.apparel", "deposit.base.womens_underwear", "deposit.base.default")),
])
def test_base_deposit_by_category_and_store_type(store_type: str, categories: tuple[CategoryRef, ...], fen: int,
                                                 rule_ids: tuple[str, ...]) -> None:
    req = required_deposit(store_type, categories, 0, at=BEFORE_TIERS, rules=RULES)
    assert (req.fen, req.base_fen, req.tier_fen, req.rule_ids) == (fen, fen, None, rule_ids)
    assert req.reasons[-1].code == "deposit.tiers_not_yet"


@pytest.mark.parametrize("category", [DOWN, BRA, RING, FORMULA])
def test_categories_a_personal_shop_may_not_sell_have_no_deposit(category: CategoryRef) -> None:
    with pytest.raises(DepositError) as err:
        required_deposit("personal", (SHIRTS, category), 0, at=NOW, rules=RULES)
    assert err.value.code == "merchants.category_not_allowed"


@pytest.mark.parametrize(("store_type", "gmv", "code"), [
    ("martian", 0, "merchants.invalid_field"), ("individual", -1, "merchants.invalid_amount")])
def test_bad_inputs_are_refused_with_codes(store_type: str, gmv: int, code: str) -> None:
    with pytest.raises(DepositError) as err:
        required_deposit(store_type, (SHIRTS,), gmv, at=NOW, rules=RULES)
    assert err.value.code == code


# --- GMV tiers -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("store_type", "categories", "gmv", "fen", "tier"), [
    ("individual", (DOWN,), 0, 50_000, 50_000),
    ("individual", (DOWN,), 4_999_999, 50_000, 50_000),
    ("individual", (DOWN,), 5_000_000, 200_000, 200_000),
    ("individual", (DOWN,), 9_999_999, 200_000, 200_000),
    ("individual", (DOWN,), 10_000_000, 500_000, 500_000),
    ("enterprise", (BRA,), 10**11, 500_000, 500_000),
    # the tier caps the base; it never raises a smaller base
    ("individual", (SHIRTS,), 10_000_000, 200_000, 500_000),
    ("personal", (SHIRTS,), 5_000_000, 200_000, 200_000),
    ("enterprise", (SHIRTS,), 5_000_000, 200_000, 200_000),
])
def test_gmv_tiers_cap_the_base(store_type: str, categories: tuple[CategoryRef, ...], gmv: int, fen: int,
                                tier: int) -> None:
    req = required_deposit(store_type, categories, gmv, at=TIERS_FROM, rules=RULES)
    assert (req.fen, req.tier_fen) == (fen, tier)
    assert req.reasons[-1].code == ("deposit.tier_caps_base" if tier < req.base_fen else "deposit.base_below_tier")


@pytest.mark.parametrize(("at", "fen"), [
    (BEFORE_TIERS, 5_000_000),
    (TIERS_FROM, 50_000),
    (dt.datetime(2025, 6, 11, 16, 0, tzinfo=dt.UTC), 50_000),  # the same instant in UTC
    (dt.datetime(2025, 6, 11, 15, 59, 59, tzinfo=dt.UTC), 5_000_000),
])
def test_tiers_apply_from_beijing_midnight_12_june_2025(at: dt.datetime, fen: int) -> None:
    assert required_deposit("enterprise", (DOWN,), 0, at=at, rules=RULES).fen == fen


def test_replace_base_lets_the_tier_alone_decide() -> None:
    rules = dataclasses.replace(RULES, combination="replace_base")
    req = required_deposit("individual", (SHIRTS,), 10_000_000, at=NOW, rules=rules)
    assert (req.fen, req.base_fen, req.reasons[-1].code) == (500_000, 200_000, "deposit.tier_replaces_base")
    assert req.rule_ids == ("deposit.base.apparel", "deposit.gmv_tier.top")


# --- zero-deposit trial --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("store_type", "categories", "affiliated", "at", "eligible", "codes"), [
    ("individual", (SHIRTS,), 0, NOW, True, ["trial.eligible"]),
    ("personal", (SHIRTS,), 0, NOW, True, ["trial.eligible"]),
    ("enterprise", (DOWN, PHONES), 0, NOW, True, ["trial.eligible"]),
    ("enterprise", (WINE,), 0, dt.datetime(2024, 7, 10, 23, 59, 59, tzinfo=BJ), True, ["trial.eligible"]),
    ("enterprise", (WINE,), 0, dt.datetime(2024, 7, 11, tzinfo=BJ), False, ["trial.category_excluded"]),
    ("enterprise", (SHIRTS, WINE), 0, NOW, False, ["trial.category_excluded"]),
    ("individual", (SHIRTS,), 1, NOW, False, ["trial.affiliated_violations"]),
    ("martian", (WINE,), 2, NOW, False,
     ["trial.store_type_excluded", "trial.category_excluded", "trial.affiliated_violations"]),
])
def test_trial_eligibility(store_type: str, categories: tuple[CategoryRef, ...], affiliated: int, at: dt.datetime,
                           eligible: bool, codes: list[str]) -> None:
    ok, reasons = trial_eligibility(store_type, categories, affiliated_violations=affiliated, at=at, rules=RULES)
    assert (ok, [r.code for r in reasons]) == (eligible, codes)


def test_an_exclusion_can_end() -> None:
    ended = dataclasses.replace(RULES.trial.exclusions[0], ends=dt.datetime(2026, 1, 1, tzinfo=BJ))
    rules = dataclasses.replace(RULES, trial=dataclasses.replace(RULES.trial, exclusions=(ended,)))
    assert trial_eligibility("enterprise", (WINE,), affiliated_violations=0, at=NOW, rules=rules)[0] is True
    assert trial_eligibility("enterprise", (WINE,), affiliated_violations=0, at=dt.datetime(2025, 12, 31, 23, 59,
                                                                                             tzinfo=BJ),
                             rules=rules)[0] is False


@pytest.mark.parametrize(("store_type", "trial", "cap"), [
    ("individual", True, 100), ("personal", True, 100), ("enterprise", True, 200),
    ("individual", False, None), ("personal", False, None), ("enterprise", False, None),
])
def test_listing_caps(store_type: str, trial: bool, cap: int | None) -> None:
    assert listing_cap(store_type, trial=trial, rules=RULES) == cap


def test_no_cap_for_a_store_type_without_a_trial() -> None:
    with pytest.raises(DepositError) as err:
        listing_cap("martian", trial=True, rules=RULES)
    assert err.value.code == "merchants.invalid_field"


@pytest.mark.parametrize(("goods", "held", "required", "moved"), [
    (10_000, 0, 50_000, 1_000),  # 10 %
    (9, 0, 50_000, 0),  # 0.9 fen rounds down
    (19, 0, 50_000, 1),  # 1.9 fen rounds down
    (10_000, 49_500, 50_000, 500),  # never more than the gap
    (10_000, 50_000, 50_000, 0),  # requirement met
    (10_000, 60_000, 50_000, 0),  # above the requirement: never negative
    (0, 0, 50_000, 0),
    (-10_000, 0, 50_000, 0),  # a refund moves nothing back out
])
def test_top_up_from_sales(goods: int, held: int, required: int, moved: int) -> None:
    assert top_up_from_sales(goods, held_fen=held, required_fen=required, rules=RULES) == moved


@pytest.mark.parametrize(("fen", "balance", "ok"), [
    (10_000, 20_000, True), (9_999, 20_000, False), (10_000, 19_999, False), (10_001, 20_001, False),
    (10_000, 20_001, True),
])
def test_trial_withdrawal_rules_feed_the_ledger_check(fen: int, balance: int, ok: bool) -> None:
    problems = trial_withdrawal_problems(fen, goods_balance_fen=balance, last_withdrawal_at=None, at=NOW,
                                         rules=RULES.trial_withdrawal)
    assert (problems == []) is ok


# --- status --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("held", "required", "debt", "state", "shortfall", "codes"), [
    (50_000, 50_000, 0, "ok", 0, ["deposit.sufficient"]),
    (60_000, 50_000, 0, "ok", 0, ["deposit.sufficient"]),
    (49_999, 50_000, 0, "top_up_due", 1, ["deposit.below_requirement"]),
    (0, 50_000, 0, "top_up_due", 50_000, ["deposit.below_requirement"]),
    (0, 50_000, 1, "in_debt", 50_001, ["deposit.in_debt", "deposit.below_requirement"]),
    (50_000, 50_000, 300, "in_debt", 300, ["deposit.in_debt"]),
])
def test_deposit_status(held: int, required: int, debt: int, state: str, shortfall: int, codes: list[str]) -> None:
    status = deposit_status(held_fen=held, required_fen=required, debt_fen=debt)
    assert (status.state, status.shortfall_fen, [r.code for r in status.reasons]) == (state, shortfall, codes)


def test_debt_is_what_the_shop_owes_never_a_ledger_balance() -> None:
    with pytest.raises(DepositError) as err:
        deposit_status(held_fen=0, required_fen=0, debt_fen=-1)
    assert err.value.code == "merchants.invalid_amount"


# --- rulebook validation -------------------------------------------------------------------------------------------

def problems_after(mutate: Callable[[dict[str, Any]], None]) -> list[str]:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    try:
        load_deposits(raw)
    except MerchantRulebookError as exc:
        return exc.problems
    return []


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda r: r.update(colour="red"), "deposits.colour: unknown key"),
    (lambda r: r.pop("base"), "deposits.base: required"),
    (lambda r: r.update(base=[]), "deposits.base: must not be empty"),
    (lambda r: r.update(kind="merchants.fees"), "deposits.kind: must be one of 'merchants.deposits'"),
    (lambda r: r["base"][1]["fen"].update(individual=2000.0), "deposits.base[1].fen.individual: must be an integer"),
    (lambda r: r["base"][1]["fen"].update(martian=1), "deposits.base[1].fen.martian: unknown key"),
    (lambda r: r["base"][1].update(fen={}), "deposits.base[1].fen: must give an amount"),
    (lambda r: r["base"][1]["name"].pop("zh-CN"), "deposits.base[1].name.zh-CN: required"),
    (lambda r: r["base"][2]["match"].update(categories="down_jackets"),
     "deposits.base[2].match.categories: must be a list"),
    (lambda r: r["base"][2].update(id="deposit.base.apparel"), "deposits.base[2].id: duplicate id"),
    (lambda r: r["base"][0]["fen"].pop("personal"), "deposits.base: the default row must give an amount for every"),
    (lambda r: r["base"].pop(0), "deposits.base: needs exactly one default row (an empty match), found 0"),
    (lambda r: r["gmv_tiers"][1].update(below_fen="100k"), "deposits.gmv_tiers[1].below_fen: must be an integer"),
    (lambda r: r["gmv_tiers"][1].update(below_fen=5_000_000),
     "deposits.gmv_tiers[1].below_fen: must be above the previous tier's (5000000)"),
    (lambda r: r["gmv_tiers"][2].update(below_fen=20_000_000),
     "deposits.gmv_tiers[2].below_fen: the last tier takes every GMV"),
    (lambda r: r["gmv_tiers"][0].pop("below_fen"), "deposits.gmv_tiers[0].below_fen: required (every tier but"),
    (lambda r: r["trial"]["excluded"][0].update(until="2024-07-01T00:00:00+08:00"),
     "deposits.trial.excluded[0].until: must be after from"),
    (lambda r: r["gmv_tiers"][0].pop("fen"), "deposits.gmv_tiers[0].fen: required"),
    (lambda r: r["gmv_tiering"].update(applies_from="2025-06-12"), "deposits.gmv_tiering.applies_from:"),
    (lambda r: r["gmv_tiering"].update(combination="sum"), "deposits.gmv_tiering.combination: must be one of"),
    (lambda r: r["trial"]["excluded"][0].pop("from"), "deposits.trial.excluded[0].from: required"),
    (lambda r: r["trial"]["listing_caps"].update(enterprise=0),
     "deposits.trial.listing_caps.enterprise: must be a positive integer"),
    (lambda r: r["trial"].update(platform_marketing="no"),
     "deposits.trial.platform_marketing: must be true or false, got 'no'"),
    (lambda r: r["trial"].update(top_up_share_bp=10_001), "deposits.trial.top_up_share_bp: must be an integer 0–"),
    (lambda r: r["trial"]["withdrawal"].update(max_share_bp=5050),
     "deposits.trial.withdrawal.max_share_bp: must be whole percent"),
    (lambda r: r["trial"]["withdrawal"].update(max_share_pct=50), "deposits.trial.withdrawal.max_share_pct: unknown"),
])
def test_a_broken_section_names_the_problem_with_its_path(mutate: Callable[[dict[str, Any]], None],
                                                          problem: str) -> None:
    found = problems_after(mutate)
    assert len(found) == 1 and found[0].startswith(problem), found


def test_every_problem_is_reported_at_once_and_the_file_loader_refuses(tmp_path: Any) -> None:
    def break_three(r: dict[str, Any]) -> None:
        r["base"][3]["fen"]["enterprise"] = "lots"
        r["gmv_tiers"][1]["fen"] = -1
        r["trial"]["withdrawal"]["min_fen"] = None

    found = problems_after(break_three)
    assert [p.split(":")[0] for p in found] == [
        "deposits.base[3].fen.enterprise", "deposits.gmv_tiers[1].fen", "deposits.trial.withdrawal.min_fen"]
    raw = copy.deepcopy(RAW)
    break_three(raw)
    path = tmp_path / "deposits.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(MerchantRulebookError, match="gmv_tiers") as err:
        load_deposits_file(path)
    assert [p.split(":")[0] for p in err.value.problems] == [p.split(":")[0] for p in found]
    assert problems_after(lambda r: r.clear())
    with pytest.raises(MerchantRulebookError) as err:
        load_deposits([])
    assert err.value.problems == ["deposits: must be a mapping"]


# --- reason texts --------------------------------------------------------------------------------------------------

def test_every_emitted_code_has_both_texts_and_renders() -> None:
    for code, langs in REASON_TEXT.items():
        assert set(langs) == {"zh-CN", "en"} and all(langs.values()), code
    reasons: list[Reason] = [
        *required_deposit("individual", (DOWN,), 0, at=BEFORE_TIERS, rules=RULES).reasons,
        *required_deposit("individual", (), 0, at=NOW, rules=RULES).reasons,
        *required_deposit("individual", (DOWN,), 0, at=NOW, rules=RULES).reasons,
        *required_deposit("individual", (SHIRTS,), 10**8, at=NOW, rules=RULES).reasons,
        *required_deposit("individual", (SHIRTS,), 0, at=NOW,
                          rules=dataclasses.replace(RULES, combination="replace_base")).reasons,
        *trial_eligibility("individual", (SHIRTS,), affiliated_violations=0, at=NOW, rules=RULES)[1],
        *trial_eligibility("martian", (WINE,), affiliated_violations=1, at=NOW, rules=RULES)[1],
        *deposit_status(held_fen=1, required_fen=1, debt_fen=0).reasons,
        *deposit_status(held_fen=0, required_fen=1, debt_fen=1).reasons,
    ]
    assert {r.code for r in reasons} == set(REASON_TEXT)
    for reason in reasons:
        for lang in ("zh-CN", "en"):
            assert render(reason, REASON_TEXT, lang) != reason.code, (reason, lang)
    tier = next(r for r in reasons if r.code == "deposit.gmv_tier")
    assert render(tier, REASON_TEXT, "en") == "Last month's GMV ¥0.00 falls in the ¥500.00 tier"
    assert tier.params["amount_fen"] == 50_000
