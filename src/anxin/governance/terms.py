"""The listing-terms matcher: one Aho–Corasick automaton (pyahocorasick) over every forbidden term and exception
phrase of a term-list version, scanning a listing's title and description, joined, in one pass.

Texts are compared as ``listing_terms_rules.normalise`` does (NFKC, casefolded), one character at a time, so every
position of the normalised text maps back to a character of the original: a match reports the original text's
``start``/``end`` (``text[start:end]`` is what the merchant wrote, ｆｕｌｌ-width or not). A forbidden match that lies
inside an exception phrase is dropped (最 inside 最近), and so is one inside a longer match of a group with the same
or a stricter outcome (最 inside 最好): each finding is the longest claim, explained once. Pure.

Speed (docs/governance.md, bench/listing_check.py): most listings are scanned as written, never normalised. A
character whose normal form differs from itself matters only if it or its normal form shares a character with
some term or phrase (Ａ, ㎏, ｏ do; ，（ ）： and most full-width punctuation do not): in a text without such a
character no match can touch a changed character, written or normalised, so the text has the same matches at the
same positions as its normal form. One regular-expression search (a character set, in C) tells the two apart; only
a text with a character that matters is normalised before its scan (tests/unit/test_listing_terms_reference.py
checks both paths against a plain reference).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import ahocorasick

from anxin.governance.listing_terms_rules import PASS, SEVERITY, ListingTerms

FIELDS = ("title", "description")


class TermMatch(NamedTuple):  # named tuples, not dataclasses: built for every finding, several times cheaper
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
        return self._asdict()


class TermCheck(NamedTuple):
    outcome: str  # pass | needs_review | blocked: the strictest of the matches
    matches: tuple[TermMatch, ...]
    rule_ids: tuple[str, ...]  # the groups that matched, in rulebook order
    version: str

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "matches": [m.as_dict() for m in self.matches],
                "rule_ids": list(self.rule_ids), "rulebook_version": self.version}


class _Pieces(dict[int, str]):
    """Each character's normal form (NFKC, then casefolded) by code point, filled as characters are met: the table
    ``str.translate`` normalises a whole text with in C, one character at a time."""

    def __missing__(self, code: int) -> str:
        piece = _piece(chr(code))
        if len(self) < 65_536:  # bounded: a text of many rare characters costs time, never memory
            self[code] = piece
        return piece


def _piece(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).casefold()


_PIECES = _Pieces()


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """``normalised_with_positions`` with ``None`` for the identity map: a text NFKC already and casefolded is
    its own normal form; one whose characters each normalise to one character (，→ , and Ａ→ a) keeps every
    position; only a text with a character that grows (㎏ → kg) needs the map."""
    if unicodedata.is_normalized("NFKC", text) and text == text.casefold():
        return text, None
    norm = text.translate(_PIECES)
    if len(norm) == len(text):  # no piece is empty, so equal lengths mean one character each
        return norm, None
    origin: list[int] = []
    for i, ch in enumerate(text):
        origin.extend([i] * len(_PIECES[ord(ch)]))
    return norm, origin


def normalised_with_positions(text: str) -> tuple[str, list[int]]:
    """The text normalised character by character, and for each normalised character the index of the original
    character it came from (NFKC may turn one character into several: ㎏ → kg)."""
    norm, origin = _normalised(text)
    return norm, list(range(len(text))) if origin is None else origin


@functools.cache
def changed_characters() -> tuple[str, ...]:
    """Every character whose normal form is not itself (about 6,300), found block by block: a block of 256 code
    points that is NFKC and casefolded as a whole holds none, since NFKC changes a character only if no normalised
    text can contain it. Once per process (~0.05 s)."""
    found: list[str] = []
    for base in range(0, 0x110000, 256):
        if 0xD800 <= base < 0xE000:  # surrogates: no character of a text
            continue
        block = "".join(map(chr, range(base, base + 256)))
        if not (unicodedata.is_normalized("NFKC", block) and block.casefold() == block):
            found.extend(ch for ch in block if _piece(ch) != ch)
    return tuple(found)


# A finding's term-side facts, computed once per term (the automaton's values): severity first, for comparisons.
# (severity, rule id, term as listed, the TermMatch fields after ``text``: rule_id, group, outcome, kind, reason)
_Entry = tuple[int, str, str, tuple[str, str, str, str, str]]
# One automaton hit kept for judging: (start, end) in the scanned text, and the entry.
_Hit = tuple[int, int, _Entry]
_SEP = "\x00"  # joins title and description for one pass; no term may contain it (else the fields go one by one)
_OUTCOME = {severity: outcome for outcome, severity in SEVERITY.items()}
_new = tuple.__new__  # a named tuple from a tuple without its Python-level __new__ (half the cost)


class TermMatcher:
    """The automaton of one term-list version. Build with ``matcher_for`` (cached per version)."""

    def __init__(self, terms: ListingTerms) -> None:
        self.terms = terms
        self._forbid: dict[str, list[_Entry]] = {}
        for group in terms.groups:
            for term in group.terms:
                tail = (group.rule_id, group.name_zh, group.outcome, group.violation_kind, group.reason)
                self._forbid.setdefault(_norm(term), []).append((SEVERITY[group.outcome], group.rule_id, term, tail))
        self._allow = {_norm(phrase) for phrase in terms.exceptions}
        keys = self._forbid.keys() | self._allow
        chars = set().union(*keys)
        # The changed characters that matter (see the module's doc): a text with none is scanned as written.
        self._matters = _character_set([ch for ch in changed_characters()
                                        if ch in chars or not chars.isdisjoint(_PIECES[ord(ch)])])
        self._joined = _SEP not in chars
        self._order = tuple(g.rule_id for g in terms.groups)
        self._groups: dict[tuple[tuple[str, ...], frozenset[str]], frozenset[str]] = {}
        self._automata: dict[frozenset[str], Any] = {}
        self._pass = TermCheck(outcome=PASS, matches=(), rule_ids=(), version=terms.version)
        self._automaton(frozenset(self._order))  # every group: a broken rulebook fails here, not on a listing

    def _automaton(self, groups: frozenset[str]) -> Any:
        """The automaton of the terms of these groups and every exception phrase, one per set of applicable groups
        (a few: groups apply by tag), so a scan never meets a term that cannot judge it; fewer keys also make each
        step faster (a node's children are searched one by one). A key's value is (length, an exception phrase?,
        its entries of these groups)."""
        automaton = self._automata.get(groups)
        if automaton is None:
            automaton = ahocorasick.Automaton()
            for key in sorted(self._forbid.keys() | self._allow):
                entries = tuple(e for e in self._forbid.get(key, ()) if e[1] in groups)
                if entries or key in self._allow:
                    automaton.add_word(key, (len(key), key in self._allow, entries))
            automaton.make_automaton()
            if len(self._automata) >= 64:
                self._automata.clear()
            self._automata[groups] = automaton
        return automaton

    def check(self, *, title: str, description: str = "", lineage: Iterable[str] = (),
              tags: frozenset[str] = frozenset()) -> TermCheck:
        """Every finding in the title and the description for a listing of a category with these ids (itself
        and its ancestors) and tags; the outcome is the strictest finding's, ``pass`` when there is none."""
        key = (lineage if type(lineage) is tuple else tuple(lineage), tags)
        groups = self._groups.get(key)
        if groups is None:
            groups = self._applicable(key)
        automaton = self._automata.get(groups) or self._automaton(groups)
        if not self._joined:
            return self._checked([*self._scan(automaton, "title", title),
                                  *self._scan(automaton, "description", description)])
        # One pass: no term contains the separator, so no match spans both fields.
        hits, origin = self._find(automaton, title + _SEP + description)
        if not hits:
            return self._pass
        cut = len(title) + 1
        matches = []
        severity = 0
        for start, end, (entry_severity, _, term, tail) in hits:
            severity = max(severity, entry_severity)
            if origin is not None:
                start, end = origin[start], origin[end - 1] + 1
            if start < cut:
                matches.append(_new(TermMatch, ("title", start, end, term, title[start:end], *tail)))
            else:
                start, end = start - cut, end - cut
                matches.append(_new(TermMatch, ("description", start, end, term, description[start:end], *tail)))
        if len(hits) == 1:
            return _new(TermCheck, (_OUTCOME[severity], (matches[0],), (hits[0][2][1],), self.terms.version))
        matched = {hit[2][1] for hit in hits}
        return _new(TermCheck, (_OUTCOME[severity], tuple(matches), tuple(r for r in self._order if r in matched),
                                self.terms.version))

    def _find(self, automaton: Any, text: str) -> tuple[list[_Hit], list[int] | None]:
        """The findings in a text, and the map from the scanned text's positions to the text's (None: the same):
        scanned as written unless a character that matters (the module's doc) needs normalising first."""
        if self._matters is None or self._matters.search(text) is None:
            return _hits(automaton, text), None
        norm, origin = _normalised(text)
        return _hits(automaton, norm), origin

    def _checked(self, matches: list[TermMatch]) -> TermCheck:
        if not matches:
            return self._pass
        matched = {m.rule_id for m in matches}
        return _new(TermCheck, (_OUTCOME[max(SEVERITY[m.outcome] for m in matches)], tuple(matches),
                                tuple(r for r in self._order if r in matched), self.terms.version))

    def _applicable(self, key: tuple[tuple[str, ...], frozenset[str]]) -> frozenset[str]:
        """The groups that judge a category: a few hundred categories, asked for every listing."""
        if len(self._groups) >= 4096:
            self._groups.clear()
        lineage, tags = key
        found = self._groups[key] = frozenset(g.rule_id for g in self.terms.groups if g.applies(lineage, tags))
        return found

    def _scan(self, automaton: Any, name: str, text: str) -> list[TermMatch]:
        """One field's findings (when a term contains the separator and the fields cannot be joined)."""
        hits, origin = self._find(automaton, text)
        found = []
        for start, end, (_, _, term, tail) in hits:
            if origin is not None:
                start, end = origin[start], origin[end - 1] + 1
            found.append(_new(TermMatch, (name, start, end, term, text[start:end], *tail)))
        return found


def _character_set(chars: list[str]) -> re.Pattern[str] | None:
    """A pattern matching any of these characters and, beyond the BMP, a few more: the C matcher tests BMP
    characters with a bitmap but tries ranges beyond it one by one, so there runs less than 256 apart are merged
    (𝐍-𝐏 … 𝟶-𝟷 is one range; emoji stay outside). A character more only costs its text a normalisation."""
    runs: list[list[int]] = []
    for code in sorted(map(ord, chars)):
        if runs and (runs[-1][1] == code - 1 or (code > 0xFFFF and runs[-1][1] > 0xFFFF and code - runs[-1][1] < 256)):
            runs[-1][1] = code
        else:
            runs.append([code, code])
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs)
    return re.compile(f"[{''.join(parts)}]") if runs else None


