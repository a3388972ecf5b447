"""The deposit ledger with plain values: money conserved, no silent negative, postings idempotent (Hypothesis), and
the zero-deposit trial's withdrawal limits at the edges."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.merchants.ledger import (
    CONSUMER_PAYABLE,
    PLATFORM_PENALTIES,
    Ledger,
    LedgerError,
    Leg,
    Posting,
    PostingKind,
    TrialWithdrawalRules,
    debt_account,
    deduct,
    deposit_account,
    top_up,
    transfer,
    trial_withdrawal_problems,
    withdraw,
)

T = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC)
SHOPS = ("s1", "s2", "s3")

op = st.one_of(
    st.tuples(st.just("top_up"), st.sampled_from(SHOPS), st.integers(1, 500_000)),
    st.tuples(st.just("deduct"), st.sampled_from(SHOPS), st.integers(1, 500_000), st.booleans(),
              st.sampled_from(["penalty", "compensation"])),
    st.tuples(st.just("withdraw"), st.sampled_from(SHOPS), st.integers(1, 500_000)),
    st.tuples(st.just("transfer"), st.sampled_from(SHOPS), st.sampled_from(SHOPS), st.integers(1, 500_000)),
)


def build(ledger: Ledger, step: tuple, key: str) -> Posting:  # type: ignore[type-arg]
    match step:
        case ("top_up", shop, fen):
            return top_up(shop, fen, key=key, at=T)
        case ("deduct", shop, fen, allow, reason):
            return deduct(ledger, shop, fen, reason=reason, key=key, at=T, allow_debt=allow)
        case ("withdraw", shop, fen):
            return withdraw(shop, fen, key=key, at=T)
        case ("transfer", a, b, fen):
            return transfer(a, b, fen, key=key, at=T)
    raise AssertionError(step)


@settings(max_examples=200, deadline=None)
@given(st.lists(op, max_size=40), st.lists(st.integers(0, 39), max_size=10))
def test_money_is_conserved_never_silently_negative_and_replays_change_nothing(steps, replays) -> None:
    ledger = Ledger()
    applied: list[Posting] = []
    for i, step in enumerate(steps):
        before = dict(ledger.balances)
        try:
            posting = build(ledger, step, f"k{i}")
            assert ledger.post(posting) is True
            applied.append(posting)
        except LedgerError:
            assert ledger.balances == before  # refused whole: nothing half-written
        assert sum(ledger.balances.values()) == 0  # double entry: every fen is somewhere
        assert all(v >= 0 for a, v in ledger.balances.items() if a.startswith("deposit:"))
        assert all(v <= 0 for a, v in ledger.balances.items() if a.startswith("debt:"))
    snapshot = dict(ledger.balances)
    for r in replays:
        if r < len(applied):
            assert ledger.post(applied[r]) is False
    assert ledger.balances == snapshot


def test_a_deduction_beyond_the_deposit_is_refused_unless_booked_to_debt() -> None:
    ledger = Ledger()
    ledger.post(top_up("s1", 20_000, key="t1", at=T))
    with pytest.raises(LedgerError) as exc:
        deduct(ledger, "s1", 50_000, reason="compensation", key="d1", at=T)
    assert exc.value.code == "ledger.insufficient_deposit"
    posting = deduct(ledger, "s1", 50_000, reason="compensation", key="d1", at=T, allow_debt=True)
    assert ledger.post(posting)
    assert (ledger.balance(deposit_account("s1")), ledger.balance(debt_account("s1")),
            ledger.balance(CONSUMER_PAYABLE)) == (0, -30_000, 50_000)
    # A replay keeps the split it was first given, even though the deposit is now empty.
    assert deduct(ledger, "s1", 50_000, reason="compensation", key="d1", at=T) == posting
    assert ledger.post(posting) is False


def test_a_key_reused_for_another_posting_is_refused() -> None:
    ledger = Ledger()
    ledger.post(top_up("s1", 100, key="k", at=T))
    with pytest.raises(LedgerError) as exc:
        ledger.post(top_up("s1", 200, key="k", at=T))
    assert exc.value.code == "ledger.key_conflict" and ledger.balance(deposit_account("s1")) == 100


@pytest.mark.parametrize(("legs", "code"), [
    ((Leg("a", 100), Leg("b", -99)), "ledger.unbalanced"),
    ((Leg("a", 100),), "ledger.unbalanced"),
    ((Leg("a", 0), Leg("b", 0)), "ledger.invalid_amount"),
    ((Leg("a", True), Leg("b", -1)), "ledger.invalid_amount"),
])
def test_postings_that_do_not_balance_or_move_nothing_are_refused(legs, code) -> None:
    with pytest.raises(LedgerError) as exc:
        Posting("k", PostingKind.TOP_UP, legs, T)
    assert exc.value.code == code


def test_penalties_go_to_the_platform_and_transfers_between_two_shops_only() -> None:
    ledger = Ledger()
    ledger.post(top_up("s1", 5_000, key="t", at=T))
    ledger.post(deduct(ledger, "s1", 1_000, reason="penalty", key="p", at=T))
    assert ledger.balance(PLATFORM_PENALTIES) == 1_000
    with pytest.raises(LedgerError):
        transfer("s1", "s1", 100, key="x", at=T)
    ledger.post(transfer("s1", "s2", 4_000, key="x", at=T))
    assert (ledger.balance(deposit_account("s1")), ledger.balance(deposit_account("s2"))) == (0, 4_000)


R = TrialWithdrawalRules()
BJ_MONTH_START = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 2026-12-01 00:00 in Beijing


@pytest.mark.parametrize(("fen", "balance", "last", "at", "problems"), [
    (10_000, 20_000, None, T, []),  # exactly the minimum and exactly half
    (9_999, 20_000, None, T, ["at least 10000 fen per withdrawal"]),
    (10_001, 20_001, None, T, ["at most 50 % of the goods-payment balance (10000 fen)"]),  # half, rounded down
    (10_000, 20_000, T - dt.timedelta(days=1), T, ["one withdrawal per calendar month"]),
    # the month is Beijing's: one second before and at midnight on 1 December
    (10_000, 20_000, BJ_MONTH_START - dt.timedelta(seconds=2), BJ_MONTH_START - dt.timedelta(seconds=1),
     ["one withdrawal per calendar month"]),
    (10_000, 20_000, BJ_MONTH_START - dt.timedelta(seconds=1), BJ_MONTH_START, []),
])
def test_trial_withdrawals_at_the_edges(fen, balance, last, at, problems) -> None:
    assert trial_withdrawal_problems(fen, goods_balance_fen=balance, last_withdrawal_at=last, at=at,
                                     rules=R) == problems
