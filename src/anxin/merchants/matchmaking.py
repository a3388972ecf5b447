"""Matchmaking new shops with creators (issue 18 §7). Pure.

A shop the creator-matching gate admits (``programmes.creator_offer``: its first 60 days, open, no serious
violations, enough listings) is proposed the creators who fit it best. Each creator is judged on three parts, each in
basis points (0-10000) and weighted by the rulebook (``rulebooks/merchants/matchmaking.yaml``):

- **category fit**: the share of the creator's orders paid in the sales window (local midnight ``window_days`` ago up
  to now) that fall in one of the shop's listing categories; an order in another category under the same top-level
  category counts ``same_root_credit_bp``;
- **reputation**: the creator's reputation score (scoring's 带货口碑分) placed between the floor and the ceiling; the
  band it reaches is shown;
- **capacity**: the share of the creator's weekly slots still free (open invitations and accepted sessions starting
  in that Beijing week, Monday to Sunday).

A creator with too few orders in the window, a fit below the minimum, a score below the minimum (or no score, when
the rulebook excludes unscored creators) or no slot left is not proposed; the reasons say which. Every proposal
carries its reasons (code, rule id, figures), the rulebook version and the facts it saw.

Invitations and live sessions: a shop invites a creator to a live session (start, end); the invitation waits until the
creator accepts or declines, or it expires (``expires_after_hours`` after it was made, or at the session start, the
earlier). An invitation holds one of the creator's slots of the session's week while it is open or accepted; a
declined or expired one gives it back. A session's outcome counts the orders carrying the creator and the shop paid
in ``[start, end)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anxin.core.clock import beijing_day, beijing_midnight
from anxin.merchants.match_models import MatchmakingSpec
from anxin.merchants.reasons import Reason
from anxin.merchants.rulebook_models import names

MM = "matchmaking"
INVITATION_STATES = ("pending", "accepted", "declined", "expired")
OPEN_STATES = ("pending", "accepted")  # the states that hold a capacity slot


# --- rules ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    id: str
    min_score_x100: int
    name: Mapping[str, str]


@dataclass(frozen=True)
class MatchRules:
    window_days: int = 90
    min_orders: int = 10
    same_root_credit_bp: int = 5000
    min_category_fit_bp: int = 2000
    min_score_x100: int = 400
    unscored: str = "exclude"
    floor_x100: int = 300
    ceiling_x100: int = 500
    bands: tuple[Band, ...] = ()
    weight_fit: int = 50
    weight_reputation: int = 30
    weight_capacity: int = 20
    per_creator_per_week: int = 3
    max_proposals: int = 5
    expires_after_hours: int = 72
    max_open_per_shop: int = 10
    min_hours: int = 1
    max_hours: int = 12
    starts_within_days: int = 14


def matchmaking_rules(spec: MatchmakingSpec) -> MatchRules:
    """The validated section as matchmaking applies it."""
    s, c, r, w = spec.sales, spec.candidates, spec.reputation, spec.weights
    return MatchRules(
        s.window_days, s.min_orders, s.same_root_credit_bp, c.min_category_fit_bp, c.min_score_x100, c.unscored,
        r.floor_x100, r.ceiling_x100, tuple(Band(b.id, b.min_score_x100, names(b.name)) for b in r.bands),
        w.category_fit, w.reputation, w.capacity, spec.capacity.per_creator_per_week, spec.proposals.max,
        spec.invitations.expires_after_hours, spec.invitations.max_open_per_shop, spec.sessions.min_hours,
        spec.sessions.max_hours, spec.sessions.starts_within_days)


# --- time ----------------------------------------------------------------------------------------------------------

def sales_since(at: dt.datetime, rules: MatchRules) -> dt.datetime:
    """The start of the sales window: local midnight ``window_days`` days before today (today is day 0)."""
    return beijing_midnight(beijing_day(at) - dt.timedelta(days=rules.window_days))


def week_start(at: dt.datetime) -> dt.date:
    """The Monday (Beijing) of the week holding ``at``: a creator's capacity is counted per such week."""
    day = beijing_day(at)
    return day - dt.timedelta(days=day.weekday())


# --- facts and proposals -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreatorFacts:
    creator_id: str
    orders_by_category: Mapping[str, int]  # orders paid in the sales window, by the category of their listings
    score_x100: int | None  # the latest reputation score, None: not scored (too few orders)
    slots_used: int  # open invitations and accepted sessions in the week judged


