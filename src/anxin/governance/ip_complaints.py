"""IP complaints, one stop (issue 16 §7): a rights holder files a complaint against listings of a shop with proof
of rights; the shop's merchant may answer with a counter-notice within the window; operators decide once it is
ready. Upheld, each listing becomes an ip_infringement violation through the ledger (whose catalogue measures take
the listing down), at a severity the shop's earlier infringements raise; rejected, it counts against the rights
holder.

Each method commits its own unit of work. A decision locks the complaint (``FOR UPDATE``; on SQLite the write
transaction starts before the read), so of two operators deciding at once one wins and the other is told the
complaint is closed, and its violations are recorded once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.access.service import require_role
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.governance import ip_rules as r
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.events import IpComplaintDecided, IpComplaintFiled
from anxin.governance.ip_store import DecisionRecord, IpComplaintRepository, IpComplaintRow, NewComplaint
from anxin.governance.model import IP_INFRINGEMENT, SOURCE_IP_COMPLAINT, RecordViolation, ViolationLedger
from anxin.shops import service as shops

MAX_PAGE = 500
FILTERS = (*r.STATES, "open", "ready")  # open: not decided nor withdrawn; ready: waiting for operators


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def complaint_dict(row: IpComplaintRow, *, viewer: Role, now: dt.datetime) -> dict[str, Any]:
    """A complaint as its rights holder, the shop's merchant and operators see it (the client key only to the
    rights holder who chose it, who decided only to operators)."""
    state = r.state_at(row.state, row.counter_notice_deadline, now)
    decision_due = row.decision_due_at or (row.counter_notice_deadline if state == r.WINDOW_LAPSED else None)
    out: dict[str, Any] = {
        "complaint_id": row.complaint_id, "rights_holder_id": row.rights_holder_id, "shop_id": row.shop_id,
        "listing_ids": list(row.listing_ids), "rights_kind": row.rights_kind, "proof": dict(row.proof),
        "statement": row.statement, "evidence": list(row.evidence), "state": state, "filed_at": _iso(row.filed_at),
        "counter_notice_deadline": _iso(row.counter_notice_deadline), "due_at": _iso(row.due_at),
        "overdue": state in r.READY and row.decision_due_at is not None and now > row.decision_due_at,
        "counter_notice": None if row.counter_noticed_at is None else {
            "statement": row.counter_statement, "evidence": list(row.counter_evidence or []),
            "at": _iso(row.counter_noticed_at)},
        "decision_due_at": _iso(decision_due), "decision": None, "withdrawn_at": _iso(row.withdrawn_at),
        "filing_rule_ids": list(row.filing_rule_ids), "rulebook_version": row.rulebook_version,
    }
    if viewer is Role.RIGHTS_HOLDER:
        out["client_key"] = row.client_key
    if row.outcome is not None:
        out["decision"] = {
            "outcome": row.outcome, "reason_codes": list(row.reason_codes or []),
            "rule_ids": list(row.decision_rule_ids or []), "rulebook_version": row.decision_version,
            "facts": dict(row.facts or {}), "violations": list(row.violations or []), "note": row.decision_note or "",
            "decided_at": _iso(row.decided_at), "decided_by": row.decided_by if viewer is Role.OPERATOR else None}
    return out


class IpComplaints:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: r.IpRules, ledger: ViolationLedger) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules
        self.ledger = ledger

    # --- rights holders ------------------------------------------------------------------------------------------

    def file(self, principal: Principal, body: object) -> dict[str, Any]:
        """File a complaint (``created`` false: the rights holder's client key was used before for this same
        request, and this is that complaint; for another request the key is refused)."""
        require_role(principal, Role.RIGHTS_HOLDER)
        now = self.clock.now()
        filing = r.parse_filing(self.rules, body, filer=principal.subject, now=now)
        with self.uow_factory() as uow:
            repo = IpComplaintRepository(uow.session)
            existing = repo.by_key(principal.subject, filing.client_key)
            if existing is not None:
                return self._same(existing, filing, now)
            shop_id = self._shop_of(uow, filing.listing_ids)
            deadline = r.counter_notice_deadline(self.rules, now)
            assert r.can_move(r.FILED, r.AWAITING)  # filed, and the merchant's window opens at once
            new = NewComplaint(
                complaint_id=new_id("ipc"), rights_holder_id=principal.subject, client_key=filing.client_key,
                request_hash=filing.fingerprint(), shop_id=shop_id, listing_ids=list(filing.listing_ids),
                rights_kind=filing.proof.rights_kind, proof=filing.proof.as_dict(), statement=filing.statement,
                evidence=list(filing.evidence), filing_rule_ids=list(filing.rule_ids),
                rulebook_version=self.rules.version, state=r.AWAITING, filed_at=now, counter_notice_deadline=deadline,
                due_at=deadline)
            if not repo.add(new):  # a concurrent filing with the key committed first
                existing = repo.by_key(principal.subject, filing.client_key)
                assert existing is not None
                return self._same(existing, filing, now)
            uow.record(IpComplaintFiled(
                complaint_id=new.complaint_id, rights_holder_id=new.rights_holder_id, shop_id=shop_id,
                listing_ids=filing.listing_ids, rights_kind=new.rights_kind, filed_at=now,
                counter_notice_deadline=deadline))
            uow.commit()
            row = repo.get(new.complaint_id)
            assert row is not None
            return {**complaint_dict(row, viewer=principal.role, now=now), "created": True}

    def _same(self, existing: IpComplaintRow, filing: r.Filing, now: dt.datetime) -> dict[str, Any]:
        if existing.request_hash != filing.fingerprint():
            raise AnxinError(E.IP_COMPLAINT_KEY_REUSED, f"client_key {filing.client_key!r} was used for another "
                             "complaint", complaint_id=existing.complaint_id)
        return {**complaint_dict(existing, viewer=Role.RIGHTS_HOLDER, now=now), "created": False}

    @staticmethod
    def _shop_of(uow: UnitOfWork, listing_ids: tuple[str, ...]) -> str:
        listings = catalog.get_listings(uow, list(listing_ids))
        unknown = [i for i in listing_ids if i not in listings]
        if unknown:
            raise AnxinError(E.IP_LISTING_UNKNOWN, f"no listing {unknown[0]!r}", listing_ids=unknown[:20])
        shop_ids = sorted({listing.shop_id for listing in listings.values()})
        if len(shop_ids) > 1:
            raise AnxinError(E.IP_LISTINGS_SPAN_SHOPS, "a complaint names listings of one shop: file one per shop",
                             shop_ids=shop_ids[:20])
        return shop_ids[0]

    def withdraw(self, principal: Principal, complaint_id: str) -> dict[str, Any]:
        """The rights holder takes the complaint back before it is decided (never after)."""
        require_role(principal, Role.RIGHTS_HOLDER)
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = IpComplaintRepository(uow.session)
            row = self._visible(uow, repo.get(complaint_id, lock=True), principal, complaint_id)
            r.check_withdrawable(row.state)
            assert r.can_move(row.state, r.WITHDRAWN)
            if not repo.withdraw(complaint_id, row.state, at=now):
                raise AnxinError(E.IP_COMPLAINT_CLOSED, "the complaint changed meanwhile", state=row.state)
            uow.commit()
            return self._view(repo, complaint_id, principal, now)

    # --- merchants -----------------------------------------------------------------------------------------------

    def counter_notice(self, principal: Principal, complaint_id: str, body: object) -> dict[str, Any]:
        """The merchant's answer, once, within the window: the complaint is then ready for operators."""
        require_role(principal, Role.MERCHANT)
        notice = r.parse_counter_notice(self.rules, body)
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = IpComplaintRepository(uow.session)
            row = self._visible(uow, repo.get(complaint_id, lock=True), principal, complaint_id)
            r.check_counter_notice(self.rules, row.state, row.counter_notice_deadline, now)
            if not repo.counter_notice(complaint_id, statement=notice.statement, evidence=list(notice.evidence),
                                       by=f"merchant:{principal.subject}", at=now, state=r.COUNTER_NOTICED,
                                       decision_due_at=r.decision_due(self.rules, now)):
                raise AnxinError(E.IP_COUNTER_NOTICE_CLOSED, "the complaint changed meanwhile", state=row.state)
            uow.commit()
            return self._view(repo, complaint_id, principal, now)

    # --- operators -----------------------------------------------------------------------------------------------

    def decide(self, principal: Principal, complaint_id: str, body: object) -> dict[str, Any]:
        require_role(principal, Role.OPERATOR)
        decision = r.parse_decision(self.rules, body)
        now = self.clock.now()
        spec = self.rules.spec
        with self.uow_factory() as uow:
            uow.begin_write()  # SQLite: two deciders serialise here; PostgreSQL: the row lock below
            repo = IpComplaintRepository(uow.session)
            row = self._visible(uow, repo.get(complaint_id, lock=True), principal, complaint_id)
            ready = r.check_decidable(row.state, row.counter_notice_deadline, now)
            ready_at = row.ready_at or row.counter_notice_deadline  # lapsed before the periodic lapse marked it
            due = row.decision_due_at or r.decision_due(self.rules, ready_at)
            facts: dict[str, Any] = {
                "state_before": ready, "counter_noticed": row.counter_noticed_at is not None,
                "counter_notice_deadline": _iso(row.counter_notice_deadline), "ready_at": _iso(ready_at),
                "decision_due_at": _iso(due), "overdue": now > due, "listing_ids": list(row.listing_ids),
                "rights_kind": row.rights_kind, "filing_rule_ids": list(row.filing_rule_ids)}
            rule_ids = [spec.decision.rule_id]
            violations: list[dict[str, Any]] = []
            severity = None
            if decision.outcome == r.UPHELD:
                since = now - self.rules.repeat_window
                prior = self.ledger.count(uow, kind=IP_INFRINGEMENT, shop_id=row.shop_id, since=since)
                severity = r.severity_for(self.rules, prior)
                rule_ids.append(spec.repeat.rule_id)
                facts.update(prior_violations=prior, repeat_since=_iso(since), severity=severity)
                violations = self._record(uow, row, severity, decision, principal, now)
            record = DecisionRecord(outcome=decision.outcome, reason_codes=list(decision.reason_codes),
                                    rule_ids=rule_ids, rulebook_version=self.rules.version, facts=facts,
                                    violations=violations, note=decision.note,
                                    decided_by=f"operator:{principal.subject}")
            if not repo.decide(complaint_id, row.state, record, at=now, ready_at=ready_at, decision_due_at=due):
                raise AnxinError(E.IP_COMPLAINT_CLOSED, "the complaint was decided meanwhile", state=row.state)
            uow.record(IpComplaintDecided(
                complaint_id=complaint_id, rights_holder_id=row.rights_holder_id, shop_id=row.shop_id,
                listing_ids=tuple(row.listing_ids), outcome=decision.outcome, severity=severity,
                violation_ids=tuple(v["violation_id"] for v in violations), reason_codes=decision.reason_codes,
                rule_ids=tuple(rule_ids), rulebook_version=self.rules.version, decided_at=now))
            uow.commit()
            return self._view(repo, complaint_id, principal, now)

    def _record(self, uow: UnitOfWork, row: IpComplaintRow, severity: str, decision: r.Decision,
                principal: Principal, now: dt.datetime) -> list[dict[str, Any]]:
        """One violation per listing, kept once per (complaint, listing) by the ledger's source key."""
        out = []
        for listing_id in row.listing_ids:
            view, _ = self.ledger.record(uow, RecordViolation(
                kind=IP_INFRINGEMENT, subject=f"listing:{listing_id}", shop_id=row.shop_id,
                source_type=SOURCE_IP_COMPLAINT, source_id=f"{row.complaint_id}:{listing_id}", at=now,
                severity=severity, recorded_by=f"operator:{principal.subject}", note=decision.note[:500],
                evidence={"complaint_id": row.complaint_id, "listing_id": listing_id,
                          "rights_holder_id": row.rights_holder_id, "rights_kind": row.rights_kind,
                          "proof": dict(row.proof), "statement": row.statement, "evidence": list(row.evidence),
                          "counter_noticed": row.counter_noticed_at is not None,
                          "reason_codes": list(decision.reason_codes)}))
            out.append({"listing_id": listing_id, "violation_id": view.violation_id, "severity": severity,
                        "points_hundredths": view.points_hundredths})
        return out

    def lapse_due(self, now: dt.datetime | None = None) -> int:
        """Periodic: complaints whose counter-notice window ended become ready for a decision. Idempotent."""
        with self.uow_factory() as uow:
            uow.begin_write()
            lapsed = IpComplaintRepository(uow.session).lapse_due(now or self.clock.now(), self.rules.decision_sla)
            uow.commit()
        return lapsed

    # --- reading -------------------------------------------------------------------------------------------------

    def get(self, principal: Principal, complaint_id: str) -> dict[str, Any]:
        require_role(principal, Role.RIGHTS_HOLDER, Role.MERCHANT, Role.OPERATOR)
        with self.uow_factory() as uow:
            return self._view(IpComplaintRepository(uow.session), complaint_id, principal, self.clock.now(), uow=uow)

    def complaints(self, principal: Principal, *, state: str | None = None, limit: int = 100,
             after: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        """Rights holders their own, merchants those against their shops, operators all; ordered by the next
        deadline (the operators' queue: ``state=ready``). Up to ``limit`` (one more than a page tells a next)."""
        require_role(principal, Role.RIGHTS_HOLDER, Role.MERCHANT, Role.OPERATOR)
        if state is not None and state not in FILTERS:
            raise AnxinError(E.IP_INVALID_FILTER, f"state must be one of {list(FILTERS)}", field="state")
        now = self.clock.now()
        with self.uow_factory() as uow:
            holder = principal.subject if principal.role is Role.RIGHTS_HOLDER else None
            shop_ids = shops.shop_ids_of_merchant(uow, principal.subject) if principal.role is Role.MERCHANT else None
            rows = IpComplaintRepository(uow.session).find(
                rights_holder_id=holder, shop_ids=shop_ids, state=state, now=now,
                limit=max(1, min(int(limit), MAX_PAGE + 1)), after=after)
            return [complaint_dict(row, viewer=principal.role, now=now) for row in rows]

    def rights_holders(self, principal: Principal, *, limit: int = 100,
                       after: str | None = None) -> list[dict[str, Any]]:
        """Unfounded complaints per rights holder (filed within the rulebook's window): operators see all, a
        rights holder its own."""
        require_role(principal, Role.OPERATOR, Role.RIGHTS_HOLDER)
        spec = self.rules.spec.unfounded
        since = self.clock.now() - dt.timedelta(days=spec.window_days)
        holder = principal.subject if principal.role is Role.RIGHTS_HOLDER else None
        with self.uow_factory() as uow:
            rows = IpComplaintRepository(uow.session).outcomes_by_rights_holder(
                since=since, rights_holder_id=holder, limit=max(1, min(int(limit), MAX_PAGE + 1)), after=after)
        out = []
        for holder_id, filed, upheld, rejected, withdrawn in rows:
            rate, flagged = r.unfounded_rate(self.rules, decided=upheld + rejected, rejected=rejected)
            out.append({"rights_holder_id": holder_id, "filed": filed, "upheld": upheld, "rejected": rejected,
                        "withdrawn": withdrawn, "decided": upheld + rejected, "unfounded_rate_bp": rate,
                        "flagged": flagged, "since": _iso(since), "rule_id": spec.rule_id})
        return out

    # --- who sees what -------------------------------------------------------------------------------------------

    @staticmethod
    def _visible(uow: UnitOfWork, row: IpComplaintRow | None, principal: Principal,
                 complaint_id: str) -> IpComplaintRow:
        """The complaint if the caller may see it; otherwise it does not exist for them (404, not 403)."""
        seen = row is not None and (
            principal.role is Role.OPERATOR
            or (principal.role is Role.RIGHTS_HOLDER and row.rights_holder_id == principal.subject)
            or (principal.role is Role.MERCHANT and row.shop_id in shops.shop_ids_of_merchant(uow, principal.subject)))
        if not seen or row is None:
            raise AnxinError(E.IP_COMPLAINT_NOT_FOUND, f"no complaint {complaint_id[:64]!r}",
                             complaint_id=complaint_id[:64])
        return row

    def _view(self, repo: IpComplaintRepository, complaint_id: str, principal: Principal, now: dt.datetime,
              uow: UnitOfWork | None = None) -> dict[str, Any]:
        row = repo.get(complaint_id)
        if uow is not None:
            row = self._visible(uow, row, principal, complaint_id)
        assert row is not None
        return complaint_dict(row, viewer=principal.role, now=now)

