"""The listing-compliance term lists (``rulebooks/governance/listing_terms.yaml``, ``kind: governance.listing_terms``):
the strict model, its checks on load, and the validated rules the matcher (``governance.terms``) compiles.

A term group is one rule: its forbidden terms, the outcome a match gives (needs_review | blocked), the violation kind
it maps to, the categories it applies to (by category id or ancestor, by tag, minus excluded tags) and its source
with an evidence grade. Exceptions are phrases that contain a forbidden term harmlessly (最近 contains 最): a match
inside one is not a finding. Terms are compared as the matcher sees them (NFKC, casefolded), so a term listed twice
in two spellings, or both forbidden and excepted, is refused. Pure: imports only ``anxin.core`` and the seam.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, model_validator

from anxin.core.rulebook_models import NonEmpty, RulebookModel, RulebookProblems, Text, read_yaml, refuse, validated
from anxin.governance.model import FALSE_ADVERTISING

RULEBOOK_DIR = Path(__file__).resolve().parents[1] / "rulebooks" / "governance"
DEFAULT_PATH = RULEBOOK_DIR / "listing_terms.yaml"

PASS, NEEDS_REVIEW, BLOCKED = "pass", "needs_review", "blocked"
OUTCOMES = (PASS, NEEDS_REVIEW, BLOCKED)
SEVERITY = {PASS: 0, NEEDS_REVIEW: 1, BLOCKED: 2}  # the strictest outcome of a check's matches wins
# The violation kinds a term group may map to (the catalogue's ids; a listing's words are false advertising).
TERM_VIOLATION_KINDS = (FALSE_ADVERTISING,)
# Evidence grades as in shared/RULES.md, plus LAW: the term is named in the statute's own text.
Grade = Literal["LAW", "A", "B", "C", "G", "INF"]


def normalise(text: str) -> str:
    """How a term or a text is compared: NFKC (full-width ＡＢ１ to AB1, compatibility forms) then casefolded."""
    return unicodedata.normalize("NFKC", text).casefold()


class ListingTermsError(RulebookProblems):
    title = "listing terms rulebook invalid"


class SourceSpec(RulebookModel):
    grade: Grade
    ref: NonEmpty  # the article or document, e.g. 广告法 第九条第三项
    url: str = ""


class AppliesSpec(RulebookModel):
    """Which listings a group judges: categories by id (the category or an ancestor) or by tag; both empty means
    every category; ``except_tags`` then takes some out (medical categories may name treatments)."""

    categories: list[NonEmpty] = Field(default_factory=list)
    tags: list[NonEmpty] = Field(default_factory=list)
    except_tags: list[NonEmpty] = Field(default_factory=list)


class GroupSpec(RulebookModel):
    id: NonEmpty  # the rule id every finding names
    name: Text
    outcome: Literal["needs_review", "blocked"]
    violation_kind: Literal["false_advertising"]
    reason: NonEmpty  # the text key explaining a match of this group (governance.reason.<...>)
    applies_to: AppliesSpec
    source: SourceSpec
    terms: list[NonEmpty] = Field(min_length=1)


class ExceptionSpec(RulebookModel):
    id: NonEmpty
    reason: NonEmpty  # why these phrases are harmless, for people reading the rulebook
    source: SourceSpec
    phrases: list[NonEmpty] = Field(min_length=1)


class ListingTermsSpec(RulebookModel):
    kind: Literal["governance.listing_terms"]
    groups: list[GroupSpec] = Field(min_length=1)
    exceptions: list[ExceptionSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ListingTermsSpec:
        found: list[tuple[str, str]] = []
        ids: dict[str, str] = {}
        named = [("groups", i, g.id) for i, g in enumerate(self.groups)]
        named += [("exceptions", i, e.id) for i, e in enumerate(self.exceptions)]
        for kind, i, item_id in named:
            if item_id in ids:
                found.append((f"{kind}[{i}].id", f"duplicate id {item_id!r} (also {ids[item_id]})"))
            ids.setdefault(item_id, f"{kind}[{i}]")
        forbidden: dict[str, str] = {}
        for i, group in enumerate(self.groups):
            seen: set[str] = set()
            for j, term in enumerate(group.terms):
                key, at = normalise(term), f"groups[{i}].terms[{j}]"
                if not key.strip():
                    found.append((at, "a term must have a visible character"))
                elif key in seen:
                    found.append((at, f"{term!r} is listed twice in the group"))
                seen.add(key)
                forbidden.setdefault(key, group.id)
        allowed: set[str] = set()
        for i, exc in enumerate(self.exceptions):
            for j, phrase in enumerate(exc.phrases):
                key, at = normalise(phrase), f"exceptions[{i}].phrases[{j}]"
                if key in forbidden:
                    found.append((at, f"{phrase!r} is both excepted and forbidden (group {forbidden[key]})"))
                elif key in allowed:
                    found.append((at, f"{phrase!r} is excepted twice"))
                elif not any(term in key for term in forbidden):
                    found.append((at, f"{phrase!r} contains no forbidden term: it excuses nothing"))
                allowed.add(key)
        refuse(found, self)
        return self


@dataclass(frozen=True)
class TermGroup:
    rule_id: str
    name_zh: str  # the group's name, zh-CN and en
    name_en: str
    outcome: str
    violation_kind: str
    reason: str
    categories: frozenset[str]
    tags: frozenset[str]
    except_tags: frozenset[str]
    source_grade: str
    source_ref: str
    terms: tuple[str, ...]

    def applies(self, lineage: Iterable[str], tags: frozenset[str]) -> bool:
        """Whether the group judges a listing of a category with these ids (itself and its ancestors) and tags."""
        if tags & self.except_tags:
            return False
        if not self.categories and not self.tags:
            return True
        return bool(self.categories.intersection(lineage)) or bool(self.tags & tags)


@dataclass(frozen=True)
class ListingTerms:
    version: str  # the governance rulebook's version: every stored check names it
    groups: tuple[TermGroup, ...]
    exceptions: tuple[str, ...]  # the phrases, as written


def listing_terms_of(spec: ListingTermsSpec, *, version: str) -> ListingTerms:
    groups = tuple(TermGroup(
        rule_id=g.id, name_zh=g.name.zh_cn, name_en=g.name.en, outcome=g.outcome,
        violation_kind=g.violation_kind, reason=g.reason, categories=frozenset(g.applies_to.categories),
        tags=frozenset(g.applies_to.tags), except_tags=frozenset(g.applies_to.except_tags),
        source_grade=g.source.grade, source_ref=g.source.ref, terms=tuple(g.terms)) for g in spec.groups)
    return ListingTerms(version=version, groups=groups,
                        exceptions=tuple(p for e in spec.exceptions for p in e.phrases))


def parse_listing_terms(raw: object, *, version: str) -> ListingTerms:
    return listing_terms_of(validated(ListingTermsSpec, raw, ListingTermsError), version=version)


def rulebook_version(directory: Path = RULEBOOK_DIR) -> str:
    """The governance bundle's ``version`` (``rulebook.yaml``); the core slice's bundle loader supersedes this."""
    raw, unreadable = read_yaml(directory / "rulebook.yaml")
    if unreadable:
        raise ListingTermsError(unreadable)
    version = raw.get("version") if isinstance(raw, dict) else None
    if not isinstance(version, str) or not version:
        raise ListingTermsError(["rulebook.version: required, a non-empty string"])
    return version


def load_listing_terms(path: Path | None = None, *, version: str | None = None) -> ListingTerms:
    """The term lists at ``path`` (default: the packaged one) under ``version`` (default: the bundle's), loaded
    once per file version."""
    path = (path or DEFAULT_PATH).resolve()
    stat = path.stat() if path.exists() else None
    return _load(path, stat.st_mtime_ns if stat else 0, version or rulebook_version(path.parent))


@functools.lru_cache(maxsize=8)
def _load(path: Path, _mtime: int, version: str) -> ListingTerms:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ListingTermsError([f"{path.name}: cannot read ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        raise ListingTermsError([f"{path.name}: not valid YAML ({exc})"]) from None
    return parse_listing_terms(raw, version=version)
