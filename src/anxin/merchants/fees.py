"""The technical service fee (技术服务费) of one order, frozen at sale and reversed on refund. Pure.

Per line: **fee base** = gross − shop coupon (platform coupons are platform-funded and do not reduce it). The
commission rate is the most specific category rate; a *waive* waiver covering the line makes it 0, *rebates* take
their points off (several add up, never below 0); the **charged rate** is never below the payment-channel fee
(``channel_fee_bp``, 0.6 %), which the merchant pays even when commission is waived. **Fee** = base × charged rate
/ 10 000, rounded half-even to the fen per line; the order's fee is the sum of its lines' fees. The merchant
receives gross − shop coupon − fee: the platform coupon is paid to the merchant by the platform.

Commission relieved by waivers is credited per waiver: all of it to the first waive waiver covering the line (in
rulebook order, then ``extra_waivers``); otherwise to each rebate in turn, by cumulative rounding, so the credits
add up exactly to (commission at the category rate) − (fee) when that is positive.

Refunds reverse the fee proportionally with cumulative rounding (see ``reverse_on_refund``).
The rules and their loader live in ``anxin.merchants.fee_rules`` and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anxin.merchants.categories import CategoryRef
from anxin.merchants.fee_rules import (
    CHANNELS,
    DEFAULT_FEES_PATH,
    CommissionRate,
    FeeError,
    FeeRules,
    Waiver,
    WaiverScope,
    load_fees,
    load_fees_file,
    parse_waiver,
    shop_day,
    waiver_from_dict,
    waiver_problems,
)
from anxin.merchants.reasons import Reason

__all__ = [
    "CHANNELS", "DEFAULT_FEES_PATH", "CommissionRate", "FeeError", "FeeLine", "FeeOrder", "FeeQuote",
    "FeeReversal", "FeeRules", "LineFee", "Waiver", "WaiverScope", "allocate_order_coupon", "load_fees",
    "load_fees_file", "parse_waiver", "percent", "quote_order", "reverse_on_refund", "round_half_even", "shop_day",
    "waiver_from_dict", "waiver_problems",
]

BP = 10_000  # basis points in a whole

def round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, ties to even; exact (integers only)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(numerator, denominator)
    if 2 * r > denominator or (2 * r == denominator and q % 2 == 1):
        q += 1
    return q


def percent(bp: int) -> str:
    """500 → "5%", 60 → "0.6%", 440 → "4.4%"."""
    whole, frac = divmod(bp, 100)
    return f"{whole}%" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "%"


@dataclass(frozen=True)
class FeeLine:
    line_no: int
    category: CategoryRef
    gross_fen: int
    shop_coupon_fen: int = 0


@dataclass(frozen=True)
class FeeOrder:
    order_id: str
    shop_id: str
    paid_at: dt.datetime
    shop_opened_at: dt.datetime | None  # None: not known, so not a new shop
    channel: str  # one of CHANNELS
    lines: tuple[FeeLine, ...]
    platform_coupon_fen: int = 0


@dataclass(frozen=True)
class LineFee:
    line_no: int
    category_id: str
    gross_fen: int
    shop_coupon_fen: int
    base_fen: int
    commission_id: str
    commission_bp: int  # the category rate
    commission_fen: int  # base at the category rate: what the fee would be without waivers (half-even)
    waiver_ids: tuple[str, ...]  # waive waivers covering the line; the first is credited
    rebate_ids: tuple[str, ...]  # rebates applied (none when waived)
    charged_bp: int
    fee_fen: int
    waived: Mapping[str, int]  # commission relieved per waiver id (fen)
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class FeeQuote:
    order_id: str
    shop_id: str
    paid_at: dt.datetime
    channel: str
    version: str
    platform_coupon_fen: int
    lines: tuple[LineFee, ...]

    @property
    def gross_fen(self) -> int:
        return sum(line.gross_fen for line in self.lines)

    @property
    def shop_coupon_fen(self) -> int:
        return sum(line.shop_coupon_fen for line in self.lines)

    @property
    def base_fen(self) -> int:
        return sum(line.base_fen for line in self.lines)

    @property
    def commission_fen(self) -> int:
        return sum(line.commission_fen for line in self.lines)

    @property
    def fee_fen(self) -> int:
        return sum(line.fee_fen for line in self.lines)

    @property
    def paid_fen(self) -> int:
        """What the consumer paid for the goods: fee base less the platform coupon."""
        return self.base_fen - self.platform_coupon_fen

    @property
    def receivable_fen(self) -> int:
        """What the merchant receives: gross − shop coupon − fee (the platform funds its own coupon)."""
        return self.base_fen - self.fee_fen

    @property
    def waived_by_waiver(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for line in self.lines:
            for waiver_id, fen in line.waived.items():
                total[waiver_id] = total.get(waiver_id, 0) + fen
        return total

    @property
    def waiver_ids(self) -> tuple[str, ...]:
        """Every waiver and rebate that applied to some line, in order of first use."""
        return tuple(dict.fromkeys(w for line in self.lines for w in (*line.waiver_ids, *line.rebate_ids)))

    def as_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "shop_id": self.shop_id, "paid_at": self.paid_at.isoformat(),
                "channel": self.channel, "version": self.version, "platform_coupon_fen": self.platform_coupon_fen,
                "lines": [{**{k: getattr(line, k) for k in _LINE_SCALARS},
                           "waiver_ids": list(line.waiver_ids), "rebate_ids": list(line.rebate_ids),
                           "waived": dict(line.waived), "reasons": [r.as_dict() for r in line.reasons]}
                          for line in self.lines]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FeeQuote:
        lines = tuple(LineFee(**{k: line[k] for k in _LINE_SCALARS}, waiver_ids=tuple(line["waiver_ids"]),
                              rebate_ids=tuple(line["rebate_ids"]), waived=dict(line["waived"]),
                              reasons=tuple(Reason(r["code"], r["rule_id"], r["params"]) for r in line["reasons"]))
                      for line in raw["lines"])
        return cls(raw["order_id"], raw["shop_id"], dt.datetime.fromisoformat(raw["paid_at"]), raw["channel"],
                   raw["version"], raw["platform_coupon_fen"], lines)


_LINE_SCALARS = ("line_no", "category_id", "gross_fen", "shop_coupon_fen", "base_fen", "commission_id",
                 "commission_bp", "commission_fen", "charged_bp", "fee_fen")


@dataclass(frozen=True)
class FeeReversal:
    order_id: str
    version: str
    refund_fen: int
    refunded_before_fen: int
    paid_fen: int
    fee_reversed_fen: int  # this refund's share of the fee, handed back to the merchant
    base_reversed_fen: int  # this refund's share of the fee base, taken back from the merchant
    waived_reversed: Mapping[str, int] = field(default_factory=dict)  # relief no longer given, per waiver

    @property
    def receivable_reversed_fen(self) -> int:
        return self.base_reversed_fen - self.fee_reversed_fen

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return (Reason("fee.refund_reversed", "", {
            "refund_fen": self.refund_fen, "refunded_total_fen": self.refunded_before_fen + self.refund_fen,
            "paid_fen": self.paid_fen, "fee_reversed_fen": self.fee_reversed_fen}),)


def quote_order(order: FeeOrder, rules: FeeRules, *, version: str, extra_waivers: Iterable[Waiver] = ()) -> FeeQuote:
    """The order's fee at sale, line by line, with the rulebook ``version`` it was computed under."""
    _check_order(order)
    waivers = tuple(w for w in (*rules.waivers, *extra_waivers) if w.in_force(order.paid_at))
    lines = tuple(_line_fee(line, order, rules, waivers) for line in order.lines)
    if order.platform_coupon_fen > sum(line.base_fen for line in lines):
        raise FeeError("fees.coupon_exceeds_base", f"order {order.order_id}: platform coupon "
                                                   f"{order.platform_coupon_fen} fen exceeds the fee base")
    return FeeQuote(order.order_id, order.shop_id, order.paid_at, order.channel, version, order.platform_coupon_fen,
                    lines)


