"""The listing-terms matcher and its rulebook: positions, exceptions, overlaps, normalisation, strictest outcome,
category scoping, and the rulebook's checks on load."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from anxin.governance.listing_terms_rules import (
    DEFAULT_PATH,
    ListingTermsError,
    load_listing_terms,
    parse_listing_terms,
    rulebook_version,
)
from anxin.governance.terms import TermMatcher, explain, matcher_for, normalised_with_positions


def _group(gid: str, terms: list[str], outcome: str = "blocked", **applies: list[str]) -> dict[str, Any]:
    return {"id": gid, "name": {"zh-CN": gid, "en": gid}, "outcome": outcome, "violation_kind": "false_advertising",
            "reason": f"governance.reason.{gid}", "applies_to": applies,
            "source": {"grade": "INF", "ref": "test"}, "terms": terms}


RAW: dict[str, Any] = {
    "kind": "governance.listing_terms",
    "groups": [_group("abs", ["最好", "全网最低", "第一品牌", "no.1"]),
               _group("review", ["最", "第一", "100%"], outcome="needs_review"),
               _group("med", ["治疗", "消炎"], tags=["cosmetics", "food"], except_tags=["medical"]),
               _group("cat", ["秒白"], categories=["c-beauty"], outcome="needs_review")],
    "exceptions": [{"id": "ok", "reason": "harmless", "source": {"grade": "INF", "ref": "test"},
                    "phrases": ["最近", "第一次", "100%纯棉", "不能代替药物治疗"]}],
}


@pytest.fixture(scope="module")
def matcher() -> TermMatcher:
    return TermMatcher(parse_listing_terms(RAW, version="v-test"))


def spans(check: Any) -> list[tuple[str, int, int, str, str]]:
    return [(m.field, m.start, m.end, m.text, m.rule_id) for m in check.matches]


@pytest.mark.parametrize(("title", "expected", "outcome"), [
    ("最好的面膜", [("title", 0, 2, "最好", "abs")], "blocked"),                       # at the start
    ("这款面膜最好", [("title", 4, 6, "最好", "abs")], "blocked"),                     # at the end
    ("最近上新", [], "pass"),                                                          # 最 inside 最近
    ("最近最好", [("title", 2, 4, "最好", "abs")], "blocked"),                         # exception, then a claim
    ("第一次用", [], "pass"),
    ("销量第一", [("title", 2, 4, "第一", "review")], "needs_review"),
    ("第一品牌", [("title", 0, 4, "第一品牌", "abs")], "blocked"),  # 第一 inside 第一品牌: one finding
    ("全网最低价", [("title", 0, 4, "全网最低", "abs")], "blocked"),                  # 最 inside 全网最低
    ("最新款", [("title", 0, 1, "最", "review")], "needs_review"),                    # bare 最: a person looks
    ("100%纯棉T恤", [], "pass"),
    ("100%有效", [("title", 0, 4, "100%", "review")], "needs_review"),
    ("１００％有效", [("title", 0, 4, "１００％", "review")], "needs_review"),        # full-width digits and %
    ("ＮＯ．１面膜", [("title", 0, 4, "ＮＯ．１", "abs")], "blocked"),                # full-width, upper case
    ("No.1 面膜", [("title", 0, 4, "No.1", "abs")], "blocked"),
    ("", [], "pass"),
    ("普通T恤", [], "pass"),
])
def test_titles(matcher: TermMatcher, title: str, expected: list[tuple[str, ...]], outcome: str) -> None:
    check = matcher.check(title=title)
    assert spans(check) == expected
    assert check.outcome == outcome
    for m in check.matches:
        assert title[m.start:m.end] == m.text


@pytest.mark.parametrize(("tags", "lineage", "outcome", "rules"), [
    (frozenset({"cosmetics"}), (), "blocked", ("med",)),
    (frozenset({"food"}), (), "blocked", ("med",)),
    (frozenset({"cosmetics", "medical"}), (), "pass", ()),   # medical categories may name treatments
    (frozenset({"apparel"}), (), "pass", ()),
    (frozenset(), ("c-beauty-mask", "c-beauty"), "needs_review", ("cat",)),  # by an ancestor's id
])
def test_groups_apply_by_category(matcher: TermMatcher, tags: frozenset[str], lineage: tuple[str, ...],
                                  outcome: str, rules: tuple[str, ...]) -> None:
    title = "秒白 消炎" if lineage else "消炎面膜"
    check = matcher.check(title=title, tags=tags, lineage=lineage)
    assert (check.outcome, check.rule_ids) == (outcome, rules)


def test_description_positions_and_strictest_outcome(matcher: TermMatcher) -> None:
    check = matcher.check(title="销量第一", description="本品不能代替药物治疗；消炎", tags=frozenset({"food"}))
    assert spans(check) == [("title", 2, 4, "第一", "review"), ("description", 11, 13, "消炎", "med")]
    assert check.outcome == "blocked"
    assert check.rule_ids == ("review", "med")  # rulebook order
    assert check.version == "v-test"
    assert explain(check.matches[1]) == {"reason": "governance.reason.med", "term": "消炎", "field": "description",
                                         "rule_id": "med", "outcome": "blocked"}


def test_overlapping_terms_of_different_strictness_both_reported(matcher: TermMatcher) -> None:
    # 最好 (blocked) covers 最 (review); a needs_review 第一 next to it overlaps nothing.
    check = matcher.check(title="最好第一")
    assert [m.text for m in check.matches] == ["最好", "第一"]


def test_normalisation_keeps_original_positions() -> None:
    norm, origin = normalised_with_positions("Ａ㎏b")
    assert norm == "akgb"
    assert origin == [0, 1, 1, 2]


def test_packaged_term_lists_load_with_the_bundle_version() -> None:
    terms = load_listing_terms()
    assert terms.version == rulebook_version() == "governance-2026.12"
    matcher = matcher_for(terms)
    assert matcher is matcher_for(terms)  # built once per version
    assert matcher.check(title="最近上新 第一次购买").outcome == "pass"
    assert matcher.check(title="国家级 顶级 面膜").outcome == "blocked"
    assert matcher.check(title="祛痘消炎面膜", tags=frozenset({"cosmetics"})).outcome == "blocked"
    assert matcher.check(title="巴氏杀菌乳 最佳饮用温度 4℃", tags=frozenset({"food"})).outcome == "pass"


def _bad(change: Any) -> list[str]:
    raw = copy.deepcopy(RAW)
    change(raw)
    with pytest.raises(ListingTermsError) as exc:
        parse_listing_terms(raw, version="v")
    return exc.value.problems


@pytest.mark.parametrize(("change", "problem"), [
    (lambda r: r["groups"][1].update(id="abs"), "groups[1].id: duplicate id 'abs' (also groups[0])"),
    (lambda r: r["exceptions"][0].update(id="abs"), "exceptions[0].id: duplicate id 'abs' (also groups[0])"),
    (lambda r: r["groups"][0].update(terms=[]), "groups[0].terms: must not be empty"),
    (lambda r: r["groups"][0]["terms"].append(""), "groups[0].terms[4]: required, a non-empty string"),
    (lambda r: r["groups"][0]["terms"].append(" "), "groups[0].terms[4]: a term must have a visible character"),
    (lambda r: r["groups"][0]["terms"].append("ＮＯ.1"), "groups[0].terms[4]: 'ＮＯ.1' is listed twice in the group"),
    (lambda r: r["exceptions"][0]["phrases"].append("最好"),
     "exceptions[0].phrases[4]: '最好' is both excepted and forbidden (group abs)"),
    (lambda r: r["exceptions"][0]["phrases"].append("纯棉"),
     "exceptions[0].phrases[4]: '纯棉' contains no forbidden term: it excuses nothing"),
    (lambda r: r["groups"][0].update(outcome="pass"), "groups[0].outcome: must be one of"),
    (lambda r: r["groups"][0].update(violation_kind="counterfeit"), "groups[0].violation_kind: must be one of"),
    (lambda r: r["groups"][0].update(extra=1), "groups[0].extra: unknown key"),
    (lambda r: r["groups"][0]["source"].update(grade="Z"), "groups[0].source.grade: must be one of"),
])
def test_rulebook_refuses(change: Any, problem: str) -> None:
    assert any(p.startswith(problem) for p in _bad(change)), _bad(change)


def test_packaged_file_is_the_kind_it_says() -> None:
    assert yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))["kind"] == "governance.listing_terms"
