"""Deposit and goods-payment use cases: the required deposit, top-ups, withdrawals, deductions for penalties and
compensation, payouts. Each movement is one transaction: the shop's row locked, the posting, and the answer recorded
under the request's idempotency key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.money import MAX_FEN, is_fen
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.idempotency import service as idempotency
from anxin.idempotency.service import IdempotentRequest, Replay
from anxin.merchants import deposits as dep
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.merchants.ledger import (
    Ledger,
    LedgerError,
    PostingKind,
    debt_account,
    deduct,
    deposit_account,
    goods_account,
    payout,
    refund_penalty,
    top_up,
    trial_withdrawal_problems,
    withdraw,
)
from anxin.merchants.money_store import MoneyRepository
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.store import ShopLifecycleRow
from anxin.merchants.usecases.shared import category_refs, ledger_of, month_bounds, post, require_operator, visible_shop
from anxin.orders import service as orders

MAX_KEY = 120
DEDUCTION_REASONS = ("penalty", "compensation")


# --- input and policy (no storage) ----------------------------------------------------------------------------

def parse_amount(value: object) -> int:
    if not isinstance(value, int) or not is_fen(value) or not 0 < value <= MAX_FEN:
        raise AnxinError(E.INVALID_AMOUNT, f"amount_fen: a positive whole number of fen, at most {MAX_FEN}",
                         field="amount_fen")
    return value


def parse_key(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_KEY or "\x00" in value:
        raise AnxinError(E.INVALID_FIELD, f"idempotency_key: a non-empty string of at most {MAX_KEY} characters",
                         field="idempotency_key")
    return value


def check_withdrawal(ledger: Ledger, shop_id: str, fen: int, *, closed: bool, required_fen: int) -> None:
    """A withdrawal goes down to the required deposit while the shop trades (all of it once closed), less any debt."""
    held = ledger.balance(deposit_account(shop_id))
    keep = 0 if closed else required_fen
    debt = -ledger.balance(debt_account(shop_id))
    limit = max(0, held - keep - debt)
    if fen > limit:
        raise AnxinError(E.WITHDRAWAL_OVER_LIMIT, f"at most {limit} fen may be withdrawn: the deposit holds {held}, "
                         f"the shop must keep {keep} and owes {debt}", limit_fen=limit, held_fen=held,
                         required_fen=keep, debt_fen=debt)


def check_trial_payout(ledger: Ledger, shop_id: str, fen: int, *, last_payout_at: dt.datetime | None,
                       at: dt.datetime, rulebook: MerchantRulebook) -> None:
    """A zero-deposit trial shop's payout: once a month, at least the minimum, at most its share of the balance."""
    problems = trial_withdrawal_problems(fen, goods_balance_fen=ledger.balance(goods_account(shop_id)),
                                         last_withdrawal_at=last_payout_at, at=at,
                                         rules=rulebook.deposits.trial_withdrawal)
    if problems:
        raise AnxinError(E.WITHDRAWAL_OVER_LIMIT, "; ".join(problems), problems=problems)


def ensure_open(row: ShopLifecycleRow) -> None:
    if row.state == "closed":
        raise AnxinError(E.SHOP_CLOSED, f"shop {row.shop_id!r} is closed")


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


# --- what the shop must hold, read in the caller's unit of work ------------------------------------------------

