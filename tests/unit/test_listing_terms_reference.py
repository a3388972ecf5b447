"""The fast listing-terms matcher against a straightforward reference: normalise each field character by character
(keeping the map back to the original), find every occurrence of every term and exception phrase with str.find,
drop what an exception or a longer, as strict match covers. Random texts mix terms, exception phrases, full-width
and upper-case spellings, characters that grow when normalised (㎏), combining marks and characters beyond the BMP."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.governance.listing_terms_rules import PASS, SEVERITY, ListingTerms, load_listing_terms, parse_listing_terms
from anxin.governance.terms import TermMatcher, changed_characters


def _piece(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).casefold()


def _normalised(text: str) -> tuple[str, list[int]]:
    pieces = [_piece(ch) for ch in text]
    return "".join(pieces), [i for i, p in enumerate(pieces) for _ in p]


def _occurrences(text: str, key: str) -> list[tuple[int, int]]:
    found, at = [], text.find(key)
    while at >= 0:
        found.append((at, at + len(key)))
        at = text.find(key, at + 1)
    return found


def _covered(s: int, e: int, g: Any, allowed: list[tuple[int, int]], found: list[Any]) -> bool:
    """Inside an exception phrase, or inside a longer match whose outcome is as strict or stricter."""
    return (any(a <= s and e <= b for a, b in allowed)
            or any(os <= s and e <= oe and oe - os > e - s and SEVERITY[og.outcome] >= SEVERITY[g.outcome]
                   for os, oe, _, og in found))


def reference(terms: ListingTerms, *, title: str, description: str, tags: frozenset[str]) -> dict[str, Any]:
    groups = [g for g in terms.groups if g.applies((), tags)]
    matches: list[dict[str, Any]] = []
    for field, text in (("title", title), ("description", description)):
        norm, origin = _normalised(text)
        allowed = [span for phrase in terms.exceptions for span in _occurrences(norm, _normalised(phrase)[0])]
        found = [(s, e, term, g) for g in groups for term in g.terms
                 for s, e in _occurrences(norm, _normalised(term)[0])]
        kept = sorted(((s, e, t, g) for s, e, t, g in found if not _covered(s, e, g, allowed, found)),
                      key=lambda f: (f[0], -f[1]))
        for s, e, term, g in kept:
            start, end = origin[s], origin[e - 1] + 1
            matches.append({"field": field, "start": start, "end": end, "term": term, "text": text[start:end],
                            "rule_id": g.rule_id, "group": g.name_zh, "outcome": g.outcome,
                            "violation_kind": g.violation_kind, "reason": g.reason})
    outcome = max((m["outcome"] for m in matches), key=SEVERITY.__getitem__, default=PASS)
    rule_ids = [g.rule_id for g in terms.groups if any(m["rule_id"] == g.rule_id for m in matches)]
    return {"outcome": outcome, "matches": matches, "rule_ids": rule_ids, "rulebook_version": terms.version}


def _group(gid: str, terms: list[str], outcome: str = "blocked") -> dict[str, Any]:
    return {"id": gid, "name": {"zh-CN": gid, "en": gid}, "outcome": outcome, "violation_kind": "false_advertising",
            "reason": f"governance.reason.{gid}", "applies_to": {}, "source": {"grade": "INF", "ref": "test"},
            "terms": terms}


# A term with the separator the fast path joins the fields with: this rulebook is scanned field by field.
SEPARATED = parse_listing_terms({
    "kind": "governance.listing_terms",
    "groups": [_group("abs", ["最好", "no.1", "a\x00b", "kg"]), _group("review", ["最", "第一", "b"], "needs_review")],
    "exceptions": [{"id": "ok", "reason": "r", "source": {"grade": "INF", "ref": "t"}, "phrases": ["最近", "第一次"]}],
}, version="v-sep")
PACKAGED = load_listing_terms()
MATCHERS = {"packaged": (PACKAGED, TermMatcher(PACKAGED)), "separated": (SEPARATED, TermMatcher(SEPARATED))}

WORDS = sorted({t for terms, _ in MATCHERS.values() for g in terms.groups for t in g.terms}
               | {p for terms, _ in MATCHERS.values() for p in terms.exceptions})
NOISE = ["，", "。", "（", "）", " ", "\u3000", "面膜", "x", "T", "㎏", "ß", "ﬁ", "\u0301", "e\u0301", "İ", "Σ", "ㄱㅏ",
         "\x00", "𝐍𝐎.𝟏", "🔥", "🈶", "\U0002f8b2", "\u2f00", "\ufa10", "ｏ", "％"]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


fragment = st.one_of(
    st.sampled_from(WORDS), st.sampled_from(NOISE),
    st.sampled_from(WORDS).map(str.upper), st.sampled_from(WORDS).map(_full_width),
    st.characters(blacklist_categories=("Cs",)),
)
texts = st.lists(fragment, max_size=10).map("".join)
tag_sets = st.sampled_from([frozenset(), frozenset({"cosmetics"}), frozenset({"food"}), frozenset({"medical"}),
                            frozenset({"cosmetics", "medical"}), frozenset({"fresh"})])


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(MATCHERS)), title=texts, description=texts, tags=tag_sets)
def test_fast_matcher_agrees_with_the_reference(name: str, title: str, description: str,
                                                tags: frozenset[str]) -> None:
    terms, matcher = MATCHERS[name]
    check = matcher.check(title=title, description=description, tags=tags)
    assert check.as_dict() == reference(terms, title=title, description=description, tags=tags)


@pytest.mark.parametrize(("title", "description"), [
    ("ＮＯ．１面膜，最近上新", "㎏装，最好"),      # normalised (Ｎ matters), positions moved by ㎏
    ("最好的面膜，最近上新", "敷完水润，第一次用"),  # scanned as written: ， does not matter
    ("𝐍𝐎.𝟏 🔥", "100%纯棉"),
    ("", ""),
    ("最好a", "b最近"),  # a term with the separator never spans the two fields
])
def test_examples_agree_with_the_reference(title: str, description: str) -> None:
    for terms, matcher in MATCHERS.values():
        for tags in (frozenset(), frozenset({"cosmetics"})):
            expected = reference(terms, title=title, description=description, tags=tags)
            assert matcher.check(title=title, description=description, tags=tags).as_dict() == expected


@pytest.mark.slow
def test_changed_characters_are_every_character_normalisation_changes() -> None:
    every = tuple(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000 and _piece(chr(c)) != chr(c))
    assert changed_characters() == every
