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
from anxin.db.uow import UnitOfWork
from anxin.governance.catalogue import Catalogue
from anxin.governance.store import MeasureRow

CAUSE_MEASURE = "governance.measure"
CAUSE_LIFT = "governance.lift"
ISSUER = "system:governance"
# shop.restrict names each restricting measure type holds.
RESTRICTS = {"traffic_limit": "traffic", "listing_freeze": "new_listings", "campaign_ban": "campaigns"}
LIFT_KINDS = {"creator_restrict": "creator.lift", "live_room_penalise": "live_room.lift"}
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


class DepositRefund(Protocol):
    """The merchants context's inverse (``Money.refund_penalty``): pay back the penalty deducted under
    ``penalty_key``, once per ``key``: True refunded, False a replay, None nothing was ever deducted."""

    def __call__(self, uow: UnitOfWork, shop_id: str, *, penalty_key: str, key: str, memo: str,
                 actor: str) -> bool | None: ...


def deduction_key(measure_id: str) -> str:
    return f"gov:{measure_id}"


def refund(uow: UnitOfWork, measure: MeasureRow, *, refund_deposit: DepositRefund | None) -> dict[str, Any]:
    """Pay back a deposit deduction whose violation was reversed: once per measure (the posting key)."""
    if refund_deposit is None:
        return {"deposit": "no deposit ledger wired"}
    done = refund_deposit(uow, measure.target.partition(":")[2], penalty_key=deduction_key(measure.measure_id),
                          key=f"gov-refund:{measure.measure_id}", memo=f"governance reversed {measure.violation_id}",
                          actor=ISSUER)
    return {"deposit": {True: "refunded", False: "already refunded", None: "nothing was deducted"}[done],
            "amount_fen": measure.amount_fen}


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
        done = deduct(uow, measure.target.partition(":")[2], m.amount_fen, key=deduction_key(measure.measure_id),
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
    if t == "creator_restrict":
        # Lift only what no other active creator restriction on the creator still names.
        still = {name for o in others if o.type == t for name in cat.measures[o.palette_id].restrict}
        names = [n for n in cat.measures[measure.palette_id].restrict if n not in still]
        if not names:
            return [], {"kept": "another active creator restriction holds the same restrictions"}
        return [_issue(uow, clock, LIFT_KINDS[t], measure.target, {"restrict": names}, *cause, rule_id,
                       "A governance creator restriction ended.")], {}
    if t == "live_room_penalise":
        if t in held:
            return [], {"kept": "another active penalty on the live room"}
        return [_issue(uow, clock, LIFT_KINDS[t], measure.target, {}, *cause, rule_id,
                       "A governance live room penalty ended.")], {}
    if t == "closure":
        if t in held:
            return [], {"kept": "another active closure"}
        return [_issue(uow, clock, "shop.reopen", measure.target, {}, *cause, rule_id,
                       "The closure was reversed: the shop may trade again.")], {}
    return [], {}
