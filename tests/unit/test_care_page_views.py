"""The care pages' SLA countdown at its edges, table-driven: service time left on the owner's calendar (the clock
stops outside 08:00–23:00 Beijing and on a closed holiday), at risk with a third of the SLA or less left, on time at
the deadline itself, breached a second after it, a deadline at closing time breached only once the clock runs again,
and an escalated ticket's running clock apart from the merchant's past breach."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anxin.care.page_views import sla_view
from anxin.care.sla import deadline
from anxin.care.sla_rules import load_care_rules
from anxin.care.tickets import TicketPolicy
from anxin.core.clock import BEIJING
from anxin.web.i18n import translator

POLICY = TicketPolicy.of(load_care_rules())
T = translator("en")
MIN = dt.timedelta(minutes=1)
S = dt.timedelta(seconds=1)


def bj(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def ticket(opened: dt.datetime, *, owner: str = "merchant_cs", state: str = "open", replied: bool = False,
           breached: bool = False, due: dt.datetime | None = None) -> dict[str, Any]:
    first_due = due or deadline(opened, 3, POLICY.first_reply_sla(owner).calendar)
    resolution_due = deadline(opened, 4 * 60, POLICY.resolution_sla("pre_sale").calendar)
    active = state in ("open", "waiting_customer", "waiting_merchant")
    next_due = (resolution_due if replied else first_due) if active else None
    return {"ticket_id": "t1", "owner": owner, "topic": "pre_sale", "state": state,
            "next_due_at": next_due.isoformat() if next_due else None,
            "sla": {"first_reply": {"due": first_due.isoformat(), "replied_at": opened.isoformat() if replied else None,
                                    "breached_at": first_due.isoformat() if breached else None},
                    "resolution": {"due": resolution_due.isoformat(), "breached_at": None}}}


MON = "2026-11-02"  # a Monday, no holiday


@pytest.mark.parametrize(("opened", "now", "level", "text"), [
    (f"{MON}T10:00:00", f"{MON}T10:00:00", "ok", "3 min 0 s of service time left"),
    (f"{MON}T10:00:00", f"{MON}T10:01:59", "ok", "1 min 1 s of service time left"),
    (f"{MON}T10:00:00", f"{MON}T10:02:00", "at_risk", "1 min 0 s of service time left"),  # a third left
    (f"{MON}T10:00:00", f"{MON}T10:03:00", "at_risk", "0 min 0 s of service time left"),  # at the deadline: on time
    (f"{MON}T10:00:00", f"{MON}T10:03:01", "breached", "Overdue by 0 min 1 s of service time"),
    # opened a minute before closing: 1 minute tonight, 2 tomorrow from 08:00; at night the clock stands still
    (f"{MON}T22:59:00", f"{MON}T23:30:00", "ok", "2 min 0 s of service time left"),
    (f"{MON}T22:59:00", "2026-11-03T07:59:59", "ok", "2 min 0 s of service time left"),
    (f"{MON}T22:59:00", "2026-11-03T08:01:30", "at_risk", "0 min 30 s of service time left"),
    (f"{MON}T22:59:00", "2026-11-03T08:02:01", "breached", "Overdue by 0 min 1 s of service time"),
    # opened after hours: the clock starts at the next opening
    (f"{MON}T23:10:00", "2026-11-03T08:00:00", "ok", "3 min 0 s of service time left"),
    # the example holiday (2027-02-06, closed all day): the day before's last minutes carry over two nights
    ("2027-02-05T22:59:00", "2027-02-06T12:00:00", "ok", "2 min 0 s of service time left"),
    ("2027-02-05T22:59:00", "2027-02-07T10:01:00", "at_risk", "1 min 0 s of service time left"),
])
def test_the_first_reply_countdown(opened: str, now: str, level: str, text: str) -> None:
    view = sla_view(ticket(bj(opened)), bj(now), POLICY, T)
    assert (view["kind"], view["level"], view["text"]) == ("first_reply", level, text)
    assert view["due"] == deadline(bj(opened), 3, POLICY.first_reply_sla("merchant_cs").calendar)


def test_a_deadline_at_closing_time_is_breached_only_when_the_clock_runs_again() -> None:
    opened = bj(f"{MON}T22:57:00")
    view = sla_view(ticket(opened), bj("2026-11-03T07:00:00"), POLICY, T)
    assert view["due"] == bj(f"{MON}T23:00:00") and view["level"] == "at_risk"
    assert sla_view(ticket(opened), bj("2026-11-03T08:00:00"), POLICY, T)["level"] == "at_risk"
    over = sla_view(ticket(opened), bj("2026-11-03T08:00:01"), POLICY, T)
    assert (over["level"], over["text"]) == ("breached", "Overdue by 0 min 1 s of service time")


def test_an_escalated_ticket_shows_its_fresh_clock_and_the_past_breach() -> None:
    opened = bj(f"{MON}T10:00:00")
    escalated = ticket(opened, owner="platform_cs", breached=True, due=bj(f"{MON}T10:06:01"))
    view = sla_view(escalated, bj(f"{MON}T10:03:01"), POLICY, T)
    assert (view["level"], view["clock"], view["missed"]) == ("breached", "ok", ["first_reply"])
    assert view["text"] == "3 min 0 s of service time left"  # platform CS answers around the clock


def test_after_the_first_reply_the_resolution_runs_and_a_resolved_ticket_has_none() -> None:
    opened = bj(f"{MON}T10:00:00")
    view = sla_view(ticket(opened, replied=True), bj(f"{MON}T12:00:00"), POLICY, T)
    assert (view["kind"], view["level"], view["text"]) == ("resolution", "ok", "2 h of service time left")
    done = sla_view(ticket(opened, replied=True, state="resolved"), bj(f"{MON}T12:00:00"), POLICY, T)
    assert (done["kind"], done["level"]) == (None, "done")
