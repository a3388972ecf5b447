"""What the scoring API answers, as published in the OpenAPI schema.

The models describe the JSON the endpoints built as dicts before (issue 15): points stay integer hundredths
(``*_x100``) with the exact display string beside them, consumer credit is whole points. They forbid unknown
members, so a field added to an answer without its model fails the API tests instead of vanishing from the schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from anxin.scoring.rulebook_models import Better

Kind = Literal["merchant", "creator", "consumer"]
Band = Literal["trusted", "normal", "doubtful"]
Unit = Literal["rate", "hours", "points"]
Side = Literal["num", "den", "miss"]
Localised = dict[str, str]
POINTS = "hundredths of a point: 8425 = 84.25"
TEXT = "the same points as an exact decimal with two places, e.g. \"84.25\""


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scale(Answer):
    min_x100: int = Field(description=POINTS)
    max_x100: int = Field(description=POINTS)
    min: str = Field(description=TEXT)
    max: str = Field(description=TEXT)


class Eligibility(Answer):
    eligible: bool
    valid_orders: int
    min_valid_orders: int
    reason: str | None = Field(description="why not eligible; null when eligible")


class Dimension(Answer):
    id: str
    name: Localised
    weight: int = Field(description="share of the total, in percent")
    points_x100: int | None = Field(description=f"{POINTS}; null when the subject is not eligible")
    points: str | None = Field(description=TEXT)
    raw_x100: int | None = Field(description="before the excellence floor; null when not eligible")
    excellence_floor_x100: int | None
    excellence_floor: str | None
    floored: bool = Field(description="the excellence floor raised the dimension")


class Ratio(Answer):
    num: int
    den: int


class Indicator(Answer):
    id: str
    dimension: str
    measure: str
    better: Better
    unit: Unit
    weight: int = Field(description="share of its dimension, in percent")
    value: float | None = Field(description="num / den in the unit; null without a denominator")
    num: int | float
    den: int | float
    peer_group: str
    peer_n: int | None
    peer_median: float | None
    peer_top_quartile: float | None
    percentile: Ratio | None = Field(description="share of peers this value beats, as a fraction")
    points_x100: int | None = Field(description=POINTS)
    points: str | None = Field(description=TEXT)
    lost_x100: int = Field(description="what the indicator cost the total, in hundredths of a point")
    lost: str


class ScoreDeduction(Answer):
    deduction_id: str
    shop_id: str
    kind: str = Field(description="fake_orders, fake_reviews, bad_service, abnormal_return_address, …")
    points_x100: int = Field(description="hundredths of a point taken off the total: 300 = 3 points")
    points: str = Field(description=TEXT)
    reason: str
    effective_at: dt.datetime
    expires_at: dt.datetime | None = Field(description="null: until revoked")
    created_by: str
    revoked_at: dt.datetime | None


class ScoreReport(Answer):
    """A merchant's or creator's score of one day (or computed now: ``live``)."""

    kind: Literal["merchant", "creator"]
    subject_id: str
    as_of: dt.date
    live: bool
    name: Localised
    rulebook_version: str
    scale: Scale
    eligible: bool
    eligibility: Eligibility
    score_x100: int | None = Field(description=f"{POINTS}; null when not eligible")
    score: str | None = Field(description=TEXT)
    raw_x100: int | None = Field(description="before deductions; null when not eligible")
    raw: str | None
    deductions_x100: int
    deductions: str
    primary_category: str | None
    peer_group: str | None
    dimensions: list[Dimension]
    indicators: list[Indicator]


class ShopScore(ScoreReport):
    deductions_applied: list[ScoreDeduction] = Field(description="the ledger entries in force that day")


class DimensionPoints(Answer):
    points_x100: int | None
    points: str | None


class HistoryPoint(Answer):
    as_of: dt.date
    eligible: bool
    score_x100: int | None = Field(description=POINTS)
    score: str | None = Field(description=TEXT)
    band: Band | None
    dimensions: dict[str, DimensionPoints] = Field(description="by dimension id")


class ShopHistory(Answer):
    shop_id: str
    days: int
    points: list[HistoryPoint] = Field(description="one per scored day, oldest first (at most `days`)")


class DrillWindow(Answer):
    from_: dt.datetime = Field(alias="from")
    to: dt.datetime


class Suggestion(Answer):
    code: str
    text: Localised
    facts: dict[str, JsonValue]


class DrilldownRow(BaseModel):
    """One order, review, case, chat or feedback behind an indicator: its columns depend on the measure
    (``*_at`` members are ISO 8601 instants)."""

    model_config = ConfigDict(extra="allow")
    contribution: int | float = Field(description="what the row adds to the part drilled into")
    duration_seconds: int | None = Field(description="the wait the row stands for; null where none")


class DrilldownSummary(Answer):
    """One indicator of a subject drilled into: its window, how many rows explain it, a suggestion; the rows
    themselves are the list at ``…/indicators/{indicator_id}/rows``."""

    shop_id: str = Field(description="the subject (kept for older clients; same as subject_id)")
    subject_id: str
    indicator_id: str
    measure: str
    unit: Unit
    side: Side
    as_of: dt.date | None = Field(description="the day asked for; null: the latest run")
    window: DrillWindow
    total: int = Field(description="rows on this side in the window")
    suggestion: Suggestion | None


class Credit(Answer):
    consumer_id: str
    as_of: dt.date
    credit: int = Field(description="whole points")
    band: Band
    components: dict[str, int] = Field(description="points by component")
    facts: dict[str, int] = Field(description="the counts the components came from")
    rulebook_version: str


class Ranked(Answer):
    """One subject of a day's ranking: best first, unscored last."""

    subject_id: str
    as_of: dt.date = Field(description="the run the ranking is of")
    rank: int | None = Field(description="1 for the best; null for a subject without a score")
    eligible: bool
    score_x100: int | None = Field(description=f"{POINTS} (consumers: whole points)")
    score: str | None = Field(None, description=f"{TEXT} (merchants and creators)")
    credit: int | None = Field(None, description="whole points (consumers)")
    band: Band | None
    primary_category: str | None
    valid_orders: int | None


class RankingRun(Answer):
    """The run a ranking is of: its day, definition and size."""

    kind: Kind
    as_of: dt.date | None = Field(description="null before the first run")
    rulebook_version: str | None
    engine: str | None
    total: int = Field(description="subjects of this kind scored that day")
    counts: dict[str, JsonValue] = Field(description="subjects scored by kind and the fact rows read")
