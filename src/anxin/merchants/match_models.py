"""The matchmaking section's model (``rulebooks/merchants/matchmaking.yaml``, ``kind: merchants.matchmaking``):
creators' sales window, candidate thresholds, reputation bands, weights, weekly capacity, proposals, invitations and
live sessions. Pure."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from anxin.core.rulebook_models import Between, NonEmpty, PositiveInt, RulebookModel, Text
from anxin.merchants.rulebook_models import Loc, duplicates, refuse

Bp = Annotated[int, Between(0, 10_000)]
Score = Annotated[int, Between(0, 100_000)]


class SalesSpec(RulebookModel):
    window_days: Annotated[int, Between(1, 730)]
    min_orders: Annotated[int, Between(1, 1_000_000)]
    same_root_credit_bp: Bp = 0


class CandidatesSpec(RulebookModel):
    min_category_fit_bp: Bp
    min_score_x100: Score
    unscored: Literal["exclude", "neutral"] = "exclude"


class BandSpec(RulebookModel):
    id: NonEmpty
    min_score_x100: Score
    name: Text


class ReputationSpec(RulebookModel):
    floor_x100: Score
    ceiling_x100: Score
    bands: Annotated[list[BandSpec], Field(min_length=1)]

    @field_validator("bands")
    @classmethod
    def _descending(cls, bands: list[BandSpec]) -> list[BandSpec]:
        found = duplicates([b.id for b in bands])
        found += [((n, "min_score_x100"), f"must be below the previous band's {bands[n - 1].min_score_x100}")
                  for n in range(1, len(bands)) if bands[n].min_score_x100 >= bands[n - 1].min_score_x100]
        refuse(found)
        return bands

    @model_validator(mode="after")
    def _range(self) -> ReputationSpec:
        if self.ceiling_x100 <= self.floor_x100:
            refuse([(("ceiling_x100",), f"must be above floor_x100 {self.floor_x100}")])
        return self


class WeightsSpec(RulebookModel):
    category_fit: Annotated[int, Between(0, 100)]
    reputation: Annotated[int, Between(0, 100)]
    capacity: Annotated[int, Between(0, 100)]

    @model_validator(mode="after")
    def _sum(self) -> WeightsSpec:
        total = self.category_fit + self.reputation + self.capacity
        if total != 100:
            refuse([(("category_fit",), f"the weights must add up to 100, got {total}")])
        return self


class CapacitySpec(RulebookModel):
    per_creator_per_week: Annotated[int, Between(1, 1000)]


class ProposalsSpec(RulebookModel):
    max: Annotated[int, Between(1, 100)]


class InvitationsSpec(RulebookModel):
    expires_after_hours: Annotated[int, Between(1, 24 * 60)]
    max_open_per_shop: PositiveInt


class SessionsSpec(RulebookModel):
    min_hours: Annotated[int, Between(1, 72)]
    max_hours: Annotated[int, Between(1, 72)]
    starts_within_days: Annotated[int, Between(1, 365)]

    @model_validator(mode="after")
    def _order(self) -> SessionsSpec:
        if self.max_hours < self.min_hours:
            found: list[tuple[Loc, str]] = [(("max_hours",), f"must be at least min_hours {self.min_hours}")]
            refuse(found)
        return self


class MatchmakingSpec(RulebookModel):
    kind: Literal["merchants.matchmaking"]
    sales: SalesSpec
    candidates: CandidatesSpec
    reputation: ReputationSpec
    weights: WeightsSpec
    capacity: CapacitySpec
    proposals: ProposalsSpec
    invitations: InvitationsSpec
    sessions: SessionsSpec
