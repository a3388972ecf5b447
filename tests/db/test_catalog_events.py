"""catalog.listing_upserted: recorded once per applied version of a listing, on the per-event and the bulk path,
in the transaction that stores it; never for an older version arriving late, a replay, or a parked event until it
is released. Published with no subscriber, it is dropped, not logged."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from tests.db.builders import T0, H, category, listing, shop
from tests.db.test_ingest_bulk import per_event, random_stream, wipe

from anxin.catalog.events import ListingUpserted
from anxin.db.tables import metadata
from anxin.db.uow import UnitOfWork

pytestmark = pytest.mark.db


class SpyingFactory:
    """The real unit-of-work factory, keeping every unit of work it opens (their ``published`` events)."""

    def __init__(self, inner: Callable[[], UnitOfWork]) -> None:
        self.inner = inner
        self.opened: list[UnitOfWork] = []

    def __call__(self) -> UnitOfWork:
        uow = self.inner()
        self.opened.append(uow)
        return uow

    def listing_events(self) -> list[ListingUpserted]:
        return [e for uow in self.opened for e in uow.published if isinstance(e, ListingUpserted)]


@pytest.fixture
def spy(anxin: Any) -> SpyingFactory:
    spying = SpyingFactory(anxin.ingestion.uow_factory)
    anxin.ingestion.uow_factory = spying
    return spying


def _described(listing_id: str, title: str, description: str | None, *, at: dt.datetime, id: str) -> dict[str, Any]:
    ev = listing(listing_id, "s1", "cat_general", title=title, id=id, at=at)
    if description is not None:
        ev["data"]["description"] = description
    return ev


def _stream() -> list[dict[str, Any]]:
    """l1 new, then newer (applied), then an older version late (ignored), then a replay; l2 parked on its shop."""
    return [
        category("cat_general", id="e_cat"), shop("s1", id="e_s1"),
        _described("l1", "面霜", "保湿滋润。", at=T0, id="e1"),
        _described("l1", "面霜 祛痘消炎", "全网最低价！", at=T0 + 2 * H, id="e2"),
        _described("l1", "面霜 旧版", None, at=T0 + H, id="e3"),  # older than e2: ignored
        _described("l1", "面霜 祛痘消炎", "全网最低价！", at=T0 + 2 * H, id="e2"),  # a replay
        {**listing("l2", "s2", "cat_general", title="连衣裙", id="e4", at=T0)},  # waits for s2
        shop("s2", id="e_s2"),  # releases l2
    ]


EXPECTED = [("l1", "面霜", "保湿滋润。", T0), ("l1", "面霜 祛痘消炎", "全网最低价！", T0 + 2 * H),
            ("l2", "连衣裙", "", T0)]


def _seen(events: list[ListingUpserted]) -> list[tuple[str, str, str, dt.datetime]]:
    return [(e.listing_id, e.title, e.description, e.upserted_at) for e in events]


def _logged(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(metadata.tables["domain_events"])
                           .where(metadata.tables["domain_events"].c.name == "catalog.listing_upserted")) or 0


@pytest.mark.parametrize("path", ["per_event", "bulk", "bulk_in_chunks_of_2"])
def test_one_event_per_applied_version_and_none_for_an_older_one(anxin: Any, engine: sa.Engine, spy: SpyingFactory,
                                                                  path: str) -> None:
    events = _stream()
    if path == "per_event":
        result = anxin.ingestion.ingest(events)
    else:
        result = anxin.ingestion.ingest_bulk(events, chunk_size=2 if path.endswith("2") else 10_000)
    assert (result.applied, result.pending, result.duplicates, result.released) == (6, 1, 1, 1)
    assert _seen(spy.listing_events()) == EXPECTED
    assert all(e.shop_id == ("s1" if e.listing_id == "l1" else "s2") and e.category_id == "cat_general"
               for e in spy.listing_events())
    # Each was recorded in the unit of work that stored the listing and logged there (governance's listing check
    # subscribes), once.
    assert _logged(engine) == len(spy.listing_events())
    # The same stream again: every event is a duplicate, nothing is applied, nothing is published.
    spy.opened.clear()
    again = anxin.ingestion.ingest_bulk(copy.deepcopy(events)) if path != "per_event" else \
        anxin.ingestion.ingest(copy.deepcopy(events))
    assert again.applied == 0 and spy.listing_events() == []


def test_an_older_version_alone_publishes_nothing(anxin: Any, spy: SpyingFactory) -> None:
    anxin.ingestion.ingest([category("cat_general"), shop("s1"), _described("l1", "新", "新版", at=T0 + H, id="n")])
    spy.opened.clear()
    anxin.ingestion.ingest_bulk([_described("l1", "旧", "旧版", at=T0, id="o")])
    anxin.ingestion.ingest([_described("l1", "更旧", None, at=T0 - H, id="oo")])
    assert spy.listing_events() == []
    anxin.ingestion.ingest_bulk([_described("l1", "同时", "", at=T0 + H, id="same")])  # not older: applied
    assert _seen(spy.listing_events()) == [("l1", "同时", "", T0 + H)]


@pytest.mark.parametrize(("seed", "chunk"), [(1, 10_000), (3, 5)])
def test_both_paths_publish_the_same_events_on_random_streams(anxin: Any, engine: sa.Engine, spy: SpyingFactory,
                                                              seed: int, chunk: int) -> None:
    events = random_stream(seed)
    per_event(anxin, copy.deepcopy(events))
    want = spy.listing_events()
    spy.opened.clear()
    wipe(engine)
    anxin.ingestion.ingest_bulk(copy.deepcopy(events), chunk_size=chunk)
    got = spy.listing_events()
    assert got == want
    assert len(want) >= 4  # the stream applies listings, some released from parking
