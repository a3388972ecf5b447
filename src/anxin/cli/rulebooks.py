"""Every rulebook kind anxin reads: how to check a file of that kind, and (where one exists) its Pydantic model.

A file names its kind in its ``kind:`` header; ``anxin rules check`` and ``python -m tools.schemas`` both go
through this one table, so a new kind is added here once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel

from anxin.core.rulebook_models import RulebookKind, RulebookProblems, read_yaml

if TYPE_CHECKING:  # annotations only: kinds() imports the kinds' modules when it is called
    from anxin.aftersales.rulebook import Rulebook
    from anxin.care.companion_rules import CompanionRulebookSpec
    from anxin.care.routing_rules import RoutingRules
    from anxin.care.sla_rules import CareRulebookSpec
    from anxin.risk.rulebook import RiskRulebook
    from anxin.worryfree.inspection_rules import InspectionRulebookSpec
    from anxin.worryfree.lucky_bag_rules import LuckyBagRulebookSpec
    from anxin.worryfree.rules import WorryFreeRules
    from anxin.worryfree.tag_rules import TagRulebookSpec


class Versioned(Protocol):
    """What every loaded rulebook says of itself."""

    @property
    def version(self) -> str: ...

    @property
    def effective_from(self) -> dt.datetime: ...


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T", bound=Versioned)


@dataclass(frozen=True)
class Kind:
    name: str
    check: Callable[[Path], str]  # loads the file as the service would; a one-line summary, or raises
    model: type[BaseModel] | None = None  # published as docs/schemas/<name>.schema.json


def _book(name: str, kind: RulebookKind[M, T], detail: Callable[[T], str] | None = None) -> Kind:
    """A one-file kind, checked by loading it as the service would: its version, then ``detail`` of the book."""
    def check(path: Path) -> str:
        book = kind.load(path)
        head = f"version {book.version}, effective from {book.effective_from.isoformat()}"
        return f"{head}, {detail(book)}" if detail else head
    return Kind(name, check, kind.model)


def _guarantees(book: Rulebook) -> str:
    claims = sum(1 for g in book.guarantees if g.route)
    return f"{len(book.guarantees)} guarantees ({claims} claim routes), {len(book.review_rules)} review rules"


def _risk(book: RiskRulebook) -> str:
    return f"mode {book.mode}, {len(book.rules)} rules ({sum(1 for r in book.rules if r.status == 'live')} live)"


def _care(book: CareRulebookSpec) -> str:
    return f"{len(book.calendars)} calendars, first reply within {book.first_reply.service_minutes} service minutes"


def _care_routing(book: RoutingRules) -> str:
    return (f"{len(book.intents)} intents, {len(book.keyword_rules)} keyword rules, {len(book.context_rules)} "
            f"context rules, topic decides below {book.min_confidence}")


def _care_companion(book: CompanionRulebookSpec) -> str:
    from anxin.care.companion_rules import TROUBLES

    enabled = [t for t in TROUBLES if book.troubles.of(t).enabled]
    return f"{book.window.days}-day window, {len(enabled)} troubles, hold-out {book.holdout.share_bp / 100:g} %"


def _worryfree_lucky_bags(book: LuckyBagRulebookSpec) -> str:
    c = book.campaign
    return (f"up to {c.max_units} prize units in {c.max_listings} listings, windows of {c.min_window_minutes} min "
            f"to {c.max_window_hours} h")


def _worryfree_tags(book: TagRulebookSpec) -> str:
    return (f"{len(book.score_bands)} score bands, tag at ship rate ≥ {book.tag.ship_rate.min_bp / 100:g} %, "
            f"complaint rate ≤ {book.tag.complaint_rate.max_bp / 100:g} %")


def _worryfree(book: WorryFreeRules) -> str:
    return (f"checkout holds {book.spec.stock.checkout_hold_minutes} min, shelf-life minimums for "
            f"{len(book.spec.shelf_life)} category tags")


def _worryfree_inspection(book: InspectionRulebookSpec) -> str:
    return (f"{len(book.plans.normal.rows)} lot-size rows, tightened after {book.tightening.min_failures} rejected "
            f"lot(s) in {book.tightening.window_days} days, checks {', '.join(book.checks.per_unit)}")


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


def _section(name: str) -> Callable[[Path], str]:
    def check(path: Path) -> str:
        from anxin.merchants.rulebook import load_section_file

        load_section_file(path, name)
        return f"section {name} of a merchants bundle (cross-checks: check its rulebook.yaml)"
    return check


def kinds() -> dict[str, Kind]:
    from anxin.aftersales.rulebook import GUARANTEES_KIND
    from anxin.care.companion_rules import COMPANION_KIND
    from anxin.care.routing_rules import ROUTING_KIND
    from anxin.care.sla_rules import CARE_KIND
    from anxin.governance.rulebook import MODELS as GOVERNANCE_SECTIONS
    from anxin.governance.rulebook_models import GovernanceIndexSpec
    from anxin.merchants.rulebook import MODELS as MERCHANT_SECTIONS
    from anxin.merchants.rulebook_models import MerchantsIndexSpec
    from anxin.orders.fulfilment_rules import FULFILMENT_KIND
    from anxin.risk.rulebook import RISK_KIND
    from anxin.scoring.rulebook import SCORE_KIND
    from anxin.worryfree.inspection_rules import INSPECTION_KIND
    from anxin.worryfree.lucky_bag_rules import LUCKY_BAG_KIND
    from anxin.worryfree.rules import WORRYFREE_KIND
    from anxin.worryfree.tag_rules import TAG_KIND

    table = [_book("guarantees", GUARANTEES_KIND, _guarantees), _book("risk", RISK_KIND, _risk),
             _book("fulfilment", FULFILMENT_KIND), _book("scores", SCORE_KIND),
             Kind("merchants", _merchants, MerchantsIndexSpec)]
    table += [Kind(f"merchants.{s}", _section(s), model) for s, model in MERCHANT_SECTIONS.items()]
    table += [Kind("governance", _governance, GovernanceIndexSpec), _book("care", CARE_KIND, _care),
              _book("care_routing", ROUTING_KIND, _care_routing),
              _book("care_companion", COMPANION_KIND, _care_companion),
              _book("worryfree_tags", TAG_KIND, _worryfree_tags), _book("worryfree", WORRYFREE_KIND, _worryfree)]
    table += [Kind(f"governance.{s}", _governance_section(s), model) for s, model in GOVERNANCE_SECTIONS.items()]
    table += [_book("worryfree_inspection", INSPECTION_KIND, _worryfree_inspection)]  # H2
    table += [_book("worryfree_lucky_bags", LUCKY_BAG_KIND, _worryfree_lucky_bags)]  # wf-bags
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
