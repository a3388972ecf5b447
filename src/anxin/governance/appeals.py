"""Appeals, the use cases: a merchant (owner of the violation's shop) or a creator (the violation's creator) appeals
a violation with a statement and evidence; the penalty stays in force meanwhile; an operator decides once (upheld
reverses the violation through the ledger in the same transaction; rejected may be flagged abusive, which can close
the appellant's channel); the operators' queue by SLA deadline and the resolution-time report.

Races: filing runs ``begin_write`` (SQLite) and inserts under the unique ``open_key`` (PostgreSQL: the second
inserter waits and conflicts), so a violation never has two open appeals; deciding locks the appeal row and moves it
only from submitted, so of two operators one wins and the other gets 409.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from anxin.access.service import require_role
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.governance import appeal_rules as r
from anxin.governance.appeal_store import AppealRepository
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.events import AppealDecided, AppealFiled
from anxin.governance.model import ViolationLedger, ViolationView
from anxin.shops.service import shop_ids_of_merchant

REVERSE_CAUSE = "governance.appeal"  # the ledger's cause_type when an upheld appeal reverses a violation

# The first refusal reason decides the error code; all of them travel in the details.
_REFUSAL_CODES = {
    r.NOT_APPEALABLE: E.NOT_APPEALABLE, r.NOT_ACTIVE: E.VIOLATION_NOT_ACTIVE, r.CHANNEL_CLOSED: E.APPEAL_CHANNEL_CLOSED,
    r.APPEAL_OPEN: E.APPEAL_OPEN, r.LIMIT_REACHED: E.APPEAL_LIMIT_REACHED,
    r.FIRST_WINDOW_CLOSED: E.APPEAL_WINDOW_CLOSED, r.SECOND_WINDOW_CLOSED: E.APPEAL_WINDOW_CLOSED,
}
_APPELLANT_ROLES = (Role.MERCHANT, Role.CREATOR)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def appeal_dict(a: r.Appeal, now: dt.datetime) -> dict[str, Any]:
    decided = a.decided_at is not None
    return {"appeal_id": a.appeal_id, "violation_id": a.violation_id, "appellant": a.appellant,
            "shop_id": a.shop_id, "creator_id": a.creator_id, "number": a.number, "statement": a.statement,
            "evidence": [{"kind": e.kind, "ref": e.ref} for e in a.evidence], "state": a.state,
            "outcome": a.outcome, "filed_at": a.filed_at.isoformat(), "deadline_at": a.deadline_at.isoformat(),
            "overdue": r.is_overdue(a.state, a.deadline_at, now),
            "filing": {"rule_ids": list(a.filing_rule_ids), "rulebook_version": a.rulebook_version,
                       "facts": dict(a.filing_facts)},
            "decision": None if not decided else {
                "outcome": a.outcome, "decided_at": _iso(a.decided_at), "decided_by": a.decided_by,
                "abusive": a.abusive, "reason_codes": list(a.decision_reason_codes),
                "rule_ids": list(a.decision_rule_ids), "rulebook_version": a.decision_rulebook_version,
                "facts": dict(a.decision_facts), "note": a.decision_note}}


class Appeals:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, book: r.AppealBook, ledger: ViolationLedger) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.book = book
        self.ledger = ledger

    @property
    def rules(self) -> r.AppealRules:
        return self.book.rules

    # --- appellants ------------------------------------------------------------------------------------------------

    def file(self, who: Principal, violation_id: str, *, statement: str,
             evidence: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
        """Appeal ``violation_id``; refused with every reason when the rules say no. The penalty is not suspended."""
        require_role(who, *_APPELLANT_ROLES)
        refs = tuple(r.EvidenceRef(str(e.get("kind", "")), str(e.get("ref", ""))) for e in evidence)
        found = r.submission_problems(self.rules, statement, refs)
        if found:
            raise AnxinError(E.INVALID_APPEAL, "the statement or evidence breaks the appeal rules",
                             problems=[{"reason": reason, "rule_id": rule, **d} for reason, rule, d in found])
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()  # SQLite: no other filing slips between reading the appeals and adding this one
            violation = self.ledger.get(uow, violation_id)
            if violation is None or not self._owns(uow, who, violation):
                raise AnxinError(E.VIOLATION_NOT_FOUND, "no such violation of yours", violation_id=violation_id)
            repo = AppealRepository(uow.session)
            prior = repo.of_violation(violation_id)
            kind = who.role.value
            verdict = r.may_appeal(self.rules, r.FilingFacts(
                at=now, violation_id=violation_id, violation_state=violation.state,
                appealable=violation.appealable, penalised_at=violation.recorded_at, is_owner=True,
                prior=tuple(r.PriorAppeal(p.appeal_id, p.state, p.filed_at, p.decided_at) for p in prior),
                channel_closed_until=repo.channel_closed_until(kind, who.subject, now)))
            if not verdict.allowed:
                raise self._refusal(verdict)
            appeal = r.Appeal(
                appeal_id=new_id("apl"), violation_id=violation_id, appellant_type=kind, appellant_id=who.subject,
                shop_id=violation.shop_id, creator_id=violation.creator_id, number=verdict.number,
                statement=statement.strip(), evidence=refs, state=r.SUBMITTED, filed_at=now,
                deadline_at=r.deadline_of(self.rules, now), rulebook_version=self.book.version,
                filing_rule_ids=verdict.rule_ids, filing_facts=verdict.facts)
            if not repo.add(appeal):  # PostgreSQL: a concurrent filing for this violation committed first
                raise AnxinError(E.APPEAL_OPEN, "the violation already has an open appeal",
                                 reason_codes=[r.APPEAL_OPEN], rule_ids=[r.RULE_ONE_OPEN])
            uow.record(AppealFiled(appeal_id=appeal.appeal_id, violation_id=violation_id, appellant=appeal.appellant,
                                   shop_id=appeal.shop_id, number=appeal.number, filed_at=now,
                                   deadline_at=appeal.deadline_at, rulebook_version=self.book.version))
            uow.commit()
        return appeal_dict(appeal, now)

    def withdraw(self, who: Principal, appeal_id: str) -> dict[str, Any]:
        """The appellant takes back an undecided appeal; it does not count towards the limit."""
        require_role(who, *_APPELLANT_ROLES)
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = AppealRepository(uow.session)
            appeal = repo.get(appeal_id, lock=True)
            if appeal is None or appeal.appellant != f"{who.role.value}:{who.subject}":
                raise AnxinError(E.APPEAL_NOT_FOUND, "no such appeal of yours", appeal_id=appeal_id)
            if not r.may_move(appeal.state, r.WITHDRAWN) or not repo.close(replace(appeal, state=r.WITHDRAWN)):
                raise AnxinError(E.APPEAL_ALREADY_DECIDED, f"the appeal is {appeal.state}", state=appeal.state)
            uow.commit()
        return appeal_dict(replace(appeal, state=r.WITHDRAWN), now)

    # --- operators -------------------------------------------------------------------------------------------------

    def decide(self, who: Principal, appeal_id: str, *, outcome: str, reason_codes: Sequence[str] = (),
               note: str = "", abusive: bool = False) -> dict[str, Any]:
        """Upheld or rejected, once. Upheld reverses the violation (points, measures and their platform actions)
        through the ledger in this transaction; rejected and flagged abusive may close the appellant's channel."""
        require_role(who, Role.OPERATOR)
        if outcome not in r.OUTCOMES:
            raise AnxinError(E.INVALID_DECISION, f"outcome must be one of {list(r.OUTCOMES)}", field="outcome")
        if abusive and outcome != r.REJECTED:
            raise AnxinError(E.INVALID_DECISION, "only a rejected appeal may be flagged abusive", field="abusive")
        now, by = self.clock.now(), f"{who.role.value}:{who.subject}"
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = AppealRepository(uow.session)
            appeal = repo.get(appeal_id, lock=True)  # PostgreSQL: the second operator waits here, then sees it decided
            if appeal is None:
                raise AnxinError(E.APPEAL_NOT_FOUND, "no such appeal", appeal_id=appeal_id)
            if not r.may_move(appeal.state, outcome):
                raise AnxinError(E.APPEAL_ALREADY_DECIDED, f"the appeal is already {appeal.state}",
                                 state=appeal.state)
            since = now - dt.timedelta(days=self.rules.abuse.window_days)
            if abusive:  # counted under the appellant's lock: a concurrent abusive rejection is seen, not missed
                repo.lock_appellant(appeal.appellant_type, appeal.appellant_id)
            decision = r.decide(
                self.rules, outcome=outcome, reason_codes=reason_codes, abusive=abusive, filed_at=appeal.filed_at,
                deadline_at=appeal.deadline_at, at=now,
                flagged_before=repo.flagged_rejections(appeal.appellant_type, appeal.appellant_id, since)
                if abusive else (),
                channel_closed_until=repo.channel_closed_until(appeal.appellant_type, appeal.appellant_id, now))
            decided = replace(appeal, state=outcome, decided_at=now, decided_by=by, abusive=abusive,
                              decision_reason_codes=decision.reason_codes, decision_rule_ids=decision.rule_ids,
                              decision_facts=decision.facts, decision_note=note,
                              decision_rulebook_version=self.book.version)
            if not repo.close(decided):
                raise AnxinError(E.APPEAL_ALREADY_DECIDED, "the appeal was decided meanwhile")
            if decision.reverse_violation:
                self.ledger.reverse(uow, appeal.violation_id, cause_type=REVERSE_CAUSE, cause_id=appeal.appeal_id,
                                    at=now, by=by)
            if decision.close_channel_until is not None:
                repo.add_closure(closure_id=new_id("apc"), appellant_type=appeal.appellant_type,
                                 appellant_id=appeal.appellant_id, cause_appeal_id=appeal.appeal_id, closed_at=now,
                                 until=decision.close_channel_until, rule_id=self.rules.abuse.id,
                                 rulebook_version=self.book.version, facts=decision.facts)
            uow.record(AppealDecided(
                appeal_id=appeal.appeal_id, violation_id=appeal.violation_id, appellant=appeal.appellant,
                shop_id=appeal.shop_id, outcome=outcome, abusive=abusive, overdue=decision.overdue,
                reason_codes=decision.reason_codes, rule_ids=decision.rule_ids, decided_at=now, decided_by=by,
                channel_closed_until=decision.close_channel_until, rulebook_version=self.book.version))
            uow.commit()
        return appeal_dict(decided, now)

    # --- reading -----------------------------------------------------------------------------------------------------

    def get(self, who: Principal, appeal_id: str) -> dict[str, Any]:
        require_role(who, Role.OPERATOR, *_APPELLANT_ROLES)
        with self.uow_factory() as uow:
            appeal = AppealRepository(uow.session).get(appeal_id)
        if appeal is None or (who.role != Role.OPERATOR and appeal.appellant != f"{who.role.value}:{who.subject}"):
            raise AnxinError(E.APPEAL_NOT_FOUND, "no such appeal", appeal_id=appeal_id)
        return appeal_dict(appeal, self.clock.now())

    def of_shop(self, uow: UnitOfWork, shop_id: str) -> list[dict[str, Any]]:
        """A shop's latest appeals in the caller's unit of work: the hook of the shop's governance record (the
        caller has already checked who may see the shop)."""
        return [appeal_dict(a, self.clock.now()) for a in AppealRepository(uow.session).of_shop(shop_id)]

    def of_creator(self, uow: UnitOfWork, creator_id: str) -> list[dict[str, Any]]:
        """A creator's appeals in the caller's unit of work, by deadline: the hook of the creator's governance
        record (the caller has already checked who may see it)."""
        now = self.clock.now()
        return [appeal_dict(a, now) for a in AppealRepository(uow.session).find(
            state=None, appellant=("creator", creator_id), overdue_at=None, limit=50)]

    def queue(self, who: Principal, *, state: str | None = None, overdue: bool = False, limit: int = 50,
              after: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        """By SLA deadline, earliest first: operators see every appeal, merchants and creators their own.
        ``overdue``: only undecided appeals past their deadline."""
        require_role(who, Role.OPERATOR, *_APPELLANT_ROLES)
        if state is not None and state not in r.STATES:
            raise AnxinError(E.INVALID_FILTER, f"state must be one of {list(r.STATES)}", field="state")
        now = self.clock.now()
        mine = None if who.role == Role.OPERATOR else (who.role.value, who.subject)
        with self.uow_factory() as uow:
            found = AppealRepository(uow.session).find(state=state, appellant=mine,
                                                       overdue_at=now if overdue else None, limit=limit, after=after)
        return [appeal_dict(a, now) for a in found]

    def report(self, who: Principal, *, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
        """Resolution time (filing to decision) of the appeals decided in [start, end): median and p90, and their
        change against the previous period of the same length."""
        require_role(who, Role.OPERATOR)
        if end <= start:
            raise AnxinError(E.INVALID_PERIOD, "to must be after from", field="to")
        before = start - (end - start)
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = AppealRepository(uow.session)
            current = r.resolution_stats(repo.resolution_seconds(start, end))
            previous = r.resolution_stats(repo.resolution_seconds(before, start))
            overdue_now = repo.count_open_overdue(now)

        def period(s: r.ResolutionStats, a: dt.datetime, b: dt.datetime) -> dict[str, Any]:
            return {"from": a.isoformat(), "to": b.isoformat(), "decided": s.decided,
                    "median_seconds": s.median_seconds, "p90_seconds": s.p90_seconds}

        return {"current": period(current, start, end), "previous": period(previous, before, start),
                "median_change_pct": r.change_pct(current.median_seconds, previous.median_seconds),
                "p90_change_pct": r.change_pct(current.p90_seconds, previous.p90_seconds),
                "open_overdue": overdue_now, "sla_hours": self.rules.decision_sla.hours,
                "rulebook_version": self.book.version}

    # ---

    @staticmethod
    def _owns(uow: UnitOfWork, who: Principal, v: ViolationView) -> bool:
        if who.role == Role.CREATOR:
            return v.creator_id is not None and v.creator_id == who.subject
        return v.shop_id is not None and v.shop_id in shop_ids_of_merchant(uow, who.subject)

    @staticmethod
    def _refusal(verdict: r.Eligibility) -> AnxinError:
        first = verdict.reason_codes[0]
        why = ", ".join(verdict.reason_codes)
        return AnxinError(_REFUSAL_CODES[first], f"the violation cannot be appealed now ({why})",
                          reason_codes=list(verdict.reason_codes), rule_ids=list(verdict.rule_ids),
                          window_ends_at=_iso(verdict.window_ends_at),
                          channel_closed_until=verdict.facts.get("channel_closed_until"))
