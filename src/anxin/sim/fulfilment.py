"""Fulfilment ground truth: what the detectors *should* find, from what the simulator meant to happen.

Labels come from the world's plan (when the parcel was really collected, which behaviour a fake shipper used,
which silences were planned), never from running anxin's detectors. Only the promise is computed "as the rules
say" (RULES.md §3, fulfilment rulebook ``promise``), here independently of ``anxin.orders.promise``:
48 h from payment; a listing may promise less, the shorter of page and setting wins; a presale date still
ahead at payment is the promise; a tiered listing promises spot stock like in-stock (its spot hours count
too) and presale stock by its date or hours; several items: the earliest item promise.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from anxin.orders.fulfilment_rules import FulfilmentRulebook
from anxin.sim.events import iso

if TYPE_CHECKING:
    from anxin.sim.engine import Simulation
    from anxin.sim.orders import SimOrder
    from anxin.sim.world import Listing

H = dt.timedelta(hours=1)
ORDER_KINDS = ("late_shipment", "fake_shipment.tracking_reused", "fake_shipment.no_carrier_scan",
               "fake_shipment.never_left_origin", "fake_shipment.route_mismatch", "parcel.stalled",
               "parcel.exception")
LISTING_KINDS = ("listing.repeated_late",)


def _in_stock(paid_at: dt.datetime, hours: tuple[int | None, ...], default: int) -> tuple[dt.datetime, str]:
    shortest = min([h for h in hours if h is not None], default=default)
    if shortest < default:
        return paid_at + shortest * H, "listing_shorter"
    return paid_at + default * H, "in_stock_default"


def presale_at(listing: Listing, tier: str | None, paid_at: dt.datetime) -> dt.datetime | None:
    """When presale stock for this item is promised, if the item waits for presale stock at all."""
    t = listing.tiers
    at: dt.datetime | None = listing.presale_ship_by
    if t is not None:
        if tier != "presale":
            return None
        at = t.presale_ship_by or paid_at + (t.presale_hours or 0) * H
    return at if at is not None and at > paid_at else None


def item_promise(listing: Listing, tier: str | None, paid_at: dt.datetime, default: int) -> tuple[dt.datetime, str]:
    own = (listing.page_hours, listing.ship_within_hours)
    later = presale_at(listing, tier, paid_at)
    if later is not None:
        return later, "tiered_presale" if listing.tiers is not None else "presale_date"
    if listing.tiers is not None and tier != "presale":
        at, _ = _in_stock(paid_at, (*own, listing.tiers.spot_hours), default)
        return at, "tiered_spot"
    return _in_stock(paid_at, own, default)  # including a presale date already past at payment


def promise(order: SimOrder, default_hours: int) -> tuple[dt.datetime, str]:
    """The order's ship-by and its basis: the earliest item promise (ties: the first item)."""
    tiers = order.tiers or (None,) * len(order.items)
    found = [item_promise(li, tier, order.paid_at, default_hours)
             for (li, _, _), tier in zip(order.items, tiers, strict=True)]
    return min(found, key=lambda p: p[0])


def _order_truth(o: SimOrder, rb: FulfilmentRulebook, end: dt.datetime) -> tuple[set[str], dt.datetime | None]:
    det, st = rb.detectors, rb.statuses
    parcel = o.parcel
    # A reused number's scans belong to someone else's parcel: this order's own parcel was never scanned.
    scans = [s for s in parcel.scans if s.at < end] if parcel is not None and parcel.reused_from is None else []
    collected = parcel.scans[0].at if parcel is not None and parcel.reused_from is None and parcel.scans else None
    kinds: set[str] = set()
    # Anxin judges an open window only once the rulebook's grace for late feeds has passed after it: by the end
    # of the run, windows closing later than ``judged`` cannot be known yet. A scan seen before the end settles it.
    judged = end - det.feed_grace
    seen = collected if collected is not None and collected < end else None
    if (o.ship_by is not None and not o.consumer_hold
            and not (o.cancelled_at is not None and o.cancelled_at <= o.ship_by)
            and (seen > o.ship_by if seen is not None else o.ship_by < judged)):
        kinds.add("late_shipment")
    if o.shipped_at is not None:
        window = o.shipped_at + det.fake_no_scan_hours * H
        if seen > window if seen is not None else window < judged:
            kinds.add("fake_shipment.no_carrier_scan")
    if parcel is None:
        return kinds, collected
    if parcel.reused_from is not None:
        kinds.add("fake_shipment.tracking_reused")
    if parcel.fake == "origin_only" and scans and scans[0].at + det.origin_stuck_hours * H < judged:
        kinds.add("fake_shipment.never_left_origin")
    if parcel.fake == "route" and any(s.status in st.last_mile for s in scans):
        kinds.add("fake_shipment.route_mismatch")
    if any(s.status in st.exception for s in scans):
        kinds.add("parcel.exception")
    # Planned silences: more than the stall threshold without a scan while the parcel travels.
    for i, s in enumerate(scans):
        if s.status in st.terminal:
            break
        gap_end = s.at + det.stalled_hours * H
        if parcel.signed_at is not None and parcel.signed_at <= gap_end:
            break
        following = scans[i + 1].at if i + 1 < len(scans) else judged
        if following > gap_end:
            kinds.add("parcel.stalled")
            break
    return kinds, collected


