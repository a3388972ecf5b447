"""The points ladder, pure: points per class from the record's point entries, the nodes a new violation crosses,
the measures that follow (the strictest wins), the caution before the next node, and where a record stands.

Expiry, exactly: a point entry counts at instant ``t`` while ``t < expires_at`` where ``expires_at = at +
expiry_days`` (``at``: when the violation happened). At ``expires_at`` itself it no longer counts.

Crossing: a violation adding ``p`` to a class at ``before`` crosses every node with ``before < node ≤ before + p``.
Of the nodes crossed, only the strictest node's measures apply (its strictest measure outranks the others'); the
kind's default measures for the violation's subject apply too. Against what is already active on the same target:
a measure of the same type is extended to the later end (never shortened); a measure weaker than an active one is
not applied (an active stronger measure is never replaced by a weaker one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anxin.governance.catalogue import SHOP_TYPES, SUBJECT_TARGET, Catalogue, KindRule, Measure, Node
from anxin.governance.model import GENERAL, SEVERE

CLASSES = (GENERAL, SEVERE)
# Reason codes of ladder decisions (stable; docs/governance.md).
NODE_CROSSED = "governance.node_crossed"
CAUTION = "governance.caution"
WEAKER_THAN_ACTIVE = "governance.measure_weaker_than_active"
EXTENDED = "governance.measure_extended"
ALREADY_ACTIVE = "governance.measure_already_active"
SUPERSEDED = "governance.node_superseded_by_stricter"
KIND_MEASURE = "governance.kind_default_measure"
OTHER_SUBJECT = "governance.measure_for_another_subject"


class LadderError(ValueError):
    """A violation the catalogue cannot score (unknown kind, subject or severity): the caller maps it to a code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PointEntry:
    violation_class: str
    points: int  # hundredths
    expires_at: dt.datetime

    def counts_at(self, at: dt.datetime) -> bool:
        return at < self.expires_at


@dataclass(frozen=True)
class ActiveMeasure:
    measure_id: str  # the stored measure's id
    palette_id: str
    type: str
    target: str
    strictness: int
    ends_at: dt.datetime | None  # None: until lifted


@dataclass(frozen=True)
class Planned:
    """One measure the decision considered, and what becomes of it: apply | extend | skip."""

    palette_id: str
    type: str
    target: str
    strictness: int
    source: str  # the node's or the kind's rule id
    step: str
    reason: str
    ends_at: dt.datetime | None
    extends: str | None = None  # the active measure extended

    def as_fact(self) -> dict[str, Any]:
        return {"measure": self.palette_id, "type": self.type, "target": self.target, "source": self.source,
                "step": self.step, "reason": self.reason,
                "ends_at": self.ends_at.isoformat() if self.ends_at else None, "extends": self.extends}


@dataclass(frozen=True)
class Decision:
    outcome: str
    reason_codes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str
    facts: Mapping[str, Any]
    planned: tuple[Planned, ...] = field(default=())

    @property
    def to_apply(self) -> tuple[Planned, ...]:
        return tuple(p for p in self.planned if p.step in ("apply", "extend"))


def expires_at(cat: Catalogue, at: dt.datetime) -> dt.datetime:
    return at + dt.timedelta(days=cat.expiry_days)


def points_by_class(entries: Iterable[PointEntry], at: dt.datetime) -> dict[str, int]:
    out = dict.fromkeys(CLASSES, 0)
    for e in entries:
        if e.counts_at(at):
            out[e.violation_class] += e.points
    return out


def points_of(rule: KindRule, severity: str | None) -> int:
    if rule.points is not None:
        return rule.points
    assert rule.by_severity is not None
    if severity is None or severity not in rule.by_severity:
        raise LadderError("governance.severity_required",
                          f"{rule.id} is scored by severity: give one of {sorted(rule.by_severity)}")
    return int(rule.by_severity[severity])


def crossed(nodes: Iterable[Node], before: int, after: int) -> list[Node]:
    return [n for n in nodes if before < n.points <= after]


