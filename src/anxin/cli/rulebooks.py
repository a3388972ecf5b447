"""Every rulebook kind anxin reads: how to check a file of that kind, and (where one exists) its Pydantic model.

A file names its kind in its ``kind:`` header; ``anxin rules check`` and ``python -m tools.schemas`` both go
through this one table, so a new kind is added here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from anxin.core.rulebook_models import RulebookProblems, read_yaml


@dataclass(frozen=True)
class Kind:
    name: str
    check: Callable[[Path], str]  # loads the file as the service would; a one-line summary, or raises
    model: type[BaseModel] | None = None  # published as docs/schemas/<name>.schema.json


def _guarantees(path: Path) -> str:
    from anxin.aftersales.rulebook import load_rulebook

    book = load_rulebook(path)
    claims = sum(1 for g in book.guarantees if g.route)
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, {len(book.guarantees)} "
            f"guarantees ({claims} claim routes), {len(book.review_rules)} review rules")


def _risk(path: Path) -> str:
    from anxin.risk.rulebook import load_risk_rulebook

    book = load_risk_rulebook(path)
    live = sum(1 for r in book.rules if r.status == "live")
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, mode {book.mode}, "
            f"{len(book.rules)} rules ({live} live)")


def _fulfilment(path: Path) -> str:
    from anxin.orders.fulfilment_rules import load_fulfilment_rulebook

    book = load_fulfilment_rulebook(path)
    return f"version {book.version}, effective from {book.effective_from.isoformat()}"


def _scores(path: Path) -> str:
    from anxin.scoring.rulebook import load_score_rulebook

    book = load_score_rulebook(path)
    return f"version {book.version}, effective from {book.effective_from.isoformat()}"


def _merchants(path: Path) -> str:
    """The index file of a merchants bundle: the whole bundle in its directory, cross-checks included."""
    from anxin.merchants.rulebook import load_merchant_rulebook

    book = load_merchant_rulebook(path.parent)
    return f"version {book.version}, effective from {book.effective_from.isoformat()}, the whole bundle in " \
           f"{path.parent}"


def _governance(path: Path) -> str:
    """The index file of the governance bundle: the whole bundle in its directory."""
    from anxin.governance.rulebook import load_governance_rulebook

    book = load_governance_rulebook(path.parent)
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, "
            f"{len(book.catalogue.kinds)} violation kinds, the whole bundle in {path.parent}")


def _governance_section(name: str) -> Callable[[Path], str]:
    def check(path: Path) -> str:
        from anxin.governance.rulebook import check_section_file

        return check_section_file(path, name)
    return check


def _care(path: Path) -> str:
    from anxin.care.sla_rules import load_care_rules

    book = load_care_rules(path)
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, "
            f"{len(book.calendars)} calendars, first reply within {book.first_reply.service_minutes} service minutes")


def _care_routing(path: Path) -> str:
    from anxin.care.routing_rules import load_routing_rules

    book = load_routing_rules(path)
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, {len(book.intents)} intents, "
            f"{len(book.keyword_rules)} keyword rules, {len(book.context_rules)} context rules, "
            f"topic decides below {book.min_confidence}")


def _care_companion(path: Path) -> str:
    from anxin.care.companion_rules import TROUBLES, load_companion_rules

    book = load_companion_rules(path)
    enabled = [t for t in TROUBLES if book.troubles.of(t).enabled]
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, {book.window.days}-day "
            f"window, {len(enabled)} troubles, hold-out {book.holdout.share_bp / 100:g} %")


def _worryfree_lucky_bags(path: Path) -> str:
    from anxin.worryfree.lucky_bag_rules import load_lucky_bag_rules

    book = load_lucky_bag_rules(path)
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, up to "
            f"{book.campaign.max_units} prize units in {book.campaign.max_listings} listings, windows of "
            f"{book.campaign.min_window_minutes} min to {book.campaign.max_window_hours} h")


def _worryfree_tags(path: Path) -> str:
    from anxin.worryfree.tag_rules import load_tag_rules

    book = load_tag_rules(path)
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, {len(book.score_bands)} "
            f"score bands, tag at ship rate ≥ {book.tag.ship_rate.min_bp / 100:g} %, complaint rate ≤ "
            f"{book.tag.complaint_rate.max_bp / 100:g} %")


def _worryfree(path: Path) -> str:
    from anxin.worryfree.rules import load_worryfree_rules

    book = load_worryfree_rules(path)
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, checkout holds "
            f"{book.spec.stock.checkout_hold_minutes} min, shelf-life minimums for {len(book.spec.shelf_life)} "
            f"category tags")


def _worryfree_inspection(path: Path) -> str:
    from anxin.worryfree.inspection_rules import load_inspection_rules

    book = load_inspection_rules(path)
    return (f"version {book.version}, effective from {book.effective_from.isoformat()}, "
            f"{len(book.plans.normal.rows)} lot-size rows, tightened after {book.tightening.min_failures} rejected "
            f"lot(s) in {book.tightening.window_days} days, checks {', '.join(book.checks.per_unit)}")


def _section(name: str) -> Callable[[Path], str]:
    def check(path: Path) -> str:
        from anxin.merchants.rulebook import load_section_file

        load_section_file(path, name)
        return f"section {name} of a merchants bundle (cross-checks: check its rulebook.yaml)"
    return check


def kinds() -> dict[str, Kind]:
    from anxin.aftersales.rulebook import GuaranteesRulebookSpec
    from anxin.care.companion_rules import CompanionRulebookSpec
    from anxin.care.routing_rules import CareRoutingSpec
    from anxin.care.sla_rules import CareRulebookSpec
    from anxin.governance.rulebook import MODELS as GOVERNANCE_SECTIONS
    from anxin.governance.rulebook_models import GovernanceIndexSpec
    from anxin.merchants.rulebook import MODELS as MERCHANT_SECTIONS
    from anxin.merchants.rulebook_models import MerchantsIndexSpec
    from anxin.orders.fulfilment_rules import FulfilmentRulebookSpec
    from anxin.risk.rulebook import RiskRulebookSpec
    from anxin.scoring.rulebook_models import ScoresRulebookSpec
    from anxin.worryfree.inspection_rules import InspectionRulebookSpec
    from anxin.worryfree.lucky_bag_rules import LuckyBagRulebookSpec
    from anxin.worryfree.rules import WorryFreeRulebookSpec
    from anxin.worryfree.tag_rules import TagRulebookSpec

    table = [Kind("guarantees", _guarantees, GuaranteesRulebookSpec), Kind("risk", _risk, RiskRulebookSpec),
             Kind("fulfilment", _fulfilment, FulfilmentRulebookSpec), Kind("scores", _scores, ScoresRulebookSpec),
             Kind("merchants", _merchants, MerchantsIndexSpec)]
    table += [Kind(f"merchants.{s}", _section(s), model) for s, model in MERCHANT_SECTIONS.items()]
    table += [Kind("governance", _governance, GovernanceIndexSpec), Kind("care", _care, CareRulebookSpec),
              Kind("care_routing", _care_routing, CareRoutingSpec),
              Kind("care_companion", _care_companion, CompanionRulebookSpec),
              Kind("worryfree_tags", _worryfree_tags, TagRulebookSpec),
              Kind("worryfree", _worryfree, WorryFreeRulebookSpec)]
    table += [Kind(f"governance.{s}", _governance_section(s), model) for s, model in GOVERNANCE_SECTIONS.items()]
    table += [Kind("worryfree_inspection", _worryfree_inspection, InspectionRulebookSpec)]  # H2
    table += [Kind("worryfree_lucky_bags", _worryfree_lucky_bags, LuckyBagRulebookSpec)]  # wf-bags
    return {k.name: k for k in table}


@dataclass(frozen=True)
class Report:
    path: Path
    kind: str | None
    summary: str | None
    problems: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"file": str(self.path), "kind": self.kind, "ok": not self.problems, "summary": self.summary,
                "problems": self.problems}


def check(path: Path, kind: str | None = None) -> Report:
    """Check ``path`` as ``kind`` (default: what its ``kind:`` header says)."""
    table = kinds()
    if kind is None:
        raw, unreadable = read_yaml(path)
        if unreadable:
            return Report(path, None, None, unreadable)
        if not isinstance(raw, dict):
            return Report(path, None, None, ["<root>: the rulebook must be a mapping"])
        declared = raw.get("kind")
        if declared not in table:
            what = "required, the header naming the rulebook's kind" if declared is None else \
                f"{declared!r} is not a rulebook kind"
            return Report(path, None, None, [f"kind: {what}; one of {sorted(table)} (or pass --kind)"])
        kind = str(declared)
    try:
        return Report(path, kind, table[kind].check(path), [])
    except RulebookProblems as exc:
        return Report(path, kind, None, exc.problems)
