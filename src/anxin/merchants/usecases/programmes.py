"""The novice period and programmes: tasks with progress, XP, level and unlocks; the creator-matching and
traffic-support decisions, each with reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.care import service as care
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.merchants import programmes
from anxin.merchants.ledger import deposit_account
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.store import ShopLifecycleRow
from anxin.merchants.usecases.shared import ledger_of, visible_shop
from anxin.orders import service as orders
from anxin.scoring import service as scoring


def shop_facts(uow: UnitOfWork, row: ShopLifecycleRow, *, now: dt.datetime) -> programmes.ShopFacts:
    """What the programme rules judge a shop on, gathered from orders, care, catalog, scoring and its ledger."""
    counts = orders.shop_order_counts(uow, row.shop_id)
    handed, answered = care.chat_reply_stats(uow, row.shop_id, within=dt.timedelta(minutes=3))
    held = ledger_of(uow, row.shop_id).balance(deposit_account(row.shop_id))
    listings = catalog.listing_count(uow, row.shop_id)
    metrics = {"listings_published": listings, "orders_shipped_on_time": counts["orders_shipped_on_time"],
               "orders_signed": counts["orders_signed"], "positive_reviews": counts["positive_reviews"],
               "chat_sessions": handed, "chat_reply_3min_bp": answered * 10_000 // handed if handed else 0,
               "deposit_paid": int(held > 0)}
    completed = {k: dt.datetime.fromisoformat(v) for k, v in (row.novice_tasks or {}).items()}
    return programmes.ShopFacts(
        row.shop_id, row.opened_at or row.applied_at, row.state, row.store_type, row.trial, metrics,
        scoring.latest_shop_score(uow, row.shop_id), scoring.active_deductions(uow, row.shop_id, at=now),
        counts["gmv_fen"], listings, completed)


class Programmes:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    def novice(self, principal: Principal, shop_id: str) -> dict[str, Any]:
        """Novice tasks with progress, XP, level and unlocks (tasks done are remembered); the creator-matching and
        traffic-support decisions."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            row = visible_shop(uow, principal, shop_id, now=now, rulebook=self.rulebook, for_update=True)
            facts = shop_facts(uow, row, now=now)
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
