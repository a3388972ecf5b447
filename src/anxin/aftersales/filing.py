"""Filing an after-sale: a consumer opens a case on their order and the rulebook (and risk) decide it at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import overload

from sqlalchemy.exc import IntegrityError

from anxin.aftersales import model as m
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.events import RULEBOOK_REJECTED
from anxin.aftersales.evidence import EvidenceStore
from anxin.aftersales.policy import Claim, Decision, OrderFacts, Outcome, Reason, coverage, decide
from anxin.aftersales.reading import CaseView, order_facts, order_for
from anxin.aftersales.rulebook import CASE_TYPES, REASONS, Rulebook, RulebookSet
from anxin.aftersales.store import CaseRepository, CaseRow
from anxin.aftersales.transitions import CaseTransitions, apply_action, rejected_event
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.money import MAX_FEN, is_fen
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.idempotency import service as idempotency
from anxin.idempotency.service import IdempotentRequest, Replay
from anxin.orders.service import Order, OrderStatus
from anxin.risk.service import ClaimInput, RiskService

MAX_DESCRIPTION = 2000


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


class CaseFiling:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebooks: RulebookSet,
                 evidence_store: EvidenceStore, transitions: CaseTransitions,
                 credit_band: Callable[[UnitOfWork, str], str] | None = None,
                 risk: RiskService | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rulebooks = rulebooks
        self.evidence_store = evidence_store
        self.transitions = transitions
        # The consumer's credit band from the scoring context (its service, injected by bootstrap), read in the
        # filing's own transaction: one request, one connection.
        self.credit_band = credit_band or (lambda uow, consumer_id: "unscored")
        # Risk verdicts in the decision path: an instant refund only on pass; review and block go to the
        # operators' risk queue. None (tests of after-sales alone) means no risk control.
        self.risk = risk

    @overload
    def __call__(self, principal: Principal, cmd: FileCase) -> CaseView: ...

    @overload
    def __call__(self, principal: Principal, cmd: FileCase, *,
                 request: IdempotentRequest | None) -> CaseView | Replay: ...

    def __call__(self, principal: Principal, cmd: FileCase, *,
                 request: IdempotentRequest | None = None) -> CaseView | Replay:
        """Open a case and decide it. The order's refundable balance is read and spent under the order's lock
        (``FOR UPDATE`` on PostgreSQL, the write transaction begun up front on SQLite), so concurrent filings of
        one order queue; the one-open-case-per-order index is the backstop. With an idempotency key, a retry
        answers the first response."""
        if principal.role is not Role.CONSUMER:
            raise AnxinError(E.FORBIDDEN_ROLE, "only the consumer who placed the order may file an after-sale")
        now = self.clock.now()
        rb = self.rulebooks.in_force(now)
        _validate(cmd, rb)
        with self.uow_factory() as uow:
            uow.begin_write()
            # Without a key there is nothing to claim or record (and no response to serialise for it).
            replay = idempotency.claim(uow, request, at=now) if request is not None else None
            if replay is not None:
                return replay
            order = order_for(uow, principal, cmd.order_id, lock=True)
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
            if cmd.evidence:  # cited images must have been uploaded; a filing citing none has nothing to look up
                missing = set(cmd.evidence) - self.evidence_store.known(uow.session, list(cmd.evidence))
                if missing:
                    raise AnxinError(E.EVIDENCE_NOT_FOUND, "upload evidence before citing it",
                                     missing=sorted(missing))
            refundable = order.paid_fen - sum(c.refunded_fen for c in existing)
            if cmd.case_type != "compensation" and cmd.amount_fen > refundable:
                raise AnxinError(E.AMOUNT_EXCEEDS_REFUNDABLE,
                                 f"amount {cmd.amount_fen} fen exceeds the refundable {refundable} fen",
                                 refundable_fen=refundable)
            if cmd.case_type == "compensation" and cmd.amount_fen > order.paid_fen:
                raise AnxinError(E.INVALID_AMOUNT, "compensation cannot exceed the amount paid")
            facts = order_facts(uow, order, cmd.listing_id)
            claim = Claim(cmd.case_type, cmd.reason, cmd.amount_fen, len(set(cmd.evidence)), cmd.unsealed)
            decision = decide(facts, claim, rb, now, refundable_fen=refundable, consumer_cases_30d=recent,
                              consumer_credit=self.credit_band(uow, order.consumer_id))
            for old in rejected:
                self.transitions.transition(uow, repo, old.to_model(), m.Action.SUPERSEDE, "consumer",
                                            principal.subject, now, self.transitions.terms(old.rulebook_version),
                                            note="", data={})
            if rejected:
                uow.session.flush()  # closed before the new case exists: one open case per order, also in the index
            case_id = new_id("as")
            decision = _with_risk(self.risk, uow, case_id, order, cmd, decision, now)
            view = self._open(uow, repo, facts, cmd, decision, rb, now, case_id=case_id,
                              order_money=(order.paid_fen - refundable, _compensated(existing)))
            try:
                uow.session.flush()
            except IntegrityError as exc:  # the one-open-case index: a concurrent filing won the order
                if "aftersale_cases" not in str(exc.orig):
                    raise
                raise AnxinError(E.CASE_ALREADY_OPEN, "this order already has an open after-sale case") from None
            if request is not None:
                idempotency.record(uow, request, 201, view.as_dict())
            uow.commit()
            return view

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
        filed, case = case, m.enter(case, initial[decision.outcome], now, terms)
        stored = decision.as_dict()
        events = [m.CaseEvent("file", "consumer", facts.consumer_id, now, None, case.state.value, cmd.description,
                              case.deadline_at, case.deadline_kind,
                              {"outcome": decision.outcome.value, "reasons": [r.as_dict() for r in decision.reasons]})]
        effects: tuple[m.Effect, ...] = ()
        if decision.outcome is Outcome.APPROVED:  # instant refund: approved by the rulebook itself
            t = apply_action(case, m.Action.MERCHANT_TIMEOUT, "system", "rulebook", now, terms, note="",
                             data={"rule": decision.guarantee_id, "version": rb.version}, event_action="auto_approve")
            case, effects = t.case, t.effects
            events.append(t.event)
        # The case is written once, in its final state, with its timeline in one batch: the filing path is the hot
        # one, and a view built from what was written needs no read back.
        repo.add(case, listing_id=cmd.listing_id, description=cmd.description, decision=stored)
        evidence = tuple(dict.fromkeys(cmd.evidence))
        repo.attach_evidence(case.case_id, list(evidence), "consumer", now, new_case=True)
        repo.add_events(case.case_id, events)
        self.transitions.enqueue(uow, case, effects, order_money)
        if (rejected := rejected_event(filed, case, now, reason=RULEBOOK_REJECTED)) is not None:
            uow.record(rejected)
        return CaseView(case, stored, tuple(events), evidence, cmd.listing_id, cmd.description)


def _validate(cmd: FileCase, rb: Rulebook) -> None:
    if cmd.case_type not in CASE_TYPES:
        raise AnxinError(E.INVALID_CASE_TYPE, f"type must be one of {list(CASE_TYPES)}", field="type")
    if cmd.reason not in REASONS:
        raise AnxinError(E.INVALID_REASON, f"reason must be one of {list(REASONS)}", field="reason")
    # An exchange moves no money, so it may claim 0 fen: how a zero-price order (a lucky-bag prize) gets its
    # defective goods replaced, with the same guarantees as a paid order.
    least = 0 if cmd.case_type == "exchange" else 1
    if not is_fen(cmd.amount_fen) or not least <= cmd.amount_fen <= MAX_FEN:
        raise AnxinError(E.INVALID_AMOUNT, "amount_fen must be a positive whole number of fen",
                         field="amount_fen")
    if len(cmd.evidence) > rb.max_evidence_images:
        raise AnxinError(E.TOO_MANY_EVIDENCE, f"at most {rb.max_evidence_images} evidence images")
    if len(cmd.description) > MAX_DESCRIPTION:
        raise AnxinError(E.INVALID_FIELD, f"description is longer than {MAX_DESCRIPTION}", field="description")


def _with_risk(risk: RiskService | None, uow: UnitOfWork, case_id: str, order: Order, cmd: FileCase,
              decision: Decision, now: dt.datetime) -> Decision:
    """Ask risk for its verdict; anything but pass sends a request the rulebook would pay or hand to the
    merchant to the operators' review instead, with risk's reasons next to the guarantee's."""
    if risk is None:
        return decision
    assessment = risk.assess_claim(uow, ClaimInput(
        case_id=case_id, order_id=order.order_id, consumer_id=order.consumer_id, shop_id=order.shop_id,
        case_type=cmd.case_type, reason=cmd.reason, amount_fen=cmd.amount_fen,
        evidence=tuple(dict.fromkeys(cmd.evidence)), description=cmd.description, signed_at=order.signed_at,
        at=now, returns_refused_90d=CaseRepository(uow.session).returns_refused(
            order.consumer_id, since=now - dt.timedelta(days=90), until=now)),
        open_review=decision.outcome is not Outcome.REJECTED)
    summary = assessment.summary()
    stored_facts = {**decision.facts, "risk_verdict": assessment.verdict.outcome.value}
    if assessment.review_id is None:
        return replace(decision, facts=stored_facts, risk=summary)
    reasons = tuple(Reason(h.code, h.rule, assessment.verdict.rulebook_version,
                           {"action": h.action.value, "message": dict(h.message), "compared": list(h.compared)})
                    for h in assessment.verdict.hits)
    return replace(decision, outcome=Outcome.REVIEW, reasons=decision.reasons + reasons, facts=stored_facts,
                   risk={**summary, "route_without_risk": decision.outcome.value})


def _compensated(cases: list[CaseRow]) -> int:
    return sum(c.compensated_fen for c in cases)
