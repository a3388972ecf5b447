"""The settlement job's cursors are read off an index in their order (no sort of every pending order per batch):
the statements the store really runs, explained on the database under test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from anxin.bootstrap import Anxin
from anxin.orders.stats_store import ShopStatsRepository

pytestmark = pytest.mark.db


def _plan(anxin: Anxin, read: Callable[[ShopStatsRepository], Any]) -> str:
    """EXPLAIN of the one statement ``read`` runs, with its own parameters."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        seen.append((statement, params))

    sa.event.listen(anxin.engine, "before_cursor_execute", capture)
    try:
        with anxin.uow_factory() as uow:
            read(ShopStatsRepository(uow.session))
    finally:
        sa.event.remove(anxin.engine, "before_cursor_execute", capture)
    [(statement, params)] = [s for s in seen if s[0].lstrip().upper().startswith("SELECT")]
    with anxin.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
            return "\n".join(str(r[-1]) for r in rows)
        # PostgreSQL picks by statistics (a seq scan and a sort win on a tiny table): forbid both, then an
        # index must give the order by itself.
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET enable_sort = off")
        conn.exec_driver_sql("SET enable_incremental_sort = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, params).all()
        conn.rollback()
        return "\n".join(str(r[0]) for r in rows)


def test_unsettled_orders_are_read_off_their_index_in_order(anxin: Anxin) -> None:
    plan = _plan(anxin, lambda repo: repo.unsettled(500))
    assert "ix_orders_unsettled" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_cancellations_are_read_off_the_settle_index_not_by_walking_settled_orders(anxin: Anxin) -> None:
    plan = _plan(anxin, lambda repo: repo.cancelled_unsettled(500))
    assert "ix_orders_settle" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
