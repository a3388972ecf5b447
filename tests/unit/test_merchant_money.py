"""The money use cases' policy edges, without a database (in the style of cosmicpython's test_handlers): plain
ledgers for the limits, and a fake unit-of-work factory to show that a refused request never opens a transaction."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from tests.fakes import FakeStore, FakeUnitOfWork

from anxin.core.clock import FixedClock
from anxin.core.errors import AnxinError
from anxin.core.money import MAX_FEN
from anxin.core.principal import Principal, Role
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.merchants.ledger import Ledger, debt_account, deposit_account, goods_account
from anxin.merchants.rulebook import load_merchant_rulebook
from anxin.merchants.usecases.money import (
    Money,
    check_trial_payout,
    check_withdrawal,
    ensure_open,
    parse_amount,
    parse_key,
)

NOW = dt.datetime(2026, 11, 12, 4, 0, tzinfo=dt.UTC)
MERCHANT = Principal("m1", Role.MERCHANT, "k1")
OPS = Principal("ops", Role.OPERATOR, "k2")
RULES = load_merchant_rulebook()


class CountingFactory:
    """A unit-of-work factory that hands out fake units of work and counts them."""

    def __init__(self) -> None:
        self.store, self.opened = FakeStore(), 0

    def __call__(self) -> FakeUnitOfWork:
        self.opened += 1
        return FakeUnitOfWork(self.store)


def _money() -> tuple[Money, CountingFactory]:
    factory = CountingFactory()
    return Money(uow_factory=factory, clock=FixedClock(NOW), rulebook=RULES), factory  # type: ignore[arg-type]


def _code(exc: pytest.ExceptionInfo[AnxinError]) -> E:
    return exc.value.code  # type: ignore[return-value]


def _ledger(shop: str = "s1", *, held: int = 0, debt: int = 0, goods: int = 0) -> Ledger:
    return Ledger(balances={deposit_account(shop): held, debt_account(shop): -debt, goods_account(shop): goods})


@pytest.mark.parametrize("value", [0, -1, MAX_FEN + 1, True, 1.5, "100", None])
def test_an_amount_is_a_positive_whole_number_of_fen_up_to_the_maximum(value: Any) -> None:
    with pytest.raises(AnxinError) as exc:
        parse_amount(value)
    assert _code(exc) is E.INVALID_AMOUNT and exc.value.details["field"] == "amount_fen"


def test_the_amount_edges_that_pass() -> None:
    assert parse_amount(1) == 1 and parse_amount(MAX_FEN) == MAX_FEN


@pytest.mark.parametrize("value", ["", "x" * 121, "a\x00b", 7, None])
def test_an_idempotency_key_is_a_short_non_empty_string(value: Any) -> None:
    with pytest.raises(AnxinError) as exc:
        parse_key(value)
    assert _code(exc) is E.INVALID_FIELD
    assert parse_key("x" * 120) == "x" * 120


def test_a_trading_shop_withdraws_down_to_its_required_deposit_less_its_debt() -> None:
    ledger = _ledger(held=100_000, debt=10_000)
    check_withdrawal(ledger, "s1", 30_000, closed=False, required_fen=60_000)  # exactly the limit
    with pytest.raises(AnxinError) as exc:
        check_withdrawal(ledger, "s1", 30_001, closed=False, required_fen=60_000)
    assert _code(exc) is E.WITHDRAWAL_OVER_LIMIT
    assert exc.value.details == {"limit_fen": 30_000, "held_fen": 100_000, "required_fen": 60_000,
                                 "debt_fen": 10_000}


def test_a_closed_shop_withdraws_everything_but_what_it_owes() -> None:
    ledger = _ledger(held=100_000, debt=10_000)
    check_withdrawal(ledger, "s1", 90_000, closed=True, required_fen=60_000)
    with pytest.raises(AnxinError) as exc:
        check_withdrawal(ledger, "s1", 90_001, closed=True, required_fen=60_000)
    assert exc.value.details["required_fen"] == 0 and exc.value.details["limit_fen"] == 90_000


def test_the_withdrawal_limit_is_never_negative() -> None:
    with pytest.raises(AnxinError) as exc:
        check_withdrawal(_ledger(held=10_000, debt=50_000), "s1", 1, closed=False, required_fen=20_000)
    assert exc.value.details["limit_fen"] == 0


def test_a_trial_shop_is_paid_out_once_a_month_within_its_share_of_the_balance() -> None:
    rules = RULES.deposits.trial_withdrawal
    ledger = _ledger(goods=rules.min_fen * 4)
    cap = ledger.balance(goods_account("s1")) * rules.max_share_pct // 100
    check_trial_payout(ledger, "s1", min(cap, rules.min_fen * 2), last_payout_at=None, at=NOW, rulebook=RULES)
    with pytest.raises(AnxinError) as exc:
        check_trial_payout(ledger, "s1", cap + 1, last_payout_at=None, at=NOW, rulebook=RULES)
    assert _code(exc) is E.WITHDRAWAL_OVER_LIMIT and len(exc.value.details["problems"]) == 1
    with pytest.raises(AnxinError) as exc:
        check_trial_payout(ledger, "s1", rules.min_fen, last_payout_at=NOW - dt.timedelta(days=1), at=NOW,
                           rulebook=RULES)
    assert exc.value.details["problems"] == ["one withdrawal per calendar month"]


def test_a_closed_shop_takes_no_top_up() -> None:
    ensure_open(SimpleNamespace(state="active", shop_id="s1"))  # type: ignore[arg-type]
    with pytest.raises(AnxinError) as exc:
        ensure_open(SimpleNamespace(state="closed", shop_id="s1"))  # type: ignore[arg-type]
    assert _code(exc) is E.SHOP_CLOSED


@pytest.mark.parametrize(("call", "code"), [
    (lambda m: m.deduct(MERCHANT, "s1", amount_fen=100, reason="penalty", key="k"), E.FORBIDDEN_ROLE),
    (lambda m: m.deduct(OPS, "s1", amount_fen=100, reason="bonus", key="k"), E.INVALID_FIELD),
    (lambda m: m.deduct(OPS, "s1", amount_fen=100, reason="penalty", key="k", allow_debt="yes"), E.INVALID_FIELD),
    (lambda m: m.deduct(OPS, "s1", amount_fen=0, reason="penalty", key="k"), E.INVALID_AMOUNT),
    (lambda m: m.top_up(MERCHANT, "s1", amount_fen=-5, key="k"), E.INVALID_AMOUNT),
    (lambda m: m.top_up(MERCHANT, "s1", amount_fen=100, key=""), E.INVALID_FIELD),
    (lambda m: m.withdraw_deposit(MERCHANT, "s1", amount_fen=MAX_FEN + 1, key="k"), E.INVALID_AMOUNT),
    (lambda m: m.payout_goods(MERCHANT, "s1", amount_fen=100, key=None), E.INVALID_FIELD),
])
def test_a_refused_request_never_opens_a_unit_of_work(call: Any, code: E) -> None:
    money, factory = _money()
    with pytest.raises(AnxinError) as exc:
        call(money)
    assert _code(exc) is code
    assert factory.opened == 0 and factory.store.data == {}
