"""Deposit requirements (issue 6 §3): the base deposit by category × store type, the June 2025 GMV tiers, the
zero-deposit trial (0元入驻) and whether a shop's deposit is sufficient. Pure; money in fen, rates in basis points.

How the base and the tier combine (RULES.md §4.1 marks the direction INF): with ``combination: cap_base`` the tier
caps the base, required = min(max base over the shop's categories, tier of last month's GMV), so the June 2025 cut
only ever lowers a deposit; with ``replace_base`` the tier alone applies. Before ``applies_from`` only the base counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anxin.core.money import format_fen
from anxin.merchants.categories import CategoryMatch, CategoryRef, category_match
from anxin.merchants.deposit_models import DepositsSpec
from anxin.merchants.ledger import TrialWithdrawalRules
from anxin.merchants.reasons import Reason
from anxin.merchants.rulebook_models import STORE_TYPES, names, parse, parse_file

DEFAULT_DEPOSITS_PATH = Path(__file__).resolve().parent.parent / "rulebooks" / "merchants" / "deposits.yaml"
SECTION = "deposits"
COMBINATIONS = ("cap_base", "replace_base")
BP = 10_000

class DepositError(ValueError):
    """A requirement that cannot be computed; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class BaseDeposit:
    rule_id: str
    names: Mapping[str, str]  # {"zh-CN": ..., "en": ...}
    match: CategoryMatch  # empty: the default row
    fen: Mapping[str, int]  # by store type; a store type left out does not sell these categories


@dataclass(frozen=True)
class GmvTier:
    rule_id: str
    below_fen: int | None  # previous-month GMV strictly below this; None: the top tier
    fen: int


@dataclass(frozen=True)
class TrialExclusion:
    rule_id: str
    match: CategoryMatch
    starts: dt.datetime
    ends: dt.datetime | None = None


@dataclass(frozen=True)
class TrialRules:
    exclusions: tuple[TrialExclusion, ...] = ()
    listing_caps: Mapping[str, int] = field(default_factory=dict)  # store types the trial is open to
    platform_marketing: bool = False  # trial shops stay out of platform campaigns and 精选联盟
    top_up_share_bp: int = 1000  # share of each settled goods payment moved into the deposit (INF)
    affiliated_violations_at_most: int = 0
    withdrawal_min_fen: int = 10_000
    withdrawal_max_share_bp: int = 5000


