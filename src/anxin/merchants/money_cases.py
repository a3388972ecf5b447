"""Deposit and goods-payment use cases: the required deposit, top-ups, withdrawals, deductions for penalties and
compensation, payouts, and operators' fee campaigns. Mixed into ``MerchantService``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from anxin.catalog import service as catalog
from anxin.core.errors import AnxinError
from anxin.core.money import MAX_FEN, is_fen
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork
from anxin.idempotency import service as idempotency
from anxin.idempotency.model import IdempotentRequest, Replay
from anxin.merchants import deposits as dep
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.merchants.fee_rules import Waiver, waiver_from_dict, waiver_problems
from anxin.merchants.ledger import (
    LedgerError,
    PostingKind,
    debt_account,
    deduct,
    deposit_account,
    goods_account,
    payout,
    top_up,
    trial_withdrawal_problems,
    withdraw,
)
from anxin.merchants.money_store import FeeCampaignRow, MoneyRepository
from anxin.merchants.service_base import MerchantServiceBase
from anxin.merchants.store import ShopLifecycleRow
from anxin.orders import service as orders

MAX_KEY = 120


def _amount(value: object) -> int:
    if not is_fen(value) or not 0 < int(value) <= MAX_FEN:  # type: ignore[call-overload]
        raise AnxinError(E.INVALID_AMOUNT, f"amount_fen: a positive whole number of fen, at most {MAX_FEN}",
                         field="amount_fen")
    return int(value)  # type: ignore[call-overload]


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _key(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_KEY or "\x00" in value:
        raise AnxinError(E.INVALID_FIELD, f"idempotency_key: a non-empty string of at most {MAX_KEY} characters",
                         field="idempotency_key")
    return value


class MoneyCases(MerchantServiceBase):
    # --- what the shop must hold ------------------------------------------------------------------------------

    def _requirement(self, uow: UnitOfWork, row: ShopLifecycleRow) -> dep.DepositRequirement:
        return self._requirement_and_misfits(uow, row)[0]

    def _requirement_and_misfits(self, uow: UnitOfWork,
                                 row: ShopLifecycleRow) -> tuple[dep.DepositRequirement, list[str]]:
        """The deposit required, and the categories the shop sells that its store type may not (a shop the platform
        onboarded may: it is told, and its deposit is worked out on the rest rather than refused)."""
        refs, _ = self._category_refs(uow, list(row.categories) or catalog.shop_category_ids(uow, row.shop_id))
        gmv = orders.shop_gmv(uow, row.shop_id, self._month_bounds(self.clock.now(), 1))[0]
        misfits: list[str] = []
        store_type = self.rulebook.onboarding.store_types.get(row.store_type)
        for ref in refs:
            if store_type is not None and not store_type.may_sell(ref):
                misfits.append(ref.category_id)
                continue
            try:
                dep.required_deposit(row.store_type, (ref,), 0, at=self.clock.now(), rules=self.rulebook.deposits)
            except dep.DepositError:
                misfits.append(ref.category_id)
        fitting = tuple(r for r in refs if r.category_id not in misfits)
        try:
            return dep.required_deposit(row.store_type, fitting, gmv, at=self.clock.now(),
                                        rules=self.rulebook.deposits), misfits
        except dep.DepositError as exc:
            raise AnxinError(E(exc.code) if exc.code in E._value2member_map_ else E.INVALID_FIELD, str(exc),
                             shop_id=row.shop_id) from None

    def deposit(self, principal: Principal, shop_id: str) -> dict[str, Any]:
        """Balances, what the rulebook requires and why, the state (ok / top-up due / in debt), the postings."""
        with self.uow_factory() as uow:
            row = self._lifecycle(uow, principal, shop_id)
            view = self._deposit_view(uow, row)
            uow.commit()  # the lifecycle row of an adopted shop
            return view

    def _deposit_view(self, uow: UnitOfWork, row: ShopLifecycleRow) -> dict[str, Any]:
        shop_id = row.shop_id
        ledger = self._ledger(uow, shop_id)
        held, debt = ledger.balance(deposit_account(shop_id)), ledger.balance(debt_account(shop_id))
        requirement, misfits = self._requirement_and_misfits(uow, row)
        status = dep.deposit_status(held_fen=held, required_fen=requirement.fen, debt_fen=-debt)
        money = MoneyRepository(uow.session)
        cap = dep.listing_cap(row.store_type, trial=row.trial, rules=self.rulebook.deposits)
        listings = catalog.listing_count(uow, shop_id)
        return {
            "shop_id": shop_id, "held_fen": held, "debt_fen": -debt,
            "goods_fen": ledger.balance(goods_account(shop_id)), "trial": row.trial,
            "required": {"fen": requirement.fen, "base_fen": requirement.base_fen, "tier_fen": requirement.tier_fen,
                         "rule_ids": list(requirement.rule_ids),
                         "reasons": [r.as_dict() for r in requirement.reasons]},
            "status": {"state": status.state, "shortfall_fen": status.shortfall_fen,
                       "reasons": [r.as_dict() for r in status.reasons]},
            "listing_cap": cap, "listings": listings, "over_listing_cap": cap is not None and listings > cap,
            "version": self.rulebook.version,
            "categories_not_allowed": misfits,
            "postings": [{"key": p.key, "kind": p.kind, "at": _iso(p.at), "memo": p.memo, "actor": p.actor,
                          "legs": {leg.account.split(":", 1)[0]: leg.fen for leg in legs
                                   if leg.account.endswith(f":{shop_id}")}}
                         for p, legs in money.postings_of(shop_id)],
        }

    def _move_money(self, principal: Principal, shop_id: str, request: IdempotentRequest | None,
                    move: Callable[[UnitOfWork, ShopLifecycleRow], bool]) -> dict[str, Any] | Replay:
        """One money movement: the shop's row locked, the posting, and the answer (with the deposit as it now
        stands) recorded under the request's idempotency key, all in one transaction."""
        with self.uow_factory() as uow:
            uow.begin_write()
            replay = idempotency.claim(uow, request, at=self.clock.now())
            if replay is not None:
                return replay
            row = self._lifecycle(uow, principal, shop_id, for_update=True)
            applied = move(uow, row)
            answer = {"applied": applied, **self._deposit_view(uow, row)}
            idempotency.record(uow, request, 200, answer)
            uow.commit()
            return answer

    def top_up(self, principal: Principal, shop_id: str, *, amount_fen: object, key: object,
               request: IdempotentRequest | None = None) -> dict[str, Any] | Replay:
        fen, k = _amount(amount_fen), _key(key)

        def move(uow: UnitOfWork, row: ShopLifecycleRow) -> bool:
            self._open_shop(row)
            ledger = self._ledger(uow, shop_id, f"topup:{shop_id}:{k}")
            return self._post(uow, ledger, top_up(shop_id, fen, key=f"topup:{shop_id}:{k}", at=self.clock.now()),
                              shop_id=shop_id, actor=principal.subject)
        return self._move_money(principal, shop_id, request, move)

    def withdraw_deposit(self, principal: Principal, shop_id: str, *, amount_fen: object,
                         key: object, request: IdempotentRequest | None = None) -> dict[str, Any] | Replay:
        """Down to the required deposit while the shop trades; all of it once the shop is closed."""
        fen, k = _amount(amount_fen), _key(key)
        posting_key = f"withdraw:{shop_id}:{k}"

        def move(uow: UnitOfWork, row: ShopLifecycleRow) -> bool:
            ledger = self._ledger(uow, shop_id, posting_key)
            if posting_key not in ledger.postings:
                held = ledger.balance(deposit_account(shop_id))
                keep = 0 if row.state == "closed" else self._requirement(uow, row).fen
                debt = -ledger.balance(debt_account(shop_id))
                limit = max(0, held - keep - debt)
                if fen > limit:
                    raise AnxinError(E.WITHDRAWAL_OVER_LIMIT, f"at most {limit} fen may be withdrawn: the deposit "
                                     f"holds {held}, the shop must keep {keep} and owes {debt}", limit_fen=limit,
                                     held_fen=held, required_fen=keep, debt_fen=debt)
            return self._post(uow, ledger, withdraw(shop_id, fen, key=posting_key, at=self.clock.now()),
                              shop_id=shop_id, actor=principal.subject)
        return self._move_money(principal, shop_id, request, move)

    def payout_goods(self, principal: Principal, shop_id: str, *, amount_fen: object, key: object,
                     request: IdempotentRequest | None = None) -> dict[str, Any] | Replay:
        """Pay the settled goods payment out. A zero-deposit trial shop is held to the trial's limits (once a
        month, at least 100 yuan, at most half the balance) while its deposit fills from sales."""
        fen, k = _amount(amount_fen), _key(key)
        posting_key = f"payout:{shop_id}:{k}"

        def move(uow: UnitOfWork, row: ShopLifecycleRow) -> bool:
            ledger = self._ledger(uow, shop_id, posting_key)
            if posting_key not in ledger.postings and row.trial:
                money = MoneyRepository(uow.session)
                problems = trial_withdrawal_problems(
                    fen, goods_balance_fen=ledger.balance(goods_account(shop_id)),
                    last_withdrawal_at=money.last_posting_at(shop_id, PostingKind.PAYOUT), at=self.clock.now(),
                    rules=self.rulebook.deposits.trial_withdrawal)
                if problems:
                    raise AnxinError(E.WITHDRAWAL_OVER_LIMIT, "; ".join(problems), problems=problems)
            try:
                posting = payout(ledger, shop_id, fen, key=posting_key, at=self.clock.now())
            except LedgerError as exc:
                raise AnxinError(E.INSUFFICIENT_GOODS, str(exc), ledger_code=exc.code) from None
            return self._post(uow, ledger, posting, shop_id=shop_id, actor=principal.subject)
        return self._move_money(principal, shop_id, request, move)

    def deduct(self, principal: Principal, shop_id: str, *, amount_fen: object, reason: object, key: object,
               allow_debt: object = False, memo: str = "",
               request: IdempotentRequest | None = None) -> dict[str, Any] | Replay:
        """A penalty or a consumer's compensation out of the deposit; what it cannot cover is refused, or with
        ``allow_debt`` booked to the shop's debt."""
        self._operator(principal)
        fen, k = _amount(amount_fen), _key(key)
        if reason not in ("penalty", "compensation"):
            raise AnxinError(E.INVALID_FIELD, "reason: penalty or compensation", field="reason")
        if not isinstance(allow_debt, bool):
            raise AnxinError(E.INVALID_FIELD, "allow_debt: true or false", field="allow_debt")
        return self._move_money(principal, shop_id, request, lambda uow, row: self._deduct(
            uow, shop_id, fen, str(reason), f"deduct:{shop_id}:{k}", allow_debt, actor=principal.subject,
            memo=memo[:400]))

    def _deduct(self, uow: UnitOfWork, shop_id: str, fen: int, reason: str, key: str, allow_debt: bool, *,
                actor: str, memo: str = "") -> bool:
        ledger = self._ledger(uow, shop_id, key)
        try:
            posting = deduct(ledger, shop_id, fen, reason=reason, key=key, at=self.clock.now(), allow_debt=allow_debt)
        except LedgerError as exc:
            raise AnxinError(E.INSUFFICIENT_DEPOSIT, str(exc), ledger_code=exc.code) from None
        if memo and key not in ledger.postings:
            posting = replace(posting, memo=memo)
        return self._post(uow, ledger, posting, shop_id=shop_id, actor=actor)

    @staticmethod
    def _open_shop(row: ShopLifecycleRow) -> None:
        if row.state == "closed":
            raise AnxinError(E.SHOP_CLOSED, f"shop {row.shop_id!r} is closed")

    # --- fee campaigns ------------------------------------------------------------------------------------------

    def _campaigns(self, uow: UnitOfWork) -> list[Waiver]:
        out = []
        for row in MoneyRepository(uow.session).campaigns():
            waiver, _ = waiver_from_dict(row.spec)
            if waiver is not None:
                out.append(waiver)
        return out

    def add_campaign(self, principal: Principal, spec: Mapping[str, Any]) -> dict[str, Any]:
        """A time-boxed waiver or rebate on top of the rulebook's; refused if its window is empty or it overlaps
        another of the same kind that can cover the same order."""
        self._operator(principal)
        waiver, problems = waiver_from_dict(spec)
        if waiver is None:
            raise AnxinError(E.INVALID_WAIVER, problems[0][1] if problems else "invalid waiver",
                             problems=[p for _, p in problems])
        with self.uow_factory() as uow:
            found = waiver_problems(waiver, [*self.rulebook.fees.waivers, *self._campaigns(uow)])
            if found:
                code = next((E(c) for c, _ in found if c in E._value2member_map_), E.INVALID_WAIVER)
                raise AnxinError(code, found[0][1], problems=[m for _, m in found])
            MoneyRepository(uow.session).add_campaign(FeeCampaignRow(
                waiver_id=waiver.id, spec=dict(spec), created_at=self.clock.now(), created_by=principal.subject))
            uow.commit()
        return {"waiver_id": waiver.id, "spec": dict(spec)}

    def fee_rules_view(self, at: dt.datetime | None = None) -> dict[str, Any]:
        at = at or self.clock.now()
        with self.uow_factory() as uow:
            campaigns = self._campaigns(uow)
        waivers = [*self.rulebook.fees.waivers, *campaigns]
        return {"version": self.rulebook.version, "channel_fee_bp": self.rulebook.fees.channel_fee_bp,
                "waivers": [{"id": w.id, "name": dict(w.name), "kind": str(w.kind), "in_force": w.in_force(at),
                             "campaign": w in campaigns} for w in waivers]}
