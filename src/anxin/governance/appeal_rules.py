"""Appeals, the pure part: the rulebook section (``rulebooks/governance/appeals.yaml``, ``kind: governance.appeals``)
as a strict model, whether an appellant may appeal a violation now and why not, the appeal's states, its decision
and what the decision does (reverse the violation, close an abuser's channel), and the resolution-time figures.

Windows are Beijing calendar days with the day of the event as day 0 (as the merchants rulebook counts): a 30-day
window opened by a penalty on 1 December is open until the end of 31 December and closed from 1 January.
Imports only ``core``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Field, model_validator

from anxin.core.clock import beijing_day, beijing_midnight
from anxin.core.rulebook_models import (
    Between,
    Instant,
    NonEmpty,
    RulebookModel,
    RulebookProblems,
    problem,
    read_yaml,
    validate,
)

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "rulebooks" / "governance"

# --- the rulebook section ----------------------------------------------------------------------------------------

RuleId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_.]*$")]
Days = Annotated[int, Between(1, 3650)]
EvidenceKind = Literal["image", "document"]


class MaxAppealsRule(RulebookModel):
    id: RuleId
    per_violation: Annotated[int, Between(1, 10)]


class WindowRule(RulebookModel):
    id: RuleId
    days: Days


class SlaRule(RulebookModel):
    id: RuleId
    hours: Annotated[int, Between(1, 24 * 90)]


class StatementRule(RulebookModel):
    id: RuleId
    min_chars: Annotated[int, Between(1, 10_000)]
    max_chars: Annotated[int, Between(1, 10_000)]

    @model_validator(mode="after")
    def _ordered(self) -> StatementRule:
        if self.min_chars > self.max_chars:
            raise problem(f"must not be above max_chars ({self.max_chars}), got {self.min_chars}", ".min_chars")
        return self


class EvidenceRule(RulebookModel):
    id: RuleId
    max_items: Annotated[int, Between(0, 50)]
    kinds: list[EvidenceKind] = Field(min_length=1)
    max_ref_chars: Annotated[int, Between(1, 1000)]


class AbuseRule(RulebookModel):
    id: RuleId
    flagged_rejections: Annotated[int, Between(1, 100)]  # this many flagged rejections ...
    window_days: Days  # ... decided within this many days ...
    closed_days: Days  # ... close the appellant's channel this long


class AppealRules(RulebookModel):
    kind: Literal["governance.appeals"]
    max_appeals: MaxAppealsRule
    first_window: WindowRule
    second_window: WindowRule
    decision_sla: SlaRule
    statement: StatementRule
    evidence: EvidenceRule
    abuse: AbuseRule

    @model_validator(mode="after")
    def _distinct_ids(self) -> AppealRules:
        ids = [self.max_appeals.id, self.first_window.id, self.second_window.id, self.decision_sla.id,
               self.statement.id, self.evidence.id, self.abuse.id]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise problem(f"rule ids must be distinct, repeated: {', '.join(repeated)}")
        return self


class _BundleIndex(RulebookModel):
    kind: Literal["governance"]
    version: NonEmpty
    effective_from: Instant


class AppealRulebookError(RulebookProblems):
    title = "invalid governance appeals rulebook"


@dataclass(frozen=True)
class AppealBook:
    """The appeals section with the bundle's version, which every decision stores."""

    version: str
    effective_from: dt.datetime
    rules: AppealRules


def load_appeal_book(directory: str | Path = DEFAULT_DIR) -> AppealBook:
    """``rulebook.yaml`` (the version) and ``appeals.yaml`` of the governance bundle; every problem at once."""
    directory = Path(directory)
    found: list[str] = []
    index_raw, bad = read_yaml(directory / "rulebook.yaml")
    found += bad
    rules_raw, bad = read_yaml(directory / "appeals.yaml")
    found += bad
    index, bad = validate(_BundleIndex, index_raw, "rulebook") if not found else (None, [])
    found += bad
    rules, bad = validate(AppealRules, rules_raw, "appeals") if not found else (None, [])
    found += bad
    if found or index is None or rules is None:
        raise AppealRulebookError(found)
    return AppealBook(version=index.version, effective_from=index.effective_from, rules=rules)


