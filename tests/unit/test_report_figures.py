"""The report's figures on DuckDB against a hand-worked snapshot (tests/report_facts.py), with and without care's
facts; the daily series; the periods; the value's JSON form; the snapshot's fingerprint."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.report_facts import EXPECTED, EXPECTED_WITHOUT_CARE, at, tables

from anxin.core.errors import AnxinError
from anxin.reports.canonical import fingerprint
from anxin.reports.definition import FIGURES, UNSUPPORTED
from anxin.reports.engines import DuckDBEngine
from anxin.reports.facts import CARE_TABLES, FACTS
from anxin.reports.figures import compute
from anxin.reports.model import (
    BETTER,
    UNITS,
    Figure,
    ServiceReport,
    Unsupported,
    change,
    parse_period,
    windows,
)
from anxin.reports.snapshots import write_snapshot

NOV, OCT = parse_period("2026-11"), parse_period("2026-10")
LATER = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)


def _report(tmp_path: Path, *, care: bool) -> tuple[dict[str, Figure], dict[str, str]]:
    snap = write_snapshot(tables(care=care), tmp_path, since=OCT.start, until=NOV.end)
    main, other = windows(NOV, OCT, LATER)
    eng = DuckDBEngine()
    eng.load(snap.root)
    figures, unsupported = compute(eng, main, other, snap.optional)
    eng.close()
    return {f.key: f for f in figures}, {u.key: u.reason for u in unsupported}


@pytest.mark.parametrize("care", [True, False])
def test_every_figure_is_what_the_rows_give_by_hand(tmp_path: Path, care: bool) -> None:
    figures, unsupported = _report(tmp_path, care=care)
    expected = EXPECTED if care else EXPECTED_WITHOUT_CARE
    assert {k: (f.value, f.compare) for k, f in figures.items()} == expected
    assert set(figures) | set(unsupported) == set(FIGURES) | set(UNSUPPORTED)
    if not care:
        assert {k for k in unsupported if k in FIGURES} == {"consultations_served", "merchants_served", "csat"}
        assert "satisfaction" in unsupported["csat"] and "consultations" in unsupported["merchants_served"]
    for key, fig in figures.items():
        assert (fig.unit, fig.better) == (FIGURES[key].unit, FIGURES[key].better)
        assert fig.change == change(fig.value, fig.compare)


def test_counts_and_money_are_whole_numbers_and_rates_have_no_value_without_rows(tmp_path: Path) -> None:
    figures, _ = _report(tmp_path, care=True)
    assert isinstance(figures["listings_intercepted"].compare, int) and figures["listings_intercepted"].compare == 0
    assert isinstance(figures["extortion_gang_losses_fen"].value, int)
    assert figures["csat"].compare is None and figures["csat"].change is None  # no rating in October
    assert figures["listings_intercepted"].change is None  # from 0


def test_daily_series_bucket_by_beijing_day(tmp_path: Path) -> None:
    figures, _ = _report(tmp_path, care=True)
    # o5's 48-hour mark is 11-02 20:00, o1's 11-04 10:00, o2's 11-07 10:00 (late).
    assert figures["ship_48h_rate"].series == (("2026-11-02", 1.0), ("2026-11-04", 1.0), ("2026-11-07", 0.0))
    assert figures["reply_3min_rate"].series == (("2026-11-02", 0.5), ("2026-11-03", 0.0), ("2026-11-04", 1.0))
    assert figures["appeal_resolution_hours"].series == ()  # a median per day reads worse than the number
    assert all(FIGURES[k].series or not f.series for k, f in figures.items())


def test_every_definition_is_complete() -> None:
    for key, fig in FIGURES.items():
        assert fig.en.strip() and fig.zh.strip() and fig.unit in UNITS and fig.better in BETTER, key
        assert all(t in CARE_TABLES for t in fig.requires), key
    for u in UNSUPPORTED.values():
        assert u.en.strip() and u.zh.strip() and u.key not in FIGURES


# --- periods -------------------------------------------------------------------------------------------------

def test_a_period_is_a_beijing_month() -> None:
    assert (NOV.start.isoformat(), NOV.end.isoformat()) == ("2026-10-31T16:00:00+00:00", "2026-11-30T16:00:00+00:00")
    dec = parse_period("2026-12")
    assert dec.end == dt.datetime(2026, 12, 31, 16, tzinfo=dt.UTC)  # into the next year
    assert parse_period("2027-01").previous().label == "2026-12" and NOV.previous() == OCT


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026-11-01", "", "1999-12",
                                  None, 202611])
def test_anything_but_a_month_is_refused_with_a_stable_code(text: object) -> None:
    with pytest.raises(AnxinError) as err:
        parse_period(text)
    assert err.value.code.value == "reports.invalid_period" and err.value.code.status == 422
    with pytest.raises(AnxinError) as err:
        parse_period(text, field="compare")
    assert err.value.code.value == "reports.invalid_compare"


def test_windows_cut_a_running_period_and_refuse_the_future_and_a_later_comparison() -> None:
    now = dt.datetime(2026, 11, 10, 4, tzinfo=dt.UTC)
    main, other = windows(NOV, OCT, now)
    assert (main.lo, main.hi) == (at(11, 1), int(now.timestamp()))
    assert other is not None and (other.lo, other.hi) == (at(10, 1), at(11, 1))
    with pytest.raises(AnxinError, match="has not begun") as err:
        windows(parse_period("2026-12"), None, now)
    assert err.value.code.value == "reports.future_period"
    for bad in (NOV, parse_period("2026-12")):
        with pytest.raises(AnxinError) as err:
            windows(NOV, bad, LATER)
        assert err.value.code.value == "reports.invalid_compare"


@pytest.mark.parametrize(("value", "compare", "expected"), [
    (12, 10, 0.2), (5, 10, -0.5), (0.25, 0.5, -0.5), (1, 0, None), (None, 3, None), (3, None, None), (0, 0, None)])
def test_change_is_relative_and_absent_without_a_base(value: float | None, compare: float | None,
                                                      expected: float | None) -> None:
    assert change(value, compare) == expected


def test_the_report_value_round_trips_through_its_json_form() -> None:
    report = ServiceReport("rep_1", "2026-11", "2026-10",
                           (Figure("ship_48h_rate", 0.9, 0.8, 0.125, "share", "up", (("2026-11-01", 0.9),)),
                            Figure("listings_intercepted", 3, None, None, "count", "up")),
                           (Unsupported("credential_scraping_rate", "no denominator"),), {"risk": "2026.11.1"},
                           "ab" * 32, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), "duckdb")
    assert ServiceReport.from_dict(report.as_dict()) == report
    assert report.as_dict()["figures"][0]["series"] == [["2026-11-01", 0.9]]


# --- fingerprint ---------------------------------------------------------------------------------------------

def _fp(t: dict[str, pa.Table], **kw: object) -> str:
    args = {"since": 1, "until": 2, "present": sorted(n for n in t if FACTS[n].optional), **kw}
    return fingerprint(t, **args)  # type: ignore[arg-type]


def test_the_fingerprint_ignores_row_order_and_layout_and_sees_every_value() -> None:
    base = tables()
    digest = _fp(base)
    shuffled = {}
    for name, t in base.items():
        rows = t.to_pylist()
        random.Random(5).shuffle(rows)
        half = len(rows) // 2
        shuffled[name] = pa.Table.from_batches([pa.RecordBatch.from_pylist(part, schema=t.schema)
                                                for part in (rows[:half], rows[half:]) if part], schema=t.schema)
    assert _fp(shuffled) == digest
    orders = base["orders"].to_pylist()
    for change_row in ({"paid_fen": 10_001}, {"shipped_at": None}, {"order_id": "o1 "}):
        edited = [{**orders[0], **change_row}, *orders[1:]]
        assert _fp({**base, "orders": pa.Table.from_pylist(edited, schema=FACTS["orders"].schema)}) != digest
    empty_vs_null = [{**orders[0], "consumer_id": ""}, *orders[1:]]
    null = [{**orders[0], "consumer_id": None}, *orders[1:]]
    assert _fp({**base, "orders": pa.Table.from_pylist(empty_vs_null, schema=FACTS["orders"].schema)}) != \
        _fp({**base, "orders": pa.Table.from_pylist(null, schema=FACTS["orders"].schema)})
    assert _fp(base, until=3) != digest and _fp(base, present=[]) != digest
    assert _fp({k: v for k, v in base.items() if k != "tickets"}) != digest


def test_a_written_snapshot_reads_back_to_its_fingerprint(tmp_path: Path) -> None:
    snap = write_snapshot(tables(), tmp_path, since=OCT.start, until=NOV.end)
    again = write_snapshot(tables(), tmp_path, since=OCT.start, until=NOV.end)
    assert again == snap and snap.root.name == snap.fingerprint and snap.optional == tuple(sorted(CARE_TABLES))
    read = {p.stem: pq.read_table(p) for p in snap.root.glob("*.parquet")}
    assert fingerprint(read, since=int(OCT.start.timestamp()), until=int(NOV.end.timestamp()),
                       present=snap.optional) == snap.fingerprint
    assert [p.name for p in tmp_path.iterdir()] == [snap.fingerprint]  # no temporary folder left
