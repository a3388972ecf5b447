"""The companion's effect, pure: contact rate after the trouble and satisfaction of cared-for against held-out
orders' tasks.

Every task opened in the period counts in its group as assigned (``cared_for``: outreach was due; ``held_out``: the
hold-out share, never contacted), whatever happened to it afterwards, so the two groups differ only by the hash that
chose them. A task had a contact after its trouble when a consultation about its order was opened after the task
and within the rulebook's contact window; its ratings are the satisfaction ratings (1–5) of care tickets about its
order given in the same span.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from anxin.care.companion_policy import CONTACTED, DONE


@dataclass(frozen=True)
class TaskOutcome:
    task_id: str
    order_id: str
    trouble: str
    held_out: bool
    state: str
    opened_at: dt.datetime
    contacts: tuple[dt.datetime, ...]  # consultations about the order (any time; filtered here)
    ratings: tuple[tuple[dt.datetime, int], ...]  # (rated at, rating 1–5) about the order (any time)


def _within(at: dt.datetime, opened: dt.datetime, window: dt.timedelta) -> bool:
    return opened < at <= opened + window


@dataclass
class Group:
    tasks: int = 0
    orders: int = 0
    reached: int = 0  # tasks an operator contacted (contacted or done); 0 for the held-out group
    contacted_after: int = 0  # tasks whose order had a consultation within the window after the task
    ratings: int = 0
    rating_sum: int = 0
    satisfied: int = 0  # ratings of 4 or 5

    def as_dict(self, *, csat_known: bool) -> dict[str, Any]:
        return {"tasks": self.tasks, "orders": self.orders, "reached": self.reached,
                "contacted_after": self.contacted_after,
                "contact_rate": _share(self.contacted_after, self.tasks),
                "ratings": self.ratings if csat_known else None,
                "csat_mean": round(self.rating_sum / self.ratings, 4) if csat_known and self.ratings else None,
                "csat_satisfied_share": _share(self.satisfied, self.ratings) if csat_known else None}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _groups(outcomes: Sequence[TaskOutcome], window: dt.timedelta) -> dict[str, Group]:
    groups = {"cared_for": Group(), "held_out": Group()}
    orders: dict[str, set[str]] = {"cared_for": set(), "held_out": set()}
    for o in outcomes:
        name = "held_out" if o.held_out else "cared_for"
        g = groups[name]
        g.tasks += 1
        orders[name].add(o.order_id)
        g.reached += o.state in (CONTACTED, DONE)
        g.contacted_after += any(_within(at, o.opened_at, window) for at in o.contacts)
        for at, rating in o.ratings:
            if _within(at, o.opened_at, window):
                g.ratings += 1
                g.rating_sum += rating
                g.satisfied += rating >= 4
    for name, g in groups.items():
        g.orders = len(orders[name])
    return groups


def _difference(groups: dict[str, dict[str, Any]], key: str) -> float | None:
    cared, held = groups["cared_for"][key], groups["held_out"][key]
    return None if cared is None or held is None else round(cared - held, 4)


def summary(outcomes: Iterable[TaskOutcome], *, window: dt.timedelta, csat_known: bool) -> dict[str, Any]:
    """Both groups overall and per trouble, with the differences (cared-for minus held-out); ``csat_known``: False
    when no satisfaction source is wired (the CSAT figures are then None, not 0)."""
    items = list(outcomes)
    overall = {k: g.as_dict(csat_known=csat_known) for k, g in _groups(items, window).items()}
    troubles = sorted({o.trouble for o in items})
    by_trouble = {}
    for t in troubles:
        groups = {k: g.as_dict(csat_known=csat_known)
                  for k, g in _groups([o for o in items if o.trouble == t], window).items()}
        by_trouble[t] = {**groups, "contact_rate_difference": _difference(groups, "contact_rate"),
                         "csat_mean_difference": _difference(groups, "csat_mean")}
    return {**overall, "contact_rate_difference": _difference(overall, "contact_rate"),
            "csat_mean_difference": _difference(overall, "csat_mean"), "by_trouble": by_trouble}
