"""The merchant centre's use cases: a shop's status and history, novice tasks and programmes, financing offers
(decided and recorded), open after-sale cases, and one overview of a merchant's shops. Mixed into
``MerchantService``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.aftersales import service as aftersales
from anxin.care import service as care
from anxin.catalog import service as catalog
from anxin.core.clock import beijing_day
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork
from anxin.merchants import financing, programmes
from anxin.merchants.ledger import debt_account, deposit_account
from anxin.merchants.money_store import MoneyRepository, OfferRow
from anxin.merchants.settlement_cases import SettlementCases
from anxin.merchants.store import LifecycleRepository, ShopLifecycleRow
from anxin.orders import service as orders
from anxin.risk import service as risk
from anxin.scoring import service as scoring
from anxin.shops import service as shops


class CentreCases(SettlementCases):
    def _status(self, uow: UnitOfWork, row: ShopLifecycleRow) -> dict[str, Any]:
        history = LifecycleRepository(uow.session).history(row.shop_id)
        return {"shop_id": row.shop_id, "merchant_id": row.merchant_id, "state": row.state,
                "store_type": row.store_type, "licence_no": row.licence_no, "trial": row.trial,
                "categories": list(row.categories), "applied_at": row.applied_at, "opened_at": row.opened_at,
                "state_since": row.state_since, "screening": row.screening, "carried": row.carried,
                "history": [{"at": h.at, "kind": h.kind, "from_state": h.from_state, "to_state": h.to_state,
                             "reason": h.reason_code, "actor": h.actor, "detail": h.detail} for h in history]}

    def status(self, principal: Principal, shop_id: str) -> dict[str, Any]:
        with self.uow_factory() as uow:
            row = self._lifecycle(uow, principal, shop_id)
            out = self._status(uow, row)
            uow.commit()
            return out

    # --- novice period and programmes --------------------------------------------------------------------------

    def _facts(self, uow: UnitOfWork, row: ShopLifecycleRow) -> programmes.ShopFacts:
        counts = orders.shop_order_counts(uow, row.shop_id)
        handed, answered = care.chat_reply_stats(uow, row.shop_id, within=dt.timedelta(minutes=3))
        held = self._ledger(uow, row.shop_id).balance(deposit_account(row.shop_id))
        listings = catalog.listing_count(uow, row.shop_id)
        metrics = {"listings_published": listings, "orders_shipped_on_time": counts["orders_shipped_on_time"],
                   "orders_signed": counts["orders_signed"], "positive_reviews": counts["positive_reviews"],
                   "chat_sessions": handed, "chat_reply_3min_bp": answered * 10_000 // handed if handed else 0,
                   "deposit_paid": int(held > 0)}
        completed = {k: dt.datetime.fromisoformat(v) for k, v in (row.novice_tasks or {}).items()}
        return programmes.ShopFacts(
            row.shop_id, row.opened_at or row.applied_at, row.state, row.store_type, row.trial, metrics,
            scoring.latest_shop_score(uow, row.shop_id),
            scoring.active_deductions(uow, row.shop_id, at=self.clock.now()), counts["gmv_fen"],
            listings, completed)

    def novice(self, principal: Principal, shop_id: str) -> dict[str, Any]:
        """Novice tasks with progress, XP, level and unlocks; the creator-matching and traffic-support decisions."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            row = self._lifecycle(uow, principal, shop_id, for_update=True)
            facts = self._facts(uow, row)
            rules = self.rulebook.programmes
            progress = programmes.novice_progress(facts, now, rules)
            if progress.newly_completed:
                row.novice_tasks = {**(row.novice_tasks or {}),
                                    **{k: v.isoformat() for k, v in progress.newly_completed.items()}}
            creator = programmes.creator_offer(facts, now, rules)
            traffic = programmes.traffic_support(facts, now, rules)
            uow.commit()
        tasks = {t.id: t for t in rules.novice.tasks}
        return {
            "shop_id": shop_id, "version": self.rulebook.version, "xp": progress.xp, "level": progress.level,
            "next_level": progress.next_level, "unlocked": list(progress.unlocked), "in_period": progress.in_period,
            "tasks": [{"id": t.task_id, "name": dict(tasks[t.task_id].name) if t.task_id in tasks else {},
                       "done": t.done, "progress": t.progress, "target": t.target, "xp": t.xp, "expired": t.expired,
                       "deadline": t.deadline, "completed_at": t.completed_at} for t in progress.tasks],
            "reasons": [r.as_dict() for r in progress.reasons], "facts": dict(progress.facts_used),
            "creator_matching": creator.as_dict(), "traffic_support": traffic.as_dict(),
        }

    # --- financing and payout offers ------------------------------------------------------------------------------

    def offers(self, principal: Principal, shop_id: str, *, refresh: bool = False) -> dict[str, Any]:
        """Loan, early payout and instalment decisions, each with reasons; recorded once per shop, kind and Beijing
        day (the record is what the lender outside is told), re-decided on ``refresh``."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            row = self._lifecycle(uow, principal, shop_id, for_update=True)
            money = MoneyRepository(uow.session)
            day = beijing_day(now).isoformat()
            stored = {k: money.offer(f"{shop_id}:{k}:{day}") for k in ("loan", "early_payout", "instalment")}
            if refresh or any(v is None for v in stored.values()):
                facts = self._financing_facts(uow, row)
                rules = self.rulebook.financing
                for offer in (financing.loan_offer(facts, now, rules), financing.early_payout_offer(facts, now, rules),
                              financing.instalment_offer(facts, now, rules)):
                    current = stored[offer.kind]
                    decision = offer.as_dict()
                    if current is None:
                        current = OfferRow(offer_id=f"{shop_id}:{offer.kind}:{day}", shop_id=shop_id, kind=offer.kind)
                        money.add_offer(current)
                    current.eligible, current.amount_fen, current.term_days = (offer.eligible, offer.amount_fen,
                                                                               offer.term_days)
                    current.valid_until, current.decided_at = offer.valid_until, now
                    current.version, current.decision = self.rulebook.version, decision
                    stored[offer.kind] = current
            uow.commit()
            return {"shop_id": shop_id, "offers": [_offer(r) for r in stored.values() if r is not None]}

    def _financing_facts(self, uow: UnitOfWork, row: ShopLifecycleRow) -> financing.FinancingFacts:
        shop = row.shop_id
        ledger = self._ledger(uow, shop)
        counts = orders.shop_order_counts(uow, shop)
        refunded = aftersales.refunded_cases(uow, shop)
        outcome, open_reviews = risk.shop_standing(uow, shop)
        refs, _ = self._category_refs(uow, list(row.categories) or catalog.shop_category_ids(uow, shop))
        return financing.FinancingFacts(
            shop_id=shop, store_type=row.store_type, licensed=bool(row.licence_no),
            opened_at=row.opened_at or row.applied_at, state=row.state,
            score_hundredths=scoring.latest_shop_score(uow, shop),
            monthly_gmv_fen=self._monthly_gmv(uow, row),
            deposit_debt_fen=max(0, -ledger.balance(debt_account(shop))), risk_outcome=outcome,
            refund_rate_bp=refunded * 10_000 // counts["orders_paid"] if counts["orders_paid"] else 0,
            open_risk_reviews=open_reviews, categories=tuple(refs))

    def _monthly_gmv(self, uow: UnitOfWork, row: ShopLifecycleRow) -> tuple[int, ...]:
        """GMV of the completed Beijing months the rulebook looks back over, most recent first; months that ended
        before the shop opened are left out rather than counted as zero."""
        opened = row.opened_at or row.applied_at
        bounds = [b for b in self._month_bounds(self.clock.now(), self.rulebook.financing.loan.gmv_months)
                  if b[1] > opened]
        return tuple(orders.shop_gmv(uow, row.shop_id, bounds))

    # --- cases and the overview ----------------------------------------------------------------------------------

    def open_cases(self, principal: Principal, shop_id: str) -> list[dict[str, Any]]:
        with self.uow_factory() as uow:
            self._lifecycle(uow, principal, shop_id)
            cases = aftersales.open_cases_of_shop(uow, shop_id)
            uow.commit()
            return cases

    def shops_of(self, principal: Principal) -> list[str]:
        with self.uow_factory() as uow:
            if principal.role is Role.MERCHANT:
                ids = {r.shop_id for r in LifecycleRepository(uow.session).for_merchant(principal.subject)}
                ids |= set(shops.shop_ids_of_merchant(uow, principal.subject))
                return sorted(ids)
            if principal.role in (Role.OPERATOR, Role.PLATFORM):
                return sorted(r.shop_id for r in LifecycleRepository(uow.session).recent(200))
            return []

    def overview(self, principal: Principal) -> dict[str, Any]:
        """Every shop of the merchant at a glance: state, deposit state, novice level, open cases."""
        rows = []
        for shop_id in self.shops_of(principal):
            deposit = self.deposit(principal, shop_id)
            status = self.status(principal, shop_id)
            rows.append({"shop_id": shop_id, "state": status["state"], "store_type": status["store_type"],
                          "trial": status["trial"], "deposit_state": deposit["status"]["state"],
                          "held_fen": deposit["held_fen"], "required_fen": deposit["required"]["fen"],
                          "open_cases": len(self.open_cases(principal, shop_id))})
        return {"subject": principal.subject, "shops": rows}


def _offer(r: OfferRow) -> dict[str, Any]:
    return {"offer_id": r.offer_id, "kind": r.kind, "eligible": r.eligible, "amount_fen": r.amount_fen,
            "term_days": r.term_days, "valid_until": r.valid_until, "decided_at": r.decided_at, "version": r.version,
            "reasons": r.decision.get("reasons", []), "facts": r.decision.get("facts_used", {})}
