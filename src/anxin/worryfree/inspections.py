"""Inbound inspection use cases: sample plans, per-unit results, lot verdicts.

A lot received (``worryfree.lot_received``) gets a plan in the handler's unit of work: tightened when its category
or supplier had a rejected lot in the rulebook's window, else normal; the sample size and acceptance number from the
table by lot size. A lot whose shelf-life share on its receipt day is below its category's minimum at inbound is
rejected at once (no sampling). An operator records the sampled units' results; the verdict (passed when the
defective units are at most the acceptance number) is written once, by a conditional UPDATE, so two operators
recording at once make one verdict; the stock gets it through ``service.set_lot_verdict`` in the same transaction
and a rejected lot publishes ``LotRejected``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anxin.access.service import require_role
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.shops import service as shops
from anxin.worryfree import service as stock
from anxin.worryfree.events import LotReceived, LotRejected
from anxin.worryfree.inspection_error_codes import InspectionErrorCode as E
from anxin.worryfree.inspection_rules import InspectionRulebookSpec, load_inspection_rules
from anxin.worryfree.inspection_store import InspectionRepository, InspectionRow, InspectionUnitRow
from anxin.worryfree.model import LotStatus, shelf_life_share
from anxin.worryfree.rules import RULE_SHELF_LIFE_INBOUND, WorryFreeRules, packaged_rules
from anxin.worryfree.sampling import (
    REJECTED,
    SHELF_LIFE_AT_INBOUND,
    SamplePlan,
    UnitResult,
    UnitsInvalid,
    check_units,
    judge,
    severity_of,
    shelf_life_ok,
)

STAFF = (Role.OPERATOR, Role.PLATFORM)
SYSTEM = "system:worryfree.inspection"


@dataclass(frozen=True)
class UnitIn:
    unit_no: int
    checks: dict[str, str]
    note: str = ""


class Inspections:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: InspectionRulebookSpec | None = None,
                 stock_rules: WorryFreeRules | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules or load_inspection_rules()
        self.stock_rules = stock_rules or packaged_rules()

    # --- the plan, on receipt ------------------------------------------------------------------------------------

    def on_lot_received(self, event: LotReceived, uow: UnitOfWork) -> None:
        self.plan(uow, event.lot_id)

    def plan(self, uow: UnitOfWork, lot_id: str) -> InspectionRow:
        """The lot's plan, made once (a replay returns the one made); in the caller's unit of work."""
        repo = InspectionRepository(uow.session)
        existing = repo.get(lot_id)
        if existing is not None:
            return existing
        lot = stock.lot(uow, lot_id)
        if lot is None:
            raise AnxinError(E.LOT_NOT_FOUND, f"no lot {lot_id}", lot_id=lot_id)
        rb = self.rules
        tags = catalog.tags_for_listing(uow, lot.listing_id)
        category_id = catalog.listing_categories(uow, [lot.listing_id]).get(lot.listing_id)
        day = self.stock_rules.local_day(lot.received_at)
        share = shelf_life_share(lot.produced_on, lot.expires_on, day)
        tag, minimum = self.stock_rules.min_at_inbound(tags)
        since = lot.received_at - dt.timedelta(days=rb.tightening.window_days)
        by_category, by_supplier = repo.failures(category_id=category_id, supplier_id=lot.supplier_id, since=since,
                                                 before=lot.received_at)
        tightening = severity_of(category_failures=by_category, supplier_failures=by_supplier,
                                 min_failures=rb.tightening.min_failures, by=rb.tightening.by)
        plan = rb.plan(lot.quantity, tightening.severity)
        facts: dict[str, Any] = {
            "lot_size": lot.quantity, "category_id": category_id, "category_tags": sorted(tags),
            "supplier_id": lot.supplier_id, "received_on": day.isoformat(),
            "produced_on": lot.produced_on.isoformat(), "expires_on": lot.expires_on.isoformat(),
            "shelf_life_days_left": max(0, (lot.expires_on - day).days),
            "shelf_life_days": (lot.expires_on - lot.produced_on).days,
            "shelf_life_share": f"{share.numerator}/{share.denominator}", "shelf_life_share_pct": float(share * 100),
            "shelf_life_tag": tag, "shelf_life_minimum": float(minimum),
            "category_failures": by_category, "supplier_failures": by_supplier,
            "tightening_window_days": rb.tightening.window_days, "row_max_lot": plan.row_max_lot}
        rule_ids = [plan.rule_id, rb.checks.id] + ([rb.tightening.id] if tightening.reasons else [])
        now = self.clock.now()
        row = InspectionRow(
            lot_id=lot.lot_id, shop_id=lot.shop_id, listing_id=lot.listing_id, supplier_id=lot.supplier_id,
            category_id=category_id, lot_size=lot.quantity, received_at=lot.received_at,
            severity=plan.severity, sample_size=plan.sample_size, accept_number=plan.accept_number,
            checks=list(rb.unit_checks), plan={"reasons": [plan.severity, *tightening.reasons],
                                               "rule_ids": rule_ids, "facts": facts},
            rulebook_version=rb.version, planned_at=now, outcome=None, reasons=None, rule_ids=None, facts=None,
            defective_units=None, decided_at=None, decided_by=None)
        repo.add(row)
        if rb.shelf_life.reject_at_receipt and not shelf_life_ok(share, minimum):
            # Decided at receipt: the time is the lot's, so a replay of old events decides the same.
            self._decide(uow, repo, row, outcome=REJECTED, reasons=[SHELF_LIFE_AT_INBOUND],
                         rule_ids=[rb.shelf_life.id, RULE_SHELF_LIFE_INBOUND],
                         facts={"shelf_life_days_left": facts["shelf_life_days_left"],
                                "shelf_life_days": facts["shelf_life_days"],
                                "shelf_life_share": facts["shelf_life_share"],
                                "shelf_life_share_pct": facts["shelf_life_share_pct"], "shelf_life_tag": tag,
                                "shelf_life_minimum": float(minimum), "received_on": day.isoformat(),
                                "sampled": False},
                         defective=0, at=lot.received_at, by=SYSTEM)
        else:
            stock.mark_inspecting(uow, lot.lot_id)  # received → inspecting: the sample is waiting for an operator
        repo.session.refresh(row)
        return row

    # --- results and the verdict ------------------------------------------------------------------------------

    def record_results(self, who: Principal, lot_id: str, units: Sequence[UnitIn]) -> dict[str, Any]:
        """The sampled units' results → the lot's verdict, once. 409 when a verdict exists (another operator's
        included), 422 when the units do not match the plan."""
        require_role(who, *STAFF)
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = InspectionRepository(uow.session)
            row = repo.get(lot_id)
            if row is None:
                if stock.lot(uow, lot_id) is None:
                    raise AnxinError(E.LOT_NOT_FOUND, f"no lot {lot_id}", lot_id=lot_id)
                raise AnxinError(E.NOT_PLANNED, f"lot {lot_id} has no inspection plan yet", lot_id=lot_id)
            if row.outcome is not None:
                raise AnxinError(E.ALREADY_DECIDED, f"lot {lot_id} is already {row.outcome}", lot_id=lot_id,
                                 outcome=row.outcome)
            plan = plan_of(row)
            results = [UnitResult(u.unit_no, dict(u.checks), u.note) for u in units]
            try:
                check_units(plan, results, row.checks)
            except UnitsInvalid as exc:
                raise AnxinError(E.INVALID_UNITS, str(exc), problems=exc.problems) from None
            verdict = judge(plan, results, verdict_rule_id=self.rules.verdict.id)
            at, by = self.clock.now(), f"{who.role.value}:{who.subject}"
            self._decide(uow, repo, row, outcome=verdict.outcome, reasons=list(verdict.reasons),
                         rule_ids=list(verdict.rule_ids), facts={**verdict.facts, "sampled": True},
                         defective=verdict.defective_units, at=at, by=by)
            repo.add_units([InspectionUnitRow(lot_id=lot_id, unit_no=u.unit_no, results=dict(u.checks),
                                              defective=u.defective, note=u.note, recorded_by=by, recorded_at=at)
                            for u in sorted(results, key=lambda r: r.unit_no)])
            uow.commit()
        return self.lot_view(who, lot_id)

    def _decide(self, uow: UnitOfWork, repo: InspectionRepository, row: InspectionRow, *, outcome: str,
                reasons: list[str], rule_ids: list[str], facts: dict[str, Any], defective: int, at: dt.datetime,
                by: str) -> None:
        if not repo.decide(row.lot_id, outcome=outcome, reasons=reasons, rule_ids=rule_ids, facts=facts,
                           defective_units=defective, at=at, by=by):
            raise AnxinError(E.ALREADY_DECIDED, f"lot {row.lot_id} is already decided", lot_id=row.lot_id)
        status = LotStatus.REJECTED if outcome == REJECTED else LotStatus.PASSED
        stock.set_lot_verdict(uow, row.lot_id, status=status,
                              units_removed=0 if outcome == REJECTED else defective, at=at)
        if outcome == REJECTED:
            uow.record(LotRejected(
                lot_id=row.lot_id, listing_id=row.listing_id, shop_id=row.shop_id, supplier_id=row.supplier_id,
                reasons=tuple(reasons), rule_ids=tuple(rule_ids), rulebook_version=row.rulebook_version, at=at))

    # --- reads -------------------------------------------------------------------------------------------------

    def lot_view(self, who: Principal, lot_id: str) -> dict[str, Any]:
        """The lot, its plan, units and verdict: operators and the platform any lot, a merchant only a lot of
        their own shops; anyone else 404 (a lot's existence is not told)."""
        with self.uow_factory() as uow:
            lot = stock.lot(uow, lot_id)
            if lot is None or not self._may_see(uow, who, lot.shop_id):
                raise AnxinError(E.LOT_NOT_FOUND, f"no lot {lot_id}", lot_id=lot_id)
            repo = InspectionRepository(uow.session)
            row = repo.get(lot_id)
            units = repo.units(lot_id) if row is not None else []
            return {"lot": lot.as_dict(), "inspection": inspection_dict(row, units) if row is not None else None}

    def queue(self, who: Principal, *, pending: bool | None = True, after: tuple[dt.datetime, str] | None = None,
              limit: int = 50) -> list[dict[str, Any]]:
        """The operators' queue: inspections by receipt, oldest first (``pending``: awaiting results only)."""
        require_role(who, *STAFF)
        with self.uow_factory() as uow:
            rows = InspectionRepository(uow.session).queue(pending=pending, after=after, limit=limit)
            return [inspection_dict(r, []) for r in rows]

    def lots_of_merchant(self, who: Principal, *, shop_id: str | None = None,
                         after: tuple[dt.datetime, str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """A merchant's lots (all their shops, or one), newest receipt first; staff may name any shop."""
        with self.uow_factory() as uow:
            if who.role == Role.MERCHANT:
                own = shops.shop_ids_of_merchant(uow, who.subject)
                shop_ids = [s for s in own if shop_id in (None, s)]
            else:
                require_role(who, *STAFF)
                shop_ids = [shop_id] if shop_id else []
            repo = InspectionRepository(uow.session)
            if not shop_ids:
                rows = repo.queue(pending=None, after=after, limit=limit, newest_first=True) \
                    if who.role != Role.MERCHANT else []
            else:
                rows = []
                for s in shop_ids:
                    rows += repo.queue(pending=None, shop_id=s, after=after, limit=limit, newest_first=True)
                rows.sort(key=lambda r: (r.received_at, r.lot_id), reverse=True)
                rows = rows[:limit]
            return [inspection_dict(r, []) for r in rows]

    def _may_see(self, uow: UnitOfWork, who: Principal, shop_id: str) -> bool:
        if who.role in STAFF:
            return True
        if who.role != Role.MERCHANT:
            return False
        shop = shops.get_shop(uow, shop_id)
        return shop is not None and shop.merchant_id == who.subject


def plan_of(row: InspectionRow) -> SamplePlan:
    return SamplePlan(lot_size=row.lot_size, severity=row.severity, sample_size=row.sample_size,
                      accept_number=row.accept_number, row_max_lot=row.plan["facts"].get("row_max_lot"),
                      rule_id=row.plan["rule_ids"][0])


def inspection_dict(row: InspectionRow, units: Sequence[InspectionUnitRow]) -> dict[str, Any]:
    verdict = None if row.outcome is None else {
        "outcome": row.outcome, "reason_codes": list(row.reasons or []), "rule_ids": list(row.rule_ids or []),
        "rulebook_version": row.rulebook_version, "facts": dict(row.facts or {}),
        "defective_units": row.defective_units, "decided_at": _iso(row.decided_at), "decided_by": row.decided_by}
    return {
        "lot_id": row.lot_id, "shop_id": row.shop_id, "listing_id": row.listing_id, "supplier_id": row.supplier_id,
        "category_id": row.category_id, "lot_size": row.lot_size, "received_at": _iso(row.received_at),
        "status": "pending" if row.outcome is None else row.outcome,
        "plan": {"severity": row.severity, "sample_size": row.sample_size, "accept_number": row.accept_number,
                 "checks": list(row.checks), "reason_codes": list(row.plan.get("reasons", [])),
                 "rule_ids": list(row.plan.get("rule_ids", [])), "rulebook_version": row.rulebook_version,
                 "facts": dict(row.plan.get("facts", {})), "planned_at": _iso(row.planned_at)},
        "units": [{"unit_no": u.unit_no, "results": dict(u.results), "defective": u.defective, "note": u.note,
                   "recorded_by": u.recorded_by, "recorded_at": _iso(u.recorded_at)} for u in units],
        "verdict": verdict}


def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.astimezone(dt.UTC).isoformat()
