"""Settlement statements: what the merchant was charged per order and per period, and why. Pure.

The service stores one ``FeeEntry`` per sale and per refund (JSON via ``as_dict``/``from_dict``). Entry figures are
signed changes to the merchant's account: a sale adds its fee base, fee and receivable, a refund's are negative (the
goods money taken back, the fee handed back). A sale entry keeps its whole frozen quote in ``detail["quote"]``, so
a statement can explain every line with the waiver and rulebook version that produced it, long after the rulebook
changed.

Statement lines carry ``counts``: the lines that add up to the net receivable (gross, shop coupon, fee, refunds,
fee reversals); the others explain (fee base, commission at the category rate, waivers, rebates, channel floor,
platform coupon). Labels render from ``LINE_TEXT`` in zh-CN and en.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anxin.merchants.fees import FeeError, FeeQuote, FeeReversal, percent

SALE, REFUND = "sale", "refund"

LINE_TEXT: dict[str, dict[str, str]] = {
    "gross": {"zh-CN": "第{line_no}行 商品金额（{category}）", "en": "Line {line_no}: goods ({category})"},
    "shop_coupon": {"zh-CN": "第{line_no}行 店铺优惠券", "en": "Line {line_no}: shop coupon"},
    "fee_base": {"zh-CN": "第{line_no}行 计费基数（扣除店铺券，不扣平台券）",
                 "en": "Line {line_no}: fee base (after shop coupons, before platform coupons)"},
    "commission": {"zh-CN": "第{line_no}行 佣金 {rate}（{rule_id}）", "en": "Line {line_no}: commission at {rate} "
                                                                          "({rule_id})"},
    "waiver": {"zh-CN": "第{line_no}行 佣金减免（{rule_id}）", "en": "Line {line_no}: commission waived ({rule_id})"},
    "rebate": {"zh-CN": "第{line_no}行 返还 {rebate} 个百分点（{rule_id}）",
               "en": "Line {line_no}: rebate of {rebate} points ({rule_id})"},
    "channel_floor": {"zh-CN": "第{line_no}行 保留支付通道费 {floor}", "en": "Line {line_no}: payment-channel fee of "
                                                                             "{floor} kept"},
    "fee": {"zh-CN": "第{line_no}行 技术服务费 {charged}", "en": "Line {line_no}: technical service fee at {charged}"},
    "platform_coupon": {"zh-CN": "平台优惠券（平台承担，照常结算给商家）",
                        "en": "Platform coupon (funded by the platform, still paid to the merchant)"},
    "refund": {"zh-CN": "退款 {refund_fen} 分（累计 {refunded_total_fen} / 实付 {paid_fen} 分），扣回货款",
               "en": "Refund of {refund_fen} fen ({refunded_total_fen} of {paid_fen} fen paid): goods money back"},
    "fee_reversal": {"zh-CN": "退款退回技术服务费（按比例）", "en": "Technical service fee reversed (proportionally)"},
    "net_receivable": {"zh-CN": "商家应收净额", "en": "Net receivable"},
    "period_sales": {"zh-CN": "销售 {count} 笔", "en": "{count} sales"},
    "period_refunds": {"zh-CN": "退款 {count} 笔", "en": "{count} refunds"},
    "period_waived": {"zh-CN": "减免 {rule_id} 免收佣金", "en": "Commission waived under {rule_id}"},
}


@dataclass(frozen=True)
class FeeEntry:
    key: str  # idempotency key of the posting
    order_id: str
    shop_id: str
    kind: str  # sale | refund
    at: dt.datetime
    base_fen: int
    fee_fen: int
    receivable_fen: int
    waiver_ids: tuple[str, ...]
    version: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "order_id": self.order_id, "shop_id": self.shop_id, "kind": self.kind,
                "at": self.at.isoformat(), "base_fen": self.base_fen, "fee_fen": self.fee_fen,
                "receivable_fen": self.receivable_fen, "waiver_ids": list(self.waiver_ids), "version": self.version,
                "detail": dict(self.detail)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FeeEntry:
        return cls(raw["key"], raw["order_id"], raw["shop_id"], raw["kind"], dt.datetime.fromisoformat(raw["at"]),
                   raw["base_fen"], raw["fee_fen"], raw["receivable_fen"], tuple(raw["waiver_ids"]), raw["version"],
                   dict(raw["detail"]))

    @property
    def waived(self) -> dict[str, int]:
        """Commission relieved per waiver by this entry (negative for a refund: relief no longer given)."""
        if self.kind == SALE:
            return FeeQuote.from_dict(self.detail["quote"]).waived_by_waiver
        return {w: -fen for w, fen in self.detail.get("waived_reversed", {}).items()}


def sale_entry(quote: FeeQuote, *, key: str | None = None) -> FeeEntry:
    return FeeEntry(key or f"fee:{quote.order_id}:sale", quote.order_id, quote.shop_id, SALE, quote.paid_at,
                    quote.base_fen, quote.fee_fen, quote.receivable_fen, quote.waiver_ids, quote.version,
                    {"quote": quote.as_dict()})


def refund_entry(quote: FeeQuote, reversal: FeeReversal, refund_fen: int, at: dt.datetime, key: str) -> FeeEntry:
    if reversal.order_id != quote.order_id or reversal.refund_fen != refund_fen:
        raise FeeError("fees.refund_mismatch", f"the reversal is for order {reversal.order_id}, {reversal.refund_fen} "
                                               f"fen; the entry for {quote.order_id}, {refund_fen} fen")
    detail = {"refund_fen": refund_fen, "refunded_before_fen": reversal.refunded_before_fen,
              "paid_fen": reversal.paid_fen, "base_reversed_fen": reversal.base_reversed_fen,
              "fee_reversed_fen": reversal.fee_reversed_fen, "waived_reversed": dict(reversal.waived_reversed)}
    return FeeEntry(key, quote.order_id, quote.shop_id, REFUND, at, -reversal.base_reversed_fen,
                    -reversal.fee_reversed_fen, -reversal.receivable_reversed_fen, quote.waiver_ids, reversal.version,
                    detail)


@dataclass(frozen=True)
class StatementLine:
    code: str  # a LINE_TEXT key
    amount_fen: int  # signed, from the merchant's side
    counts: bool  # adds up to the net receivable (else it explains)
    version: str = ""  # the rulebook version that produced it
    rule_id: str = ""
    params: Mapping[str, int | str] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        template = LINE_TEXT.get(self.code, {}).get(lang)
        try:
            return template.format(rule_id=self.rule_id, **self.params) if template else self.code
        except (KeyError, IndexError, ValueError):
            return self.code


@dataclass(frozen=True)
class OrderStatement:
    order_id: str
    shop_id: str
    lines: tuple[StatementLine, ...]
    fee_fen: int  # net of reversals
    net_receivable_fen: int


def order_statement(entries: Iterable[FeeEntry]) -> OrderStatement:
    """Every line of one order's settlement: the sale line by line, then each refund in time order."""
    items = sorted(entries, key=lambda e: (e.kind != SALE, e.at, e.key))
    sales = [e for e in items if e.kind == SALE]
    if len(sales) != 1 or len({e.order_id for e in items}) != 1:
        raise FeeError("fees.statement_entries", "an order statement needs one order's entries with exactly one sale")
    sale = sales[0]
    quote = FeeQuote.from_dict(sale.detail["quote"])
    lines: list[StatementLine] = []
    for ln in quote.lines:
        v, at = quote.version, {"line_no": ln.line_no}
        lines += [StatementLine("gross", ln.gross_fen, True, v, params={**at, "category": ln.category_id}),
                  StatementLine("shop_coupon", -ln.shop_coupon_fen, True, v, params=at),
                  StatementLine("fee_base", ln.base_fen, False, v, params=at),
                  StatementLine("commission", ln.commission_fen, False, v, ln.commission_id,
                                {**at, "rate": percent(ln.commission_bp)})]
        for waiver_id, fen in ln.waived.items():
            code = "waiver" if waiver_id in ln.waiver_ids else "rebate"
            extra = {} if code == "waiver" else {"rebate": _rebate_points(ln.reasons, waiver_id)}
            lines.append(StatementLine(code, -fen, False, v, waiver_id, {**at, **extra}))
        if any(r.code == "fee.channel_floor" for r in ln.reasons):
            lines.append(StatementLine("channel_floor", ln.fee_fen, False, v,
                                       params={**at, "floor": percent(ln.charged_bp)}))
        lines.append(StatementLine("fee", -ln.fee_fen, True, v, params={**at, "charged": percent(ln.charged_bp)}))
    if quote.platform_coupon_fen:
        lines.append(StatementLine("platform_coupon", quote.platform_coupon_fen, False, quote.version))
    for e in items[1:]:
        d = e.detail
        lines += [StatementLine("refund", e.base_fen, True, e.version, params={
                      "refund_fen": d["refund_fen"], "refunded_total_fen": d["refunded_before_fen"] + d["refund_fen"],
                      "paid_fen": d["paid_fen"]}),
                  StatementLine("fee_reversal", -e.fee_fen, True, e.version)]
    net = sum(e.receivable_fen for e in items)
    lines.append(StatementLine("net_receivable", net, False, quote.version))
    return OrderStatement(sale.order_id, sale.shop_id, tuple(lines), sum(e.fee_fen for e in items), net)


