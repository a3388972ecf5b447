"""After-sales, as the other contexts, the API, pages and CLI see it: one object that hands each call to its use case.

The use cases live in their own modules, each with its dependencies passed by keyword: ``filing`` (open and decide a
case), ``case_actions`` (people acting on a case), ``deadlines`` (the clock's tick), ``queries`` (reads),
``evidence_uploads`` and ``risk_settlement`` (the ``risk.review_decided`` handler). They share ``transitions`` (how a
case changes and pays) and ``reading`` (who may see what). The class binds each public name to its use case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anxin.aftersales import refunds
from anxin.aftersales.case_actions import CaseActions
from anxin.aftersales.deadlines import DEADLINE_JOB, DeadlineTick, JobRuns, TickReport
from anxin.aftersales.evidence import EvidenceStore
from anxin.aftersales.evidence_uploads import EvidenceUploads
from anxin.aftersales.filing import CaseFiling, FileCase
from anxin.aftersales.policy import offered
from anxin.aftersales.queries import CaseQueries, OrderGuarantees
from anxin.aftersales.reading import CaseView
from anxin.aftersales.refunds import RefundPaid as RefundPaid  # re-exported: what merchants settles
from anxin.aftersales.risk_settlement import RiskReviewSettlement
from anxin.aftersales.rulebook import RulebookSet as RulebookSet  # re-exported: what the selection pool is given
from anxin.aftersales.store import FINAL_STATES as FINAL_STATES  # analytics exports
from anxin.aftersales.store import CaseRepository
from anxin.aftersales.store import export_cases_query as export_cases_query
from anxin.aftersales.store import export_report_cases_query as export_report_cases_query  # the service report
from anxin.aftersales.transitions import MONEY_KINDS, CaseTransitions, money_key
from anxin.core.clock import Clock
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.risk.service import RiskService

__all__ = ["DEADLINE_JOB", "FINAL_STATES", "MONEY_KINDS", "AfterSalesService", "CaseView", "FileCase",
           "OrderGuarantees", "RefundPaid", "TickReport", "decision_seen", "export_cases_query",
           "export_report_cases_query", "money_key"]


def decision_seen(decision: dict[str, Any] | None) -> tuple[bool, str | None]:
    """What a stored decision (``export_*_query``'s ``decision``) saw at filing: whether the order had shipped, and
    risk's verdict on the request (pass | review | block, None when risk was not asked)."""
    facts = (decision or {}).get("facts") or {}
    verdict = facts.get("risk_verdict")
    return bool(facts.get("shipped")), verdict if isinstance(verdict, str) else None


# --- what the merchants context reads for settlement and its centre, in the caller's unit of work ------------------

def refunds_after(uow: UnitOfWork, after_event_id: int, limit: int) -> list[RefundPaid]:
    """Refunds paid (with any compensation), in case-event id order after ``after_event_id``."""
    return refunds.refunds_after(uow, after_event_id, limit)


def open_cases_of_shop(uow: UnitOfWork, shop_id: str, limit: int = 100, *,
                       after: refunds.OpenCaseKey | None = None) -> list[dict[str, object]]:
    """The shop's open cases, the nearest deadline first (keyset: from ``after``, the last one shown)."""
    return refunds.open_cases_of_shop(uow, shop_id, limit, after=after)


OpenCaseKey = refunds.OpenCaseKey


def open_case_of_order(uow: UnitOfWork, order_id: str) -> tuple[str, str] | None:
    """(case id, state) of the order's open case (at most one is open), or None: what customer care routes by."""
    for row in reversed(CaseRepository(uow.session).for_order(order_id)):
        if row.state not in FINAL_STATES:
            return row.case_id, row.state
    return None


@dataclass(frozen=True)
class OfferedGuarantee:
    """A guarantee a listing's orders would carry, as the Service Guarantee Hall names it."""

    guarantee_id: str
    service: str
    name: dict[str, str]
    rulebook_version: str


def listing_guarantees(rulebooks: RulebookSet, *, at: dt.datetime, shop_services: frozenset[str],
                       item_tags: frozenset[str], price_fen: int, store_type: str,
                       extra: dict[str, Any] | None = None) -> list[OfferedGuarantee]:
    """The guarantees in force at ``at`` that would cover an order of one unit of a listing (exemptions that need
    the buyer's confirmation count as firing: not offered). Pure over the rulebook: no database."""
    rb = rulebooks.in_force(at)
    facts = {"item_tags": item_tags, "shop_services": shop_services, "paid_fen": price_fen,
             "exemption_confirmed": False, "store_type": store_type, **(extra or {})}
    return [OfferedGuarantee(g.id, g.service, dict(g.name), rb.version) for g in offered(rb, facts)]


def guarantee_services(rulebooks: RulebookSet, *, at: dt.datetime) -> list[str]:
    """The service names of the guarantees in force at ``at`` (the Service Guarantee Hall's), in rulebook order."""
    return list(dict.fromkeys(g.service for g in rulebooks.in_force(at).guarantees))


def cases_of_orders(uow: UnitOfWork, order_ids: list[str]) -> set[str]:
    """The orders (of ``order_ids``) that have at least one after-sale case (the programme's after-sale rate)."""
    return CaseRepository(uow.session).orders_with_cases(order_ids)


def refunded_cases(uow: UnitOfWork, shop_id: str) -> int:
    """How many of the shop's cases paid a refund."""
    return refunds.refunded_cases(uow, shop_id)


class AfterSalesService:
    """The use cases under the names callers use. Each name is bound to its use case object (or one of its
    methods), so a call runs the use case itself: no forwarding method here to keep in step with it."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebooks: RulebookSet,
                 evidence_store: EvidenceStore, credit_band: Callable[[UnitOfWork, str], str] | None = None,
                 risk: RiskService | None = None, jobs: JobRuns | None = None) -> None:
        transitions = CaseTransitions(clock=clock, rulebooks=rulebooks)
        queries = CaseQueries(uow_factory=uow_factory, clock=clock, rulebooks=rulebooks)
        evidence = EvidenceUploads(uow_factory=uow_factory, clock=clock, rulebooks=rulebooks,
                                   evidence_store=evidence_store, risk=risk)
        # reading
        self.guarantees = queries.guarantees
        self.order_timeline = queries.order_timeline
        self.get_case = queries.get_case
        self.list_cases = queries.list_cases
        self.stats = queries.stats
        # evidence
        self.upload_evidence = evidence.upload
        self.evidence_file = evidence.file
        self.evidence_path = evidence.path
        # writing: ``file_case(principal, cmd, request=None)``, ``act(principal, case_id, action, …)``, ``tick(now)``
        self.file_case = CaseFiling(uow_factory=uow_factory, clock=clock, rulebooks=rulebooks,
                                    evidence_store=evidence_store, transitions=transitions, credit_band=credit_band,
                                    risk=risk)
        self.act = CaseActions(uow_factory=uow_factory, clock=clock, evidence_store=evidence_store,
                               transitions=transitions, risk=risk)
        self.tick = DeadlineTick(uow_factory=uow_factory, clock=clock, transitions=transitions, jobs=jobs)
        # handles ``risk.review_decided`` (registered in ``bootstrap.handler_table``)
        self.settle_risk_review = RiskReviewSettlement(clock=clock, transitions=transitions)


def cases_per_order(uow: UnitOfWork, order_ids: list[str]) -> dict[str, int]:
    """How many after-sale cases were opened on each of these orders (absent: none); merchants' live-session
    outcomes."""
    return CaseRepository(uow.session).count_per_order(order_ids)
