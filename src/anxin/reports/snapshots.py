"""The facts snapshot: every context's published facts for ``[since, until)``, as known at ``until``, read through
that context's service (its ``export_*_query``: table and column names stay inside the context that writes them),
shaped as ``facts.FACT_TABLES``, written as Parquet files under ``<root>/<fingerprint>/`` with a manifest.

"As known at ``until``": an instant at or after ``until`` is null (it had not happened), and so is what hangs on
it (a refund not yet paid is 0, a review not yet decided is still open). Taking the same period again from the
same data gives the same tables, hence the same fingerprint (``canonical.fingerprint``) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from anxin.aftersales import service as aftersales
from anxin.care import service as care
from anxin.fulfilment import service as fulfilment
from anxin.governance import service as governance
from anxin.orders import service as orders
from anxin.reports.canonical import fingerprint
from anxin.reports.facts import CARE_TABLES, FACT_TABLES, FACTS
from anxin.risk import service as risk

CHUNK = 20_000
DAY = dt.timedelta(days=1)
ORDERS_BEFORE = 3 * DAY      # orders paid before the snapshot whose 48-hour mark falls in it
APPEALS_BEFORE = 60 * DAY    # appeals filed before the snapshot and decided in it
VERDICTS_BEFORE = 365 * DAY  # consumers flagged up to a year before the snapshot still count as flagged

Rows = Iterable[Mapping[Any, Any]]
# The care context's facts (issue 17): (connection, since, until) -> rows per table name of ``CARE_TABLES``, each
# with that table's columns (instants as aware datetimes). Wired in bootstrap once care publishes them.
CareFacts = Callable[[sa.Connection, dt.datetime, dt.datetime], Mapping[str, Rows]]


def care_facts_from(queries: Mapping[str, Callable[..., sa.Select[Any]]]) -> CareFacts:
    """A ``CareFacts`` from care's export queries by table name, each called ``query(since=…, until=…)``."""
    unknown = set(queries) - set(CARE_TABLES)
    if unknown:
        raise ValueError(f"not care fact tables: {sorted(unknown)}")

    def read(conn: sa.Connection, since: dt.datetime, until: dt.datetime) -> Mapping[str, Rows]:
        return {name: (r._mapping for r in _stream(conn, query(since=since, until=until)))
                for name, query in queries.items()}
    return read


@dataclass(frozen=True)
class Snapshot:
    root: Path                   # the folder of Parquet files (engines.parquet_paths reads it)
    fingerprint: str
    since: dt.datetime
    until: dt.datetime
    rows: dict[str, int]         # rows per table held
    optional: tuple[str, ...]    # the optional (care) tables it holds

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(self.rows)


def epoch(at: dt.datetime | None) -> int | None:
    return None if at is None else int(at.timestamp())


def _stream(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[sa.Row[Any]]:
    yield from conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)


