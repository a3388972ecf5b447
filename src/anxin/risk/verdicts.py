"""From signals to a verdict: every live rule of the stage is evaluated, the worst action wins, points add up
to the score; shadow rules are evaluated the same way and only recorded. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anxin.core.rules import evaluate
from anxin.risk.model import Hit, Outcome, Signal, Verdict, worst
from anxin.risk.rulebook import RiskRulebook, Rule

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
