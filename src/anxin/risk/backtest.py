"""Replaying a rule over the facts stored with past verdicts: what it would have done, before it acts.

Every verdict stores the exact facts it was judged on, so a replay is the rule applied to history as it was
seen then, not recomputed from today's data. Verdicts whose stored facts lack a fact the rule reads (made
before that signal existed) are counted apart, never guessed. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anxin.core.rules import evaluate
from anxin.risk.rulebook import Rule


@dataclass(frozen=True)
class PastVerdict:
    verdict_id: str
    facts: Mapping[str, Any]
    outcome: str  # what was enforced then
    review_state: str | None  # open | cleared | confirmed | withdrawn, if it went to review


@dataclass
class BacktestResult:
    rule_id: str
    stage: str
    action: str
    requests: int = 0
    not_evaluable: int = 0
    fired: int = 0
    newly_flagged: int = 0  # fired where the verdict had been pass
    fired_on_confirmed: int = 0  # fired where an operator later confirmed abuse
    fired_on_cleared: int = 0  # fired where an operator cleared the request
    confirmed_total: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def fired_per_10k(self) -> int:
        evaluated = self.requests - self.not_evaluable
        return self.fired * 10_000 // evaluated if evaluated else 0

    def as_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "stage": self.stage, "action": self.action, "requests": self.requests,
                "not_evaluable": self.not_evaluable, "fired": self.fired, "fired_per_10k": self.fired_per_10k,
                "newly_flagged": self.newly_flagged, "fired_on_confirmed": self.fired_on_confirmed,
                "fired_on_cleared": self.fired_on_cleared, "confirmed_total": self.confirmed_total,
                "examples": self.examples}


def replay(rule: Rule, history: Iterable[PastVerdict], *, max_examples: int = 10) -> BacktestResult:
    result = BacktestResult(rule.id, rule.stage, rule.action.value)
    for past in history:
        result.requests += 1
        result.confirmed_total += past.review_state == "confirmed"
        try:
            fired, _ = evaluate(rule.when, past.facts)
        except (KeyError, TypeError):  # a fact this rule reads was not stored then (or had another shape)
            result.not_evaluable += 1
            continue
        if not fired:
            continue
        result.fired += 1
        result.newly_flagged += past.outcome == "pass"
        result.fired_on_confirmed += past.review_state == "confirmed"
        result.fired_on_cleared += past.review_state == "cleared"
        if len(result.examples) < max_examples:
            result.examples.append(past.verdict_id)
    return result


def refusal(result: BacktestResult, *, max_block_share_pct: int, max_review_share_pct: int) -> str | None:
    """Why a rule may not go live, or None. Shares are of the requests the rule could be evaluated on."""
    limit = max_block_share_pct if result.action == "block" else max_review_share_pct
    if result.fired_per_10k > limit * 100:
        return (f"replayed over {result.requests - result.not_evaluable} past {result.stage} requests it would "
                f"{result.action} {result.fired} ({result.fired_per_10k / 100:.2f} %), above the "
                f"{limit} % the rulebook allows for a {result.action} rule")
    return None
