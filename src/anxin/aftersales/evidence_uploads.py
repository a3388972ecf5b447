"""Evidence images: uploaded once (content-addressed, indexed by risk for reuse), shown only to who may see them."""

from __future__ import annotations

from pathlib import Path

from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.evidence import EvidenceInfo, EvidenceRejected, EvidenceStore, inspect_image
from anxin.aftersales.reading import may_see
from anxin.aftersales.rulebook import RulebookSet
from anxin.aftersales.store import CaseRepository
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UowFactory
from anxin.risk.service import RiskService


class EvidenceUploads:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebooks: RulebookSet,
                 evidence_store: EvidenceStore, risk: RiskService | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rulebooks = rulebooks
        self.evidence_store = evidence_store
        self.risk = risk

    def upload(self, principal: Principal, data: bytes) -> EvidenceInfo:
        rb = self.rulebooks.in_force(self.clock.now())
        try:
            info = inspect_image(data, max_bytes=rb.max_evidence_bytes)
        except EvidenceRejected as exc:
            raise AnxinError(E(exc.code), str(exc)) from None
        uploader, now = f"{principal.role.value}:{principal.subject}", self.clock.now()
        with self.uow_factory() as uow:
            self.evidence_store.save(uow.session, data, info, uploaded_by=uploader, at=now)
            if self.risk is not None:
                self.risk.index_evidence(uow, info.sha256, data, uploaded_by=uploader, at=now)
            uow.commit()
        return info

    def file(self, principal: Principal, sha256: str) -> tuple[bytes, str] | None:
        """Evidence is shown to its uploader and to whoever may see a case citing it; others get nothing."""
        with self.uow_factory() as uow:
            if principal.role not in (Role.OPERATOR, Role.PLATFORM):
                uploader = self.evidence_store.uploader(uow.session, sha256)
                mine = uploader == f"{principal.role.value}:{principal.subject}"
                repo = CaseRepository(uow.session)
                if not mine and not any(may_see(uow, principal, row.consumer_id, row.shop_id)
                                        for row in repo.cases_citing(sha256)):
                    return None
            return self.evidence_store.read(uow.session, sha256)

    def path(self, sha256: str, content_type: str) -> Path:
        return self.evidence_store.path(sha256, content_type)