def _line_fee(line: FeeLine, order: FeeOrder, rules: FeeRules, in_force: tuple[Waiver, ...]) -> LineFee:
    base = line.gross_fen - line.shop_coupon_fen
    entry, ties = rules.commission_for(line.category)
    rate, floor = entry.rate_bp, rules.channel_fee_bp
    covering = [w for w in in_force if w.covers(paid_at=order.paid_at, shop_opened_at=order.shop_opened_at,
                                                 channel=order.channel, category=line.category)]
    waives = [w for w in covering if w.kind == "waive"]
    rebates = [w for w in covering if w.kind == "rebate"]
    commission = round_half_even(base * rate, BP)
    reasons = [Reason("fee.commission", entry.id, {"commission_id": entry.id, "category": line.category.category_id,
                                                    "rate": percent(rate),
                                                    "rate_bp": rate, "base_fen": base, "commission_fen": commission})]
    if ties:
        reasons.append(Reason("fee.commission_tie", entry.id, {"commission_id": entry.id,
                                                               "category": line.category.category_id,
                                                               "others": ", ".join(ties)}))
    after = 0 if waives else max(0, rate - sum(r.rebate_bp for r in rebates))
    charged = max(after, floor)
    fee = round_half_even(base * charged, BP)
    waived: dict[str, int] = {}
    if waives:
        waived[waives[0].id] = max(0, commission - fee)
        reasons.append(Reason("fee.waived", waives[0].id, {"waiver_id": waives[0].id,
                                                             "waived_fen": waived[waives[0].id]}))
        reasons += [Reason("fee.also_waived", w.id, {"waiver_id": w.id, "credited": waives[0].id}) for w in waives[1:]]
        reasons += [Reason("fee.rebate_not_needed", r.id, {"waiver_id": r.id}) for r in rebates]
    else:
        # Cumulative rounding: each rebate is credited with the fall in fee it causes, so credits add up exactly.
        previous, remaining = commission, rate
        for r in rebates:
            remaining = max(0, remaining - r.rebate_bp)
            current = min(commission, round_half_even(base * max(remaining, floor), BP))
            waived[r.id] = previous - current
            previous = current
            reasons.append(Reason("fee.rebate", r.id, {"waiver_id": r.id, "rebate": percent(r.rebate_bp)[:-1],
                                                       "rebate_bp": r.rebate_bp, "waived_fen": waived[r.id]}))
    if after < floor:
        reasons.append(Reason("fee.channel_floor", "", {"floor": percent(floor), "floor_bp": floor,
                                                         "after": percent(after), "after_bp": after}))
    reasons.append(Reason("fee.charged", "", {"charged": percent(charged), "charged_bp": charged, "base_fen": base,
                                              "fee_fen": fee}))
    return LineFee(line.line_no, line.category.category_id, line.gross_fen, line.shop_coupon_fen, base, entry.id,
                   rate, commission, tuple(w.id for w in waives), tuple(r.id for r in rebates) if not waives else (),
                   charged, fee, waived, tuple(reasons))


