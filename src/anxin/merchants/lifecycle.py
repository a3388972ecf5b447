"""Shop lifecycle (issue 6 §1): states and their explicit transition table, the novice period, and the plan for a
shop transfer, an entity change or a personal → individual upgrade. Pure.

A shop keeps its id and its whole history through every transfer; the rulebook's ``lifecycle.carryover`` says what
else goes along (score, violation points, deposit, novice progress). Refusals raise ``LifecycleError`` /
``TransferError`` whose ``code`` is stable (``merchants.illegal_transition``, ``merchants.transfer_to_banned`` ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from anxin.core.clock import beijing_day, beijing_midnight
from anxin.merchants.categories import CategoryRef
from anxin.merchants.onboarding import BannedLink, Carryover, OnboardingRules
from anxin.merchants.reasons import Reason


class ShopState(StrEnum):
    APPLIED = "applied"
    NOVICE = "novice"  # 新手期: open, within the novice period
    ACTIVE = "active"
    RESTRICTED = "restricted"  # open with limits (no marketing, listing caps) after violations
    SUSPENDED = "suspended"  # closed to buyers for now
    CLOSED = "closed"  # final


S = ShopState
TRANSITIONS: Mapping[ShopState, frozenset[ShopState]] = {
    S.APPLIED: frozenset({S.NOVICE, S.CLOSED}),  # approved / rejected
    S.NOVICE: frozenset({S.ACTIVE, S.RESTRICTED, S.SUSPENDED, S.CLOSED}),  # graduates / sanctioned / closed
    S.ACTIVE: frozenset({S.RESTRICTED, S.SUSPENDED, S.CLOSED}),
    S.RESTRICTED: frozenset({S.ACTIVE, S.SUSPENDED, S.CLOSED}),  # a lifted restriction means the shop is active
    S.SUSPENDED: frozenset({S.ACTIVE, S.CLOSED}),
    S.CLOSED: frozenset(),
}

class LifecycleError(ValueError):
    """A state change refused; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TransferError(ValueError):
    """A transfer, entity change or upgrade refused; ``code`` is stable, ``details`` says what was found."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class StateChange:
    """One line of a shop's state history."""

    from_state: ShopState
    to_state: ShopState
    reason_code: str
    at: dt.datetime
    reasons: tuple[Reason, ...] = ()


def transition(current: ShopState, target: ShopState, *, reason_code: str, at: dt.datetime) -> StateChange:
    """The history line for ``current`` → ``target``, or ``LifecycleError`` (``merchants.illegal_transition``) when
    the table does not allow it (staying put is not a transition; closed is final)."""
    if target not in TRANSITIONS[current]:
        raise LifecycleError("merchants.illegal_transition", f"a shop cannot go from {current} to {target}")
    if not reason_code:
        raise LifecycleError("merchants.invalid_field", "a state change needs a reason code")
    params: dict[str, int | str] = {"from_state": current.value, "to_state": target.value}
    return StateChange(current, target, reason_code, at,
                       (Reason(reason_code, "onboarding.lifecycle.transitions", params),))


def graduation_at(opened_at: dt.datetime, rules: OnboardingRules) -> dt.datetime:
    """When the novice period ends: Beijing midnight ``novice_days`` calendar days after the opening day (opened any
    time on 1 March with 90 days ⇒ 30 May 00:00 Beijing), in UTC."""
    return beijing_midnight(beijing_day(opened_at) + dt.timedelta(days=rules.lifecycle.novice_days))


def graduation_due(opened_at: dt.datetime, at: dt.datetime, rules: OnboardingRules) -> bool:
    return at >= graduation_at(opened_at, rules)


@dataclass(frozen=True)
class ShopFacts:
    shop_id: str
    merchant_id: str
    store_type: str
    state: ShopState
    licence_no: str | None
    categories: tuple[CategoryRef, ...] = ()  # what it sells: checked against the new store type


@dataclass(frozen=True)
class TransferTarget:
    merchant_id: str
    store_type: str
    licence_no: str | None


@dataclass(frozen=True)
class TransferPlan:
    """What happens to the shop. Its id, state and history stay; ``carryover`` says item by item what goes along.
    With ``deposit_action == "refund"`` the old owner gets back what the deposit holds (after any debt) and the new
    owner pays the requirement of the new store type; with ``carry`` the deposit stays in the shop's account."""

    kind: str
    shop_id: str
    from_merchant_id: str
    to_merchant_id: str
    from_store_type: str
    to_store_type: str
    licence_no: str | None
    state: ShopState
    carryover: Carryover
    deposit_refund_to: str | None
    reasons: tuple[Reason, ...]
    facts: Mapping[str, int | str] = field(default_factory=dict)

    @property
    def deposit_action(self) -> str:
        return self.carryover.deposit


