"""The fee engine of ``anxin.merchants.fees``, vectorized over columnar line rows: settle a day of a marketplace.

Same rules, same results: ``settle_batch`` summed per shop equals ``quote_order`` summed per shop (a unit test checks
it on random orders). What depends only on the category (commission rate, whether each waiver's category match
covers it) is resolved once per category into lookup tables (``fee_tables``), never per row; what depends on the
row (paid time inside a waiver's window, new-shop days, channel) is a few vectorized comparisons per waiver.

All arithmetic is int64 and exact: half-even rounding is done with integer division, sums with ``np.add.at``. Rows
are processed in chunks to bound the temporaries. Times are epoch seconds (UTC); new-shop days are Beijing calendar
days, as in the pure engine. Base × rate must stay below 2**63 (a line under 9 × 10**14 fen: far above
``MAX_FEN``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from anxin.merchants.categories import CategoryRef
from anxin.merchants.fee_rules import CHANNELS, FeeError, FeeRules, Waiver

I64 = npt.NDArray[np.int64]
BP = 10_000
DAY = 86_400
BEIJING_OFFSET = 8 * 3600
CHANNEL_CODES: dict[str, int] = {c: i for i, c in enumerate(CHANNELS)}


@dataclass(frozen=True)
class FeeTables:
    """The rules resolved per category index and channel code."""

    categories: tuple[CategoryRef, ...]
    commission_bp: I64  # (categories,)
    commission_ids: tuple[str, ...]  # per category
    waivers: tuple[Waiver, ...]
    covers_category: npt.NDArray[np.bool_]  # (waivers, categories)
    covers_channel: npt.NDArray[np.bool_]  # (waivers, channels)
    channel_fee_bp: int

    @property
    def waiver_ids(self) -> tuple[str, ...]:
        return tuple(w.id for w in self.waivers)


def fee_tables(rules: FeeRules, categories: Sequence[CategoryRef], *,
               extra_waivers: Iterable[Waiver] = ()) -> FeeTables:
    """Resolve the rules once per category (commission rate, each waiver's category match) and per channel."""
    waivers = (*rules.waivers, *extra_waivers)
    entries = [rules.commission_for(c)[0] for c in categories]
    covers_category = np.array([[w.scope.match is None or w.scope.match.covers(c) for c in categories]
                                for w in waivers], dtype=np.bool_).reshape(len(waivers), len(categories))
    covers_channel = np.array([[w.scope.channels is None or ch in w.scope.channels for ch in CHANNELS]
                               for w in waivers], dtype=np.bool_).reshape(len(waivers), len(CHANNELS))
    return FeeTables(tuple(categories), np.array([e.rate_bp for e in entries], dtype=np.int64),
                     tuple(e.id for e in entries), waivers, covers_category, covers_channel, rules.channel_fee_bp)


@dataclass(frozen=True)
class ShopTotals:
    """Per-shop sums (index = shop index) of the rows settled."""

    rows: int
    gross_fen: I64
    shop_coupon_fen: I64
    base_fen: I64
    commission_fen: I64  # at category rates, before waivers
    fee_fen: I64
    receivable_fen: I64  # base − fee
    waived_fen: I64  # (shops, waivers): commission relieved, credited as in the pure engine
    waiver_ids: tuple[str, ...]


def half_even_div(numerator: I64, denominator: int) -> I64:
    """numerator / denominator rounded half to even, in exact integer arithmetic (numerator ≥ 0)."""
    q, r = np.divmod(numerator, denominator)
    twice = 2 * r
    up = (twice > denominator) | ((twice == denominator) & (q & 1 == 1))
    rounded: I64 = q + up
    return rounded


def settle_batch(tables: FeeTables, *, n_shops: int, shop: I64, category: I64, gross: I64, shop_coupon: I64,
                 paid_at: I64, shop_opened_at: I64, channel: I64, chunk_rows: int = 1 << 17) -> ShopTotals:
    """Settle line rows (one per order line; equal-length integer arrays) into per-shop totals.

    ``category`` indexes ``tables.categories``; ``channel`` is a ``CHANNEL_CODES`` value; ``paid_at`` and
    ``shop_opened_at`` are epoch seconds. Each line's fee is rounded half-even to the fen, as in ``quote_order``."""
    n = len(shop)
    if any(len(a) != n for a in (category, gross, shop_coupon, paid_at, shop_opened_at, channel)):
        raise FeeError("fees.batch_shape", "every column needs one value per row")
    n_w = len(tables.waivers)
    totals = {k: np.zeros(n_shops, dtype=np.int64) for k in ("gross", "coupon", "commission", "fee")}
    waived = np.zeros(n_shops * max(n_w, 1), dtype=np.int64)
    windows = [(_ceil_epoch(w.start), _ceil_epoch(w.until)) for w in tables.waivers]
    for lo in range(0, n, chunk_rows):
        sl = slice(lo, min(n, lo + chunk_rows))
        s = np.asarray(shop[sl], dtype=np.int64)
        g = np.asarray(gross[sl], dtype=np.int64)
        c = np.asarray(shop_coupon[sl], dtype=np.int64)
        if (c < 0).any() or (c > g).any():
            raise FeeError("fees.coupon_exceeds_gross", f"rows {sl.start}–{sl.stop}: a shop coupon is negative or "
                                                        f"exceeds its line's gross")
        base = g - c
        cat = np.asarray(category[sl], dtype=np.intp)
        rate = tables.commission_bp[cat]
        commission = half_even_div(base * rate, BP)
        fee, credits = _fees(tables, windows, base, rate, commission, cat, np.asarray(channel[sl], dtype=np.intp),
                             np.asarray(paid_at[sl], dtype=np.int64), np.asarray(shop_opened_at[sl], dtype=np.int64))
        for key, values in (("gross", g), ("coupon", c), ("commission", commission), ("fee", fee)):
            np.add.at(totals[key], s, values)
        for rows, k, fen in credits:
            np.add.at(waived, s[rows] * n_w + k, fen)
    base_total = totals["gross"] - totals["coupon"]
    return ShopTotals(n, totals["gross"], totals["coupon"], base_total, totals["commission"], totals["fee"],
                      base_total - totals["fee"], waived[: n_shops * n_w].reshape(n_shops, n_w), tables.waiver_ids)


def _fees(tables: FeeTables, windows: list[tuple[int, int]], base: I64, rate: I64, commission: I64,
          cat: npt.NDArray[np.intp], channel: npt.NDArray[np.intp], paid: I64,
          opened: I64) -> tuple[I64, list[tuple[npt.NDArray[np.intp], I64, I64]]]:
    """Fees of one chunk and the relief credited: (row positions, waiver index per row, fen) triples."""
    n, floor = len(base), tables.channel_fee_bp
    waived_any = np.zeros(n, dtype=np.bool_)
    credited = np.full(n, -1, dtype=np.int64)
    rebates: list[tuple[int, npt.NDArray[np.bool_]]] = []
    shop_day: I64 | None = None
    first, last = int(paid.min()), int(paid.max())
    for k, (w, (start, until)) in enumerate(zip(tables.waivers, windows, strict=True)):
        if last < start or first >= until:
            continue  # the whole chunk is outside the window (a day's batch is outside most windows)
        covered = np.ones(n, dtype=np.bool_) if start <= first and last < until else (paid >= start) & (paid < until)
        if not tables.covers_category[k].all():
            covered &= tables.covers_category[k][cat]
        if not tables.covers_channel[k].all():
            covered &= tables.covers_channel[k][channel]
        if w.scope.new_shop_days is not None:
            if shop_day is None:
                shop_day = (paid + BEIJING_OFFSET) // DAY - (opened + BEIJING_OFFSET) // DAY + 1
            covered &= (shop_day >= 1) & (shop_day <= w.scope.new_shop_days)
        if w.kind == "waive":
            credited[covered & ~waived_any] = k  # the first waive waiver listed gets the relief
            waived_any |= covered
        else:
            rebates.append((k, covered))
    after = rate
    for k, covered in rebates:
        after = after - np.where(covered, tables.waivers[k].rebate_bp, 0)
    after = np.maximum(after, 0)
    after[waived_any] = 0
    fee = half_even_div(base * np.maximum(after, floor), BP)
    rows = np.flatnonzero(waived_any)
    credits: list[tuple[npt.NDArray[np.intp], I64, I64]] = [
        (rows, credited[rows], np.maximum(commission[rows] - fee[rows], 0))]
    if rebates:  # cumulative rounding, rebate by rebate, exactly as the pure engine credits them
        previous, remaining = commission, rate
        for i, (k, covered) in enumerate(rebates):
            applies = covered & ~waived_any
            if i == len(rebates) - 1:  # after the last rebate the rate is ``after``: the fee already computed
                current = np.minimum(commission, fee)
            else:
                remaining = np.where(applies, np.maximum(remaining - tables.waivers[k].rebate_bp, 0), remaining)
                current = np.minimum(commission, half_even_div(base * np.maximum(remaining, floor), BP))
            rows = np.flatnonzero(applies)
            credits.append((rows, np.full(len(rows), k, dtype=np.int64), (previous - current)[rows]))
            previous = np.where(applies, current, previous)
    return fee, credits


def _ceil_epoch(at: dt.datetime) -> int:
    """A window bound in whole epoch seconds: a row paid at second t is inside [start, until) iff
    ceil(start) ≤ t < ceil(until)."""
    return math.ceil(at.timestamp())
