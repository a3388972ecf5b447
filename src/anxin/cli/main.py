"""anxin command line: serve, worker, ingest, tick, rules, keys, sim, demo, db, config, governance, report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from anxin.core.clock import FixedClock, parse_instant
from anxin.core.errors import AnxinError
from anxin.core.principal import Role


def _fail(message: str, code: str = "cli.error") -> None:
    click.echo(f"error [{code}]: {message}", err=True)
    sys.exit(2)


class _Main(click.Group):
    """Settings that cannot run (a bad ANXIN_* value, production without a webhook secret) end any command with
    their code and one line per problem, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from anxin.settings import SettingsError

        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            if exc.problems:
                click.echo(f"error [{exc.code.value}]: invalid settings", err=True)
                for problem in exc.problems:
                    click.echo(f"  - {problem}", err=True)
                sys.exit(2)
            _fail(exc.message, exc.code.value)
            raise  # _fail exits


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="anxin")
def main() -> None:
    """anxin — trust and service engine for multi-merchant marketplaces.

    Takes in platform events, decides after-sale requests under versioned 安心购 guarantee rules, runs
    their deadlines and tells the platform to move money. The database comes from ANXIN_DATABASE_URL
    (default: the embedded SQLite file var/anxin.db).
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Migrate the database, then serve the API and the pages.

    The periodic jobs (deadlines, delivery of webhooks, settlement …) run in `anxin worker`: start at least one
    next to the servers, on the same ANXIN_DATABASE_URL. In production (ANXIN_MODE unset) it refuses to start
    without ANXIN_WEBHOOK_SECRET; `anxin config` shows the effective settings.
    """
    import uvicorn

    from anxin.bootstrap import bootstrap
    from anxin.settings import Settings
    from anxin.web.app import create_app

    settings = Settings()
    settings.check_startup()  # production without a webhook secret stops here, before migrating
    anxin = bootstrap(settings=settings)
    click.echo(f"anxin serving http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(anxin), host=host, port=port, log_level="warning",
                timeout_keep_alive=settings.keep_alive_seconds)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--batch", type=int, default=None, help="Events per call  [default: 500; 10000 with --bulk]")
@click.option("--bulk", is_flag=True, help="One transaction per batch (backfills): same guarantees and end state.")
def ingest(file: Path, batch: int | None, bulk: bool) -> None:
    """Ingest platform events from a JSON Lines FILE (one event object per line)."""
    from functools import partial

    from rich.progress import Progress

    from anxin.bootstrap import bootstrap
    from anxin.ingest.service import IngestResult

    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}", "event.file_unreadable")
    anxin = bootstrap()
    batch = batch or (10_000 if bulk else 500)
    run = partial(anxin.ingestion.ingest_bulk, chunk_size=batch) if bulk else anxin.ingestion.ingest
    total = IngestResult()
    rejected = 0
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    with Progress(transient=False) as progress:
        task = progress.add_task(f"ingesting {file.name}", total=len(numbered))
        for start in range(0, len(numbered), batch):
            chunk = numbered[start:start + batch]
            events, line_of = [], []
            for line_no, line in chunk:
                try:
                    events.append(json.loads(line))
                    line_of.append(line_no)
                except (json.JSONDecodeError, RecursionError) as exc:
                    click.echo(f"line {line_no}: [event.malformed] not valid JSON: {exc}", err=True)
                    rejected += 1
            result = run(events)  # null or non-object lines are rejected there, by index
            for r in result.rejected:
                click.echo(f"line {line_of[r.index]}: [{r.code}] {r.message}", err=True)
            rejected += len(result.rejected)
            result.rejected = []
            total.merge(result, 0)
            progress.advance(task, len(chunk))
    summary = total.as_dict()
    summary["received"] = len(numbered)
    summary["rejected"] = rejected
    click.echo(json.dumps(summary))


def _clock_at(at: str | None) -> FixedClock | None:
    """A clock stopped at --at, or None for the wall clock; a bad instant is a CLI error, not a traceback."""
    if at is None:
        return None
    try:
        return FixedClock(parse_instant(at))
    except ValueError as exc:
        _fail(str(exc), "cli.invalid_time")
        raise  # _fail exits; this keeps type checkers honest


@main.command()
@click.option("--at", "at", default=None, help="ISO 8601 instant with offset (default: now).")
def tick(at: str | None) -> None:
    """Run every periodic job once as of --at (jump ahead in time), then deliver the outbox; no leases."""
    from anxin.bootstrap import bootstrap

    anxin = bootstrap(clock=_clock_at(at))
    click.echo(json.dumps(anxin.tick()))


@main.group()
def fulfilment() -> None:
    """Fulfilment monitoring: promises, late and fake shipments, stalled parcels."""


@fulfilment.command("check")
@click.option("--at", "at", default=None, help="ISO 8601 instant with offset to judge as of (default: now).")
@click.option("--all", "everything", is_flag=True,
              help="Judge every order again (the batch pass over history), not only the due ones.")
def fulfilment_check(at: str | None, everything: bool) -> None:
    """Run the detection pass: findings, late-shipment coupons and points, ETAs and notices. Idempotent."""
    from rich.progress import Progress

    from anxin.bootstrap import bootstrap

    anxin = bootstrap(clock=_clock_at(at))
    with Progress(transient=False) as progress:
        task = progress.add_task("judging orders", total=None)
        run = anxin.fulfilment.check_all if everything else anxin.fulfilment.check_due
        report = run(progress=lambda n: progress.advance(task, n))
    click.echo(json.dumps(report.as_dict()))


