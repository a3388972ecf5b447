"""The merchant centre: a shop's status and history, its open after-sale cases, and one overview of a merchant's
shops (state, deposit state, open cases)."""

from __future__ import annotations

from typing import Any

from anxin.aftersales import service as aftersales
from anxin.core.clock import Clock
from anxin.core.principal import Principal, Role
from anxin.db.uow import UowFactory
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.store import LifecycleRepository
from anxin.merchants.usecases.money import deposit_view
from anxin.merchants.usecases.shared import status_of, visible_shop
from anxin.shops import service as shops

OPERATOR_LIST = 200  # an operator's overview: the shops whose state changed last


class Centre:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    def status(self, principal: Principal, shop_id: str) -> dict[str, Any]:
        with self.uow_factory() as uow:
            row = visible_shop(uow, principal, shop_id, now=self.clock.now(), rulebook=self.rulebook)
            out = status_of(uow, row)
            uow.commit()
            return out

    def open_cases(self, principal: Principal, shop_id: str, *, after: aftersales.OpenCaseKey | None = None,
                   limit: int = 100) -> list[dict[str, Any]]:
        """The shop's open cases, nearest deadline first, from ``after`` (the key of the last one shown)."""
        with self.uow_factory() as uow:
            visible_shop(uow, principal, shop_id, now=self.clock.now(), rulebook=self.rulebook)
            cases = aftersales.open_cases_of_shop(uow, shop_id, limit, after=after)
            uow.commit()
            return cases

    def shops_of(self, principal: Principal) -> list[str]:
        with self.uow_factory() as uow:
            if principal.role is Role.MERCHANT:
                ids = {r.shop_id for r in LifecycleRepository(uow.session).for_merchant(principal.subject)}
                ids |= set(shops.shop_ids_of_merchant(uow, principal.subject))
                return sorted(ids)
            if principal.role in (Role.OPERATOR, Role.PLATFORM):
                return sorted(r.shop_id for r in LifecycleRepository(uow.session).recent(OPERATOR_LIST))
            return []

    def shop_ids(self, principal: Principal, *, after: str | None, limit: int) -> list[str]:
        """The shops the principal sees, by id, after ``after`` (keyset): a merchant's own, or every shop."""
        with self.uow_factory() as uow:
            repo = LifecycleRepository(uow.session)
            if principal.role is Role.MERCHANT:
                # Shops the platform registered have no lifecycle row until first read: both sources, merged.
                ids = set(repo.ids_after(after, limit, merchant_id=principal.subject))
                ids |= {i for i in shops.shop_ids_of_merchant(uow, principal.subject) if after is None or i > after}
                return sorted(ids)[:limit]
            if principal.role in (Role.OPERATOR, Role.PLATFORM):
                return repo.ids_after(after, limit)
            return []

    def overview(self, principal: Principal, *, after: str | None = None,
                 limit: int | None = None) -> dict[str, Any]:
        """Every shop of the merchant at a glance: state, deposit state, open cases (one transaction per shop).
        Without ``limit``: the merchant's shops or the operator's recent ones (the pages); with it, a keyset page
        by shop id (the API)."""
        rows = []
        ids = self.shops_of(principal) if limit is None else self.shop_ids(principal, after=after, limit=limit)
        for shop_id in ids:
            with self.uow_factory() as uow:
                now = self.clock.now()
                row = visible_shop(uow, principal, shop_id, now=now, rulebook=self.rulebook)
                deposit = deposit_view(uow, row, now=now, rulebook=self.rulebook)
                rows.append({"shop_id": shop_id, "state": row.state, "store_type": row.store_type,
                             "trial": row.trial, "deposit_state": deposit["status"]["state"],
                             "held_fen": deposit["held_fen"], "required_fen": deposit["required"]["fen"],
                             "open_cases": len(aftersales.open_cases_of_shop(uow, shop_id))})
                uow.commit()  # the lifecycle row of an adopted shop
        return {"subject": principal.subject, "shops": rows}
