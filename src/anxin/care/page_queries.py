"""What the care pages read that the API does not list: a customer's own consultations, newest first, with their
ticket's state (a consultation the after-sale case or the parcel timeline answered has no ticket). Read-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from anxin.access.service import require_role
from anxin.care.ticket_store import ConsultationRow, TicketRow
from anxin.core.principal import Principal, Role
from anxin.db.uow import UowFactory


def consultations_of(uow_factory: UowFactory, who: Principal, *, limit: int = 100,
                     before: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
    """The caller's own consultations (a consumer's, or a merchant's to the platform), newest first; ``before``:
    (opened_at, consultation_id) of the last one shown, for the next page."""
    require_role(who, Role.CONSUMER, Role.MERCHANT)
    c, t = ConsultationRow, TicketRow
    stmt = (sa.select(c.consultation_id, c.channel, c.topic, c.intent, c.text, c.order_id, c.shop_id, c.opened_at,
                      c.route, c.ticket_id, t.state)
            .outerjoin(t, t.ticket_id == c.ticket_id)
            .where(c.customer_role == who.role.value, c.customer_id == who.subject))
    if before is not None:
        stmt = stmt.where(sa.or_(c.opened_at < before[0],
                                 sa.and_(c.opened_at == before[0], c.consultation_id < before[1])))
    stmt = stmt.order_by(c.opened_at.desc(), c.consultation_id.desc()).limit(limit)
    with uow_factory() as uow:
        rows = uow.session.execute(stmt).all()
    return [{"consultation_id": r.consultation_id, "channel": r.channel, "topic": r.topic, "intent": r.intent,
             "text": r.text, "order_id": r.order_id, "shop_id": r.shop_id, "opened_at": r.opened_at,
             "route": r.route, "ticket_id": r.ticket_id, "state": r.state} for r in rows]
