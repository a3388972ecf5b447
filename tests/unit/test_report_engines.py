"""One report definition, two engines: DuckDB and Spark (local mode) give the same figures from the same snapshot,
the hand-worked one (with and without care's tables) and a synthetic one of 20,000 orders. Spark takes minutes here
(2 shared cores): marked slow."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.report_facts import tables

from anxin.reports.engines import DuckDBEngine, ReportEngine, SparkEngine
from anxin.reports.figures import compute
from anxin.reports.model import Figure, parse_period, windows
from anxin.reports.snapshots import Snapshot, write_snapshot
from anxin.reports.synthetic import synthetic_facts

NOV, OCT = parse_period("2026-11"), parse_period("2026-10")
MAIN, OTHER = windows(NOV, OCT, dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


def _figures(engine: ReportEngine, snap: Snapshot) -> tuple[Figure, ...]:
    engine.load(snap.root)
    figures, _ = compute(engine, MAIN, OTHER, snap.optional)
    return figures


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> list[Snapshot]:
    root = tmp_path_factory.mktemp("snapshots")
    assert OTHER is not None
    return [write_snapshot(tables(), root, since=OCT.start, until=NOV.end),
            write_snapshot(tables(care=False), root, since=OCT.start, until=NOV.end),
            write_snapshot(synthetic_facts(20_000, since=OTHER.lo, until=MAIN.hi, seed=11), root,
                           since=OCT.start, until=NOV.end)]


def test_the_synthetic_snapshot_gives_a_value_for_every_figure(snapshots: list[Snapshot]) -> None:
    figures = _figures(DuckDBEngine(), snapshots[2])
    assert len(figures) == 19 and all(f.value is not None and f.compare is not None for f in figures)
    assert sum(1 for f in figures if len(f.series) >= 28) >= 8  # daily points over the month


@pytest.mark.slow
def test_duckdb_and_spark_give_identical_figures(snapshots: list[Snapshot]) -> None:
    if shutil.which("java") is None:  # pragma: no cover - CI has Java 17
        pytest.skip("Spark needs Java (17+)")
    spark: Any = SparkEngine()
    try:
        for snap in snapshots:
            duck = _figures(DuckDBEngine(), snap)
            assert _figures(spark, snap) == duck, snap.root
    finally:
        spark.close()


def test_an_absent_table_loads_empty(tmp_path: Path, snapshots: list[Snapshot]) -> None:
    snap = snapshots[1]
    eng = DuckDBEngine()
    eng.load(snap.root)
    assert eng.query("SELECT COUNT(*) AS n FROM satisfaction").column(0)[0].as_py() == 0
