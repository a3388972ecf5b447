"""The reports context's use cases: ``Anxin.reports`` is ``Reports``.

``build`` takes a snapshot of every context's published facts for the period and its comparison (``snapshots``),
computes the figures from it on DuckDB or Spark (``figures`` over ``definition``), and stores the run with the
snapshot's fingerprint and the rulebook versions in force. A run is kept once per (period, comparison,
fingerprint): building the same period again from the same facts answers the stored report, same numbers, same id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UowFactory
from anxin.reports.engines import make_engine
from anxin.reports.error_codes import ReportsErrorCode as E
from anxin.reports.figures import compute
from anxin.reports.model import ENGINES, Figure, ServiceReport, Unsupported, parse_period, windows
from anxin.reports.snapshots import CareFacts, Snapshot, take_snapshot
from anxin.reports.store import NO_COMPARE, ReportRepository, ReportRunRow

# Each context's rulebook kind -> the version in force at an instant (wired in bootstrap from the loaders).
RulebookVersions = Callable[[dt.datetime], Mapping[str, str]]
STAFF = (Role.OPERATOR, Role.PLATFORM)


def require_staff(who: Principal) -> None:
    """Reports are for platform staff (operators) and the platform itself."""
    if who.role not in STAFF:
        raise AnxinError(E.FORBIDDEN_ROLE, "only platform staff read the service report")


def report_id_of(period: str, compare: str | None, fingerprint: str) -> str:
    """The same inputs, the same id: a report is idempotent per (period, comparison, facts fingerprint)."""
    return "rep_" + hashlib.sha256(f"{period}|{compare or NO_COMPARE}|{fingerprint}".encode()).hexdigest()[:24]


def _report(row: ReportRunRow) -> ServiceReport:
    return ServiceReport(
        report_id=row.report_id, period=row.period, compare=row.compare or None,
        figures=tuple(Figure.from_dict(f) for f in row.figures),
        unsupported=tuple(Unsupported(u["key"], u["reason"]) for u in row.unsupported),
        rulebooks=dict(row.rulebooks), fingerprint=row.fingerprint, computed_at=row.computed_at, engine=row.engine)


class Reports:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, snapshot_dir: Path,
                 rulebook_versions: RulebookVersions, care_facts: CareFacts | None = None,
                 engine_options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.snapshot_dir = Path(snapshot_dir)
        self.rulebook_versions = rulebook_versions
        # The care context's consultations, tickets and satisfaction (issue 17); None: those figures are reported
        # as not computable.
        self.care_facts = care_facts
        self.engine_options = {k: dict(v) for k, v in (engine_options or {}).items()}

    def build(self, who: Principal, period: str, compare: str | None = None, engine: str = "duckdb"
              ) -> ServiceReport:
        """The report of ``period`` (``"2026-11"``) against ``compare`` (an earlier month, or none): computed, or the
        stored one when the facts have not changed since."""
        require_staff(who)
        main_period = parse_period(period)
        compare_period = None if compare is None else parse_period(compare, field="compare")
        if engine not in ENGINES:
            raise AnxinError(E.UNKNOWN_ENGINE, f"unknown engine {engine!r}: one of {list(ENGINES)}", field="engine")
        main, other = windows(main_period, compare_period, self.clock.now())
        since = dt.datetime.fromtimestamp(min(w.lo for w in (main, other) if w is not None), dt.UTC)
        until = dt.datetime.fromtimestamp(main.hi, dt.UTC)
        label, against = main_period.label, None if compare_period is None else compare_period.label
        snap = self._snapshot(since, until)
        with self.uow_factory() as uow:
            found = ReportRepository(uow.session).find(label, against, snap.fingerprint)
            if found is not None:
                return _report(found)
        try:
            eng = make_engine(engine, **self.engine_options.get(engine, {}))
        except Exception as exc:  # no pyspark, no Java, no cluster
            raise AnxinError(E.ENGINE_UNAVAILABLE, f"cannot start {engine}: {exc}", engine=engine) from exc
        try:
            eng.load(snap.root)
            figures, unsupported = compute(eng, main, other, snap.optional)
        finally:
            eng.close()
        rulebooks = {k: str(v) for k, v in sorted(self.rulebook_versions(until - dt.timedelta(microseconds=1))
                                                  .items())}
        row = ReportRunRow(
            report_id=report_id_of(label, against, snap.fingerprint), period=label, compare=against or NO_COMPARE,
            fingerprint=snap.fingerprint, as_of=until, figures=[f.as_dict() for f in figures],
            unsupported=[u.as_dict() for u in unsupported], rulebooks=rulebooks,
            facts={"since": since.isoformat(), "until": until.isoformat(), "rows": snap.rows,
                   "optional": list(snap.optional)},
            engine=engine, computed_at=self.clock.now(), created_by=f"{who.role.value}:{who.subject}"[:140])
        report = _report(row)
        try:
            with self.uow_factory() as uow:
                ReportRepository(uow.session).add(row)
                uow.commit()
        except IntegrityError:  # the same report, built at the same time by another caller: theirs stands
            with self.uow_factory() as uow:
                found = ReportRepository(uow.session).find(label, against, snap.fingerprint)
                if found is None:
                    raise
                return _report(found)
        return report

    def _snapshot(self, since: dt.datetime, until: dt.datetime) -> Snapshot:
        with self.uow_factory() as uow:
            # One consistent view of every table on PostgreSQL (SQLite's read transaction already is one).
            options = {"isolation_level": "REPEATABLE READ"} if uow.dialect == "postgresql" else {}
            conn = uow.session.connection(execution_options=options)
            return take_snapshot(conn, self.snapshot_dir, since=since, until=until, care_facts=self.care_facts)

    def get(self, report_id: str) -> ServiceReport:
        with self.uow_factory() as uow:
            row = ReportRepository(uow.session).get(report_id)
            if row is None:
                raise AnxinError(E.NOT_FOUND, f"no report {report_id!r}", report_id=report_id)
            return _report(row)

    def latest(self, period: str, compare: str | None = None) -> ServiceReport:
        """The last report computed for ``period`` against ``compare``."""
        label = parse_period(period).label
        against = None if compare is None else parse_period(compare, field="compare").label
        with self.uow_factory() as uow:
            row = ReportRepository(uow.session).latest(label, against)
            if row is None:
                raise AnxinError(E.NOT_FOUND, f"no report of {label}" + (f" against {against}" if against else ""),
                                 period=label, compare=against)
            return _report(row)
