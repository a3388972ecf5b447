"""The fee engine with plain values: the shipped rulebook loads, broken ones report every problem with its path,
table tests at the edges of every window and rounding tie, and Hypothesis properties (money conserved, fee within
the base, refunds reverse exactly the fee)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.catalogs import reason_texts

from anxin.merchants.categories import CategoryRef
from anxin.merchants.fees import (
    FeeError,
    FeeLine,
    FeeOrder,
    FeeQuote,
    FeeRules,
    allocate_order_coupon,
    load_fees,
    load_fees_file,
    quote_order,
    reverse_on_refund,
    round_half_even,
    waiver_from_dict,
    waiver_problems,
)
from anxin.merchants.reasons import render
from anxin.merchants.rulebook_models import MerchantRulebookError

BJ = dt.timezone(dt.timedelta(hours=8))
RULES = load_fees_file()
V = "2026.1"

FRUIT = CategoryRef("fresh-fruit", ("fresh",))
TAGGED_FRESH = CategoryRef("eggs", ("food",), frozenset({"fresh"}))
PHONES = CategoryRef("3c-phones", ("3c",))
AUDIO = CategoryRef("3c-audio", ("3c",))
WOMEN = CategoryRef("apparel-women", ("apparel",))
MEN = CategoryRef("apparel-men", ("apparel",))
MAKEUP = CategoryRef("cosmetics-makeup", ("cosmetics",))
WATCHES = CategoryRef("jewelry-watches", ("jewelry",))
OTHER = CategoryRef("toys")
CATEGORIES = (FRUIT, TAGGED_FRESH, PHONES, AUDIO, WOMEN, MEN, MAKEUP, WATCHES, OTHER)

OPENED = dt.datetime(2020, 1, 1, tzinfo=BJ)  # an old shop: the new-shop waiver does not apply
QUIET = dt.datetime(2026, 5, 6, 12, 0, tzinfo=BJ)  # no rebate window; 2025 list over

REASON_TEXT = reason_texts("fee")  # the pages word these reasons with them


def order(*lines: FeeLine, paid_at: dt.datetime = QUIET, opened: dt.datetime = OPENED, channel: str = "live",
          platform_coupon: int = 0) -> FeeOrder:
    return FeeOrder("o1", "s1", paid_at.astimezone(dt.UTC), opened.astimezone(dt.UTC), channel, tuple(lines),
                    platform_coupon)


def line(category: CategoryRef = WOMEN, gross: int = 10_000, coupon: int = 0, no: int = 1) -> FeeLine:
    return FeeLine(no, category, gross, coupon)


def rules_from(**overrides: Any) -> FeeRules:
    return load_fees(fees_raw(**overrides))


def fees_raw(**overrides: Any) -> dict[str, Any]:
    return {"kind": "merchants.fees",
            "commission": {"default": {"id": "c.default", "name": {"zh-CN": "默认", "en": "Default"}, "rate_bp": 500}},
            "channel_fee_bp": 60, "refund_reversal": "proportional", "waivers": [], **overrides}


def fee_problems(raw: Any) -> list[str]:
    try:
        load_fees(raw)
    except MerchantRulebookError as exc:
        return exc.problems
    return []


def waiver(wid: str = "w", *, kind: str = "waive", start: str = "2025-01-01T00:00:00+08:00",
           until: str | None = "2026-01-01T00:00:00+08:00", scope: dict[str, Any] | None = None,
           rebate_bp: int | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = {"id": wid, "name": {"zh-CN": wid, "en": wid}, "from": start, "kind": kind,
                           "scope": scope if scope is not None else {}}
    if until is not None:
        raw["until"] = until
    if rebate_bp is not None:
        raw["rebate_bp"] = rebate_bp
    return raw


# --- the shipped rulebook --------------------------------------------------------------------------------------

def test_the_shipped_fees_section_loads_with_its_defaults() -> None:
    assert (RULES.default_commission.rate_bp, RULES.channel_fee_bp, RULES.refund_reversal) == (500, 60, "proportional")
    assert {w.id for w in RULES.waivers} == {"waiver.new_shop_30d", "waiver.fresh_2024", "waiver.product_card_2025",
                                             "waiver.daily_necessities_2025", "rebate.q3_2025_4_4pp"}
    assert all(200 <= r.rate_bp <= 1000 for r in RULES.commission)


@pytest.mark.parametrize(("category", "rate_id", "rate_bp"), [
    (PHONES, "commission.3c_phones", 200),  # the leaf beats its parent
    (AUDIO, "commission.3c", 300),
    (TAGGED_FRESH, "commission.fresh", 200),  # by tag
    (MAKEUP, "commission.cosmetics", 800),
    (OTHER, "commission.default", 500),
])
def test_the_most_specific_commission_rate_wins(category, rate_id, rate_bp) -> None:
    q = quote_order(order(line(category)), RULES, version=V)
    assert (q.lines[0].commission_id, q.lines[0].commission_bp) == (rate_id, rate_bp)


def test_broken_yaml_reports_every_problem_with_its_path() -> None:
    raw = {
        "commission": {"default": {"id": "d", "name": {"zh-CN": "默认"}, "rate_bp": 5.5},
                       "rates": [{"id": "a", "name": {"zh-CN": "甲", "en": "A"}, "match": {"tags": ["fresh"]},
                                  "rate_bp": 200},
                                 {"id": "a", "name": {"zh-CN": "丙", "en": "C"}, "match": {}, "rate_bp": 20_000}]},
        "channel_fee_bp": -1, "refund_reversal": "pro_rata", "surprise": 1,
        "waivers": [
            waiver("ok"),
            {**waiver("bad", kind="discount", scope={"channels": ["tv"], "colour": 1}), "until": "2025-13-01"},
            waiver("rebate_without_bp", kind="rebate"),
            {**waiver("waive_with_bp"), "rebate_bp": 10, "from": "2025-01-01T00:00:00"},
        ]}
    expected = [
        "fees.commission.default.name.en: required",
        "fees.commission.default.rate_bp: must be an integer, got 5.5",
        "fees.commission.rates[1].rate_bp: must be an integer 0–10000, got 20000",
        "fees.commission.rates[1].match: needs categories or tags",
        "fees.channel_fee_bp: must be an integer 0–10000, got -1",
        "fees.refund_reversal: must be one of 'proportional', got 'pro_rata'",
        "fees.waivers[1].until: month must be in 1..12",
        "fees.waivers[1].kind: must be one of 'waive' or 'rebate', got 'discount'",
        "fees.waivers[1].scope.channels[0]: must be one of 'live', 'short_video', 'product_card' or 'other', got 'tv'",
        "fees.waivers[1].scope.colour: unknown key",
        "fees.waivers[2].rebate_bp: required for a rebate",
        "fees.waivers[3].from: timestamp '2025-01-01T00:00:00' has no UTC offset",
        "fees.surprise: unknown key",
    ]
    found = fee_problems(fees_raw(**raw))
    assert len(found) == len(expected) and all(f.startswith(e) for f, e in zip(found, expected, strict=True)), found


DEFAULT = {"id": "d", "name": {"zh-CN": "默", "en": "D"}, "rate_bp": 1}
RATE_A = {"id": "a", "name": {"zh-CN": "甲", "en": "A"}, "match": {"tags": ["fresh"]}, "rate_bp": 200}


@pytest.mark.parametrize(("raw", "problem"), [
    (fees_raw(kind="merchants.deposits"), "fees.kind: must be one of 'merchants.fees', got 'merchants.deposits'"),
    (fees_raw(commission={"default": RATE_A | {"match": {}}}), "fees.commission.default.match: unknown key"),
    (fees_raw(commission={"default": DEFAULT, "rates": [RATE_A | {"match": {"categories": []}}]}),
     "fees.commission.rates[0].match: needs categories or tags"),  # the default has no match, a rate needs one
    (fees_raw(commission={"default": DEFAULT, "rates": [RATE_A | {"match": {"tags": "fresh"}}]}),
     "fees.commission.rates[0].match.tags: must be a list, got 'fresh'"),
    (fees_raw(commission={"default": {"id": "a", "name": {"zh-CN": "默", "en": "D"}, "rate_bp": 1},
                          "rates": [RATE_A | {"id": "b"}, RATE_A | {"id": "c", "match": {"categories": ["x"]}},
                                    RATE_A | {"id": "b", "match": {"tags": ["y"]}}]}),
     "fees.commission.rates[2].id: duplicate commission id 'b'"),
    (fees_raw(commission={"default": {"id": "a", "name": {"zh-CN": "默", "en": "D"}, "rate_bp": 1},
                          "rates": [RATE_A]}), "fees.commission.rates[0].id: duplicate commission id 'a'"),
    (fees_raw(waivers=[waiver("w", start="2025-06-01T00:00:00+08:00", until="2025-05-01T00:00:00+08:00")]),
     "fees.waivers[0].until: must be after from (2025-06-01T00:00:00+08:00), got 2025-05-01T00:00:00+08:00"),
    (fees_raw(waivers=[waiver("ok"), waiver("twin")]), "fees.waivers[1]: overlaps waive 'ok' from"),
    (fees_raw(waivers=[waiver("ok"), waiver("ok", kind="rebate", rebate_bp=5)]),
     "fees.waivers[1].id: duplicate waiver id 'ok'"),
    (fees_raw(waivers=[waiver("w", scope={"channels": []})]), "fees.waivers[0].scope.channels: must not be empty"),
    (fees_raw(waivers=[waiver("w", scope={"new_shop_days": 0})]),
     "fees.waivers[0].scope.new_shop_days: must be an integer 1–3650, got 0"),
    (fees_raw(waivers=[waiver("w", kind="rebate", rebate_bp=0)]),
     "fees.waivers[0].rebate_bp: must be an integer 1–10000, got 0"),
    (fees_raw(waivers=[waiver("w") | {"rebate_bp": 10}]), "fees.waivers[0].rebate_bp: only a rebate takes rebate_bp"),
    (fees_raw(waivers=[waiver("w") | {"scope": None}]), "fees.waivers[0].scope: must be a mapping, got None"),
])
def test_each_refusal_names_its_path(raw: dict[str, Any], problem: str) -> None:
    found = fee_problems(raw)
    assert len(found) == 1 and found[0].startswith(problem), found


def test_two_rates_on_one_tag_tie_and_are_all_reported() -> None:
    rates = [RATE_A, RATE_A | {"id": "b", "match": {"tags": ["fresh"], "categories": ["x"]}},
             RATE_A | {"id": "c", "match": {"categories": ["x"]}}]
    assert fee_problems(fees_raw(commission={"default": DEFAULT, "rates": rates})) == [
        "fees.commission.rates[1].match: ties with 'a' on tag fresh",
        "fees.commission.rates[2].match: ties with 'b' on x"]


def test_load_fees_file_raises_with_every_problem(tmp_path) -> None:
    path = tmp_path / "fees.yaml"
    path.write_text("kind: merchants.fees\ncommission: {}\nchannel_fee_bp: 60.5\n", encoding="utf-8")
    with pytest.raises(MerchantRulebookError) as exc:
        load_fees_file(path)
    assert exc.value.problems == [
        "fees.commission.default: required",
        "fees.channel_fee_bp: must be an integer, got 60.5 (whole fen or hundredths, no floats)",
        "fees.refund_reversal: required"]
    assert isinstance(exc.value, ValueError)


# --- waivers: windows and overlaps ---------------------------------------------------------------------------

def build(raw: dict[str, Any]):  # type: ignore[no-untyped-def]
    w, problems = waiver_from_dict(raw)
    assert problems == [] and w is not None
    return w


def test_a_waiver_from_the_api_is_validated_like_the_yaml() -> None:
    w, problems = waiver_from_dict({"id": "x", "kind": "rebate", "from": "2025-01-01", "scope": {"match": {}}})
    assert w is None
    assert problems == [("fees.invalid_waiver", p) for p in (
        "waiver.name: required",
        "waiver.from: timestamp '2025-01-01' has no UTC offset",
        "waiver.scope.match: needs categories or tags (leave match out to cover every category)")]
    _, problems = waiver_from_dict({"id": "x", "name": {"zh-CN": "x", "en": "x"}, "kind": "rebate",
                                    "from": "2025-01-01T00:00:00+08:00", "scope": {}})
    assert problems == [("fees.invalid_waiver", "waiver.rebate_bp: required for a rebate")]
    assert waiver_from_dict("nope") == (None, [("fees.invalid_waiver", "waiver: must be a mapping")])


@pytest.mark.parametrize(("a", "b", "overlaps"), [
    (waiver("a"), waiver("b"), True),  # all orders, same year
    (waiver("a", until="2025-06-01T00:00:00+08:00"), waiver("b", start="2025-06-01T00:00:00+08:00"), False),  # touch
    (waiver("a", until="2025-06-01T00:00:01+08:00"), waiver("b", start="2025-06-01T00:00:00+08:00"), True),
    (waiver("a", until=None), waiver("b", start="2030-01-01T00:00:00+08:00", until=None), True),  # open ends
    (waiver("a"), waiver("b", kind="rebate", rebate_bp=100), False),  # different kinds stack
    (waiver("a", scope={"new_shop_days": 30}), waiver("b", scope={"new_shop_days": 7}), True),
    (waiver("a", scope={"new_shop_days": 30}), waiver("b", scope={"channels": ["live"]}), False),  # other type
    (waiver("a", scope={"channels": ["live", "other"]}), waiver("b", scope={"channels": ["other"]}), True),
    (waiver("a", scope={"channels": ["live"]}), waiver("b", scope={"channels": ["product_card"]}), False),
    (waiver("a", scope={"match": {"tags": ["fresh"]}}), waiver("b", scope={"match": {"tags": ["fresh"]}}), True),
    (waiver("a", scope={"match": {"categories": ["fresh"]}}), waiver("b", scope={"match": {"tags": ["fresh"]}}),
     False),  # a category and a tag are not literally shared
    (waiver("a", scope={"match": {"categories": ["x"]}, "channels": ["live"]}),
     waiver("b", scope={"match": {"categories": ["x"]}, "channels": ["short_video"]}), False),
    (waiver("a", kind="rebate", rebate_bp=100), waiver("b", kind="rebate", rebate_bp=440), True),
])
def test_two_waivers_overlap_when_same_kind_window_and_scope_type_intersect(a, b, overlaps) -> None:
    codes = [code for code, _ in waiver_problems(build(b), [build(a)])]
    assert codes == (["fees.waiver_overlap"] if overlaps else [])


def test_waiver_problems_give_stable_codes() -> None:
    backwards = build(waiver("b", start="2025-06-01T00:00:00+08:00", until="2025-06-01T00:00:00+08:00"))
    assert waiver_problems(backwards, []) == [("fees.invalid_window", "until: must be after from "
                                               "(2025-06-01T00:00:00+08:00), got 2025-06-01T00:00:00+08:00")]
    assert [c for c, _ in waiver_problems(build(waiver("a")), [build(waiver("a"))])] == ["fees.duplicate_waiver_id"]
    (code, message), = waiver_problems(build(waiver("fresh2", scope={"match": {"tags": ["fresh"]}})),
                                       RULES.waivers)
    assert code == "fees.waiver_overlap" and "'waiver.fresh_2024'" in message and "tag fresh" in message


# --- the engine at the edges ---------------------------------------------------------------------------------

NEW_SHOP = rules_from(waivers=[waiver("new", until=None, scope={"new_shop_days": 30})])
OPENED_LATE = dt.datetime(2025, 3, 10, 23, 50, tzinfo=BJ)  # ten minutes before day 2 starts


@pytest.mark.parametrize(("paid", "waived"), [
    (OPENED_LATE, True),  # day 1, the opening minute
    (dt.datetime(2025, 3, 11, 0, 0, tzinfo=BJ), True),  # day 2 after ten minutes: calendar days, not 24 h
    (dt.datetime(2025, 4, 8, 23, 59, 59, tzinfo=BJ), True),  # day 30, last second
    (dt.datetime(2025, 4, 9, 0, 0, tzinfo=BJ), False),  # day 31
    (dt.datetime(2025, 3, 10, 23, 0, tzinfo=BJ), True),  # earlier the same calendar day (day 1)
    (dt.datetime(2025, 3, 9, 23, 59, tzinfo=BJ), False),  # before the opening day (day 0)
])
def test_new_shops_pay_no_commission_on_beijing_calendar_days_1_to_30(paid, waived) -> None:
    fee = quote_order(order(line(gross=10_000), paid_at=paid, opened=OPENED_LATE), NEW_SHOP, version=V).lines[0]
    assert (fee.waiver_ids, fee.charged_bp, fee.fee_fen) == ((("new",), 60, 60) if waived else ((), 500, 500))


def test_a_shop_whose_opening_is_not_known_is_not_new() -> None:
    o = FeeOrder("o1", "s1", QUIET.astimezone(dt.UTC), None, "live", (line(),))
    assert quote_order(o, NEW_SHOP, version=V).lines[0].charged_bp == 500


REBATE = rules_from(waivers=[waiver("r", kind="rebate", rebate_bp=440, start="2025-08-14T00:00:00+08:00",
                                    until="2025-10-01T00:00:00+08:00")])


@pytest.mark.parametrize(("paid", "charged"), [
    (dt.datetime(2025, 8, 13, 23, 59, 59, tzinfo=BJ), 500),
    (dt.datetime(2025, 8, 14, 0, 0, tzinfo=BJ), 60),  # exactly from: included
    (dt.datetime(2025, 9, 30, 23, 59, 59, 999999, tzinfo=BJ), 60),
    (dt.datetime(2025, 10, 1, 0, 0, tzinfo=BJ), 500),  # exactly until: excluded
])
def test_a_waiver_window_includes_from_and_excludes_until(paid, charged) -> None:
    assert quote_order(order(line(), paid_at=paid), REBATE, version=V).lines[0].charged_bp == charged


@pytest.mark.parametrize(("base", "bp", "fee"), [
    (250, 60, 2),  # 1.5 → 2
    (750, 60, 4),  # 4.5 → 4
    (10, 500, 0),  # 0.5 → 0
    (30, 500, 2),  # 1.5 → 2
    (49_999, 500, 2500),  # 2499.95 → 2500
    (50_000, 500, 2500),
    (50_010, 500, 2500),  # 2500.5 → 2500
    (50_030, 500, 2502),  # 2501.5 → 2502
])
def test_fees_round_half_even_to_the_fen(base, bp, fee) -> None:
    rules = rules_from(commission={"default": {"id": "d", "name": {"zh-CN": "默", "en": "D"}, "rate_bp": bp}},
                       channel_fee_bp=0)
    assert quote_order(order(line(gross=base)), rules, version=V).fee_fen == fee == round_half_even(base * bp, 10_000)


@pytest.mark.parametrize(("category", "channel", "paid", "opened", "charged", "credited"), [
    (FRUIT, "live", QUIET, OPENED, 60, "waiver.fresh_2024"),
    (TAGGED_FRESH, "live", QUIET, OPENED, 60, "waiver.fresh_2024"),
    (WOMEN, "product_card", QUIET, OPENED, 60, "waiver.product_card_2025"),
    (WOMEN, "live", QUIET, QUIET - dt.timedelta(days=3), 60, "waiver.new_shop_30d"),
    (MEN, "live", dt.datetime(2025, 5, 1, tzinfo=BJ), OPENED, 60, "waiver.daily_necessities_2025"),
    (MEN, "live", QUIET, OPENED, 500, None),  # the 2025 list ended
    (FRUIT, "live", dt.datetime(2023, 12, 31, 23, 59, tzinfo=BJ), OPENED, 200, None),  # before 2024
    (WOMEN, "live", dt.datetime(2025, 9, 1, tzinfo=BJ), OPENED, 60, "rebate.q3_2025_4_4pp"),  # 5 − 4.4 = 0.6
    (MAKEUP, "live", dt.datetime(2025, 9, 1, tzinfo=BJ), OPENED, 360, "rebate.q3_2025_4_4pp"),  # 8 − 4.4
    (PHONES, "live", dt.datetime(2025, 9, 1, tzinfo=BJ), OPENED, 60, "rebate.q3_2025_4_4pp"),  # 2 − 4.4 → floor
])
def test_the_shipped_waivers(category, channel, paid, opened, charged, credited) -> None:
    fee = quote_order(order(line(category, gross=100_000), paid_at=paid, opened=opened, channel=channel), RULES,
                      version=V).lines[0]
    assert fee.charged_bp == charged
    assert list(fee.waived) == ([credited] if credited else [])
    assert sum(fee.waived.values()) == max(0, fee.commission_fen - fee.fee_fen)


def test_several_waivers_credit_the_first_and_name_the_others() -> None:
    q = quote_order(order(line(FRUIT), channel="product_card", opened=QUIET), RULES, version=V)
    ln = q.lines[0]
    assert ln.waiver_ids == ("waiver.new_shop_30d", "waiver.fresh_2024", "waiver.product_card_2025")
    assert ln.waived == {"waiver.new_shop_30d": 200 - 60}
    assert [r.code for r in ln.reasons] == ["fee.commission", "fee.waived", "fee.also_waived", "fee.also_waived",
                                            "fee.channel_floor", "fee.charged"]


def test_rebates_add_up_and_each_is_credited_by_cumulative_rounding() -> None:
    rules = rules_from(waivers=[waiver("r1", kind="rebate", rebate_bp=150, scope={"channels": ["live"]}),
                                waiver("r2", kind="rebate", rebate_bp=200),
                                waiver("r3", kind="rebate", rebate_bp=300, scope={"new_shop_days": 30})])
    ln = quote_order(order(line(gross=333), paid_at=dt.datetime(2025, 6, 1, tzinfo=BJ),
                           opened=dt.datetime(2025, 5, 20, tzinfo=BJ)), rules, version=V).lines[0]
    # 500 bp: 16.65 → 17; 350: 11.655 → 12; 150: 4.995 → 5; 0 → floor 60: 1.998 → 2
    assert (ln.commission_fen, ln.charged_bp, ln.fee_fen) == (17, 60, 2)
    assert ln.waived == {"r1": 5, "r2": 7, "r3": 3}


def test_a_category_rate_below_the_channel_fee_is_lifted_to_the_floor() -> None:
    rules = rules_from(commission={"default": {"id": "d", "name": {"zh-CN": "默", "en": "D"}, "rate_bp": 50}})
    ln = quote_order(order(line(gross=10_000)), rules, version=V).lines[0]
    assert (ln.commission_fen, ln.charged_bp, ln.fee_fen, dict(ln.waived)) == (50, 60, 60, {})
    assert "fee.channel_floor" in [r.code for r in ln.reasons]


def test_coupons_shop_ones_reduce_the_base_platform_ones_do_not() -> None:
    q = quote_order(order(line(WOMEN, 10_000, 1_000), line(OTHER, 5_000, 0, no=2), platform_coupon=2_000), RULES,
                    version=V)
    assert (q.gross_fen, q.shop_coupon_fen, q.base_fen, q.fee_fen, q.paid_fen) == (15_000, 1_000, 14_000, 700, 12_000)
    assert q.receivable_fen == 15_000 - 1_000 - 700  # the platform pays its own coupon


def test_a_runtime_commission_tie_goes_to_the_first_listed_and_says_so() -> None:
    rules = rules_from(commission={
        "default": {"id": "d", "name": {"zh-CN": "默", "en": "D"}, "rate_bp": 500},
        "rates": [{"id": "t1", "name": {"zh-CN": "一", "en": "1"}, "match": {"tags": ["a"]}, "rate_bp": 300},
                  {"id": "t2", "name": {"zh-CN": "二", "en": "2"}, "match": {"tags": ["b"]}, "rate_bp": 700}]})
    ln = quote_order(order(line(CategoryRef("x", (), frozenset({"a", "b"})))), rules, version=V).lines[0]
    assert ln.commission_id == "t1" and ln.reasons[1].code == "fee.commission_tie"
    assert ln.reasons[1].params["others"] == "t2"


@pytest.mark.parametrize(("the_order", "code"), [
    (order(line(), channel="tv"), "fees.unknown_channel"),
    (order(), "fees.no_lines"),
    (order(line(), line()), "fees.duplicate_line"),
    (order(line(gross=100, coupon=101)), "fees.coupon_exceeds_gross"),
    (order(line(gross=-1)), "fees.invalid_amount"),
    (order(line(gross=100), platform_coupon=101), "fees.coupon_exceeds_base"),
])
def test_malformed_orders_are_refused_with_a_code(the_order, code) -> None:
    with pytest.raises(FeeError) as exc:
        quote_order(the_order, RULES, version=V)
    assert exc.value.code == code


# --- refunds ---------------------------------------------------------------------------------------------------

def test_refunds_reverse_the_fee_proportionally_and_a_full_refund_exactly() -> None:
    q = quote_order(order(line(gross=10_050)), RULES, version=V)  # fee 502.5 → 502
    first = reverse_on_refund(q, 0, 3_350, 10_050)  # a third: 167.33 → 167
    second = reverse_on_refund(q, 3_350, 3_350, 10_050)  # two thirds: 334.67 → 335, so 168
    last = reverse_on_refund(q, 6_700, 3_350, 10_050)
    assert [r.fee_reversed_fen for r in (first, second, last)] == [167, 168, 167]
    assert sum(r.base_reversed_fen for r in (first, second, last)) == q.base_fen
    assert last.reasons[0].code == "fee.refund_reversed"


@pytest.mark.parametrize(("before", "refund", "code"), [
    (0, 10_001, "fees.refund_exceeds_paid"),
    (9_000, 1_001, "fees.refund_exceeds_paid"),
    (0, -1, "fees.invalid_amount"),
])
def test_refunds_beyond_what_was_paid_are_refused(before, refund, code) -> None:
    q = quote_order(order(line(gross=10_000)), RULES, version=V)
    assert reverse_on_refund(q, 9_000, 1_000).fee_reversed_fen == 50
    with pytest.raises(FeeError) as exc:
        reverse_on_refund(q, before, refund, 10_000)
    assert exc.value.code == code


# --- properties --------------------------------------------------------------------------------------------------

T_LOW, T_HIGH = dt.datetime(2023, 12, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
fee_line = st.tuples(st.sampled_from(CATEGORIES), st.integers(0, 2_000_000), st.integers(0, 100))
fee_order = st.builds(
    lambda lines, paid, age_h, channel, coupon_pct: FeeOrder(
        "o", "s", paid, paid - dt.timedelta(hours=age_h), channel,
        tuple(FeeLine(i, c, g, g * pct // 100) for i, (c, g, pct) in enumerate(lines)),
        sum(g - g * pct // 100 for _, g, pct in lines) * coupon_pct // 100),
    st.lists(fee_line, min_size=1, max_size=4), st.datetimes(T_LOW.replace(tzinfo=None), T_HIGH.replace(tzinfo=None),
                                                            timezones=st.just(dt.UTC)),
    st.integers(0, 24 * 60), st.sampled_from(["live", "short_video", "product_card", "other"]), st.integers(0, 100))


@settings(max_examples=300, deadline=None)
@given(fee_order)
def test_fee_properties(o) -> None:
    q = quote_order(o, RULES, version=V)
    assert q.fee_fen == sum(ln.fee_fen for ln in q.lines)
    for ln in q.lines:
        assert 0 <= ln.fee_fen <= ln.base_fen
        if ln.waiver_ids:
            assert ln.charged_bp == RULES.channel_fee_bp
        assert sum(ln.waived.values()) == max(0, ln.commission_fen - ln.fee_fen)
        assert all(v >= 0 for v in ln.waived.values())
    assert q.receivable_fen + q.fee_fen + q.shop_coupon_fen == q.gross_fen
    assert FeeQuote.from_dict(q.as_dict()) == q
    for reason in (r for ln in q.lines for r in ln.reasons):
        assert all(render(reason, REASON_TEXT, lang) != reason.code for lang in ("zh-CN", "en")), reason


@settings(max_examples=300, deadline=None)
@given(fee_order, st.lists(st.integers(1, 1_000_000), max_size=8), st.randoms(use_true_random=False))
def test_partial_refunds_summing_to_paid_reverse_exactly_the_fee(o, weights, rnd) -> None:
    q = quote_order(o, RULES, version=V)
    paid = q.paid_fen
    cuts = sorted(rnd.randint(0, paid) for _ in weights)
    refunds = [b - a for a, b in zip([0, *cuts], [*cuts, paid], strict=True)]
    done, fee, base, waived = 0, 0, 0, {}
    for r in refunds:
        rev = reverse_on_refund(q, done, r)
        assert rev.fee_reversed_fen >= 0 and rev.base_reversed_fen >= 0
        assert fee + rev.fee_reversed_fen <= q.fee_fen
        done, fee, base = done + r, fee + rev.fee_reversed_fen, base + rev.base_reversed_fen
        for w, fen in rev.waived_reversed.items():
            waived[w] = waived.get(w, 0) + fen
    if paid:
        assert (fee, base, waived) == (q.fee_fen, q.base_fen, q.waived_by_waiver)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10_000_000), min_size=1, max_size=6), st.integers(0, 100))
def test_an_order_coupon_is_split_exactly_and_in_proportion(gross, pct) -> None:
    coupon = sum(gross) * pct // 100
    shares = allocate_order_coupon(coupon, gross)
    assert sum(shares) == coupon
    for share, g in zip(shares, gross, strict=True):
        assert 0 <= share <= g
        assert abs(share * sum(gross) - coupon * g) < sum(gross) or sum(gross) == 0


def test_order_coupon_ties_go_to_the_earlier_line_and_overspend_is_refused() -> None:
    assert allocate_order_coupon(1, [100, 100]) == (1, 0)
    assert allocate_order_coupon(101, [100, 100, 100]) == (34, 34, 33)
    with pytest.raises(FeeError) as exc:
        allocate_order_coupon(301, [100, 100, 100])
    assert exc.value.code == "fees.coupon_exceeds_gross"


def test_every_reason_code_has_both_texts() -> None:
    assert all(set(t) == {"zh-CN", "en"} and all(t.values()) for t in REASON_TEXT.values())
    rules = rules_from(waivers=[waiver("w", scope={"channels": ["live"]}), waiver("w2", scope={"new_shop_days": 9}),
                                waiver("r", kind="rebate", rebate_bp=10)])
    q = quote_order(order(line(), paid_at=dt.datetime(2025, 6, 1, tzinfo=BJ), opened=dt.datetime(2025, 6, 1,
                                                                                             tzinfo=BJ)), rules,
                    version=V)
    reasons = [*q.lines[0].reasons, *reverse_on_refund(q, 0, 100).reasons]
    assert {r.code for r in reasons} == {"fee.commission", "fee.waived", "fee.also_waived", "fee.rebate_not_needed",
                                         "fee.channel_floor", "fee.charged", "fee.refund_reversed"}
    for reason in reasons:
        assert all(render(reason, REASON_TEXT, lang) != reason.code for lang in ("zh-CN", "en"))