@dataclass(frozen=True)
class DepositRules:
    base: tuple[BaseDeposit, ...]
    gmv_tiers: tuple[GmvTier, ...]
    tiers_apply_from: dt.datetime
    combination: str  # cap_base | replace_base
    trial: TrialRules

    @property
    def trial_withdrawal(self) -> TrialWithdrawalRules:
        """The ledger's withdrawal check takes whole percent; the loader requires a multiple of 100 bp."""
        return TrialWithdrawalRules(min_fen=self.trial.withdrawal_min_fen,
                                    max_share_pct=self.trial.withdrawal_max_share_bp // 100)


@dataclass(frozen=True)
class DepositRequirement:
    fen: int
    base_fen: int
    tier_fen: int | None  # None before the tiers apply
    rule_ids: tuple[str, ...]
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class DepositStatus:
    state: str  # ok | top_up_due | in_debt
    shortfall_fen: int  # what must be paid in: the gap to the requirement plus any debt
    reasons: tuple[Reason, ...]


def required_deposit(store_type: str, categories: Sequence[CategoryRef], previous_month_gmv_fen: int, *,
                     at: dt.datetime, rules: DepositRules) -> DepositRequirement:
    """The deposit a shop must hold at ``at``. Each category takes its most specific base row (rows tied at that
    depth: the highest amount, and a row leaving the store type out refuses it); the base is the highest over the
    categories, then the GMV tier applies as the module docstring says. A new shop passes GMV 0. No rounding: every
    figure is a whole fen from the rulebook. Raises ``DepositError`` (``merchants.category_not_allowed``) for a
    category the store type may not sell."""
    if store_type not in STORE_TYPES:
        raise DepositError("merchants.invalid_field", f"unknown store type {store_type!r}")
    if previous_month_gmv_fen < 0:
        raise DepositError("merchants.invalid_amount", "previous-month GMV cannot be negative")
    reasons: list[Reason] = []
    used: list[BaseDeposit] = []
    if not categories:
        row = next(r for r in rules.base if r.match.everything)
        used.append(row)
        reasons.append(Reason("deposit.base_default", row.rule_id, _money(store_type=store_type,
                                                                         amount=row.fen[store_type])))
    for ref in categories:
        row = _base_row(ref, store_type, rules)
        used.append(row)
        reasons.append(Reason("deposit.base", row.rule_id, _money(category=ref.category_id, store_type=store_type,
                                                                  amount=row.fen[store_type])))
    base = max(row.fen[store_type] for row in used)
    rule_ids = list(dict.fromkeys(row.rule_id for row in used))
    if at < rules.tiers_apply_from:
        reasons.append(Reason("deposit.tiers_not_yet", "deposits.gmv_tiering",
                              {"applies_from": rules.tiers_apply_from.isoformat()}))
        return DepositRequirement(base, base, None, tuple(rule_ids), tuple(reasons))
    tier = next(t for t in rules.gmv_tiers if t.below_fen is None or previous_month_gmv_fen < t.below_fen)
    rule_ids.append(tier.rule_id)
    reasons.append(Reason("deposit.gmv_tier", tier.rule_id, _money(gmv=previous_month_gmv_fen, amount=tier.fen)))
    if rules.combination == "replace_base":
        fen, code = tier.fen, "deposit.tier_replaces_base"
    else:
        fen, code = min(base, tier.fen), "deposit.tier_caps_base" if tier.fen < base else "deposit.base_below_tier"
    reasons.append(Reason(code, "deposits.gmv_tiering", _money(base=base, tier=tier.fen)))
    return DepositRequirement(fen, base, tier.fen, tuple(rule_ids), tuple(reasons))


def _base_row(ref: CategoryRef, store_type: str, rules: DepositRules) -> BaseDeposit:
    depths = [(d, row) for row in rules.base if (d := row.match.depth(ref)) is not None]
    closest = min(d for d, _ in depths)  # the default row matches everything, so depths is never empty
    rows = [row for d, row in depths if d == closest]
    if any(store_type not in row.fen for row in rows):
        raise DepositError("merchants.category_not_allowed", f"a {store_type} shop may not sell {ref.category_id}")
    return max(rows, key=lambda row: row.fen[store_type])


def _money(**params: int | str) -> dict[str, int | str]:
    """Reason params where every integer is money: kept in fen (``amount_fen``) and as text (``¥2,000.00``)."""
    out: dict[str, int | str] = {}
    for key, value in params.items():
        if isinstance(value, int):
            out[f"{key}_fen"] = value
            out[key] = format_fen(value)
        else:
            out[key] = value
    return out


def trial_eligibility(store_type: str, categories: Sequence[CategoryRef], *, affiliated_violations: int,
                      at: dt.datetime, rules: DepositRules) -> tuple[bool, tuple[Reason, ...]]:
    """Whether a shop may open on the zero-deposit trial at ``at``; every failing check is a reason."""
    trial = rules.trial
    reasons: list[Reason] = []
    if store_type not in trial.listing_caps:
        reasons.append(Reason("trial.store_type_excluded", "deposits.trial.listing_caps", {"store_type": store_type}))
    for ref in categories:
        for ex in trial.exclusions:
            if ex.starts <= at and (ex.ends is None or at < ex.ends) and ex.match.covers(ref):
                reasons.append(Reason("trial.category_excluded", ex.rule_id,
                                      {"category": ref.category_id, "since": ex.starts.isoformat()}))
                break
    if affiliated_violations > trial.affiliated_violations_at_most:
        reasons.append(Reason("trial.affiliated_violations", "deposits.trial.affiliated_violations_at_most",
                              {"count": affiliated_violations, "limit": trial.affiliated_violations_at_most}))
    if reasons:
        return False, tuple(reasons)
    return True, (Reason("trial.eligible", "deposits.trial.listing_caps",
                         {"listing_cap": trial.listing_caps[store_type]}),)


def listing_cap(store_type: str, *, trial: bool, rules: DepositRules) -> int | None:
    """How many listings the shop may have online: the trial's cap for its store type; None (no cap) off the trial."""
    if not trial:
        return None
    if store_type not in rules.trial.listing_caps:
        raise DepositError("merchants.invalid_field", f"a {store_type} shop has no zero-deposit trial")
    return rules.trial.listing_caps[store_type]


def top_up_from_sales(goods_fen: int, *, held_fen: int, required_fen: int, rules: DepositRules) -> int:
    """What to move from a settled goods payment into a trial shop's deposit: ``top_up_share_bp`` of it, rounded
    down to the fen (the merchant keeps the fraction), never more than the gap to the requirement, never negative."""
    if goods_fen <= 0:
        return 0
    share = goods_fen * rules.trial.top_up_share_bp // BP
    return max(0, min(share, required_fen - held_fen))


def deposit_status(*, held_fen: int, required_fen: int, debt_fen: int) -> DepositStatus:
    """``debt_fen`` is what the shop owes, zero or more (the ledger's debt balance negated)."""
    if debt_fen < 0:
        raise DepositError("merchants.invalid_amount", "debt_fen is what the shop owes: zero or more "
                                                       "(negate the ledger's debt balance)")
    gap = max(0, required_fen - held_fen)
    reasons: list[Reason] = []
    if debt_fen:
        reasons.append(Reason("deposit.in_debt", "", _money(debt=debt_fen)))
    if gap:
        reasons.append(Reason("deposit.below_requirement", "",
                              _money(held=held_fen, required=required_fen, shortfall=gap)))
    if not reasons:
        reasons.append(Reason("deposit.sufficient", "", _money(held=held_fen, required=required_fen)))
    state = "in_debt" if debt_fen else "top_up_due" if gap else "ok"
    return DepositStatus(state, gap + debt_fen, tuple(reasons))


# --- loading ---------------------------------------------------------------------------------------------------------

def deposit_rules(spec: DepositsSpec) -> DepositRules:
    """The validated section as ``required_deposit`` and the trial checks apply it."""
    t = spec.trial
    return DepositRules(
        tuple(BaseDeposit(r.id, names(r.name), category_match(r.match), r.fen.given()) for r in spec.base),
        tuple(GmvTier(g.id, g.below_fen, g.fen) for g in spec.gmv_tiers), spec.gmv_tiering.applies_from,
        spec.gmv_tiering.combination,
        TrialRules(tuple(TrialExclusion(x.id, category_match(x.match), x.from_, x.until) for x in t.excluded),
                   t.listing_caps.given(), t.platform_marketing, t.top_up_share_bp, t.affiliated_violations_at_most,
                   t.withdrawal.min_fen, t.withdrawal.max_share_bp))


def load_deposits(raw: object) -> DepositRules:
    """The parsed ``deposits.yaml``; ``MerchantRulebookError`` names every problem with its path."""
    return deposit_rules(parse(DepositsSpec, raw, SECTION))


def load_deposits_file(path: str | Path = DEFAULT_DEPOSITS_PATH) -> DepositRules:
    """This section from its own YAML file; ``MerchantRulebookError`` lists every problem."""
    return deposit_rules(parse_file(DepositsSpec, path, SECTION))