# --- states ------------------------------------------------------------------------------------------------------

SUBMITTED: Final = "submitted"
UPHELD: Final = "upheld"  # the appellant was right: the violation is reversed
REJECTED: Final = "rejected"
WITHDRAWN: Final = "withdrawn"
STATES: Final = (SUBMITTED, UPHELD, REJECTED, WITHDRAWN)
OUTCOMES: Final = (UPHELD, REJECTED)
_NEXT: Final[Mapping[str, frozenset[str]]] = {SUBMITTED: frozenset({UPHELD, REJECTED, WITHDRAWN})}


def may_move(state: str, to: str) -> bool:
    """submitted → upheld | rejected | withdrawn; the other states are final."""
    return to in _NEXT.get(state, frozenset())


def deadline_of(rules: AppealRules, filed_at: dt.datetime) -> dt.datetime:
    return filed_at + dt.timedelta(hours=rules.decision_sla.hours)


def is_overdue(state: str, deadline_at: dt.datetime, at: dt.datetime) -> bool:
    """Undecided after its SLA deadline (a decision at the deadline itself is in time)."""
    return state == SUBMITTED and at > deadline_at


def window_end(start: dt.datetime, days: int) -> dt.datetime:
    """The first instant outside a window of ``days`` Beijing days opened at ``start`` (its day is day 0)."""
    return beijing_midnight(beijing_day(start) + dt.timedelta(days=days + 1))


@dataclass(frozen=True)
class EvidenceRef:
    kind: str  # image | document
    ref: str  # an uploaded file's id or address


@dataclass(frozen=True)
class Appeal:
    """One appeal and, once decided, its decision. ``open_key`` is the violation's id while the appeal is submitted
    and None after: unique in the store, so a violation has at most one open appeal however submissions race."""

    appeal_id: str
    violation_id: str
    appellant_type: str  # merchant | creator
    appellant_id: str
    shop_id: str | None
    creator_id: str | None
    number: int
    statement: str
    evidence: tuple[EvidenceRef, ...]
    state: str
    filed_at: dt.datetime
    deadline_at: dt.datetime
    rulebook_version: str
    filing_rule_ids: tuple[str, ...]
    filing_facts: Mapping[str, Any]
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    abusive: bool = False
    decision_reason_codes: tuple[str, ...] = ()
    decision_rule_ids: tuple[str, ...] = ()
    decision_facts: Mapping[str, Any] = field(default_factory=dict)
    decision_note: str = ""
    decision_rulebook_version: str | None = None

    @property
    def open_key(self) -> str | None:
        return self.violation_id if self.state == SUBMITTED else None

    @property
    def appellant(self) -> str:
        return f"{self.appellant_type}:{self.appellant_id}"

    @property
    def outcome(self) -> str | None:
        return self.state if self.state in OUTCOMES else None


# --- may this appellant appeal this violation now? ---------------------------------------------------------------

# Refusal reasons; those without a rulebook entry have fixed rule ids (they are not figures anyone tunes).
NOT_OWNER: Final = "not_owner"
NOT_APPEALABLE: Final = "not_appealable"
NOT_ACTIVE: Final = "violation_not_active"
CHANNEL_CLOSED: Final = "channel_closed"
APPEAL_OPEN: Final = "appeal_open"
LIMIT_REACHED: Final = "limit_reached"
FIRST_WINDOW_CLOSED: Final = "first_window_closed"
SECOND_WINDOW_CLOSED: Final = "second_window_closed"
RULE_OWNER: Final = "appeal.owner"
RULE_APPEALABLE: Final = "appeal.appealable"  # the catalogue says whether a kind is appealable
RULE_ACTIVE: Final = "appeal.violation_active"
RULE_ONE_OPEN: Final = "appeal.one_open"


@dataclass(frozen=True)
class PriorAppeal:
    appeal_id: str
    state: str
    filed_at: dt.datetime
    decided_at: dt.datetime | None = None


