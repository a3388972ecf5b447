"""The fees section of the merchants rulebook: commission rates, the channel-fee floor, waivers and rebates. Pure.

Loaded from ``rulebooks/merchants/fees.yaml`` (and, for campaign waivers an operator adds, from the API's JSON) with
every problem reported with its path. The engine that applies these rules is ``anxin.merchants.fees``.

Two waivers **overlap** when they are of the same kind (waive | rebate), their windows ``[from, until)`` intersect,
and their scopes can cover the same order. Scopes are conjunctions over three dimensions (new-shop days, categories,
channels; none = every order) and "can cover the same order" is decided per scope *type*: the two must constrain
the same dimensions and intersect on each of them (new-shop windows always intersect; channels share a channel;
category matches share a category id or a tag, or one covers everything). Scopes over different dimensions are
different policies meant to stack (a new shop selling fresh produce through a product card has three reasons to be
waived; rebates of different scopes add up), so they are not overlaps. The check is literal: a match on
``apparel`` and one on its child ``women`` are not caught, because the taxonomy is not in the rulebook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anxin.core.clock import BEIJING
from anxin.merchants.categories import CategoryMatch, CategoryRef, category_match
from anxin.merchants.fee_models import OPEN_END, FeesSpec, WaiverKind, WaiverSpec, waiver_issues
from anxin.merchants.rulebook_models import MerchantRulebookError, names, parse, parse_file

CHANNELS = ("live", "short_video", "product_card", "other")
DEFAULT_FEES_PATH = Path(__file__).resolve().parents[1] / "rulebooks" / "merchants" / "fees.yaml"


class FeeError(ValueError):
    """A fee computation or waiver refused; ``code`` is stable (``fees.*``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CommissionRate:
    id: str
    name: Mapping[str, str]
    rate_bp: int
    match: CategoryMatch = field(default_factory=CategoryMatch)  # empty: the default rate, covers everything


@dataclass(frozen=True)
class WaiverScope:
    """Which orders a waiver covers: all of the given conditions (none given = every order)."""

    new_shop_days: int | None = None  # paid on Beijing calendar day 1..N of the shop (day 1 = the opening day)
    match: CategoryMatch | None = None
    channels: frozenset[str] | None = None

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The scope type: which dimensions it constrains."""
        named = (("new_shop", self.new_shop_days), ("match", self.match), ("channels", self.channels))
        return tuple(name for name, value in named if value is not None)


@dataclass(frozen=True)
class Waiver:
    id: str
    name: Mapping[str, str]
    start: dt.datetime  # ``from`` in the YAML; included
    until: dt.datetime  # excluded
    kind: WaiverKind
    scope: WaiverScope
    rebate_bp: int = 0  # percentage points × 100 taken off the commission rate (rebates only)

    @property
    def span(self) -> tuple[dt.datetime, dt.datetime]:
        return self.start, self.until

    def in_force(self, at: dt.datetime) -> bool:
        return self.start <= at < self.until

    def covers(self, *, paid_at: dt.datetime, shop_opened_at: dt.datetime | None, channel: str,
               category: CategoryRef) -> bool:
        """In force at ``paid_at`` and every condition of the scope holds (a shop whose opening is not known is
        not new)."""
        if not self.in_force(paid_at):
            return False
        s = self.scope
        if s.new_shop_days is not None and (shop_opened_at is None or
                                            not 1 <= shop_day(shop_opened_at, paid_at) <= s.new_shop_days):
            return False
        if s.channels is not None and channel not in s.channels:
            return False
        return s.match is None or s.match.covers(category)


@dataclass(frozen=True)
class FeeRules:
    default_commission: CommissionRate
    commission: tuple[CommissionRate, ...]
    channel_fee_bp: int
    waivers: tuple[Waiver, ...]
    refund_reversal: str = "proportional"

    def commission_for(self, category: CategoryRef) -> tuple[CommissionRate, tuple[str, ...]]:
        """The most specific matching rate (``CategoryMatch.depth``), else the default; plus the ids of entries
        that tie with it. Ties the rulebook can show (a shared id or tag) are load problems; one only the taxonomy
        reveals (a category carrying two rated tags) goes to the entry listed first, and the tie is reported."""
        best: list[tuple[int, CommissionRate]] = []
        for entry in self.commission:
            depth = entry.match.depth(category)
            if depth is None:
                continue
            if not best or depth < best[0][0]:
                best = [(depth, entry)]
            elif depth == best[0][0]:
                best.append((depth, entry))
        if not best:
            return self.default_commission, ()
        return best[0][1], tuple(e.id for _, e in best[1:])




def shop_day(opened_at: dt.datetime, at: dt.datetime) -> int:
    """The shop's Beijing calendar day at ``at``: 1 on the opening day, 2 the next, ≤ 0 before it opened."""
    return (at.astimezone(BEIJING).date() - opened_at.astimezone(BEIJING).date()).days + 1


# --- loading -------------------------------------------------------------------------------------------------

def fee_rules(spec: FeesSpec) -> FeeRules:
    """The validated section as the fee engine applies it."""
    c = spec.commission
    return FeeRules(CommissionRate(c.default.id, names(c.default.name), c.default.rate_bp),
                    tuple(CommissionRate(r.id, names(r.name), r.rate_bp, category_match(r.match)) for r in c.rates),
                    spec.channel_fee_bp, tuple(_waiver(w) for w in spec.waivers), spec.refund_reversal)


def load_fees(raw: object) -> FeeRules:
    """The parsed ``fees.yaml``; ``MerchantRulebookError`` names every problem with its path (``fees.…``)."""
    return fee_rules(parse(FeesSpec, raw, "fees"))


def load_fees_file(path: str | Path = DEFAULT_FEES_PATH) -> FeeRules:
    """This section from its own YAML file; ``MerchantRulebookError`` lists every problem."""
    return fee_rules(parse_file(FeesSpec, path, "fees"))


def parse_waiver(raw: object) -> Waiver:
    """One waiver's shape (not its window or overlaps: ``waiver_problems``); ``MerchantRulebookError`` lists every
    problem under ``waiver``."""
    return _waiver(parse(WaiverSpec, raw, "waiver"))


def waiver_from_dict(raw: Any) -> tuple[Waiver | None, list[tuple[str, str]]]:
    """A waiver from the API's JSON (the YAML's shape, instants as ISO strings). Problems of shape come back as
    ``("fees.invalid_waiver", "waiver.<field>: …")``; check the window and overlaps with ``waiver_problems``."""
    try:
        return parse_waiver(raw), []
    except MerchantRulebookError as exc:
        return None, [("fees.invalid_waiver", p) for p in exc.problems]


def waiver_problems(candidate: Waiver, existing: tuple[Waiver, ...] | list[Waiver]) -> list[tuple[str, str]]:
    """(stable code, message) for a waiver about to join ``existing``: ``fees.invalid_window`` (until not after
    from), ``fees.duplicate_waiver_id``, ``fees.waiver_overlap`` (see the module docstring for "overlap")."""
    return [(code, f"{key}: {message}" if key else message)
            for code, key, message in waiver_issues(candidate, existing)]


def _waiver(w: WaiverSpec) -> Waiver:
    s = w.scope
    scope = WaiverScope(s.new_shop_days, category_match(s.match) if s.match is not None else None,
                        frozenset(s.channels) if s.channels is not None else None)
    return Waiver(w.id, names(w.name), w.from_, w.until or OPEN_END, w.kind, scope, w.rebate_bp or 0)
