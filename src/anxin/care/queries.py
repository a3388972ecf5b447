"""Reading care: the ticket queues ordered by the next SLA deadline, a ticket with its timeline and messages, CSAT by
channel, intent or merchant, the SLA report (breach rates, median first reply and resolution) and a shop's reply
statistics (the 3-minute reply rate and the average first response the scores read)."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from anxin.access.service import require_role
from anxin.care.error_codes import CareErrorCode as E
from anxin.care.model import INTENTS, Owner, TicketState
from anxin.care.shared import (
    STAFF_ROLES,
    consultation_dict,
    is_staff,
    message_dict,
    ticket_actor,
    ticket_dict,
    timeline_dict,
    visibility,
)
from anxin.care.ticket_store import FAR, QueueFilter, TicketRepository
from anxin.care.tickets import TicketPolicy
from anxin.core.clock import BEIJING, Clock, parse_instant
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UowFactory
from anxin.shops.service import shop_ids_of_merchant

MAX_LIMIT = 500
CSAT_GROUPS = ("channel", "intent", "merchant", "owner")
# The IM 3-minute reply rate counts only sessions opened 08:00:00–22:59:59 Beijing (shared/RULES.md §1.2), the
# same window the scores' definition applies to the chats it reads.
SERVED_FROM_MINUTE, SERVED_TO_MINUTE = 8 * 60, 22 * 60 + 59


def queue_key(item: dict[str, Any]) -> tuple[str, str]:
    """The keyset position of a queue item (its next deadline, the far future once none, and its id): pass the last
    one shown as ``after`` for the next page."""
    return (item["next_due_at"] or FAR.isoformat(), item["ticket_id"])


def served(opened_at: dt.datetime) -> bool:
    local = opened_at.astimezone(BEIJING)
    return SERVED_FROM_MINUTE <= local.hour * 60 + local.minute <= SERVED_TO_MINUTE


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class Queries:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, policy: TicketPolicy) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.policy = policy

    def queue(self, who: Principal, *, owner: str | None = None, state: str | None = None,
              shop_id: str | None = None, breached: bool | None = None, intent: str | None = None, limit: int = 50,
              after: tuple[str | dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        """The tickets the caller may see, the nearest next deadline first (then those nothing is due on), with the
        filters given; ``after``: ``queue_key`` of the last item of the previous page."""
        for name, value, allowed in (("owner", owner, tuple(Owner)), ("state", state, tuple(TicketState)),
                                     ("intent", intent, INTENTS)):
            if value is not None and value not in allowed:
                raise AnxinError(E.INVALID_FILTER, f"{name} must be one of {list(allowed)}", field=name)
        if not 1 <= limit <= MAX_LIMIT:
            raise AnxinError(E.INVALID_FILTER, f"limit must be 1–{MAX_LIMIT}", field="limit")
        key = None
        if after is not None:
            try:
                at = after[0] if isinstance(after[0], dt.datetime) else parse_instant(after[0])
            except ValueError:
                raise AnxinError(E.INVALID_FILTER, "after is not a queue position", field="after") from None
            key = (at, after[1])
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = TicketRepository(uow.session)
            found = repo.queue(visibility(uow, who), QueueFilter(owner, state, shop_id, breached, intent),
                               after=key, limit=limit)
        return [ticket_dict(t, self.policy, now) for t in found]

    def ticket(self, who: Principal, ticket_id: str) -> dict[str, Any]:
        """A ticket with its consultation, timeline, messages, breaches and ratings."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = TicketRepository(uow.session)
            t = repo.get_ticket(ticket_id)
            if t is None:
                raise AnxinError(E.NOT_FOUND, "no such ticket", ticket_id=ticket_id)
            ticket_actor(uow, who, t)
            staff = is_staff(who)
            c = repo.get_consultation(t.consultation_id)
            assert c is not None
            return {**ticket_dict(t, self.policy, now),
                    "consultation": consultation_dict(c, staff=staff),
                    "timeline": [timeline_dict(e, staff=staff) for e in repo.timeline(ticket_id)],
                    "messages": [message_dict(m) for m in repo.messages(t.consultation_id)],
                    "breaches": [{"kind": b.kind, "due": b.due.isoformat(), "at": b.at.isoformat(), "owner": b.owner,
                                  "rule_id": b.rule_id, "rulebook_version": b.rulebook_version}
                                 for b in repo.breaches(ticket_id)],
                    "ratings": [{"closure_no": s.closure_no, "rating": s.rating, "comment": s.comment,
                                 "rated_at": s.rated_at.isoformat()} for s in repo.ratings(ticket_id)]}

    # --- reports -------------------------------------------------------------------------------------------------

    @staticmethod
    def _period(since: dt.datetime, until: dt.datetime) -> None:
        if until <= since:
            raise AnxinError(E.INVALID_FILTER, "until must be after since", field="until")

    def csat(self, who: Principal, *, by: str, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
        """Ratings given in [since, until) by channel, intent, merchant or owner: how many, their average, and CSAT
        (the share rated 4 or 5)."""
        require_role(who, *STAFF_ROLES)
        if by not in CSAT_GROUPS:
            raise AnxinError(E.INVALID_FILTER, f"by must be one of {list(CSAT_GROUPS)}", field="by")
        self._period(since, until)
        with self.uow_factory() as uow:
            rows = TicketRepository(uow.session).csat(by, since, until)

        def figures(n: int, total: int, good: int) -> dict[str, Any]:
            return {"ratings": n, "average": round(total / n, 4) if n else None, "csat": _rate(good, n)}

        return {"by": by, "since": since.isoformat(), "until": until.isoformat(),
                "groups": [{"key": key, **figures(n, total, good)} for key, n, total, good in rows],
                "overall": figures(sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows))}

    def sla_report(self, who: Principal, *, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
        """Tickets opened in [since, until) by the team they opened with: first-reply and resolution breach rates,
        escalations, median seconds to the first reply (by anyone working it) and to the resolution."""
        require_role(who, *STAFF_ROLES)
        self._period(since, until)
        with self.uow_factory() as uow:
            rows = TicketRepository(uow.session).sla_rows(since, until)
        groups: dict[str, list[tuple[Any, ...]]] = {"all": rows}
        for owner in Owner:
            groups[owner.value] = [r for r in rows if r[0] == owner]

        def figures(part: list[tuple[Any, ...]]) -> dict[str, Any]:
            replies = [(min(x for x in (r[2], r[3]) if x is not None) - r[1]).total_seconds() for r in part
                       if r[2] is not None or r[3] is not None]
            resolutions = [(r[5] - r[1]).total_seconds() for r in part if r[5] is not None]
            n = len(part)
            first_breached = sum(1 for r in part if r[6] is not None)
            resolution_breached = sum(1 for r in part if r[7] is not None)
            return {"tickets": n, "first_reply_breached": first_breached,
                    "first_reply_breach_rate": _rate(first_breached, n),
                    "resolution_breached": resolution_breached,
                    "resolution_breach_rate": _rate(resolution_breached, n),
                    "escalated": sum(1 for r in part if r[4] is not None), "replied": len(replies),
                    "median_first_reply_seconds": _median(replies), "resolved": len(resolutions),
                    "median_resolution_seconds": _median(resolutions)}

        return {"since": since.isoformat(), "until": until.isoformat(), "rulebook_version": self.policy.version,
                **{name: figures(part) for name, part in groups.items()}}

    def reply_stats(self, who: Principal, shop_id: str, *, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
        """A shop's merchant-CS tickets opened in [since, until) during served hours (08:00:00–22:59:59 Beijing):
        how many (leaving out those still unanswered inside their first-reply minutes), how many the merchant first
        answered within those minutes (wall time, as the scores count), the rate, and the average and median seconds
        to the merchant's first reply. Staff, or the shop's merchant."""
        require_role(who, Role.MERCHANT, *STAFF_ROLES)
        self._period(since, until)
        within = dt.timedelta(minutes=self.policy.first_reply_minutes)
        with self.uow_factory() as uow:
            if not is_staff(who) and shop_id not in shop_ids_of_merchant(uow, who.subject):
                raise AnxinError(E.NOT_FOUND, "no such shop of yours", shop_id=shop_id)
            # A ticket still inside its first-reply minutes, unanswered, is pending: neither on time nor late yet.
            cut = min(until, self.clock.now())
            rows = [r for r in TicketRepository(uow.session).merchant_first_replies(shop_id, since, until)
                    if served(r[0]) and not (r[1] is None and r[0] + within > cut)]
        waits = [(reply - opened).total_seconds() for opened, reply in rows if reply is not None]
        fast = sum(1 for w in waits if w <= within.total_seconds())
        return {"shop_id": shop_id, "since": since.isoformat(), "until": until.isoformat(), "handed": len(rows),
                "answered": len(waits), "answered_within": fast, "within_seconds": int(within.total_seconds()),
                "reply_rate": _rate(fast, len(rows)),
                "avg_first_response_seconds": round(statistics.fmean(waits), 1) if waits else None,
                "median_first_response_seconds": _median(waits)}

