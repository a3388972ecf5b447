"""One definition, two engines: DuckDB and Spark (local mode) give identical scores on the same data."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from anxin.scoring.definition import OUTPUTS, all_steps
from anxin.scoring.engines import DuckDBEngine, SparkEngine
from anxin.scoring.rulebook import RULEBOOKS, ScoreRulebook, load_score_rulebook
from anxin.scoring.synthetic import synthetic_facts, write_parquet

AS_OF = dt.date(2026, 11, 2)

if shutil.which("java") is None:  # pragma: no cover - CI has Java 17
    pytest.skip("Spark needs Java (17+): not on this machine", allow_module_level=True)


@pytest.fixture(scope="module")
def spark() -> Any:
    eng = SparkEngine()
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rb = load_score_rulebook()
    tables, _ = synthetic_facts(30_000, seed=11, end=rb.day_end(AS_OF), days=130)
    root = tmp_path_factory.mktemp("facts")
    write_parquet(tables, root, row_group_size=7_000)
    return root


def _cell(key: str, value: Any) -> Any:
    # The shrunk value is a chain of float sums that each engine (and each source's row order) adds up in its own
    # order: compared to 10 significant digits; every other column exactly.
    return float(f"{value:.10g}") if key == "adjusted" and value is not None else value


def canonical(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((tuple(sorted((k, _cell(k, v)) for k, v in r.items())) for r in rows), key=repr)


def results(engine: Any, rb: ScoreRulebook, root: Path) -> dict[str, list[tuple[Any, ...]]]:
    engine.load_parquet(root)
    end = rb.day_end(AS_OF)
    steps = all_steps(rb, engine.dialect, end)
    engine.run(steps)
    return {n: canonical(engine.fetch(n).to_pylist()) for n in OUTPUTS if any(s.name == n for s in steps)}


@pytest.mark.parametrize("book", ["scores.yaml", "scores-legacy.yaml"])
def test_duckdb_and_spark_give_identical_scores(spark: Any, facts: Path, book: str) -> None:
    rb = load_score_rulebook(RULEBOOKS / book)
    duck = results(DuckDBEngine(), rb, facts)
    on_spark = results(spark, rb, facts)
    assert duck.keys() == on_spark.keys()
    for name in duck:
        assert len(duck[name]) > 0, name
        assert duck[name] == on_spark[name], name
    scored = [r for r in duck["merchant_scores"] if dict(r)["total_x100"] is not None]
    assert len(scored) > 20  # a real comparison, not two empty answers


def test_parquet_and_arrow_sources_agree(facts: Path) -> None:
    import pyarrow.parquet as pq

    rb = load_score_rulebook()
    from_files = results(DuckDBEngine(), rb, facts)
    eng = DuckDBEngine()
    eng.load_arrow({p.stem: pq.read_table(p) for p in facts.glob("*.parquet")})
    end = rb.day_end(AS_OF)
    eng.run(all_steps(rb, eng.dialect, end))
    assert {n: canonical(eng.fetch(n).to_pylist()) for n in from_files} == from_files