def _check_order(order: FeeOrder) -> None:
    if order.channel not in CHANNELS:
        raise FeeError("fees.unknown_channel", f"order {order.order_id}: channel {order.channel!r} is not one of "
                                               f"{list(CHANNELS)}")
    if not order.lines:
        raise FeeError("fees.no_lines", f"order {order.order_id} has no lines")
    if order.paid_at.tzinfo is None or (order.shop_opened_at is not None and order.shop_opened_at.tzinfo is None):
        raise FeeError("fees.naive_time", f"order {order.order_id}: times must carry a UTC offset")
    if len({line.line_no for line in order.lines}) != len(order.lines):
        raise FeeError("fees.duplicate_line", f"order {order.order_id}: line numbers repeat")
    amounts = [order.platform_coupon_fen, *(v for ln in order.lines for v in (ln.gross_fen, ln.shop_coupon_fen))]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in amounts):
        raise FeeError("fees.invalid_amount", f"order {order.order_id}: amounts are whole fen, never negative")
    for line in order.lines:
        if line.shop_coupon_fen > line.gross_fen:
            raise FeeError("fees.coupon_exceeds_gross", f"order {order.order_id} line {line.line_no}: shop coupon "
                                                        f"{line.shop_coupon_fen} fen exceeds gross {line.gross_fen}")


def reverse_on_refund(quote: FeeQuote, refunded_so_far_fen: int, refund_fen: int,
                      paid_fen: int | None = None) -> FeeReversal:
    """This refund's share of the frozen fee, with cumulative rounding: after refunds totalling R of P paid, the fee
    reversed in all is round_half_even(fee × R / P), and this refund reverses that less what earlier refunds did.
    So a full refund reverses exactly the fee, no reversal is negative and none exceeds the fee. The fee base
    (taken back from the merchant) and each waiver's relief are reversed the same way. ``paid_fen`` defaults to
    the quote's (goods less platform coupon); pass the order's if it also paid for something else (shipping)."""
    paid = quote.paid_fen if paid_fen is None else paid_fen
    for v in (refunded_so_far_fen, refund_fen, paid):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise FeeError("fees.invalid_amount", f"order {quote.order_id}: refund amounts are whole fen, "
                                                  f"never negative (got {v!r})")
    total = refunded_so_far_fen + refund_fen
    if total > paid:
        raise FeeError("fees.refund_exceeds_paid", f"order {quote.order_id}: refunds of {total} fen exceed the "
                                                   f"{paid} fen paid")

    def share(amount: int) -> int:
        if paid == 0:
            return 0
        return round_half_even(amount * total, paid) - round_half_even(amount * refunded_so_far_fen, paid)

    waived = {w: share(fen) for w, fen in quote.waived_by_waiver.items()}
    return FeeReversal(quote.order_id, quote.version, refund_fen, refunded_so_far_fen, paid, share(quote.fee_fen),
                       share(quote.base_fen), waived)


def allocate_order_coupon(coupon_fen: int, gross_by_line: Sequence[int]) -> tuple[int, ...]:
    """Split an order-level shop coupon across lines in proportion to their gross, exactly (largest remainder;
    equal remainders go to the earlier line). No line gets more than its gross."""
    total = sum(gross_by_line)
    if coupon_fen < 0 or any(g < 0 for g in gross_by_line):
        raise FeeError("fees.invalid_amount", "coupon and gross are whole fen, never negative")
    if coupon_fen > total:
        raise FeeError("fees.coupon_exceeds_gross", f"coupon {coupon_fen} fen exceeds the order's gross {total}")
    if coupon_fen == 0:
        return tuple(0 for _ in gross_by_line)
    shares = [divmod(coupon_fen * g, total) for g in gross_by_line]
    left = coupon_fen - sum(q for q, _ in shares)
    ranked = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    bump = set(ranked[:left])
    return tuple(q + (1 if i in bump else 0) for i, (q, _) in enumerate(shares))