def _rebate_points(reasons: Iterable[Any], waiver_id: str) -> str:
    return next((str(r.params["rebate"]) for r in reasons if r.code == "fee.rebate" and r.rule_id == waiver_id), "")


@dataclass(frozen=True)
class KindTotals:
    count: int = 0
    base_fen: int = 0
    fee_fen: int = 0
    receivable_fen: int = 0

    def plus(self, e: FeeEntry) -> KindTotals:
        return KindTotals(self.count + 1, self.base_fen + e.base_fen, self.fee_fen + e.fee_fen,
                          self.receivable_fen + e.receivable_fen)


@dataclass(frozen=True)
class PeriodStatement:
    start: dt.datetime  # included
    end: dt.datetime  # excluded
    shop_ids: tuple[str, ...]
    orders: int
    sales: KindTotals
    refunds: KindTotals  # figures negative: what refunds took back and handed back
    waived_by_waiver: Mapping[str, int]  # commission at category rates minus what was charged, net of refunds
    versions: Mapping[str, int]  # rulebook version → entries computed under it

    @property
    def net(self) -> KindTotals:
        return KindTotals(self.sales.count + self.refunds.count, self.sales.base_fen + self.refunds.base_fen,
                          self.sales.fee_fen + self.refunds.fee_fen,
                          self.sales.receivable_fen + self.refunds.receivable_fen)

    @property
    def lines(self) -> tuple[StatementLine, ...]:
        """The period's lines to render: sales, refunds, relief per waiver, the net receivable."""
        version = ", ".join(self.versions)
        rows = [StatementLine("period_sales", self.sales.receivable_fen, True, version,
                              params={"count": self.sales.count}),
                StatementLine("period_refunds", self.refunds.receivable_fen, True, version,
                              params={"count": self.refunds.count})]
        rows += [StatementLine("period_waived", fen, False, version, waiver_id)
                 for waiver_id, fen in self.waived_by_waiver.items()]
        rows.append(StatementLine("net_receivable", self.net.receivable_fen, False, version))
        return tuple(rows)


def period_statement(entries: Iterable[FeeEntry], start: dt.datetime, end: dt.datetime) -> PeriodStatement:
    """Entries booked in ``[start, end)`` summed by kind, with the commission each waiver relieved."""
    if not start < end:
        raise FeeError("merchants.invalid_period", f"the period must end after it starts ({start} – {end})")
    sales, refunds = KindTotals(), KindTotals()
    waived: dict[str, int] = {}
    versions: dict[str, int] = {}
    shops: set[str] = set()
    orders: set[str] = set()
    for e in entries:
        if not start <= e.at < end:
            continue
        if e.kind == SALE:
            sales = sales.plus(e)
        else:
            refunds = refunds.plus(e)
        for waiver_id, fen in e.waived.items():
            waived[waiver_id] = waived.get(waiver_id, 0) + fen
        versions[e.version] = versions.get(e.version, 0) + 1
        shops.add(e.shop_id)
        orders.add(e.order_id)
    return PeriodStatement(start, end, tuple(sorted(shops)), len(orders), sales, refunds,
                           dict(sorted(waived.items())), dict(sorted(versions.items())))
