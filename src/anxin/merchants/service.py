"""The merchants context's use cases, composed: one object per use case (``anxin.merchants.usecases``), each built
with the same unit-of-work factory, clock and rulebook. ``Anxin.merchants`` is this bundle, e.g.
``anxin.merchants.money.top_up(...)``, ``anxin.merchants.settlement.settle_pending()``. The shop registry itself is
``anxin.shops``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from anxin.core.clock import Clock
from anxin.db.uow import UowFactory
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.usecases.campaigns import FeeCampaigns
from anxin.merchants.usecases.centre import Centre
from anxin.merchants.usecases.financing import Financing
from anxin.merchants.usecases.lifecycle import Lifecycle
from anxin.merchants.usecases.matchmaking import Matchmaking
from anxin.merchants.usecases.money import Money
from anxin.merchants.usecases.programmes import Programmes
from anxin.merchants.usecases.settlement import Settlement
from anxin.merchants.usecases.statements import Statements


class UseCaseDeps(TypedDict):
    uow_factory: UowFactory
    clock: Clock
    rulebook: MerchantRulebook


@dataclass(frozen=True)
class Merchants:
    rulebook: MerchantRulebook  # the one every use case below was built with
    lifecycle: Lifecycle  # apply, decide_application, change_state, graduate_due, transfer
    money: Money  # deposit, top_up, withdraw_deposit, payout_goods, deduct, deduct_penalty, refund_penalty (governance)
    campaigns: FeeCampaigns  # add_campaign, fee_rules_view
    settlement: Settlement  # settle_pending, run_settlement
    statements: Statements  # order_statement, period_statement
    programmes: Programmes  # novice
    financing: Financing  # offers
    centre: Centre  # status, open_cases, shops_of, overview
    matchmaking: Matchmaking  # matches, invite, accept, decline, invitation(s), expire_due (issue 18 §7)


def merchants_for(*, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> Merchants:
    deps = UseCaseDeps(uow_factory=uow_factory, clock=clock, rulebook=rulebook)
    return Merchants(rulebook=rulebook, lifecycle=Lifecycle(**deps), money=Money(**deps),
                     campaigns=FeeCampaigns(**deps), settlement=Settlement(**deps), statements=Statements(**deps),
                     programmes=Programmes(**deps), financing=Financing(**deps), centre=Centre(**deps),
                     matchmaking=Matchmaking(**deps))
