"""Read a graph for the anomaly detector from plain tables: a node table and an edge list, CSV or Parquet.

Node table: one row per node — an id column, an optional label column (1 anomalous, 0 normal, empty = unlabelled:
the node is in the graph but in no train/validation/test part), an optional split column (``train``, ``val`` /
``validation``, ``test``, empty = none; fixes the parts instead of random stratified splits) and numeric feature
columns (every other column, or those named). Edge list: a source and a destination column naming node ids, and
an optional weight column (non-negative numbers). Ids are compared as text, so ``7`` in one file matches ``7``
in the other whichever the column types are.

Bipartite graphs (``bipartite=True``): the source column names nodes of the node table (accounts), the
destination column names entities of another kind (devices, addresses) that have no row and no features; the
detector's means then run node → entity → node.

Every problem raises :class:`GraphTableError` with a stable ``code`` (``gad.<what>``) and a message naming the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from anxin.risk.gad import TEST, TRAIN, UNLABELLED, VALIDATION, Graph

SPLIT_VALUES = {"train": TRAIN, "val": VALIDATION, "validation": VALIDATION, "valid": VALIDATION, "test": TEST}


class GraphTableError(ValueError):
    """A node table or edge list the detector cannot use; ``code`` is stable, the message says what and where."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class TableSpec:
    """Column names of the two tables (``features=None``: every node column that is not id, label or split)."""

    id: str = "id"
    label: str | None = "label"  # None: no labels (the graph can be scored, not evaluated)
    split: str | None = None
    features: Sequence[str] | None = None
    src: str = "src"
    dst: str = "dst"
    weight: str | None = None
    bipartite: bool = False
    undirected: bool = True


@dataclass(frozen=True)
class LoadedGraph:
    graph: Graph
    ids: list[str]  # node ids, in row order of the graph
    feature_names: list[str]
    entities: list[str]  # bipartite: the entity ids, in index order; empty otherwise


def read_table(path: Path, text_columns: Sequence[str] = ()) -> pa.Table:
    """A CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``, ``.pq``) file as an Arrow table; the
    ``text_columns`` (ids) are read as text."""
    name = path.name.lower()
    if not path.is_file():
        raise GraphTableError("gad.no_file", f"no file at {path}")
    try:
        if name.endswith((".csv", ".csv.gz")):
            types = {c: pa.string() for c in text_columns}  # ignored for a column the file does not have
            return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
        if name.endswith((".parquet", ".pq")):
            return pq.read_table(path)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise GraphTableError("gad.unreadable", f"{path}: not a readable table ({exc})") from exc
    raise GraphTableError("gad.unknown_format", f"{path}: give a .csv, .csv.gz, .parquet or .pq file")


def _column(table: pa.Table, path: Path, name: str, role: str) -> pa.ChunkedArray:
    if name not in table.column_names:
        raise GraphTableError("gad.missing_column", f"{path}: no {role} column {name!r} "
                                                    f"(columns: {', '.join(table.column_names)})")
    return table.column(name)


def _text(column: pa.ChunkedArray, path: Path, name: str) -> list[str]:
    if column.null_count:
        raise GraphTableError("gad.missing_id", f"{path}: column {name!r} has {column.null_count} empty value(s)")
    try:
        values = pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise GraphTableError("gad.bad_id", f"{path}: column {name!r} cannot be read as ids ({exc})") from exc
    return [str(v) for v in values.to_pylist()]


def _numbers(column: pa.ChunkedArray, path: Path, name: str, code: str) -> np.ndarray:
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
            or pa.types.is_boolean(column.type) or pa.types.is_null(column.type)):
        sample = next((v for v in column.to_pylist() if v is not None), None)
        raise GraphTableError(code, f"{path}: column {name!r} is not numeric ({column.type}, e.g. {sample!r})")
    return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _labels(table: pa.Table, path: Path, name: str) -> np.ndarray:
    values = _numbers(_column(table, path, name, "label"), path, name, "gad.bad_label")
    known = ~np.isnan(values)
    if not np.isin(values[known], (0.0, 1.0)).all():
        bad = values[known][~np.isin(values[known], (0.0, 1.0))][0]
        raise GraphTableError("gad.bad_label", f"{path}: label column {name!r} must hold 1 (anomalous), 0 (normal) "
                                               f"or nothing (unlabelled); found {bad:g}")
    return np.where(known, values, UNLABELLED).astype(np.int64)


