"""Reading after-sales: an order's guarantees and timeline, one case, the cases a principal may see, counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from anxin.aftersales.policy import Coverage, coverage
from anxin.aftersales.reading import CaseView, case_for, order_facts, order_for, view_of
from anxin.aftersales.rulebook import RulebookSet
from anxin.aftersales.store import CaseRepository
from anxin.core.clock import Clock
from anxin.core.principal import Principal, Role
from anxin.db.uow import UowFactory
from anxin.orders import service as orders
from anxin.orders.service import Order, OrderTimeline
from anxin.shops import service as shops


@dataclass(frozen=True)
class OrderGuarantees:
    order: Order
    coverage: tuple[Coverage, ...]
    rulebook_version: str


class CaseQueries:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebooks: RulebookSet) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rulebooks = rulebooks

    def guarantees(self, principal: Principal, order_id: str) -> OrderGuarantees:
        now = self.clock.now()
        with self.uow_factory() as uow:
            order = order_for(uow, principal, order_id)
            rb = self.rulebooks.in_force(now)
            return OrderGuarantees(order, tuple(coverage(order_facts(uow, order, None), rb, now)), rb.version)

    def order_timeline(self, principal: Principal, order_id: str) -> tuple[OrderTimeline, list[CaseView]]:
        with self.uow_factory() as uow:
            order_for(uow, principal, order_id)
            tl = orders.timeline(uow, order_id)
            assert tl is not None
            repo = CaseRepository(uow.session)
            return tl, [view_of(repo, row) for row in repo.for_order(order_id)]

    def get_case(self, principal: Principal, case_id: str) -> CaseView:
        with self.uow_factory() as uow:
            repo = CaseRepository(uow.session)
            return view_of(repo, case_for(uow, repo, principal, case_id))

    def list_cases(self, principal: Principal, *, states: list[str] | None = None, shop_id: str | None = None,
                   limit: int = 100, after: tuple[dt.datetime | None, dt.datetime, str] | None = None
                   ) -> list[CaseView]:
        """``after``: the (deadline, opened at, id) of the last case of the previous page (keyset pagination)."""
        limit = max(1, min(limit, 501))  # a page of 500, and one more to know there is a next
        with self.uow_factory() as uow:
            repo = CaseRepository(uow.session)
            kwargs: dict[str, Any] = {"states": states, "shop_id": shop_id, "limit": limit, "after": after}
            if principal.role is Role.CONSUMER:
                kwargs["consumer_id"] = principal.subject
            elif principal.role is Role.MERCHANT:
                # Cases follow the shop: after a transfer the new owner sees all of them, the previous none.
                kwargs["shop_ids"] = shops.shop_ids_of_merchant(uow, principal.subject)
            return [view_of(repo, row) for row in repo.search(**kwargs)]

    def stats(self) -> dict[str, int]:
        with self.uow_factory() as uow:
            return CaseRepository(uow.session).state_counts()
