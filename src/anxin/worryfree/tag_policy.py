"""Who may enrol a listing in the worry-free programme, and when an enrolled listing carries the tag. Pure.

Each decision checks every rule of its part of the rulebook and says which passed and which did not: the outcome,
the reason codes (the failures when there is one, else what was met), the rule ids checked, the rulebook version and
the facts it judged. Rates are compared in integers (basis points), so a threshold edge is exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from anxin.worryfree.tag_rules import UNSCORED, BandRule, TagRulebookSpec

ELIGIBLE, REFUSED = "eligible", "refused"
TAGGED, UNTAGGED = "tagged", "untagged"

# Reason codes (stable: stored with every decision, shown through catalogs as wf.reason.<code>).
CATEGORY_ELIGIBLE, CATEGORY_NOT_ELIGIBLE = "category_eligible", "category_not_eligible"
SCORE_BAND_MET, SCORE_BAND_BELOW, SCORE_UNSCORED = "score_band_met", "score_band_below", "score_unscored"
NO_SEVERE_VIOLATION, SEVERE_VIOLATION = "no_severe_violation", "severe_violation_recent"
SHOP_OPEN, SHOP_NOT_OPEN = "shop_open", "shop_not_open"
ENROLLED, NOT_ENROLLED = "enrolled", "not_enrolled"
STOCK_AVAILABLE, STOCK_EMPTY = "stock_available", "stock_empty"
TOO_FEW_ORDERS, ORDERS_ENOUGH = "too_few_orders", "orders_enough"
SHIP_RATE_MET, SHIP_RATE_BELOW = "ship_rate_met", "ship_rate_below"
COMPLAINT_RATE_MET, COMPLAINT_RATE_ABOVE = "complaint_rate_met", "complaint_rate_above"
RATES_WAIVED = "rates_waived"

REASONS: tuple[str, ...] = (
    CATEGORY_ELIGIBLE, CATEGORY_NOT_ELIGIBLE, SCORE_BAND_MET, SCORE_BAND_BELOW, SCORE_UNSCORED, NO_SEVERE_VIOLATION,
    SEVERE_VIOLATION, SHOP_OPEN, SHOP_NOT_OPEN, ENROLLED, NOT_ENROLLED, STOCK_AVAILABLE, STOCK_EMPTY, TOO_FEW_ORDERS,
    ORDERS_ENOUGH, SHIP_RATE_MET, SHIP_RATE_BELOW, COMPLAINT_RATE_MET, COMPLAINT_RATE_ABOVE, RATES_WAIVED)


@dataclass(frozen=True)
class Decision:
    outcome: str
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str
    facts: dict[str, Any]
    failed: tuple[str, ...] = ()  # the rule ids that failed (empty: every check passed)

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "reasons": list(self.reasons), "rule_ids": list(self.rule_ids),
                "failed_rule_ids": list(self.failed), "rulebook_version": self.rulebook_version,
                "facts": self.facts}


@dataclass
class _Checks:
    met: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def check(self, rule_id: str, ok: bool, good: str, bad: str) -> None:
        self.rule_ids.append(rule_id)
        if ok:
            self.met.append(good)
        else:
            self.failures.append(bad)
            self.failed.append(rule_id)

    def decide(self, yes: str, no: str, version: str, facts: dict[str, Any]) -> Decision:
        ok = not self.failures
        return Decision(yes if ok else no, tuple(self.met if ok else self.failures), tuple(self.rule_ids), version,
                        facts, tuple(self.failed))


def _band_ok(rb: TagRulebookSpec, rule: BandRule, band: str) -> tuple[bool, str]:
    if band == UNSCORED:
        return rule.allow_unscored, SCORE_UNSCORED
    return rb.band_rank(band) <= rb.band_rank(rule.min_band), SCORE_BAND_BELOW


# --- enrolment -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EnrolmentFacts:
    listing_id: str
    shop_id: str
    shop_open: bool
    category_chain: tuple[str, ...]  # the listing's category id, then its ancestors'
    category_tags: frozenset[str]  # its own and inherited
    score_x100: int | None  # the shop's latest experience score; None: not scored
    severe_violations: tuple[tuple[str, dt.datetime], ...]  # (violation id, recorded at), not reversed


def enrolment_decision(rb: TagRulebookSpec, f: EnrolmentFacts, *, at: dt.datetime) -> Decision:
    rules = rb.enrolment
    c = _Checks()
    cat = rules.category
    category_ok = bool(f.category_tags & set(cat.tags)) or any(cid in cat.category_ids for cid in f.category_chain)
    c.check(cat.id, category_ok, CATEGORY_ELIGIBLE, CATEGORY_NOT_ELIGIBLE)
    band = rb.band_of(f.score_x100)
    ok, bad = _band_ok(rb, rules.score_band, band)
    c.check(rules.score_band.id, ok, SCORE_BAND_MET, bad)
    since = at - dt.timedelta(days=rules.severe_violations.within_days)
    recent = sorted(vid for vid, recorded in f.severe_violations if since < recorded <= at)
    c.check(rules.severe_violations.id, not recent, NO_SEVERE_VIOLATION, SEVERE_VIOLATION)
    c.check(rules.shop_open.id, f.shop_open, SHOP_OPEN, SHOP_NOT_OPEN)
    facts = {"listing_id": f.listing_id, "shop_id": f.shop_id, "shop_open": f.shop_open,
             "category_chain": list(f.category_chain), "category_tags": sorted(f.category_tags),
             "score_x100": f.score_x100, "score_band": band, "min_band": rules.score_band.min_band,
             "severe_violations": recent, "severe_window_days": rules.severe_violations.within_days}
    return c.decide(ELIGIBLE, REFUSED, rb.version, facts)


# --- the tag -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TagFacts:
    listing_id: str
    shop_id: str
    enrolled: bool
    available_units: int  # passed warehouse stock not reserved
    orders: int  # orders paid in the window whose ship-within hours have passed
    shipped_within: int  # of them, shipped within the hours
    paid_orders: int  # orders paid in the window (the complaint rate's base)
    complaints: int  # complaints filed in the window
    score_x100: int | None


def tag_decision(rb: TagRulebookSpec, f: TagFacts) -> Decision:
    t = rb.tag
    c = _Checks()
    c.check(t.enrolled_id, f.enrolled, ENROLLED, NOT_ENROLLED)
    c.check(t.stock.id, f.available_units >= t.stock.min_available, STOCK_AVAILABLE, STOCK_EMPTY)
    enough = f.orders >= t.window.min_orders and f.paid_orders >= t.window.min_orders
    waived = not enough and t.window.too_few_orders == "waive"
    c.check(t.window.id, enough or waived, RATES_WAIVED if waived else ORDERS_ENOUGH, TOO_FEW_ORDERS)
    if enough:
        c.check(t.ship_rate.id, f.shipped_within * 10_000 >= t.ship_rate.min_bp * f.orders, SHIP_RATE_MET,
                SHIP_RATE_BELOW)
        c.check(t.complaint_rate.id, f.complaints * 10_000 <= t.complaint_rate.max_bp * f.paid_orders,
                COMPLAINT_RATE_MET, COMPLAINT_RATE_ABOVE)
    band = rb.band_of(f.score_x100)
    ok, bad = _band_ok(rb, t.score_band, band)
    c.check(t.score_band.id, ok, SCORE_BAND_MET, bad)
    facts = {"listing_id": f.listing_id, "shop_id": f.shop_id, "enrolled": f.enrolled,
             "available_units": f.available_units, "orders": f.orders, "shipped_within": f.shipped_within,
             "ship_rate_bp": _bp(f.shipped_within, f.orders), "min_ship_rate_bp": t.ship_rate.min_bp,
             "paid_orders": f.paid_orders, "complaints": f.complaints,
             "complaint_rate_bp": _bp(f.complaints, f.paid_orders), "max_complaint_rate_bp": t.complaint_rate.max_bp,
             "min_orders": t.window.min_orders, "window_days": t.window.days,
             "score_x100": f.score_x100, "score_band": band, "min_band": t.score_band.min_band}
    return c.decide(TAGGED, UNTAGGED, rb.version, facts)


def _bp(part: int, whole: int) -> int | None:
    return None if whole == 0 else part * 10_000 // whole


def change_of(was_tagged: bool | None, now: Decision) -> str | None:
    """``gained`` or ``lost`` when the decision changes the tag; None when it stays (a first untagged decision is
    not a loss)."""
    is_tagged = now.outcome == TAGGED
    if is_tagged and not was_tagged:
        return "gained"
    if not is_tagged and was_tagged:
        return "lost"
    return None
