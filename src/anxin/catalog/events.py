"""What the catalog publishes: a listing's new version, for contexts that judge listings (governance's listing
compliance checks every applied version's title and description). Pure: other contexts import these to subscribe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.catalog.model import Listing
from anxin.core.events import Event, event


@event("catalog.listing_upserted")
@dataclass(frozen=True)
class ListingUpserted(Event):
    """A `listing.upserted` was applied (new, or newer than the stored version; an older version arriving late is
    ignored and publishes nothing). Recorded by both ingestion paths, once per applied version, in the transaction
    that stores it. ``upserted_at``: the platform event's ``occurred_at``; ``description``: "" when none was sent."""

    listing_id: str
    shop_id: str
    category_id: str
    title: str
    description: str
    upserted_at: dt.datetime

    @classmethod
    def of(cls, listing: Listing, *, at: dt.datetime) -> ListingUpserted:
        return cls(listing.listing_id, listing.shop_id, listing.category_id, listing.title,
                   listing.description or "", at)
