"""The fingerprint of a facts snapshot: sha256 over a canonical serialisation, so the same facts give the same
fingerprint whichever database they were read from (SQLite or PostgreSQL), in whatever row order, chunking or
Parquet layout.

Canonical form: a header (format, the snapshot's bounds, which optional tables it holds), then each table in name
order: its name, row count and schema, then its rows sorted by every column (nulls last), column by column:
validity bytes, then the values (int64 little-endian, booleans one byte, strings as int64 byte lengths followed
by their UTF-8 bytes; a null's value is 0, false or empty). Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from anxin.reports.facts import FACTS

FORMAT = "anxin-report-snapshot/1"


def _values(arr: pa.Array) -> bytes:
    if pa.types.is_integer(arr.type):
        return np.asarray(pc.fill_null(arr, 0).to_numpy(zero_copy_only=False), dtype="<i8").tobytes()
    if pa.types.is_boolean(arr.type):
        return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=np.uint8).tobytes()
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        filled = pc.fill_null(arr, "").cast(pa.large_string())
        lengths = np.asarray(pc.binary_length(filled).to_numpy(zero_copy_only=False), dtype="<i8")
        if len(filled) == 0:
            return b""
        offsets = np.frombuffer(filled.buffers()[1], dtype="<i8")[filled.offset:filled.offset + len(filled) + 1]
        data = filled.buffers()[2]
        body = b"" if data is None else data.to_pybytes()[int(offsets[0]):int(offsets[-1])]
        return lengths.tobytes() + body
    raise TypeError(f"no canonical form for {arr.type}")


def canonical_table(table: pa.Table) -> pa.Table:
    """The rows sorted by every column, in one chunk."""
    if table.num_rows == 0:
        return table
    order = pc.sort_indices(table, sort_keys=[(c, "ascending") for c in table.column_names])  # nulls last
    return table.take(order).combine_chunks()


def fingerprint(tables: Mapping[str, pa.Table], *, since: int, until: int, present: Iterable[str] = ()) -> str:
    """sha256 (hex) of the snapshot ``tables`` (cast to their fact schema) taken for ``[since, until)``."""
    h = hashlib.sha256()
    h.update(f"{FORMAT}\nsince={since}\nuntil={until}\noptional={','.join(sorted(present))}\n".encode())
    for name in sorted(tables):
        schema = FACTS[name].schema
        t = canonical_table(tables[name].select(schema.names).cast(schema))
        h.update(f"table {name} rows={t.num_rows}\n".encode())
        h.update(",".join(f"{f.name}:{f.type}" for f in schema).encode() + b"\n")
        for column in t.columns:
            arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
            h.update(np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=np.uint8).tobytes())
            h.update(_values(arr))
    return h.hexdigest()
