"""The lucky-bag rulebook (``rulebooks/worryfree_lucky_bags.yaml``, ``kind: worryfree_lucky_bags``) as a strict
model: the limits of a campaign (prize listings and units, the entry window's length and how far ahead it may open),
the entry rules (the window, regions, account age, one per consumer) and the draw's time limits. Validated
completely on load: every problem at once, with its path. Imports only ``core``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from anxin.core.rulebook_models import (
    Between,
    Instant,
    NonEmpty,
    RulebookModel,
    RulebookProblems,
    load_file,
    refuse,
    validate,
)

DEFAULT_LUCKY_BAG_RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "worryfree_lucky_bags.yaml"

RuleId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_.]*$")]
Region = Annotated[str, Field(min_length=2, max_length=32, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,8})*$")]


class CampaignRule(RulebookModel):
    id: RuleId
    require_tagged: StrictBool = True
    max_listings: Annotated[int, Between(1, 100)]
    max_units: Annotated[int, Between(1, 100_000)]
    min_window_minutes: Annotated[int, Between(1, 24 * 60)]
    max_window_hours: Annotated[int, Between(1, 24 * 30)]
    max_opens_ahead_days: Annotated[int, Between(0, 365)]


class WindowRule(RulebookModel):
    id: RuleId


class RegionRule(RulebookModel):
    id: RuleId
    allow: list[Region] = Field(default_factory=list)
    deny: list[Region] = Field(default_factory=list)

    def admits(self, region: str) -> bool:
        inside = (not self.allow) or any(_within(region, a) for a in self.allow)
        return inside and not any(_within(region, d) for d in self.deny)


def _within(region: str, prefix: str) -> bool:
    return region == prefix or region.startswith(prefix + "-")


class AccountAgeRule(RulebookModel):
    id: RuleId
    min_days: Annotated[int, Between(0, 3650)]
    require_known: StrictBool = False


class OnePerConsumerRule(RulebookModel):
    id: RuleId


class EntryRules(RulebookModel):
    window: WindowRule
    region: RegionRule
    account_age: AccountAgeRule
    one_per_consumer: OnePerConsumerRule


class DrawRule(RulebookModel):
    id: RuleId
    owner_within_hours: Annotated[int, Between(1, 24 * 30)]


class PrizeRule(RulebookModel):
    id: RuleId
    exclude_from_creator_score: StrictBool = True


class LuckyBagRulebookSpec(RulebookModel):
    kind: Literal["worryfree_lucky_bags"]
    version: NonEmpty
    effective_from: Instant
    campaign: CampaignRule
    entry: EntryRules
    draw: DrawRule
    prize: PrizeRule

    @model_validator(mode="after")
    def _cross_checks(self) -> LuckyBagRulebookSpec:
        found: list[tuple[str, str]] = []
        ids = [self.campaign.id, self.entry.window.id, self.entry.region.id, self.entry.account_age.id,
               self.entry.one_per_consumer.id, self.draw.id, self.prize.id]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            found.append(("", f"rule ids must be distinct, repeated: {', '.join(repeated)}"))
        if self.campaign.min_window_minutes > self.campaign.max_window_hours * 60:
            found.append((".campaign.min_window_minutes",
                          f"{self.campaign.min_window_minutes} minutes is longer than the longest window "
                          f"({self.campaign.max_window_hours} hours)"))
        if self.campaign.max_listings > self.campaign.max_units:
            found.append((".campaign.max_listings", "more listings than prize units"))
        both = sorted(set(self.entry.region.allow) & set(self.entry.region.deny))
        if both:
            found.append((".entry.region.deny", f"both allowed and denied: {', '.join(both)}"))
        refuse(found, self)
        return self


class LuckyBagRulebookError(RulebookProblems):
    title = "invalid worry-free lucky-bag rulebook"


def parse_lucky_bag_rules(raw: object) -> LuckyBagRulebookSpec:
    spec, found = validate(LuckyBagRulebookSpec, raw)
    if found or spec is None:
        raise LuckyBagRulebookError(found)
    return spec


def load_lucky_bag_rules(path: str | Path | None = None) -> LuckyBagRulebookSpec:
    """The lucky-bag rulebook (default: the packaged one), or ``LuckyBagRulebookError`` listing every problem."""
    return load_file(path or DEFAULT_LUCKY_BAG_RULEBOOK, parse_lucky_bag_rules, LuckyBagRulebookError)