def _repeated_late(late: list[SimOrder], rb: FulfilmentRulebook) -> dict[str, int]:
    """The most late orders of each listing inside any window of the rulebook's length (by ship-by)."""
    window = dt.timedelta(days=rb.detectors.listing_late_window_days)
    by_listing: dict[str, list[dt.datetime]] = {}
    for o in late:
        if o.ship_by is None:  # never so: an order is late only against its ship-by
            continue
        for listing_id in dict.fromkeys(li.listing_id for li, _, _ in o.items):
            by_listing.setdefault(listing_id, []).append(o.ship_by)
    most: dict[str, int] = {}
    for listing_id, times in by_listing.items():
        times.sort()
        most[listing_id] = max(sum(1 for u in times[:i + 1] if u > t - window) for i, t in enumerate(times))
    return most


def fulfilment_truth(sim: Simulation) -> dict[str, Any]:
    rb, end = sim.rules, sim.end
    orders: dict[str, dict[str, Any]] = {}
    late: list[SimOrder] = []
    counts: Counter[str] = Counter()
    for o in sim.orders.all:
        if o.ship_by is None:  # scheduled after the end: never paid within the run
            continue
        kinds, collected = _order_truth(o, rb, end)
        counts.update(kinds)
        if "late_shipment" in kinds:
            late.append(o)
        p = o.parcel
        orders[o.order_id] = {
            "shop_id": o.shop.shop_id, "listing_ids": list(dict.fromkeys(li.listing_id for li, _, _ in o.items)),
            "paid_at": iso(o.paid_at), "ship_by": iso(o.ship_by), "basis": o.basis,
            "exempt": "consumer_hold" if o.consumer_hold else None,
            "shipped_at": iso(o.shipped_at) if o.shipped_at else None,
            "collected_at": iso(collected) if collected else None,
            "cancelled_at": iso(o.cancelled_at) if o.cancelled_at else None,
            "carrier": o.carrier, "tracking_no": o.tracking_no, "fake": p.fake if p else None,
            "reused_from": p.reused_from if p else None, "outcome": p.outcome if p else None,
            "expected": sorted(kinds)}
    threshold = rb.detectors.listing_late_flag_count
    listings = {lid: {"late_orders_in_window": n,
                      "expected": ["listing.repeated_late"] if n > threshold else []}
                for lid, n in sorted(_repeated_late(late, rb).items())}
    counts["listing.repeated_late"] = sum(1 for v in listings.values() if v["expected"])
    return {
        "rulebook_version": rb.version,
        "definitions": {
            "late_shipment": "the real collection (first scan of the order's own parcel) is after the promised "
                             "ship-by, or never happened while the ship-by passed before the end less the "
                             "rulebook's grace for late feeds; not cancelled "
                             "by the ship-by; consumer hold exempt",
            "fake_shipment.tracking_reused": "the merchant uploaded another order's tracking number (another "
                                             "consumer, or another shop)",
            "fake_shipment.no_carrier_scan": f"no scan of the order's own parcel within "
                                             f"{rb.detectors.fake_no_scan_hours} h of the tracking upload",
            "fake_shipment.never_left_origin": "the fake shipper's parcel was only ever scanned in the origin city",
            "fake_shipment.route_mismatch": "the fake shipper's parcel had last-mile scans in another city",
            "parcel.stalled": f"a planned silence of more than {rb.detectors.stalled_hours} h while travelling",
            "parcel.exception": "a lost, returned or refused scan was sent",
            "listing.repeated_late": f"more than {threshold} late orders within "
                                     f"{rb.detectors.listing_late_window_days} days (by ship-by)",
        },
        "counts": {k: counts.get(k, 0) for k in (*ORDER_KINDS, *LISTING_KINDS)},
        "merchants": [{"merchant_id": m.merchant_id, "fake_shipper": bool(m.fake_shipping),
                       "behaviours": list(m.fake_shipping), "fake_share": round(m.fake_share, 4)}
                      for m in sim.world.merchants],
        "orders": orders,
        "listings": listings,
    }
