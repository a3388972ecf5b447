"""The worry-free tag rulebook (``rulebooks/worryfree_tags.yaml``, ``kind: worryfree_tags``) as a strict model:
the score bands (by the shop's experience score), who may enrol a listing (category, score band, no severe violation
in a window, the shop open), when an enrolled listing carries the tag (stock, 24-hour ship rate, complaint rate,
score band) and the upgraded guarantees the tag brings (documentation: the guarantee engine's rules decide).
Validated completely on load: every problem at once, with its path. Imports only ``core``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from anxin.core.rulebook_models import (
    Between,
    Instant,
    NonEmpty,
    RulebookKind,
    RulebookModel,
    RulebookProblems,
    Text,
    refuse,
)

DEFAULT_TAG_RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "worryfree_tags.yaml"

RuleId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_.]*$")]
BandId = Annotated[str, Field(min_length=1, max_length=24, pattern=r"^[a-z][a-z0-9_]*$")]
Bp = Annotated[int, Between(0, 10_000)]  # basis points: 10 000 is 100 %
UNSCORED = "unscored"  # the band of a shop with no experience score yet (too few orders)


class ScoreBand(RulebookModel):
    """A shop whose experience score (hundredths: 4.80 is 480) is at least ``min_x100`` is in this band (the first
    band from the top whose minimum it reaches)."""

    band: BandId
    min_x100: Annotated[int, Between(0, 10_000)]
    label: Text


class CategoryRule(RulebookModel):
    """A listing may enrol when its category carries one of ``tags`` (its own or an ancestor's) or is one of
    ``category_ids``."""

    id: RuleId
    tags: list[NonEmpty] = Field(default_factory=list)
    category_ids: list[NonEmpty] = Field(default_factory=list)


class BandRule(RulebookModel):
    """The shop's score band is ``min_band`` or better; an unscored shop passes only if ``allow_unscored``."""

    id: RuleId
    min_band: BandId
    allow_unscored: StrictBool = False


class SevereViolationRule(RulebookModel):
    """No severe violation of the shop recorded in the last ``within_days`` days (recorded after now − N days) and
    not reversed."""

    id: RuleId
    within_days: Annotated[int, Between(1, 3650)]


class ShopOpenRule(RulebookModel):
    """The listing's shop is in the registry and open."""

    id: RuleId


class EnrolmentRules(RulebookModel):
    category: CategoryRule
    score_band: BandRule
    severe_violations: SevereViolationRule
    shop_open: ShopOpenRule


class WindowRule(RulebookModel):
    """The shop's figures are taken over the last ``days`` days; with fewer than ``min_orders`` orders the rates
    are not judged: ``refuse`` (no tag) or ``waive`` (the rate rules pass)."""

    id: RuleId
    days: Annotated[int, Between(1, 365)]
    min_orders: Annotated[int, Between(1, 100_000)]
    too_few_orders: Literal["refuse", "waive"]


class ShipRateRule(RulebookModel):
    """Orders shipped (collected) within ``within_hours`` of payment, of the orders paid in the window whose
    ``within_hours`` have passed: at least ``min_bp``."""

    id: RuleId
    within_hours: Annotated[int, Between(1, 240)]
    min_bp: Bp


class ComplaintRateRule(RulebookModel):
    """Complaints filed in the window per order paid in the window: at most ``max_bp``."""

    id: RuleId
    max_bp: Bp


class StockRule(RulebookModel):
    """Passed (inspected) warehouse stock available for the listing: at least ``min_available`` units."""

    id: RuleId
    min_available: Annotated[int, Between(1, 1_000_000)]


class TagRules(RulebookModel):
    enrolled_id: RuleId
    stock: StockRule
    window: WindowRule
    ship_rate: ShipRateRule
    complaint_rate: ComplaintRateRule
    score_band: BandRule


class Upgrade(RulebookModel):
    """One upgraded guarantee an order of a tagged listing gets: the rule of guarantees.yaml or fulfilment that
    gives it, and what it means (shown to merchants)."""

    rule_id: NonEmpty
    text: Text


class JobRule(RulebookModel):
    """The ``worryfree.tags`` job re-evaluates at most ``batch`` enrolled listings per run."""

    batch: Annotated[int, Between(1, 100_000)]


class TagRulebookSpec(RulebookModel):
    kind: Literal["worryfree_tags"]
    version: NonEmpty
    effective_from: Instant
    score_bands: Annotated[list[ScoreBand], Field(min_length=1)]
    enrolment: EnrolmentRules
    tag: TagRules
    upgrades: list[Upgrade] = Field(default_factory=list)
    job: JobRule

    @model_validator(mode="after")
    def _cross_checks(self) -> TagRulebookSpec:
        found: list[tuple[str, str]] = []
        bands = [b.band for b in self.score_bands]
        if len(set(bands)) != len(bands) or UNSCORED in bands:
            found.append((".score_bands", f"bands must be distinct and not {UNSCORED!r}"))
        mins = [b.min_x100 for b in self.score_bands]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            found.append((".score_bands", "bands must be listed best first, each minimum strictly lower"))
        if mins and mins[-1] != 0:
            found.append((".score_bands", "the last band must start at 0 so every scored shop has a band"))
        for at, rule in ((".enrolment.score_band", self.enrolment.score_band),
                         (".tag.score_band", self.tag.score_band)):
            if rule.min_band not in bands:
                found.append((f"{at}.min_band", f"{rule.min_band!r} is not one of the bands {bands}"))
        if not self.enrolment.category.tags and not self.enrolment.category.category_ids:
            found.append((".enrolment.category", "name at least one category tag or category id"))
        ids = [self.enrolment.category.id, self.enrolment.score_band.id, self.enrolment.severe_violations.id,
               self.enrolment.shop_open.id, self.tag.enrolled_id, self.tag.stock.id, self.tag.window.id,
               self.tag.ship_rate.id, self.tag.complaint_rate.id, self.tag.score_band.id]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            found.append(("", f"rule ids must be distinct, repeated: {', '.join(repeated)}"))
        refuse(found, self)
        return self

    def band_of(self, score_x100: int | None) -> str:
        """The band of a shop's experience score; ``unscored`` when it has none."""
        if score_x100 is None:
            return UNSCORED
        return next((b.band for b in self.score_bands if score_x100 >= b.min_x100), self.score_bands[-1].band)

    def band_rank(self, band: str) -> int:
        """0 for the best band; unscored ranks below every band."""
        bands = [b.band for b in self.score_bands]
        return bands.index(band) if band in bands else len(bands)

    def band_label(self, band: str, lang: str) -> str:
        for b in self.score_bands:
            if b.band == band:
                return b.label.zh_cn if lang.startswith("zh") else b.label.en
        return band


class TagRulebookError(RulebookProblems):
    title = "invalid worry-free tag rulebook"


TAG_KIND = RulebookKind(TagRulebookSpec, TagRulebookError, DEFAULT_TAG_RULEBOOK)
parse_tag_rules = TAG_KIND.parse
load_tag_rules = TAG_KIND.load  # the packaged file by default
