"""Lifecycle use cases: applications and their screening, state changes with history, graduation from the novice
period, transfers, entity changes and upgrades."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.jobs.service import JobFailures
from anxin.merchants import deposits as dep
from anxin.merchants.error_codes import MerchantErrorCode as E
from anxin.merchants.ledger import deposit_account, withdraw
from anxin.merchants.lifecycle import (
    LifecycleError,
    ShopFacts,
    ShopState,
    TransferError,
    TransferTarget,
    graduation_due,
    plan_transfer,
    transition,
)
from anxin.merchants.onboarding import BannedLink, ShopApplication, screen
from anxin.merchants.rulebook import MerchantRulebook
from anxin.merchants.store import LicenceRow, LifecycleRepository, ShopLifecycleRow
from anxin.merchants.usecases.shared import (
    category_refs,
    ledger_of,
    post,
    record_history,
    require_operator,
    status_of,
    visible_shop,
)
from anxin.risk import service as risk
from anxin.scoring import service as scoring
from anxin.shops import service as shops
from anxin.shops.service import STORE_TYPES, Shop

CREDENTIAL_KINDS = ("licence", "legal_rep", "bank_account", "phone")
MAX_ID = 64
OPERATOR_MOVES = {"restrict": ShopState.RESTRICTED, "suspend": ShopState.SUSPENDED, "reinstate": ShopState.ACTIVE,
                  "close": ShopState.CLOSED}
MOVE_REASONS = {"restrict": "lifecycle.restricted", "suspend": "lifecycle.suspended",
                "reinstate": "lifecycle.reinstated", "close": "lifecycle.closed_by_platform"}


def _text(data: Mapping[str, Any], name: str, *, required: bool = True, max_len: int = MAX_ID) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_len or "\x00" in value:
        raise AnxinError(E.INVALID_FIELD, f"{name}: a non-empty string of at most {max_len} characters", field=name)
    return value.strip()


def _texts(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or len(value) > 50 or not all(
            isinstance(v, str) and v and len(v) <= MAX_ID and "\x00" not in v for v in value):
        raise AnxinError(E.INVALID_FIELD, f"{name}: a list of at most 50 short strings", field=name)
    return list(dict.fromkeys(value))


def _credentials(data: Mapping[str, Any]) -> dict[str, str]:
    """What risk screens against: licence, legal rep, bank account, phone (short strings)."""
    raw = data.get("credentials") or {}
    if not isinstance(raw, Mapping) or not all(
            k in CREDENTIAL_KINDS and isinstance(v, str) and 0 < len(v) <= 128 and "\x00" not in v
            for k, v in raw.items()):
        raise AnxinError(E.INVALID_FIELD, f"credentials: an object of {list(CREDENTIAL_KINDS)} strings of at most "
                         "128 characters", field="credentials")
    return dict(raw)


class Lifecycle:
    """A shop's life in anxin: applied, screened, opened, restricted or suspended, graduated, transferred, closed."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: MerchantRulebook) -> None:
        self.uow_factory, self.clock, self.rulebook = uow_factory, clock, rulebook

    def apply(self, principal: Principal, data: Mapping[str, Any]) -> dict[str, Any]:
        """A merchant applies for a shop (or the platform on their behalf): screened at once, with reasons."""
        if principal.role is Role.MERCHANT:
            merchant_id = principal.subject
        elif principal.role in (Role.PLATFORM, Role.OPERATOR):
            merchant_id = str(_text(data, "merchant_id"))
        else:
            raise AnxinError(E.FORBIDDEN_ROLE, "only merchants (or the platform for them) apply for shops")
        shop_id, name = str(_text(data, "shop_id")), str(_text(data, "name", max_len=200))
        store_type = str(_text(data, "store_type", max_len=16))
        if store_type not in STORE_TYPES:
            raise AnxinError(E.INVALID_FIELD, f"store_type: one of {sorted(STORE_TYPES)}", field="store_type")
        licence_no, legal_rep = _text(data, "licence_no", required=False), _text(data, "legal_rep", required=False,
                                                                                 max_len=128)
        credentials = {**({"licence": licence_no} if licence_no else {}),
                       **({"legal_rep": legal_rep} if legal_rep else {}), **_credentials(data)}
        trial = data.get("trial", False)
        if not isinstance(trial, bool):
            raise AnxinError(E.INVALID_FIELD, "trial: true or false", field="trial")
        category_ids, qualifications = _texts(data, "categories"), _texts(data, "qualifications")
        if not category_ids:
            raise AnxinError(E.INVALID_FIELD, "categories: name at least one category the shop will sell",
                             field="categories")
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = LifecycleRepository(uow.session)
            if repo.get(shop_id) is not None or shops.get_shop(uow, shop_id) is not None:
                raise AnxinError(E.SHOP_EXISTS, f"shop {shop_id!r} already exists", shop_id=shop_id)
            refs, unknown = category_refs(uow, category_ids)
            if unknown:
                raise AnxinError(E.INVALID_FIELD, f"unknown categories: {unknown}", field="categories")
            links = self._banned(uow, credentials, shop_id)
            application = ShopApplication(shop_id, merchant_id, store_type, licence_no, legal_rep, tuple(refs),
                                          frozenset(qualifications), now)
            decision = screen(application, rules=self.rulebook.onboarding,
                              shops_on_licence=repo.shops_on_licence(licence_no) if licence_no else 0,
                              banned_links=links, affiliated_violations=0)
            trial_ok, trial_reasons = (dep.trial_eligibility(store_type, tuple(refs), affiliated_violations=0, at=now,
                                                             rules=self.rulebook.deposits) if trial else (False, ()))
            state = {"approve": ShopState.NOVICE, "review": ShopState.APPLIED, "reject": ShopState.CLOSED}[
                decision.outcome]
            screening = {"outcome": decision.outcome, "reasons": [r.as_dict() for r in decision.reasons],
                         "facts": dict(decision.facts), "trial_requested": trial,
                         "trial_reasons": [r.as_dict() for r in trial_reasons], "version": self.rulebook.version}
            row = ShopLifecycleRow(
                shop_id=shop_id, merchant_id=merchant_id, state=ShopState.APPLIED.value, store_type=store_type,
                licence_no=licence_no, legal_rep=legal_rep, categories=category_ids, qualifications=qualifications,
                trial=bool(trial and trial_ok), applied_at=now, opened_at=now if state is ShopState.NOVICE else None,
                state_since=now, screening=screening, carried={}, novice_tasks={}, revision=0)
            repo.add(row)
            record_history(uow, shop_id, at=now, kind="state", from_state=None, to_state="applied",
                           reason="lifecycle.applied", actor=principal.subject, detail={"screening": screening})
            if state is not ShopState.APPLIED:
                self._move(uow, row, state, "lifecycle.approved" if state is ShopState.NOVICE
                           else "lifecycle.rejected", actor="screening")
            if state is ShopState.NOVICE:
                self._open(uow, row, name=name, credentials=credentials)
            else:
                row.carried = {"pending": {"name": name, "credentials": credentials}}
            uow.commit()
            return status_of(uow, row)

    def decide_application(self, principal: Principal, shop_id: str, *, approve: bool,
                           note: str = "") -> dict[str, Any]:
        require_operator(principal)
        with self.uow_factory() as uow:
            row = self._visible(uow, principal, shop_id)
            if row.state != ShopState.APPLIED.value:
                raise AnxinError(E.ILLEGAL_TRANSITION, f"shop {shop_id!r} is {row.state}, not waiting for a decision")
            target = ShopState.NOVICE if approve else ShopState.CLOSED
            self._move(uow, row, target, "lifecycle.approved" if approve else "lifecycle.rejected",
                       actor=principal.subject, note=note)
            if approve:
                pending = (row.carried or {}).get("pending", {})
                row.opened_at = self.clock.now()
                self._open(uow, row, name=pending.get("name", shop_id), credentials=pending.get("credentials", {}))
                row.carried = {}
            uow.commit()
            return status_of(uow, row)

    def change_state(self, principal: Principal, shop_id: str, *, action: str, reason: str = "") -> dict[str, Any]:
        """Operators restrict, suspend, reinstate or close; a merchant may only close their own shop."""
        if action not in OPERATOR_MOVES:
            raise AnxinError(E.INVALID_FIELD, f"action: one of {sorted(OPERATOR_MOVES)}", field="action")
        if principal.role is Role.MERCHANT and action != "close":
            raise AnxinError(E.FORBIDDEN_ROLE, "a merchant may close their shop; other moves are the platform's")
        if principal.role not in (Role.MERCHANT, Role.OPERATOR, Role.PLATFORM):
            raise AnxinError(E.FORBIDDEN_ROLE, "not allowed for this key")
        code = "lifecycle.closed_by_merchant" if principal.role is Role.MERCHANT else MOVE_REASONS[action]
        with self.uow_factory() as uow:
            row = self._visible(uow, principal, shop_id)
            self._move(uow, row, OPERATOR_MOVES[action], code, actor=principal.subject, note=reason[:500])
            uow.commit()
            return status_of(uow, row)

    def graduate_due(self, at: dt.datetime | None = None, *, limit: int = 500) -> int:
        """Novice shops whose novice period is over become active (the tick runs this). Each shop in its own
        transaction: one that raises is recorded in job_failures and retried with backoff, the others graduate."""
        at = at or self.clock.now()
        days = self.rulebook.onboarding.lifecycle.novice_days
        with self.uow_factory() as uow:
            due = [row.shop_id for row in LifecycleRepository(uow.session).due_graduation(
                at - dt.timedelta(days=days - 1), limit)
                if row.opened_at is not None and graduation_due(row.opened_at, at, self.rulebook.onboarding)]
        run = JobFailures(uow_factory=self.uow_factory, clock=self.clock).start("merchants.graduate", at)
        moved = 0
        for shop_id in due:
            if run.waiting(shop_id):
                continue
            with run.item(shop_id), self.uow_factory() as uow:
                row = LifecycleRepository(uow.session).get(shop_id, for_update=True)
                if row is not None and row.state == ShopState.NOVICE.value:  # as read, unless it moved since
                    self._move(uow, row, ShopState.ACTIVE, "lifecycle.graduated", actor="clock")
                    uow.commit()
                    moved += 1
        return moved

    def transfer(self, principal: Principal, shop_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Transfer to another merchant entity, change the entity, or upgrade personal → individual; the shop keeps
        its history and the rulebook says what else carries over. Refused whole, or done whole."""
        require_operator(principal)
        kind = str(_text(data, "kind", max_len=16))
        with self.uow_factory() as uow:
            row = self._visible(uow, principal, shop_id)
            target_merchant = _text(data, "to_merchant_id", required=False) or row.merchant_id
            target_type = _text(data, "store_type", required=False, max_len=16) or row.store_type
            licence_no = _text(data, "licence_no", required=False)
            if kind == "upgrade":  # the same entity: a licence it already holds counts
                licence_no = licence_no or row.licence_no
            credentials = _credentials(data)
            if licence_no:
                credentials.setdefault("licence", licence_no)
            refs, _ = category_refs(uow, list(row.categories))
            shop = ShopFacts(shop_id, row.merchant_id, row.store_type, ShopState(row.state), row.licence_no,
                             tuple(refs))
            target = TransferTarget(target_merchant, target_type, licence_no)
            repo = LifecycleRepository(uow.session)
            try:
                plan = plan_transfer(kind, shop=shop, target=target, rules=self.rulebook.onboarding,
                                     banned_links=self._banned(uow, credentials, shop_id),
                                     shops_on_target_licence=repo.shops_on_licence(licence_no, excluding=shop_id)
                                     if licence_no else 0)
            except TransferError as exc:
                raise AnxinError(E(exc.code) if exc.code in E._value2member_map_ else E.INVALID_FIELD, str(exc),
                                 **exc.details) from None
            refund = None
            if plan.deposit_refund_to is not None:
                ledger = ledger_of(uow, shop_id)
                held = ledger.balance(deposit_account(shop_id))
                if held > 0:
                    key = f"transfer-refund:{shop_id}:{len(repo.history(shop_id))}"
                    post(uow, ledger, withdraw(shop_id, held, key=key, at=self.clock.now()), shop_id=shop_id,
                               actor=principal.subject)
                    refund = {"fen": held, "to": plan.deposit_refund_to, "posting": key}
            cleared = 0
            if plan.carryover.violation_points == "reset":
                cleared = scoring.revoke_active_deductions(
                    uow, shop_id, actor=f"{principal.role.value}:{principal.subject}", at=self.clock.now())
            before = {"merchant_id": row.merchant_id, "store_type": row.store_type, "licence_no": row.licence_no}
            row.merchant_id, row.store_type, row.licence_no = plan.to_merchant_id, plan.to_store_type, plan.licence_no
            row.carried = {"kind": kind, "carryover": plan.carryover.as_dict(), "at": self.clock.now().isoformat()}
            row.revision += 1
            if licence_no:
                self._register_licence(uow, licence_no, plan.to_merchant_id, None)
            shops.reassign_shop(uow, shop_id, merchant_id=plan.to_merchant_id, store_type=plan.to_store_type)
            if credentials:
                risk.record_links(uow, [risk.LinkInput(f"shop:{shop_id}", credentials, self.clock.now(),
                                                       f"{kind}:{shop_id}:{row.revision}")])
            record_history(uow, shop_id, at=self.clock.now(), kind=kind, from_state=row.state, to_state=row.state,
                           reason=f"transfer.{kind}", actor=principal.subject, detail={"before": before, "after": {
                               "merchant_id": row.merchant_id, "store_type": row.store_type,
                               "licence_no": row.licence_no}, "reasons": [r.as_dict() for r in plan.reasons],
                               "deposit_refund": refund, "violation_points_cleared": cleared,
                               "version": self.rulebook.version})
            uow.commit()
            return status_of(uow, row)

    # --- helpers ----------------------------------------------------------------------------------------------

    def _visible(self, uow: UnitOfWork, principal: Principal, shop_id: str) -> ShopLifecycleRow:
        """The shop's row, locked, if this principal may see it."""
        return visible_shop(uow, principal, shop_id, now=self.clock.now(), rulebook=self.rulebook, for_update=True)

    def _banned(self, uow: Any, credentials: Mapping[str, str], shop_id: str) -> list[BannedLink]:
        return [BannedLink(link["kind"], link["kind"], link["shop_id"])
                for link in risk.banned_links(uow, credentials, exclude_shop=shop_id)
                if link["kind"] in CREDENTIAL_KINDS]

    def _move(self, uow: Any, row: ShopLifecycleRow, target: ShopState, reason: str, *, actor: str,
              note: str = "") -> None:
        try:
            change = transition(ShopState(row.state), target, reason_code=reason, at=self.clock.now())
        except LifecycleError as exc:
            raise AnxinError(E.ILLEGAL_TRANSITION, str(exc), shop_id=row.shop_id, state=row.state,
                             target=target.value) from None
        record_history(uow, row.shop_id, at=self.clock.now(), kind="state", from_state=change.from_state.value,
                       to_state=change.to_state.value, reason=reason, actor=actor,
                       detail={"note": note, "reasons": [r.as_dict() for r in change.reasons]})
        row.state, row.state_since, row.revision = target.value, change.at, row.revision + 1

    def _open(self, uow: Any, row: ShopLifecycleRow, *, name: str, credentials: Mapping[str, str]) -> None:
        """An approved shop exists for the rest of anxin: the shop row, its licence, its credentials for risk."""
        now = self.clock.now()
        services = frozenset({"anxin_gou"})
        shops.upsert_shop(uow, Shop(row.shop_id, row.merchant_id, name, row.store_type, services, now), as_of=now)
        if row.licence_no:
            self._register_licence(uow, row.licence_no, row.merchant_id, row.legal_rep)
        if credentials:
            risk.record_links(uow, [risk.LinkInput(f"shop:{row.shop_id}", dict(credentials), now,
                                                   f"application:{row.shop_id}")])

    def _register_licence(self, uow: Any, licence_no: str, merchant_id: str, legal_rep: str | None) -> None:
        repo = LifecycleRepository(uow.session)
        if repo.licence(licence_no) is None:
            repo.add_licence(LicenceRow(licence_no=licence_no, holder_merchant_id=merchant_id, legal_rep=legal_rep,
                                        registered_at=self.clock.now()))
            uow.session.flush()
