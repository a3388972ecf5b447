"""A deterministic simulated order history for the bulk-ingestion benchmark, generated lazily.

A catalogue first (categories under a few roots, shops, listings), then orders paid at a steady rate. Each order
is paid → shipped (2–48 h later) → three carrier scans → delivered, about 6 events; 3 % are cancelled before
shipping (2 events) and 10 % get a review. Events come out in arrival order, which is occurred_at order except
that 1 % of shipments arrive up to 12 h late, so their first scans arrive before them and are parked (a real
feed does this). An order's events span 2–4 days of history, tens of thousands of orders, so most of them land
in a later chunk than the order they refer to.

Only (time, seq, order, stage) tuples wait in a heap, and event dicts are built as they come out, so memory stays
bounded by the orders in flight, not by the history's length.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BEIJING = dt.timezone(dt.timedelta(hours=8))
PAY_INTERVAL = dt.timedelta(seconds=5)  # one order every 5 s: 1 M orders span about 58 days
CARRIERS = ("sf", "yto", "zto", "jd")
CITIES = ("Hangzhou", "Shanghai", "Guangzhou", "Chengdu", "Wuhan", "Beijing")
SCANS = ("picked_up", "in_transit", "out_for_delivery")
ROOT_TAGS = (["fresh"], ["apparel"], ["cosmetics"], ["3c"], ["food"], [])


@dataclass(frozen=True)
class Shape:
    orders: int
    shops: int
    listings: int
    categories: int

    @classmethod
    def for_orders(cls, n: int) -> Shape:
        shops = max(5, n // 500)
        return cls(n, shops, shops * 10, 60)


def _iso(at: dt.datetime) -> str:
    return at.astimezone(BEIJING).isoformat()  # with an offset, as the platform sends them


def _ev(eid: str, etype: str, at: dt.datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": eid, "type": etype, "occurred_at": _iso(at), "data": data}


def catalogue(shape: Shape, rng: random.Random) -> Iterator[dict[str, Any]]:
    at = START - dt.timedelta(days=30)
    roots = len(ROOT_TAGS)
    for c in range(shape.categories):
        data: dict[str, Any] = {"category_id": f"cat{c:03d}", "name": f"Category {c}",
                                "tags": ROOT_TAGS[c] if c < roots else []}
        if c >= roots:
            data["parent_id"] = f"cat{c % roots:03d}"
        yield _ev(f"cat-{c}", "category.upserted", at, data)
    for s in range(shape.shops):
        yield _ev(f"shop-{s}", "shop.upserted", at, {
            "shop_id": f"s{s:06d}", "merchant_id": f"m{s // 3:06d}", "name": f"Shop {s}",
            "store_type": rng.choice(("enterprise", "individual", "personal")),
            "services": rng.sample(("anxin_gou", "instant_refund", "pickup", "shipping_insurance"), 2)})
    for li in range(shape.listings):
        yield _ev(f"lst-{li}", "listing.upserted", at, {
            "listing_id": f"l{li:07d}", "shop_id": f"s{li % shape.shops:06d}",
            "category_id": f"cat{rng.randrange(roots, shape.categories):03d}", "title": f"Listing {li}",
            "price_fen": rng.randrange(100, 50_000) * 10, "ship_within_hours": rng.choice((24, 48, 72))})


class _Order:
    __slots__ = ("cancelled", "carrier", "i", "items", "left", "paid_at", "shipped_at", "shop", "times", "tracking")

    def __init__(self, i: int, shape: Shape, rng: random.Random) -> None:
        self.i = i
        self.shop = rng.randrange(shape.shops)
        per_shop = shape.listings // shape.shops
        self.items = [{"listing_id": f"l{self.shop + shape.shops * rng.randrange(per_shop):07d}",
                       "qty": rng.randint(1, 3), "price_fen": rng.randrange(100, 50_000) * 10}
                      for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        self.paid_at = START + i * PAY_INTERVAL
        self.cancelled = rng.random() < 0.03
        self.carrier = rng.choice(CARRIERS)
        self.tracking = f"{self.carrier.upper()}{i:010d}"
        hours = rng.uniform(2, 48)
        self.shipped_at = self.paid_at + dt.timedelta(hours=hours)
        t, times = self.shipped_at, []
        for _ in SCANS:
            t += dt.timedelta(hours=rng.uniform(2, 16))
            times.append(t)
        times.append(t + dt.timedelta(hours=rng.uniform(1, 8)))  # signed
        if rng.random() < 0.10:
            times.append(times[-1] + dt.timedelta(hours=rng.uniform(2, 72)))  # reviewed
        self.times = times
        self.left = 2 if self.cancelled else 2 + len(times)  # events still to come out

    def stages(self, rng: random.Random) -> Iterator[tuple[dt.datetime, int]]:
        """(arrival time, stage) for each event: 0 paid, 1 shipped, 2-4 scans, 5 signed, 6 reviewed, 7 cancelled."""
        yield self.paid_at, 0
        if self.cancelled:
            yield self.paid_at + dt.timedelta(minutes=30), 7
            return
        late = dt.timedelta(hours=rng.uniform(0, 12)) if rng.random() < 0.01 else dt.timedelta(0)
        yield self.shipped_at + late, 1
        for stage, at in enumerate(self.times, start=2):
            yield at, stage

    def event(self, stage: int) -> dict[str, Any]:
        oid, i = f"o{self.i:08d}", self.i
        if stage == 0:
            paid = sum(it["qty"] * it["price_fen"] for it in self.items)
            return _ev(f"paid-{i}", "order.paid", self.paid_at, {
                "order_id": oid, "consumer_id": f"c{i % 400_000:06d}", "shop_id": f"s{self.shop:06d}",
                "items": self.items, "paid_fen": paid, "paid_at": _iso(self.paid_at)})
        if stage == 1:
            return _ev(f"ship-{i}", "order.shipped", self.shipped_at, {
                "order_id": oid, "carrier": self.carrier, "tracking_no": self.tracking,
                "shipped_at": _iso(self.shipped_at)})
        if stage <= 4:
            at = self.times[stage - 2]
            return _ev(f"scan-{i}-{stage - 2}", "shipment.scanned", at, {
                "carrier": self.carrier, "tracking_no": self.tracking, "status": SCANS[stage - 2],
                "location": CITIES[(i + stage) % len(CITIES)], "scanned_at": _iso(at)})
        if stage == 5:
            return _ev(f"sign-{i}", "order.delivered", self.times[3], {"order_id": oid,
                                                                      "signed_at": _iso(self.times[3])})
        if stage == 6:
            return _ev(f"rev-{i}", "review.posted", self.times[4], {
                "order_id": oid, "rating": 1 + i % 5, "text": "物流很快，包装完好" if i % 2 else "ok",
                "posted_at": _iso(self.times[4])})
        return _ev(f"cancel-{i}", "order.cancelled", self.paid_at + dt.timedelta(minutes=30),
                   {"order_id": oid, "reason": "changed mind"})


def history(shape: Shape, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Every event of the history, in arrival order."""
    rng = random.Random(seed)
    yield from catalogue(shape, rng)
    heap: list[tuple[dt.datetime, int, int, int]] = []
    live: dict[int, _Order] = {}
    seq = 0
    for i in range(shape.orders):
        order = _Order(i, shape, rng)
        while heap and heap[0][0] <= order.paid_at:
            yield _pop(heap, live)
        live[i] = order
        for at, stage in order.stages(rng):
            seq += 1
            heapq.heappush(heap, (at, seq, i, stage))
    while heap:
        yield _pop(heap, live)


def _pop(heap: list[tuple[dt.datetime, int, int, int]], live: dict[int, _Order]) -> dict[str, Any]:
    _, _, oi, stage = heapq.heappop(heap)
    order = live[oi]
    order.left -= 1
    if not order.left:
        del live[oi]
    return order.event(stage)


def chunks(events: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for ev in events:
        chunk.append(ev)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
