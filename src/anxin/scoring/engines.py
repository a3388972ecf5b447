"""Run the one score definition on DuckDB (default, in-process) or on Spark (local mode or a cluster).

An engine loads the canonical fact tables (Arrow tables read from the operational database, or a
Parquet export), runs the definition's steps in order, keeping each step's result as a table the later
steps read by name, and hands back results as Arrow tables. Missing fact tables load empty.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from anxin.scoring.definition import DIALECTS, Dialect, Step
from anxin.scoring.facts import FACT_TABLES, FACTS

ENGINES = ("duckdb", "spark")


class ScoringEngine(Protocol):
    dialect: Dialect

    def load_arrow(self, tables: dict[str, pa.Table]) -> None: ...
    def load_parquet(self, path: Path) -> None: ...
    def run(self, steps: Iterable[Step], progress: Callable[[Step], None] | None = None) -> None: ...
    def fetch(self, name: str) -> pa.Table: ...
    def query(self, sql: str) -> pa.Table: ...
    def close(self) -> None: ...


def parquet_paths(root: Path) -> dict[str, str | None]:
    """Each fact table's Parquet input under ``root``: ``name.parquet`` or a folder ``name/`` of parts."""
    out: dict[str, str | None] = {}
    for t in FACT_TABLES:
        single, folder = root / f"{t.name}.parquet", root / t.name
        out[t.name] = str(single) if single.is_file() else (
            str(folder / "*.parquet") if folder.is_dir() and any(folder.glob("*.parquet")) else None)
    return out


class DuckDBEngine:
    dialect = DIALECTS["duckdb"]

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None,
                 temp_directory: str | None = None) -> None:
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        if temp_directory:
            config["temp_directory"] = temp_directory
        self.con = duckdb.connect(":memory:", config=config)
        self._arrow: dict[str, pa.Table] = {}

    def load_arrow(self, tables: dict[str, pa.Table]) -> None:
        for t in FACT_TABLES:
            table = tables.get(t.name, t.schema.empty_table())
            self._arrow[t.name] = table
            self.con.register(f"_arrow_{t.name}", table)
            self.con.execute(f"CREATE OR REPLACE VIEW {t.name} AS SELECT * FROM _arrow_{t.name}")

    def load_parquet(self, path: Path) -> None:
        for name, glob in parquet_paths(Path(path)).items():
            if glob is None:
                self.con.register(f"_arrow_{name}", FACTS[name].schema.empty_table())
                self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM _arrow_{name}")
            else:
                self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{glob}')")

    def run(self, steps: Iterable[Step], progress: Callable[[Step], None] | None = None) -> None:
        for step in steps:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {step.name} AS {step.sql}")
            if progress:
                progress(step)

    def fetch(self, name: str) -> pa.Table:
        return self.query(f"SELECT * FROM {name}")

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """PySpark in local mode by default; ``master`` points it at a cluster (``spark://…``, ``yarn``)."""

    dialect = DIALECTS["spark"]

    def __init__(self, *, master: str | None = None, shuffle_partitions: int = 4) -> None:
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter, not any python3
        self.spark = (SparkSession.builder.master(master or os.environ.get("ANXIN_SPARK_MASTER", "local[2]"))
                      .appName("anxin-score")
                      .config("spark.sql.session.timeZone", "UTC")
                      .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
                      .config("spark.ui.enabled", "false")
                      .config("spark.driver.memory", os.environ.get("ANXIN_SPARK_DRIVER_MEMORY", "2g"))
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")
        self._cached: list[Any] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def load_arrow(self, tables: dict[str, pa.Table]) -> None:
        # Through Parquet, as a cluster would read it: a DataFrame made from local data carries the rows
        # inside its plan, which Spark prints when it caches (a heap overflow at a few thousand rows).
        import pyarrow.parquet as pq

        self._tmp = tempfile.TemporaryDirectory(prefix="anxin-spark-")
        for t in FACT_TABLES:
            pq.write_table(tables.get(t.name, t.schema.empty_table()).cast(t.schema),
                           Path(self._tmp.name) / f"{t.name}.parquet")
        self.load_parquet(Path(self._tmp.name))

    def load_parquet(self, path: Path) -> None:
        for name, glob in parquet_paths(Path(path)).items():
            if glob is None:
                self.spark.createDataFrame([], self._spark_schema(name)).createOrReplaceTempView(name)
            else:
                self.spark.read.parquet(glob.removesuffix("*.parquet") if glob.endswith("*.parquet") else glob
                                        ).createOrReplaceTempView(name)

    def _spark_schema(self, name: str) -> Any:
        from pyspark.sql import types as T

        kinds = {pa.string(): T.StringType(), pa.int64(): T.LongType(), pa.bool_(): T.BooleanType()}
        return T.StructType([T.StructField(f.name, kinds[f.type], True) for f in FACTS[name].schema])

    def run(self, steps: Iterable[Step], progress: Callable[[Step], None] | None = None) -> None:
        for step in steps:
            # Materialise now and cut the lineage: later steps read this result, not a plan that grows with
            # every step (caching the plan instead overflows the driver's heap printing it).
            df = self.spark.sql(step.sql).localCheckpoint(eager=True)
            df.createOrReplaceTempView(step.name)
            self._cached.append(df)
            if progress:
                progress(step)

    def fetch(self, name: str) -> pa.Table:
        return self.query(f"SELECT * FROM {name}")

    def query(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()

    def close(self) -> None:
        for df in self._cached:
            df.unpersist()
        self._cached.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def make_engine(name: str, **options: Any) -> ScoringEngine:
    if name == "duckdb":
        return DuckDBEngine(**options)
    if name == "spark":
        return SparkEngine(**options)
    raise ValueError(f"unknown engine {name!r}: one of {list(ENGINES)}")
