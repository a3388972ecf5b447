"""What a late shipment costs: the consumer's coupon and the shop's violation points. Pure, integers only.

Compensation is ``percent_bp`` of the amount actually paid (items stack, so it is a share of the order's paid
amount), rounded to a whole fen by the rulebook's stated rule, then capped. Points are hundredths of a point
(10 = A0.1) with a cap per local day and per local week; a late order past a cap is still recorded, with 0 points
and the cap that stopped it, so the violation stays visible.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from anxin.core.money import fraction_of, is_fen
from anxin.orders.published import FulfilmentRulebook

COMPENSATION_RULE_ID = "F.CONSEQ.LATE_COMPENSATION"
POINTS_RULE_ID = "F.CONSEQ.LATE_POINTS"
# 无忧服务: an order shipped from the platform's warehouse is late by the platform's doing, not the shop's. The
# consumer's coupon is the same, funded by the platform; the shop gets no points (and so no governance violation).
WAREHOUSE_RULE_ID = "F.CONSEQ.WAREHOUSE_LATE"
SHOP, PLATFORM = "shop", "platform"  # who is responsible for a late shipment (and funds its coupon)


def responsible_for(fulfilled_from: str | None) -> str:
    return PLATFORM if fulfilled_from == "warehouse" else SHOP


def warehouse_award(late: LateOrder, rb: FulfilmentRulebook) -> PointsAward:
    """A warehouse order's late shipment: recorded like any other, with no points for the shop."""
    day = local_day(late.at, rb)
    return PointsAward(late.order_id, late.at, 0, day, week_start(late.at, rb), None, WAREHOUSE_RULE_ID, rb.version)


def late_shipment_compensation(paid_fen: int, rb: FulfilmentRulebook) -> int:
    """Coupon value in fen: e.g. 5 % of 12,345 = 617.25 → 617; 199,999 → capped at 10,000."""
    if not is_fen(paid_fen) or paid_fen < 0:
        raise ValueError(f"paid_fen must be a non-negative integer, got {paid_fen!r}")
    c = rb.compensation
    return min(fraction_of(paid_fen, c.percent_bp, 10_000, rounding=c.rounding), c.cap_fen)


@dataclass(frozen=True)
class PointsEntry:
    """Points already recorded against the shop for a late order."""

    order_id: str
    at: dt.datetime
    points: int  # hundredths


@dataclass(frozen=True)
class LateOrder:
    order_id: str
    at: dt.datetime  # when it became late (the finding's ``at``, i.e. its ship-by time)


@dataclass(frozen=True)
class PointsAward:
    order_id: str
    at: dt.datetime
    points: int  # hundredths, 0 when a cap was already reached
    local_day: dt.date
    week_start: dt.date
    capped_by: str | None  # None | "day" | "week"
    rule_id: str
    rulebook_version: str


def local_day(at: dt.datetime, rb: FulfilmentRulebook) -> dt.date:
    return (at.astimezone(dt.UTC) + rb.local_offset).date()


def week_start(at: dt.datetime, rb: FulfilmentRulebook) -> dt.date:
    day = local_day(at, rb)
    return day - dt.timedelta(days=(day.weekday() - rb.points.week_starts) % 7)


def apply_points(existing: Iterable[PointsEntry], new_late_orders: Iterable[LateOrder],
                 rb: FulfilmentRulebook) -> list[PointsAward]:
    """Points to record for each new late order of one shop, given what is already recorded.

    Orders are taken in time order (then by id), so the result does not depend on arrival order within a call.
    Recorded entries are never revised: an order that turns up late for a day whose cap is used gets 0. An order
    already recorded is skipped, so replaying a call awards nothing twice.
    """
    p = rb.points
    day_total: dict[dt.date, int] = defaultdict(int)
    week_total: dict[dt.date, int] = defaultdict(int)
    seen: set[str] = set()
    for e in existing:
        day_total[local_day(e.at, rb)] += e.points
        week_total[week_start(e.at, rb)] += e.points
        seen.add(e.order_id)
    awards: list[PointsAward] = []
    for late in sorted(new_late_orders, key=lambda o: (o.at, o.order_id)):
        if late.order_id in seen:
            continue
        seen.add(late.order_id)
        day, week = local_day(late.at, rb), week_start(late.at, rb)
        day_room = max(0, p.day_cap - day_total[day])
        week_room = max(0, p.week_cap - week_total[week])
        points = min(p.per_late_order, day_room, week_room)
        capped = None if points == p.per_late_order else ("week" if week_room <= day_room else "day")
        day_total[day] += points
        week_total[week] += points
        awards.append(PointsAward(late.order_id, late.at, points, day, week, capped, POINTS_RULE_ID, rb.version))
    return awards