def _split(table: pa.Table, path: Path, name: str, labels: np.ndarray) -> np.ndarray:
    raw = _column(table, path, name, "split")
    values = pc.cast(raw, pa.string()).to_pylist() if not pa.types.is_null(raw.type) else [None] * len(raw)
    parts = np.full(len(values), UNLABELLED, dtype=np.int64)
    for i, value in enumerate(values):
        text = (value or "").strip().lower()
        if not text:
            continue
        if text not in SPLIT_VALUES:
            raise GraphTableError("gad.bad_split", f"{path}: split column {name!r} row {i + 1} says {value!r}; "
                                                   f"use train, val, test or leave it empty")
        if labels[i] == UNLABELLED:
            raise GraphTableError("gad.bad_split", f"{path}: row {i + 1} is in the {text} part but has no label")
        parts[i] = SPLIT_VALUES[text]
    return parts


def load_tables(nodes_path: Path, edges_path: Path, spec: TableSpec = TableSpec()) -> LoadedGraph:
    """The node table and edge list as a :class:`Graph`, or a :class:`GraphTableError` naming the problem."""
    nodes = read_table(nodes_path, (spec.id,))
    ids = _text(_column(nodes, nodes_path, spec.id, "id"), nodes_path, spec.id)
    if not ids:
        raise GraphTableError("gad.empty", f"{nodes_path}: the node table has no rows")
    index: dict[str, int] = {}
    for row, node in enumerate(ids):
        if node in index:
            raise GraphTableError("gad.duplicate_id", f"{nodes_path}: id {node!r} is on rows {index[node] + 1} "
                                                      f"and {row + 1}")
        index[node] = row
    labels = (_labels(nodes, nodes_path, spec.label) if spec.label is not None
              else np.full(len(ids), UNLABELLED, dtype=np.int64))
    split = _split(nodes, nodes_path, spec.split, labels) if spec.split is not None else None
    reserved = {spec.id, *(c for c in (spec.label, spec.split) if c is not None)}
    names = list(spec.features) if spec.features is not None else [c for c in nodes.column_names
                                                                    if c not in reserved]
    if not names:
        raise GraphTableError("gad.no_features", f"{nodes_path}: no feature columns besides "
                                                 f"{', '.join(sorted(reserved))}")
    columns = []
    for name in names:
        values = _numbers(_column(nodes, nodes_path, name, "feature"), nodes_path, name, "gad.non_numeric_feature")
        if not np.isfinite(values).all():
            raise GraphTableError("gad.missing_feature", f"{nodes_path}: feature column {name!r} has "
                                                         f"{int((~np.isfinite(values)).sum())} empty or "
                                                         f"non-finite value(s)")
        columns.append(values)
    x = np.column_stack(columns)

    edges = read_table(edges_path, (spec.src, spec.dst))
    src_ids = _text(_column(edges, edges_path, spec.src, "source"), edges_path, spec.src)
    dst_ids = _text(_column(edges, edges_path, spec.dst, "destination"), edges_path, spec.dst)
    weight = None
    if spec.weight is not None:
        weight = _numbers(_column(edges, edges_path, spec.weight, "weight"), edges_path, spec.weight,
                          "gad.bad_weight")
        if not np.isfinite(weight).all() or (weight < 0).any():
            raise GraphTableError("gad.bad_weight", f"{edges_path}: weight column {spec.weight!r} needs finite "
                                                    f"non-negative numbers in every row")
    src = _lookup(src_ids, index, edges_path, spec.src, nodes_path)
    entities: list[str] = []
    if spec.bipartite:
        entity_index: dict[str, int] = {}
        dst = np.array([entity_index.setdefault(e, len(entity_index)) for e in dst_ids], dtype=np.int64)
        entities = list(entity_index)
    else:
        dst = _lookup(dst_ids, index, edges_path, spec.dst, nodes_path)
    try:
        graph = Graph.build(x, src, dst, labels, weight=weight, split=split,
                            n_entities=len(entities) if spec.bipartite else None, undirected=spec.undirected)
    except ValueError as exc:
        raise GraphTableError("gad.bad_graph", f"{nodes_path}, {edges_path}: {exc}") from exc
    return LoadedGraph(graph, ids, names, entities)


def _lookup(values: list[str], index: dict[str, int], path: Path, column: str, nodes_path: Path) -> np.ndarray:
    rows = np.array([index.get(v, -1) for v in values], dtype=np.int64)
    unknown = np.flatnonzero(rows < 0)
    if unknown.size:
        first = int(unknown[0])
        raise GraphTableError("gad.unknown_node", f"{path}: {unknown.size} edge(s) name a node id in {column!r} "
                                                  f"that {nodes_path.name} does not have, e.g. {values[first]!r} "
                                                  f"on row {first + 1}")
    return rows
