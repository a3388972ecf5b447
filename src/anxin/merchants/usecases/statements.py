"""Statements: one order's settlement line by line with the frozen quote behind it, and a shop's fee entries over
a period summed by kind and by waiver."""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.core.clock import Clock, beijing_midnight
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.merchants import statement
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.merchants.fees import FeeQuote
from anxin.merchants.money_store import MoneyRepository
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.usecases.shared import visible_shop
from anxin.orders import service as orders


def frozen_sale(uow: UnitOfWork, order_id: str) -> tuple[FeeQuote, list[statement.FeeEntry]] | None:
    """The quote frozen when the order's sale was settled, with every fee entry of the order; None before."""
    entries = [statement.FeeEntry.from_dict(r.entry)
               for r in MoneyRepository(uow.session).fee_entries_of_order(order_id)]
    sale = next((e for e in entries if e.kind == statement.SALE), None)
    return (FeeQuote.from_dict(sale.detail["quote"]), entries) if sale else None


class Statements:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    def order_statement(self, principal: Principal, order_id: str) -> dict[str, Any]:
        """The order's settlement line by line (statement.order_statement), with the frozen quote behind it."""
        with self.uow_factory() as uow:
            order = orders.get_order(uow, order_id)
            if order is None:
                raise AnxinError(E.SHOP_NOT_FOUND, f"no settled order {order_id!r} visible to this key")
            visible_shop(uow, principal, order.shop_id, now=self.clock.now(), rulebook=self.rulebook)
            found = frozen_sale(uow, order_id)
            uow.commit()
        if found is None:
            raise AnxinError(E.SHOP_NOT_FOUND, f"order {order_id!r} is not settled yet", order_id=order_id)
        quote, entries = found
        st = statement.order_statement(entries)
        return {"order_id": order_id, "shop_id": order.shop_id, "quote": quote.as_dict(),
                "gross_fen": quote.gross_fen, "shop_coupon_fen": quote.shop_coupon_fen,
                "platform_coupon_fen": quote.platform_coupon_fen, "base_fen": quote.base_fen,
                "commission_fen": quote.commission_fen, "fee_fen": quote.fee_fen,
                "receivable_fen": quote.receivable_fen, "waived": quote.waived_by_waiver,
                "lines": [_line(line) for line in st.lines],
                "entries": [_entry(e) for e in entries],
                "net_receivable_fen": st.net_receivable_fen, "net_fee_fen": st.fee_fen}

    def period_statement(self, principal: Principal, shop_id: str, start: dt.date, end: dt.date, *,
                         entries: bool = True) -> dict[str, Any]:
        """Every fee entry of the shop in [start, end] (Beijing days), summed by kind and by waiver; with the first
        1,000 entries for the pages (``entries``), the API lists them on their own (``period_entries``)."""
        lo, hi = _period(start, end)
        with self.uow_factory() as uow:
            visible_shop(uow, principal, shop_id, now=self.clock.now(), rulebook=self.rulebook)
            rows = MoneyRepository(uow.session).fee_entries(shop_id, lo, hi)
            uow.commit()
        st = statement.period_statement([statement.FeeEntry.from_dict(r.entry) for r in rows], lo, hi)
        by_kind: dict[str, dict[str, int]] = {}
        for r in rows:  # sale | refund | cancel, as booked
            k = by_kind.setdefault(r.kind, {"count": 0, "base_fen": 0, "fee_fen": 0, "receivable_fen": 0})
            k["count"] += 1
            k["base_fen"] += r.base_fen
            k["fee_fen"] += r.fee_fen
            k["receivable_fen"] += r.receivable_fen
        net = st.net
        return {"shop_id": shop_id, "start": start.isoformat(), "end": end.isoformat(), "by_kind": by_kind,
                "orders": st.orders, "fee_fen": net.fee_fen, "receivable_fen": net.receivable_fen,
                "base_fen": net.base_fen, "waived_by_waiver": dict(st.waived_by_waiver),
                "versions": sorted(st.versions), "lines": [_line(line) for line in st.lines],
                **({"entries": [_entry(statement.FeeEntry.from_dict(r.entry)) for r in rows[:1000]],
                    "truncated": len(rows) > 1000} if entries else {})}

    def period_entries(self, principal: Principal, shop_id: str, start: dt.date, end: dt.date, *,
                       after: tuple[dt.datetime, str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The fee entries of the period, oldest first, from ``after`` (the (at, key) of the last one shown)."""
        lo, hi = _period(start, end)
        with self.uow_factory() as uow:
            visible_shop(uow, principal, shop_id, now=self.clock.now(), rulebook=self.rulebook)
            rows = MoneyRepository(uow.session).fee_entries(shop_id, lo, hi, after=after, limit=limit)
            uow.commit()
        return [_entry(statement.FeeEntry.from_dict(r.entry)) for r in rows]


def _period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start or (end - start).days > 366:
        raise AnxinError(E.INVALID_PERIOD, "the period ends before it starts or is longer than a year")
    return beijing_midnight(start), beijing_midnight(end + dt.timedelta(days=1))


def _line(line: statement.StatementLine) -> dict[str, Any]:
    return {"code": line.code, "amount_fen": line.amount_fen, "counts": line.counts, "version": line.version,
            "rule_id": line.rule_id, "params": dict(line.params),
            "label": {lang: line.label(lang) for lang in ("zh-CN", "en")}}


def _entry(e: statement.FeeEntry) -> dict[str, Any]:
    kind = "cancel" if e.key.startswith("cancel:") else e.kind
    return {"key": e.key, "order_id": e.order_id, "kind": kind, "at": e.at, "base_fen": e.base_fen,
            "fee_fen": e.fee_fen, "receivable_fen": e.receivable_fen, "version": e.version,
            "waivers": sorted(e.waived)}
