"""The vectorized settler gives the pure engine's answer: settle_batch per shop == quote_order summed per shop, on
random orders spread over every waiver window; exact half-even rounding in integers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from anxin.merchants.categories import CategoryRef
from anxin.merchants.fee_batch import CHANNEL_CODES, fee_tables, half_even_div, settle_batch
from anxin.merchants.fees import (
    CHANNELS,
    FeeError,
    FeeLine,
    FeeOrder,
    load_fees_file,
    quote_order,
    round_half_even,
    waiver_from_dict,
)

RULES = load_fees_file()
CATEGORIES = (
    CategoryRef("fresh-fruit", ("fresh",)), CategoryRef("eggs", ("food",), frozenset({"fresh"})),
    CategoryRef("3c-phones", ("3c",)), CategoryRef("3c-audio", ("3c",)), CategoryRef("apparel-men", ("apparel",)),
    CategoryRef("apparel-women", ("apparel",)), CategoryRef("cosmetics-makeup", ("cosmetics",)),
    CategoryRef("jewelry-watches", ("jewelry",)), CategoryRef("kitchenware"), CategoryRef("toys"),
)
EXTRA, problems = waiver_from_dict({  # a campaign an operator added: a rebate on live 3C orders
    "id": "rebate.live_3c", "name": {"zh-CN": "直播3C返还", "en": "Live 3C rebate"}, "kind": "rebate",
    "rebate_bp": 150, "from": "2025-09-15T00:00:00+08:00", "until": "2026-01-01T00:00:00+08:00",
    "scope": {"match": {"categories": ["3c"]}, "channels": ["live"]}})
assert EXTRA is not None and not problems
LOW = int(dt.datetime(2025, 2, 1, tzinfo=dt.UTC).timestamp())
HIGH = int(dt.datetime(2026, 2, 1, tzinfo=dt.UTC).timestamp())


def random_orders(n: int, n_shops: int, seed: int) -> list[FeeOrder]:
    rng = np.random.default_rng(seed)
    opened = np.where(rng.random(n_shops) < 0.5, rng.integers(LOW, HIGH, n_shops), LOW - 400 * 86_400)
    orders = []
    for i in range(n):
        shop = int(rng.integers(n_shops))
        paid = int(rng.integers(LOW, HIGH))
        if rng.random() < 0.3:  # near the new-shop boundary: days 29–32 and the seconds around midnight
            paid = int(opened[shop]) + int(rng.integers(28 * 86_400, 32 * 86_400))
        if rng.random() < 0.05:  # exactly on a window's edge
            edge = rng.choice([w for w in (*RULES.waivers, EXTRA) if w.until.year < 9999])
            paid = int((edge.start if rng.random() < 0.5 else edge.until).timestamp()) - int(rng.integers(0, 2))
        lines = []
        for no in range(int(rng.integers(1, 4))):
            gross = int(rng.choice([rng.integers(0, 300), rng.integers(0, 5_000_000)]))
            coupon = int(rng.integers(0, gross + 1)) if rng.random() < 0.3 else 0
            lines.append(FeeLine(no, CATEGORIES[int(rng.integers(len(CATEGORIES)))], gross, coupon))
        orders.append(FeeOrder(f"o{i}", f"s{shop}", dt.datetime.fromtimestamp(paid, dt.UTC),
                               dt.datetime.fromtimestamp(int(opened[shop]), dt.UTC),
                               CHANNELS[int(rng.integers(len(CHANNELS)))], tuple(lines)))
    return orders


def columns(orders: list[FeeOrder]) -> dict[str, np.ndarray]:
    index = {c.category_id: i for i, c in enumerate(CATEGORIES)}
    rows = [(int(o.shop_id[1:]), index[ln.category.category_id], ln.gross_fen, ln.shop_coupon_fen,
             int(o.paid_at.timestamp()), int(o.shop_opened_at.timestamp()), CHANNEL_CODES[o.channel])
            for o in orders for ln in o.lines]
    names = ("shop", "category", "gross", "shop_coupon", "paid_at", "shop_opened_at", "channel")
    return {name: np.array(col, dtype=np.int64) for name, col in zip(names, zip(*rows, strict=True), strict=True)}


@pytest.mark.parametrize(("seed", "chunk_rows"), [(1, 1 << 20), (2, 97)])
def test_settle_batch_equals_the_pure_engine_summed_per_shop(seed, chunk_rows) -> None:
    n_shops = 40
    orders = random_orders(3_000, n_shops, seed)
    tables = fee_tables(RULES, CATEGORIES, extra_waivers=(EXTRA,))
    got = settle_batch(tables, n_shops=n_shops, chunk_rows=chunk_rows, **columns(orders))
    want = {k: np.zeros(n_shops, dtype=np.int64) for k in ("gross", "coupon", "base", "commission", "fee", "recv")}
    waived = np.zeros((n_shops, len(tables.waiver_ids)), dtype=np.int64)
    for o in orders:
        q = quote_order(o, RULES, version="t", extra_waivers=(EXTRA,))
        s = int(o.shop_id[1:])
        for key, value in (("gross", q.gross_fen), ("coupon", q.shop_coupon_fen), ("base", q.base_fen),
                           ("commission", q.commission_fen), ("fee", q.fee_fen), ("recv", q.receivable_fen)):
            want[key][s] += value
        for waiver_id, fen in q.waived_by_waiver.items():
            waived[s, tables.waiver_ids.index(waiver_id)] += fen
    for key, array in (("gross", got.gross_fen), ("coupon", got.shop_coupon_fen), ("base", got.base_fen),
                       ("commission", got.commission_fen), ("fee", got.fee_fen), ("recv", got.receivable_fen)):
        assert array.tolist() == want[key].tolist(), key
    assert got.waived_fen.tolist() == waived.tolist()
    assert (waived > 0).any(axis=0).all()  # every waiver relieved something: the data reach every window
    assert got.rows == sum(len(o.lines) for o in orders)


def test_half_even_division_is_exact_and_matches_the_pure_rounding() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.integers(0, 10**16, 10_000), np.arange(0, 200_000, 5_000),  # ties at .5
                             np.array([2**62, 9 * 10**18 // 7])])
    got = half_even_div(values, 10_000)
    assert got.tolist() == [round_half_even(int(v), 10_000) for v in values]


def test_columns_of_different_lengths_or_coupons_above_gross_are_refused() -> None:
    tables = fee_tables(RULES, CATEGORIES)
    cols = columns(random_orders(5, 2, 4))
    with pytest.raises(FeeError) as exc:
        settle_batch(tables, n_shops=2, **{**cols, "channel": cols["channel"][:-1]})
    assert exc.value.code == "fees.batch_shape"
    with pytest.raises(FeeError) as exc:
        settle_batch(tables, n_shops=2, **{**cols, "shop_coupon": cols["gross"] + 1})
    assert exc.value.code == "fees.coupon_exceeds_gross"
