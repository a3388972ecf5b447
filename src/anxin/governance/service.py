"""The governance context's use cases, composed: ``Anxin.governance`` is this facade. ``.violations`` is the
ViolationLedger other use cases take (record / get / reverse / count in the caller's unit of work) and the expiry
job; ``.queries`` what the API shows and operators record by hand; ``.findings`` the event handlers. ``.listings``
checks listings' texts; ``.inspections`` plans and records sampling inspections; ``.appeals`` takes appeals and
their decisions; ``.ip`` IP complaints."""

from __future__ import annotations

from dataclasses import dataclass

from anxin.core.clock import Clock
from anxin.db.uow import UowFactory
from anxin.governance.appeal_rules import AppealBook
from anxin.governance.appeal_store import export_appeals_query as export_appeals_query  # the service report
from anxin.governance.appeals import Appeals
from anxin.governance.enforcement import DepositDeduction, DepositRefund
from anxin.governance.findings import FindingHandlers
from anxin.governance.inspection_store import export_samples_query as export_samples_query
from anxin.governance.inspections import Inspections
from anxin.governance.ip_complaints import IpComplaints
from anxin.governance.listing_checks import ListingChecks
from anxin.governance.listing_store import export_checks_query as export_checks_query
from anxin.governance.queries import Queries
from anxin.governance.rulebook import GovernanceRulebook
from anxin.governance.store import export_points_query as export_points_query
from anxin.governance.store import export_violations_query as export_violations_query
from anxin.governance.violations import Violations


@dataclass(frozen=True)
class Governance:
    rulebook: GovernanceRulebook
    violations: Violations  # the ViolationLedger; expire_due
    queries: Queries  # shop_record, violation, list, record_by_hand
    findings: FindingHandlers  # fake_shipment, overselling, late_shipment, risky_merchant
    listings: ListingChecks  # drafts checked, published listings checked (catalog.listing_upserted), the queue
    inspections: Inspections  # risk-weighted sampling plans, results, the report by stratum
    appeals: Appeals  # merchants' and creators' appeals, the operators' queue by SLA, the resolution report
    ip: IpComplaints  # rights holders' complaints, counter-notices, decisions; lapse_due


def governance_for(*, uow_factory: UowFactory, clock: Clock, rulebook: GovernanceRulebook,
                   deduct_deposit: DepositDeduction | None = None,
                   refund_deposit: DepositRefund | None = None) -> Governance:
    violations = Violations(uow_factory=uow_factory, clock=clock, catalogue=rulebook.catalogue,
                            deduct_deposit=deduct_deposit, refund_deposit=refund_deposit)
    appeals = Appeals(uow_factory=uow_factory, clock=clock,
                      book=AppealBook(rulebook.version, rulebook.effective_from, rulebook.appeals),
                      ledger=violations)
    return Governance(rulebook=rulebook, violations=violations,
                      queries=Queries(uow_factory=uow_factory, clock=clock, violations=violations,
                                      appeals_of_shop=appeals.of_shop, appeals_of_creator=appeals.of_creator),
                      findings=FindingHandlers(violations=violations),
                      listings=ListingChecks(uow_factory=uow_factory, clock=clock, terms=rulebook.listing_terms,
                                             ledger=violations),
                      inspections=Inspections(uow_factory=uow_factory, clock=clock, rules=rulebook.inspections,
                                              ledger=violations),
                      appeals=appeals,
                      ip=IpComplaints(uow_factory=uow_factory, clock=clock, rules=rulebook.ip_complaints,
                                      ledger=violations))