def _hits(automaton: Any, text: str) -> list[_Hit]:
    """The findings in a text, in text order: a term, not inside an exception phrase, not inside a longer match as
    strict or stricter (最 inside 最好)."""
    allowed: list[tuple[int, int]] = []
    found: list[_Hit] = []
    for last, (length, is_exception, entries) in automaton.iter(text):
        end = last + 1
        if is_exception:
            allowed.append((end - length, end))
        for entry in entries:
            found.append((end - length, end, entry))
    if not found or (len(found) == 1 and not allowed):
        return found
    kept = []
    for hit in found:
        start, end, entry = hit
        severity = entry[0]
        for a, b in allowed:
            if a <= start and end <= b:
                break
        else:
            for o_start, o_end, other in found:
                if o_start <= start and end <= o_end and o_end - o_start > end - start and other[0] >= severity:
                    break
            else:
                kept.append(hit)
    if len(kept) > 1:
        kept.sort(key=_text_order)
    return kept


def _norm(term: str) -> str:
    return _normalised(term)[0]


def _text_order(hit: _Hit) -> tuple[int, int]:
    return hit[0], -hit[1]


@functools.lru_cache(maxsize=4)
def matcher_for(terms: ListingTerms) -> TermMatcher:
    """The matcher of a term-list version, built once (a ListingTerms is immutable and hashable)."""
    return TermMatcher(terms)


def explain(match: TermMatch | Mapping[str, Any]) -> dict[str, str]:
    """What a finding means, as the parameters of its reason text: the term, where, and which rule."""
    m = match.as_dict() if isinstance(match, TermMatch) else dict(match)
    return {"reason": str(m["reason"]), "term": str(m["term"]), "field": str(m["field"]),
            "rule_id": str(m["rule_id"]), "outcome": str(m["outcome"])}
