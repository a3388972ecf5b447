"""The violation catalogue as the ladder uses it: kinds, measures and ladder nodes from a validated
``CatalogueSpec``, points in hundredths. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from anxin.governance.model import ALL_KINDS
from anxin.governance.rulebook_models import CatalogueSpec, GovernanceRulebookError

# Where each measure type acts: on the record's owner (shop or creator), or on the violation's subject.
SHOP_TYPES = ("traffic_limit", "listing_freeze", "campaign_ban", "fund_hold", "deposit_deduction", "closure")
SUBJECT_TARGET = {"listing_takedown": "listing", "creator_restrict": "creator", "live_room_penalise": "live_room"}


@dataclass(frozen=True)
class Measure:
    id: str
    type: str
    strictness: int
    days: int | None  # None: until lifted
    amount_fen: int | None = None
    restrict: tuple[str, ...] = ()
    penalty: str | None = None

    @property
    def rule_id(self) -> str:
        return f"GOV.MEASURE.{self.id}"

    @property
    def one_off(self) -> bool:
        """A movement of money, done when applied: never active, never lifted."""
        return self.type == "deposit_deduction"


@dataclass(frozen=True)
class Node:
    id: str
    violation_class: str
    points: int  # hundredths
    measures: tuple[str, ...]
    creator_measures: tuple[str, ...]


@dataclass(frozen=True)
class KindRule:
    id: str
    violation_class: str
    points: int | None  # hundredths; None: by severity
    by_severity: Mapping[str, int] | None
    subjects: tuple[str, ...]
    evidence: tuple[str, ...]
    appealable: bool
    measures: tuple[str, ...]

    @property
    def rule_id(self) -> str:
        return f"GOV.KIND.{self.id}"


@dataclass(frozen=True)
class Catalogue:
    version: str  # the bundle's
    expiry_days: int
    caution: int  # hundredths
    measures: Mapping[str, Measure]
    ladders: Mapping[str, tuple[Node, ...]]
    kinds: Mapping[str, KindRule]


def catalogue_rules(spec: CatalogueSpec, version: str) -> Catalogue:
    missing = [k for k in ALL_KINDS if k not in {kind.id for kind in spec.kinds}]
    unknown = [kind.id for kind in spec.kinds if kind.id not in ALL_KINDS]
    if missing or unknown:
        raise GovernanceRulebookError(
            [f"catalogue.kinds: missing {k!r}" for k in missing] +
            [f"catalogue.kinds: {k!r} is not a violation kind (governance/model.py)" for k in unknown])
    measures = {mid: Measure(id=mid, type=m.type, strictness=m.strictness, days=m.days, amount_fen=m.amount_fen,
                             restrict=tuple(m.restrict or ()), penalty=m.penalty) for mid, m in spec.measures.items()}
    ladders: dict[str, tuple[Node, ...]] = {
        cls: tuple(Node(id=n.id, violation_class=cls, points=n.points, measures=tuple(n.measures),
                        creator_measures=tuple(n.creator_measures)) for n in nodes)
        for cls, nodes in spec.ladders.items()}
    kinds = {k.id: KindRule(id=k.id, violation_class=k.class_, points=k.points,
                            by_severity=k.points_by_severity.model_dump() if k.points_by_severity else None,
                            subjects=tuple(k.subjects), evidence=tuple(k.evidence), appealable=k.appealable,
                            measures=tuple(k.measures)) for k in spec.kinds}
    return Catalogue(version=version, expiry_days=spec.points_expiry_days, caution=spec.caution_points,
                     measures=measures, ladders=ladders, kinds=kinds)
