"""After-sales use cases. The only place in this context that commits.

Isolation rule: a consumer sees only their orders and cases, a merchant only their shops' cases;
anything else is reported as not found, so ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, overload

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from anxin.aftersales import model as m
from anxin.aftersales import refunds
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.evidence import EvidenceInfo, EvidenceRejected, EvidenceStore, inspect_image
from anxin.aftersales.policy import Claim, Coverage, Decision, OrderFacts, Outcome, coverage, decide
from anxin.aftersales.refunds import RefundPaid as RefundPaid  # re-exported: what merchants settles
from anxin.aftersales.risk_settlement import RiskSettlement, check_return_data
from anxin.aftersales.rulebook import CASE_TYPES, REASONS, Rulebook, RulebookSet
from anxin.aftersales.store import CaseRepository, CaseRow
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.money import MAX_FEN, is_fen
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.fulfilment import service as fulfilment
from anxin.idempotency import service as idempotency
from anxin.idempotency.model import IdempotentRequest, Replay
from anxin.jobs.service import JobFailures
from anxin.orders import service as orders
from anxin.orders.model import Order, OrderStatus, OrderTimeline
from anxin.outbox import service as outbox
from anxin.risk.service import RiskService
from anxin.shops import service as shops

MONEY_KINDS = {"refund": "refund.issue", "compensation": "compensation.issue", "freight": "freight.compensate",
               "pickup": "pickup.request", "reship": "exchange.reship"}
MAX_DESCRIPTION = 2000
DEADLINE_JOB = "aftersales.deadlines"


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


@dataclass(frozen=True)
class FileCase:
    order_id: str
    case_type: str
    reason: str
    amount_fen: int
    evidence: tuple[str, ...] = ()
    description: str = ""
    listing_id: str | None = None
    unsealed: bool = False


@dataclass(frozen=True)
class CaseView:
    case: m.Case
    decision: dict[str, Any]
    events: tuple[m.CaseEvent, ...]
    evidence: tuple[str, ...]
    listing_id: str | None
    description: str

    def as_dict(self) -> dict[str, Any]:
        c = self.case
        return {
            "case_id": c.case_id, "order_id": c.order_id, "shop_id": c.shop_id, "consumer_id": c.consumer_id,
            "type": c.case_type, "reason": c.reason, "amount_fen": c.amount_fen, "state": c.state.value,
            "opened_at": c.opened_at.isoformat(), "guarantee": c.guarantee_id,
            "rulebook_version": c.rulebook_version,
            "deadline": {"at": c.deadline_at.isoformat(), "kind": c.deadline_kind} if c.deadline_at else None,
            "return": {"method": c.return_method, "carrier": c.return_carrier, "tracking_no": c.return_tracking_no,
                       "freight_fen": c.return_freight_fen} if c.return_method else None,
            "money": {"refunded_fen": c.refunded_fen, "compensated_fen": c.compensated_fen,
                      "freight_paid_fen": c.freight_paid_fen},
            "listing_id": self.listing_id, "description": self.description, "evidence": list(self.evidence),
            "decision": self.decision,
            "timeline": [{"action": e.action, "actor": e.actor_role, "at": e.at.isoformat(),
                          "from": e.from_state, "to": e.to_state, "note": e.note,
                          "deadline_at": e.deadline_at.isoformat() if e.deadline_at else None,
                          "deadline_kind": e.deadline_kind, "data": e.data} for e in self.events],
        }


@dataclass(frozen=True)
class OrderGuarantees:
    order: Order
    coverage: tuple[Coverage, ...]
    rulebook_version: str


@dataclass
class TickReport:
    at: dt.datetime
    actions: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def total(self) -> int:
        return sum(self.actions.values())


class AfterSalesService(RiskSettlement):
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebooks: RulebookSet,
                 evidence_store: EvidenceStore, credit_band: Callable[[UnitOfWork, str], str] | None = None,
                 risk: RiskService | None = None, jobs: JobFailures | None = None) -> None:
        self.uow_factory = uow_factory
        # Where a deadline that fails is recorded and retried (None: tests of after-sales alone; errors raise).
        self.jobs = jobs
        # Risk verdicts in the decision path: an instant refund only on pass; review and block go to the
        # operators' risk queue. None (tests of after-sales alone) means no risk control.
        self.risk = risk
        # The consumer's credit band from the scoring context (its service, injected by bootstrap), read in the
        # filing's own transaction: one request, one connection.
        self.credit_band = credit_band or (lambda uow, consumer_id: "unscored")
        self.clock = clock
        self.rulebooks = rulebooks
        self.evidence_store = evidence_store

    # --- reading -----------------------------------------------------------------------------------

    def _order_for(self, uow: UnitOfWork, principal: Principal, order_id: str, *, lock: bool = False) -> Order:
        order = orders.get_order(uow, order_id, lock=lock) if isinstance(order_id, str) else None
        if order is None or not self._may_see(uow, principal, order.consumer_id, order.shop_id):
            raise AnxinError(E.ORDER_NOT_FOUND, f"order {order_id!r} not found")
        return order

    @staticmethod
    def _may_see(uow: UnitOfWork, principal: Principal, consumer_id: str, shop_id: str) -> bool:
        if principal.role in (Role.OPERATOR, Role.PLATFORM):
            return True
        if principal.role is Role.CONSUMER:
            return consumer_id == principal.subject
        shop = shops.get_shop(uow, shop_id)
        return shop is not None and shop.merchant_id == principal.subject

    def _facts(self, uow: UnitOfWork, order: Order, listing_id: str | None) -> OrderFacts:
        shop = shops.get_shop(uow, order.shop_id)
        items = [i for i in order.items if listing_id is None or i.listing_id == listing_id]
        tags: frozenset[str] = frozenset()
        for item in items:
            tags |= catalog.tags_for_listing(uow, item.listing_id)
        return OrderFacts(
            order_id=order.order_id, consumer_id=order.consumer_id, shop_id=order.shop_id,
            merchant_id=shop.merchant_id if shop else "", store_type=shop.store_type if shop else "",
            shop_services=shop.services if shop else frozenset(), item_tags=tags, paid_fen=order.paid_fen,
            paid_at=order.paid_at, shipped_at=order.shipped_at, signed_at=order.signed_at, shipped=order.shipped,
            exemption_confirmed=any(i.exemption_confirmed for i in items),
            parcel_problem=_parcel_problem(uow, order.order_id) if order.shipped else "")

    def guarantees(self, principal: Principal, order_id: str) -> OrderGuarantees:
        now = self.clock.now()
        with self.uow_factory() as uow:
            order = self._order_for(uow, principal, order_id)
            rb = self.rulebooks.in_force(now)
            return OrderGuarantees(order, tuple(coverage(self._facts(uow, order, None), rb, now)), rb.version)

    def order_timeline(self, principal: Principal, order_id: str) -> tuple[OrderTimeline, list[CaseView]]:
        with self.uow_factory() as uow:
            self._order_for(uow, principal, order_id)
            tl = orders.timeline(uow, order_id)
            assert tl is not None
            repo = CaseRepository(uow.session)
            return tl, [self._view(repo, row) for row in repo.for_order(order_id)]

    def get_case(self, principal: Principal, case_id: str) -> CaseView:
        with self.uow_factory() as uow:
            repo = CaseRepository(uow.session)
            return self._view(repo, self._case_for(uow, repo, principal, case_id))

    def _case_for(self, uow: UnitOfWork, repo: CaseRepository, principal: Principal, case_id: str,
                  *, lock: bool = False) -> CaseRow:
        row = repo.get(case_id, lock=lock) if isinstance(case_id, str) else None
        if row is None or not self._may_see(uow, principal, row.consumer_id, row.shop_id):
            raise AnxinError(E.CASE_NOT_FOUND, f"case {case_id!r} not found")
        return row

    @staticmethod
    def _view(repo: CaseRepository, row: CaseRow) -> CaseView:
        events = tuple(e.to_model() for e in repo.events([row.case_id]))
        evidence = tuple(e.sha256 for e in repo.evidence(row.case_id))
        return CaseView(row.to_model(), row.decision, events, evidence, row.listing_id, row.description)

    def list_cases(self, principal: Principal, *, states: list[str] | None = None, shop_id: str | None = None,
                   limit: int = 100, offset: int = 0) -> list[CaseView]:
        limit = max(1, min(limit, 500))
        with self.uow_factory() as uow:
            repo = CaseRepository(uow.session)
            kwargs: dict[str, Any] = {"states": states, "shop_id": shop_id, "limit": limit, "offset": max(0, offset)}
            if principal.role is Role.CONSUMER:
                kwargs["consumer_id"] = principal.subject
            elif principal.role is Role.MERCHANT:
                # Cases follow the shop: after a transfer the new owner sees all of them, the previous none.
                kwargs["shop_ids"] = shops.shop_ids_of_merchant(uow, principal.subject)
            return [self._view(repo, row) for row in repo.search(**kwargs)]

    # --- evidence ----------------------------------------------------------------------------------

    def upload_evidence(self, principal: Principal, data: bytes) -> EvidenceInfo:
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

    def evidence_file(self, principal: Principal, sha256: str) -> tuple[bytes, str] | None:
        """Evidence is shown to its uploader and to whoever may see a case citing it; others get nothing."""
        with self.uow_factory() as uow:
            if principal.role not in (Role.OPERATOR, Role.PLATFORM):
                uploader = self.evidence_store.uploader(uow.session, sha256)
                mine = uploader == f"{principal.role.value}:{principal.subject}"
                repo = CaseRepository(uow.session)
                if not mine and not any(self._may_see(uow, principal, row.consumer_id, row.shop_id)
                                        for row in repo.cases_citing(sha256)):
                    return None
            return self.evidence_store.read(uow.session, sha256)

    def evidence_path(self, sha256: str, content_type: str) -> Path:
        return self.evidence_store.path(sha256, content_type)

    # --- filing ------------------------------------------------------------------------------------

    @overload
    def file_case(self, principal: Principal, cmd: FileCase) -> CaseView: ...

    @overload
    def file_case(self, principal: Principal, cmd: FileCase, *,
                  request: IdempotentRequest | None) -> CaseView | Replay: ...

    def file_case(self, principal: Principal, cmd: FileCase, *,
                  request: IdempotentRequest | None = None) -> CaseView | Replay:
        """Open a case and decide it. The order's refundable balance is read and spent under the order's lock
        (``FOR UPDATE`` on PostgreSQL, the write transaction begun up front on SQLite), so concurrent filings of
        one order queue; the one-open-case-per-order index is the backstop. With an idempotency key, a retry
        answers the first response."""
        if principal.role is not Role.CONSUMER:
            raise AnxinError(E.FORBIDDEN_ROLE, "only the consumer who placed the order may file an after-sale")
        now = self.clock.now()
        rb = self.rulebooks.in_force(now)
        self._validate(cmd, rb)
        with self.uow_factory() as uow:
            uow.begin_write()
            replay = idempotency.claim(uow, request, at=now)
            if replay is not None:
                return replay
            order = self._order_for(uow, principal, cmd.order_id, lock=True)
            if order.status is OrderStatus.CANCELLED:
                raise AnxinError(E.ORDER_CANCELLED, "the order was cancelled; its payment is already returned")
            if cmd.listing_id is not None and cmd.listing_id not in {i.listing_id for i in order.items}:
                raise AnxinError(E.INVALID_FIELD, f"listing {cmd.listing_id!r} is not in this order",
                                 field="listing_id")
            repo = CaseRepository(uow.session)
            existing, recent = repo.for_order_and_consumer_since(order.order_id, order.consumer_id,
                                                                 now - dt.timedelta(days=30))
            # A rejected case only waits for an escalation; filing anew (with the right reason or a photo)
            # is the consumer's other answer to it, so it closes as superseded instead of blocking.
            rejected = [c for c in existing if c.state == m.CaseState.REJECTED.value]
            if any(m.CaseState(c.state) in m.OPEN_STATES and c not in rejected for c in existing):
                raise AnxinError(E.CASE_ALREADY_OPEN, "this order already has an open after-sale case")
            missing = set(cmd.evidence) - self.evidence_store.known(uow.session, list(cmd.evidence))
            if missing:
                raise AnxinError(E.EVIDENCE_NOT_FOUND, "upload evidence before citing it", missing=sorted(missing))
            refundable = order.paid_fen - sum(c.refunded_fen for c in existing)
            if cmd.case_type != "compensation" and cmd.amount_fen > refundable:
                raise AnxinError(E.AMOUNT_EXCEEDS_REFUNDABLE,
                                 f"amount {cmd.amount_fen} fen exceeds the refundable {refundable} fen",
                                 refundable_fen=refundable)
            if cmd.case_type == "compensation" and cmd.amount_fen > order.paid_fen:
                raise AnxinError(E.INVALID_AMOUNT, "compensation cannot exceed the amount paid")
            facts = self._facts(uow, order, cmd.listing_id)
            claim = Claim(cmd.case_type, cmd.reason, cmd.amount_fen, len(set(cmd.evidence)), cmd.unsealed)
            decision = decide(facts, claim, rb, now, refundable_fen=refundable, consumer_cases_30d=recent,
                              consumer_credit=self.credit_band(uow, order.consumer_id))
            for old in rejected:
                self._transition(uow, repo, old.to_model(), m.Action.SUPERSEDE, "consumer", principal.subject, now,
                                 self._terms(old.rulebook_version), note="", data={})
            if rejected:
                uow.session.flush()  # closed before the new case exists: one open case per order, also in the index
            case_id = new_id("as")
            decision = self._with_risk(uow, case_id, order, facts, cmd, decision, now)
            view = self._open(uow, repo, facts, cmd, decision, rb, now, case_id=case_id,
                              order_money=(order.paid_fen - refundable, _compensated(existing)))
            try:
                uow.session.flush()
            except IntegrityError as exc:  # the one-open-case index: a concurrent filing won the order
                if "aftersale_cases" not in str(exc.orig):
                    raise
                raise AnxinError(E.CASE_ALREADY_OPEN, "this order already has an open after-sale case") from None
            idempotency.record(uow, request, 201, view.as_dict())
            uow.commit()
            return view

    @staticmethod
    def _validate(cmd: FileCase, rb: Rulebook) -> None:
        if cmd.case_type not in CASE_TYPES:
            raise AnxinError(E.INVALID_CASE_TYPE, f"type must be one of {list(CASE_TYPES)}", field="type")
        if cmd.reason not in REASONS:
            raise AnxinError(E.INVALID_REASON, f"reason must be one of {list(REASONS)}", field="reason")
        if not is_fen(cmd.amount_fen) or not 0 < cmd.amount_fen <= MAX_FEN:
            raise AnxinError(E.INVALID_AMOUNT, "amount_fen must be a positive whole number of fen",
                             field="amount_fen")
        if len(cmd.evidence) > rb.max_evidence_images:
            raise AnxinError(E.TOO_MANY_EVIDENCE, f"at most {rb.max_evidence_images} evidence images")
        if len(cmd.description) > MAX_DESCRIPTION:
            raise AnxinError(E.INVALID_FIELD, f"description is longer than {MAX_DESCRIPTION}", field="description")

    def _open(self, uow: UnitOfWork, repo: CaseRepository, facts: OrderFacts, cmd: FileCase, decision: Decision,
              rb: Rulebook, now: dt.datetime, *, case_id: str, order_money: tuple[int, int]) -> CaseView:
        covered = {c.guarantee.benefit for c in coverage(facts, rb, now) if c.guarantee.benefit
                   and c.state in ("active", "pending")}
        case = m.Case(
            case_id=case_id, order_id=facts.order_id, consumer_id=facts.consumer_id, shop_id=facts.shop_id,
            merchant_id=facts.merchant_id, case_type=cmd.case_type, reason=cmd.reason, amount_fen=cmd.amount_fen,
            state=m.CaseState.PENDING_MERCHANT, opened_at=now, rulebook_version=rb.version,
            guarantee_id=decision.guarantee_id,
            merchant_response_hours=decision.merchant_response_hours or rb.deadlines.merchant_response_hours,
            compensation_multiplier=decision.compensation_multiplier,
            freight_covered="freight" in covered, pickup_covered="pickup" in covered)
        terms = m.CaseTerms(rb.deadlines, rb.freight_cap_fen)
        initial = {Outcome.PENDING_MERCHANT: m.CaseState.PENDING_MERCHANT, Outcome.REVIEW: m.CaseState.UNDER_REVIEW,
                   Outcome.REJECTED: m.CaseState.REJECTED, Outcome.APPROVED: m.CaseState.PENDING_MERCHANT}
        case = m.enter(case, initial[decision.outcome], now, terms)
        stored = decision.as_dict()
        events = [m.CaseEvent("file", "consumer", facts.consumer_id, now, None, case.state.value, cmd.description,
                              case.deadline_at, case.deadline_kind,
                              {"outcome": decision.outcome.value, "reasons": [r.as_dict() for r in decision.reasons]})]
        effects: tuple[m.Effect, ...] = ()
        if decision.outcome is Outcome.APPROVED:  # instant refund: approved by the rulebook itself
            t = self._apply(case, m.Action.MERCHANT_TIMEOUT, "system", "rulebook", now, terms, note="",
                            data={"rule": decision.guarantee_id, "version": rb.version}, event_action="auto_approve")
            case, effects = t.case, t.effects
            events.append(t.event)
        # The case is written once, in its final state, with its timeline in one batch: the filing path is the hot
        # one, and a view built from what was written needs no read back.
        repo.add(case, listing_id=cmd.listing_id, description=cmd.description, decision=stored)
        evidence = tuple(dict.fromkeys(cmd.evidence))
        repo.attach_evidence(case.case_id, list(evidence), "consumer", now, new_case=True)
        repo.add_events(case.case_id, events)
        self._enqueue(uow, case, effects, order_money)
        return CaseView(case, stored, tuple(events), evidence, cmd.listing_id, cmd.description)

    # --- acting on a case --------------------------------------------------------------------------

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
        try:
            act = m.Action(action)
        except ValueError:
            raise AnxinError(E.INVALID_ACTION, f"unknown action {action!r}") from None
        if act in m.IMPLICIT:
            raise AnxinError(E.ACTION_NOT_ALLOWED, f"{action} is taken by the system, not by people")
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()
            replay = idempotency.claim(uow, request, at=now)
            if replay is not None:
                return replay
            repo = CaseRepository(uow.session)
            row = self._case_for(uow, repo, principal, case_id, lock=True)
            missing = set(evidence) - self.evidence_store.known(uow.session, list(evidence))
            if missing:
                raise AnxinError(E.EVIDENCE_NOT_FOUND, "upload evidence before citing it", missing=sorted(missing))
            terms = self._terms(row.rulebook_version)
            before = row.state
            data = dict(data or {})
            if act is m.Action.SHIP_RETURN:
                check_return_data(data)
            case, _ = self._transition(uow, repo, row.to_model(), act, principal.role.value, principal.subject, now,
                                       terms, note=note, data=data)
            repo.attach_evidence(row.case_id, list(evidence), principal.role.value, now)
            if self.risk is not None:
                if act is m.Action.SHIP_RETURN:
                    self._assess_return(uow, repo, case, data, now)
                if before == m.CaseState.UNDER_REVIEW.value and case.state is not m.CaseState.UNDER_REVIEW:
                    self.risk.withdraw_for_case(uow, case.case_id, now)
            try:
                uow.session.flush()
            except StaleDataError:  # changed since it was read; the row lock makes this a backstop only
                raise AnxinError(E.CONCURRENT_CHANGE, "the case changed meanwhile; read it again") from None
            view = self._view(repo, repo.get(row.case_id))  # type: ignore[arg-type]
            idempotency.record(uow, request, 200, view.as_dict())
            uow.commit()
            return view

    def _terms(self, version: str) -> m.CaseTerms:
        rb = self.rulebooks.version(version)
        return m.CaseTerms(rb.deadlines, rb.freight_cap_fen)

    def _transition(self, uow: UnitOfWork, repo: CaseRepository, case: m.Case, action: m.Action, role: str,
                    actor: str, now: dt.datetime, terms: m.CaseTerms, *, note: str, data: dict[str, Any],
                    event_action: str | None = None) -> tuple[m.Case, m.CaseEvent]:
        """Apply one action to a stored case, record it and enqueue its money in the caller's transaction."""
        t = self._apply(case, action, role, actor, now, terms, note=note, data=data, event_action=event_action)
        row = repo.get(case.case_id)
        assert row is not None
        row.update_from(t.case)
        repo.add_event(case.case_id, t.event)
        order_money = repo.order_money(case.order_id, excluding=case.case_id) if any(
            e.kind in ("refund", "compensation") for e in t.effects) else None
        self._enqueue(uow, t.case, t.effects, order_money)
        return t.case, t.event

    @staticmethod
    def _apply(case: m.Case, action: m.Action, role: str, actor: str, now: dt.datetime, terms: m.CaseTerms, *,
               note: str, data: dict[str, Any], event_action: str | None = None) -> m.Transition:
        try:
            t = m.apply(case, action, actor_role=role, actor_id=actor, at=now, terms=terms, note=note, data=data)
        except m.TransitionError as exc:
            raise AnxinError(E(exc.code), str(exc)) from None
        if event_action is None:
            return t
        return replace(t, event=replace(t.event, action=event_action))

    def _enqueue(self, uow: UnitOfWork, case: m.Case, effects: tuple[m.Effect, ...],
                 order_money: tuple[int, int] | None) -> None:
        """The money of a transition, to the outbox in the same transaction. ``order_money``: what the order's
        other cases have refunded and compensated, where a refund's or compensation's step starts."""
        for effect in effects:
            outbox.enqueue(uow, clock=self.clock, kind=MONEY_KINDS[effect.kind],
                           idempotency_key=money_key(case, effect.kind, order_money), amount_fen=effect.amount_fen,
                           subject_ref=case.case_id, payload={
                               "case_id": case.case_id, "order_id": case.order_id, "consumer_id": case.consumer_id,
                               "shop_id": case.shop_id, "amount_fen": effect.amount_fen, "currency": "CNY",
                               "reason": case.reason, "guarantee": case.guarantee_id,
                               "rulebook_version": case.rulebook_version, **effect.detail})

    # --- the clock ---------------------------------------------------------------------------------

    def tick(self, now: dt.datetime | None = None, *, batch: int = 500) -> TickReport:
        """Apply every deadline that has passed at ``now``. Each case in its own transaction; safe to rerun, also
        beside another tick (the case is locked and its state read again under the lock). A case that fails is
        recorded for operators and retried with backoff on later ticks; the others go on."""
        now = now or self.clock.now()
        report = TickReport(now)
        run = self.jobs.start(DEADLINE_JOB, now) if self.jobs is not None else None
        while True:
            with self.uow_factory() as uow:
                due = CaseRepository(uow.session).due(now, batch, excluding=run.waiting_items() if run else set())
            if not due:
                return report
            progressed = 0
            for case_id in due:
                if run is None:
                    action = self._fire_deadline(case_id, now)
                else:
                    action = None
                    with run.item(case_id):
                        action = self._fire_deadline(case_id, now)
                    if run.waiting(case_id):
                        report.errors += 1
                        progressed += 1  # set aside until its retry: the next batch is new work
                if action is not None:
                    report.actions[action.value] = report.actions.get(action.value, 0) + 1
                    progressed += 1
            if progressed == 0:
                return report

    def _fire_deadline(self, case_id: str, now: dt.datetime) -> m.Action | None:
        with self.uow_factory() as uow:
            repo = CaseRepository(uow.session)
            row = repo.get(case_id, lock=True)
            if row is None:
                return None
            case = row.to_model()
            action = m.timeout_action(case, now)  # read again under the lock: a merchant may have answered
            if action is None:
                return None
            terms = self._terms(case.rulebook_version)
            self._transition(uow, repo, case, action, "system", "clock", now, terms, note="",
                             data={"rule": f"deadlines.{case.deadline_kind}", "version": case.rulebook_version,
                                   "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None})
            uow.commit()
            return action

    def stats(self) -> dict[str, int]:
        with self.uow_factory() as uow:
            return CaseRepository(uow.session).state_counts()


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


def _compensated(cases: list[CaseRow]) -> int:
    return sum(c.compensated_fen for c in cases)


def _parcel_problem(uow: UnitOfWork, order_id: str) -> str:
    """The fulfilment finding that makes the parcel count as not received, as the rulebook's fact value."""
    finding = fulfilment.parcel_problem(uow, order_id)
    if finding is None:
        return ""
    if finding.kind == "parcel.exception":
        return str(finding.evidence.get("status", "lost"))
    return "stalled" if finding.kind == "parcel.stalled" else "no_carrier_scan"
