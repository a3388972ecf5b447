"""The one list of anxin's bounded contexts, bottom to top, and the layer of every module in each.

``.importlinter`` is generated from it (``python -m tools.contracts``; a test fails when the file is stale), and so
is the context map in ``docs/architecture.md``. Three rules follow from the list:

- a context uses only the contexts listed before it (the graph between contexts is acyclic by construction);
  a published event module (``events``) is the one thing any context may import from any other;
- another context is reached only through its published modules, never its store, model or pages: ``service``
  (the calls, in the caller's unit of work, and the types they take and return), ``events`` (the facts it
  publishes) and, where another context's pure code must compute with its rules, ``published`` (pure value types
  and functions only: the orders context's promise, fulfilment rulebook and scans, used by fulfilment's detectors);
- every module of a context sits in one of its layers — interface → use cases → adapters → pure — and the pure
  layer touches no database, web or network.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

# The module names other contexts may import (the last part of the dotted name).
PUBLISHED = ("service", "events", "published")


@dataclass(frozen=True)
class Context:
    name: str
    summary: str
    interface: tuple[str, ...] = ()  # api, pages: HTTP and HTML, thin
    use_cases: tuple[str, ...] = ("service",)  # the only modules that commit
    adapters: tuple[str, ...] = ("store",)  # SQLAlchemy rows and repositories, transports
    pure: tuple[str, ...] = ("model",)  # dataclasses, policies, rulebooks, events, error codes
    # Finer order inside a sub-package: (package, layers top to bottom; "a | b" are independent siblings).
    inner: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def modules(self) -> tuple[str, ...]:
        return self.interface + self.use_cases + self.adapters + self.pure


CONTEXTS: tuple[Context, ...] = (
    Context("shops", "the shop registry: the shops the platform describes and who owns them; every context reads it",
            pure=("model", "payloads")),
    Context("access", "API keys, login links and page sessions: who is calling",
            pure=("model", "error_codes")),
    Context("jobs", "periodic jobs' failing items, recorded, retried with backoff, shown to operators",
            interface=("api", "api_models", "pages")),
    Context("idempotency", "Idempotency-Key on money-moving calls: the same key and body answer the first response",
            pure=("model", "error_codes")),
    Context("outbox", "money and actions to the platform, written with the state change, sent as signed webhooks",
            interface=("api", "api_models", "pages", "receiver"), use_cases=("service", "delivery", "endpoints"),
            adapters=("store", "delivery_store", "transport"), pure=("model", "events", "signing", "error_codes")),
    Context("catalog", "category tree with per-category tags, and listings", pure=("model", "payloads", "events")),
    Context("audience", "consumers' accounts and viewers' feedback on creators' content", pure=("model", "payloads")),
    Context("orders", "orders, shipments, tracking scans, sign-off and reviews",
            adapters=("store", "stats_store"),
            pure=("model", "events", "payloads", "promise", "fulfilment_rules", "published")),
    Context("risk", "signals, verdicts, reviews and rings against after-sales abuse and fraud",
            interface=("api", "api_models", "pages", "console"),
            use_cases=("service", "rule_admin", "ring_batch", "signals", "backtest"),
            adapters=("store", "review_store", "gad_tables"),
            pure=("model", "events", "rulebook", "phash", "hash_index", "gad", "rings", "ring_groups",
                  "error_codes")),
    Context("scoring", "merchant experience, creator reputation and consumer credit scores, deductions",
            interface=("api", "api_models", "pages"), use_cases=("service", "deductions"),
            adapters=("store", "engines", "synthetic"),
            pure=("model", "rulebook", "rulebook_models", "definition", "facts", "error_codes")),
    Context("fulfilment", "promises judged, findings stored, consequences applied, consumers told first",
            interface=("api", "api_models", "pages"), use_cases=("service", "reporting"),
            pure=("events", "error_codes", "detectors", "consequences", "eta", "metrics")),
    Context("actions", "instructions to the platform (take down, restrict, hold funds …) through the outbox, acked",
            interface=("api", "api_models", "pages"), pure=("model", "error_codes")),
    Context("aftersales", "安心购 guarantees, decisions that explain themselves, cases with deadlines",
            interface=("api", "api_models", "pages", "page_views"),
            use_cases=("service", "filing", "case_actions", "deadlines", "queries", "evidence_uploads",
                       "risk_settlement", "refunds", "reading", "transitions"),
            adapters=("store", "evidence"),
            pure=("model", "events", "policy", "rulebook", "disclosure", "error_codes")),
    Context("care", "consultations and tickets with reply-time SLAs, intent routing, proactive care for orders in "
            "trouble, satisfaction; complaints and chat sessions as the scores' inputs",
            interface=("api", "api_models", "pages", "inbox_pages", "console_pages", "page_actions", "page_views",
                       "companion_api"),
            use_cases=("service", "consultations", "ticket_ops", "queries", "sla_jobs", "shared", "page_queries",
                       "companion", "companion_ops"),
            adapters=("store", "ticket_store", "companion_store"),
            pure=("model", "payloads", "sla_rules", "sla", "tickets", "routing", "routing_rules", "intents",
                  "intent_metrics", "routing_port", "events", "error_codes", "companion_rules", "companion_policy",
                  "companion_effect", "companion_error_codes")),
    Context("worryfree", "无忧服务: enrolment, warehouse lots and guaranteed stock, inbound inspection, the worry-free "
            "tag, lucky bags and the creators' selection pool",
            interface=("api", "inspection_api", "tag_api", "lucky_bag_api", "pool_api", "pages", "inspection_pages",
                       "lucky_bag_pages", "creator_pages"),
            use_cases=("service", "stock", "inspections", "enrolment", "tags", "lucky_bags", "pool", "metrics"),
            adapters=("store", "inspection_store", "tag_store", "lucky_bag_store", "pool_store"),
            pure=("model", "payloads", "rules", "events", "error_codes", "sampling", "inspection_rules",
                  "inspection_error_codes", "tag_policy", "tag_rules", "tag_error_codes", "draw", "lucky_bag_rules",
                  "lucky_bag_error_codes", "pool_filters", "pool_error_codes")),
    Context("ingest", "events from the commerce platform: idempotent by id, order-tolerant, atomic per event",
            interface=("api", "api_models"), use_cases=("service", "bulk", "handlers", "bulk_state", "schemas"),
            pure=("model", "error_codes")),
    Context("merchants", "onboarding and lifecycle, deposits, fees, settlement, support programmes, financing, "
            "matchmaking new shops with creators (invitations, live sessions, outcomes)",
            interface=("api", "api_models", "pages", "match_api", "match_pages"),
            use_cases=("service", "usecases.centre", "usecases.matchmaking", "usecases.lifecycle",
                       "usecases.settlement", "usecases.programmes", "usecases.financing", "usecases.money",
                       "usecases.campaigns", "usecases.statements", "usecases.shared", "centre_view", "match_view"),
            adapters=("store", "money_store", "match_store"),
            pure=("ledger", "categories", "reasons", "fees", "fee_batch", "statement", "onboarding",
                  "deposits", "programmes", "financing", "rulebook", "fee_rules", "lifecycle", "programme_rules",
                  "financing_rules", "rulebook_models", "onboarding_models", "deposit_models", "fee_models",
                  "programme_models", "financing_models", "error_codes", "matchmaking", "match_models",
                  "match_error_codes"),
            inner=(("usecases", ("centre | matchmaking", "lifecycle | settlement | programmes | financing",
                                 "money | campaigns | statements", "shared")),)),
    Context("governance", "violations, the points ladder and measures enforced as platform actions, appeals, "
            "listing compliance, sampling inspections and IP complaints",
            interface=("api", "api_models", "listing_api", "inspection_api", "appeal_api", "ip_api", "ip_api_models",
                       "pages", "console_pages", "page_views"),
            use_cases=("service", "queries", "findings", "violations", "enforcement", "listing_checks", "inspections",
                       "appeals", "ip_complaints"),
            adapters=("store", "listing_store", "inspection_store", "appeal_store", "ip_store"),
            pure=("model", "events", "ladder", "catalogue", "rulebook", "rulebook_models", "listing_terms_rules",
                  "terms", "sampling", "inspection_rules", "appeal_rules", "ip_rules", "ip_rulebook", "error_codes")),
    Context("reports", "the service-experience report: period-over-period figures computed on DuckDB or Spark from a "
            "fingerprinted snapshot of every context's published facts, stored per (period, comparison, facts), "
            "rendered as HTML, PDF and JSON",
            interface=("api", "api_models", "pages"), use_cases=("service", "rendering"),
            adapters=("store", "snapshots", "figures", "engines", "render_html", "render_pdf"),
            pure=("model", "definition", "facts", "canonical", "synthetic", "charts", "periods", "error_codes")),
)

# Shared plumbing: not contexts. ``core`` is the shared kernel every context may use; the others (web shell,
# composition root, CLI, simulator, worker, the warehouse export) sit around the contexts and may use any of them.
PLUMBING = ("core", "db", "web", "worker", "cli", "sim", "rulebooks", "bootstrap", "settings", "contexts", "warehouse")


def modules_named(name: str) -> tuple[ModuleType, ...]:
    """Each context's module ``name`` (``api``, ``pages``, ``error_codes``), imported, in the list's order: how the
    web shell finds the contexts' routers and codes without naming a context."""
    return tuple(importlib.import_module(f"anxin.{ctx.name}.{name}") for ctx in CONTEXTS if name in ctx.modules)


def error_code_modules() -> tuple[ModuleType, ...]:
    """Each context's error-code modules (``error_codes`` and any ``<part>_error_codes`` beside it), imported, in
    the list's order: where the web shell collects every stable code and its status."""
    return tuple(importlib.import_module(f"anxin.{ctx.name}.{m}") for ctx in CONTEXTS for m in ctx.modules
                 if m == "error_codes" or m.endswith("_error_codes"))


def template_dirs() -> dict[str, Path]:
    """Each context's page templates by context name: ``anxin/<context>/templates/x.html`` is ``<context>/x.html``."""
    root = Path(__file__).parent
    return {ctx.name: root / ctx.name / "templates" for ctx in CONTEXTS if (root / ctx.name / "templates").is_dir()}


def context(name: str) -> Context:
    for ctx in CONTEXTS:
        if ctx.name == name:
            return ctx
    raise KeyError(name)
