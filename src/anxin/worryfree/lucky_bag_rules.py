"""The lucky-bag rulebook (``rulebooks/worryfree_lucky_bags.yaml``, ``kind: worryfree_lucky_bags``) as a strict
model: the limits of a campaign (prize listings and units, the entry window's length and how far ahead it may open),
the entry rules (the window, regions, account age, one per consumer) and the draw's time limits. Validated
completely on load: every problem at once, with its path. Imports only ``core``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, model_validator

from anxin.core.rulebook_models import Between, Instant, NonEmpty, RulebookKind, RulebookModel, RulebookProblems, refuse

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


class CancelRule(RulebookModel):
    id: RuleId
    # "opens": the owner may cancel until the entry window opens (nobody can have entered); "closes": until it
    # closes. An operator may cancel an open bag until it is drawn either way.
    owner_until: Literal["opens", "closes"] = "opens"


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
    cancel: CancelRule = CancelRule(id="lucky_bags.cancel")
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


LUCKY_BAG_KIND = RulebookKind(LuckyBagRulebookSpec, LuckyBagRulebookError, DEFAULT_LUCKY_BAG_RULEBOOK)
parse_lucky_bag_rules = LUCKY_BAG_KIND.parse
load_lucky_bag_rules = LUCKY_BAG_KIND.load  # the packaged file by default


# --- the rules applied (pure) ----------------------------------------------------------------------------------------

BEFORE_WINDOW, AFTER_WINDOW = "before_window", "after_window"
REGION_NOT_ALLOWED, ACCOUNT_TOO_NEW, ACCOUNT_UNKNOWN = "region_not_allowed", "account_too_new", "account_unknown"
ELIGIBLE = "eligible"
ENTRY_REASONS = (ELIGIBLE, BEFORE_WINDOW, AFTER_WINDOW, REGION_NOT_ALLOWED, ACCOUNT_TOO_NEW, ACCOUNT_UNKNOWN)


@dataclass(frozen=True)
class EntryFacts:
    entered_at: dt.datetime
    opens_at: dt.datetime
    closes_at: dt.datetime
    region: str
    registered_at: dt.datetime | None  # the consumer's account, None when anxin does not know it


@dataclass(frozen=True)
class EntryDecision:
    eligible: bool
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    facts: dict[str, Any] = field(default_factory=dict)


def decide_entry(rb: LuckyBagRulebookSpec, f: EntryFacts) -> EntryDecision:
    """Eligible when ``opens_at <= entered_at < closes_at``, the region is admitted and the account is old enough
    (or unknown, unless the rulebook requires a known account). Every failing rule is a reason."""
    e = rb.entry
    reasons: list[str] = []
    if f.entered_at < f.opens_at:
        reasons.append(BEFORE_WINDOW)
    elif f.entered_at >= f.closes_at:
        reasons.append(AFTER_WINDOW)
    if not e.region.admits(f.region):
        reasons.append(REGION_NOT_ALLOWED)
    age_days: float | None = None
    if f.registered_at is None:
        if e.account_age.require_known:
            reasons.append(ACCOUNT_UNKNOWN)
    else:
        age = f.entered_at - f.registered_at
        age_days = age.total_seconds() / 86400
        if age < dt.timedelta(days=e.account_age.min_days):
            reasons.append(ACCOUNT_TOO_NEW)
    facts = {"entered_at": f.entered_at.isoformat(), "opens_at": f.opens_at.isoformat(),
             "closes_at": f.closes_at.isoformat(), "region": f.region,
             "registered_at": f.registered_at.isoformat() if f.registered_at else None,
             "account_age_days": None if age_days is None else round(age_days, 3),
             "min_account_age_days": e.account_age.min_days, "regions_allowed": list(e.region.allow),
             "regions_denied": list(e.region.deny)}
    rule_ids = (e.window.id, e.region.id, e.account_age.id, e.one_per_consumer.id)
    return EntryDecision(not reasons, tuple(reasons) or (ELIGIBLE,), rule_ids, facts)


def campaign_problems(rb: LuckyBagRulebookSpec, *, now: dt.datetime, opens_at: dt.datetime,
                      closes_at: dt.datetime, prizes: Sequence[tuple[str, int]]) -> list[tuple[str, str]]:
    """What makes a campaign unacceptable under the rulebook, as (field, message); none: acceptable."""
    c = rb.campaign
    found: list[tuple[str, str]] = []
    if not prizes:
        found.append(("prizes", "a lucky bag needs at least one prize"))
    ids = [lid for lid, _ in prizes]
    if len(set(ids)) != len(ids):
        found.append(("prizes", "each listing once (give its quantity)"))
    if len(set(ids)) > c.max_listings:
        found.append(("prizes", f"at most {c.max_listings} prize listings"))
    if any(q < 1 for _, q in prizes):
        found.append(("prizes", "every quantity must be at least 1"))
    elif sum(q for _, q in prizes) > c.max_units:
        found.append(("prizes", f"at most {c.max_units} prize units in all"))
    length = closes_at - opens_at
    if length < dt.timedelta(minutes=c.min_window_minutes):
        found.append(("closes_at", f"the entry window must last at least {c.min_window_minutes} minutes"))
    if length > dt.timedelta(hours=c.max_window_hours):
        found.append(("closes_at", f"the entry window may last at most {c.max_window_hours} hours"))
    if closes_at <= now:
        found.append(("closes_at", "the entry window must close in the future"))
    if opens_at > now + dt.timedelta(days=c.max_opens_ahead_days):
        found.append(("opens_at", f"the window may open at most {c.max_opens_ahead_days} days ahead"))
    return found