@dataclass(frozen=True)
class FilingFacts:
    """What the eligibility decision looks at; stored with the appeal."""

    at: dt.datetime
    violation_id: str
    violation_state: str  # active | reversed | expired
    appealable: bool
    penalised_at: dt.datetime  # when the violation was recorded
    is_owner: bool
    prior: tuple[PriorAppeal, ...] = ()
    channel_closed_until: dt.datetime | None = None


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason_codes: tuple[str, ...]  # empty when allowed
    rule_ids: tuple[str, ...]  # the rules that decided (refused, or checked and passed)
    number: int  # which appeal of the violation this would be (1, 2 …)
    window_ends_at: dt.datetime | None
    facts: dict[str, Any] = field(default_factory=dict)


def may_appeal(rules: AppealRules, f: FilingFacts) -> Eligibility:
    """Every reason the appellant may not appeal now (all of them, most fundamental first), or allowed."""
    counted = [p for p in f.prior if p.state != WITHDRAWN]  # a withdrawn appeal does not use up a turn
    number = len(counted) + 1
    rejected = [p.decided_at for p in counted if p.state == REJECTED and p.decided_at is not None]
    ends: dt.datetime | None
    if number == 1:
        window_rule, ends = rules.first_window, window_end(f.penalised_at, rules.first_window.days)
    else:
        window_rule = rules.second_window
        ends = window_end(max(rejected), rules.second_window.days) if rejected else None
    facts = {"at": f.at.isoformat(), "violation_id": f.violation_id, "violation_state": f.violation_state,
             "appealable": f.appealable, "penalised_at": f.penalised_at.isoformat(), "number": number,
             "prior": [{"appeal_id": p.appeal_id, "state": p.state} for p in f.prior],
             "window_rule": window_rule.id, "window_ends_at": ends.isoformat() if ends else None,
             "channel_closed_until": f.channel_closed_until.isoformat() if f.channel_closed_until else None}
    if not f.is_owner:  # says nothing else about a violation that is not the caller's
        return Eligibility(False, (NOT_OWNER,), (RULE_OWNER,), number, None, {"violation_id": f.violation_id})
    refused: list[tuple[str, str]] = []
    if not f.appealable:
        refused.append((NOT_APPEALABLE, RULE_APPEALABLE))
    if f.violation_state != "active":
        refused.append((NOT_ACTIVE, RULE_ACTIVE))
    if f.channel_closed_until is not None and f.at < f.channel_closed_until:
        refused.append((CHANNEL_CLOSED, rules.abuse.id))
    if any(p.state == SUBMITTED for p in f.prior):
        refused.append((APPEAL_OPEN, RULE_ONE_OPEN))
    if number > rules.max_appeals.per_violation:
        refused.append((LIMIT_REACHED, rules.max_appeals.id))
    elif ends is not None and f.at >= ends:
        refused.append((FIRST_WINDOW_CLOSED if number == 1 else SECOND_WINDOW_CLOSED, window_rule.id))
    checked = (RULE_OWNER, RULE_APPEALABLE, RULE_ACTIVE, rules.abuse.id, RULE_ONE_OPEN, rules.max_appeals.id,
               window_rule.id)
    if refused:
        return Eligibility(False, tuple(r for r, _ in refused), tuple(i for _, i in refused), number, ends, facts)
    return Eligibility(True, (), checked, number, ends, facts)


# --- what an appeal carries --------------------------------------------------------------------------------------

STATEMENT_LENGTH: Final = "statement_length"
EVIDENCE_COUNT: Final = "evidence_count"
EVIDENCE_KIND: Final = "evidence_kind"
EVIDENCE_REF: Final = "evidence_ref"


