"""What people see and do through the API: a shop's governance record (points by class with their expiry, where it
stands on the ladder, active measures, violations, appeals), one violation, the operators' list, and an operator
recording a violation by hand (idempotent by the client's id). Merchants see their own shops only and never a
decision's trace (it may name risk control's findings); operators see everything."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from anxin.access.service import require_role
from anxin.core.clock import Clock, parse_instant
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.governance import ladder
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.model import SOURCE_OPERATOR, RecordViolation
from anxin.governance.store import GovernanceRepository, MeasureRow, PointRow, ViolationRow
from anxin.governance.violations import Violations
from anxin.shops import service as shops

RECENT = 20
MAX_PAGE = 500
VIOLATION_STATES = ("active", "expired", "reversed")
# The appeals slice plugs in here: the appeals of a shop's violations, newest first, as the API shows them.
AppealsOfShop = Callable[[UnitOfWork, str], list[dict[str, Any]]]
AppealsOfCreator = AppealsOfShop  # (uow, creator_id): the creator's own appeals


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def measure_dict(m: MeasureRow) -> dict[str, Any]:
    return {"measure_id": m.measure_id, "measure": m.palette_id, "type": m.type, "target": m.target,
            "starts_at": _iso(m.starts_at), "ends_at": _iso(m.ends_at), "state": m.state,
            "violation_id": m.violation_id, "amount_fen": m.amount_fen, "action_ids": list(m.action_ids),
            "lift_action_ids": list(m.lift_action_ids), "ended_at": _iso(m.ended_at)}


def violation_dict(v: ViolationRow) -> dict[str, Any]:
    return {"violation_id": v.violation_id, "kind": v.kind, "class": v.violation_class, "subject": v.subject,
            "shop_id": v.shop_id, "creator_id": v.creator_id, "severity": v.severity, "points": v.points / 100,
            "points_hundredths": v.points, "appealable": v.appealable, "state": v.state,
            "evidence": dict(v.evidence), "note": v.note, "source": {"type": v.source_type, "id": v.source_id},
            "happened_at": _iso(v.happened_at), "recorded_at": _iso(v.recorded_at), "reversed_at": _iso(v.reversed_at)}


class Queries:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, violations: Violations,
                 appeals_of_shop: AppealsOfShop | None = None,
                 appeals_of_creator: AppealsOfCreator | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.violations = violations
        self.appeals_of_shop = appeals_of_shop  # None until the appeals slice is wired: the list is empty
        self.appeals_of_creator = appeals_of_creator

    def _visible_shop(self, uow: UnitOfWork, principal: Principal, shop_id: str) -> None:
        require_role(principal, Role.MERCHANT, Role.OPERATOR)
        if principal.role is Role.OPERATOR:
            return
        shop = shops.get_shop(uow, shop_id) if len(shop_id) <= 64 else None
        if shop is None or shop.merchant_id != principal.subject:
            raise AnxinError(E.SHOP_NOT_FOUND, f"no shop {shop_id!r} visible to this key", shop_id=shop_id[:64])

    def _standing(self, entries: list[PointRow], now: dt.datetime) -> dict[str, Any]:
        """Points by class with each entry's expiry, and where the record stands on each ladder."""
        cat = self.violations.catalogue
        totals = ladder.points_by_class([ladder.PointEntry(p.violation_class, p.points, p.expires_at)
                                         for p in entries], now)
        points = [{"class": cls, "points": totals[cls] / 100, "points_hundredths": totals[cls],
                   "entries": [{"violation_id": p.violation_id, "points_hundredths": p.points,
                                "expires_at": _iso(p.expires_at)} for p in entries if p.violation_class == cls]}
                  for cls in ladder.CLASSES]
        position = [{"class": s.violation_class, "points_hundredths": s.points, "reached_node": s.reached,
                     "next_node": s.next_node, "next_node_points_hundredths": s.next_points,
                     "distance_hundredths": s.distance, "caution": s.caution} for s in ladder.standing(cat, totals)]
        return {"rulebook_version": cat.version, "as_of": now.isoformat(), "points_expiry_days": cat.expiry_days,
                "points": points, "ladder": position}

    def shop_record(self, principal: Principal, shop_id: str) -> dict[str, Any]:
        now = self.clock.now()
        owner = f"shop:{shop_id}"
        with self.uow_factory() as uow:
            self._visible_shop(uow, principal, shop_id)
            repo = GovernanceRepository(uow.session)
            entries = [p for p in repo.points(owner) if p.expires_at > now]
            measures = [m for m in repo.measures(owner) if m.ends_at is None or m.ends_at > now]
            recent = repo.violations(owners=[owner], limit=RECENT + 1)
            appeals = self.appeals_of_shop(uow, shop_id) if self.appeals_of_shop is not None else []
            return {"shop_id": shop_id, **self._standing(entries, now),
                    "measures": [measure_dict(m) for m in measures],
                    "violations": [violation_dict(v) for v in recent[:RECENT]],
                    "more_violations": len(recent) > RECENT, "appeals": appeals}

    def creator_record(self, principal: Principal, creator_id: str) -> dict[str, Any]:
        """A creator's record (the creator themself, operators): the points on the creator's own record (their
        violations with no shop involved) and where it stands; every active measure on the creator or on a live
        room of a violation naming the creator; the violations naming the creator, whoever's record carries the
        points; the creator's appeals."""
        require_role(principal, Role.CREATOR, Role.OPERATOR)
        if principal.role is Role.CREATOR and principal.subject != creator_id:
            raise AnxinError(E.CREATOR_NOT_FOUND, f"no creator {creator_id!r} visible to this key",
                             creator_id=creator_id[:64])
        now = self.clock.now()
        owner = f"creator:{creator_id}"
        with self.uow_factory() as uow:
            repo = GovernanceRepository(uow.session)
            entries = [p for p in repo.points(owner) if p.expires_at > now] if len(creator_id) <= 64 else []
            measures = [m for m in repo.measures_of_creator(creator_id) if m.ends_at is None or m.ends_at > now]
            recent = repo.violations(creator_id=creator_id, limit=RECENT + 1)
            appeals = self.appeals_of_creator(uow, creator_id) if self.appeals_of_creator is not None else []
            return {"creator_id": creator_id, **self._standing(entries, now),
                    "measures": [measure_dict(m) for m in measures],
                    "violations": [violation_dict(v) for v in recent[:RECENT]],
                    "more_violations": len(recent) > RECENT, "appeals": appeals}

    def violation(self, principal: Principal, violation_id: str) -> dict[str, Any]:
        require_role(principal, Role.MERCHANT, Role.CREATOR, Role.OPERATOR)
        with self.uow_factory() as uow:
            repo = GovernanceRepository(uow.session)
            row = repo.violation(violation_id) if len(violation_id) <= 64 else None
            if row is not None and principal.role is Role.CREATOR and row.creator_id != principal.subject:
                row = None
            if row is not None and principal.role is Role.MERCHANT:
                shop = shops.get_shop(uow, row.shop_id) if row.shop_id else None
                if shop is None or shop.merchant_id != principal.subject:
                    row = None
            if row is None:
                raise AnxinError(E.VIOLATION_NOT_FOUND, f"no violation {violation_id!r}",
                                 violation_id=violation_id[:64])
            out = {**violation_dict(row), "measures": [measure_dict(m) for m in repo.measures_of_violation(
                row.violation_id)]}
            if principal.role is Role.OPERATOR:
                out["decisions"] = [{"decision_id": d.decision_id, "step": d.step, "outcome": d.outcome,
                                     "reason_codes": list(d.reason_codes), "rule_ids": list(d.rule_ids),
                                     "rulebook_version": d.rulebook_version, "facts": dict(d.facts),
                                     "decided_at": _iso(d.decided_at)} for d in repo.decisions_of(row.violation_id)]
                out["recorded_by"] = row.recorded_by
        return out

    def list(self, principal: Principal, *, shop_id: str | None = None, kind: str | None = None,
             state: str | None = None, limit: int = 50,
             after: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        """Newest first; merchants only for a shop of theirs (``shop_id`` required)."""
        if kind is not None and kind not in self.violations.catalogue.kinds:
            raise AnxinError(E.INVALID_FILTER, "kind: one of the catalogue's kinds", field="kind")
        if state is not None and state not in VIOLATION_STATES:
            raise AnxinError(E.INVALID_FILTER, f"state: one of {list(VIOLATION_STATES)}", field="state")
        with self.uow_factory() as uow:
            if principal.role is not Role.OPERATOR:
                if shop_id is None:
                    require_role(principal, Role.OPERATOR)
                self._visible_shop(uow, principal, str(shop_id))
            rows = GovernanceRepository(uow.session).violations(
                owners=[f"shop:{shop_id}"] if shop_id is not None else None, kind=kind, state=state,
                limit=max(1, min(int(limit), MAX_PAGE + 1)), after=after)
            return [violation_dict(v) for v in rows]

    def record_by_hand(self, principal: Principal, body: object) -> dict[str, Any]:
        """An operator records a violation; ``id`` (the client's) makes the request idempotent: the same id again
        answers the violation recorded first, the same id with another kind or subject is a conflict."""
        require_role(principal, Role.OPERATOR)
        if not isinstance(body, Mapping):
            raise AnxinError(E.INVALID_REQUEST, "the body must be an object")
        allowed = {"id", "kind", "subject", "shop_id", "creator_id", "severity", "evidence", "note", "at"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise AnxinError(E.INVALID_REQUEST, f"unknown fields {unknown}", field=unknown[0])
        for name in ("id", "kind", "subject"):
            if not isinstance(body.get(name), str) or not body.get(name):
                raise AnxinError(E.INVALID_REQUEST, f"{name}: a non-empty string", field=name)
        for name in ("shop_id", "creator_id", "severity"):
            if body.get(name) is not None and not isinstance(body.get(name), str):
                raise AnxinError(E.INVALID_REQUEST, f"{name}: a string", field=name)
        evidence = body.get("evidence", {})
        if not isinstance(evidence, Mapping) or not isinstance(body.get("note", ""), str):
            raise AnxinError(E.INVALID_REQUEST, "evidence: an object; note: text", field="evidence")
        now = self.clock.now()
        at = now
        if body.get("at") is not None:
            try:
                at = parse_instant(str(body["at"]))
            except ValueError:
                raise AnxinError(E.INVALID_REQUEST, "at: ISO 8601 with an offset", field="at") from None
            if at > now:
                raise AnxinError(E.INVALID_REQUEST, "at: not in the future", field="at")
        cmd = RecordViolation(kind=body["kind"], subject=body["subject"], shop_id=body.get("shop_id"),
                              creator_id=body.get("creator_id"), severity=body.get("severity"),
                              source_type=SOURCE_OPERATOR, source_id=body["id"], at=at, evidence=dict(evidence),
                              note=body.get("note", ""), recorded_by=f"operator:{principal.subject}")
        with self.uow_factory() as uow:
            first = GovernanceRepository(uow.session).violation_by_any_kind(SOURCE_OPERATOR, cmd.source_id)
            if first is not None and (first.kind != cmd.kind or first.subject != cmd.subject):
                raise AnxinError(E.SOURCE_CONFLICT, f"id {cmd.source_id!r} already recorded another violation",
                                 violation_id=first.violation_id)
            view, created = self.violations.record(uow, cmd)
            uow.commit()
        return {**self.violation(principal, view.violation_id), "created": created}

