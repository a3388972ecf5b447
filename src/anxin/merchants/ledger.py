"""The deposit ledger (issue 6, first part): double entry, exact fen, idempotent postings. Pure.

Every posting moves money between accounts in legs that add up to zero, so money is conserved by construction:
the sum of every balance is always zero. A shop's deposit account (``deposit:<shop>``) holds what the platform keeps
for the shop and never goes below zero; a deduction larger than the balance must say so and books the rest to the
shop's debt account (``debt:<shop>``, negative = owed), never a silent negative. A posting is keyed: posting the
same key with the same legs again does nothing, with other legs it is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

PLATFORM_PENALTIES = "platform:penalties"  # penalties the platform collected
CONSUMER_PAYABLE = "payable:consumers"  # compensation owed to consumers, paid out of deposits
OUTSIDE = "outside"  # money entering or leaving the ledger (bank transfers, sales proceeds)


class PostingKind(StrEnum):
    TOP_UP = "top_up"  # the merchant pays in
    TOP_UP_FROM_SALES = "top_up_from_sales"  # the zero-deposit trial fills the deposit from goods payments
    DEDUCT_PENALTY = "deduct_penalty"
    DEDUCT_COMPENSATION = "deduct_compensation"
    REFUND_PENALTY = "refund_penalty"  # a penalty paid back: the decision behind it was reversed (an appeal upheld)
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"  # a shop transferred to a new owner takes its deposit along
    SALE_PROCEEDS = "sale_proceeds"  # settlement: what a sale leaves the shop after the fee (goods payment)
    REFUND_CLAWBACK = "refund_clawback"  # settlement: a refund taken back from the goods payment, its fee returned
    PAYOUT = "payout"  # the goods payment paid out to the merchant's bank account


class LedgerError(ValueError):
    """A posting refused; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def deposit_account(shop_id: str) -> str:
    return f"deposit:{shop_id}"


def debt_account(shop_id: str) -> str:
    return f"debt:{shop_id}"


def goods_account(shop_id: str) -> str:
    """The shop's settled goods payment not yet paid out (negative: refunds after a payout, owed back)."""
    return f"goods:{shop_id}"


@dataclass(frozen=True)
class Leg:
    account: str
    fen: int  # signed: what the account gains (negative: what it gives)


@dataclass(frozen=True)
class Posting:
    key: str
    kind: PostingKind
    legs: tuple[Leg, ...]
    at: dt.datetime
    memo: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            raise LedgerError("ledger.key_required", "a posting needs an idempotency key")
        if len(self.legs) < 2:
            raise LedgerError("ledger.unbalanced", "a posting moves money between at least two accounts")
        for leg in self.legs:
            if not isinstance(leg.fen, int) or isinstance(leg.fen, bool) or leg.fen == 0:
                raise LedgerError("ledger.invalid_amount", f"leg {leg.account}: a non-zero whole number of fen")
        if sum(leg.fen for leg in self.legs) != 0:
            raise LedgerError("ledger.unbalanced", f"posting {self.key}: legs add up to "
                                                   f"{sum(leg.fen for leg in self.legs)} fen, not 0")


@dataclass
class Ledger:
    postings: dict[str, Posting] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)

    def balance(self, account: str) -> int:
        return self.balances.get(account, 0)

    def post(self, posting: Posting) -> bool:
        """Apply a posting; False if this very posting was applied before. Refused whole or applied whole."""
        seen = self.postings.get(posting.key)
        if seen is not None:
            if (seen.kind, _sorted(seen.legs)) != (posting.kind, _sorted(posting.legs)):
                raise LedgerError("ledger.key_conflict", f"key {posting.key} was used for another posting")
            return False
        after = dict(self.balances)
        for leg in posting.legs:
            after[leg.account] = after.get(leg.account, 0) + leg.fen
        negative = [a for a in {leg.account for leg in posting.legs}
                    if a.startswith("deposit:") and after[a] < 0]
        if negative:
            raise LedgerError("ledger.insufficient_deposit", f"{', '.join(sorted(negative))} would go below zero; "
                                                             "book the shortfall to debt explicitly")
        self.balances = after
        self.postings[posting.key] = posting
        return True


def _sorted(legs: tuple[Leg, ...]) -> list[tuple[str, int]]:
    """Legs compared as a set of movements: a stored posting reads its legs back in account order."""
    return sorted((leg.account, leg.fen) for leg in legs)


def _amount(fen: int) -> int:
    if not isinstance(fen, int) or isinstance(fen, bool) or fen <= 0:
        raise LedgerError("ledger.invalid_amount", "amounts are positive whole numbers of fen")
    return fen


def top_up(shop_id: str, fen: int, *, key: str, at: dt.datetime, from_sales: bool = False) -> Posting:
    kind = PostingKind.TOP_UP_FROM_SALES if from_sales else PostingKind.TOP_UP
    return Posting(key, kind, (Leg(OUTSIDE, -_amount(fen)), Leg(deposit_account(shop_id), fen)), at)


