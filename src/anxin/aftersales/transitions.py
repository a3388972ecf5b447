"""How every after-sales use case changes a case: apply one action of the state machine to a stored case, record
it on the timeline and send its money to the outbox, all in the caller's unit of work (which the caller commits).

Filing, people's actions, the deadline tick and the risk settlement share this; none of them is another's parent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Protocol

from anxin.aftersales import model as m
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.events import MERCHANT_REJECTED, RECEIPT_REJECTED, CaseRejected
from anxin.aftersales.rulebook import RulebookSet
from anxin.aftersales.store import CaseRepository
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.db.uow import UnitOfWork
from anxin.outbox import service as outbox

MONEY_KINDS = {"refund": "refund.issue", "compensation": "compensation.issue", "freight": "freight.compensate",
               "pickup": "pickup.request", "reship": "exchange.reship"}


class StoredCase(Protocol):
    """A case as stored (``CaseRow``): its model, the decision it was opened with, and the fields set on it."""

    decision: dict[str, Any]
    freight_held: bool
    refund_held: bool

    def to_model(self) -> m.Case: ...

    def update_from(self, case: m.Case) -> None: ...


class CaseRecords(Protocol):
    """The stored cases the clock, the risk settlement and every transition read and write (``CaseRepository``;
    plain objects in use-case unit tests)."""

    def get(self, case_id: str, *, lock: bool = False) -> StoredCase | None: ...

    def add_event(self, case_id: str, event: m.CaseEvent) -> None: ...

    def order_money(self, order_id: str, *, excluding: str) -> tuple[int, int]: ...

    def due(self, now: dt.datetime, limit: int = 500, *, excluding: set[str] | None = None) -> list[str]: ...


class MoneySender(Protocol):
    """Where a transition's money goes, in the caller's transaction: ``outbox.enqueue``."""

    def __call__(self, uow: UnitOfWork, *, clock: Clock, kind: str, idempotency_key: str, payload: dict[str, Any],
                 amount_fen: int | None, subject_ref: str) -> object: ...


def case_records(uow: UnitOfWork) -> CaseRecords:
    return CaseRepository(uow.session)


@dataclass(frozen=True)
class CaseTransitions:
    clock: Clock
    rulebooks: RulebookSet
    send_money: MoneySender = outbox.enqueue

    def terms(self, version: str) -> m.CaseTerms:
        """The deadlines and caps a case keeps: those of the rulebook version it was opened under."""
        rb = self.rulebooks.version(version)
        return m.CaseTerms(rb.deadlines, rb.freight_cap_fen)

    def transition(self, uow: UnitOfWork, repo: CaseRecords, case: m.Case, action: m.Action, role: str, actor: str,
                   now: dt.datetime, terms: m.CaseTerms, *, note: str, data: dict[str, Any],
                   event_action: str | None = None) -> tuple[m.Case, m.CaseEvent]:
        """Apply one action to a stored case, record it and enqueue its money in the caller's transaction."""
        t = apply_action(case, action, role, actor, now, terms, note=note, data=data, event_action=event_action)
        row = repo.get(case.case_id)
        assert row is not None
        row.update_from(t.case)
        repo.add_event(case.case_id, t.event)
        order_money = repo.order_money(case.order_id, excluding=case.case_id) if any(
            e.kind in ("refund", "compensation") for e in t.effects) else None
        self.enqueue(uow, t.case, t.effects, order_money)
        if (rejected := rejected_event(case, t.case, now)) is not None:
            uow.record(rejected)
        return t.case, t.event

    def enqueue(self, uow: UnitOfWork, case: m.Case, effects: tuple[m.Effect, ...],
                order_money: tuple[int, int] | None) -> None:
        """The money of a transition, to the outbox in the same transaction. ``order_money``: what the order's
        other cases have refunded and compensated, where a refund's or compensation's step starts."""
        for effect in effects:
            self.send_money(uow, clock=self.clock, kind=MONEY_KINDS[effect.kind],
                            idempotency_key=money_key(case, effect.kind, order_money), amount_fen=effect.amount_fen,
                            subject_ref=case.case_id, payload={
                                "case_id": case.case_id, "order_id": case.order_id, "consumer_id": case.consumer_id,
                                "shop_id": case.shop_id, "amount_fen": effect.amount_fen, "currency": "CNY",
                                "reason": case.reason, "guarantee": case.guarantee_id,
                                "rulebook_version": case.rulebook_version, **effect.detail})


def rejected_event(before: m.Case, after: m.Case, at: dt.datetime, *, reason: str | None = None) -> CaseRejected | None:
    """The ``CaseRejected`` a change publishes when it puts the case into ``rejected`` (None otherwise). ``reason``
    defaults to what the state machine's rejecting actions mean (merchant_rejected, receipt_rejected)."""
    if after.state is not m.CaseState.REJECTED or before.state is m.CaseState.REJECTED:
        return None
    return CaseRejected(case_id=after.case_id, order_id=after.order_id, shop_id=after.shop_id,
                        consumer_id=after.consumer_id, at=at, reason=reason or _rejected_reason(before, after))


def _rejected_reason(before: m.Case, after: m.Case) -> str:
    return RECEIPT_REJECTED if before.state is m.CaseState.RETURN_SHIPPED else MERCHANT_REJECTED


def apply_action(case: m.Case, action: m.Action, role: str, actor: str, now: dt.datetime, terms: m.CaseTerms, *,
                 note: str, data: dict[str, Any], event_action: str | None = None) -> m.Transition:
    """The state machine's answer, with its refusal as a stable error code; ``event_action`` renames the timeline
    entry (a rulebook approval is recorded as ``auto_approve``, not as the merchant's timeout)."""
    try:
        t = m.apply(case, action, actor_role=role, actor_id=actor, at=now, terms=terms, note=note, data=data)
    except m.TransitionError as exc:
        raise AnxinError(E(exc.code), str(exc)) from None
    if event_action is None:
        return t
    return replace(t, event=replace(t.event, action=event_action))


def money_key(case: m.Case, kind: str, order_money: tuple[int, int] | None) -> str:
    """The idempotency key of a money movement, named after what it moves rather than who asked: a refund or
    compensation is the step of the order's balance it starts from, so two cases paying the same step (a duplicate
    that got past every lock) share a key, and the outbox and any receiver deduping on it pay once. Freight, pickup
    and reship happen at most once per case."""
    if kind in ("refund", "compensation"):
        assert order_money is not None
        before = order_money[0] if kind == "refund" else order_money[1]
        return f"{case.order_id}:{kind}@{before}"
    return f"{case.case_id}:{kind}"
