"""People acting on a case: the merchant answers, the consumer ships a return or escalates, an operator reviews or
arbitrates. The system's own actions (timeouts, supersession, risk) are not taken here."""

from __future__ import annotations

from typing import Any, overload

from sqlalchemy.orm.exc import StaleDataError

from anxin.aftersales import model as m
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.evidence import EvidenceStore
from anxin.aftersales.reading import CaseView, case_for, view_of
from anxin.aftersales.risk_settlement import assess_return, check_return_data
from anxin.aftersales.store import CaseRepository
from anxin.aftersales.transitions import CaseTransitions
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.db.uow import UowFactory
from anxin.idempotency import service as idempotency
from anxin.idempotency.service import IdempotentRequest, Replay
from anxin.risk.service import RiskService


class CaseActions:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, evidence_store: EvidenceStore,
                 transitions: CaseTransitions, risk: RiskService | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.evidence_store = evidence_store
        self.transitions = transitions
        self.risk = risk

    @overload
    def __call__(self, principal: Principal, case_id: str, action: str, *, note: str = "",
                 data: dict[str, Any] | None = None, evidence: tuple[str, ...] = ()) -> CaseView: ...

    @overload
    def __call__(self, principal: Principal, case_id: str, action: str, *, note: str = "",
                 data: dict[str, Any] | None = None, evidence: tuple[str, ...] = (),
                 request: IdempotentRequest | None) -> CaseView | Replay: ...

    def __call__(self, principal: Principal, case_id: str, action: str, *, note: str = "",
                 data: dict[str, Any] | None = None, evidence: tuple[str, ...] = (),
                 request: IdempotentRequest | None = None) -> CaseView | Replay:
        """One action on a case, under the case's row lock (its version column is the backstop). With an
        idempotency key, a retry answers the first response."""
        try:
            act = m.Action(action)
        except ValueError:
            raise AnxinError(E.INVALID_ACTION, f"unknown action {action!r}") from None
        if act in m.IMPLICIT:
            raise AnxinError(E.ACTION_NOT_ALLOWED, f"{action} is taken by the system, not by people")
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()
            # Without a key there is nothing to claim or record (and no response to serialise for it).
            replay = idempotency.claim(uow, request, at=now) if request is not None else None
            if replay is not None:
                return replay
            repo = CaseRepository(uow.session)
            row = case_for(uow, repo, principal, case_id, lock=True)
            missing = set(evidence) - self.evidence_store.known(uow.session, list(evidence))
            if missing:
                raise AnxinError(E.EVIDENCE_NOT_FOUND, "upload evidence before citing it", missing=sorted(missing))
            terms = self.transitions.terms(row.rulebook_version)
            before = row.state
            data = dict(data or {})
            if act is m.Action.SHIP_RETURN:
                check_return_data(data)
            case, _ = self.transitions.transition(uow, repo, row.to_model(), act, principal.role.value,
                                                  principal.subject, now, terms, note=note, data=data)
            repo.attach_evidence(row.case_id, list(evidence), principal.role.value, now)
            if self.risk is not None:
                if act is m.Action.SHIP_RETURN:
                    assess_return(self.risk, uow, repo, case, data, now)
                if before == m.CaseState.UNDER_REVIEW.value and case.state is not m.CaseState.UNDER_REVIEW:
                    self.risk.withdraw_for_case(uow, case.case_id, now)
            try:
                uow.session.flush()
            except StaleDataError:  # changed since it was read; the row lock makes this a backstop only
                raise AnxinError(E.CONCURRENT_CHANGE, "the case changed meanwhile; read it again") from None
            view = view_of(repo, repo.get(row.case_id))  # type: ignore[arg-type]
            if request is not None:
                idempotency.record(uow, request, 200, view.as_dict())
            uow.commit()
            return view
