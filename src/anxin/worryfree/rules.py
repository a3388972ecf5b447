"""The worry-free rulebook (``rulebooks/worryfree.yaml``, ``kind: worryfree``): how long a checkout hold lasts and
the minimum remaining share of shelf life by category tag, at inbound and at shipment. Validated completely on load:
every problem at once, with its path. Pure: pydantic, yaml and ``anxin.core`` only.

Shares are compared exactly (``fractions.Fraction`` of the decimal written in the file), so a lot exactly at the
minimum passes whatever binary floats would say.
"""

from __future__ import annotations

import datetime as dt
import functools
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from anxin.core.rulebook_models import Between, Instant, NonEmpty, RulebookKind, RulebookModel, RulebookProblems, refuse

DEFAULT_WORRYFREE_RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "worryfree.yaml"

# The rule ids decisions store.
RULE_HOLD = "worryfree.stock.checkout_hold"
RULE_FEFO = "worryfree.stock.fefo"
RULE_SHELF_LIFE_SHIPMENT = "worryfree.shelf_life.at_shipment"
RULE_SHELF_LIFE_INBOUND = "worryfree.shelf_life.at_inbound"
RULE_UNBACKED = "worryfree.stock.unbacked"

Share = Annotated[float, Field(ge=0.0, le=1.0, description="a share of the whole shelf life, 0–1")]


class StockSpec(RulebookModel):
    checkout_hold_minutes: Annotated[int, Between(1, 24 * 60)]


class ShelfLifeSpec(RulebookModel):
    at_inbound: Share
    at_shipment: Share

    @model_validator(mode="after")
    def _shipment_not_above_inbound(self) -> ShelfLifeSpec:
        if self.at_shipment > self.at_inbound:
            refuse([(".at_shipment", f"must not exceed at_inbound ({self.at_shipment} > {self.at_inbound}): a lot "
                                     "accepted at inbound could never ship")], self)
        return self


class WorryFreeRulebookSpec(RulebookModel):
    """The worry-free rulebook file (``kind: worryfree``)."""

    kind: Literal["worryfree"]
    version: NonEmpty
    effective_from: Instant
    local_utc_offset_hours: Annotated[int, Between(-12, 14)]
    stock: StockSpec
    shelf_life: dict[str, ShelfLifeSpec] = Field(description="by category tag; `default` is required")

    @model_validator(mode="after")
    def _default_present(self) -> WorryFreeRulebookSpec:
        if "default" not in self.shelf_life:
            refuse([(".shelf_life", "needs a `default` entry for listings without a listed tag")], self)
        return self


@functools.cache
def _share(value: float) -> Fraction:
    return Fraction(str(value))


class WorryFreeRulebookError(RulebookProblems):
    title = "invalid worry-free rulebook"


class WorryFreeRules:
    """The loaded rulebook, with the few questions the stock rules ask of it."""

    def __init__(self, spec: WorryFreeRulebookSpec) -> None:
        self.spec = spec
        self.version = spec.version
        self.effective_from = spec.effective_from
        self.local_offset = dt.timedelta(hours=spec.local_utc_offset_hours)
        self.checkout_hold = dt.timedelta(minutes=spec.stock.checkout_hold_minutes)

    def local_day(self, at: dt.datetime) -> dt.date:
        return (at.astimezone(dt.UTC) + self.local_offset).date()

    def _entry(self, tags: frozenset[str], which: str) -> tuple[str, Fraction]:
        """The strictest entry among the listing's tags (tie: the tag first by name), else `default`."""
        best = ("default", _share(getattr(self.spec.shelf_life["default"], which)))
        listed = [t for t in sorted(tags) if t in self.spec.shelf_life and t != "default"]
        for i, tag in enumerate(listed):
            share = _share(getattr(self.spec.shelf_life[tag], which))
            if i == 0 or share > best[1]:
                best = (tag, share)
        return best

    def min_at_shipment(self, tags: frozenset[str]) -> tuple[str, Fraction]:
        """(the tag whose minimum applies, the minimum share at shipment)."""
        return self._entry(tags, "at_shipment")

    def min_at_inbound(self, tags: frozenset[str]) -> tuple[str, Fraction]:
        return self._entry(tags, "at_inbound")


WORRYFREE_KIND = RulebookKind(WorryFreeRulebookSpec, WorryFreeRulebookError, DEFAULT_WORRYFREE_RULEBOOK,
                              lambda spec, _source: WorryFreeRules(spec))
parse_worryfree_rules = WORRYFREE_KIND.parse
load_worryfree_rules = WORRYFREE_KIND.load  # the packaged file by default


@functools.cache
def packaged_rules() -> WorryFreeRules:
    """The packaged rulebook, loaded once per process."""
    return load_worryfree_rules()