def to_arrow(name: str, rows: Rows, until: int) -> pa.Table:
    """Rows (mappings with the table's columns; instants as datetimes or epoch seconds) as the fact table's Arrow
    table, every instant at or after ``until`` made null."""
    schema = FACTS[name].schema
    instants = [f.name for f in schema if f.type == pa.int64()]
    batches, buf = [], []
    for row in rows:
        out = {f: row.get(f) for f in schema.names}
        for col in instants:
            v = out[col]
            if isinstance(v, dt.datetime):
                v = int(v.timestamp())
            out[col] = v
            if col.endswith(("_at", "_due")) and v is not None and v >= until:
                out[col] = None
        buf.append(out)
        if len(buf) >= CHUNK:
            batches.append(pa.RecordBatch.from_pylist(buf, schema=schema))
            buf = []
    if buf:
        batches.append(pa.RecordBatch.from_pylist(buf, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


class FactReader:
    """Reads every fact table for ``[since, until)`` on one connection."""

    def __init__(self, conn: sa.Connection, *, since: dt.datetime, until: dt.datetime,
                 care_facts: CareFacts | None = None) -> None:
        self.conn, self.since, self.until, self.care_facts = conn, since, until, care_facts

    def read_all(self) -> dict[str, pa.Table]:
        end = int(self.until.timestamp())
        out = {t.name: to_arrow(t.name, getattr(self, f"_{t.name}")(), end) for t in FACT_TABLES if not t.optional}
        if self.care_facts is not None:
            for name, rows in self.care_facts(self.conn, self.since, self.until).items():
                out[name] = to_arrow(name, rows, end)
        return out

    def _rows(self, query: sa.Select[Any]) -> Iterator[Mapping[Any, Any]]:
        for r in _stream(self.conn, query):
            yield r._mapping

    def _orders(self) -> Rows:
        q = orders.export_report_orders_query(paid_since=self.since - ORDERS_BEFORE, shipped_since=self.since,
                                              until=self.until)
        for r in self._rows(q):
            yield {**r, "presale": orders.is_presale(r["promise"], r["items"])}

    def _reviews(self) -> Rows:
        return self._rows(orders.export_report_reviews_query(since=self.since, until=self.until))

    def _cases(self) -> Rows:
        for r in self._rows(aftersales.export_report_cases_query(since=self.since, until=self.until)):
            shipped, verdict = aftersales.decision_seen(r["decision"])
            settled, closed, shipped_back = r["settled_at"], r["closed_at"], r["return_shipped_at"]
            claim = (r["return_freight_fen"] or 0) if (r["return_method"] == "self" and r["freight_covered"]
                                                       and shipped_back is not None) else 0
            final = r["state"] if closed is not None and r["state"] in aftersales.FINAL_STATES else None
            yield {**r, "shipped_at_filing": shipped, "instant": bool(r["instant"]), "risk_verdict": verdict,
                   "refunded_fen": (r["refunded_fen"] or 0) if settled is not None else 0,
                   "compensated_fen": (r["compensated_fen"] or 0) if settled is not None else 0,
                   "final_state": final, "closed_at": closed if final else None,
                   "freight_claim_fen": claim, "freight_claimed_at": shipped_back if claim else None}

    def _risk_verdicts(self) -> Rows:
        q = risk.export_consumer_verdicts_query(since=self.since - VERDICTS_BEFORE, until=self.until)
        for r in self._rows(q):
            ring = risk.in_ring(r["facts"])
            if r["outcome"] != "pass" or ring:
                yield {**r, "ring_member": ring}

    def _risk_reviews(self) -> Rows:
        for r in self._rows(risk.export_reviews_query(until=self.until)):
            decided = r["decided_at"] is not None and r["decided_at"] < self.until
            yield {**r, "state": r["state"] if decided else "open",
                   "decision_reason": r["decision_reason"] if decided else None}

    def _fulfilment_findings(self) -> Rows:
        return self._rows(fulfilment.export_findings_query(since=self.since, until=self.until))

    def _complaints(self) -> Rows:
        return self._rows(care.export_complaints_query(since=self.since, until=self.until, shop_ids=None))

    def _chats(self) -> Rows:
        for r in self._rows(care.export_chats_query(since=self.since, until=self.until, shop_ids=None)):
            yield {**r, "first_reply_at": r["first_human_reply_at"]}

    def _appeals(self) -> Rows:
        q = governance.export_appeals_query(filed_since=self.since - APPEALS_BEFORE, decided_since=self.since,
                                            until=self.until)
        for r in self._rows(q):
            decided = r["decided_at"] is not None and r["decided_at"] < self.until
            yield {**r, "state": r["state"] if decided else "submitted", "abusive": bool(r["abusive"]) and decided}

    def _inspection_samples(self) -> Rows:
        for r in self._rows(governance.export_samples_query(since=self.since, until=self.until)):
            known = r["result_at"] is not None and r["result_at"] < self.until
            yield {**r, "state": r["state"] if known else "pending"}

    def _listing_checks(self) -> Rows:
        return self._rows(governance.export_checks_query(since=self.since, until=self.until))

    def _violations(self) -> Rows:
        return self._rows(governance.export_violations_query(since=self.since, until=self.until))


def write_snapshot(tables: Mapping[str, pa.Table], root: Path, *, since: dt.datetime, until: dt.datetime,
                   extra: Mapping[str, Any] | None = None) -> Snapshot:
    """Write ``tables`` as ``<root>/<fingerprint>/<table>.parquet`` with a ``manifest.json``; a snapshot already
    there (the same facts taken before) is kept as it is."""
    optional = tuple(sorted(n for n in tables if FACTS[n].optional))
    lo, hi = int(since.timestamp()), int(until.timestamp())
    digest = fingerprint(tables, since=lo, until=hi, present=optional)
    root.mkdir(parents=True, exist_ok=True)
    final = root / digest
    rows = {name: t.num_rows for name, t in sorted(tables.items())}
    if not (final / "manifest.json").is_file():
        tmp = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=root))
        try:
            for name, table in tables.items():
                pq.write_table(table.cast(FACTS[name].schema), tmp / f"{name}.parquet")
            manifest = {"fingerprint": digest, "since": since.isoformat(), "until": until.isoformat(),
                        "since_epoch": lo, "until_epoch": hi, "rows": rows, "optional": list(optional),
                        **(extra or {})}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
            try:
                tmp.rename(final)
            except OSError:  # another process wrote the same snapshot first
                if not (final / "manifest.json").is_file():
                    raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return Snapshot(final, digest, since, until, rows, optional)


def take_snapshot(conn: sa.Connection, root: Path, *, since: dt.datetime, until: dt.datetime,
                  care_facts: CareFacts | None = None, extra: Mapping[str, Any] | None = None) -> Snapshot:
    tables = FactReader(conn, since=since, until=until, care_facts=care_facts).read_all()
    return write_snapshot(tables, root, since=since, until=until, extra=extra)
