"""The operators' side of the 30-day companion: the outreach queue by due time, one task, its moves (open →
contacted → done), the remedy chosen (a coupon goes to the platform through the outbox, once per task, within the
order's caps) and the effect report (cared-for against held-out orders). Staff only: consumers and merchants never
see outreach tasks.

Satisfaction ratings live with care's tickets (care-core): the report reads them through ``SatisfactionSource``,
which the composition root wires; without one the report's CSAT figures are None, not 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from anxin.access.service import require_role
from anxin.care.companion_effect import TaskOutcome, summary
from anxin.care.companion_error_codes import CareOutreachErrorCode as E
from anxin.care.companion_policy import (
    CONTACTED,
    DONE,
    STATES,
    MoveRefused,
    check_move,
    coupon_amount,
)
from anxin.care.companion_rules import COUPON, REMEDIES, TROUBLES, CompanionRulebookSpec
from anxin.care.companion_store import CompanionRepository, OutreachTaskRow, task_dict
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.orders import service as orders
from anxin.outbox import service as outbox

STAFF = (Role.OPERATOR,)
MAX_PERIOD = dt.timedelta(days=366)
NOTE_MAX = 2000
REFUSALS = {"invalid_transition": E.INVALID_TRANSITION, "invalid_remedy": E.INVALID_REMEDY,
            "remedy_required": E.REMEDY_REQUIRED, "remedy_already_chosen": E.REMEDY_ALREADY_CHOSEN}


class SatisfactionSource(Protocol):
    """Ratings (rated at, 1–5) that care tickets about each order received in [since, until)."""

    def __call__(self, uow: UnitOfWork, order_ids: Sequence[str], since: dt.datetime,
                 until: dt.datetime) -> Mapping[str, Sequence[tuple[dt.datetime, int]]]: ...


class MoneySender(Protocol):
    """Where a coupon goes, in the caller's transaction: ``outbox.enqueue``."""

    def __call__(self, uow: UnitOfWork, *, clock: Clock, kind: str, idempotency_key: str, payload: dict[str, Any],
                 amount_fen: int | None, subject_ref: str) -> object: ...


def coupon_key(task_id: str) -> str:
    return f"care-outreach-coupon:{task_id}"


