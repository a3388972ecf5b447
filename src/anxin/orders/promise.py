"""The ship-by promise an order gets when it is paid. Pure: facts in, a ``Promise`` value out.

Rules (fulfilment rulebook ``promise`` and RULES.md §3):
- in stock: ``in_stock_hours`` (48) from payment. A listing may promise less, never more; when the listing page
  and the listing setting differ, the shorter promise applies. A longer listing promise is ignored.
- presale: the listing's explicit date. A date already past at payment cannot be kept by anyone, so the item is
  judged as in stock (noted as ``presale_date_passed``) rather than being late the moment it is paid.
- tiered (阶梯发货): spot stock is sold first; an item whose whole quantity fits the spot stock left when the order
  was placed gets the spot promise, otherwise it waits for presale stock and gets the presale promise.
- warehouse (无忧服务): an order whose enrolled items were all reserved from the platform warehouse's stock ships
  within ``warehouse.ship_within_hours`` (24) of payment, basis ``warehouse``, rule ``fulfilment.warehouse``.
- several items: the order's promise is the earliest item promise. One order has one parcel and one tracking
  number (``Order``), so the strictest item sets the pace; a merchant who cannot meet it splits the order upstream.
- exemptions, strictest reason first: the consumer asked to hold the parcel, declared force majeure over the
  origin or destination during the shipping window, or presale (exempt from the in-stock rule until its date).
The promise is computed once, from the facts at payment, and never changes afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from anxin.orders.fulfilment_rules import FulfilmentRulebook
from anxin.orders.model import ItemPromise
from anxin.orders.model import Promise as Promise  # re-exported: the value this rule computes

BASES = ("in_stock_default", "listing_shorter", "presale_date", "tiered_spot", "tiered_presale", "warehouse")
EXEMPTIONS = ("consumer_hold", "force_majeure", "presale_before_date")
RULE_IDS = {
    "in_stock_default": "F.PROMISE.IN_STOCK",
    "listing_shorter": "F.PROMISE.LISTING_SHORTER",
    "presale_date": "F.PROMISE.PRESALE",
    "tiered_spot": "F.PROMISE.TIERED_SPOT",
    "tiered_presale": "F.PROMISE.TIERED_PRESALE",
    "warehouse": "fulfilment.warehouse",
    "consumer_hold": "F.EXEMPT.CONSUMER_HOLD",
    "force_majeure": "F.EXEMPT.FORCE_MAJEURE",
    "presale_before_date": "F.EXEMPT.PRESALE",
}


class PromiseInputError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("cannot compute a promise: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PromiseItem:
    listing_id: str
    qty: int = 1


@dataclass(frozen=True)
class PromiseInput:
    """What is known about the order at the moment it is paid."""

    order_id: str
    paid_at: dt.datetime
    items: tuple[PromiseItem, ...]
    consumer_hold: bool = False  # the consumer asked the merchant to hold the parcel
    destination_region: str | None = None
    origin_region: str | None = None
    from_warehouse: bool = False  # 无忧服务: every enrolled item was reserved from the platform warehouse's stock


@dataclass(frozen=True)
class Tiers:
    """阶梯发货: spot stock first, then presale stock (by a date or a number of hours after payment)."""

    spot_remaining: int  # spot units left just before this order
    spot_hours: int | None = None  # None: the in-stock rule (page/setting/default) applies to spot stock
    presale_ship_by: dt.datetime | None = None
    presale_hours: int | None = None


@dataclass(frozen=True)
class ListingPromise:
    """The listing's promise settings as they stood when the order was placed."""

    listing_id: str
    page_hours: int | None = None  # shown on the listing page
    setting_hours: int | None = None  # in the listing's settings
    presale_ship_by: dt.datetime | None = None
    tiers: Tiers | None = None


