"""Operators' fee campaigns: time-boxed waivers or rebates on top of the rulebook's, and the fee rules in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.merchants.fee_rules import Waiver, waiver_from_dict, waiver_problems
from anxin.merchants.money_store import FeeCampaignRow, MoneyRepository
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.usecases.shared import require_operator


def fee_campaigns(uow: UnitOfWork) -> list[Waiver]:
    """The campaigns operators added, as waivers (settlement quotes with them too)."""
    out = []
    for row in MoneyRepository(uow.session).campaigns():
        waiver, _ = waiver_from_dict(row.spec)
        if waiver is not None:
            out.append(waiver)
    return out


class FeeCampaigns:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    def add_campaign(self, principal: Principal, spec: Mapping[str, Any]) -> dict[str, Any]:
        """Refused if its window is empty or it overlaps another of the same kind that can cover the same order."""
        require_operator(principal)
        waiver, problems = waiver_from_dict(spec)
        if waiver is None:
            raise AnxinError(E.INVALID_WAIVER, problems[0][1] if problems else "invalid waiver",
                             problems=[p for _, p in problems])
        with self.uow_factory() as uow:
            found = waiver_problems(waiver, [*self.rulebook.fees.waivers, *fee_campaigns(uow)])
            if found:
                code = next((E(c) for c, _ in found if c in E._value2member_map_), E.INVALID_WAIVER)
                raise AnxinError(code, found[0][1], problems=[m for _, m in found])
            MoneyRepository(uow.session).add_campaign(FeeCampaignRow(
                waiver_id=waiver.id, spec=dict(spec), created_at=self.clock.now(), created_by=principal.subject))
            uow.commit()
        return {"waiver_id": waiver.id, "spec": dict(spec)}

    def commission_names(self) -> dict[str, dict[str, str]]:
        """The name of each commission rate in the rulebook, by id: what a statement calls the rate it applied."""
        fees = self.rulebook.fees
        return {c.id: dict(c.name) for c in (fees.default_commission, *fees.commission)}

    def fee_rules_view(self, at: dt.datetime | None = None) -> dict[str, Any]:
        at = at or self.clock.now()
        with self.uow_factory() as uow:
            campaigns = fee_campaigns(uow)
        waivers = [*self.rulebook.fees.waivers, *campaigns]
        return {"version": self.rulebook.version, "channel_fee_bp": self.rulebook.fees.channel_fee_bp,
                "waivers": [{"id": w.id, "name": dict(w.name), "kind": str(w.kind), "in_force": w.in_force(at),
                             "campaign": w in campaigns} for w in waivers]}