def deduct(ledger: Ledger, shop_id: str, fen: int, *, reason: str, key: str, at: dt.datetime,
           allow_debt: bool = False) -> Posting:
    """Take a penalty or a consumer's compensation out of the deposit. What the deposit cannot cover is refused,
    or, with ``allow_debt``, booked to the shop's debt (the shop then owes it)."""
    kind = {"penalty": PostingKind.DEDUCT_PENALTY, "compensation": PostingKind.DEDUCT_COMPENSATION}.get(reason)
    if kind is None:
        raise LedgerError("ledger.invalid_reason", "reason must be 'penalty' or 'compensation'")
    target = PLATFORM_PENALTIES if kind is PostingKind.DEDUCT_PENALTY else CONSUMER_PAYABLE
    seen = ledger.postings.get(key)
    if seen is not None:  # a replay: the split was decided the first time
        return seen
    held = max(0, ledger.balance(deposit_account(shop_id)))
    from_deposit = min(held, _amount(fen))
    shortfall = fen - from_deposit
    if shortfall and not allow_debt:
        raise LedgerError("ledger.insufficient_deposit", f"the deposit holds {held} fen of the {fen} to deduct")
    legs = [Leg(target, fen)]
    if from_deposit:
        legs.append(Leg(deposit_account(shop_id), -from_deposit))
    if shortfall:
        legs.append(Leg(debt_account(shop_id), -shortfall))
    return Posting(key, kind, tuple(legs), at)


def refund_penalty(ledger: Ledger, shop_id: str, original: Posting, *, key: str, at: dt.datetime) -> Posting:
    """Pay a penalty deduction back in full: the platform's penalties give back what ``original`` took. What it
    booked to the shop's debt first cancels the debt still owed (never more than that part), the rest returns to the
    deposit, so a shop that paid its debt off since gets its money, not a credit on a debt account."""
    if original.kind is not PostingKind.DEDUCT_PENALTY:
        raise LedgerError("ledger.not_a_penalty", f"posting {original.key} is not a penalty deduction")
    seen = ledger.postings.get(key)
    if seen is not None:  # a replay: the split was decided the first time
        return seen
    fen = sum(leg.fen for leg in original.legs if leg.account == PLATFORM_PENALTIES)
    booked_to_debt = -sum(leg.fen for leg in original.legs if leg.account == debt_account(shop_id))
    owed = max(0, -ledger.balance(debt_account(shop_id)))
    to_debt = min(booked_to_debt, owed)
    legs = [Leg(PLATFORM_PENALTIES, -_amount(fen))]
    if to_debt:
        legs.append(Leg(debt_account(shop_id), to_debt))
    if fen - to_debt:
        legs.append(Leg(deposit_account(shop_id), fen - to_debt))
    return Posting(key, PostingKind.REFUND_PENALTY, tuple(legs), at)


def withdraw(shop_id: str, fen: int, *, key: str, at: dt.datetime) -> Posting:
    return Posting(key, PostingKind.WITHDRAW, (Leg(deposit_account(shop_id), -_amount(fen)), Leg(OUTSIDE, fen)), at)


def sale_proceeds(shop_id: str, fen: int, *, key: str, at: dt.datetime) -> Posting:
    return Posting(key, PostingKind.SALE_PROCEEDS, (Leg(OUTSIDE, -_amount(fen)), Leg(goods_account(shop_id), fen)), at)


def refund_clawback(shop_id: str, fen: int, *, key: str, at: dt.datetime) -> Posting:
    return Posting(key, PostingKind.REFUND_CLAWBACK, (Leg(goods_account(shop_id), -_amount(fen)), Leg(OUTSIDE, fen)),
                   at)


def top_up_from_goods(shop_id: str, fen: int, *, key: str, at: dt.datetime) -> Posting:
    """The zero-deposit trial fills the deposit out of the shop's goods payment."""
    return Posting(key, PostingKind.TOP_UP_FROM_SALES, (Leg(goods_account(shop_id), -_amount(fen)),
                                                        Leg(deposit_account(shop_id), fen)), at)


def payout(ledger: Ledger, shop_id: str, fen: int, *, key: str, at: dt.datetime) -> Posting:
    """Pay the goods payment out; never more than the balance (a replay returns the first posting)."""
    seen = ledger.postings.get(key)
    if seen is not None:
        return seen
    held = ledger.balance(goods_account(shop_id))
    if _amount(fen) > held:
        raise LedgerError("ledger.insufficient_goods", f"the goods payment holds {max(held, 0)} fen, not {fen}")
    return Posting(key, PostingKind.PAYOUT, (Leg(goods_account(shop_id), -fen), Leg(OUTSIDE, fen)), at)


def transfer(from_shop: str, to_shop: str, fen: int, *, key: str, at: dt.datetime) -> Posting:
    if from_shop == to_shop:
        raise LedgerError("ledger.same_account", "a transfer needs two different shops")
    return Posting(key, PostingKind.TRANSFER, (Leg(deposit_account(from_shop), -_amount(fen)),
                                               Leg(deposit_account(to_shop), fen)), at)


@dataclass(frozen=True)
class TrialWithdrawalRules:
    """The zero-deposit trial's withdrawal limits (RULES.md §4.1): once a calendar month, at least ``min_fen`` and
    at most ``max_share_pct`` % of the goods-payment balance."""

    min_fen: int = 10_000
    max_share_pct: int = 50
    utc_offset: dt.timedelta = dt.timedelta(hours=8)


def trial_withdrawal_problems(fen: int, *, goods_balance_fen: int, last_withdrawal_at: dt.datetime | None,
                              at: dt.datetime, rules: TrialWithdrawalRules) -> list[str]:
    """Why a trial shop may not withdraw this amount now (empty: it may). Amounts in fen, months local."""
    problems = []
    if fen < rules.min_fen:
        problems.append(f"at least {rules.min_fen} fen per withdrawal")
    cap = goods_balance_fen * rules.max_share_pct // 100  # floor: the cap is never rounded up in the shop's favour
    if fen > cap:
        problems.append(f"at most {rules.max_share_pct} % of the goods-payment balance ({cap} fen)")
    if last_withdrawal_at is not None:
        last, now = last_withdrawal_at + rules.utc_offset, at + rules.utc_offset
        if (last.year, last.month) == (now.year, now.month):
            problems.append("one withdrawal per calendar month")
    return problems