def promise_for(order: PromiseInput, listings: Iterable[ListingPromise], rb: FulfilmentRulebook) -> Promise:
    by_id = {lp.listing_id: lp for lp in listings}
    _validate(order, by_id)
    notes: list[str] = []
    if order.from_warehouse:  # the platform's warehouse ships it: its window, whatever the listings promise
        at = order.paid_at + dt.timedelta(hours=rb.warehouse.ship_within_hours)
        items = tuple(ItemPromise(item.listing_id, at, "warehouse", RULE_IDS["warehouse"]) for item in order.items)
    else:
        items = tuple(_item_promise(order.paid_at, item, by_id.get(item.listing_id), rb, notes)
                      for item in order.items)
    # Earliest item wins; ties keep item order, so the result does not depend on dict ordering.
    first = min(range(len(items)), key=lambda i: (items[i].ship_by, i))
    governing = items[first]
    exemption, detail = None, None
    if order.consumer_hold:
        exemption = "consumer_hold"
    else:
        fm = rb.force_majeure_for((order.destination_region, order.origin_region), order.paid_at, governing.ship_by)
        if fm is not None:
            exemption, detail = "force_majeure", f"{fm.region}: {fm.reason}"
        elif governing.basis in ("presale_date", "tiered_presale"):
            exemption = "presale_before_date"
    return Promise(order_id=order.order_id, ship_by=governing.ship_by, basis=governing.basis,
                   rule_id=governing.rule_id, rulebook_version=rb.version, exemption=exemption,
                   exemption_rule_id=RULE_IDS[exemption] if exemption else None, exemption_detail=detail,
                   items=items, notes=tuple(notes))


def _in_stock(paid_at: dt.datetime, listing_id: str, hours: Iterable[int | None],
              rb: FulfilmentRulebook) -> ItemPromise:
    default = rb.promise.in_stock_hours
    shortest = min([h for h in hours if h is not None], default=default)
    if shortest < default:
        return ItemPromise(listing_id, paid_at + dt.timedelta(hours=shortest), "listing_shorter",
                           RULE_IDS["listing_shorter"])
    return ItemPromise(listing_id, paid_at + dt.timedelta(hours=default), "in_stock_default",
                       RULE_IDS["in_stock_default"])


def _item_promise(paid_at: dt.datetime, item: PromiseItem, lp: ListingPromise | None, rb: FulfilmentRulebook,
                  notes: list[str]) -> ItemPromise:
    if lp is None:  # no listing settings sent: the platform default applies
        return _in_stock(paid_at, item.listing_id, (), rb)
    listing_hours = (lp.page_hours, lp.setting_hours)
    if lp.tiers is not None:
        t = lp.tiers
        if item.qty <= t.spot_remaining:
            spot = _in_stock(paid_at, item.listing_id, (*listing_hours, t.spot_hours), rb)
            return ItemPromise(item.listing_id, spot.ship_by, "tiered_spot", RULE_IDS["tiered_spot"])
        presale_at = t.presale_ship_by or paid_at + dt.timedelta(hours=t.presale_hours or 0)
        if presale_at > paid_at:
            return ItemPromise(item.listing_id, presale_at, "tiered_presale", RULE_IDS["tiered_presale"])
        notes.append(f"presale_date_passed:{item.listing_id}")
        return _in_stock(paid_at, item.listing_id, listing_hours, rb)
    if lp.presale_ship_by is not None:
        if lp.presale_ship_by > paid_at:
            return ItemPromise(item.listing_id, lp.presale_ship_by, "presale_date", RULE_IDS["presale_date"])
        notes.append(f"presale_date_passed:{item.listing_id}")
    return _in_stock(paid_at, item.listing_id, listing_hours, rb)


def _aware(value: dt.datetime | None) -> bool:
    return value is None or value.utcoffset() is not None


def _validate(order: PromiseInput, listings: dict[str, ListingPromise]) -> None:
    problems: list[str] = []
    if not _aware(order.paid_at):
        problems.append("paid_at: needs a UTC offset")
    if not order.items:
        problems.append("items: an order needs at least one item")
    problems += [f"items[{i}].qty: must be positive" for i, it in enumerate(order.items) if it.qty <= 0]
    for lid, lp in sorted(listings.items()):
        hours = [("page_hours", lp.page_hours), ("setting_hours", lp.setting_hours)]
        if lp.tiers is not None:
            t = lp.tiers
            hours += [("tiers.spot_hours", t.spot_hours), ("tiers.presale_hours", t.presale_hours)]
            if (t.presale_ship_by is None) == (t.presale_hours is None):
                problems.append(f"{lid}.tiers: give exactly one of presale_ship_by or presale_hours")
            if t.spot_remaining < 0:
                problems.append(f"{lid}.tiers.spot_remaining: must not be negative")
            if lp.presale_ship_by is not None:
                problems.append(f"{lid}: a tiered listing takes its presale date inside tiers")
            if not _aware(t.presale_ship_by):
                problems.append(f"{lid}.tiers.presale_ship_by: needs a UTC offset")
        problems += [f"{lid}.{name}: must be a positive number of hours" for name, h in hours
                     if h is not None and h <= 0]
        if not _aware(lp.presale_ship_by):
            problems.append(f"{lid}.presale_ship_by: needs a UTC offset")
    if problems:
        raise PromiseInputError(problems)