def next_node(nodes: Iterable[Node], points: int) -> Node | None:
    return next((n for n in nodes if n.points > points), None)


def caution(cat: Catalogue, violation_class: str, points: int) -> tuple[Node | None, int | None, bool]:
    """The next node of the class, the distance to it (hundredths), and whether the record is within the caution
    distance of it (distance ≤ caution)."""
    node = next_node(cat.ladders[violation_class], points)
    if node is None:
        return None, None, False
    distance = node.points - points
    return node, distance, distance <= cat.caution


def _strength(cat: Catalogue, node: Node, owner_type: str) -> tuple[int, int]:
    ids = node.measures if owner_type == "shop" else node.creator_measures
    return max((cat.measures[i].strictness for i in ids), default=0), node.points


def _target(measure: Measure, owner: str, subject: str) -> str | None:
    """Where the measure acts: the owner for shop measures and warnings, the subject for subject measures (None:
    the measure is for another subject type)."""
    if measure.type == "warning":
        return owner
    if measure.type in SHOP_TYPES:
        return owner if owner.startswith("shop:") else None
    want = SUBJECT_TARGET[measure.type]
    if subject.startswith(f"{want}:"):
        return subject
    if owner.startswith(f"{want}:"):
        return owner
    return None


def _end(at: dt.datetime, measure: Measure) -> dt.datetime | None:
    if measure.one_off:
        return at
    return None if measure.days is None else at + dt.timedelta(days=measure.days)


