"""Strict Pydantic models of the governance rulebook bundle: the index file (``kind: governance``) and the
catalogue section (``kind: governance.catalogue``). Pure (anxin.core and Pydantic only).

Points are written in the YAML as numbers (``0.1``, ``4``) and held as integer hundredths; a figure finer than
0.01 is refused rather than rounded, so what the rulebook says is exactly what the ladder counts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from anxin.core.rulebook_models import (
    Between,
    Fen,
    Instant,
    NonEmpty,
    PositiveInt,
    RulebookModel,
    RulebookProblems,
    problem,
    refuse,
)
from anxin.governance.model import SUBJECT_TYPES

MAX_POINTS = 1000
MEASURE_TYPES = ("warning", "traffic_limit", "listing_freeze", "campaign_ban", "fund_hold", "deposit_deduction",
                 "closure", "listing_takedown", "creator_restrict", "live_room_penalise")
MeasureType = Literal["warning", "traffic_limit", "listing_freeze", "campaign_ban", "fund_hold", "deposit_deduction",
                      "closure", "listing_takedown", "creator_restrict", "live_room_penalise"]
CLASSES = ("general", "severe")
SEVERITIES = ("minor", "major", "critical")
CREATOR_RESTRICTIONS = ("live", "short_video", "product_links")  # actions' creator.restrict names
LIVE_ROOM_PENALTIES = ("traffic_limit", "suspend")  # actions' live_room.penalise names that last


class GovernanceRulebookError(RulebookProblems):
    title = "governance rulebook invalid"


def hundredths(value: object) -> int:
    """A number of points as integer hundredths: 0.1 → 10, 4 → 400; finer than 0.01 is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise problem(f"must be a number of points, got {value!r}")
    exact = Decimal(str(value)) * 100
    if exact != exact.to_integral_value():
        raise problem(f"points are kept in hundredths: {value} is finer than 0.01")
    if not 0 <= exact <= MAX_POINTS * 100:
        raise problem(f"must be 0–{MAX_POINTS} points, got {value}")
    return int(exact)


class _PointsType:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(hundredths)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "number", "minimum": 0, "maximum": MAX_POINTS, "multipleOf": 0.01,
                "description": "points, at most two decimals (held as integer hundredths)"}


# Points as written (a number) and as held (integer hundredths).
Points = Annotated[int, _PointsType]


class GovernanceIndexSpec(RulebookModel):
    """``rulebooks/governance/rulebook.yaml`` (``kind: governance``): the bundle's version."""

    kind: Literal["governance"]
    version: NonEmpty
    effective_from: Instant


class MeasureSpec(RulebookModel):
    type: MeasureType
    strictness: PositiveInt
    days: Annotated[int, Between(0, 3650)] | None = None
    amount_fen: Fen | None = None  # deposit_deduction only
    restrict: list[Literal["live", "short_video", "product_links"]] | None = None  # creator_restrict only
    penalty: Literal["traffic_limit", "suspend"] | None = None  # live_room_penalise only

    @model_validator(mode="after")
    def _fits_type(self) -> MeasureSpec:
        found: list[tuple[str, str]] = []
        wants = {"deposit_deduction": "amount_fen", "creator_restrict": "restrict", "live_room_penalise": "penalty"}
        for typ, key in wants.items():
            given = getattr(self, key) is not None
            if given != (self.type == typ):
                found.append((f".{key}", f"required for {typ}" if not given else f"only for {typ}"))
        if self.type == "deposit_deduction" and self.days is not None:
            found.append((".days", "a deposit deduction is one movement of money: no days"))
        if self.type == "live_room_penalise" and (self.days is None or not 0 < self.days <= 30):
            found.append((".days", "a live room penalty lasts 1–30 days (the platform's limit)"))
        refuse(found, self)
        return self


class NodeSpec(RulebookModel):
    id: NonEmpty
    points: Points
    measures: list[NonEmpty] = Field(min_length=1)
    creator_measures: list[NonEmpty] = Field(default_factory=list)


class SeverityPoints(RulebookModel):
    minor: Points
    major: Points
    critical: Points


class KindSpec(RulebookModel):
    id: NonEmpty
    class_: Literal["general", "severe"] = Field(alias="class")
    points: Points | None = None
    points_by_severity: SeverityPoints | None = None
    subjects: list[Literal["shop", "listing", "creator", "live_room"]] = Field(min_length=1)
    evidence: list[NonEmpty] = Field(default_factory=list)
    appealable: bool
    measures: list[NonEmpty] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_points(self) -> KindSpec:
        if (self.points is None) == (self.points_by_severity is None):
            raise problem("give exactly one of points and points_by_severity")
        return self


class CatalogueSpec(RulebookModel):
    """``rulebooks/governance/catalogue.yaml`` (``kind: governance.catalogue``)."""

    kind: Literal["governance.catalogue"]
    points_expiry_days: Annotated[int, Between(1, 3650)] = 180
    caution_points: Points
    measures: dict[str, MeasureSpec] = Field(min_length=1)
    ladders: dict[Literal["general", "severe"], list[NodeSpec]]
    kinds: list[KindSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CatalogueSpec:
        found: list[tuple[str, str]] = []
        ranks: dict[int, str] = {}
        for name, m in self.measures.items():
            if m.strictness in ranks:
                found.append((f".measures.{name}.strictness",
                              f"strictness {m.strictness} is also {ranks[m.strictness]}'s"))
            ranks[m.strictness] = name
        for cls in CLASSES:
            if cls not in self.ladders:
                found.append((f".ladders.{cls}", "required"))
        for cls, nodes in self.ladders.items():
            last = 0
            for n, node in enumerate(nodes):
                at = f".ladders.{cls}[{n}]"
                if node.points <= last:
                    found.append((f"{at}.points", "nodes must rise strictly and be above 0"))
                last = node.points
                for i, mid in enumerate(node.measures):
                    spec = self.measures.get(mid)
                    if spec is None:
                        found.append((f"{at}.measures[{i}]", f"unknown measure {mid!r}"))
                    elif spec.type in ("listing_takedown", "creator_restrict", "live_room_penalise"):
                        found.append((f"{at}.measures[{i}]", f"{mid!r} is not a shop measure"))
                for i, mid in enumerate(node.creator_measures):
                    spec = self.measures.get(mid)
                    if spec is None:
                        found.append((f"{at}.creator_measures[{i}]", f"unknown measure {mid!r}"))
                    elif spec.type not in ("warning", "creator_restrict"):
                        found.append((f"{at}.creator_measures[{i}]", f"{mid!r} is not a creator measure"))
        ids = [node.id for nodes in self.ladders.values() for node in nodes]
        if len(ids) != len(set(ids)):
            found.append((".ladders", "node ids must be unique"))
        seen: set[str] = set()
        for n, kind in enumerate(self.kinds):
            if kind.id in seen:
                found.append((f".kinds[{n}].id", f"duplicate kind {kind.id!r}"))
            seen.add(kind.id)
            for i, mid in enumerate(kind.measures):
                if mid not in self.measures:
                    found.append((f".kinds[{n}].measures[{i}]", f"unknown measure {mid!r}"))
        refuse(found, self)
        return self


__all__ = ["CLASSES", "MEASURE_TYPES", "SEVERITIES", "SUBJECT_TYPES", "CatalogueSpec", "GovernanceIndexSpec",
           "GovernanceRulebookError", "KindSpec", "MeasureSpec", "NodeSpec", "Points", "hundredths"]