@dataclass(frozen=True)
class ShopProfile:
    shop_id: str
    categories: frozenset[str]  # the categories of the shop's listings
    roots: Mapping[str, str]  # category id → its top-level category id (the shop's and the creators' categories)


@dataclass(frozen=True)
class Proposal:
    creator_id: str
    proposed: bool
    match_bp: int  # 0-10000: the weighted parts
    fit_bp: int
    reputation_bp: int
    capacity_bp: int
    band: str | None
    slots_left: int
    reasons: tuple[Reason, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.rule_id for r in self.reasons if r.rule_id))

    def as_dict(self) -> dict[str, Any]:
        return {"creator_id": self.creator_id, "proposed": self.proposed, "match_bp": self.match_bp,
                "parts": {"category_fit_bp": self.fit_bp, "reputation_bp": self.reputation_bp,
                          "capacity_bp": self.capacity_bp},
                "band": self.band, "slots_left": self.slots_left, "reasons": [r.as_dict() for r in self.reasons],
                "rule_ids": list(self.rule_ids), "facts": dict(self.facts)}


def pct(bp: int) -> str:
    return f"{bp // 100}.{bp % 100:02d}%"


def score_text(x100: int) -> str:
    return f"{x100 // 100}.{x100 % 100:02d}"


def category_fit(orders_by_category: Mapping[str, int], shop: ShopProfile, rules: MatchRules) -> tuple[int, int, int,
                                                                                                        int]:
    """(fit in bp, all orders, orders in the shop's categories, orders under the same top-level category only)."""
    total = exact = near = 0
    shop_roots = {shop.roots.get(c, c) for c in shop.categories}
    for category, n in orders_by_category.items():
        total += n
        if category in shop.categories:
            exact += n
        elif shop.roots.get(category, category) in shop_roots:
            near += n
    if total == 0:
        return 0, 0, 0, 0
    return (exact * 10_000 + near * rules.same_root_credit_bp) // total, total, exact, near


def band_of(score_x100: int | None, rules: MatchRules) -> Band | None:
    """The highest band whose minimum the score reaches (bands are listed highest first)."""
    if score_x100 is None:
        return None
    return next((b for b in rules.bands if score_x100 >= b.min_score_x100), None)


