"""The violation ledger (``model.ViolationLedger``): record, get, reverse and count violations in the caller's unit
of work, applying the ladder and enforcing its measures at the platform in the same transaction; and the expiry
job that ends measures and points whose time is up.

Every change to an owner's points or measures first locks the owner's record row (``uow.begin_write()`` on SQLite,
``SELECT … FOR UPDATE`` on PostgreSQL): two violations for one shop at once are decided one after the other, the
second seeing the first's points, so they cannot both cross the same node.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.governance import ladder
from anxin.governance.catalogue import Catalogue
from anxin.governance.enforcement import DepositDeduction, DepositRefund, enforce, lift, refund
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.events import MeasureApplied, MeasureLifted, ViolationRecorded, ViolationReversed
from anxin.governance.model import (
    ACTIVE,
    EXPIRED,
    REVERSED,
    SUBJECT_TYPES,
    RecordViolation,
    ViolationView,
    owner_of,
)
from anxin.governance.store import (
    DecisionRow,
    ExtensionRow,
    GovernanceRepository,
    MeasureRow,
    PointRow,
    ViolationRow,
)

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-+]{0,119}$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
MAX_EVIDENCE = 8000


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def view_of(row: ViolationRow) -> ViolationView:
    return ViolationView(violation_id=row.violation_id, kind=row.kind, violation_class=row.violation_class,
                         subject=row.subject, shop_id=row.shop_id, creator_id=row.creator_id,
                         points_hundredths=row.points, appealable=row.appealable, state=row.state,
                         recorded_at=row.recorded_at, source_type=row.source_type, source_id=row.source_id)


def _active(rows: list[MeasureRow]) -> list[ladder.ActiveMeasure]:
    return [ladder.ActiveMeasure(r.measure_id, r.palette_id, r.type, r.target, r.strictness, r.ends_at)
            for r in rows]


class Violations:
    """The ``ViolationLedger`` implementation, and the expiry job (``expire_due``)."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, catalogue: Catalogue,
                 deduct_deposit: DepositDeduction | None = None,
                 refund_deposit: DepositRefund | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.catalogue = catalogue
        self.deduct_deposit = deduct_deposit
        self.refund_deposit = refund_deposit

    # --- the ledger ---------------------------------------------------------------------------------------------

    def check(self, cmd: RecordViolation) -> str:
        """Refuse a command the catalogue cannot record (stable codes); the owner whose record carries it."""
        rule = self.catalogue.kinds.get(cmd.kind)
        if rule is None:
            raise AnxinError(E.UNKNOWN_KIND, f"unknown violation kind {cmd.kind!r}",
                             allowed=sorted(self.catalogue.kinds))
        typ, _, ident = cmd.subject.partition(":")
        if typ not in SUBJECT_TYPES or not _ID.match(ident):
            raise AnxinError(E.INVALID_SUBJECT, f"subject must be '<type>:<id>' with a type of {list(SUBJECT_TYPES)}",
                             subject=cmd.subject[:80])
        if typ not in rule.subjects:
            raise AnxinError(E.INVALID_SUBJECT, f"{cmd.kind} applies to {list(rule.subjects)}, not {typ}",
                             subject=cmd.subject[:80], allowed=list(rule.subjects))
        for name, value in (("shop_id", cmd.shop_id), ("creator_id", cmd.creator_id)):
            if value is not None and not _ID.match(value):
                raise AnxinError(E.NO_OWNER, f"{name} must be an id of letters, digits, _.:- (up to 64)", field=name)
        owner = owner_of(cmd)
        if not owner:
            raise AnxinError(E.NO_OWNER, "a violation needs the shop_id or creator_id whose record carries it")
        if not _REF.match(cmd.source_type or "") or not _REF.match(cmd.source_id or ""):
            raise AnxinError(E.INVALID_SOURCE, "source_type and source_id: 1-120 letters, digits or _.:-+")
        missing = [k for k in rule.evidence if k not in cmd.evidence]
        if missing:
            raise AnxinError(E.EVIDENCE_MISSING, f"{cmd.kind} needs evidence {list(rule.evidence)}", missing=missing)
        if rule.by_severity is not None and cmd.severity not in rule.by_severity:
            allowed = sorted(rule.by_severity)
            raise AnxinError(E.SEVERITY_REQUIRED, f"{cmd.kind} is scored by severity: one of {allowed}",
                             allowed=allowed)
        if len(repr(dict(cmd.evidence))) > MAX_EVIDENCE or len(cmd.note) > 2000:
            raise AnxinError(E.INVALID_REQUEST, "evidence or note too long")
        return owner

    def record(self, uow: UnitOfWork, cmd: RecordViolation, *,
               points_hundredths: int | None = None) -> tuple[ViolationView, bool]:
        """Record ``cmd`` once per (source_type, source_id, kind); a replay returns the first and False.
        ``points_hundredths``: the points the source already decided (fulfilment's capped late shipment)."""
        owner = self.check(cmd)
        if points_hundredths is not None and not 0 <= points_hundredths <= 100_000:
            raise AnxinError(E.INVALID_REQUEST, "points_hundredths must be 0-100000")
        now = self.clock.now()
        repo = GovernanceRepository(uow.session)
        uow.begin_write()
        record = repo.lock_record(owner, now)
        existing = repo.violation_by_source(cmd.source_type, cmd.source_id, cmd.kind)
        if existing is not None:
            return view_of(existing), False
        cat = self.catalogue
        points = repo.points(owner)
        active = repo.measures(owner)
        entries = [ladder.PointEntry(p.violation_class, p.points, p.expires_at) for p in points]
        decision = ladder.decide(cat, kind=cmd.kind, subject=cmd.subject, owner=owner, severity=cmd.severity,
                                 entries=entries, active=_active(active), at=now, points=points_hundredths)
        rule = cat.kinds[cmd.kind]
        violation_id, decision_id = new_id("gv"), new_id("gd")
        added = int(decision.facts["points_added"])
        row = ViolationRow(violation_id=violation_id, kind=cmd.kind, violation_class=rule.violation_class,
                           subject=cmd.subject, owner=owner, shop_id=cmd.shop_id, creator_id=cmd.creator_id,
                           severity=cmd.severity, points=added, appealable=rule.appealable, state=ACTIVE,
                           evidence=dict(cmd.evidence), note=cmd.note, source_type=cmd.source_type,
                           source_id=cmd.source_id, recorded_by=cmd.recorded_by, happened_at=cmd.at,
                           recorded_at=now, decision_id=decision_id, reversed_at=None, reversal=None)
        repo.add(row)
        if added:
            # The points count from when the violation happened, so a late-reported one expires on time.
            repo.add(PointRow(entry_id=new_id("gp"), violation_id=violation_id, owner=owner,
                              violation_class=rule.violation_class, points=added, starts_at=cmd.at,
                              expires_at=ladder.expires_at(cat, cmd.at), state=ACTIVE))
        by_id = {m.measure_id: m for m in active}
        enforced: list[dict[str, Any]] = []
        events: list[Any] = []
        for planned in decision.to_apply:
            if planned.step == "extend" and planned.extends in by_id:
                extended = by_id[planned.extends]
                repo.add(ExtensionRow(extension_id=new_id("gx"), measure_id=extended.measure_id,
                                      violation_id=violation_id, decision_id=decision_id,
                                      previous_ends_at=extended.ends_at, extended_to=planned.ends_at, at=now,
                                      state=ACTIVE))
                extended.ends_at = planned.ends_at
                enforced.append({"measure_id": planned.extends, "extended_to": planned.ends_at.isoformat()
                                 if planned.ends_at else None})
                continue
            measure = self._measure(owner, planned, violation_id, decision_id, now)
            repo.add(measure)
            action_ids, facts = enforce(uow, measure, cat, clock=self.clock, deduct=self.deduct_deposit)
            measure.action_ids = action_ids
            enforced.append({"measure_id": measure.measure_id, "measure": measure.palette_id,
                             "action_ids": action_ids, **facts})
            events.append(MeasureApplied(measure_id=measure.measure_id, violation_id=violation_id,
                                         measure_type=measure.type, target=measure.target, owner=owner,
                                         starts_at=now, ends_at=planned.ends_at, action_ids=tuple(action_ids)))
        repo.add(DecisionRow(decision_id=decision_id, owner=owner, violation_id=violation_id, step="record",
                             outcome=decision.outcome, reason_codes=list(decision.reason_codes),
                             rule_ids=list(decision.rule_ids), rulebook_version=decision.rulebook_version,
                             facts={**decision.facts, "source": {"type": cmd.source_type, "id": cmd.source_id},
                                    "enforced": enforced}, decided_at=now))
        repo.touch(record, now)
        uow.record(ViolationRecorded(violation_id=violation_id, kind=cmd.kind, violation_class=rule.violation_class,
                                     subject=cmd.subject, shop_id=cmd.shop_id, creator_id=cmd.creator_id,
                                     points_hundredths=added, source_type=cmd.source_type, source_id=cmd.source_id,
                                     decision_id=decision_id, recorded_at=now), *events)
        uow.session.flush()
        return view_of(row), True

    def _measure(self, owner: str, planned: ladder.Planned, violation_id: str, decision_id: str,
                 now: dt.datetime) -> MeasureRow:
        m = self.catalogue.measures[planned.palette_id]
        # A deposit deduction is done when applied: it is never active, so nothing is ever lifted for it.
        return MeasureRow(measure_id=new_id("gm"), owner=owner, target=planned.target, palette_id=m.id, type=m.type,
                          strictness=m.strictness, starts_at=now, ends_at=planned.ends_at,
                          state=EXPIRED if m.one_off else ACTIVE, violation_id=violation_id,
                          decision_id=decision_id, amount_fen=m.amount_fen, action_ids=[], lift_action_ids=[],
                          ended_at=now if m.one_off else None, end_reason="one_off" if m.one_off else None)

    def get(self, uow: UnitOfWork, violation_id: str) -> ViolationView | None:
        row = GovernanceRepository(uow.session).violation(violation_id) if len(violation_id) <= 64 else None
        return view_of(row) if row is not None else None

    def count(self, uow: UnitOfWork, *, kind: str, shop_id: str, since: dt.datetime) -> int:
        """Violations of ``kind`` by the shop that happened since ``since`` (reversed ones excluded)."""
        return GovernanceRepository(uow.session).count(kind=kind, shop_id=shop_id, since=since)

    def reverse(self, uow: UnitOfWork, violation_id: str, *, cause_type: str, cause_id: str, at: dt.datetime,
                by: str) -> ViolationView:
        """Undo the violation fully, in the caller's unit of work, idempotently: its points; the measures it
        caused, lifted at the platform (a closure reopened) unless another standing violation extended them, which
        then hold them to their own end; its deposit deductions paid back; and the measures it only extended put
        back to the end the measure's own and the other extending violations give them (ended and lifted now if
        that end has passed)."""
        repo = GovernanceRepository(uow.session)
        found = repo.violation(violation_id) if len(violation_id) <= 64 else None
        if found is None:
            raise AnxinError(E.VIOLATION_NOT_FOUND, f"no violation {violation_id!r}", violation_id=violation_id[:64])
        uow.begin_write()
        record = repo.lock_record(found.owner, at)
        row = repo.violation(violation_id, lock=True)
        assert row is not None
        if row.state == REVERSED:
            return view_of(row)
        row.state, row.reversed_at = REVERSED, at
        row.reversal = {"cause_type": cause_type, "cause_id": cause_id, "by": by}
        for p in repo.points_of_violation(violation_id):
            p.state = REVERSED
        decision_id = new_id("gd")
        for ext in repo.extensions_by_violation(violation_id):
            ext.state = REVERSED
        own = repo.measures_of_violation(violation_id)
        refunds = [{"measure_id": m.measure_id, **refund(uow, m, refund_deposit=self.refund_deposit)}
                   for m in own if m.type == "deposit_deduction" and m.state != REVERSED]
        for m in own:
            if m.type == "deposit_deduction":
                m.state, m.end_reason = REVERSED, f"{REVERSED}:{decision_id}"
        # Every active measure the reversal touches: those it caused and those it extended.
        touched = {m.measure_id: m for m in own if m.state == ACTIVE}
        for ext in repo.extensions_by_violation(violation_id):
            extended = repo.measure(ext.measure_id)
            if extended is not None and extended.state == ACTIVE:
                touched[extended.measure_id] = extended
        ending: list[MeasureRow] = []
        ended_as: dict[str, str] = {}
        kept: list[dict[str, Any]] = []
        for m in touched.values():
            held, end = self._held_until(repo, m)
            if not held:
                ending.append(m)
                ended_as[m.measure_id] = REVERSED
            elif end is not None and end <= at:
                m.ends_at = end
                ending.append(m)
                ended_as[m.measure_id] = EXPIRED
            elif end != m.ends_at:
                kept.append({"measure_id": m.measure_id, "ends_at_before": _iso(m.ends_at), "ends_at": _iso(end)})
                m.ends_at = end
            else:
                kept.append({"measure_id": m.measure_id, "ends_at": _iso(end), "unchanged": True})
        lifted = self._end(uow, repo, row.owner, ending, REVERSED, at, decision_id, states=ended_as)
        repo.add(DecisionRow(decision_id=decision_id, owner=row.owner, violation_id=violation_id, step="reverse",
                             outcome="reversed", reason_codes=["governance.violation_reversed"],
                             rule_ids=[f"GOV.KIND.{row.kind}"], rulebook_version=self.catalogue.version,
                             facts={"cause": {"type": cause_type, "id": cause_id}, "by": by,
                                    "points_removed": row.points, "class": row.violation_class,
                                    "measures_lifted": lifted, "measures_kept": kept,
                                    "deposit_refunds": refunds}, decided_at=at))
        repo.touch(record, at)
        uow.record(ViolationReversed(violation_id=violation_id, kind=row.kind, shop_id=row.shop_id,
                                     creator_id=row.creator_id, cause_type=cause_type, cause_id=cause_id,
                                     decision_id=decision_id, reversed_at=at))
        uow.session.flush()
        return view_of(row)

    @staticmethod
    def _held_until(repo: GovernanceRepository, m: MeasureRow) -> tuple[bool, dt.datetime | None]:
        """Whether a standing violation still holds ``m``, and to when (None: until lifted): its own violation to
        the end it was applied with, each standing extension to the end it extended it to; the latest wins."""
        exts = repo.extensions_of_measure(m.measure_id)
        ends: list[dt.datetime | None] = [e.extended_to for e in exts if e.state == ACTIVE]
        owner_violation = repo.violation(m.violation_id)
        if owner_violation is not None and owner_violation.state != REVERSED:
            ends.append(exts[0].previous_ends_at if exts else m.ends_at)
        if not ends:
            return False, None
        if any(e is None for e in ends):
            return True, None
        return True, max(e for e in ends if e is not None)

    def _end(self, uow: UnitOfWork, repo: GovernanceRepository, owner: str, ending: list[MeasureRow], state: str,
             at: dt.datetime, decision_id: str, states: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """End ``ending`` (state expired | reversed, or per measure in ``states``) and lift at the platform what no
        other active measure holds."""
        for m in ending:
            m_state = (states or {}).get(m.measure_id, state)
            m.state, m.ended_at, m.end_reason = m_state, at, f"{m_state}:{decision_id}"
        remaining = [m for m in repo.measures(owner) if m.state == ACTIVE]
        out = []
        for m in ending:
            action_ids, facts = lift(uow, m, remaining, self.catalogue, clock=self.clock)
            m.lift_action_ids = action_ids
            out.append({"measure_id": m.measure_id, "measure": m.palette_id, "action_ids": action_ids, **facts})
            uow.record(MeasureLifted(measure_id=m.measure_id, violation_id=m.violation_id, measure_type=m.type,
                                     target=m.target, owner=owner, reason=m.state, lifted_at=at,
                                     action_ids=tuple(action_ids)))
        return out

    # --- the expiry job ----------------------------------------------------------------------------------------

    def expire_due(self, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
        """End the measures whose end has come (lifting them at the platform) and expire the point entries whose
        expiry has come (``expires_at <= now``), one owner per unit of work."""
        now = now or self.clock.now()
        with self.uow_factory() as uow:
            repo = GovernanceRepository(uow.session)
            owners = sorted(set(repo.owners_with_due_measures(now, limit))
                            | set(repo.owners_with_due_points(now, limit)))
        out = {"owners": 0, "measures_expired": 0, "points_expired": 0}
        for owner in owners:
            with self.uow_factory() as uow:
                measures, points = self._expire_owner(uow, owner, now)
                uow.commit()
            out["owners"] += 1
            out["measures_expired"] += measures
            out["points_expired"] += points
        return out

    def _expire_owner(self, uow: UnitOfWork, owner: str, now: dt.datetime) -> tuple[int, int]:
        repo = GovernanceRepository(uow.session)
        uow.begin_write()
        record = repo.lock_record(owner, now)
        due_points = [p for p in repo.points(owner) if not p.expires_at > now]
        for p in due_points:
            p.state = EXPIRED
            violation = repo.violation(p.violation_id)
            if violation is not None and violation.state == ACTIVE and not any(
                    q.state == ACTIVE for q in repo.points_of_violation(p.violation_id)):
                violation.state = EXPIRED
        due = [m for m in repo.measures(owner) if m.ends_at is not None and m.ends_at <= now]
        if not due and not due_points:
            return 0, 0
        decision_id = new_id("gd")
        lifted = self._end(uow, repo, owner, due, EXPIRED, now, decision_id)
        repo.add(DecisionRow(decision_id=decision_id, owner=owner, violation_id=None, step="expire",
                             outcome="expired", reason_codes=["governance.expired"], rule_ids=[],
                             rulebook_version=self.catalogue.version,
                             facts={"points_expired": [{"entry_id": p.entry_id, "violation_id": p.violation_id,
                                                        "points": p.points, "expires_at": p.expires_at.isoformat()}
                                                       for p in due_points],
                                    "measures_lifted": lifted, "at": now.isoformat()}, decided_at=now))
        repo.touch(record, now)
        return len(due), len(due_points)
