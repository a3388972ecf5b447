"""Measures enforced at the platform, in the caller's unit of work: each measure type becomes its platform action
(``anxin.actions.service.issue``, cause ``governance.measure`` / the measure id) or the merchants context's deposit
deduction; a lift (cause ``governance.lift`` / the same id) releases only what no other active measure on the same
target still holds. Idempotent per measure through the actions' (kind, target, cause) key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from anxin.actions import service as actions
from anxin.actions.service import IssueAction
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.db.uow import UnitOfWork
from anxin.governance.catalogue import Catalogue
from anxin.governance.store import MeasureRow

CAUSE_MEASURE = "governance.measure"
CAUSE_LIFT = "governance.lift"
ISSUER = "system:governance"
# shop.restrict names each restricting measure type holds.
RESTRICTS = {"traffic_limit": "traffic", "listing_freeze": "new_listings", "campaign_ban": "campaigns"}
# Lift kinds for creators and live rooms come from the catalog seam slice (creator.lift, live_room.lift); until
# the actions context knows them the lift is recorded as unavailable rather than failing the expiry.
CREATOR_LIFT = "creator.lift"
LIVE_ROOM_LIFT = "live_room.lift"
NOTES = {
    "traffic_limit": "Traffic limited: the shop passed a governance ladder node.",
    "listing_freeze": "New listings frozen: the shop passed a governance ladder node.",
    "campaign_ban": "Barred from campaigns: the shop passed a governance ladder node.",
    "fund_hold": "Funds held: the shop passed a governance ladder node.",
    "closure": "Shop closed: the shop reached the top of the governance ladder.",
    "listing_takedown": "Listing taken down for a violation.",
    "creator_restrict": "Creator restricted for a violation.",
    "live_room_penalise": "Live room penalised for a violation.",
}


class DepositDeduction(Protocol):
    """The merchants context's penalty out of a shop's deposit (``Money.deduct_penalty``): True applied, False a
    replay of ``key``, None no such shop."""

    def __call__(self, uow: UnitOfWork, shop_id: str, fen: int, *, key: str, memo: str,
                 actor: str) -> bool | None: ...


def _issue(uow: UnitOfWork, clock: Clock, kind: str, target: str, parameters: dict[str, Any], cause_type: str,
           cause_id: str, rule_id: str, note: str) -> str:
    action, _ = actions.issue(uow, IssueAction(kind=kind, target=target, parameters=parameters,
                                               cause_type=cause_type, cause_id=cause_id, rule_id=rule_id,
                                               note=note, issued_by=ISSUER), clock=clock)
    return action.action_id


def enforce(uow: UnitOfWork, measure: MeasureRow, cat: Catalogue, *, clock: Clock,
            deduct: DepositDeduction | None) -> tuple[list[str], dict[str, Any]]:
    """Issue what enforces ``measure``: its platform action ids, and facts for the decision."""
    m = cat.measures[measure.palette_id]
    rule_id = m.rule_id[:60]
    note = NOTES.get(m.type, "")
    cause = (CAUSE_MEASURE, measure.measure_id)
    t = m.type
    if t == "warning":
        return [], {"enforced": "notice on the record"}
    if t in RESTRICTS:
        return [_issue(uow, clock, "shop.restrict", measure.target, {"restrict": [RESTRICTS[t]]}, *cause, rule_id,
                       note)], {}
    if t == "fund_hold":
        return [_issue(uow, clock, "funds.hold", measure.target, {"all": True}, *cause, rule_id, note)], {}
    if t == "closure":
        return [_issue(uow, clock, "shop.close", measure.target, {}, *cause, rule_id, note)], {}
    if t == "listing_takedown":
        return [_issue(uow, clock, "listing.takedown", measure.target, {}, *cause, rule_id, note)], {}
    if t == "creator_restrict":
        return [_issue(uow, clock, "creator.restrict", measure.target, {"restrict": list(m.restrict)}, *cause,
                       rule_id, note)], {}
    if t == "live_room_penalise":
        assert m.penalty is not None and m.days is not None
        return [_issue(uow, clock, "live_room.penalise", measure.target,
                       {"penalty": m.penalty, "minutes": m.days * 24 * 60}, *cause, rule_id, note)], {}
    if t == "deposit_deduction":
        assert m.amount_fen is not None
        if deduct is None:
            return [], {"deposit": "no deposit ledger wired"}
        done = deduct(uow, measure.target.partition(":")[2], m.amount_fen, key=f"gov:{measure.measure_id}",
                      memo=f"governance {measure.violation_id}", actor=ISSUER)
        return [], {"deposit": {True: "deducted", False: "already deducted", None: "unknown shop"}[done],
                    "amount_fen": m.amount_fen}
    raise AssertionError(f"no enforcement for {t}")


def lift(uow: UnitOfWork, measure: MeasureRow, still_active: Iterable[MeasureRow], cat: Catalogue, *,
         clock: Clock) -> tuple[list[str], dict[str, Any]]:
    """Release what ``measure`` held that no measure in ``still_active`` (same target) still holds."""
    others = [o for o in still_active if o.target == measure.target and o.measure_id != measure.measure_id]
    held = {o.type for o in others}
    rule_id = f"GOV.LIFT.{measure.palette_id}"[:60]
    cause = (CAUSE_LIFT, measure.measure_id)
    t = measure.type
    if t in RESTRICTS:
        if t in held:
            return [], {"kept": "another active measure holds the same restriction"}
        return [_issue(uow, clock, "shop.lift", measure.target, {"restrict": [RESTRICTS[t]]}, *cause, rule_id,
                       "A governance restriction ended.")], {}
    if t == "fund_hold":
        if t in held:
            return [], {"kept": "another active fund hold"}
        return [_issue(uow, clock, "funds.release", measure.target, {"all": True}, *cause, rule_id,
                       "A governance fund hold ended.")], {}
    if t == "listing_takedown":
        if t in held:
            return [], {"kept": "another active takedown"}
        return [_issue(uow, clock, "listing.restore", measure.target, {}, *cause, rule_id,
                       "The listing may be shown again.")], {}
    if t in ("creator_restrict", "live_room_penalise"):
        kind = CREATOR_LIFT if t == "creator_restrict" else LIVE_ROOM_LIFT
        if t in held:
            return [], {"kept": "another active measure of the same type"}
        params: dict[str, Any] = {}
        if t == "creator_restrict":
            params = {"restrict": list(cat.measures[measure.palette_id].restrict)}
        try:
            return [_issue(uow, clock, kind, measure.target, params, *cause, rule_id,
                           "A governance measure ended.")], {}
        except AnxinError as exc:  # raised before anything is written: the kind is checked first
            if exc.code.value != "actions.unknown_kind":
                raise
            return [], {"lift_unavailable": kind}
    if t == "closure":
        return [], {"kept": "no platform action reopens a closed shop: an operator does"}
    return [], {}
