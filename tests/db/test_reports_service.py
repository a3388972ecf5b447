"""The service report through the real services: facts read through each context's exports as known at the
snapshot's end, a report built, stored and found again; the same period from the same facts gives the same numbers
and fingerprint, recomputed from scratch or copied to another database (SQLite ↔ PostgreSQL with
ANXIN_TEST_DATABASE_URL); staff only; stable error codes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from tests.db.builders import T0, D, H, complaint, ingest_ok, seed_order

from anxin.aftersales.service import FileCase
from anxin.bootstrap import Anxin
from anxin.core.clock import BEIJING, FixedClock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.engine import make_engine
from anxin.db.tables import metadata
from anxin.reports.engines import DuckDBEngine
from anxin.reports.figures import compute
from anxin.reports.model import parse_period, windows
from anxin.reports.service import Reports
from anxin.reports.snapshots import Snapshot, take_snapshot
from anxin.sim import SimConfig, simulate

pytestmark = pytest.mark.db

STAFF = Principal("k_ops", Role.OPERATOR, "ops")


def _code(err: pytest.ExceptionInfo[AnxinError]) -> str:
    return err.value.code.value


def _snapshot(engine: sa.Engine, root: Path, since: dt.datetime, until: dt.datetime) -> Snapshot:
    with engine.connect() as conn:
        return take_snapshot(conn, root, since=since, until=until)


def test_the_snapshot_holds_facts_as_known_at_its_end(anxin: Anxin, clock: FixedClock, tmp_path: Path) -> None:
    seed_order(anxin, order_id="o1", shipped_at=T0 + D)
    ingest_ok(anxin, [complaint("cp1", "o1", reason="delivery", filed_at=T0 + 3 * H)])
    early = _snapshot(anxin.engine, tmp_path, T0 - D, T0 + 12 * H)
    late = _snapshot(anxin.engine, tmp_path, T0 - D, T0 + 2 * D)

    def orders(snap: Snapshot) -> list[dict[str, object]]:
        return pq.read_table(snap.root / "orders.parquet").to_pylist()

    assert [o["shipped_at"] for o in orders(early)] == [None]  # shipped after the end: not yet known
    assert [o["shipped_at"] for o in orders(late)] == [int((T0 + D).timestamp())]
    assert early.rows["complaints"] == late.rows["complaints"] == 1
    assert early.fingerprint != late.fingerprint


def test_a_report_built_from_cases_and_orders(anxin: Anxin, clock: FixedClock) -> None:
    who = anxin.access.create_key("consumer", "c1")[0]
    seed_order(anxin, order_id="o1", services=["instant_refund"])
    seed_order(anxin, order_id="o2", shop_id="s2", merchant_id="m2", services=())
    clock.set(T0 + H)
    first = anxin.aftersales.file_case(who, FileCase("o1", "refund_only", "other", 9900, ()))
    second = anxin.aftersales.file_case(who, FileCase("o2", "refund_only", "other", 9900, ()))
    assert (first.case.state.value, second.case.state.value) == ("refunded", "pending_merchant")
    clock.set(T0 + 2 * H)
    report = anxin.reports.build(STAFF, "2026-11")
    assert report.compare is None and report.engine == "duckdb"
    assert report.figure("instant_refund_coverage").value == 0.5  # one of the two unshipped refund requests
    assert report.figure("instant_refund_coverage").compare is None
    assert report.figure("listings_intercepted").value == 0
    assert report.rulebooks["guarantees"] == anxin.rulebooks.in_force(clock.now()).version
    assert set(report.rulebooks) >= {"guarantees", "risk", "fulfilment", "scores", "merchants", "governance", "care"}
    # care publishes its facts: no consultation yet is 0 served, no rating yet is no CSAT (not 0), neither unsupported
    assert report.figure("consultations_served").value == 0 and report.figure("csat").value is None
    assert {u.key for u in report.unsupported} >= {"credential_scraping_rate"}
    assert {u.key for u in report.unsupported} & {"csat", "consultations_served"} == set()
    assert anxin.reports.get(report.report_id) == report == anxin.reports.latest("2026-11")


@pytest.fixture
def simulated(anxin: Anxin, clock: FixedClock) -> Anxin:
    """Four busy simulated days across the end of October."""
    clock.set(dt.datetime(2026, 10, 30, tzinfo=BEIJING))
    simulate(anxin, SimConfig(start=clock.now(), days=4, merchants=3, consumers=40, seed=3, orders_per_shop_day=12.0,
                              abuser_share=0.35, replay_share=0.03, olist_dir=Path("/nonexistent/olist")))
    return anxin


def test_the_same_period_from_the_same_facts_gives_the_same_report(simulated: Anxin, clock: FixedClock,
                                                                    tmp_path: Path) -> None:
    anxin = simulated
    report = anxin.reports.build(STAFF, "2026-10", "2026-09")
    values = {f.key: f.value for f in report.figures}
    assert sum(v is not None for v in values.values()) >= 10 and values["avg_ship_hours"] is not None, values
    assert all(f.compare in (None, 0) for f in report.figures)  # nothing happened in September

    clock.advance(days=2)  # later, nothing new about October: the stored report answers
    assert anxin.reports.build(STAFF, "2026-10", "2026-09") == report

    # Recomputed from scratch (stored run and snapshot files gone): the same id, numbers and fingerprint.
    with anxin.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM report_runs"))
    shutil.rmtree(anxin.reports.snapshot_dir)
    again = anxin.reports.build(STAFF, "2026-10", "2026-09")
    assert (again.report_id, again.fingerprint, again.figures) == (report.report_id, report.fingerprint,
                                                                     report.figures)

    # A new fact about October is a new snapshot, a new report; the latest is that one.
    with anxin.engine.connect() as conn:
        order_id = conn.execute(sa.text("SELECT MIN(order_id) FROM orders")).scalar_one()
    ingest_ok(anxin, [complaint("cp_late", order_id, reason="delivery",
                                filed_at=dt.datetime(2026, 10, 31, 12, tzinfo=BEIJING))])
    clock.advance(minutes=1)
    changed = anxin.reports.build(STAFF, "2026-10", "2026-09")
    assert changed.fingerprint != report.fingerprint and changed.report_id != report.report_id
    assert changed.figure("shipping_help_per_1000_orders").value != values["shipping_help_per_1000_orders"]
    assert anxin.reports.latest("2026-10", "2026-09") == changed
    assert anxin.reports.get(report.report_id) == again  # the earlier facts' report stays readable


def test_the_same_facts_give_the_same_fingerprint_and_figures_on_another_database(
        simulated: Anxin, clock: FixedClock, tmp_path: Path) -> None:
    """The session's database (PostgreSQL with ANXIN_TEST_DATABASE_URL) copied row for row into SQLite."""
    other = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    metadata.create_all(other)
    with simulated.engine.connect() as src, other.begin() as dst:
        for table in metadata.sorted_tables:
            rows = [dict(r) for r in src.execute(sa.select(table)).mappings()]
            if rows:
                dst.execute(sa.insert(table), rows)
    nov, oct_ = parse_period("2026-11"), parse_period("2026-10")
    main, compare = windows(nov, oct_, clock.now())
    until = dt.datetime.fromtimestamp(main.hi, dt.UTC)
    here = _snapshot(simulated.engine, tmp_path / "here", oct_.start, until)
    there = _snapshot(other, tmp_path / "there", oct_.start, until)
    other.dispose()
    assert here.fingerprint == there.fingerprint
    assert sum(here.rows.values()) > 200
    figures = []
    for snap in (here, there):
        eng = DuckDBEngine()
        eng.load(snap.root)
        figures.append(compute(eng, main, compare, ()))
    assert figures[0] == figures[1]