def reputation_part(score_x100: int | None, rules: MatchRules) -> int:
    """The score between floor and ceiling, in bp; an unscored creator (``unscored: neutral``) gets half."""
    if score_x100 is None:
        return 5000
    span = rules.ceiling_x100 - rules.floor_x100
    return max(0, min(10_000, (score_x100 - rules.floor_x100) * 10_000 // span))


def capacity_part(slots_used: int, rules: MatchRules) -> tuple[int, int]:
    """(slots left, their share of the week's slots in bp)."""
    left = max(0, rules.per_creator_per_week - slots_used)
    return left, left * 10_000 // rules.per_creator_per_week


def judge(creator: CreatorFacts, shop: ShopProfile, rules: MatchRules) -> Proposal:
    """One creator for one shop: the parts, the match score and why; ``proposed`` False names every failing rule."""
    fit, total, exact, near = category_fit(creator.orders_by_category, shop, rules)
    rep = reputation_part(creator.score_x100, rules)
    left, cap = capacity_part(creator.slots_used, rules)
    band = band_of(creator.score_x100, rules)
    fails: list[Reason] = []
    if total < rules.min_orders:
        fails.append(Reason("match.too_few_sales", f"{MM}.sales.min_orders",
                            {"orders": total, "min": rules.min_orders, "days": rules.window_days}))
    elif fit < rules.min_category_fit_bp:
        fails.append(Reason("match.fit_below", f"{MM}.candidates.min_category_fit_bp",
                            {"fit": pct(fit), "min": pct(rules.min_category_fit_bp)}))
    if creator.score_x100 is None:
        if rules.unscored == "exclude":
            fails.append(Reason("match.unscored", f"{MM}.candidates.unscored"))
    elif creator.score_x100 < rules.min_score_x100:
        fails.append(Reason("match.score_below", f"{MM}.candidates.min_score_x100",
                            {"score": score_text(creator.score_x100), "min": score_text(rules.min_score_x100)}))
    if left == 0:
        fails.append(Reason("match.no_capacity", f"{MM}.capacity.per_creator_per_week",
                            {"used": creator.slots_used, "per_week": rules.per_creator_per_week}))
    match = (fit * rules.weight_fit + rep * rules.weight_reputation + cap * rules.weight_capacity) // 100
    facts = {"orders": total, "orders_in_shop_categories": exact, "orders_same_top_category": near,
             "score_x100": creator.score_x100, "slots_used": creator.slots_used,
             "shop_categories": sorted(shop.categories),
             "orders_by_category": dict(sorted(creator.orders_by_category.items()))}
    if fails:
        return Proposal(creator.creator_id, False, match, fit, rep, cap, band.id if band else None, left,
                        tuple(fails), facts)
    why = [Reason("match.category_fit", f"{MM}.weights.category_fit", {
               "fit": pct(fit), "orders": total, "exact": exact, "near": near, "days": rules.window_days}),
           Reason("match.reputation", f"{MM}.weights.reputation", {
               "score": score_text(creator.score_x100) if creator.score_x100 is not None else "-",
               "band": band.id if band else "-"}),
           Reason("match.capacity", f"{MM}.weights.capacity", {"left": left, "per_week": rules.per_creator_per_week})]
    return Proposal(creator.creator_id, True, match, fit, rep, cap, band.id if band else None, left, tuple(why), facts)


def propose(creators: Iterable[CreatorFacts], shop: ShopProfile, rules: MatchRules) -> list[Proposal]:
    """The best ``max_proposals`` creators for the shop: highest match first, creator id breaking ties."""
    judged = [judge(c, shop, rules) for c in creators]
    ranked = sorted((p for p in judged if p.proposed), key=lambda p: (-p.match_bp, p.creator_id))
    return ranked[:rules.max_proposals]


# --- invitations and sessions --------------------------------------------------------------------------------------

def session_problems(start: dt.datetime, end: dt.datetime, at: dt.datetime, rules: MatchRules) -> list[Reason]:
    """What is wrong with a proposed session window (empty: nothing)."""
    out: list[Reason] = []
    if start <= at:
        out.append(Reason("session.starts_in_past", f"{MM}.sessions", {"start": start.isoformat()}))
    elif start > at + dt.timedelta(days=rules.starts_within_days):
        out.append(Reason("session.starts_too_late", f"{MM}.sessions.starts_within_days",
                          {"days": rules.starts_within_days}))
    length = end - start
    if length < dt.timedelta(hours=rules.min_hours) or length > dt.timedelta(hours=rules.max_hours):
        out.append(Reason("session.bad_length", f"{MM}.sessions.min_hours",
                          {"min_hours": rules.min_hours, "max_hours": rules.max_hours}))
    return out


def expires_at(at: dt.datetime, start: dt.datetime, rules: MatchRules) -> dt.datetime:
    """An invitation not answered by then is expired: ``expires_after_hours`` after it was made, or the session's
    start, whichever is earlier."""
    return min(at + dt.timedelta(hours=rules.expires_after_hours), start)


def is_expired(state: str, expires: dt.datetime, at: dt.datetime) -> bool:
    return state == "pending" and at >= expires


def session_phase(start: dt.datetime, end: dt.datetime, at: dt.datetime) -> str:
    """upcoming | live | ended: the session's window is ``[start, end)``."""
    return "upcoming" if at < start else "live" if at < end else "ended"


@dataclass(frozen=True)
class SessionOrder:
    order_id: str
    paid_fen: int
    paid_at: dt.datetime


@dataclass(frozen=True)
class Outcome:
    orders: int
    gmv_fen: int
    cases: int  # after-sale cases opened on those orders
    late_shipments: int  # of those orders, the ones the fulfilment context found shipped late
    order_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"orders": self.orders, "gmv_fen": self.gmv_fen, "cases": self.cases,
                "late_shipments": self.late_shipments}


def outcome_of(orders: Sequence[SessionOrder], start: dt.datetime, end: dt.datetime, cases: Mapping[str, int],
               late: frozenset[str]) -> Outcome:
    """The session's orders (paid in ``[start, end)``) and what came of them."""
    inside = [o for o in orders if start <= o.paid_at < end]
    ids = tuple(sorted(o.order_id for o in inside))
    return Outcome(len(inside), sum(o.paid_fen for o in inside), sum(cases.get(i, 0) for i in ids),
                   sum(1 for i in ids if i in late), ids)