def requirement_and_misfits(uow: UnitOfWork, row: ShopLifecycleRow, *, now: dt.datetime,
                            rulebook: MerchantRulebook) -> tuple[dep.DepositRequirement, list[str]]:
    """The deposit required, and the categories the shop sells that its store type may not (a shop the platform
    onboarded may: it is told, and its deposit is worked out on the rest rather than refused)."""
    refs, _ = category_refs(uow, list(row.categories) or catalog.shop_category_ids(uow, row.shop_id))
    gmv = orders.shop_gmv(uow, row.shop_id, month_bounds(now, 1))[0]
    misfits: list[str] = []
    store_type = rulebook.onboarding.store_types.get(row.store_type)
    for ref in refs:
        if store_type is not None and not store_type.may_sell(ref):
            misfits.append(ref.category_id)
            continue
        try:
            dep.required_deposit(row.store_type, (ref,), 0, at=now, rules=rulebook.deposits)
        except dep.DepositError:
            misfits.append(ref.category_id)
    fitting = tuple(r for r in refs if r.category_id not in misfits)
    try:
        return dep.required_deposit(row.store_type, fitting, gmv, at=now, rules=rulebook.deposits), misfits
    except dep.DepositError as exc:
        raise AnxinError(E(exc.code) if exc.code in E._value2member_map_ else E.INVALID_FIELD, str(exc),
                         shop_id=row.shop_id) from None


def requirement(uow: UnitOfWork, row: ShopLifecycleRow, *, now: dt.datetime,
                rulebook: MerchantRulebook) -> dep.DepositRequirement:
    return requirement_and_misfits(uow, row, now=now, rulebook=rulebook)[0]


def deposit_view(uow: UnitOfWork, row: ShopLifecycleRow, *, now: dt.datetime, rulebook: MerchantRulebook,
                 postings: bool = True) -> dict[str, Any]:
    """Balances, what the rulebook requires and why, the state (ok / top-up due / in debt), and (for the pages
    and the CLI) the latest postings; the API lists those on their own (``MoneyMoves.postings``)."""
    shop_id = row.shop_id
    ledger = ledger_of(uow, shop_id)
    held, debt = ledger.balance(deposit_account(shop_id)), ledger.balance(debt_account(shop_id))
    required, misfits = requirement_and_misfits(uow, row, now=now, rulebook=rulebook)
    status = dep.deposit_status(held_fen=held, required_fen=required.fen, debt_fen=-debt)
    cap = dep.listing_cap(row.store_type, trial=row.trial, rules=rulebook.deposits)
    listings = catalog.listing_count(uow, shop_id)
    view = {
        "shop_id": shop_id, "held_fen": held, "debt_fen": -debt,
        "goods_fen": ledger.balance(goods_account(shop_id)), "trial": row.trial,
        "required": {"fen": required.fen, "base_fen": required.base_fen, "tier_fen": required.tier_fen,
                     "rule_ids": list(required.rule_ids), "reasons": [r.as_dict() for r in required.reasons]},
        "status": {"state": status.state, "shortfall_fen": status.shortfall_fen,
                   "reasons": [r.as_dict() for r in status.reasons]},
        "listing_cap": cap, "listings": listings, "over_listing_cap": cap is not None and listings > cap,
        "version": rulebook.version,
        "categories_not_allowed": misfits,
    }
    if postings:
        view["postings"] = postings_view(uow, shop_id)
    return view


