"""What governance did to whom in a simulated run, against the latent truth (the ``governance`` section of the ground
truth, and what bench/governance_figures.py scores).

A **bad seller** is a merchant cast ``counterfeit`` or ``low_quality``, a fake shipper, or one whose shop writes
dishonest listings. A **bad order** is a placed order of a counterfeit or low-quality seller, an order with a
violating listing (by the listing's text label), or a faked shipment. A seller is **restricted** from the moment
the platform carried out the first action that limits its selling: a takedown of one of its listings, a
``shop.restrict`` of any kind, or ``shop.close`` (whatever the cause: governance measures, risk control's blocks).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from anxin.sim.events import iso
from anxin.sim.governance import BAD_KINDS, bad_seller

if TYPE_CHECKING:
    from anxin.sim.engine import Simulation
    from anxin.sim.orders import SimOrder

LIMITING = ("listing.takedown", "shop.restrict", "shop.close")
THRESHOLDS = (1, 3, 5, 10)


def _violating(listing_ids: tuple[str, ...], labels: dict[str, str]) -> bool:
    return any(labels.get(lid) == "violating" for lid in listing_ids)


def bad_order(order: SimOrder, labels: dict[str, str]) -> bool:
    return (order.shop.merchant.kind in BAD_KINDS or order.fake is not None
            or _violating(tuple(li.listing_id for li, _, _ in order.items), labels))


def governance_truth(sim: Simulation) -> dict[str, Any]:
    actors = sim.governance
    if actors is None:
        return {}
    platform = actors.platform
    labels = {li.listing_id: li.text.label for s in sim.world.shops for li in s.listings if li.text is not None}
    shop_merchant = {s.shop_id: s.merchant.merchant_id for s in sim.world.shops}
    bad_at: dict[str, list[dt.datetime]] = {}
    for order in sim.orders.all:
        if bad_order(order, labels):
            bad_at.setdefault(order.shop.merchant.merchant_id, []).append(order.paid_at)
    first: dict[str, dict[str, Any]] = {}
    for entry in platform.log:
        merchant = shop_merchant.get(entry["shop_id"] or "")
        if merchant is not None and entry["kind"] in LIMITING and merchant not in first:
            first[merchant] = entry
    prevented: dict[str, int] = {}
    merchants_by_id = {m.merchant_id: m for m in sim.world.merchants}
    for _oid, shop_id, _at, _reason, listing_ids in platform.refused_orders:
        seller = merchants_by_id[shop_merchant[shop_id]]
        if seller.kind in BAD_KINDS or _violating(listing_ids, labels):
            prevented[seller.merchant_id] = prevented.get(seller.merchant_id, 0) + 1
    sellers = []
    for m in sim.world.merchants:
        r = first.get(m.merchant_id)
        sellers.append({
            "merchant_id": m.merchant_id, "bad": bad_seller(m), "kind": m.kind, "fake_shipper": bool(m.fake_shipping),
            "dishonest_listings": any(s.dishonest_listings for s in m.shops),
            "bad_orders_at": [iso(t) for t in sorted(bad_at.get(m.merchant_id, []))],
            "bad_orders_refused": prevented.get(m.merchant_id, 0),
            "restricted_at": iso(r["at"]) if r else None,
            "restricted_by": {"kind": r["kind"], "cause": r["cause"]["type"]} if r else None})
    return {"sellers": sellers, "samples": actors.samples, "complaints": actors.complaints,
            "appeals": {k: {**v, "filed_at": iso(v["filed_at"])} for k, v in actors.appeals.items()},
            "violations": actors.violations, "plans": actors.plans, "stats": dict(actors.stats),
            "actions_carried_out": [{**e, "at": iso(e["at"])} for e in platform.log],
            "refused_orders": dict(platform.refused)}


def restricted_before(sellers: list[dict[str, Any]], n: int) -> dict[str, int]:
    """Among sellers: restricted before their n-th bad order (also when restricted and they never had n), reached
    their n-th bad order unrestricted, and neither restricted nor ever reaching n."""
    before = reached = neither = 0
    for s in sellers:
        times, restricted = s["bad_orders_at"], s["restricted_at"]
        nth = times[n - 1] if len(times) >= n else None
        if restricted is not None and (nth is None or dt.datetime.fromisoformat(restricted)
                                       < dt.datetime.fromisoformat(nth)):
            before += 1
        elif nth is not None:
            reached += 1
        else:
            neither += 1
    return {"sellers": len(sellers), "restricted_before": before, "reached_unrestricted": reached,
            "neither": neither}
