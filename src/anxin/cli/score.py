"""`anxin score` and `anxin export-facts`: the nightly scoring job and the Parquet export it can read."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from anxin.core.errors import AnxinError


@click.command("score")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Local date (YYYY-MM-DD) to score as of: windows cover whole days before it. Default: today.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="DuckDB in-process, or PySpark (local[2] unless ANXIN_SPARK_MASTER names a cluster).")
@click.option("--source", type=click.Choice(["db", "parquet"]), default="db", show_default=True,
              help="Read the facts from the operational database, or from a Parquet export at PATH.")
@click.option("--at", "at", default=None, metavar="INSTANT",
              help="Run as if the clock read this ISO 8601 instant (a simulated marketplace's time).")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def score(as_of: str | None, engine: str, source: str, path: Path | None, at: str | None) -> None:
    """Score every merchant, creator and consumer; write the day's snapshots (re-running a date replaces them).

    \b
    Examples:
      anxin score --as-of 2026-11-02
      anxin score --as-of 2026-11-02 --engine spark
      anxin export-facts var/facts --as-of 2026-11-02 && anxin score --source parquet var/facts
    """
    from rich.progress import Progress

    from anxin.bootstrap import bootstrap
    from anxin.cli.main import _clock_at

    if source == "parquet" and path is None:
        _fail("--source parquet needs the export's PATH", "scoring.source_not_found")
    anxin = bootstrap(clock=_clock_at(at))
    day = as_of or anxin.scoring.today().isoformat()
    with Progress(transient=False) as progress:
        task = progress.add_task(f"scoring as of {day} on {engine}", total=None)
        try:
            summary = anxin.scoring.run(day, engine=engine, source=source, path=path,
                                        progress=lambda what: progress.update(task, advance=1, description=what))
        except AnxinError as exc:
            progress.stop()
            _fail(exc.message, exc.code.value)
            return
    click.echo(json.dumps(summary.as_dict()))


@click.command("export-facts")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Export what a score as of DATE reads.")
@click.option("--at", "at", default=None, metavar="INSTANT", help="Run as if the clock read this instant.")
def export_facts(out: Path, as_of: str | None, at: str | None) -> None:
    """Write the canonical scoring facts (orders, reviews, cases, …) as Parquet files under OUT."""
    from rich.progress import Progress

    from anxin.bootstrap import bootstrap
    from anxin.cli.main import _clock_at
    from anxin.scoring.facts import FACT_TABLES
    from anxin.scoring.service import parse_day
    from anxin.scoring.synthetic import write_parquet

    anxin = bootstrap(clock=_clock_at(at))
    try:
        day = parse_day(as_of) if as_of else anxin.scoring.today()
    except AnxinError as exc:
        _fail(exc.message, exc.code.value)
        return
    with Progress(transient=False) as progress:
        task = progress.add_task("reading facts", total=len(FACT_TABLES))
        tables = anxin.scoring.facts_from_db(anxin.scoring.rules.day_end(day),
                                             progress=lambda name: progress.update(task, advance=1,
                                                                                   description=f"read {name}"))
    write_parquet(tables, out)
    click.echo(json.dumps({"out": str(out), "as_of": day.isoformat(),
                           "rows": {name: t.num_rows for name, t in tables.items()}}))


def _fail(message: str, code: str) -> None:
    click.echo(f"error [{code}]: {message}", err=True)
    sys.exit(2)
