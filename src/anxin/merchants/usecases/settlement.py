"""Settlement: fees frozen at sale, reversed on refund and cancellation, the goods payment booked to the shop's
ledger, the zero-deposit trial filled from sales, compensation taken from deposits: the entries each order's
statement shows (``statements``).

Paid and cancelled orders are found by the order's settlement flag (so an order that arrives late is still
settled), refunds by case-event id; everything is written under idempotency keys, so a rerun, or two runs at once,
books nothing twice.

One item that raises never stops the job: a batch that raises is settled again item by item, and an item that raises
alone (a sale, a refund, a cancellation) is set aside: its order flagged (settle state 9, so no run takes it again by
itself), recorded in job_failures (``sale:<order>``, ``refund:<case event>``, ``cancel:<order>``) and retried with
backoff at the start of later runs until it passes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import Any

from anxin.aftersales import service as aftersales
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.jobs.service import JobFailures, JobRun
from anxin.merchants import deposits as dep
from anxin.merchants import statement
from anxin.merchants.categories import CategoryRef
from anxin.merchants.fees import (
    FeeError,
    FeeLine,
    FeeOrder,
    FeeQuote,
    allocate_order_coupon,
    quote_order,
    reverse_on_refund,
)
from anxin.merchants.ledger import (
    Ledger,
    Posting,
    deposit_account,
    goods_account,
    refund_clawback,
    sale_proceeds,
    top_up_from_goods,
)
from anxin.merchants.money_store import CursorRepository, MoneyRepository
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.store import LifecycleRepository
from anxin.merchants.usecases.campaigns import fee_campaigns
from anxin.merchants.usecases.money import deduct_from_deposit, requirement
from anxin.merchants.usecases.shared import ledger_of, post, require_operator, visible_shop
from anxin.merchants.usecases.statements import frozen_sale
from anxin.orders import service as orders
from anxin.orders.service import Order
from anxin.shops import service as shops

log = logging.getLogger("anxin.settlement")
BATCH = 500
REFUND_LOOKBACK = 1_000  # case-event ids read again on every run
SETTLE_JOB = "merchants.settle"


@dataclass
class SettleReport:
    sales: int = 0
    refunds: int = 0
    cancellations: int = 0
    compensations: int = 0
    trial_top_ups: int = 0
    failed: list[str] = field(default_factory=list)  # items set aside this run: sale:<order>, refund:<event> …

    def as_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "failed"}, "failed": list(self.failed)}


class Settlement:
    """The settlement job (the tick, ``anxin merchants settle`` and operators run it)."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    def settle_pending(self, *, limit: int = 5_000) -> SettleReport:
        """Settle what happened since the last run (the tick and `anxin merchants settle` call this): items set
        aside earlier whose wait is over, sales whose fee is not frozen yet (however late they arrived), refunds, then
        cancellations. Each batch is one transaction; a crash loses nothing and a rerun books nothing twice."""
        report = SettleReport()
        run = JobFailures(uow_factory=self.uow_factory, clock=self.clock).start(SETTLE_JOB)
        self._retry_set_aside(run, report)
        while report.sales < limit:
            refused: dict[str, Exception] = {}
            with self.uow_factory() as uow:
                batch = orders.orders_to_settle(uow, min(BATCH, limit - report.sales))
                part = _copy(report)
                try:
                    part.sales += self._settle_sales(uow, batch, part, refused)
                    orders.mark_settled(uow, [o.order_id for o in batch if o.order_id not in refused])
                    orders.mark_unsettleable(uow, list(refused))
                    uow.commit()
                    report, whole = part, True
                except Exception:
                    whole = False
            if whole:
                for order_id, exc in refused.items():
                    run.fail(f"sale:{order_id}", exc)
            else:  # each alone, outside the batch's unit of work
                for order in batch:
                    self._settle_sale_alone(run, order, report)
            if len(batch) < BATCH:
                break
        self._settle_refunds(run, report, limit)
        while True:
            with self.uow_factory() as uow:
                batch = orders.cancellations_to_settle(uow, BATCH)
                part = _copy(report)
                try:
                    for order in batch:
                        part.cancellations += self._settle_cancellation(uow, order, part)
                    orders.mark_settled(uow, [o.order_id for o in batch], cancelled=True)
                    uow.commit()
                    report, whole = part, True
                except Exception:
                    whole = False
            for order in [] if whole else batch:
                self._settle_cancellation_alone(run, order, report)
            if len(batch) < BATCH:
                return report

    def _settle_refunds(self, run: JobRun, report: SettleReport, limit: int) -> None:
        with self.uow_factory() as uow:
            cursors = CursorRepository(uow.session)
            seen = int((cursors.get("refunds") or {}).get("event_id", 0))
            # Event ids are handed out at insert, not at commit: look back a little so a refund committed late
            # behind a higher id is still read (its keys make the second look free of effect).
            refunds = aftersales.refunds_after(uow, max(0, seen - REFUND_LOOKBACK), limit)
            money = MoneyRepository(uow.session)
            booked = money.fee_keys([f"refund:{r.case_id}" for r in refunds])
            booked |= set(money.postings([f"comp:{r.case_id}" for r in refunds if r.compensated_fen]))
            seen = max([seen, *(r.event_id for r in refunds)])
            todo = [r for r in refunds if not run.waiting(f"refund:{r.event_id}") and not (
                (not r.refunded_fen or f"refund:{r.case_id}" in booked)
                and (not r.compensated_fen or f"comp:{r.case_id}" in booked))]  # else read again by the look-back
            part = _copy(report)
            try:
                for refund in todo:
                    self._settle_refund(uow, refund, part)
                run.clear(uow, [f"refund:{r.event_id}" for r in todo])
                cursors.set("refunds", {"event_id": seen})
                uow.commit()
                report.__dict__.update(vars(part))
                return
            except Exception:
                pass
        for refund in todo:
            self._settle_refund_alone(run, refund, report)
        with self.uow_factory() as uow:  # past the ones set aside too: they are retried from job_failures
            CursorRepository(uow.session).set("refunds", {"event_id": seen})
            uow.commit()

    def _retry_set_aside(self, run: JobRun, report: SettleReport) -> None:
        """Items set aside by earlier runs whose wait is over: each alone again (cleared when it passes)."""
        for key in run.due_retries():
            kind, _, ref = key.partition(":")
            refund, order = None, None
            with self.uow_factory() as uow:
                if kind == "refund" and ref.isdigit():
                    found = aftersales.refunds_after(uow, int(ref) - 1, 1)
                    refund = found[0] if found and found[0].event_id == int(ref) else None
                else:
                    order = orders.get_order(uow, ref)
            if kind == "refund" and refund is not None:
                self._settle_refund_alone(run, refund, report)
            elif kind == "sale" and order is not None:
                self._settle_sale_alone(run, order, report)
            elif kind == "cancel" and order is not None:
                self._settle_cancellation_alone(run, order, report)
            else:  # its subject is gone: nothing left to settle
                run.succeeded([key])

    def _settle_sale_alone(self, run: JobRun, order: Order, report: SettleReport) -> None:
        key, committed = f"sale:{order.order_id}", False
        refused: dict[str, Exception] = {}
        with run.item(key):
            with self.uow_factory() as uow:
                part = _copy(report)
                part.sales += self._settle_sales(uow, [order], part, refused)
                (orders.mark_unsettleable if refused else orders.mark_settled)(uow, [order.order_id])
                uow.commit()
            committed = True
            report.__dict__.update(vars(part))
            if refused:  # the fee engine refused it: recorded like any other failure
                raise refused[order.order_id]
        if not committed:
            self._set_aside(order.order_id, key, report)

    def _settle_cancellation_alone(self, run: JobRun, order: Order, report: SettleReport) -> None:
        key, committed = f"cancel:{order.order_id}", False
        with run.item(key):
            with self.uow_factory() as uow:
                part = _copy(report)
                part.cancellations += self._settle_cancellation(uow, order, part)
                orders.mark_settled(uow, [order.order_id], cancelled=True)
                uow.commit()
            committed = True
            report.__dict__.update(vars(part))
        if not committed:
            self._set_aside(order.order_id, key, report)

    def _settle_refund_alone(self, run: JobRun, refund: aftersales.RefundPaid, report: SettleReport) -> None:
        key, committed = f"refund:{refund.event_id}", False
        with run.item(key):
            with self.uow_factory() as uow:
                part = _copy(report)
                self._settle_refund(uow, refund, part)
                uow.commit()
            committed = True
            report.__dict__.update(vars(part))
        if not committed:
            report.failed.append(key)

    def _set_aside(self, order_id: str, key: str, report: SettleReport) -> None:
        """Flag an order that raised, so no run takes it again by itself before its retry (from job_failures)."""
        with self.uow_factory() as uow:
            orders.mark_unsettleable(uow, [order_id])
            uow.commit()
        report.failed.append(key)

    def run_settlement(self, principal: Principal) -> dict[str, Any]:
        require_operator(principal)
        return self.settle_pending().as_dict()

    # --- one order, one refund, one cancellation -------------------------------------------------------------------

    def _settle_sales(self, uow: UnitOfWork, batch: list[Order], report: SettleReport,
                      refused: dict[str, Exception] | None = None) -> int:
        """Freeze the fee of each sale not settled yet, book its goods payment, fill trial deposits: one read of
        each kind per batch, one write of each kind."""
        money = MoneyRepository(uow.session)
        done = money.fee_keys([f"sale:{o.order_id}" for o in batch])
        todo = [o for o in batch if f"sale:{o.order_id}" not in done]
        if not todo:
            return 0
        shop_ids = sorted({o.shop_id for o in todo})
        lives = LifecycleRepository(uow.session).many(shop_ids, for_update=True)
        opened = shops.opened_at(uow, shop_ids) | {
            sid: life.opened_at for sid, life in lives.items() if life.opened_at is not None}
        listing_categories = catalog.listing_categories(uow, [i.listing_id for o in todo for i in o.items])
        lineage = catalog.category_lineage(uow, list(dict.fromkeys(listing_categories.values())))
        campaigns = tuple(fee_campaigns(uow))
        ledger = Ledger(balances=money.balances([a(s) for s in shop_ids for a in (deposit_account, goods_account)]))
        required: dict[str, int] = {}
        entries: list[dict[str, Any]] = []
        postings: list[tuple[Posting, str, str]] = []
        for order in todo:
            try:
                quote = self._quote(order, listing_categories, lineage, opened.get(order.shop_id, order.paid_at),
                                    campaigns)
            except FeeError as exc:  # one unsettleable order must not stop the job for every other one
                log.error("order %s cannot be settled: %s", order.order_id, exc)
                report.failed.append(f"sale:{order.order_id}")
                if refused is not None:
                    refused[order.order_id] = exc
                continue
            entries.append(_row(statement.sale_entry(quote, key=f"sale:{order.order_id}"), "sale"))
            shop = order.shop_id
            if quote.receivable_fen <= 0:
                continue
            postings.append((sale_proceeds(shop, quote.receivable_fen, key=f"proceeds:{order.order_id}",
                                           at=order.paid_at), shop, "settlement"))
            ledger.post(postings[-1][0])
            life = lives.get(shop)
            if life is not None and life.trial:
                if shop not in required:
                    required[shop] = requirement(uow, life, now=self.clock.now(), rulebook=self.rulebook).fen
                fill = min(dep.top_up_from_sales(quote.receivable_fen, held_fen=ledger.balance(deposit_account(shop)),
                                                 required_fen=required[shop], rules=self.rulebook.deposits),
                           ledger.balance(goods_account(shop)))
                if fill > 0:
                    postings.append((top_up_from_goods(shop, fill, key=f"trial-fill:{order.order_id}",
                                                       at=order.paid_at), shop, "settlement"))
                    ledger.post(postings[-1][0])
                    report.trial_top_ups += 1
        money.add_fee_entries(entries)
        money.add_postings(postings)
        return len(todo)

    def _quote(self, order: Order, listing_categories: dict[str, str],
               lineage: dict[str, tuple[tuple[str, ...], frozenset[str]]], opened_at: dt.datetime,
               campaigns: tuple[Any, ...]) -> FeeQuote:
        grosses = [i.qty * i.price_fen for i in order.items]
        coupons = allocate_order_coupon(order.shop_coupon_fen, grosses)
        lines = []
        for n, (item, gross, coupon) in enumerate(zip(order.items, grosses, coupons, strict=True), start=1):
            cid = listing_categories.get(item.listing_id, "unknown")
            ancestors, tags = lineage.get(cid, ((), frozenset()))
            lines.append(FeeLine(n, CategoryRef(cid, ancestors, tags), gross, coupon))
        fee_order = FeeOrder(order.order_id, order.shop_id, order.paid_at, opened_at, order.channel or "other",
                             tuple(lines), order.platform_coupon_fen)
        return quote_order(fee_order, self.rulebook.fees, version=self.rulebook.version, extra_waivers=campaigns)

    def _reverse(self, uow: UnitOfWork, order_id: str, key: str, refund_fen: int, at: dt.datetime,
                 detail: dict[str, Any]) -> bool:
        """Reverse the frozen fee for a refund of ``refund_fen``; the goods payment gives back the refund less the
        fee returned. Capped at what remains refundable."""
        money = MoneyRepository(uow.session)
        if money.fee_keys([key]):
            return False
        found = frozen_sale(uow, order_id)
        if found is None:
            return False
        quote, entries = found
        before = sum(int(e.detail["refund_fen"]) for e in entries if e.kind != statement.SALE)
        refund_fen = min(refund_fen, quote.paid_fen - before)
        if refund_fen <= 0:
            return False
        reversal = reverse_on_refund(quote, before, refund_fen)
        entry = statement.refund_entry(quote, reversal, refund_fen, at, key)
        entry = replace(entry, detail={**entry.detail, **detail, "reasons": [r.as_dict() for r in reversal.reasons]})
        money.add_fee_entries([_row(entry, key.split(":", 1)[0])])
        if reversal.receivable_reversed_fen > 0:
            ledger = ledger_of(uow, quote.shop_id)
            post(uow, ledger, refund_clawback(quote.shop_id, reversal.receivable_reversed_fen,
                                                    key=f"clawback:{key}", at=at),
                       shop_id=quote.shop_id, actor="settlement")
        return True

    def _settle_refund(self, uow: UnitOfWork, refund: aftersales.RefundPaid, report: SettleReport) -> None:
        if frozen_sale(uow, refund.order_id) is None:
            order = orders.get_order(uow, refund.order_id)
            if order is not None:
                report.sales += self._settle_sales(uow, [order], report)
        if refund.refunded_fen > 0 and self._reverse(uow, refund.order_id, f"refund:{refund.case_id}",
                                                     refund.refunded_fen, refund.at, {"case_id": refund.case_id}):
            report.refunds += 1
        if refund.compensated_fen > 0:
            visible_shop(uow, None, refund.shop_id, now=self.clock.now(), rulebook=self.rulebook)
            if deduct_from_deposit(uow, refund.shop_id, refund.compensated_fen, "compensation",
                                   f"comp:{refund.case_id}", True, at=self.clock.now(), actor="settlement",
                                   memo=f"case {refund.case_id}"):
                report.compensations += 1

    def _settle_cancellation(self, uow: UnitOfWork, order: Order, report: SettleReport) -> int:
        if frozen_sale(uow, order.order_id) is None:
            report.sales += self._settle_sales(uow, [order], report)
        return int(self._reverse(uow, order.order_id, f"cancel:{order.order_id}", order.paid_fen,
                                 order.cancelled_at or order.paid_at, {"reason": order.cancel_reason or ""}))



def _copy(report: SettleReport) -> SettleReport:
    """A batch's report: its counts land only if the batch commits."""
    return replace(report, failed=list(report.failed))


def _row(entry: statement.FeeEntry, kind: str) -> dict[str, Any]:
    """The stored row of an entry: its figures as columns for sums, the whole entry as JSON."""
    return {"key": entry.key, "order_id": entry.order_id, "shop_id": entry.shop_id, "kind": kind, "at": entry.at,
            "base_fen": entry.base_fen, "fee_fen": entry.fee_fen, "receivable_fen": entry.receivable_fen,
            "version": entry.version, "entry": entry.as_dict()}
