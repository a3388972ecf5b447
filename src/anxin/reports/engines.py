"""Run the report's SQL on DuckDB (default, in-process) or on Spark (local mode or a cluster) over a snapshot.

A snapshot is a folder of Parquet files, one per fact table (``facts.FACT_TABLES``, ``<name>.parquet`` or a
folder ``<name>/`` of parts); a table without a file loads empty with its schema, so every figure's SQL finds
every table it names. Results come back as Arrow tables.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from anxin.reports.definition import DIALECTS, Dialect
from anxin.reports.facts import FACT_TABLES, FACTS

ENGINES = ("duckdb", "spark")


class ReportEngine(Protocol):
    dialect: Dialect

    def load(self, root: Path) -> None: ...
    def query(self, sql: str) -> pa.Table: ...
    def close(self) -> None: ...


def parquet_paths(root: Path) -> dict[str, str | None]:
    """Each fact table's Parquet input under ``root``: ``name.parquet``, a folder ``name/`` of parts, or None."""
    out: dict[str, str | None] = {}
    for t in FACT_TABLES:
        single, folder = root / f"{t.name}.parquet", root / t.name
        out[t.name] = str(single) if single.is_file() else (
            str(folder / "*.parquet") if folder.is_dir() and any(folder.glob("*.parquet")) else None)
    return out


class DuckDBEngine:
    dialect = DIALECTS["duckdb"]

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.con = duckdb.connect(":memory:", config=config)

    def load(self, root: Path) -> None:
        for name, glob in parquet_paths(Path(root)).items():
            if glob is None:
                self.con.register(f"_empty_{name}", FACTS[name].schema.empty_table())
                self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM _empty_{name}")
            else:
                path = glob.replace("'", "''")
                self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{path}')")

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """PySpark in local mode by default; ``master`` (or ANXIN_SPARK_MASTER) points it at a cluster."""

    dialect = DIALECTS["spark"]

    def __init__(self, *, master: str | None = None, shuffle_partitions: int = 4) -> None:
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        self.spark = (SparkSession.builder.master(master or os.environ.get("ANXIN_SPARK_MASTER", "local[2]"))
                      .appName("anxin-report")
                      .config("spark.sql.session.timeZone", "UTC")
                      .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
                      .config("spark.ui.enabled", "false")
                      .config("spark.ui.showConsoleProgress", "false")
                      .config("spark.driver.memory", os.environ.get("ANXIN_SPARK_DRIVER_MEMORY", "2g"))
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")

    def load(self, root: Path) -> None:
        for name, glob in parquet_paths(Path(root)).items():
            if glob is None:
                self.spark.createDataFrame([], self._schema(name)).createOrReplaceTempView(name)
            else:
                self.spark.read.parquet(glob.removesuffix("*.parquet")).createOrReplaceTempView(name)

    def _schema(self, name: str) -> Any:
        from pyspark.sql import types as T

        kinds = {pa.string(): T.StringType(), pa.int64(): T.LongType(), pa.bool_(): T.BooleanType()}
        return T.StructType([T.StructField(f.name, kinds[f.type], True) for f in FACTS[name].schema])

    def query(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()

    def close(self) -> None:
        """The session stays up for the next report in this process (starting one costs seconds)."""


def make_engine(name: str, **options: Any) -> ReportEngine:
    if name == "duckdb":
        return DuckDBEngine(**options)
    if name == "spark":
        return SparkEngine(**options)
    raise ValueError(f"unknown engine {name!r}: one of {list(ENGINES)}")
