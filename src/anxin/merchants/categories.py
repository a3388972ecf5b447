"""How merchant rules name categories. Pure.

A rule matches an item's category by id (the category itself or any ancestor) or by tag, so a rule for ``apparel``
covers ``apparel > women > down_jackets`` and a rule for the tag ``fresh`` covers every fresh-produce leaf.
"""

from __future__ import annotations

from dataclasses import dataclass

from anxin.merchants.rulebook_models import MatchSpec


@dataclass(frozen=True)
class CategoryRef:
    category_id: str
    ancestors: tuple[str, ...] = ()  # parent first, root last
    tags: frozenset[str] = frozenset()

    @property
    def path(self) -> tuple[str, ...]:
        """The category itself, then its ancestors: the order in which the most specific rule wins."""
        return (self.category_id, *self.ancestors)


@dataclass(frozen=True)
class CategoryMatch:
    """``categories`` (ids, ancestors included) or ``tags``; an empty match covers every category."""

    categories: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        return not self.categories and not self.tags

    def covers(self, ref: CategoryRef) -> bool:
        if self.everything:
            return True
        return bool(self.categories.intersection(ref.path)) or bool(self.tags & ref.tags)

    def depth(self, ref: CategoryRef) -> int | None:
        """How close the match is to the leaf (0 = the category itself; tags count as the leaf); None: no match.
        The most specific of several matching rules wins."""
        if self.tags & ref.tags:
            return 0
        for i, cid in enumerate(ref.path):
            if cid in self.categories:
                return i
        return len(ref.path) if self.everything else None


def category_match(spec: MatchSpec) -> CategoryMatch:
    """A rulebook's validated ``{categories, tags}``."""
    return CategoryMatch(frozenset(spec.categories), frozenset(spec.tags))
