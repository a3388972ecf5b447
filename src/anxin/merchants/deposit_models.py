"""The deposits section's model (``rulebooks/merchants/deposits.yaml``, ``kind: merchants.deposits``): the base
deposit by category × store type, the GMV tiers and the zero-deposit trial. Money in fen, shares in basis points.
Pure."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from anxin.core.clock import BEIJING
from anxin.core.rulebook_models import Between, Instant, NonEmpty, PositiveInt, RulebookModel, Text, problem
from anxin.merchants.rulebook_models import STORE_TYPES, Loc, MatchSpec, duplicates, refuse

BP = 10_000


class AmountsSpec(RulebookModel):
    """A figure per store type; a store type left out does not take part (may not sell, may not join)."""

    enterprise: PositiveInt | None = None
    individual: PositiveInt | None = None
    personal: PositiveInt | None = None

    def given(self) -> dict[str, int]:
        return {st: v for st in STORE_TYPES if (v := getattr(self, st)) is not None}


class BaseRowSpec(RulebookModel):
    id: NonEmpty
    name: Text
    match: MatchSpec  # {}: the default row
    fen: AmountsSpec

    @field_validator("fen")
    @classmethod
    def _some_amount(cls, fen: AmountsSpec) -> AmountsSpec:
        if not fen.given():
            raise problem("must give an amount for at least one store type")
        return fen


def _base_rows(rows: list[BaseRowSpec]) -> list[BaseRowSpec]:
    found = duplicates([r.id for r in rows])
    defaults = [r for r in rows if r.match.everything]
    if len(defaults) != 1:
        found.append(((), f"needs exactly one default row (an empty match), found {len(defaults)}"))
    elif set(defaults[0].fen.given()) != set(STORE_TYPES):
        found.append(((), "the default row must give an amount for every store type"))
    refuse(found)
    return rows


class GmvTieringSpec(RulebookModel):
    applies_from: Instant
    combination: Literal["cap_base", "replace_base"]


class GmvTierSpec(RulebookModel):
    id: NonEmpty
    below_fen: PositiveInt | None = None  # last month's GMV strictly below this; the last tier has none
    fen: PositiveInt


def _ascending_tiers(tiers: list[GmvTierSpec]) -> list[GmvTierSpec]:
    found: list[tuple[Loc, str]] = duplicates([t.id for t in tiers])
    previous: int | None = None
    for n, tier in enumerate(tiers):
        last = n == len(tiers) - 1
        if last and tier.below_fen is not None:
            found.append(((n, "below_fen"), "the last tier takes every GMV, so it has no below_fen"))
        elif not last and tier.below_fen is None:
            found.append(((n, "below_fen"), "required (every tier but the last)"))
        elif not last and previous is not None and tier.below_fen is not None and tier.below_fen <= previous:
            found.append(((n, "below_fen"), f"must be above the previous tier's ({previous})"))
        previous = tier.below_fen if tier.below_fen is not None else previous
    refuse(found)
    return tiers


class TrialExclusionSpec(RulebookModel):
    id: NonEmpty
    match: MatchSpec
    from_: Instant = Field(alias="from")
    until: Instant | None = None  # excluded; left out: until the rulebook changes

    @model_validator(mode="after")
    def _window(self) -> TrialExclusionSpec:
        if self.until is not None and self.until <= self.from_:
            raise problem(f"must be after from ({_bj(self.from_)}), got {_bj(self.until)}", ".until")
        return self


class WithdrawalSpec(RulebookModel):
    min_fen: PositiveInt
    max_share_bp: Annotated[int, Between(1, BP)]

    @field_validator("max_share_bp")
    @classmethod
    def _whole_percent(cls, share: int) -> int:
        if share % 100:  # the ledger's withdrawal check takes whole percent
            raise problem(f"must be whole percent (a multiple of 100), got {share}")
        return share


class TrialSpec(RulebookModel):
    excluded: list[TrialExclusionSpec] = Field(default_factory=list)
    listing_caps: AmountsSpec  # store types left out cannot join the trial
    platform_marketing: bool
    top_up_share_bp: Annotated[int, Between(0, BP)]
    affiliated_violations_at_most: Annotated[int, Between(0)]
    withdrawal: WithdrawalSpec

    @field_validator("excluded")
    @classmethod
    def _unique_ids(cls, rows: list[TrialExclusionSpec]) -> list[TrialExclusionSpec]:
        refuse(duplicates([r.id for r in rows]))
        return rows


class DepositsSpec(RulebookModel):
    """The deposits section file (``kind: merchants.deposits``)."""

    kind: Literal["merchants.deposits"]
    base: Annotated[list[BaseRowSpec], Field(min_length=1)]
    gmv_tiering: GmvTieringSpec
    gmv_tiers: Annotated[list[GmvTierSpec], Field(min_length=1)]
    trial: TrialSpec

    @field_validator("base")
    @classmethod
    def _one_default(cls, rows: list[BaseRowSpec]) -> list[BaseRowSpec]:
        return _base_rows(rows)

    @field_validator("gmv_tiers")
    @classmethod
    def _ascending(cls, tiers: list[GmvTierSpec]) -> list[GmvTierSpec]:
        return _ascending_tiers(tiers)


def _bj(at: dt.datetime) -> str:
    return at.astimezone(BEIJING).isoformat()