@main.group()
def rules() -> None:
    """Rulebooks: guarantees, risk, fulfilment, scores and the merchants bundle."""


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", default=None, metavar="KIND",
              help="Check as this kind instead of the file's `kind:` header: guarantees, risk, fulfilment, scores, "
                   "merchants (a bundle's rulebook.yaml: the whole bundle), merchants.onboarding|deposits|fees|"
                   "programmes|financing|matchmaking.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (file, kind, ok, summary, problems).")
def rules_check(file: Path, kind: str | None, as_json: bool) -> None:
    """Validate a rulebook FILE exactly as anxin loads it; print every problem with its path.

    The kind comes from the file's `kind:` header (or --kind). Exit 0 when the file is valid, 1 when it is not.
    JSON Schemas for editors: docs/schemas/<kind>.schema.json (docs/rulebooks.md).
    """
    from anxin.cli.rulebooks import check, kinds

    if kind is not None and kind not in kinds():
        _fail(f"--kind must be one of {sorted(kinds())}, got {kind!r}", "cli.unknown_kind")
    report = check(file, kind)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        sys.exit(1 if report.problems else 0)
    if report.problems:
        label = f" as {report.kind}" if report.kind else ""
        click.echo(f"{file}: INVALID{label} ({len(report.problems)} problem(s))", err=True)
        for problem in report.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo(f"{file}: OK — {report.kind}, {report.summary}")


@main.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--subject", required=True,
              help="consumer_id / merchant_id / creator_id, or a label for platform and operator.")
def keys_create(role: str, subject: str) -> None:
    """Create a key and print it (it is shown once; only its hash is stored)."""
    from anxin.bootstrap import bootstrap

    try:
        principal, raw = bootstrap().access.create_key(role, subject)
    except AnxinError as exc:
        _fail(exc.message, exc.code.value)
    click.echo(raw)
    click.echo(f"# key {principal.key_id}: role={principal.role.value} subject={principal.subject}", err=True)


@keys.command("login-link")
@click.option("--key-id", default=None, help="Sign in as this existing key.")
@click.option("--role", default=None, type=click.Choice([r.value for r in Role]),
              help="Or mint a new key of this role (with --subject) and sign in as it.")
@click.option("--subject", default=None, help="consumer_id / merchant_id / creator_id, or a label (with --role).")
@click.option("--next", "next_path", default="/", show_default=True, help="The page to open after signing in.")
@click.option("--minutes", default=None, type=click.IntRange(1, 7 * 24 * 60),
              help="Lifetime  [default: ANXIN_LOGIN_LINK_MINUTES, 15]")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True)
def keys_login_link(key_id: str | None, role: str | None, subject: str | None, next_path: str, minutes: int | None,
                    base_url: str) -> None:
    """Print a one-time login link: it signs a browser in once, then it is invalid; it expires unused."""
    import datetime as dt

    from anxin.bootstrap import bootstrap

    if (key_id is None) == (role is None) or (role is not None and not subject):
        _fail("give --key-id, or --role with --subject", "cli.usage")
    lifetime = dt.timedelta(minutes=minutes) if minutes else None
    try:
        link = bootstrap().access.create_login_link(key_id=key_id, role=role, subject=subject, lifetime=lifetime)
    except AnxinError as exc:
        _fail(exc.message, exc.code.value)
    click.echo(login_url(base_url, link.token, next_path))
    click.echo(f"# key {link.principal.key_id}: role={link.principal.role.value} subject={link.principal.subject}, "
               f"valid once until {link.expires_at.isoformat()}", err=True)


def login_url(base: str, token: str, next_path: str) -> str:
    from urllib.parse import quote

    return f"{base.rstrip('/')}/login/link?token={quote(token, safe='')}&next={quote(next_path, safe='/')}"


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to ANXIN_DATABASE_URL."""
    from anxin.db import migrate
    from anxin.db.engine import make_engine

    engine = make_engine()
    migrate.upgrade(engine)
    click.echo(f"migrated {engine.url.render_as_string(hide_password=True)} to {migrate.current_revision(engine)}")


from anxin.cli.demo import demo, sim  # noqa: E402  (sim and demo live in their own module)

main.add_command(sim)
main.add_command(demo)


def _register_scoring() -> None:
    from anxin.cli.score import export_facts, score

    main.add_command(score)
    main.add_command(export_facts)


_register_scoring()

from anxin.cli.risk import risk  # noqa: E402  (risk control lives in its own module)

main.add_command(risk)

from anxin.cli.merchants import merchants  # noqa: E402  (merchant lifecycle and money)

main.add_command(merchants)

from anxin.cli.worker import worker  # noqa: E402  (the periodic jobs' process)

main.add_command(worker)
from anxin.cli.outbox import outbox  # noqa: E402  (webhooks: messages, deliveries, endpoints)

main.add_command(outbox)
from anxin.cli.config import config  # noqa: E402  (the effective settings)

main.add_command(config)
from anxin.cli.care import care  # noqa: E402  (customer care: the intent classifier)

main.add_command(care)

from anxin.cli.report import report  # noqa: E402  (the service-experience report)

main.add_command(report)


if __name__ == "__main__":  # last: `python -m anxin.cli.main worker` needs every command registered first
    main()
from anxin.cli.governance import governance  # noqa: E402  (violations, listing compliance, inspections …)

main.add_command(governance)
