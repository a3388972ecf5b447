"""Deductions from the merchant experience score (fake orders, fake reviews …): operators add and revoke them,
merchants read theirs, the merchants context counts the ones in force and clears them on a resetting transfer.
A service of its own (``Anxin.deductions``), beside ``ScoringService``, whose runs read the deductions."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

from anxin.access.service import require_role
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UowFactory
from anxin.scoring.error_codes import ScoringErrorCode as E
from anxin.scoring.rulebook import ScoreRulebook
from anxin.scoring.store import DeductionRow, ScoreRepository
from anxin.shops import service as shops


class DeductionService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: ScoreRulebook,
                 visible_shop: Callable[[Principal, str], None]) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules  # the scoring rulebook: which deduction kinds exist
        # Raises shop_not_found unless the principal may see the shop (``ScoringService.visible_shop``).
        self._visible_shop = visible_shop

    def add_deduction(self, who: Principal, *, shop_id: str, kind: str, points: object, reason: str,
                      effective_at: dt.datetime | None = None, days: object = None) -> dict[str, Any]:
        require_role(who, Role.OPERATOR, Role.PLATFORM)
        rules = self.rules.merchant
        if kind not in rules.deduction_kinds:
            raise AnxinError(E.INVALID_DEDUCTION, f"unknown deduction kind {kind!r}",
                             known=sorted(rules.deduction_kinds))
        if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= 10_000:
            raise AnxinError(E.INVALID_DEDUCTION, "points must be whole hundredths 1..10000 (0.01 to 100 points)",
                             points=str(points))
        if not reason.strip():
            raise AnxinError(E.INVALID_DEDUCTION, "a deduction needs a reason the merchant can read")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650):
            raise AnxinError(E.INVALID_DEDUCTION, "days must be a whole number of days 1..3650", days=str(days))
        with self.uow_factory() as uow:
            if shops.get_shop(uow, shop_id) is None:
                raise AnxinError(E.SHOP_NOT_FOUND, f"no shop {shop_id!r}", shop_id=shop_id)
            now = self.clock.now()
            start = effective_at or now
            row = DeductionRow(deduction_id=f"ded_{secrets.token_hex(10)}", shop_id=shop_id, kind=kind,
                               points_x100=points, reason=reason.strip(), effective_at=start,
                               expires_at=start + dt.timedelta(days=days) if days else None,
                               created_by=f"{who.role.value}:{who.subject}", created_at=now, revoked_at=None,
                               revoked_by=None)
            ScoreRepository(uow.session).add_deduction(row)
            out = _deduction(row)
            uow.commit()
        return out

    def revoke_deduction(self, who: Principal, deduction_id: str) -> dict[str, Any]:
        require_role(who, Role.OPERATOR, Role.PLATFORM)
        with self.uow_factory() as uow:
            row = ScoreRepository(uow.session).deduction(deduction_id)
            if row is None:
                raise AnxinError(E.DEDUCTION_NOT_FOUND, f"no deduction {deduction_id!r}")
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = self.clock.now(), f"{who.role.value}:{who.subject}"
            out = _deduction(row)
            uow.commit()
        return out

    def deductions(self, who: Principal, shop_id: str, *, after: tuple[dt.datetime, str] | None = None,
                   limit: int | None = None) -> list[dict[str, Any]]:
        """A shop's deductions, revoked ones too, latest first (from ``after``: the last one shown)."""
        self._visible_shop(who, shop_id)
        with self.uow_factory() as uow:
            rows = ScoreRepository(uow.session).deductions_for(shop_id, after=after, limit=limit)
            return [_deduction(r) for r in rows]


def _deduction(r: DeductionRow) -> dict[str, Any]:
    return {"deduction_id": r.deduction_id, "shop_id": r.shop_id, "kind": r.kind, "points_x100": r.points_x100,
            "reason": r.reason, "effective_at": r.effective_at.isoformat(),
            "expires_at": r.expires_at.isoformat() if r.expires_at else None, "created_by": r.created_by,
            "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None}