def plan_transfer(kind: str, *, shop: ShopFacts, target: TransferTarget, rules: OnboardingRules,
                  banned_links: Sequence[BannedLink], shops_on_target_licence: int = 0) -> TransferPlan:
    """Plan a ``transfer`` (to another merchant entity), an ``entity_change`` (same merchant, new licence / entity)
    or an ``upgrade`` (personal → individual, same merchant, with a licence). ``banned_links``: what the risk context
    found for the target; ``shops_on_target_licence``: open shops the target licence already has. Raises
    ``TransferError`` on the first refusal found."""
    carry = rules.lifecycle.carryover.get(kind)
    if carry is None:
        raise TransferError("merchants.invalid_field", f"unknown kind {kind!r}: transfer, entity_change or upgrade")
    if shop.state is ShopState.CLOSED:
        raise TransferError("merchants.shop_closed", f"shop {shop.shop_id} is closed")
    if shop.state is ShopState.APPLIED:
        raise TransferError("merchants.shop_not_open", f"shop {shop.shop_id} is still an application")
    if banned_links:
        raise TransferError("merchants.transfer_to_banned", "the target is linked to a banned entity",
                            links=[{"kind": b.kind, "value_hint": b.value_hint, "banned_shop_id": b.banned_shop_id}
                                   for b in banned_links])
    _check_kind(kind, shop, target)
    store = rules.store_types.get(target.store_type)
    if store is None:
        raise TransferError("merchants.invalid_field", f"unknown store type {target.store_type!r}")
    if store.needs_licence and not target.licence_no:
        raise TransferError("merchants.licence_required", f"a {target.store_type} shop needs a business licence")
    new_licence = bool(target.licence_no) and target.licence_no != shop.licence_no
    if new_licence and shops_on_target_licence >= rules.max_shops_per_licence:
        raise TransferError("merchants.licence_at_limit", f"licence {target.licence_no} already opens "
                            f"{shops_on_target_licence} shops (limit {rules.max_shops_per_licence})")
    refused = [ref.category_id for ref in shop.categories if not store.may_sell(ref)]
    if refused:
        raise TransferError("merchants.category_not_allowed",
                            f"a {target.store_type} shop may not sell {', '.join(refused)}", categories=refused)

    rule_id = f"onboarding.lifecycle.carryover.{kind}"
    reasons = [Reason("transfer.history_kept", rule_id, {"kind": kind})]
    for item, action in carry.as_dict().items():
        if item == "deposit" and action == "refund":
            reasons.append(Reason("transfer.deposit_refunded", rule_id, {"merchant_id": shop.merchant_id}))
        else:
            reasons.append(Reason(f"transfer.{'carried' if action == 'carry' else 'reset'}", rule_id, {"item": item}))
    if target.store_type != shop.store_type:
        reasons.append(Reason("transfer.store_type_changed", rule_id,
                              {"from_store_type": shop.store_type, "to_store_type": target.store_type}))
    if target.licence_no != shop.licence_no:
        reasons.append(Reason("transfer.licence_changed", rule_id,
                              {"from_licence": shop.licence_no or "", "to_licence": target.licence_no or ""}))
    return TransferPlan(
        kind=kind, shop_id=shop.shop_id, from_merchant_id=shop.merchant_id, to_merchant_id=target.merchant_id,
        from_store_type=shop.store_type, to_store_type=target.store_type, licence_no=target.licence_no,
        state=shop.state, carryover=carry,
        deposit_refund_to=shop.merchant_id if carry.deposit == "refund" else None, reasons=tuple(reasons),
        facts={"shops_on_target_licence": shops_on_target_licence,
               "max_shops_per_licence": rules.max_shops_per_licence, "state": shop.state.value})


def _check_kind(kind: str, shop: ShopFacts, target: TransferTarget) -> None:
    same_owner = target.merchant_id == shop.merchant_id
    if kind == "transfer" and same_owner:
        raise TransferError("merchants.transfer_same_owner", f"shop {shop.shop_id} already belongs to "
                                                             f"{shop.merchant_id}")
    if kind == "entity_change":
        if not same_owner:
            raise TransferError("merchants.entity_change_invalid", "a new owner is a transfer, not an entity change")
        if target.licence_no == shop.licence_no:
            raise TransferError("merchants.entity_change_invalid", "an entity change needs a new licence")
    if kind == "upgrade":
        if (shop.store_type, target.store_type) != ("personal", "individual"):
            raise TransferError("merchants.upgrade_invalid", f"only personal → individual is an upgrade, not "
                                                             f"{shop.store_type} → {target.store_type}")
        if not same_owner:
            raise TransferError("merchants.upgrade_invalid", "an upgrade keeps the merchant; a new owner is a transfer")
        if not target.licence_no:
            raise TransferError("merchants.upgrade_invalid", "an upgrade to individual needs a business licence")
