"""The IP complaint API's responses: a complaint as its rights holder, the shop's merchant and operators see it, and
the unfounded-complaint report per rights holder."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from anxin.governance.ip_rules import OUTCOMES, RIGHTS_KINDS, SEVERITIES, STATES
from anxin.web.schema import Free, Instant, Out

State = Annotated[str, Field(json_schema_extra={"enum": list(STATES)},
                             description="awaiting_counter_notice → counter_noticed | window_lapsed → upheld | "
                                         "rejected; withdrawn by the rights holder before a decision")]
RightsKind = Annotated[str, Field(json_schema_extra={"enum": list(RIGHTS_KINDS)})]
Outcome = Annotated[str, Field(json_schema_extra={"enum": list(OUTCOMES)})]
Severity = Annotated[str, Field(json_schema_extra={"enum": list(SEVERITIES)})]


class CounterNotice(Out):
    statement: str
    evidence: list[str]
    at: Instant


class ListingViolation(Out):
    listing_id: str
    violation_id: str
    severity: Severity
    points_hundredths: int = Field(description="the violation's points in hundredths")


class IpDecision(Out):
    outcome: Outcome
    reason_codes: list[str]
    rule_ids: list[str]
    rulebook_version: str
    facts: Free = Field(description="what the decision used: the window, prior violations in the repeat window, "
                                    "the severity …")
    violations: list[ListingViolation] = Field(description="upheld: one ip_infringement violation per listing")
    note: str
    decided_at: Instant
    decided_by: str | None = Field(description="the operator (shown to operators only)")


class IpComplaint(Out):
    complaint_id: str
    rights_holder_id: str
    shop_id: str
    listing_ids: list[str]
    rights_kind: RightsKind
    proof: Free = Field(description="rights_kind, owner, registration_number or certificate_reference, "
                                    "authorisation_chain (owner → … → filer)")
    statement: str
    evidence: list[str]
    state: State
    filed_at: Instant
    counter_notice_deadline: Instant = Field(description="a counter-notice is on time strictly before it")
    due_at: Instant = Field(description="the next deadline: the window's end, the decision's due time, or when "
                                        "it closed")
    overdue: bool = Field(description="ready, and its decision is past due")
    counter_notice: CounterNotice | None
    decision_due_at: Instant | None
    decision: IpDecision | None
    withdrawn_at: Instant | None
    filing_rule_ids: list[str]
    rulebook_version: str
    client_key: str | None = Field(None, description="the rights holder's own key (shown to them only)")


class FiledIpComplaint(IpComplaint):
    created: bool = Field(description="false: the client key was used before for this same complaint (this is it)")


class RightsHolderRecord(Out):
    rights_holder_id: str
    filed: int
    decided: int
    upheld: int
    rejected: int = Field(description="unfounded complaints")
    withdrawn: int
    unfounded_rate_bp: int | None = Field(description="rejected / decided in basis points; null before a decision")
    flagged: bool = Field(description="the rate reached the rulebook's threshold over enough decided complaints")
    since: Instant = Field(description="complaints filed since then count (the rulebook's window)")
    rule_id: str
