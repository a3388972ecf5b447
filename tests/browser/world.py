"""A small marketplace for the page tests: two shops, four orders, keys for every role.

Times hang off the fixed test clock T0 (10:00 in Beijing): c1's mug paid an hour ago (instant refund
open), c1's mangoes signed for 25 hours ago (spoilage cover just expired, 7-day return exempt by law),
c1's vase signed for two days ago (returns open), and c2's towel at another merchant's shop.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from anxin.bootstrap import Anxin

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@dataclass(frozen=True)
class World:
    consumer: str  # raw keys
    other_consumer: str
    merchant: str
    other_merchant: str
    operator: str


def _ev(event_id: str, etype: str, at: dt.datetime, **data: object) -> dict[str, object]:
    return {"id": event_id, "type": etype, "occurred_at": at.isoformat(), "data": data}


def events(t0: dt.datetime = T0) -> list[dict[str, object]]:
    iso = lambda at: at.isoformat()  # noqa: E731
    return [
        _ev("cat-home", "category.upserted", t0 - 200 * H, category_id="home", name="家居", tags=["home"]),
        _ev("cat-fruit", "category.upserted", t0 - 200 * H, category_id="fruit", name="水果", tags=["fresh"]),
        _ev("shop-1", "shop.upserted", t0 - 200 * H, shop_id="s1", merchant_id="m1", name="安心果园旗舰店",
            store_type="enterprise", services=["anxin_gou"]),
        _ev("shop-2", "shop.upserted", t0 - 200 * H, shop_id="s2", merchant_id="m2", name="Other Shop",
            store_type="individual", services=["anxin_gou"]),
        _ev("l-cup", "listing.upserted", t0 - 200 * H, listing_id="l_cup", shop_id="s1", category_id="home",
            title="陶瓷马克杯", price_fen=9900),
        _ev("l-mango", "listing.upserted", t0 - 200 * H, listing_id="l_mango", shop_id="s1", category_id="fruit",
            title="海南贵妃芒 5 斤", price_fen=5990),
        _ev("l-vase", "listing.upserted", t0 - 200 * H, listing_id="l_vase", shop_id="s1", category_id="home",
            title="青瓷花瓶", price_fen=12800),
        _ev("l-towel", "listing.upserted", t0 - 200 * H, listing_id="l_towel", shop_id="s2", category_id="home",
            title="Towel", price_fen=1500),
        _ev("o1-paid", "order.paid", t0 - H, order_id="o_cup", consumer_id="c1", shop_id="s1", paid_fen=9900,
            paid_at=iso(t0 - H), items=[{"listing_id": "l_cup", "qty": 1, "price_fen": 9900}]),
        _ev("o2-paid", "order.paid", t0 - 72 * H, order_id="o_mango", consumer_id="c1", shop_id="s1",
            paid_fen=5990, paid_at=iso(t0 - 72 * H), items=[{"listing_id": "l_mango", "qty": 1, "price_fen": 5990}]),
        _ev("o2-shipped", "order.shipped", t0 - 50 * H, order_id="o_mango", carrier="SF", tracking_no="SF1001",
            shipped_at=iso(t0 - 50 * H)),
        _ev("o2-scan-1", "shipment.scanned", t0 - 48 * H, carrier="SF", tracking_no="SF1001", status="in_transit",
            location="海口", scanned_at=iso(t0 - 48 * H)),
        _ev("o2-scan-2", "shipment.scanned", t0 - 27 * H, carrier="SF", tracking_no="SF1001",
            status="out_for_delivery", location="上海", scanned_at=iso(t0 - 27 * H)),
        _ev("o2-signed", "order.delivered", t0 - 25 * H, order_id="o_mango", signed_at=iso(t0 - 25 * H)),
        _ev("o4-paid", "order.paid", t0 - 96 * H, order_id="o_vase", consumer_id="c1", shop_id="s1", paid_fen=12800,
            paid_at=iso(t0 - 96 * H), items=[{"listing_id": "l_vase", "qty": 1, "price_fen": 12800}]),
        _ev("o4-shipped", "order.shipped", t0 - 80 * H, order_id="o_vase", carrier="YTO", tracking_no="YT2002",
            shipped_at=iso(t0 - 80 * H)),
        _ev("o4-signed", "order.delivered", t0 - 48 * H, order_id="o_vase", signed_at=iso(t0 - 48 * H)),
        _ev("o3-paid", "order.paid", t0 - 2 * H, order_id="o_towel", consumer_id="c2", shop_id="s2", paid_fen=1500,
            paid_at=iso(t0 - 2 * H), items=[{"listing_id": "l_towel", "qty": 1, "price_fen": 1500}]),
    ]


def seed(anxin: Anxin) -> World:
    result = anxin.ingestion.ingest(events())
    assert not result.rejected, result.as_dict()
    key = lambda role, subject: anxin.access.create_key(role, subject)[1]  # noqa: E731
    return World(consumer=key("consumer", "c1"), other_consumer=key("consumer", "c2"),
                  merchant=key("merchant", "m1"), other_merchant=key("merchant", "m2"),
                  operator=key("operator", "ops1"))


def png_bytes(colour: tuple[int, int, int] = (220, 60, 60)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buf, format="PNG")
    return buf.getvalue()


def fulfilment_events(t0: dt.datetime = T0) -> list[dict[str, object]]:
    """Two troubled orders at c1's shop s1: o_late (paid 52 h ago, never collected: a late shipment, ¥6.17 coupon)
    and o_stall (collected 98 h ago, last scan 90 h ago: stalled). The scan location carries markup to escape."""
    iso = lambda at: at.isoformat()  # noqa: E731
    return [
        _ev("l-lamp", "listing.upserted", t0 - 200 * H, listing_id="l_lamp", shop_id="s1", category_id="home",
            title="台灯", price_fen=12345),
        _ev("o5-paid", "order.paid", t0 - 52 * H, order_id="o_late", consumer_id="c1", shop_id="s1", paid_fen=12345,
            paid_at=iso(t0 - 52 * H), items=[{"listing_id": "l_lamp", "qty": 1, "price_fen": 12345}]),
        _ev("o6-paid", "order.paid", t0 - 100 * H, order_id="o_stall", consumer_id="c1", shop_id="s1",
            paid_fen=9900, paid_at=iso(t0 - 100 * H), items=[{"listing_id": "l_cup", "qty": 1, "price_fen": 9900}]),
        _ev("o6-shipped", "order.shipped", t0 - 99 * H, order_id="o_stall", carrier="SF", tracking_no="SF3003",
            shipped_at=iso(t0 - 99 * H)),
        _ev("o6-scan-1", "shipment.scanned", t0 - 98 * H, carrier="SF", tracking_no="SF3003", status="picked_up",
            location="杭州", scanned_at=iso(t0 - 98 * H)),
        _ev("o6-scan-2", "shipment.scanned", t0 - 90 * H, carrier="SF", tracking_no="SF3003", status="in_transit",
            location="<b>转运中心</b>", scanned_at=iso(t0 - 90 * H)),
    ]


def seed_fulfilment(anxin: Anxin) -> World:
    """The page world plus the troubled orders, judged by one tick at T0."""
    world = seed(anxin)
    result = anxin.ingestion.ingest(fulfilment_events())
    assert not result.rejected, result.as_dict()
    anxin.tick()
    return world
