"""`anxin report`: the service-experience report for a month, written to a file as HTML, PDF or JSON."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role

OPERATOR = Principal("cli", Role.OPERATOR, "cli")
FORMATS = ("html", "pdf", "json")


def _fail(message: str, code: str) -> None:
    click.echo(f"error [{code}]: {message}", err=True)
    sys.exit(2)


def _writable(out: Path) -> str | None:
    """Why OUT cannot be written, or None: checked before the report is computed, so a typo costs nothing."""
    if out.is_dir():
        return f"{out} is a directory: name the file to write"
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    if out.exists() and not os.access(out, os.W_OK):
        return f"{out} is not writable"
    if not out.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot create files in {folder}"
    return None


@click.command("report")
@click.option("--period", required=True, metavar="YYYY-MM|YYYY-Www",
              help="The month (e.g. 2026-11) or ISO week (e.g. 2026-W48) to report on, Beijing time.")
@click.option("--compare", default=None, metavar="YYYY-MM|YYYY-Www",
              help="The period to compare it with  [default: the one before]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="html (one standalone file), pdf (A4, Chinese fonts embedded) or json (the report's value)  "
                   "[default: OUT's suffix, else html]")
@click.option("--lang", type=click.Choice(("zh-CN", "en")), default="zh-CN", show_default=True,
              help="The language of the html and pdf.")
@click.option("--engine", type=click.Choice(("duckdb", "spark")), default="duckdb", show_default=True,
              help="The engine that computes the figures from the facts.")
@click.argument("out", type=click.Path(dir_okay=True, path_type=Path))
def report(period: str, compare: str | None, fmt: str | None, lang: str, engine: str, out: Path) -> None:
    """Compute the service-experience report for --period beside --compare and write it to OUT.

    Each figure anxin's data supports, with the comparison month's value, the change, a one-line definition and
    a chart where it has daily points; the figures it cannot compute, with why; the rulebook versions in force
    and the fingerprint of the facts. The same month computed again gives the same numbers.

        anxin report --period 2026-11 --compare 2026-10 report-2026-11.pdf
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from anxin.reports import rendering
    from anxin.reports.periods import periods
    from anxin.reports.render_pdf import FontsMissing

    fmt = fmt or (out.suffix.lstrip(".").lower() if out.suffix.lstrip(".").lower() in FORMATS else "html")
    try:
        p, c = periods(period, compare)
    except AnxinError as exc:
        _fail(exc.message, exc.code.value)
        raise  # _fail exits
    why = _writable(out)
    if why:
        _fail(why, "cli.unwritable_output")
    from anxin.bootstrap import bootstrap

    anxin = bootstrap()
    if anxin.reports is None:
        _fail("this installation has no reports facade wired (Anxin.reports)", "cli.reports_unavailable")
    source = rendering.wired(anxin.reports)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(f"computing the report for {p} vs {c} ({engine})", total=3)
        try:
            built = source.build(OPERATOR, str(p), str(c), engine=engine)
            progress.update(task, advance=1, description=f"rendering {fmt}")
            done = rendering.render(built, fmt, lang)
        except AnxinError as exc:
            _fail(exc.message, exc.code.value)
            raise
        except FontsMissing as exc:
            _fail(str(exc), "cli.fonts_missing")
            raise
        progress.update(task, advance=1, description=f"writing {out}")
        try:
            out.write_bytes(done.body)
        except OSError as exc:
            _fail(f"cannot write {out}: {exc.strerror or exc}", "cli.unwritable_output")
        progress.update(task, advance=1, description="done")
    click.echo(f"{out}: {fmt}, {len(done.body):,} bytes — report {built.report_id}, {len(built.figures)} figures, "
               f"{len(built.unsupported)} not computable, facts {built.fingerprint[:12]}")