def _later(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    """a ends later than b (None: never ends)."""
    if a is None:
        return b is not None
    return b is not None and a > b


def plan(cat: Catalogue, measure_ids: Iterable[tuple[str, str]], *, owner: str, subject: str,
         active: Iterable[ActiveMeasure], at: dt.datetime) -> list[Planned]:
    """What becomes of each (palette id, source) against the measures active now (strictest first)."""
    live = [a for a in active if a.ends_at is None or a.ends_at > at]
    out: list[Planned] = []
    chosen: list[ActiveMeasure] = []
    ordered = sorted(measure_ids, key=lambda ms: -cat.measures[ms[0]].strictness)
    for palette_id, source in ordered:
        m = cat.measures[palette_id]
        end = _end(at, m)
        target = _target(m, owner, subject)
        if target is None:
            out.append(Planned(palette_id, m.type, "", m.strictness, source, "skip", OTHER_SUBJECT, end))
            continue
        # Measures of this one decision do not undercut each other (a node's measures all apply); only what was
        # already active does.
        # "The same measure" is the same type holding the same things: a 30-day creator restriction that also
        # bars short videos is not the 7-day one extended, it is a stronger one applied beside it.
        same = [a for a in (*live, *chosen) if a.target == target and a.type == m.type and not m.one_off
                and cat.measures[a.palette_id].restrict == m.restrict]
        stronger = [a for a in live if a.target == target and a.strictness > m.strictness
                    and (a.type != m.type or cat.measures[a.palette_id].restrict != m.restrict)]
        # Within one decision a measure of the same type that holds everything this one would is enough.
        stronger += [a for a in chosen if a.target == target and a.type == m.type and a.strictness > m.strictness
                     and set(m.restrict) <= set(cat.measures[a.palette_id].restrict)]
        if same:
            current = max(same, key=lambda a: (a.ends_at is None, a.ends_at or at))
            if _later(end, current.ends_at):
                out.append(Planned(palette_id, m.type, target, m.strictness, source, "extend", EXTENDED, end,
                                   extends=current.measure_id))
            else:
                out.append(Planned(palette_id, m.type, target, m.strictness, source, "skip", ALREADY_ACTIVE, end,
                                   extends=current.measure_id))
            continue
        if stronger:
            out.append(Planned(palette_id, m.type, target, m.strictness, source, "skip", WEAKER_THAN_ACTIVE, end))
            continue
        out.append(Planned(palette_id, m.type, target, m.strictness, source, "apply",
                           KIND_MEASURE if source.startswith("GOV.KIND.") else NODE_CROSSED, end))
        chosen.append(ActiveMeasure("(new)", palette_id, m.type, target, m.strictness, end))
    return out


def decide(cat: Catalogue, *, kind: str, subject: str, owner: str, severity: str | None,
           entries: Iterable[PointEntry], active: Iterable[ActiveMeasure], at: dt.datetime,
           points: int | None = None) -> Decision:
    """The decision for one new violation of ``kind`` against the owner's record as it stands at ``at``.
    ``points``: the points the source already decided (a capped late shipment); else the catalogue's."""
    rule = cat.kinds.get(kind)
    if rule is None:
        raise LadderError("governance.unknown_kind", f"unknown violation kind {kind!r}")
    subject_type = subject.partition(":")[0]
    if subject_type not in rule.subjects:
        raise LadderError("governance.invalid_subject", f"{kind} applies to {list(rule.subjects)}, not {subject_type}")
    added = points_of(rule, severity) if points is None else points
    entries = list(entries)
    before = points_by_class(entries, at)
    after = {**before, rule.violation_class: before[rule.violation_class] + added}
    nodes = crossed(cat.ladders[rule.violation_class], before[rule.violation_class], after[rule.violation_class])
    owner_type = owner.partition(":")[0]
    strictest = max(nodes, key=lambda n: _strength(cat, n, owner_type)) if nodes else None
    candidates: list[tuple[str, str]] = []
    if strictest is not None:
        ids = strictest.measures if owner_type == "shop" else strictest.creator_measures
        candidates += [(i, strictest.id) for i in ids]
    candidates += [(i, rule.rule_id) for i in rule.measures]
    planned = plan(cat, candidates, owner=owner, subject=subject, active=active, at=at)
    nxt, distance, warn = caution(cat, rule.violation_class, after[rule.violation_class])
    reasons: list[str] = []
    if nodes:
        reasons.append(NODE_CROSSED)
    if len(nodes) > 1:
        reasons.append(SUPERSEDED)
    reasons += sorted({p.reason for p in planned if p.reason not in (NODE_CROSSED,)})
    if warn:
        reasons.append(CAUTION)
    applied = [p for p in planned if p.step in ("apply", "extend")]
    outcome = "measures_applied" if applied else ("caution" if warn else "recorded")
    rule_ids = (rule.rule_id, *(n.id for n in nodes), *(cat.measures[p.palette_id].rule_id for p in applied))
    facts = {"kind": kind, "class": rule.violation_class, "subject": subject, "owner": owner,
             "severity": severity, "points_added": added, "points_before": before, "points_after": after,
             "nodes_crossed": [n.id for n in nodes], "strictest_node": strictest.id if strictest else None,
             "measures_considered": [p.as_fact() for p in planned],
             "next_node": nxt.id if nxt else None, "distance_to_next": distance, "caution": warn,
             "expiry_days": cat.expiry_days, "at": at.isoformat()}
    return Decision(outcome=outcome, reason_codes=tuple(dict.fromkeys(reasons)), rule_ids=tuple(rule_ids),
                    rulebook_version=cat.version, facts=facts, planned=tuple(planned))


@dataclass(frozen=True)
class Standing:
    """Where a record stands in one class."""

    violation_class: str
    points: int
    reached: str | None  # the highest node at or below the points
    next_node: str | None
    next_points: int | None
    distance: int | None
    caution: bool


def standing(cat: Catalogue, points: Mapping[str, int]) -> list[Standing]:
    out = []
    for cls in CLASSES:
        nodes = cat.ladders[cls]
        reached = [n for n in nodes if n.points <= points.get(cls, 0)]
        nxt, distance, warn = caution(cat, cls, points.get(cls, 0))
        out.append(Standing(cls, points.get(cls, 0), reached[-1].id if reached else None, nxt.id if nxt else None,
                            nxt.points if nxt else None, distance, warn))
    return out