class OutreachDesk:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: CompanionRulebookSpec,
                 satisfaction: SatisfactionSource | None = None, send_money: MoneySender = outbox.enqueue) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules
        self.satisfaction = satisfaction
        self.send_money = send_money

    # --- reads -----------------------------------------------------------------------------------------------

    def queue(self, who: Principal, *, state: str | None = None, trouble: str | None = None,
              shop_id: str | None = None, limit: int = 50,
              after: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        """Tasks by due time, earliest first; without ``state`` every task but the held-out ones."""
        require_role(who, *STAFF)
        if state is not None and state not in STATES:
            raise AnxinError(E.INVALID_FILTER, f"state must be one of {list(STATES)}", field="state")
        if trouble is not None and trouble not in TROUBLES:
            raise AnxinError(E.INVALID_FILTER, f"trouble must be one of {list(TROUBLES)}", field="trouble")
        with self.uow_factory() as uow:
            rows = CompanionRepository(uow.session).find(state=state, trouble=trouble, shop_id=shop_id, limit=limit,
                                                         after=after)
            return [task_dict(r) for r in rows]

    def task(self, who: Principal, task_id: str) -> dict[str, Any]:
        require_role(who, *STAFF)
        with self.uow_factory() as uow:
            row = CompanionRepository(uow.session).get(task_id)
            if row is None:
                raise _not_found(task_id)
            return task_dict(row)

    # --- moves -----------------------------------------------------------------------------------------------

    def transition(self, who: Principal, task_id: str, *, to: str | None, remedy: str | None = None,
                   note: str = "") -> dict[str, Any]:
        """Move a task (``to``: contacted | done) and/or choose its remedy. Choosing a coupon enqueues it to the
        platform in the same transaction (key ``care-outreach-coupon:<task>``: once per task, whatever retries)."""
        require_role(who, *STAFF)
        if len(note) > NOTE_MAX:
            raise AnxinError(E.INVALID_TRANSITION, f"the note is longer than {NOTE_MAX}", field="note")
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = CompanionRepository(uow.session)
            row = repo.get(task_id, lock=True)
            if row is None:
                raise _not_found(task_id)
            try:
                chosen = check_move(row.state, to, remedy_chosen=row.remedy_chosen, remedy=remedy)
            except MoveRefused as exc:
                raise AnxinError(REFUSALS[exc.code], str(exc), task_id=task_id, state=row.state,
                                 remedies=list(REMEDIES)) from None
            now = self.clock.now()
            if chosen == COUPON and row.remedy_chosen is None:
                self._send_coupon(uow, repo, row)
            if chosen != row.remedy_chosen or to is not None:
                row.history = [*row.history, {"from": row.state, "to": to or row.state, "at": now.isoformat(),
                                              "by": f"{who.role.value}:{who.subject}", "note": note.strip(),
                                              "remedy": chosen}]
            row.remedy_chosen = chosen
            if to is not None:
                if row.contacted_at is None and to in (CONTACTED, DONE):
                    row.contacted_at = now
                if to == DONE:
                    row.closed_at = now
                row.state = to
            row.updated_at = now
            uow.commit()
            return task_dict(row)

    def _send_coupon(self, uow: UnitOfWork, repo: CompanionRepository, row: OutreachTaskRow) -> None:
        rb = self.rules
        order = orders.get_order(uow, row.order_id)
        if row.remedy_suggested == COUPON:
            wanted = row.coupon_suggested_fen or rb.coupon_fen(row.trouble)
        else:  # an operator chose a coupon where the rulebook suggested another remedy
            wanted = rb.coupon.default_fen
        repo.lock_order(row.order_id)  # the order's other tasks choosing coupons at once wait: one cap
        issued = repo.coupons_issued(row.order_id)
        amount = coupon_amount(wanted, paid_fen=order.paid_fen if order is not None else 0, issued_fen=issued, rb=rb)
        if amount <= 0:
            raise AnxinError(E.COUPON_CAP_REACHED, "the order's companion coupons have reached their cap",
                             task_id=row.task_id, issued_fen=issued, cap_fen=rb.coupon.cap_fen,
                             max_paid_pct=rb.coupon.max_paid_pct)
        self.send_money(uow, clock=self.clock, kind=outbox.COUPON, idempotency_key=coupon_key(row.task_id),
                        amount_fen=amount, subject_ref=f"order:{row.order_id}", payload={
                            "reason": "care_outreach", "task_id": row.task_id, "trouble": row.trouble,
                            "order_id": row.order_id, "consumer_id": row.consumer_id, "shop_id": row.shop_id,
                            "amount_fen": amount, "currency": "CNY", "wanted_fen": wanted,
                            "issued_before_fen": issued, "rule_id": rb.coupon.id, "rulebook_version": rb.version})
        row.coupon_fen = amount

    # --- the effect ------------------------------------------------------------------------------------------

    def effect(self, who: Principal, *, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
        """Contact rate after the trouble and CSAT of the tasks opened in [since, until), cared-for against
        held-out (see ``companion_effect``)."""
        require_role(who, *STAFF)
        if until <= since or until - since > MAX_PERIOD:
            raise AnxinError(E.INVALID_PERIOD, "the period must be [since, until) with since before until, at most "
                                               "366 days", since=since.isoformat(), until=until.isoformat())
        window = dt.timedelta(hours=self.rules.effect.contact_window_hours)
        with self.uow_factory() as uow:
            repo = CompanionRepository(uow.session)
            rows = repo.opened_between(since, until)
            order_ids = sorted({r.order_id for r in rows})
            contacts = repo.contacts_of(order_ids, since, until + window) if rows else {}
            ratings: Mapping[str, Sequence[tuple[dt.datetime, int]]] = {}
            if self.satisfaction is not None and rows:
                ratings = self.satisfaction(uow, order_ids, since, until + window)
            outcomes = [TaskOutcome(r.task_id, r.order_id, r.trouble, r.held_out, r.state, r.opened_at,
                                    tuple(contacts.get(r.order_id, ())), tuple(ratings.get(r.order_id, ())))
                        for r in rows]
        return {"since": since.isoformat(), "until": until.isoformat(),
                "contact_window_hours": self.rules.effect.contact_window_hours,
                "holdout_share_bp": self.rules.holdout.share_bp, "rulebook_version": self.rules.version,
                "csat_source": "care.tickets" if self.satisfaction is not None else None,
                **summary(outcomes, window=window, csat_known=self.satisfaction is not None)}


def _not_found(task_id: str) -> AnxinError:
    return AnxinError(E.TASK_NOT_FOUND, f"no outreach task {task_id!r}", task_id=task_id)
