"""The ``ip_complaints`` section of the governance rulebook (issue 16 §7) as a strict model: the rights kinds and the
proof each needs, agents' authorisation chains, the counter-notice window, the decision SLA and reason codes, the
repeat-infringer steps, the limits and the unfounded-complaint threshold, each with its rule id and source grade.
Versioned by the bundle's ``rulebook.yaml``. Pure; ``ip_rules`` is the policy that uses it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from anxin.core.rulebook_models import (
    Between,
    Instant,
    NonEmpty,
    PositiveInt,
    RulebookModel,
    RulebookProblems,
    read_yaml,
    validated,
)

SEVERITIES = ("minor", "major", "critical")  # the catalogue's ip_infringement points go by these
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "rulebooks" / "governance"


# --- the section's model --------------------------------------------------------------------------------------

Grade = Literal["A", "B", "C", "G", "INF"]
Severity = Literal["minor", "major", "critical"]


class ProofFieldSpec(RulebookModel):
    field: Literal["registration_number", "certificate_reference"]
    pattern: NonEmpty

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc})") from None
        return value


class RightsSpec(RulebookModel):
    kind: Literal["trademark", "copyright", "patent"]
    rule_id: NonEmpty
    grade: Grade
    proof: list[ProofFieldSpec] = Field(min_length=1)


class AgentsSpec(RulebookModel):
    rule_id: NonEmpty
    grade: Grade
    max_chain_links: PositiveInt


class CounterNoticeSpec(RulebookModel):
    rule_id: NonEmpty
    grade: Grade
    window_days: PositiveInt
    min_statement_chars: Annotated[int, Between(0)]
    max_evidence_items: PositiveInt


class ReasonsSpec(RulebookModel):
    upheld: list[NonEmpty] = Field(min_length=1)
    rejected: list[NonEmpty] = Field(min_length=1)


class DecisionSpec(RulebookModel):
    rule_id: NonEmpty
    grade: Grade
    sla_hours: PositiveInt
    reasons: ReasonsSpec


class RepeatStepSpec(RulebookModel):
    prior_violations: Annotated[int, Between(0)]
    severity: Severity


class RepeatSpec(RulebookModel):
    rule_id: NonEmpty
    grade: Grade
    window_days: PositiveInt
    steps: list[RepeatStepSpec] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _ascending(cls, steps: list[RepeatStepSpec]) -> list[RepeatStepSpec]:
        if steps[0].prior_violations != 0:
            raise ValueError("the first step must start at prior_violations 0 (a first offence has a severity)")
        for a, b in itertools.pairwise(steps):
            if b.prior_violations <= a.prior_violations:
                raise ValueError("steps must ascend strictly by prior_violations")
            if SEVERITIES.index(b.severity) < SEVERITIES.index(a.severity):
                raise ValueError("a repeat offence may not be less severe than an earlier step")
        return steps


class LimitsSpec(RulebookModel):
    rule_id: NonEmpty
    grade: Grade
    max_listings_per_complaint: PositiveInt
    max_statement_chars: PositiveInt
    max_evidence_items: PositiveInt


class UnfoundedSpec(RulebookModel):
    rule_id: NonEmpty
    grade: Grade
    flag_rate_bp: Annotated[int, Between(0, 10000)]
    min_decided: PositiveInt
    window_days: PositiveInt


class IpComplaintsSpec(RulebookModel):
    kind: Literal["governance.ip_complaints"]
    rights: list[RightsSpec] = Field(min_length=1)
    agents: AgentsSpec
    counter_notice: CounterNoticeSpec
    decision: DecisionSpec
    repeat: RepeatSpec
    limits: LimitsSpec
    unfounded: UnfoundedSpec

    @field_validator("rights")
    @classmethod
    def _one_per_kind(cls, rights: list[RightsSpec]) -> list[RightsSpec]:
        kinds = [r.kind for r in rights]
        if len(set(kinds)) != len(kinds):
            raise ValueError("each rights kind at most once")
        return rights


class _Index(RulebookModel):
    """The bundle's rulebook.yaml as far as this section needs it (the core slice owns the rest)."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)
    kind: Literal["governance"]
    version: NonEmpty
    effective_from: Instant


class IpRulesError(RulebookProblems):
    title = "invalid governance rulebook (ip_complaints)"


@dataclass(frozen=True)
class IpRules:
    version: str
    effective_from: dt.datetime
    spec: IpComplaintsSpec

    def rights(self, kind: str) -> RightsSpec | None:
        return next((r for r in self.spec.rights if r.kind == kind), None)

    @property
    def counter_notice_window(self) -> dt.timedelta:
        return dt.timedelta(days=self.spec.counter_notice.window_days)

    @property
    def decision_sla(self) -> dt.timedelta:
        return dt.timedelta(hours=self.spec.decision.sla_hours)

    @property
    def repeat_window(self) -> dt.timedelta:
        return dt.timedelta(days=self.spec.repeat.window_days)


def ip_rules_from(raw: object, *, version: str, effective_from: dt.datetime) -> IpRules:
    spec = validated(IpComplaintsSpec, raw, IpRulesError, "ip_complaints")
    return IpRules(version=version, effective_from=effective_from, spec=spec)


def load_ip_rules(directory: Path | None = None) -> IpRules:
    """The section from ``directory`` (default: the packaged bundle), versioned by the bundle's rulebook.yaml."""
    directory = directory or DEFAULT_DIR
    raw_index, problems = read_yaml(directory / "rulebook.yaml")
    raw, more = read_yaml(directory / "ip_complaints.yaml")
    if problems or more:
        raise IpRulesError(problems + more)
    index = validated(_Index, raw_index, IpRulesError, "rulebook")
    return ip_rules_from(raw, version=index.version, effective_from=index.effective_from)
