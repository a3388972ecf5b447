"""After-sales, as the other contexts, the API, pages and CLI see it: one object that hands each call to its use case.

The use cases live in their own modules, each with its dependencies passed by keyword: ``filing`` (open and decide a
case), ``case_actions`` (people acting on a case), ``deadlines`` (the clock's tick), ``queries`` (reads),
``evidence_uploads`` and ``risk_settlement`` (the ``risk.review_decided`` handler). They share ``transitions`` (how a
case changes and pays) and ``reading`` (who may see what). This class only delegates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, overload

from anxin.aftersales import refunds
from anxin.aftersales.case_actions import CaseActions
from anxin.aftersales.deadlines import DEADLINE_JOB, DeadlineTick, JobRuns, TickReport
from anxin.aftersales.evidence import EvidenceInfo, EvidenceStore
from anxin.aftersales.evidence_uploads import EvidenceUploads
from anxin.aftersales.filing import CaseFiling, FileCase
from anxin.aftersales.queries import CaseQueries, OrderGuarantees
from anxin.aftersales.reading import CaseView
from anxin.aftersales.refunds import RefundPaid as RefundPaid  # re-exported: what merchants settles
from anxin.aftersales.risk_settlement import RiskReviewSettlement
from anxin.aftersales.rulebook import RulebookSet
from anxin.aftersales.store import FINAL_STATES as FINAL_STATES  # analytics exports
from anxin.aftersales.store import export_cases_query as export_cases_query
from anxin.aftersales.transitions import MONEY_KINDS, CaseTransitions, money_key
from anxin.core.clock import Clock
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.idempotency.service import IdempotentRequest, Replay
from anxin.orders.service import OrderTimeline
from anxin.risk.events import ReviewDecided
from anxin.risk.service import RiskService

__all__ = ["DEADLINE_JOB", "FINAL_STATES", "MONEY_KINDS", "AfterSalesService", "CaseView", "FileCase",
           "OrderGuarantees", "RefundPaid", "TickReport", "export_cases_query", "money_key"]


# --- what the merchants context reads for settlement and its centre, in the caller's unit of work ------------------

def refunds_after(uow: UnitOfWork, after_event_id: int, limit: int) -> list[RefundPaid]:
    """Refunds paid (with any compensation), in case-event id order after ``after_event_id``."""
    return refunds.refunds_after(uow, after_event_id, limit)


def open_cases_of_shop(uow: UnitOfWork, shop_id: str, limit: int = 100) -> list[dict[str, object]]:
    """The shop's open cases, the nearest deadline first."""
    return refunds.open_cases_of_shop(uow, shop_id, limit)


def refunded_cases(uow: UnitOfWork, shop_id: str) -> int:
    """How many of the shop's cases paid a refund."""
    return refunds.refunded_cases(uow, shop_id)


class AfterSalesService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebooks: RulebookSet,
                 evidence_store: EvidenceStore, credit_band: Callable[[UnitOfWork, str], str] | None = None,
                 risk: RiskService | None = None, jobs: JobRuns | None = None) -> None:
        transitions = CaseTransitions(clock=clock, rulebooks=rulebooks)
        self.filing = CaseFiling(uow_factory=uow_factory, clock=clock, rulebooks=rulebooks,
                                 evidence_store=evidence_store, transitions=transitions, credit_band=credit_band,
                                 risk=risk)
        self.actions = CaseActions(uow_factory=uow_factory, clock=clock, evidence_store=evidence_store,
                                   transitions=transitions, risk=risk)
        self.deadlines = DeadlineTick(uow_factory=uow_factory, clock=clock, transitions=transitions, jobs=jobs)
        self.queries = CaseQueries(uow_factory=uow_factory, clock=clock, rulebooks=rulebooks)
        self.evidence = EvidenceUploads(uow_factory=uow_factory, clock=clock, rulebooks=rulebooks,
                                        evidence_store=evidence_store, risk=risk)
        self.risk_settlement = RiskReviewSettlement(clock=clock, transitions=transitions)

    # --- reading -----------------------------------------------------------------------------------

    def guarantees(self, principal: Principal, order_id: str) -> OrderGuarantees:
        return self.queries.guarantees(principal, order_id)

    def order_timeline(self, principal: Principal, order_id: str) -> tuple[OrderTimeline, list[CaseView]]:
        return self.queries.order_timeline(principal, order_id)

    def get_case(self, principal: Principal, case_id: str) -> CaseView:
        return self.queries.get_case(principal, case_id)

    def list_cases(self, principal: Principal, *, states: list[str] | None = None, shop_id: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[CaseView]:
        return self.queries.list_cases(principal, states=states, shop_id=shop_id, limit=limit, offset=offset)

    def stats(self) -> dict[str, int]:
        return self.queries.stats()

    # --- evidence ----------------------------------------------------------------------------------

    def upload_evidence(self, principal: Principal, data: bytes) -> EvidenceInfo:
        return self.evidence.upload(principal, data)

    def evidence_file(self, principal: Principal, sha256: str) -> tuple[bytes, str] | None:
        return self.evidence.file(principal, sha256)

    def evidence_path(self, sha256: str, content_type: str) -> Path:
        return self.evidence.path(sha256, content_type)

    # --- writing -----------------------------------------------------------------------------------

    @overload
    def file_case(self, principal: Principal, cmd: FileCase) -> CaseView: ...

    @overload
    def file_case(self, principal: Principal, cmd: FileCase, *,
                  request: IdempotentRequest | None) -> CaseView | Replay: ...

    def file_case(self, principal: Principal, cmd: FileCase, *,
                  request: IdempotentRequest | None = None) -> CaseView | Replay:
        return self.filing(principal, cmd, request=request)

    @overload
    def act(self, principal: Principal, case_id: str, action: str, *, note: str = "",
            data: dict[str, Any] | None = None, evidence: tuple[str, ...] = ()) -> CaseView: ...

    @overload
    def act(self, principal: Principal, case_id: str, action: str, *, note: str = "",
            data: dict[str, Any] | None = None, evidence: tuple[str, ...] = (),
            request: IdempotentRequest | None) -> CaseView | Replay: ...

    def act(self, principal: Principal, case_id: str, action: str, *, note: str = "",
            data: dict[str, Any] | None = None, evidence: tuple[str, ...] = (),
            request: IdempotentRequest | None = None) -> CaseView | Replay:
        return self.actions(principal, case_id, action, note=note, data=data, evidence=evidence, request=request)

    def tick(self, now: dt.datetime | None = None, *, batch: int = 500) -> TickReport:
        return self.deadlines(now, batch=batch)

    def settle_risk_review(self, event: ReviewDecided, uow: UnitOfWork) -> None:
        """Handles ``risk.review_decided`` (registered in ``bootstrap.handler_table``)."""
        self.risk_settlement(event, uow)
