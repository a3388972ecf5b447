"""Reference data (shops, listing tags) served from the in-process cache, and every change seen right after it
commits: in the same process, in a second process on the same database (a second bootstrap, its own engine and
cache), from threads, and inside the transaction that makes the change."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.db.builders import MIN, T0, category, listing, shop

from anxin.bootstrap import Anxin, bootstrap
from anxin.catalog import service as catalog
from anxin.core.clock import FixedClock
from anxin.db import refcache
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings
from anxin.shops import service as shops
from anxin.shops.model import Shop
from anxin.shops.store import ShopRepository

pytestmark = pytest.mark.db


def _ingest(anxin: Anxin, *events: dict[str, Any]) -> None:
    result = anxin.ingestion.ingest(list(events))
    assert not result.rejected and not result.pending, result.as_dict()


def _shop(anxin: Anxin, shop_id: str = "s1") -> Shop | None:
    with anxin.uow_factory() as uow:
        return shops.get_shop(uow, shop_id)


def _tags(anxin: Anxin, listing_id: str = "l1") -> frozenset[str]:
    with anxin.uow_factory() as uow:
        return catalog.tags_for_listing(uow, listing_id)


@contextmanager
def _statements(engine: sa.Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def second(anxin: Anxin, engine: sa.Engine, clock: FixedClock, tmp_path: Path) -> Iterator[Anxin]:
    """Another process on the same database: its own engine (so its own cache), as a second server would have."""
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        evidence_dir=tmp_path / "evidence2", webhook_url="http://127.0.0.1:9/unused",
                        webhook_secret="test-secret")
    other = bootstrap(settings=settings, clock=clock, transport=RecordingTransport(), run_migrations=False)
    assert other.engine is not engine
    yield other
    other.engine.dispose()


def _seed(anxin: Anxin) -> None:
    _ingest(anxin, category("fruit", tags=["fresh"]), category("toys"), shop("s1", "m1", services=["anxin_gou"]),
            listing("l1", "s1", "fruit"))


def test_a_cached_shop_is_read_without_touching_its_table(anxin: Anxin, engine: sa.Engine) -> None:
    _seed(anxin)
    assert _shop(anxin).services == frozenset({"anxin_gou"})  # type: ignore[union-attr]
    assert _tags(anxin) == frozenset({"fresh"})
    with _statements(engine) as seen:
        assert _shop(anxin).merchant_id == "m1"  # type: ignore[union-attr]
        assert _tags(anxin) == frozenset({"fresh"})
    assert not [s for s in seen if "FROM shops" in s or "FROM listings" in s or "FROM categories" in s], seen
    assert len([s for s in seen if "ref_generations" in s]) == 2  # one small read per transaction


def test_a_shop_change_is_seen_after_the_event_in_this_and_another_process(anxin: Anxin, second: Anxin) -> None:
    _seed(anxin)
    assert _shop(anxin).services == frozenset({"anxin_gou"})  # type: ignore[union-attr]
    assert _shop(second).services == frozenset({"anxin_gou"})  # type: ignore[union-attr]
    _ingest(anxin, shop("s1", "m1", services=[], at=T0 + MIN))
    assert _shop(anxin).services == frozenset()  # type: ignore[union-attr]
    assert _shop(second).services == frozenset()  # type: ignore[union-attr]
    _ingest(second, shop("s1", "m2", services=["pickup"], at=T0 + 2 * MIN))  # the other way round
    assert (_shop(anxin).merchant_id, _shop(second).merchant_id) == ("m2", "m2")  # type: ignore[union-attr]


def test_listing_and_category_changes_are_seen_after_the_event(anxin: Anxin, second: Anxin) -> None:
    _seed(anxin)
    assert _tags(anxin) == _tags(second) == frozenset({"fresh"})
    _ingest(anxin, listing("l1", "s1", "toys", at=T0 + MIN))  # the listing moves category
    assert _tags(anxin) == _tags(second) == frozenset()
    _ingest(second, category("toys", tags=["small_parts"], at=T0 + MIN))  # its category gains a tag
    assert _tags(anxin) == _tags(second) == frozenset({"small_parts"})


def test_bulk_ingestion_invalidates_too(anxin: Anxin, second: Anxin) -> None:
    _seed(anxin)
    assert _shop(second).services == frozenset({"anxin_gou"})  # type: ignore[union-attr]
    assert _tags(second) == frozenset({"fresh"})
    result = anxin.ingestion.ingest_bulk([shop("s1", "m1", services=["pickup"], at=T0 + MIN),
                                          category("fruit", tags=["fresh", "perishable"], at=T0 + MIN)])
    assert not result.rejected, result
    assert _shop(second).services == frozenset({"pickup"})  # type: ignore[union-attr]
    assert _tags(second) == frozenset({"fresh", "perishable"})


def test_a_change_through_the_orm_outside_ingestion_is_seen(anxin: Anxin, second: Anxin) -> None:
    """What a transfer does: set the owner on the loaded row, no event."""
    _seed(anxin)
    assert _shop(second).merchant_id == "m1"  # type: ignore[union-attr]
    with anxin.uow_factory() as uow:
        row = ShopRepository(uow.session).get("s1")
        assert row is not None
        row.merchant_id = "m_new"
        uow.commit()
    assert _shop(second).merchant_id == "m_new"  # type: ignore[union-attr]
    assert _shop(anxin).merchant_id == "m_new"  # type: ignore[union-attr]


def test_the_changing_transaction_reads_its_own_change_and_a_rollback_leaves_the_cache_right(anxin: Anxin) -> None:
    _seed(anxin)
    assert _shop(anxin).merchant_id == "m1"  # type: ignore[union-attr]
    with anxin.uow_factory() as uow:
        shops.upsert_shop(uow, Shop("s1", "m9", "Shop s1", "enterprise", frozenset()), as_of=T0 + MIN)
        assert shops.get_shop(uow, "s1").merchant_id == "m9"  # type: ignore[union-attr]  # not yet flushed
        uow.session.flush()
        assert shops.get_shop(uow, "s1").merchant_id == "m9"  # type: ignore[union-attr]
        shops.upsert_shop(uow, Shop("s2", "m9", "Shop s2", "enterprise", frozenset()), as_of=T0 + MIN)
        assert shops.get_shop(uow, "s2") is not None
        # no commit: rolled back
    assert _shop(anxin).merchant_id == "m1"  # type: ignore[union-attr]
    assert _shop(anxin, "s2") is None


def test_a_change_made_in_a_savepoint_bumps_at_the_outer_commit(anxin: Anxin, second: Anxin) -> None:
    _seed(anxin)
    assert _shop(second).services == frozenset({"anxin_gou"})  # type: ignore[union-attr]
    with anxin.uow_factory() as uow:
        with uow.savepoint():
            shops.upsert_shop(uow, Shop("s1", "m1", "Shop s1", "enterprise", frozenset({"pickup"})),
                                  as_of=T0 + MIN)
        uow.commit()
    assert _shop(second).services == frozenset({"pickup"})  # type: ignore[union-attr]


def test_counters_recreated_from_scratch_never_match_an_earlier_table(anxin: Anxin, engine: sa.Engine) -> None:
    _seed(anxin)
    with anxin.uow_factory() as uow:
        first = dict(refcache.generations(uow.session))
    assert set(first) >= {"shops", "listings", "categories"}
    with engine.begin() as conn:
        conn.execute(sa.delete(refcache.GenerationRow.__table__))
    _ingest(anxin, shop("s1", "m1", services=[], at=T0 + MIN))
    with anxin.uow_factory() as uow:
        assert refcache.generations(uow.session)["shops"] != first["shops"]
    assert _shop(anxin).services == frozenset()  # type: ignore[union-attr]


def test_threads_never_read_a_shop_older_than_the_last_commit(anxin: Anxin, second: Anxin) -> None:
    """Readers in both processes, a writer bumping the shop's name: a read begun after a commit sees it."""
    _seed(anxin)
    committed = [0]
    errors: list[str] = []
    stop = threading.Event()

    def reader(app: Anxin) -> None:
        while not stop.is_set():
            floor = committed[0]
            name = _shop(app).name  # type: ignore[union-attr]
            got = int(name[len("Shop v"):]) if name.startswith("Shop v") else 0
            if got < floor:
                errors.append(f"read v{got} after v{floor} was committed")

    threads = [threading.Thread(target=reader, args=(app,)) for app in (anxin, anxin, second, second)]
    for t in threads:
        t.start()
    try:
        for v in range(1, 31):
            with anxin.uow_factory() as uow:
                shops.upsert_shop(uow, Shop("s1", "m1", f"Shop v{v}", "enterprise", frozenset()),
                                      as_of=T0 + v * MIN)
                uow.commit()
            committed[0] = v
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:5]
    assert _shop(second).name == "Shop v30"  # type: ignore[union-attr]
