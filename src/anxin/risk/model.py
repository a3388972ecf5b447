"""Pure risk values: account attributes, signals, verdicts and the rule evaluation that makes them.

A verdict is ``pass``, ``review`` or ``block``. Every rule that fired says why (its code, rule id and
the signal values it compared); rules in shadow are evaluated the same way and recorded as what they
*would* have done, without acting. Nothing here reads a clock or a database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from anxin.core.fields import FieldInvalid, Problem
from anxin.core.rules import evaluate

if TYPE_CHECKING:  # the rulebook's values are only read here; it imports this module's Outcome
    from anxin.risk.rulebook import RiskRulebook, Rule

# Attributes the platform sends with consumers' events (opaque values: hashes or ids, never raw data).
CONSUMER_KINDS = ("device", "phone", "address", "payment", "return_address", "ip")
# A shop's credentials, sent with shop.upserted; a new shop sharing one with a banned shop is flagged.
MERCHANT_KINDS = ("licence", "legal_rep", "phone", "bank_account", "device")
MAX_VALUE_LEN = 128


class AttributeError_(ValueError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def clean_attributes(raw: Mapping[str, Any] | None, kinds: tuple[str, ...]) -> dict[str, str]:
    """Known kinds with non-blank string values, stripped. Missing or blank attributes are simply absent;
    an unknown kind or a non-string value is an error (the platform's contract is explicit)."""
    if raw is None:
        return {}
    out: dict[str, str] = {}
    for kind, value in raw.items():
        if kind not in kinds:
            raise AttributeError_(str(kind), f"unknown attribute {kind!r}; known: {', '.join(kinds)}")
        if value is None:
            continue
        if not isinstance(value, str):
            raise AttributeError_(kind, f"attribute {kind!r} must be a string")
        value = value.strip()
        if len(value) > MAX_VALUE_LEN:
            raise AttributeError_(kind, f"attribute {kind!r} is longer than {MAX_VALUE_LEN}")
        if value and "\x00" not in value:
            out[kind] = value
    return out


def attributes_in(data: Mapping[str, Any], name: str, kinds: tuple[str, ...], *, path: str = "data.") -> dict[str, str]:
    """The attributes an event carries in ``data[name]`` (``clean_attributes``), or FieldInvalid naming the one
    that is wrong: an unknown kind, a non-string or an over-long value."""
    raw = data.get(name)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be an object of attributes", path + name)
    try:
        return clean_attributes(raw, kinds)
    except AttributeError_ as exc:
        raise FieldInvalid(Problem.FIELD, f"{path + name}.{exc.kind}: {exc}", f"{path + name}.{exc.kind}") from None


class Outcome(StrEnum):
    PASS = "pass"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return {"pass": 0, "review": 1, "block": 2}[self.value]


def worst(outcomes: list[Outcome]) -> Outcome:
    return max(outcomes, key=lambda o: o.rank, default=Outcome.PASS)


@dataclass(frozen=True)
class Signal:
    """One measured fact about a request, with what it is compared against and why it matters."""

    name: str
    value: int | bool | str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "evidence": self.evidence}


@dataclass(frozen=True)
class Hit:
    """A rule that fired."""

    rule: str
    code: str
    action: Outcome
    points: int
    status: str  # live | shadow
    message: Mapping[str, str]
    compared: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "code": self.code, "action": self.action.value, "points": self.points,
                "status": self.status, "message": dict(self.message), "compared": list(self.compared)}


@dataclass(frozen=True)
class Verdict:
    stage: str
    outcome: Outcome  # what is enforced
    would_be: Outcome  # with the shadow rules live too
    score: int  # 0..1000: the sum of the live rules' points, capped
    hits: tuple[Hit, ...]
    shadow: tuple[Hit, ...]
    signals: tuple[Signal, ...]
    facts: dict[str, Any]
    rulebook_version: str
    mode: str  # enforce | shadow | off

    @property
    def reason_codes(self) -> list[str]:
        return [h.code for h in self.hits]

    def summary(self) -> dict[str, Any]:
        """What the after-sales decision stores next to its own reasons."""
        return {"outcome": self.outcome.value, "would_be": self.would_be.value, "score": self.score,
                "mode": self.mode, "rulebook_version": self.rulebook_version,
                "reasons": [h.as_dict() for h in self.hits], "shadow": [h.as_dict() for h in self.shadow]}


def decay(value: float, elapsed_hours: float, half_life_hours: float) -> float:
    """A counter's value after ``elapsed_hours`` of exponential decay (events long past weigh little)."""
    if elapsed_hours <= 0:
        return value
    return value * math.pow(0.5, elapsed_hours / half_life_hours)


def tariff_fen(weight_g: int, *, same_province: bool, first_kg_fen: int, extra_kg_fen: int,
               cross_province_extra_fen: int) -> int:
    """The carrier's published price for a parcel: first kilogram plus each started extra kilogram."""
    kilos = max(1, -(-max(weight_g, 0) // 1000))
    fen = first_kg_fen + (kilos - 1) * extra_kg_fen
    return fen if same_province else fen + cross_province_extra_fen


def threat_terms(text: str, terms: tuple[str, ...]) -> list[str]:
    """The threatening phrases a claim's text contains (曝光, 12315, 差评 …), each once, in rulebook order."""
    lowered = text.lower()
    return [t for t in terms if t.lower() in lowered]


# --- from signals to a verdict: every live rule of the stage is evaluated, the worst action wins, points add up to
# the score; shadow rules are evaluated the same way and only recorded ---------------------------------------------

MAX_SCORE = 1000


def effective_status(rule: Rule, overrides: Mapping[str, str]) -> str:
    """The rulebook's status unless an operator moved the rule (activated a shadow rule, switched one off)."""
    return overrides.get(rule.id, rule.status)


def fire(rule: Rule, facts: Mapping[str, Any], status: str) -> Hit | None:
    fired, steps = evaluate(rule.when, facts)
    if not fired:
        return None
    compared = tuple({"fact": s.fact, "op": s.op, "expected": s.expected,
                      "actual": sorted(s.actual) if isinstance(s.actual, frozenset | set) else s.actual}
                     for s in steps if s.passed)
    return Hit(rule.id, rule.code, rule.action, rule.points, status, rule.message, compared)


def judge(stage: str, facts: Mapping[str, Any], signals: tuple[Signal, ...], rb: RiskRulebook, *,
          overrides: Mapping[str, str] | None = None, mode: str | None = None) -> Verdict:
    """The verdict on one request. ``mode`` ``shadow`` logs everything and enforces nothing; ``off`` skips."""
    overrides = overrides or {}
    mode = mode or rb.mode
    if mode == "off":
        return Verdict(stage, Outcome.PASS, Outcome.PASS, 0, (), (), signals, dict(facts), rb.version, mode)
    live: list[Hit] = []
    shadow: list[Hit] = []
    for rule in rb.for_stage(stage):
        status = effective_status(rule, overrides)
        if status == "off":
            continue
        hit = fire(rule, facts, status)
        if hit is None:
            continue
        (live if status == "live" else shadow).append(hit)
    outcome = worst([h.action for h in live])
    would_be = worst([h.action for h in live + shadow])
    score = min(MAX_SCORE, sum(h.points for h in live))
    if mode == "shadow":  # the whole rulebook watches: what it would have done is kept, nothing acts
        shadow, live, outcome, score = live + shadow, [], Outcome.PASS, 0
    return Verdict(stage, outcome, would_be, score, tuple(live), tuple(shadow), signals, dict(facts), rb.version,
                   mode)
