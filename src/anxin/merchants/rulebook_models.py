"""What the merchants rulebook's section models share: the bundle's error, the index file, category matches, and
cross-entry checks that report every offending entry at once. Pure (anxin.core and Pydantic only).

Each section's model lives beside its domain module (``onboarding_models``, ``deposit_models``, ``fee_models``,
``programme_models``, ``financing_models``); the domain modules turn a validated model into their dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import InitErrorDetails

from anxin.core.rulebook_models import (
    Instant,
    NonEmpty,
    RulebookModel,
    RulebookProblems,
    Text,
    problem,
    read_yaml,
    validated,
)

StoreType = Literal["enterprise", "individual", "personal"]
STORE_TYPES: tuple[StoreType, ...] = ("enterprise", "individual", "personal")
Loc = tuple[int | str, ...]
M = TypeVar("M", bound=BaseModel)


class MerchantRulebookError(RulebookProblems):
    title = "merchants rulebook invalid"


class MerchantsIndexSpec(RulebookModel):
    """``rulebooks/merchants/rulebook.yaml`` (``kind: merchants``): the bundle's version; each section is a file
    beside it."""

    kind: Literal["merchants"]
    version: NonEmpty
    effective_from: Instant


class MatchSpec(RulebookModel):
    """Categories by id (the category or any ancestor) or by tag; both empty covers every category."""

    categories: list[NonEmpty] = Field(default_factory=list)
    tags: list[NonEmpty] = Field(default_factory=list)

    @property
    def everything(self) -> bool:
        return not self.categories and not self.tags


def names(text: Text) -> dict[str, str]:
    """A validated ``{zh-CN, en}`` text as the domain keeps it."""
    return {"zh-CN": text.zh_cn, "en": text.en}


def refuse(found: Iterable[tuple[Loc, str]]) -> None:
    """Raise every ``(location, message)`` at once from a validator (a single ``problem`` would stop at the first);
    the location is relative to what the validator validates, Pydantic prefixes the rest of the path."""
    errors = [InitErrorDetails(type=problem(message), loc=loc, input=None) for loc, message in found]
    if errors:
        raise ValidationError.from_exception_data("rulebook", errors)


def duplicates(ids: Sequence[str], what: str = "id") -> list[tuple[Loc, str]]:
    """Each entry repeating an earlier entry's id, at ``[n].id``."""
    seen: set[str] = set()
    found: list[tuple[Loc, str]] = []
    for n, i in enumerate(ids):
        if i in seen:
            found.append(((n, "id"), f"duplicate {what} {i!r}"))
        seen.add(i)
    return found


def repeated(values: Sequence[str]) -> list[tuple[Loc, str]]:
    """A list of names naming one twice: reported on the list."""
    return [((), f"{v!r} appears more than once") for v in dict.fromkeys(v for n, v in enumerate(values)
                                                                          if v in values[:n])]


def parse(model: type[M], raw: object, root: str) -> M:
    """``raw`` as a section ``model``; ``MerchantRulebookError`` lists every problem, each path under ``root``."""
    return validated(model, raw, MerchantRulebookError, root)


def parse_file(model: type[M], path: str | Path, root: str) -> M:
    """One section from its own YAML file (tests, ``anxin rules check``)."""
    raw, unreadable = read_yaml(path)
    if unreadable:
        raise MerchantRulebookError(unreadable)
    return parse(model, raw, root)
