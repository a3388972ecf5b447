"""The listing-terms matcher: one Aho–Corasick automaton (pyahocorasick) over every forbidden term and exception
phrase of a term-list version, built once per version, scanning a listing's title and description in one pass each.

Texts are compared as ``listing_terms_rules.normalise`` does (NFKC, casefolded), one character at a time, so every
position of the normalised text maps back to a character of the original: a match reports the original text's
``start``/``end`` (``text[start:end]`` is what the merchant wrote, ｆｕｌｌ-width or not). A forbidden match that lies
inside an exception phrase is dropped (最 inside 最近), and so is one inside a longer match of a group with the same
or a stricter outcome (最 inside 最好): each finding is the longest claim, explained once. Pure.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import ahocorasick

from anxin.governance.listing_terms_rules import PASS, SEVERITY, ListingTerms, TermGroup

FIELDS = ("title", "description")


@dataclass(frozen=True)
class TermMatch:
    field: str  # title | description
    start: int  # character offsets in the original text: text[start:end] is the matched term as written
    end: int
    term: str  # the term as the rulebook lists it
    text: str  # the matched characters as written
    rule_id: str
    group: str  # the group's name in Chinese, for people reading a finding
    outcome: str
    violation_kind: str
    reason: str  # text key of the explanation (governance.reason.<...>)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "term": self.term, "text": self.text,
                "rule_id": self.rule_id, "group": self.group, "outcome": self.outcome,
                "violation_kind": self.violation_kind, "reason": self.reason}


@dataclass(frozen=True)
class TermCheck:
    outcome: str  # pass | needs_review | blocked: the strictest of the matches
    matches: tuple[TermMatch, ...]
    rule_ids: tuple[str, ...]  # the groups that matched, in rulebook order
    version: str

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "matches": [m.as_dict() for m in self.matches],
                "rule_ids": list(self.rule_ids), "rulebook_version": self.version}


def normalised_with_positions(text: str) -> tuple[str, list[int]]:
    """The text normalised character by character, and for each normalised character the index of the original
    character it came from (NFKC may turn one character into several: ㎏ → kg). Most texts are already normal:
    they are returned as they are, with the identity map."""
    if unicodedata.is_normalized("NFKC", text) and text == text.casefold():
        return text, list(range(len(text)))
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        piece = ch if ch.isascii() and not ch.isupper() else unicodedata.normalize("NFKC", ch).casefold()
        out.append(piece)
        origin.extend([i] * len(piece))
    return "".join(out), origin


_ALLOW = "allow"


class TermMatcher:
    """The automaton of one term-list version. Build with ``matcher_for`` (cached per version)."""

    def __init__(self, terms: ListingTerms) -> None:
        self.terms = terms
        entries: dict[str, list[tuple[str, Any]]] = {}
        for group in terms.groups:
            for term in group.terms:
                entries.setdefault(_norm(term), []).append(("forbid", (term, group)))
        for phrase in terms.exceptions:
            entries.setdefault(_norm(phrase), []).append((_ALLOW, phrase))
        automaton = ahocorasick.Automaton()
        for key, values in entries.items():
            automaton.add_word(key, (len(key), tuple(values)))
        automaton.make_automaton()
        self._automaton = automaton

    def check(self, *, title: str, description: str = "", lineage: Iterable[str] = (),
              tags: frozenset[str] = frozenset()) -> TermCheck:
        """Every finding in the title and the description for a listing of a category with these ids (itself
        and its ancestors) and tags; the outcome is the strictest finding's, ``pass`` when there is none."""
        groups = self._groups(tuple(lineage), tags)
        matches = [m for name, text in (("title", title), ("description", description))
                   for m in self._scan(name, text, groups)]
        outcome = max((m.outcome for m in matches), key=SEVERITY.__getitem__, default=PASS)
        matched = {m.rule_id for m in matches}
        return TermCheck(outcome=outcome, matches=tuple(matches),
                         rule_ids=tuple(g.rule_id for g in self.terms.groups if g.rule_id in matched),
                         version=self.terms.version)

    @functools.lru_cache(maxsize=1024)  # noqa: B019 (one matcher per version, kept for the process anyway)
    def _groups(self, lineage: tuple[str, ...], tags: frozenset[str]) -> frozenset[str]:
        """The groups that judge a category: a few hundred categories, asked for every listing."""
        return frozenset(g.rule_id for g in self.terms.groups if g.applies(lineage, tags))

    def _scan(self, name: str, text: str, groups: frozenset[str]) -> list[TermMatch]:
        if not text:
            return []
        norm, origin = normalised_with_positions(text)
        allowed: list[tuple[int, int]] = []
        found: list[tuple[int, int, str, TermGroup]] = []
        for last, (length, values) in self._automaton.iter(norm):
            start = last + 1 - length
            for kind, value in values:
                if kind == _ALLOW:
                    allowed.append((start, last + 1))
                elif value[1].rule_id in groups:
                    found.append((start, last + 1, value[0], value[1]))
        kept = [f for f in found if not _inside_any(f[0], f[1], allowed)
                and not any(_covers(o, f) for o in found if o is not f)]
        kept.sort(key=lambda f: (f[0], -f[1]))
        return [TermMatch(field=name, start=origin[s], end=origin[e - 1] + 1, term=term,
                          text=text[origin[s]:origin[e - 1] + 1], rule_id=g.rule_id, group=g.name_zh,
                          outcome=g.outcome, violation_kind=g.violation_kind, reason=g.reason)
                for s, e, term, g in kept]


def _norm(term: str) -> str:
    return normalised_with_positions(term)[0]


def _inside_any(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _covers(other: tuple[int, int, str, TermGroup], match: tuple[int, int, str, TermGroup]) -> bool:
    """``other`` is a longer match around ``match`` whose outcome is as strict or stricter (最好 covers 最)."""
    return (other[0] <= match[0] and match[1] <= other[1] and other[1] - other[0] > match[1] - match[0]
            and SEVERITY[other[3].outcome] >= SEVERITY[match[3].outcome])


@functools.lru_cache(maxsize=4)
def matcher_for(terms: ListingTerms) -> TermMatcher:
    """The matcher of a term-list version, built once (a ListingTerms is immutable and hashable)."""
    return TermMatcher(terms)


def explain(match: TermMatch | Mapping[str, Any]) -> dict[str, str]:
    """What a finding means, as the parameters of its reason text: the term, where, and which rule."""
    m = match.as_dict() if isinstance(match, TermMatch) else dict(match)
    return {"reason": str(m["reason"]), "term": str(m["term"]), "field": str(m["field"]),
            "rule_id": str(m["rule_id"]), "outcome": str(m["outcome"])}
