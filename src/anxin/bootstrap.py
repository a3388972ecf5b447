"""The composition root: one place that wires engine, clock, rulebooks and services together.

Tests call ``bootstrap`` with a FixedClock, a SQLite file and a recording webhook transport: fakes,
not mocks. The CLI and the server call it with the real ones.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa

from anxin.access.service import AccessService
from anxin.actions.service import ActionService, delivered_action
from anxin.aftersales.events import CaseRejected
from anxin.aftersales.evidence import EvidenceStore
from anxin.aftersales.rulebook import RulebookSet, load_rulebooks
from anxin.aftersales.service import AfterSalesService
from anxin.care import service as care_service
from anxin.care.companion import Companion, about_an_order
from anxin.care.companion_ops import OutreachDesk
from anxin.care.companion_rules import load_companion_rules
from anxin.care.events import ConsultationOpened, ConsultationReceived, MessageReceived
from anxin.care.routing import IntentRouter, load_router
from anxin.care.routing_port import Router
from anxin.care.routing_rules import load_routing_rules
from anxin.care.service import Care, care_for, ratings_by_order
from anxin.care.sla_rules import load_care_rules
from anxin.catalog.events import ListingUpserted
from anxin.core.clock import Clock, SystemClock
from anxin.core.messagebus import HandlerTable, MessageBus, ProcessReport, Subscription
from anxin.db import migrate
from anxin.db.domain_events import DomainEventLog
from anxin.db.engine import make_engine
from anxin.db.uow import UnitOfWork, UowFactory, uow_factory_for
from anxin.fulfilment.events import FakeShipmentFound, LateShipmentRecorded, OversellingFound, ParcelTroubleFound
from anxin.fulfilment.service import FulfilmentService
from anxin.governance.events import ViolationRecorded, ViolationReversed
from anxin.governance.findings import late_with_points, risky_cause
from anxin.governance.rulebook import load_governance_rulebook
from anxin.governance.service import Governance, governance_for
from anxin.idempotency import service as idempotency
from anxin.ingest.service import IngestionService
from anxin.jobs.service import JobFailures, Outcome
from anxin.merchants.rulebook import load_merchant_rulebook
from anxin.merchants.service import Merchants, merchants_for
from anxin.orders.events import BadReviewReceived
from anxin.orders.fulfilment_rules import FulfilmentRulebook, load_fulfilment_rulebook
from anxin.outbox.events import MessageDelivered
from anxin.outbox.service import OutboxService
from anxin.outbox.transport import HttpxTransport, WebhookTransport
from anxin.reports.service import Reports
from anxin.reports.snapshots import care_facts_from
from anxin.risk.events import ReviewDecided, ShopBlocked, ShopUnblocked
from anxin.risk.rule_admin import RuleAdministration
from anxin.risk.rulebook import load_risk_rulebook
from anxin.risk.service import RiskService
from anxin.scoring.deductions import DeductionService
from anxin.scoring.service import ScoringService
from anxin.settings import Settings
from anxin.warehouse import OperationalFacts
from anxin.worker.model import DELIVERY_LANE, NIGHTLY_LANE, Job
from anxin.worryfree.enrolment import Enrolments
from anxin.worryfree.events import LotPassed, LotReceived, LotRejected, StockDepleted
from anxin.worryfree.inspections import Inspections
from anxin.worryfree.lucky_bags import LuckyBags
from anxin.worryfree.service import WorryFree
from anxin.worryfree.tags import Tags


@dataclass
class Anxin:
    settings: Settings
    engine: sa.Engine
    clock: Clock
    uow_factory: UowFactory
    rulebooks: RulebookSet
    fulfilment_rules: FulfilmentRulebook
    access: AccessService
    ingestion: IngestionService
    aftersales: AfterSalesService
    outbox: OutboxService
    fulfilment: FulfilmentService
    scoring: ScoringService
    deductions: DeductionService
    risk: RiskService
    risk_rules: RuleAdministration
    merchants: Merchants
    jobs: JobFailures
    bus: MessageBus[UnitOfWork]
    actions: ActionService
    governance: Governance
    care: Care
    companion: Companion  # the 30-day companion's event handlers and expiry (the lead may fold it into Anxin.care)
    outreach: OutreachDesk  # the operators' outreach queue, moves and effect report
    reports: Reports
    inspections: Inspections  # 无忧服务 inbound inspection: plans on receipt, per-unit results, lot verdicts
    worryfree: WorryFree  # 无忧服务: checkout reservations, stock, the hold-expiry job
    wf_tags: Tags  # 无忧服务: the worry-free tag, evaluated by rule (job worryfree.tags), its history
    wf_enrolments: Enrolments  # 无忧服务: enrolment decisions, the shops' violations read model
    lucky_bags: LuckyBags  # 无忧福袋: campaigns, entries, draws, prize orders (wf-bags)

    def schedule(self) -> list[Job]:
        """The periodic jobs ``anxin worker`` runs. Leased ones run in one worker at a time (``worker_leases``);
        the others in every worker at once, their rows carrying per-row leases. A job of the ``deliver`` lane is
        never held up by one of the others (each lane is a thread). Domain events are handled in the delivery lane
        too, by every worker at once: each event carries a lease of its own, like an outbox row."""
        return [
            Job("outbox.deliver", self.outbox.deliver_due, leased=False, lane=DELIVERY_LANE, skip_waiting=False),
            Job("events.handle", self.process_events, leased=False, lane=DELIVERY_LANE, skip_waiting=False),
            Job("aftersales.deadlines", self.aftersales.tick),
            Job("fulfilment.check", self.fulfilment.check_due),
            Job("merchants.graduate", self.merchants.lifecycle.graduate_due),
            Job("merchants.settle", self.merchants.settlement.settle_pending),
            Job("merchants.expire_invitations", self.merchants.matchmaking.expire_due),
            Job("governance.expire", self.governance.violations.expire_due),
            Job("governance.ip_lapse", self.governance.ip.lapse_due),
            Job("care.sla", self.care.sla.check_due),
            Job("care.outreach_expire", self.companion.expire_due),
            Job("worryfree.expire_holds", self.worryfree.expire_holds),
            Job("worryfree.tags", self.wf_tags.run_due),
            Job("idempotency.purge", lambda: idempotency.purge(self.uow_factory, now=self.clock.now()), every=300),
            Job("scoring.nightly", self.scoring.run_due, every=60, lane=NIGHTLY_LANE),  # once a local day
        ]

    def tick(self, at: dt.datetime | None = None) -> dict[str, Any]:
        """Run every periodic job once, then deliver what the outbox holds (``anxin tick``, the simulator): one
        synchronous round, without leases. ``anxin worker`` runs the same jobs from ``schedule``."""
        report = self.run_jobs(at)
        delivery = self.deliver()
        return {**report, **delivery, "failed_jobs": {**report["failed_jobs"], **delivery["failed_jobs"]}}

    def run_jobs(self, at: dt.datetime | None = None) -> dict[str, Any]:
        """Fire due deadlines, judge due orders, graduate novices, settle. Each job runs isolated: one that raises
        is recorded in job_failures (item ``*``), skipped while it backs off, and the others still run."""
        run = self.jobs.run_job
        cases = run("aftersales.deadlines", lambda: self.aftersales.tick(at))
        now = cases.value.at if cases.value is not None else at or self.clock.now()
        checked = run("fulfilment.check", lambda: self.fulfilment.check_due(now))
        graduated = run("merchants.graduate", self.merchants.lifecycle.graduate_due)
        settled = run("merchants.settle", self.merchants.settlement.settle_pending)
        invitations = run("merchants.expire_invitations", lambda: self.merchants.matchmaking.expire_due(now))
        purged = run("idempotency.purge", lambda: idempotency.purge(self.uow_factory, now=now))
        expired = run("governance.expire", lambda: self.governance.violations.expire_due(now))
        lapsed = run("governance.ip_lapse", lambda: self.governance.ip.lapse_due(now))
        care_sla = run("care.sla", lambda: self.care.sla.check_due(now))
        outreach = run("care.outreach_expire", lambda: self.companion.expire_due(now))
        holds = run("worryfree.expire_holds", lambda: self.worryfree.expire_holds(now))
        wf_tags = run("worryfree.tags", lambda: self.wf_tags.run_due(now))
        handled = run("events.handle", self.process_events, skip_waiting=False)
        return {"at": now.isoformat(), "case_actions": cases.value.actions if cases.value is not None else {},
                "fulfilment": checked.value.as_dict() if checked.value is not None else None,
                "merchants": {"graduated": graduated.value or 0, "invitations_expired": invitations.value or 0,
                              "settled": settled.value.as_dict() if settled.value is not None else None},
                "events": handled.value.as_dict() if handled.value is not None else None,
                "governance": {**(expired.value or {}), "ip_complaints_lapsed": lapsed.value or 0},
                "care": {**(care_sla.value.as_dict() if care_sla.value is not None else {}),
                         "outreach_expired": outreach.value or 0},
                "worryfree": {"holds_expired": holds.value or 0, "tags_evaluated": wf_tags.value or 0},
                "failed_jobs": _failed({"aftersales.deadlines": cases, "fulfilment.check": checked,
                                        "merchants.graduate": graduated, "merchants.settle": settled,
                                        "merchants.expire_invitations": invitations,
                                        "idempotency.purge": purged, "governance.expire": expired,
                                        "governance.ip_lapse": lapsed, "care.sla": care_sla,
                                        "care.outreach_expire": outreach, "worryfree.expire_holds": holds,
                                        "worryfree.tags": wf_tags,
                                        "events.handle": handled})}

    def process_events(self, limit: int = 500) -> ProcessReport:
        """Handle due domain events: those inline handling missed (a crash, a failing handler) and retries."""
        report = ProcessReport()
        while True:
            batch = self.bus.process_due(limit)
            report.add(batch)
            if batch.handled + batch.failed + batch.dead < limit:
                return report

    def deliver(self) -> dict[str, Any]:
        """Deliver the outbox. Never waits on, nor is skipped because of, another job."""
        outcome = self.jobs.run_job("outbox.deliver", self.outbox.deliver_due, skip_waiting=False)
        d = outcome.value
        return {"delivered": d.delivered if d else 0, "failed": d.failed if d else 0, "dead": d.dead if d else 0,
                "failed_jobs": _failed({"outbox.deliver": outcome})}


def _failed(outcomes: dict[str, Outcome[Any]]) -> dict[str, str]:
    """Jobs that raised this time or are still backing off from it: their error."""
    return {job: o.failure.error for job, o in outcomes.items() if o.failure is not None}


@functools.cache
def _shipped_router() -> IntentRouter:
    """The packaged routing rulebook and shipped model, loaded once per process (about 0.1 s)."""
    return load_router()


def bootstrap(*, settings: Settings | None = None, clock: Clock | None = None, engine: sa.Engine | None = None,
              transport: WebhookTransport | None = None, run_migrations: bool = True,
              wall_clock: Clock | None = None, care_router: Router | None = None) -> Anxin:
    settings = settings or Settings()
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url, workers=settings.workers)
    if run_migrations:
        migrate.upgrade(engine)
    uow_factory = uow_factory_for(engine)
    rulebooks = load_rulebooks(list(settings.rulebook_paths) or None)
    fulfilment_rules = load_fulfilment_rulebook()
    # An injected in-process receiver (the simulator's platform) may name itself as the default endpoint.
    webhook_url = settings.webhook_url or getattr(transport, "default_url", None)
    if transport is None:
        transport = HttpxTransport()
    jobs = JobFailures(uow_factory=uow_factory, clock=clock)
    # Webhooks are signed with the time of sending, whatever the business clock says (`anxin tick --at`).
    lease = dt.timedelta(seconds=settings.delivery_lease_seconds)
    outbox = OutboxService(uow_factory=uow_factory, clock=clock, transport=transport,
                           wall_clock=wall_clock or SystemClock(), lease=lease)
    if webhook_url:  # the configured receiver is the default endpoint, kept in step on every start
        outbox.endpoints.ensure_configured(webhook_url, settings.signing_secret())
    scoring = ScoringService(uow_factory=uow_factory, clock=clock, facts=OperationalFacts(engine))
    deductions = DeductionService(uow_factory=uow_factory, clock=clock, rules=scoring.rules,
                                  visible_shop=scoring.visible_shop)
    risk = RiskService(uow_factory=uow_factory, clock=clock, rulebook=load_risk_rulebook(settings.risk_rulebook),
                       mode=settings.risk_mode)
    risk_rules = RuleAdministration(uow_factory=uow_factory, clock=clock, rulebook=risk.rulebook, mode=risk.mode,
                                    effective=risk.effective_rules)
    merchants = merchants_for(uow_factory=uow_factory, clock=clock,
                              rulebook=load_merchant_rulebook(settings.merchant_rulebook))
    aftersales = AfterSalesService(uow_factory=uow_factory, clock=clock, rulebooks=rulebooks,
                                   evidence_store=EvidenceStore(settings.evidence_dir),
                                   credit_band=scoring.consumer_band, risk=risk, jobs=jobs)
    actions = ActionService(uow_factory=uow_factory, clock=clock,
                            ack_timeout=dt.timedelta(minutes=settings.action_ack_minutes))
    governance = governance_for(uow_factory=uow_factory, clock=clock, rulebook=load_governance_rulebook(),
                                deduct_deposit=merchants.money.deduct_penalty,
                                refund_deposit=merchants.money.refund_penalty)
    # The intent router (routing rulebook + the shipped character n-gram model); tests may inject a fake.
    router = care_router or _shipped_router()
    care = care_for(uow_factory=uow_factory, clock=clock, router=router, jobs=jobs)
    companion_rules = load_companion_rules()
    companion = Companion(uow_factory=uow_factory, clock=clock, rules=companion_rules)
    wf_tags = Tags(uow_factory=uow_factory, clock=clock)
    wf_enrolments = Enrolments(uow_factory=uow_factory, clock=clock, tags=wf_tags)
    inspections = Inspections(uow_factory=uow_factory, clock=clock)
    bus: MessageBus[UnitOfWork] = MessageBus(
        table=handler_table(aftersales=aftersales, actions=actions, governance=governance, care=care,
                            companion=companion, wf_tags=wf_tags, wf_enrolments=wf_enrolments,
                            inspections=inspections),
        uow_factory=uow_factory,
        event_log=DomainEventLog(), clock=clock, inline=settings.inline_events, lease=lease)
    uow_factory.publisher = bus
    reports = Reports(uow_factory=uow_factory, clock=clock,
                      snapshot_dir=settings.evidence_dir.parent / "report-snapshots",
                      rulebook_versions=rulebook_versions({
                          "guarantees": rulebooks.in_force, "fulfilment": _fixed(fulfilment_rules),
                          "risk": _fixed(risk.rulebook), "scores": _fixed(scoring.rules),
                          "merchants": _fixed(merchants.rulebook), "governance": _fixed(governance.rulebook),
                          "care": _fixed(load_care_rules()), "care_routing": _fixed(load_routing_rules()),
                          "care_companion": _fixed(companion_rules)}),
                      care_facts=care_facts_from({"consultations": care_service.export_consultations_query,
                                                  "tickets": care_service.export_tickets_query,
                                                  "satisfaction": care_service.export_satisfaction_query}))
    return Anxin(
        settings=settings, engine=engine, clock=clock, uow_factory=uow_factory, rulebooks=rulebooks,
        fulfilment_rules=fulfilment_rules, access=AccessService(
            uow_factory=uow_factory, clock=clock, failure_limit=settings.auth_failure_limit,
            failure_window=dt.timedelta(seconds=settings.auth_failure_window_seconds),
            link_lifetime=dt.timedelta(minutes=settings.login_link_minutes)),
        ingestion=IngestionService(uow_factory=uow_factory, clock=clock, fulfilment_rules=fulfilment_rules,
                                   shop_credentials=risk.assess_shop, time_min=settings.time_min,
                                   future_horizon=dt.timedelta(days=settings.future_horizon_days)),
        aftersales=aftersales,
        outbox=outbox,
        fulfilment=FulfilmentService(uow_factory=uow_factory, clock=clock, rules=fulfilment_rules, jobs=jobs),
        scoring=scoring,
        deductions=deductions,
        risk=risk,
        risk_rules=risk_rules,
        merchants=merchants,
        jobs=jobs,
        bus=bus,
        actions=actions,
        governance=governance,
        care=care,
        reports=reports,
        companion=companion,
        inspections=inspections,
        outreach=OutreachDesk(uow_factory=uow_factory, clock=clock, rules=companion_rules,
                              satisfaction=ratings_by_order),
        worryfree=WorryFree(uow_factory=uow_factory, clock=clock, fulfilment=fulfilment_rules),
        wf_tags=wf_tags,
        wf_enrolments=wf_enrolments,
        lucky_bags=LuckyBags(uow_factory=uow_factory, clock=clock, fulfilment=fulfilment_rules),
    )


class _Versioned(Protocol):
    @property
    def version(self) -> str: ...
    @property
    def effective_from(self) -> dt.datetime: ...


def _fixed(book: _Versioned) -> Callable[[dt.datetime], _Versioned]:
    """A context that loads one rulebook version: that version, whatever the instant."""
    return lambda at: book


def rulebook_versions(loaders: Mapping[str, Callable[[dt.datetime], _Versioned]]
                      ) -> Callable[[dt.datetime], dict[str, str]]:
    """The rulebook versions in force at an instant, by kind, asked of each context's loaded rulebook(s): what the
    service report names. A version that takes effect only after the instant is named as such."""
    def at(instant: dt.datetime) -> dict[str, str]:
        out = {}
        for kind, book_at in loaders.items():
            book = book_at(instant)
            out[kind] = book.version if book.effective_from <= instant else \
                f"{book.version} (effective {book.effective_from.isoformat()}, after this instant)"
        return out
    return at


def handler_table(*, aftersales: AfterSalesService, actions: ActionService, governance: Governance,
                  care: Care, companion: Companion, wf_tags: Tags, wf_enrolments: Enrolments,
                  inspections: Inspections) -> HandlerTable:
    """Who reacts to which domain event: the one table of the message bus (docs/architecture.md is generated
    from it). Handlers run in this order, each in its own transaction, at least once and idempotently."""
    return HandlerTable([
        Subscription(ReviewDecided, aftersales.settle_risk_review, "aftersales.settle_risk_review", "aftersales"),
        Subscription(ShopBlocked, actions.restrict_blocked_shop, "actions.restrict_blocked_shop", "actions"),
        Subscription(ShopUnblocked, actions.lift_unblocked_shop, "actions.lift_unblocked_shop", "actions"),
        Subscription(MessageDelivered, actions.record_delivery, "actions.record_delivery", "actions",
                     when=delivered_action),
        Subscription(FakeShipmentFound, governance.findings.fake_shipment, "governance.fake_shipment",
                     "governance"),
        Subscription(OversellingFound, governance.findings.overselling, "governance.overselling", "governance"),
        Subscription(LateShipmentRecorded, governance.findings.late_shipment, "governance.late_shipment",
                     "governance", when=late_with_points),
        Subscription(ShopBlocked, governance.findings.risky_merchant, "governance.risky_merchant", "governance",
                     when=risky_cause),
        Subscription(ShopUnblocked, governance.findings.risky_merchant_cleared, "governance.risky_merchant_cleared",
                     "governance"),
        Subscription(ListingUpserted, governance.listings.on_listing_upserted, "governance.check_listing",
                     "governance"),
        Subscription(ConsultationReceived, care.consultations.route_received, "care.route_consultation", "care"),
        Subscription(MessageReceived, care.tickets.apply_received, "care.apply_message", "care"),
        Subscription(LateShipmentRecorded, companion.on_late_shipment, "care.outreach_late_shipment", "care"),
        Subscription(ParcelTroubleFound, companion.on_parcel_trouble, "care.outreach_parcel_trouble", "care"),
        Subscription(CaseRejected, companion.on_case_rejected, "care.outreach_case_rejected", "care"),
        Subscription(BadReviewReceived, companion.on_bad_review, "care.outreach_bad_review", "care"),
        Subscription(ConsultationOpened, companion.on_consultation, "care.outreach_contacts", "care",
                     when=about_an_order),
        # worryfree, enrolment and tag (H3): the shops' violations read model; a listing's stock changes re-tag it
        Subscription(ViolationRecorded, wf_enrolments.on_violation_recorded, "worryfree.note_violation", "worryfree"),
        Subscription(ViolationReversed, wf_enrolments.on_violation_reversed, "worryfree.note_reversal", "worryfree"),
        Subscription(LotPassed, wf_tags.on_stock_changed, "worryfree.retag_lot_passed", "worryfree"),
        Subscription(StockDepleted, wf_tags.on_stock_changed, "worryfree.retag_stock_depleted", "worryfree"),
        # worry-free inbound inspection (H2): a plan per received lot; a rejected lot may be a violation
        Subscription(LotReceived, inspections.on_lot_received, "worryfree.plan_inspection", "worryfree"),
        Subscription(LotRejected, governance.findings.worry_free_lot_rejected, "governance.worry_free_lot_rejected",
                     "governance"),
    ])
