"""The 30-day companion (30天全程陪伴): orders in trouble open an outreach task for platform customer service.

The troubles arrive as other contexts' events — fulfilment's late shipments and parcels in trouble, after-sales'
rejected cases, orders' bad reviews, care's own consultations (repeated contacts) — and each handler runs in the
message bus's unit of work for its event, at least once: the task's (order, trouble) key makes a redelivery or a
concurrent second handling open nothing new. The pure decision (``companion_policy.decide``) says whether the
trouble opens a task (within the window after payment, once per order and trouble) or is held out; held-out
tasks are stored too, so the effect report can compare. ``expire_due`` is the job ``care.outreach_expire``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.aftersales.events import CaseRejected
from anxin.care.companion_policy import (
    HELD,
    HELD_OUT,
    OPEN,
    CompanionDecision,
    OrderFacts,
    TroubleSeen,
    decide,
    repeated_contacts,
)
from anxin.care.companion_rules import (
    BAD_REVIEW,
    CASE_REJECTED,
    LATE_SHIPMENT,
    REPEATED_CONTACTS,
    TROUBLES,
    CompanionRulebookSpec,
)
from anxin.care.companion_store import CompanionRepository, Contact, task_id_for
from anxin.care.events import ConsultationOpened
from anxin.core.clock import Clock
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.fulfilment.events import LateShipmentRecorded, ParcelTroubleFound
from anxin.orders import service as orders
from anxin.orders.events import BadReviewReceived

SYSTEM = "system:care.companion"
EXPIRE_BATCH = 500


def about_an_order(event: ConsultationOpened) -> bool:
    """only consultations about an order (the repeated-contacts trouble counts per order)"""
    return event.order_id is not None


def order_facts(uow: UnitOfWork, order_id: str) -> OrderFacts | None:
    order = orders.get_order(uow, order_id)
    if order is None:
        return None
    return OrderFacts(order_id=order.order_id, shop_id=order.shop_id, consumer_id=order.consumer_id,
                      paid_at=order.paid_at, paid_fen=order.paid_fen,
                      cancelled=order.status is orders.OrderStatus.CANCELLED)


class Companion:
    """The event handlers and the expiry job. The handlers never commit: the bus commits each with its mark."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: CompanionRulebookSpec) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules

    # --- the troubles ----------------------------------------------------------------------------------------

    def on_late_shipment(self, event: LateShipmentRecorded, uow: UnitOfWork) -> None:
        self.note(uow, TroubleSeen(LATE_SHIPMENT, event.order_id, event.late_at, "fulfilment.late_shipment_recorded",
                                   event.finding_id, {"coupon_fen_from_fulfilment": event.coupon_fen}))

    def on_parcel_trouble(self, event: ParcelTroubleFound, uow: UnitOfWork) -> None:
        self.note(uow, TroubleSeen(event.kind, event.order_id, event.at, "fulfilment.parcel_trouble_found",
                                   event.finding_id))

    def on_case_rejected(self, event: CaseRejected, uow: UnitOfWork) -> None:
        self.note(uow, TroubleSeen(CASE_REJECTED, event.order_id, event.at, "aftersales.case_rejected",
                                   event.case_id, {"rejected_by": event.reason}))

    def on_bad_review(self, event: BadReviewReceived, uow: UnitOfWork) -> None:
        self.note(uow, TroubleSeen(BAD_REVIEW, event.order_id, event.at, "orders.bad_review_received",
                                   f"review:{event.order_id}@{event.at.isoformat()}", {"rating": event.rating}))

    def on_consultation(self, event: ConsultationOpened, uow: UnitOfWork) -> None:
        """Record the consultation (once), then look at the order's consultations around it: ``min_contacts`` of
        them within ``within_hours`` is the repeated-contacts trouble, at the consultation that completed the run.
        Read under the order's lock, so consultations handled at once (or out of order) each see the others."""
        if event.order_id is None:
            return
        repo = CompanionRepository(uow.session)
        uow.begin_write()
        repo.lock_order(event.order_id)
        repo.add_contact(Contact(event.consultation_id, event.order_id, event.shop_id, event.consumer_id,
                                 event.intent, event.route, event.at))
        rule = self.rules.troubles.repeated_contacts
        span = dt.timedelta(hours=rule.within_hours)
        around = repo.contacts_of([event.order_id], event.at - span, event.at + span + dt.timedelta(microseconds=1))
        at = repeated_contacts(around.get(event.order_id, []), rule)
        if at is None:
            return
        self.note(uow, TroubleSeen(REPEATED_CONTACTS, event.order_id, at, "care.consultation_opened",
                                   event.consultation_id, {"contacts": repo.count_contacts(event.order_id, at - span,
                                                                                           at),
                                                           "intent": event.intent}))

    def note(self, uow: UnitOfWork, seen: TroubleSeen) -> CompanionDecision:
        """Decide on one trouble and store the task it opens or holds out, in the caller's unit of work."""
        repo = CompanionRepository(uow.session)
        existing = seen.trouble in TROUBLES and repo.has_task(seen.order_id, seen.trouble)
        order = order_facts(uow, seen.order_id)
        decision = decide(seen, order, self.rules, existing=existing)
        if decision.stored and order is not None:
            repo.add_task(_task_values(seen, order, decision, self.clock.now()))
        return decision

    # --- the job ---------------------------------------------------------------------------------------------

    def expire_due(self, at: dt.datetime | None = None) -> int:
        """Open and contacted tasks past their expiry become expired (job ``care.outreach_expire``), in batches of
        one transaction each; a task an operator moved meanwhile is left alone. Returns how many expired."""
        now = at or self.clock.now()
        expired = 0
        skipped: set[str] = set()
        while True:
            with self.uow_factory() as uow:
                uow.begin_write()
                repo = CompanionRepository(uow.session)
                due = [t for t in repo.expirable(now, EXPIRE_BATCH + len(skipped)) if t not in skipped]
                if not due:
                    return expired
                for task_id in due:
                    if repo.expire(task_id, now, {"to": "expired", "at": now.isoformat(), "by": SYSTEM,
                                                  "note": "", "remedy": None}):
                        expired += 1
                    else:
                        skipped.add(task_id)
                uow.commit()


def _task_values(seen: TroubleSeen, order: OrderFacts, d: CompanionDecision, now: dt.datetime) -> dict[str, Any]:
    assert d.due_at is not None and d.priority is not None and d.remedy is not None
    held = d.outcome == HELD
    return {"task_id": task_id_for(order.order_id, seen.trouble), "order_id": order.order_id,
            "trouble": seen.trouble, "shop_id": order.shop_id, "consumer_id": order.consumer_id,
            "state": HELD_OUT if held else OPEN, "held_out": held, "priority": d.priority, "trouble_at": seen.at,
            "opened_at": now, "due_at": d.due_at, "expires_at": d.expires_at, "source": seen.source,
            "source_id": seen.source_id[:100], "remedy_suggested": d.remedy, "coupon_suggested_fen": d.coupon_fen,
            "remedy_chosen": None, "coupon_fen": 0, "decision": d.as_dict(), "rulebook_version": d.rulebook_version,
            "history": [{"from": None, "to": HELD_OUT if held else OPEN, "at": now.isoformat(), "by": SYSTEM,
                         "note": "", "remedy": None}],
            "contacted_at": None, "closed_at": None, "updated_at": now}
