"""Financing and payout offers: loan, early payout and instalment decisions, each with reasons, recorded once per
shop, kind and Beijing day (the record is what the lender outside is told)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.aftersales import service as aftersales
from anxin.catalog import service as catalog
from anxin.core.clock import Clock, beijing_day
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.merchants import financing
from anxin.merchants.ledger import debt_account
from anxin.merchants.money_store import MoneyRepository, OfferRow
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.store import ShopLifecycleRow
from anxin.merchants.usecases.shared import category_refs, ledger_of, month_bounds, visible_shop
from anxin.orders import service as orders
from anxin.risk import service as risk
from anxin.scoring import service as scoring

OFFER_KINDS = ("loan", "early_payout", "instalment")


def financing_facts(uow: UnitOfWork, row: ShopLifecycleRow, *, now: dt.datetime,
                    rulebook: MerchantRulebook) -> financing.FinancingFacts:
    """What the lenders' rules judge a shop on: its ledger, orders, refunds, risk standing, score and categories."""
    shop = row.shop_id
    ledger = ledger_of(uow, shop)
    counts = orders.shop_order_counts(uow, shop)
    refunded = aftersales.refunded_cases(uow, shop)
    outcome, open_reviews = risk.shop_standing(uow, shop)
    refs, _ = category_refs(uow, list(row.categories) or catalog.shop_category_ids(uow, shop))
    return financing.FinancingFacts(
        shop_id=shop, store_type=row.store_type, licensed=bool(row.licence_no),
        opened_at=row.opened_at or row.applied_at, state=row.state,
        score_hundredths=scoring.latest_shop_score(uow, shop),
        monthly_gmv_fen=monthly_gmv(uow, row, now=now, months=rulebook.financing.loan.gmv_months),
        deposit_debt_fen=max(0, -ledger.balance(debt_account(shop))), risk_outcome=outcome,
        refund_rate_bp=refunded * 10_000 // counts["orders_paid"] if counts["orders_paid"] else 0,
        open_risk_reviews=open_reviews, categories=tuple(refs))


def monthly_gmv(uow: UnitOfWork, row: ShopLifecycleRow, *, now: dt.datetime, months: int) -> tuple[int, ...]:
    """GMV of the completed Beijing months looked back over, most recent first; months that ended before the shop
    opened are left out rather than counted as zero."""
    opened = row.opened_at or row.applied_at
    bounds = [b for b in month_bounds(now, months) if b[1] > opened]
    return tuple(orders.shop_gmv(uow, row.shop_id, bounds))


class Financing:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    def offers(self, principal: Principal, shop_id: str, *, refresh: bool = False) -> dict[str, Any]:
        """Today's decisions as recorded, decided now if not yet (or again on ``refresh``)."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            row = visible_shop(uow, principal, shop_id, now=now, rulebook=self.rulebook, for_update=True)
            money = MoneyRepository(uow.session)
            day = beijing_day(now).isoformat()
            stored = {k: money.offer(f"{shop_id}:{k}:{day}") for k in OFFER_KINDS}
            if refresh or any(v is None for v in stored.values()):
                facts = financing_facts(uow, row, now=now, rulebook=self.rulebook)
                rules = self.rulebook.financing
                for offer in (financing.loan_offer(facts, now, rules), financing.early_payout_offer(facts, now, rules),
                              financing.instalment_offer(facts, now, rules)):
                    current = stored[offer.kind]
                    if current is None:
                        current = OfferRow(offer_id=f"{shop_id}:{offer.kind}:{day}", shop_id=shop_id, kind=offer.kind)
                        money.add_offer(current)
                    current.eligible, current.amount_fen, current.term_days = (offer.eligible, offer.amount_fen,
                                                                               offer.term_days)
                    current.valid_until, current.decided_at = offer.valid_until, now
                    current.version, current.decision = self.rulebook.version, offer.as_dict()
                    stored[offer.kind] = current
            uow.commit()
            return {"shop_id": shop_id, "offers": [_offer(r) for r in stored.values() if r is not None]}


def _offer(r: OfferRow) -> dict[str, Any]:
    return {"offer_id": r.offer_id, "kind": r.kind, "eligible": r.eligible, "amount_fen": r.amount_fen,
            "term_days": r.term_days, "valid_until": r.valid_until, "decided_at": r.decided_at, "version": r.version,
            "reasons": r.decision.get("reasons", []), "facts": r.decision.get("facts_used", {})}