def postings_view(uow: UnitOfWork, shop_id: str, *, limit: int = 500,
                  after: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
    """The shop's postings, latest first, each with what moved on the shop's accounts."""
    return [{"key": p.key, "kind": p.kind, "at": _iso(p.at), "memo": p.memo, "actor": p.actor,
             "legs": {leg.account.split(":", 1)[0]: leg.fen for leg in legs if leg.account.endswith(f":{shop_id}")}}
            for p, legs in MoneyRepository(uow.session).postings_of(shop_id, limit, after=after)]


def deduct_from_deposit(uow: UnitOfWork, shop_id: str, fen: int, reason: str, key: str, allow_debt: bool, *,
                        at: dt.datetime, actor: str, memo: str = "") -> bool:
    """A penalty or compensation out of the deposit in the caller's unit of work (settlement takes compensation
    this way); False for a replay of ``key``."""
    ledger = ledger_of(uow, shop_id, key)
    try:
        posting = deduct(ledger, shop_id, fen, reason=reason, key=key, at=at, allow_debt=allow_debt)
    except LedgerError as exc:
        raise AnxinError(E.INSUFFICIENT_DEPOSIT, str(exc), ledger_code=exc.code) from None
    if memo and key not in ledger.postings:
        posting = replace(posting, memo=memo)
    return post(uow, ledger, posting, shop_id=shop_id, actor=actor)


class Money:
    """A shop's deposit and goods payment: the view, and each movement as one idempotent transaction."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    def deduct_penalty(self, uow: UnitOfWork, shop_id: str, fen: int, *, key: str, memo: str,
                       actor: str) -> bool | None:
        """A penalty another context decided (governance's deposit deduction), out of the deposit in the caller's
        unit of work: the shop's row locked, what the deposit does not cover becomes debt. True applied, False a
        replay of ``key``, None a shop the platform never described."""
        try:
            visible_shop(uow, None, shop_id, now=self.clock.now(), rulebook=self.rulebook, for_update=True)
        except AnxinError as exc:
            if exc.code is E.SHOP_NOT_FOUND:  # raised before anything is written
                return None
            raise
        return deduct_from_deposit(uow, shop_id, parse_amount(fen), "penalty", key, True, at=self.clock.now(),
                                   actor=actor, memo=memo)

    def refund_penalty(self, uow: UnitOfWork, shop_id: str, *, penalty_key: str, key: str, memo: str,
                       actor: str) -> bool | None:
        """Pay back the penalty deducted under ``penalty_key`` (governance reversed the violation behind it), in
        the caller's unit of work with the shop's row locked: once per ``key`` (True refunded, False a replay),
        None when no such penalty was ever deducted (nothing to pay back)."""
        money = MoneyRepository(uow.session)
        original = money.posting(penalty_key)
        if original is None:
            return None
        visible_shop(uow, None, shop_id, now=self.clock.now(), rulebook=self.rulebook, for_update=True)
        ledger = ledger_of(uow, shop_id, key)
        try:
            posting = refund_penalty(ledger, shop_id, original, key=key, at=self.clock.now())
        except LedgerError as exc:
            raise AnxinError(E.INVALID_AMOUNT, str(exc), ledger_code=exc.code) from None
        if memo and key not in ledger.postings:
            posting = replace(posting, memo=memo)
        return post(uow, ledger, posting, shop_id=shop_id, actor=actor)

    def deposit(self, principal: Principal, shop_id: str, *, postings: bool = True) -> dict[str, Any]:
        with self.uow_factory() as uow:
            now = self.clock.now()
            row = visible_shop(uow, principal, shop_id, now=now, rulebook=self.rulebook)
            view = deposit_view(uow, row, now=now, rulebook=self.rulebook, postings=postings)
            uow.commit()  # the lifecycle row of an adopted shop
            return view

    def postings(self, principal: Principal, shop_id: str, *, after: tuple[dt.datetime, str] | None = None,
                 limit: int = 50) -> list[dict[str, Any]]:
        """The shop's ledger postings, latest first, from ``after`` (the (at, key) of the last one shown)."""
        with self.uow_factory() as uow:
            visible_shop(uow, principal, shop_id, now=self.clock.now(), rulebook=self.rulebook)
            out = postings_view(uow, shop_id, limit=limit, after=after)
            uow.commit()  # the lifecycle row of an adopted shop
            return out

    def top_up(self, principal: Principal, shop_id: str, *, amount_fen: object, key: object,
               request: IdempotentRequest | None = None) -> dict[str, Any] | Replay:
        fen, posting_key = parse_amount(amount_fen), f"topup:{shop_id}:{parse_key(key)}"

        def move(uow: UnitOfWork, row: ShopLifecycleRow) -> bool:
            ensure_open(row)
            ledger = ledger_of(uow, shop_id, posting_key)
            return post(uow, ledger, top_up(shop_id, fen, key=posting_key, at=self.clock.now()), shop_id=shop_id,
                        actor=principal.subject)
        return self._move_money(principal, shop_id, request, move)

    def withdraw_deposit(self, principal: Principal, shop_id: str, *, amount_fen: object,
                         key: object, request: IdempotentRequest | None = None) -> dict[str, Any] | Replay:
        """Down to the required deposit while the shop trades; all of it once the shop is closed."""
        fen, posting_key = parse_amount(amount_fen), f"withdraw:{shop_id}:{parse_key(key)}"

        def move(uow: UnitOfWork, row: ShopLifecycleRow) -> bool:
            ledger = ledger_of(uow, shop_id, posting_key)
            if posting_key not in ledger.postings:
                closed = row.state == "closed"
                check_withdrawal(ledger, shop_id, fen, closed=closed, required_fen=0 if closed else requirement(
                    uow, row, now=self.clock.now(), rulebook=self.rulebook).fen)
            return post(uow, ledger, withdraw(shop_id, fen, key=posting_key, at=self.clock.now()), shop_id=shop_id,
                        actor=principal.subject)
        return self._move_money(principal, shop_id, request, move)

    def payout_goods(self, principal: Principal, shop_id: str, *, amount_fen: object, key: object,
                     request: IdempotentRequest | None = None) -> dict[str, Any] | Replay:
        """Pay the settled goods payment out. A zero-deposit trial shop is held to the trial's limits (once a
        month, at least 100 yuan, at most half the balance) while its deposit fills from sales."""
        fen, posting_key = parse_amount(amount_fen), f"payout:{shop_id}:{parse_key(key)}"

        def move(uow: UnitOfWork, row: ShopLifecycleRow) -> bool:
            ledger = ledger_of(uow, shop_id, posting_key)
            if posting_key not in ledger.postings and row.trial:
                check_trial_payout(ledger, shop_id, fen, at=self.clock.now(), rulebook=self.rulebook,
                                   last_payout_at=MoneyRepository(uow.session).last_posting_at(
                                       shop_id, PostingKind.PAYOUT))
            try:
                posting = payout(ledger, shop_id, fen, key=posting_key, at=self.clock.now())
            except LedgerError as exc:
                raise AnxinError(E.INSUFFICIENT_GOODS, str(exc), ledger_code=exc.code) from None
            return post(uow, ledger, posting, shop_id=shop_id, actor=principal.subject)
        return self._move_money(principal, shop_id, request, move)

    def deduct(self, principal: Principal, shop_id: str, *, amount_fen: object, reason: object, key: object,
               allow_debt: object = False, memo: str = "",
               request: IdempotentRequest | None = None) -> dict[str, Any] | Replay:
        """A penalty or a consumer's compensation out of the deposit; what it cannot cover is refused, or with
        ``allow_debt`` booked to the shop's debt."""
        require_operator(principal)
        fen, k = parse_amount(amount_fen), parse_key(key)
        if reason not in DEDUCTION_REASONS:
            raise AnxinError(E.INVALID_FIELD, "reason: penalty or compensation", field="reason")
        if not isinstance(allow_debt, bool):
            raise AnxinError(E.INVALID_FIELD, "allow_debt: true or false", field="allow_debt")
        return self._move_money(principal, shop_id, request, lambda uow, row: deduct_from_deposit(
            uow, shop_id, fen, str(reason), f"deduct:{shop_id}:{k}", allow_debt, at=self.clock.now(),
            actor=principal.subject, memo=memo[:400]))

    def _move_money(self, principal: Principal, shop_id: str, request: IdempotentRequest | None,
                    move: Callable[[UnitOfWork, ShopLifecycleRow], bool]) -> dict[str, Any] | Replay:
        """One money movement: the shop's row locked, the posting, and the answer (with the deposit as it now
        stands) recorded under the request's idempotency key, all in one transaction."""
        with self.uow_factory() as uow:
            uow.begin_write()
            replay = idempotency.claim(uow, request, at=self.clock.now())
            if replay is not None:
                return replay
            row = visible_shop(uow, principal, shop_id, now=self.clock.now(), rulebook=self.rulebook,
                               for_update=True)
            applied = move(uow, row)
            answer = {"applied": applied, **deposit_view(uow, row, now=self.clock.now(), rulebook=self.rulebook,
                                                         postings=False)}
            idempotency.record(uow, request, 200, answer)
            uow.commit()
            return answer
