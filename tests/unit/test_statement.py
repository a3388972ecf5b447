"""Settlement statements with plain values: an order's lines add up to its net receivable and name every waiver and
rulebook version; a period sums by kind with per-waiver relief, at the edges of the period."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anxin.merchants.categories import CategoryRef
from anxin.merchants.fees import FeeError, FeeLine, FeeOrder, load_fees_file, quote_order, reverse_on_refund
from anxin.merchants.statement import (
    LINE_TEXT,
    FeeEntry,
    order_statement,
    period_statement,
    refund_entry,
    sale_entry,
)

BJ = dt.timezone(dt.timedelta(hours=8))
RULES = load_fees_file()
OPENED = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
PAID = dt.datetime(2025, 9, 1, 12, 0, tzinfo=BJ)  # inside the 4.4-point rebate window
FRUIT = CategoryRef("fresh-fruit", ("fresh",))
MAKEUP = CategoryRef("cosmetics-makeup", ("cosmetics",))


def quote(order_id: str = "o1", *, paid: dt.datetime = PAID, version: str = "2025.3"):  # type: ignore[no-untyped-def]
    o = FeeOrder(order_id, "s1", paid.astimezone(dt.UTC), OPENED, "live",
                 (FeeLine(1, MAKEUP, 20_000, 2_000), FeeLine(2, FRUIT, 5_000, 0)), platform_coupon_fen=1_000)
    return quote_order(o, RULES, version=version)


def refund(q, before: int, amount: int, at: dt.datetime, key: str) -> FeeEntry:  # type: ignore[no-untyped-def]
    return refund_entry(q, reverse_on_refund(q, before, amount), amount, at, key)


def test_an_order_statement_explains_every_line_and_adds_up() -> None:
    q = quote()
    entries = [sale_entry(q), refund(q, 0, 8_000, PAID + dt.timedelta(days=2), "r1")]
    st_ = order_statement(reversed(entries))
    codes = [ln.code for ln in st_.lines]
    assert codes == ["gross", "shop_coupon", "fee_base", "commission", "rebate", "fee",
                     "gross", "shop_coupon", "fee_base", "commission", "waiver", "channel_floor", "fee",
                     "platform_coupon", "refund", "fee_reversal", "net_receivable"]
    assert sum(ln.amount_fen for ln in st_.lines if ln.counts) == st_.net_receivable_fen
    assert st_.net_receivable_fen == sum(e.receivable_fen for e in entries)
    assert all(ln.version == "2025.3" for ln in st_.lines)
    rebate, waiver = (ln for ln in st_.lines if ln.code in ("rebate", "waiver"))
    assert (rebate.rule_id, rebate.amount_fen) == ("rebate.q3_2025_4_4pp", -(1_440 - 648))  # 8 % → 3.6 % of 18 000
    assert (waiver.rule_id, waiver.amount_fen) == ("waiver.fresh_2024", -(100 - 30))
    assert rebate.label("en") == "Line 1: rebate of 4.4 points (rebate.q3_2025_4_4pp)"
    assert waiver.label("zh-CN") == "第2行 佣金减免（waiver.fresh_2024）"


def test_a_full_refund_leaves_nothing_charged_and_nothing_receivable() -> None:
    q = quote()
    entries = [sale_entry(q), refund(q, 0, q.paid_fen - 1, PAID, "r1"), refund(q, q.paid_fen - 1, 1, PAID, "r2")]
    st_ = order_statement(entries)
    assert (st_.fee_fen, st_.net_receivable_fen) == (0, 0)


def test_entries_survive_json() -> None:
    q = quote()
    for e in (sale_entry(q), refund(q, 0, 5_000, PAID, "r1")):
        assert FeeEntry.from_dict(json.loads(json.dumps(e.as_dict()))) == e


@pytest.mark.parametrize("entries", [
    [],
    [sale_entry(quote("o1")), sale_entry(quote("o2"))],
    [sale_entry(quote()), sale_entry(quote())],
])
def test_an_order_statement_needs_one_order_with_one_sale(entries) -> None:
    with pytest.raises(FeeError) as exc:
        order_statement(entries)
    assert exc.value.code == "fees.statement_entries"


def test_a_refund_entry_must_match_its_reversal() -> None:
    q = quote()
    with pytest.raises(FeeError) as exc:
        refund_entry(q, reverse_on_refund(q, 0, 100), 200, PAID, "r")
    assert exc.value.code == "fees.refund_mismatch"


START = dt.datetime(2025, 9, 1, tzinfo=BJ)
END = dt.datetime(2025, 9, 2, tzinfo=BJ)


@pytest.mark.parametrize(("at", "inside"), [
    (START - dt.timedelta(microseconds=1), False),
    (START, True),  # start included
    (END - dt.timedelta(microseconds=1), True),
    (END, False),  # end excluded
])
def test_a_period_takes_entries_from_start_to_before_end(at, inside) -> None:
    entry = sale_entry(quote(paid=at))
    period = period_statement([entry], START, END)
    assert period.sales.count == (1 if inside else 0)


def test_a_period_sums_by_kind_and_credits_relief_to_each_waiver_net_of_refunds() -> None:
    q1, q2 = quote("o1"), quote("o2", version="2025.4")
    entries = [sale_entry(q1), sale_entry(q2), refund(q1, 0, q1.paid_fen, PAID + dt.timedelta(hours=1), "r1")]
    period = period_statement(entries, START, END)
    assert (period.orders, period.sales.count, period.refunds.count, period.shop_ids) == (2, 2, 1, ("s1",))
    assert period.net.receivable_fen == q2.receivable_fen and period.net.fee_fen == q2.fee_fen
    assert period.waived_by_waiver == q2.waived_by_waiver == {"rebate.q3_2025_4_4pp": 792, "waiver.fresh_2024": 70}
    assert period.versions == {"2025.3": 2, "2025.4": 1}
    assert sum(ln.amount_fen for ln in period.lines if ln.counts) == period.net.receivable_fen
    for ln in period.lines:
        assert all(ln.label(lang) != ln.code for lang in ("zh-CN", "en"))
    with pytest.raises(FeeError) as exc:
        period_statement(entries, END, START)
    assert exc.value.code == "merchants.invalid_period"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10_000), max_size=6), st.randoms(use_true_random=False))
def test_statement_lines_always_add_up_to_the_net_receivable(weights, rnd) -> None:
    q = quote()
    cuts = sorted(rnd.randint(0, q.paid_fen) for _ in weights)
    entries, before = [sale_entry(q)], 0
    for i, amount in enumerate(b - a for a, b in zip([0, *cuts], cuts, strict=False)):
        entries.append(refund(q, before, amount, PAID + dt.timedelta(minutes=i), f"r{i}"))
        before += amount
    st_ = order_statement(entries)
    assert sum(ln.amount_fen for ln in st_.lines if ln.counts) == st_.net_receivable_fen
    assert st_.net_receivable_fen == q.receivable_fen - sum(-e.receivable_fen for e in entries[1:])


def test_every_line_code_has_both_texts_and_renders() -> None:
    assert all(set(t) == {"zh-CN", "en"} and all(t.values()) for t in LINE_TEXT.values())
    q = quote()
    lines = order_statement([sale_entry(q), refund(q, 0, 100, PAID, "r")]).lines
    for ln in lines:
        assert all(ln.label(lang) != ln.code for lang in ("zh-CN", "en")), ln
