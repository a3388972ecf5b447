"""What the merchant use cases share, as plain functions over the caller's unit of work: who may see a shop, the
shop's lifecycle row (made on first use for shops the platform onboarded) and its history, the persisted ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.catalog import service as catalog
from anxin.core.clock import beijing_day, beijing_midnight
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork
from anxin.merchants.categories import CategoryRef
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.merchants.ledger import Ledger, LedgerError, Posting, debt_account, deposit_account, goods_account
from anxin.merchants.money_store import MoneyRepository
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.store import LifecycleRepository, ShopHistoryRow, ShopLifecycleRow
from anxin.shops import service as shops

LEDGER_ERRORS = {"ledger.insufficient_deposit": E.INSUFFICIENT_DEPOSIT, "ledger.key_conflict": E.IDEMPOTENCY_CONFLICT,
                 "ledger.invalid_amount": E.INVALID_AMOUNT, "ledger.insufficient_goods": E.INSUFFICIENT_GOODS}


# --- visibility -------------------------------------------------------------------------------------------------

def require_operator(principal: Principal) -> None:
    if principal.role not in (Role.OPERATOR, Role.PLATFORM):
        raise AnxinError(E.FORBIDDEN_ROLE, "only operators and the platform may do this")


def visible_shop(uow: UnitOfWork, principal: Principal | None, shop_id: str, *, now: dt.datetime,
                 rulebook: MerchantRulebook, for_update: bool = False) -> ShopLifecycleRow:
    """The shop's lifecycle row if this principal may see it (None: the system itself); another merchant's shop is
    simply not found."""
    row = LifecycleRepository(uow.session).get(shop_id, for_update=for_update) or adopt(
        uow, shop_id, now=now, rulebook=rulebook)
    if row is None or (principal is not None and principal.role is Role.MERCHANT
                       and row.merchant_id != principal.subject) or (
            principal is not None and principal.role is Role.CONSUMER):
        raise AnxinError(E.SHOP_NOT_FOUND, f"no shop {shop_id!r} visible to this key", shop_id=shop_id)
    return row


def adopt(uow: UnitOfWork, shop_id: str, *, now: dt.datetime, rulebook: MerchantRulebook) -> ShopLifecycleRow | None:
    """A shop the platform onboarded gets its lifecycle row on first use: novice while its novice period runs."""
    found = shops.shops_as_of(uow, [shop_id]).get(shop_id)
    if found is None:
        return None
    shop, as_of = found
    opened = shop.opened_at or as_of
    novice = now - opened < dt.timedelta(days=rulebook.onboarding.lifecycle.novice_days)
    row = ShopLifecycleRow(shop_id=shop_id, merchant_id=shop.merchant_id, state="novice" if novice else "active",
                           store_type=shop.store_type, licence_no=None, legal_rep=None,
                           categories=catalog.shop_category_ids(uow, shop_id), qualifications=[], trial=False,
                           applied_at=opened, opened_at=opened, state_since=opened,
                           screening={"outcome": "platform", "reasons": []}, carried={}, novice_tasks={},
                           revision=0)
    LifecycleRepository(uow.session).add(row)
    record_history(uow, shop_id, at=now, kind="state", from_state=None, to_state=row.state, reason="adopted",
                   actor="platform", detail={"opened_at": opened.isoformat()})
    uow.session.flush()
    return row


def record_history(uow: UnitOfWork, shop_id: str, *, at: dt.datetime, kind: str, from_state: str | None,
                   to_state: str | None, reason: str, actor: str, detail: dict[str, Any]) -> None:
    LifecycleRepository(uow.session).record(ShopHistoryRow(
        shop_id=shop_id, at=at, kind=kind, from_state=from_state, to_state=to_state, reason_code=reason, actor=actor,
        detail=detail))


def status_of(uow: UnitOfWork, row: ShopLifecycleRow) -> dict[str, Any]:
    """The shop's state, licence, categories and screening, with its whole history."""
    history = LifecycleRepository(uow.session).history(row.shop_id)
    return {"shop_id": row.shop_id, "merchant_id": row.merchant_id, "state": row.state,
            "store_type": row.store_type, "licence_no": row.licence_no, "trial": row.trial,
            "categories": list(row.categories), "applied_at": row.applied_at, "opened_at": row.opened_at,
            "state_since": row.state_since, "screening": row.screening, "carried": row.carried,
            "history": [{"at": h.at, "kind": h.kind, "from_state": h.from_state, "to_state": h.to_state,
                         "reason": h.reason_code, "actor": h.actor, "detail": h.detail} for h in history]}


def category_refs(uow: UnitOfWork, category_ids: list[str]) -> tuple[list[CategoryRef], list[str]]:
    """(refs of the known categories, the unknown ids)."""
    lineage = catalog.category_lineage(uow, category_ids)
    refs = [CategoryRef(cid, *lineage[cid]) for cid in category_ids if cid in lineage]
    return refs, [cid for cid in category_ids if cid not in lineage]


# --- the deposit ledger, persisted ------------------------------------------------------------------------------

def ledger_of(uow: UnitOfWork, shop_id: str, key: str | None = None) -> Ledger:
    """The shop's accounts as they stand, with the posting already under ``key`` (so a replay is recognised)."""
    money = MoneyRepository(uow.session)
    ledger = Ledger(balances=money.balances([deposit_account(shop_id), debt_account(shop_id),
                                             goods_account(shop_id)]))
    if key is not None and (seen := money.posting(key)) is not None:
        ledger.postings[key] = seen
    return ledger


def post(uow: UnitOfWork, ledger: Ledger, posting: Posting, *, shop_id: str, actor: str) -> bool:
    """Apply and store a posting; False for a replay. Refusals become AnxinErrors with stable codes."""
    try:
        applied = ledger.post(posting)
    except LedgerError as exc:
        raise AnxinError(LEDGER_ERRORS.get(exc.code, E.INVALID_AMOUNT), str(exc), ledger_code=exc.code) from None
    if applied:
        MoneyRepository(uow.session).add_posting(posting, shop_id=shop_id, actor=actor)
    return applied


def month_bounds(at: dt.datetime, back: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) of the ``back`` Beijing calendar months before the one holding ``at``, most recent first."""
    first = beijing_day(at).replace(day=1)
    out = []
    for _ in range(back):
        start = (first - dt.timedelta(days=1)).replace(day=1)
        out.append((beijing_midnight(start), beijing_midnight(first)))
        first = start
    return out