def test_reports_are_for_staff_and_refuse_bad_requests_with_stable_codes(anxin: Anxin) -> None:
    merchant = Principal("k_m", Role.MERCHANT, "m1")
    cases = [((merchant, "2026-10"), {}, "reports.forbidden_role", 403),
             ((STAFF, "2026-13"), {}, "reports.invalid_period", 422),
             ((STAFF, "2026-10", "2026-10"), {}, "reports.invalid_compare", 422),
             ((STAFF, "2026-10", "2026-11"), {}, "reports.invalid_compare", 422),
             ((STAFF, "2026-10", "10-2026"), {}, "reports.invalid_compare", 422),
             ((STAFF, "2026-12"), {}, "reports.future_period", 422),
             ((STAFF, "2026-10"), {"engine": "pandas"}, "reports.unknown_engine", 422)]
    for args, kwargs, code, status in cases:
        with pytest.raises(AnxinError) as err:
            anxin.reports.build(*args, **kwargs)  # type: ignore[arg-type]
        assert (_code(err), err.value.code.status) == (code, status), args
    with pytest.raises(AnxinError) as err:
        anxin.reports.get("rep_nothing")
    assert (_code(err), err.value.code.status) == ("reports.not_found", 404)
    with pytest.raises(AnxinError) as err:
        anxin.reports.latest("2026-10")
    assert _code(err) == "reports.not_found"


def test_care_facts_once_published_make_their_figures_computable(anxin: Anxin, clock: FixedClock) -> None:
    """care publishes consultations (here a stand-in for its export); satisfaction is still missing."""
    def care_facts(conn: sa.Connection, since: dt.datetime, until: dt.datetime) -> dict[str, list[dict[str, object]]]:
        rows = [{"consultation_id": f"cn{i}", "opened_at": T0 + i * H, "channel": channel, "topic": "logistics",
                 "intent": "logistics.where", "route": "parcel", "shop_id": "s1"}
                for i, channel in enumerate(["consumer", "merchant", "merchant", "consumer"])]
        return {"consultations": [r for r in rows if since <= r["opened_at"] < until]}  # type: ignore[operator]

    reports = Reports(uow_factory=anxin.uow_factory, clock=clock, snapshot_dir=anxin.reports.snapshot_dir,
                      rulebook_versions=anxin.reports.rulebook_versions, care_facts=care_facts)
    seed_order(anxin, order_id="o1")
    clock.set(T0 + 2 * H + dt.timedelta(minutes=30))  # three consultations so far
    report = reports.build(STAFF, "2026-11")
    assert report.figure("consultations_served").value == 3
    assert report.figure("merchants_served").value == 1
    assert report.figure("shipping_help_per_1000_orders").value == 3000.0  # 3 logistics consultations, 1 order
    assert {u.key for u in report.unsupported} & {"csat", "consultations_served"} == {"csat"}
    without = Reports(uow_factory=anxin.uow_factory, clock=clock, snapshot_dir=anxin.reports.snapshot_dir,
                      rulebook_versions=anxin.reports.rulebook_versions).build(STAFF, "2026-11")
    # the same database without care's facts: another snapshot, and their figures not computable
    assert without.fingerprint != report.fingerprint and "consultations_served" in {u.key for u in without.unsupported}