def submission_problems(rules: AppealRules, statement: str,
                        evidence: Sequence[EvidenceRef]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(reason, rule id, details)`` for each way the statement or evidence breaks the rules; empty when fine."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    s, e = rules.statement, rules.evidence
    length = len(statement.strip())
    if not s.min_chars <= length <= s.max_chars:
        found.append((STATEMENT_LENGTH, s.id, {"length": length, "min": s.min_chars, "max": s.max_chars}))
    if len(evidence) > e.max_items:
        found.append((EVIDENCE_COUNT, e.id, {"count": len(evidence), "max": e.max_items}))
    for i, item in enumerate(evidence):
        if item.kind not in e.kinds:
            found.append((EVIDENCE_KIND, e.id, {"index": i, "kind": item.kind, "allowed": list(e.kinds)}))
        if not 1 <= len(item.ref.strip()) <= e.max_ref_chars:
            found.append((EVIDENCE_REF, e.id, {"index": i, "max": e.max_ref_chars}))
    return found


# --- the decision --------------------------------------------------------------------------------------------------

DECIDED_LATE: Final = "decided_after_sla"  # recorded with the operator's reasons when the SLA was missed
FLAGGED_ABUSIVE: Final = "flagged_abusive"


@dataclass(frozen=True)
class Decision:
    outcome: str  # upheld | rejected
    reason_codes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    reverse_violation: bool
    abusive: bool
    overdue: bool
    close_channel_until: dt.datetime | None
    facts: dict[str, Any]


def decide(rules: AppealRules, *, outcome: str, reason_codes: Sequence[str], abusive: bool, filed_at: dt.datetime,
           deadline_at: dt.datetime, at: dt.datetime, flagged_before: Sequence[dt.datetime] = (),
           channel_closed_until: dt.datetime | None = None) -> Decision:
    """The operator's decision and what follows: upheld reverses the violation; rejected and flagged abusive counts
    towards closing the channel (``flagged_before``: when the appellant's earlier flagged rejections were decided).
    ``outcome`` must be upheld or rejected, ``abusive`` only with rejected (the caller refuses otherwise)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    if abusive and outcome != REJECTED:
        raise ValueError("only a rejected appeal may be flagged abusive")
    overdue = at > deadline_at
    codes = [*reason_codes, *([FLAGGED_ABUSIVE] if abusive else []), *([DECIDED_LATE] if overdue else [])]
    rule_ids = [rules.decision_sla.id]
    close_until = None
    since = at - dt.timedelta(days=rules.abuse.window_days)
    flagged = [t for t in flagged_before if t > since] + ([at] if abusive else [])
    if abusive:
        rule_ids.append(rules.abuse.id)
        already_closed = channel_closed_until is not None and channel_closed_until > at
        if len(flagged) >= rules.abuse.flagged_rejections and not already_closed:
            close_until = at + dt.timedelta(days=rules.abuse.closed_days)
    facts = {"filed_at": filed_at.isoformat(), "deadline_at": deadline_at.isoformat(), "decided_at": at.isoformat(),
             "overdue": overdue, "resolution_seconds": int((at - filed_at).total_seconds()),
             "abusive": abusive, "flagged_in_window": len(flagged) if abusive else None,
             "abuse_window_days": rules.abuse.window_days,
             "channel_closed_until": close_until.isoformat() if close_until else None}
    return Decision(outcome=outcome, reason_codes=tuple(dict.fromkeys(codes)), rule_ids=tuple(rule_ids),
                    reverse_violation=outcome == UPHELD, abusive=abusive, overdue=overdue,
                    close_channel_until=close_until, facts=facts)


# --- resolution time -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResolutionStats:
    decided: int
    median_seconds: int | None
    p90_seconds: int | None


def resolution_stats(seconds: Sequence[int]) -> ResolutionStats:
    """Median (the mean of the middle two for an even count, rounded down) and p90 by nearest rank (the smallest
    value with at least 90 % of the values at or below it) of resolution times."""
    values = sorted(seconds)
    n = len(values)
    if n == 0:
        return ResolutionStats(0, None, None)
    median = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) // 2
    return ResolutionStats(n, median, values[math.ceil(0.9 * n) - 1])


def change_pct(current: int | None, previous: int | None) -> float | None:
    """Relative change in percent (negative: faster), one decimal; None without both figures or from zero."""
    if current is None or previous is None or previous == 0:
        return None
    return round((current - previous) * 100 / previous, 1)
