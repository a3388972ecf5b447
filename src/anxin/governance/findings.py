"""Findings become violations: fulfilment's fake shipments, overselling and late shipments, and risk control's
blocked shops (and, when risk control clears a block it made, the risky-merchant violation is reversed); the
worry-free warehouse's rejected lots. Each
handler runs in the bus's unit of work for its event (at least once): the ledger's
(source_type, source_id, kind) key makes a replay record nothing new. Each violation links to its finding.

A late shipment the fulfilment caps left at 0 points (the day's or week's cap reached) records no violation:
the caps exist so one bad day cannot escalate the ladder, and the finding itself stays in fulfilment's record.
"""

from __future__ import annotations

from anxin.db.uow import UnitOfWork
from anxin.fulfilment.events import FakeShipmentFound, LateShipmentRecorded, OversellingFound
from anxin.governance.model import (
    ACTIVE,
    FAKE_SHIPMENT,
    LATE_SHIPMENT,
    OVERSELLING,
    RISKY_MERCHANT,
    SOURCE_FINDING,
    SOURCE_LATE_SHIPMENT,
    SOURCE_RISK,
    SOURCE_WORRY_FREE_LOT,
    WORRY_FREE_INBOUND_REJECTED,
    RecordViolation,
)
from anxin.governance.store import GovernanceRepository
from anxin.governance.violations import Violations
from anxin.risk.events import ShopBlocked, ShopUnblocked
from anxin.worryfree.events import LotRejected

SYSTEM = "system:governance"
RISK_CAUSES = ("risk.verdict", "risk.review")  # an operator's ban (risk.ban) is its own sanction


def risky_cause(event: ShopBlocked) -> bool:
    """only blocks from screening verdicts and confirmed reviews"""
    return event.cause in RISK_CAUSES


def late_with_points(event: LateShipmentRecorded) -> bool:
    """only late shipments of the shop's own (not a warehouse order's: the platform's) that still carry points
    after the caps"""
    return event.points_hundredths > 0 and event.responsible == "shop"


class FindingHandlers:
    def __init__(self, *, violations: Violations) -> None:
        self.violations = violations

    def fake_shipment(self, event: FakeShipmentFound, uow: UnitOfWork) -> None:
        self.violations.record(uow, RecordViolation(
            kind=FAKE_SHIPMENT, subject=f"shop:{event.shop_id}", shop_id=event.shop_id, source_type=SOURCE_FINDING,
            source_id=event.finding_id, at=event.found_at, recorded_by=SYSTEM,
            evidence={"order_id": event.order_id, "finding_id": event.finding_id, "finding_kind": event.kind,
                      "rule_id": event.rule_id, "rulebook_version": event.rulebook_version}))

    def overselling(self, event: OversellingFound, uow: UnitOfWork) -> None:
        self.violations.record(uow, RecordViolation(
            kind=OVERSELLING, subject=f"listing:{event.listing_id}", shop_id=event.shop_id,
            source_type=SOURCE_FINDING, source_id=event.finding_id, at=event.found_at, recorded_by=SYSTEM,
            evidence={"finding_id": event.finding_id, "listing_id": event.listing_id, "rule_id": event.rule_id,
                      "rulebook_version": event.rulebook_version}))

    def late_shipment(self, event: LateShipmentRecorded, uow: UnitOfWork) -> None:
        if event.points_hundredths <= 0:  # the bus filters these out too; a replayed old event is still safe
            return
        self.violations.record(uow, RecordViolation(
            kind=LATE_SHIPMENT, subject=f"shop:{event.shop_id}", shop_id=event.shop_id,
            source_type=SOURCE_LATE_SHIPMENT, source_id=event.finding_id, at=event.late_at, recorded_by=SYSTEM,
            evidence={"order_id": event.order_id, "finding_id": event.finding_id,
                      "points_rule_id": event.points_rule_id, "capped_by": event.capped_by}),
            points_hundredths=event.points_hundredths)

    def risky_merchant(self, event: ShopBlocked, uow: UnitOfWork) -> None:
        # Risk reason codes never enter the record (merchants see it): operators follow cause_id to risk control.
        if event.cause not in RISK_CAUSES:
            return
        self.violations.record(uow, RecordViolation(
            kind=RISKY_MERCHANT, subject=f"shop:{event.shop_id}", shop_id=event.shop_id, source_type=SOURCE_RISK,
            source_id=f"{event.cause}:{event.cause_id}", at=event.blocked_at, recorded_by=SYSTEM,
            evidence={"cause": event.cause, "cause_id": event.cause_id},
            note="risk control blocked the shop"))

    def risky_merchant_cleared(self, event: ShopUnblocked, uow: UnitOfWork) -> None:
        """Risk control cleared the review of a shop its screening blocked: the block was wrong, so the
        risky-merchant violations it caused are reversed with their measures (idempotent: reversing twice is a
        no-op)."""
        repo = GovernanceRepository(uow.session)
        for row in repo.violations(owners=[f"shop:{event.shop_id}"], kind=RISKY_MERCHANT, state=ACTIVE, limit=500):
            if row.source_type == SOURCE_RISK:
                self.violations.reverse(uow, row.violation_id, cause_type="risk.shop_unblocked",
                                        cause_id=event.cause_id, at=event.unblocked_at, by=SYSTEM)

    def worry_free_lot_rejected(self, event: LotRejected, uow: UnitOfWork) -> None:
        """A worry-free lot the warehouse rejected is a violation of the listing's shop (catalogue kind
        ``worry_free_inbound_rejected``: low, appealable), once per lot."""
        self.violations.record(uow, RecordViolation(
            kind=WORRY_FREE_INBOUND_REJECTED, subject=f"listing:{event.listing_id}", shop_id=event.shop_id,
            source_type=SOURCE_WORRY_FREE_LOT, source_id=event.lot_id, at=event.at, recorded_by=SYSTEM,
            evidence={"lot_id": event.lot_id, "reasons": list(event.reasons), "rule_ids": list(event.rule_ids),
                      "rulebook_version": event.rulebook_version, "supplier_id": event.supplier_id},
            note="the worry-free warehouse rejected an inbound lot"))
