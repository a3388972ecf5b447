"""Action use cases: issue an action with its outbox message in the caller's transaction, react to what other
contexts publish (a blocked shop is restricted, the outbox delivered an action), record the platform's acks, and
show operators where things stand.

``issue`` takes the caller's open unit of work, like ``outbox.enqueue``: the action, its message and the change
that caused it commit together or not at all. The other methods commit their own unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from anxin.access.service import require_role
from anxin.actions import model as m
from anxin.actions.error_codes import ActionErrorCode as E
from anxin.actions.store import ActionRepository
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.outbox import service as outbox
from anxin.outbox.events import MessageDelivered
from anxin.risk.events import ShopBlocked, ShopUnblocked

MAX_PAGE = 500
MAX_NOTE = 500
SYSTEM = "system:actions"


@dataclass(frozen=True)
class IssueAction:
    kind: str
    target: str
    parameters: Mapping[str, Any]
    cause_type: str
    cause_id: str
    reason_codes: tuple[str, ...] = ()
    rule_id: str | None = None
    note: str = ""
    issued_by: str = SYSTEM


def issue(uow: UnitOfWork, cmd: IssueAction, *, clock: Clock) -> tuple[m.Action, bool]:
    """Write the action and enqueue its outbox message in ``uow`` (the caller commits). Idempotent per (kind,
    target, cause): issuing it again returns the action already issued (False) and enqueues nothing; the same
    cause with other parameters is refused, as a bug in the caller."""
    kind = m.check_kind(cmd.kind)
    target = m.check_target(kind, cmd.target)
    parameters = m.check_parameters(kind, cmd.parameters)
    cause_type, cause_id = m.check_cause(cmd.cause_type, cmd.cause_id)
    if not isinstance(cmd.note, str) or len(cmd.note) > MAX_NOTE:
        raise AnxinError(E.INVALID_PARAMETERS, f"note must be text of at most {MAX_NOTE} characters", parameter="note")
    key = m.idempotency_key(kind, target, cause_id)
    repo = ActionRepository(uow.session)
    action_id = new_id("act")
    draft = m.Action(action_id=action_id, kind=kind, target=target, parameters=parameters,
                     reason_codes=tuple(cmd.reason_codes), rule_id=cmd.rule_id, cause_type=cause_type,
                     cause_id=cause_id, note=cmd.note.strip(), issued_by=cmd.issued_by, issued_at=clock.now(),
                     idempotency_key=key, message_id="", state=m.ISSUED)
    # Both writes are keyed by the same idempotency key: a concurrent issuer of this action waits on the first
    # insert until the other transaction ends, then finds its message and its action.
    message = outbox.enqueue(uow, clock=clock, kind=kind, idempotency_key=key, payload=draft.payload(),
                             amount_fen=None, subject_ref=target)
    action = replace(draft, message_id=message.message_id)
    if repo.add(action) is None:
        existing = repo.by_key(key)
        assert existing is not None  # ON CONFLICT waited for the row's transaction, which committed it
        if dict(existing.parameters) != parameters or existing.cause_type != cause_type:
            raise AnxinError(E.CAUSE_CONFLICT, f"{kind} for {target} was already issued for cause {cause_id} "
                             "with other parameters", action_id=existing.action_id, parameters=existing.parameters)
        return existing, False
    return action, True


def delivered_action(event: MessageDelivered) -> bool:
    """only messages whose kind is an action's"""
    return event.kind in m.KINDS


class DeliveryRecords(Protocol):
    """What recording a delivery needs of the stored actions (``ActionRepository``; a fake in the unit tests)."""

    def by_key(self, idempotency_key: str, *, lock: bool = False) -> m.Action | None: ...

    def save_sent(self, action: m.Action) -> bool: ...


def action_records(uow: UnitOfWork) -> DeliveryRecords:
    return ActionRepository(uow.session)


def action_dict(a: m.Action, now: dt.datetime, ack_timeout: dt.timedelta, *, iso: bool = True) -> dict[str, Any]:
    """The operator's and the platform's view: everything, risk codes included (times as ISO text, or as
    datetimes for the pages)."""
    def at(value: dt.datetime | None) -> Any:
        return value.isoformat() if iso and value is not None else value

    return {"action_id": a.action_id, "kind": a.kind, "target": a.target, "parameters": dict(a.parameters),
            "reason_codes": list(a.reason_codes), "rule_id": a.rule_id,
            "cause": {"type": a.cause_type, "id": a.cause_id}, "note": a.note, "issued_by": a.issued_by,
            "issued_at": at(a.issued_at), "message_id": a.message_id, "state": a.view_state(now, ack_timeout),
            "sent_at": at(a.sent_at), "acked_at": at(a.acked_at), "failure_reason": a.failure_reason}


