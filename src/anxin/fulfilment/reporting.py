"""Fulfilment figures for a shop or the platform over a rolling window: read-only, computed by the pure metrics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.core.errors import AnxinError
from anxin.db.uow import UowFactory
from anxin.fulfilment.consequences import local_day, week_start
from anxin.fulfilment.detectors import KINDS
from anxin.fulfilment.error_codes import FulfilmentErrorCode
from anxin.fulfilment.metrics import MetricOrder, daily_series, fulfilment_metrics, local_midnight
from anxin.fulfilment.store import FulfilmentRepository
from anxin.orders import service as orders
from anxin.orders.published import FulfilmentRulebook
from anxin.orders.service import OrderStatus

WINDOWS = (7, 30, 90)
PRESALE_BASES = ("presale_date", "tiered_presale")
LOOKBACK = dt.timedelta(days=3)  # orders paid before the window can be collected, signed or due inside it


def window_days(value: object) -> int:
    if value not in WINDOWS:
        raise AnxinError(FulfilmentErrorCode.INVALID_WINDOW, f"days must be one of {list(WINDOWS)}", days=value)
    return int(value)


def fulfilment_report(uow_factory: UowFactory, rb: FulfilmentRulebook, *, shop_id: str | None, days: int,
                      as_of: dt.datetime) -> dict[str, Any]:
    """Rolling-window metrics, a daily series for the charts, findings by kind and the shop's violation points.
    ``shop_id`` None: the whole platform. The window ends at ``as_of``; days are local (UTC+8) days."""
    offset = int(rb.local_offset.total_seconds() // 3600)
    start, end = as_of - dt.timedelta(days=days), as_of
    with uow_factory() as uow:
        rows = orders.orders_paid_between(uow, shop_id, start - LOOKBACK, end)
        repo = FulfilmentRepository(uow.session)
        exceptions = {f.subject_id for f in repo.findings(shop_id=shop_id, kinds=["parcel.exception"],
                                                          start=start - LOOKBACK, end=end)}
        by_kind = dict.fromkeys(KINDS, 0)  # every kind, zeros included
        by_kind.update(repo.count_by_kind(shop_id, start, end))
        recent = repo.findings(shop_id=shop_id, start=start, end=end, limit=50)
        late = [(r.coupon_fen, r.points, r.capped_by) for r in repo.consequences(shop_id=shop_id, start=start,
                                                                                 end=end)]
        week = [(r.local_day, r.week_start, r.points) for r in repo.consequences(
            shop_id=shop_id, start=start - dt.timedelta(days=7), end=end)]
    metric_orders = [MetricOrder(
        o.shop_id, o.paid_at, collected if collected is None or collected <= as_of else None,
        o.signed_at if o.signed_at is not None and o.signed_at <= as_of else None,
        presale=o.promise is not None and o.promise.basis in PRESALE_BASES,
        cancelled=o.status is OrderStatus.CANCELLED, exception=o.order_id in exceptions) for o, collected in rows]
    metrics = fulfilment_metrics(metric_orders, window_start=start, window_end=end, rb_offset_hours=offset,
                                 shop_id=shop_id)
    first_day = (as_of.astimezone(dt.UTC) + rb.local_offset).date() - dt.timedelta(days=days - 1)
    series = daily_series([m for m in metric_orders if m.paid_at >= local_midnight(first_day, offset)], first_day,
                          days, offset, as_of=as_of)
    today, this_week = local_day(as_of, rb), week_start(as_of, rb)
    return {
        "shop_id": shop_id, "as_of": as_of.isoformat(), "days": days, "rulebook_version": rb.version,
        "metrics": metrics.as_dict(),
        "daily": [{"day": p.day.isoformat(), "paid": p.paid, "eligible": p.eligible, "collected": p.collected,
                   "collected_within_48h": p.collected_within_48h.as_dict() if p.collected_within_48h else None,
                   "shipped_within_48h": p.shipped_within_48h.as_dict() if p.shipped_within_48h else None,
                   "avg_payment_to_collection_seconds": p.avg_payment_to_collection_seconds,
                   "complete": p.complete} for p in series],
        "findings_by_kind": dict(sorted(by_kind.items(), key=lambda kv: KINDS.index(kv[0])
                                        if kv[0] in KINDS else len(KINDS))),
        "recent_findings": [f.as_dict() for f in recent],
        "late_shipments": {
            "orders": len(late), "coupon_fen": sum(c for c, _, _ in late), "points": sum(p for _, p, _ in late),
            "points_today": sum(p for day, _, p in week if day == today),
            "points_this_week": sum(p for _, start_day, p in week if start_day == this_week),
            "day_cap": rb.points.day_cap, "week_cap": rb.points.week_cap,
            "capped_orders": sum(1 for _, _, capped in late if capped)},
    }
