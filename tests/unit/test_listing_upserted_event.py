"""catalog.listing_upserted: what it carries, and that it survives the event log's JSON round trip."""

from __future__ import annotations

import datetime as dt

import pytest

from anxin.catalog.events import ListingUpserted
from anxin.catalog.model import Listing
from anxin.core.events import event_name, from_payload, to_payload

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("description", "carried"), [(None, ""), ("", ""), ("全网最低价！", "全网最低价！")])
def test_the_event_of_an_applied_version(description: str | None, carried: str) -> None:
    listing = Listing("l1", "s1", "c1", "面霜 祛痘消炎", 9900, None, description=description)
    ev = ListingUpserted.of(listing, at=T0)
    assert (ev.listing_id, ev.shop_id, ev.category_id, ev.title, ev.description, ev.upserted_at) == (
        "l1", "s1", "c1", "面霜 祛痘消炎", carried, T0)
    assert event_name(ev) == "catalog.listing_upserted"
    assert from_payload("catalog.listing_upserted", to_payload(ev)) == ev