class ActionService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, ack_timeout: dt.timedelta,
                 records: Callable[[UnitOfWork], DeliveryRecords] = action_records) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.ack_timeout = ack_timeout
        self.records = records

    # --- event handlers (each runs in the bus's unit of work for it; never commits) ----------------------------

    def restrict_blocked_shop(self, event: ShopBlocked, uow: UnitOfWork) -> None:
        for rule in m.reactions_to("risk.shop_blocked"):
            issue(uow, IssueAction(kind=rule.kind, target=f"shop:{event.shop_id}", parameters=rule.parameters,
                                   cause_type=event.cause, cause_id=event.cause_id, reason_codes=event.reason_codes,
                                   rule_id=rule.rule_id, note=rule.note), clock=self.clock)

    def lift_unblocked_shop(self, event: ShopUnblocked, uow: UnitOfWork) -> None:
        for rule in m.reactions_to("risk.shop_unblocked"):
            issue(uow, IssueAction(kind=rule.kind, target=f"shop:{event.shop_id}", parameters=rule.parameters,
                                   cause_type=event.cause, cause_id=event.cause_id,
                                   reason_codes=(f"review.{event.reason}",), rule_id=rule.rule_id, note=rule.note),
                  clock=self.clock)

    def record_delivery(self, event: MessageDelivered, uow: UnitOfWork) -> None:
        """issued → sent when the outbox delivered the action's message (subscribed for action kinds only). An
        action already sent, or acked before the delivery was recorded, keeps its state; a message that is no
        action's (another key, another message under the key) changes nothing."""
        records = self.records(uow)
        action = records.by_key(event.idempotency_key, lock=True)
        if action is None or action.message_id != event.message_id:
            return
        action, changed = m.mark_sent(action, event.delivered_at)
        if changed:
            records.save_sent(action)

    # --- operators ---------------------------------------------------------------------------------------------

    def issue_by_hand(self, principal: Principal, body: Mapping[str, Any]) -> dict[str, Any]:
        """An operator tells the platform to act (the cause names the decision: a ticket, a review …)."""
        require_role(principal, Role.OPERATOR)
        if not isinstance(body, Mapping):
            raise AnxinError(E.INVALID_PARAMETERS, "the body must be an object", parameter="body")
        cause = body.get("cause")
        if not isinstance(cause, Mapping):
            raise AnxinError(E.INVALID_CAUSE, "cause must be an object {\"type\": …, \"id\": …}", field="cause")
        # issue() checks every field's type and value; the body's values go through as they came.
        cmd = IssueAction(kind=body.get("kind", ""), target=body.get("target", ""),
                          parameters=body.get("parameters", {}), cause_type=cause.get("type", "operator"),
                          cause_id=cause.get("id", ""),
                          note=body.get("note", ""), issued_by=f"{principal.role.value}:{principal.subject}")
        with self.uow_factory() as uow:
            action, fresh = issue(uow, cmd, clock=self.clock)
            uow.commit()
        return {**action_dict(action, self.clock.now(), self.ack_timeout), "created": fresh}

    def list(self, principal: Principal, *, state: str | None = None, target: str | None = None,
             limit: int = 100, after: tuple[int, dt.datetime, str] | None = None,
             iso: bool = True) -> list[dict[str, Any]]:
        """Up to ``limit`` actions (at most one more than a page, to tell a next page exists), most urgent first
        (``m.URGENCY``), then newest; ``after``: the (urgency, issued at, id) of the previous page's last."""
        require_role(principal, Role.OPERATOR)
        self._check_target(target)
        if state is not None and state not in m.VIEW_STATES:
            raise AnxinError(E.INVALID_FILTER, f"state must be one of {list(m.VIEW_STATES)}", field="state")
        now = self.clock.now()
        with self.uow_factory() as uow:
            found = ActionRepository(uow.session).find(cutoff=now - self.ack_timeout, state=state, target=target,
                                                       limit=max(1, min(int(limit), MAX_PAGE + 1)), after=after)
        return [action_dict(a, now, self.ack_timeout, iso=iso) for a in found]

    def counts(self, principal: Principal, *, target: str | None = None) -> dict[str, int]:
        """How many actions are in each state (unconfirmed apart from sent), of one target or all."""
        require_role(principal, Role.OPERATOR)
        self._check_target(target)
        with self.uow_factory() as uow:
            return ActionRepository(uow.session).counts(cutoff=self.clock.now() - self.ack_timeout, target=target)

    @staticmethod
    def _check_target(target: str | None) -> None:
        if target is not None and (not target or len(target) > 80):
            raise AnxinError(E.INVALID_FILTER, "target must be '<type>:<id>'", field="target")

    def get(self, principal: Principal, action_id: str) -> dict[str, Any]:
        require_role(principal, Role.OPERATOR, Role.PLATFORM)
        with self.uow_factory() as uow:
            action = ActionRepository(uow.session).get(action_id)
        if action is None:
            raise AnxinError(E.ACTION_NOT_FOUND, f"no action {action_id!r}", action_id=action_id)
        return action_dict(action, self.clock.now(), self.ack_timeout)

    # --- the platform ------------------------------------------------------------------------------------------

    def ack(self, principal: Principal, action_id: str, body: object) -> dict[str, Any]:
        """The platform's answer: done, or failed with a reason. The same ack again answers the same."""
        require_role(principal, Role.PLATFORM)
        ack = m.parse_ack(body)
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()  # SQLite: two acks racing serialise here; PostgreSQL: the row lock below
            repo = ActionRepository(uow.session)
            action = repo.get(action_id, lock=True) if len(action_id) <= 64 else None
            if action is None:
                raise AnxinError(E.ACTION_NOT_FOUND, f"no action {action_id!r}", action_id=action_id[:64])
            action, changed = m.acknowledge(action, ack, now)
            if changed:
                repo.save_ack(action)
                uow.commit()
        return action_dict(action, now, self.ack_timeout)
