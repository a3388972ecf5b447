"""``anxin sim`` (a simulated marketplace into the configured database) and ``anxin demo`` (a fresh one,
served live, with an ``anxin worker`` process running its deadlines and webhooks). The demo is the only place here
that reads the wall clock: to end its simulated month now.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import click

if TYPE_CHECKING:
    from rich.console import Console

    from anxin.bootstrap import Anxin
    from anxin.settings import Settings
    from anxin.sim import SimConfig, Simulation

# Heavy imports (SQLAlchemy, Pillow, rich) happen inside the commands: `anxin --help` stays fast.


def _fail(message: str, code: str) -> None:
    click.echo(f"error [{code}]: {message}", err=True)
    sys.exit(2)


def _simulate(anxin: Anxin, config: SimConfig, console: Console, events_out: Path | None) -> Simulation:
    """Run with a progress bar over simulated days; write every event sent to ``events_out`` (JSONL)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from anxin.sim import Simulation

    with contextlib.ExitStack() as stack:
        handle = None
        if events_out is not None:
            events_out.parent.mkdir(parents=True, exist_ok=True)
            handle = stack.enter_context(events_out.open("w", encoding="utf-8"))
        sim = Simulation(anxin, config, events_out=handle)
        progress = stack.enter_context(Progress(
            TextColumn("[bold]simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("days"),
            TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=console))
        task = progress.add_task("days", total=config.days, info="")

        def on_day(day: int, p: dict[str, int]) -> None:
            progress.update(task, completed=day, info=f"{p['orders']} orders · {p['events']} events · "
                                                      f"{p['cases']} cases")

        return sim.run(on_day)


def _config(days: int, merchants: int, seed: int, consumers: int | None, start: dt.datetime, *,
            governance: bool = False, care: bool = False, worry_free: bool = False) -> SimConfig:
    from anxin.sim import SimConfig

    return SimConfig(days=days, merchants=merchants, seed=seed, consumers=consumers, start=start,
                     governance=governance, care=care, worry_free=worry_free)


@click.command("sim")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366))
@click.option("--merchants", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--consumers", default=None, type=click.IntRange(1, None), help="Default: 20 per merchant.")
@click.option("--start", default=None, help="ISO 8601 instant with offset [default: 2026-11-01T00:00:00+08:00].")
@click.option("--ground-truth", "truth_path", default="var/sim-ground-truth.json", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Latent facts: quality, abusers, genuine claims.")
@click.option("--events-out", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every event sent to anxin as JSON Lines (for `anxin ingest`).")
@click.option("--governance/--no-governance", default=False, show_default=True,
              help="Operators inspect, rights holders complain, merchants appeal, and the platform carries out "
                   "anxin's actions (takedowns stop sales): docs/simulator.md.")
@click.option("--care/--no-care", default=False, show_default=True,
              help="Consumers and merchants consult customer care through anxin (tickets instead of chat sessions), "
                   "merchants and platform agents answer, outreach for orders in trouble: docs/care.md.")
@click.option("--worry-free/--no-worry-free", "worry_free", default=False, show_default=True,
              help="The worry-free programme: enrolment, warehouse lots and inspection, checkout reservations, "
                   "warehouse shipping, creators choosing from the pool, lucky bags: docs/worry-free.md.")
def sim(days: int, merchants: int, seed: int, consumers: int | None, start: str | None, truth_path: Path,
        events_out: Path | None, governance: bool, care: bool, worry_free: bool) -> None:
    """Simulate a marketplace through anxin's real services on a simulated clock.

    Writes into ANXIN_DATABASE_URL, which must hold no events yet. Webhooks go to an in-process
    receiver standing in for the platform (signatures checked, each Idempotency-Key applied once).
    """
    from rich.console import Console

    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock, parse_instant
    from anxin.outbox.receiver import WebhookSink
    from anxin.settings import Settings
    from anxin.sim import DEFAULT_START
    from anxin.sim import report as sim_report
    from anxin.sim.platform import SinkTransport

    try:
        begin = parse_instant(start) if start else DEFAULT_START
    except ValueError as exc:
        _fail(str(exc), "cli.invalid_time")
        return
    # A simulated marketplace is a demo: without ANXIN_WEBHOOK_SECRET its platform checks the development secret.
    settings = Settings(mode="demo")
    clock = FixedClock(begin)
    sink = WebhookSink(settings.signing_secret())  # signed with the wall clock, whatever the sim time
    anxin = bootstrap(settings=settings, clock=clock, transport=SinkTransport(sink))
    if anxin.ingestion.stats():
        _fail("the database already holds events; point ANXIN_DATABASE_URL at an empty one",
              "sim.database_not_empty")
    console = Console()
    config = _config(days, merchants, seed, consumers, begin, governance=governance, care=care,
                     worry_free=worry_free)
    result = _simulate(anxin, config, console, events_out)
    summary = sim_report.summary(result)
    sim_report.write_json(sim_report.ground_truth(result), truth_path)
    sim_report.render(summary, console, seconds=result.seconds)
    click.echo(f"ground truth: {truth_path}" + (f"   events: {events_out}" if events_out else ""))
    click.echo(f"webhooks received by the simulated platform: {len(sink.applied)} "
               f"({sink.duplicates} duplicate deliveries ignored)")


def _pick_consumer(sim: Simulation, live: Anxin) -> tuple[str, str] | None:
    """A consumer with cases and an order whose guarantees are running now (checked on the live clock)."""
    from anxin.core.errors import AnxinError
    from anxin.core.principal import Principal, Role
    from anxin.sim import report as sim_report

    candidates = sim_report.demo_candidates(sim)
    for consumer_id, order_id in candidates[:50]:
        who = Principal(key_id="demo", role=Role.CONSUMER, subject=consumer_id)
        with contextlib.suppress(AnxinError):
            if any(c.state == "active" for c in live.aftersales.guarantees(who, order_id).coverage):
                return consumer_id, order_id
    if candidates:
        return candidates[0]
    claimed = [k for k in sim.cases.claims if k.case_id]
    if claimed:  # a tiny run: any buyer with a case, else any buyer at all
        return claimed[-1].order.consumer.consumer_id, claimed[-1].order.order_id
    placed = [o for o in sim.orders.all if o.paid_at < sim.end - dt.timedelta(hours=1)]
    return (placed[-1].consumer.consumer_id, placed[-1].order_id) if placed else None


def _pick_creator(live: Any) -> str | None:
    """The best-scored creator of the latest run (the creator centre's score page then has content), if any."""
    from anxin.core.principal import Principal, Role

    staff = Principal(key_id="demo", role=Role.OPERATOR, subject="demo-operator")
    rows = live.scoring.ranking(staff, "creator", limit=20)["rows"]
    return next((r["subject_id"] for r in rows if r["score_x100"] is not None),
                rows[0]["subject_id"] if rows else None)


def _pick_merchant(sim: Simulation) -> str:
    from anxin.sim import report as sim_report

    busiest = sim_report.busiest_pending_merchant(sim)
    if busiest:
        return busiest
    counts: dict[str, int] = {}
    for claim in sim.cases.claims:
        m = claim.order.shop.merchant.merchant_id
        counts[m] = counts.get(m, 0) + 1
    return min(counts, key=lambda m: (-counts[m], m)) if counts else sim.world.merchants[0].merchant_id


# Demo links are one-time login links (keys never travel in URLs); they last longer than the default 15 minutes
# so a demo started now can still be opened later today. Each printed link signs one browser in once.
DEMO_LINK_LIFETIME = dt.timedelta(hours=12)


class _Links:
    """Mints one-time login links on the demo database for the keys it creates."""

    def __init__(self, live: Anxin, base: str) -> None:
        self.live, self.base = live, base
        self.keys: list[tuple[str, str]] = []  # (role, key_id) to mint more links later

    def key(self, role: str, subject: str) -> str:
        who, _ = self.live.access.create_key(role, subject)
        self.keys.append((role, who.key_id))
        return who.key_id

    def link(self, key_id: str, next_path: str) -> str:
        from anxin.cli.main import login_url

        token = self.live.access.create_login_link(key_id=key_id, lifetime=DEMO_LINK_LIFETIME).token
        return login_url(self.base, token, next_path)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366))
@click.option("--merchants", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--db", "db_path", default="var/demo.db", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="SQLite file, recreated on every run.")
@click.option("--evidence-dir", default="var/demo-evidence", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--ground-truth", "truth_path", default="var/demo-ground-truth.json", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-serve", is_flag=True, help="Build the data, create the keys, print the links, exit.")
@click.option("--governance/--no-governance", default=True, show_default=True,
              help="Inspections, IP complaints, appeals and the platform carrying out anxin's actions.")
@click.option("--care/--no-care", default=True, show_default=True,
              help="Consultations, tickets with reply-time SLAs, ratings and proactive outreach (docs/care.md).")
@click.option("--worry-free/--no-worry-free", "worry_free", default=True, show_default=True,
              help="The worry-free programme: warehouse lots, inspection, reservations, the selection pool, lucky bags "
                   "(docs/worry-free.md).")
def demo(host: str, port: int, days: int, merchants: int, seed: int, db_path: Path, evidence_dir: Path,
         truth_path: Path, no_serve: bool, governance: bool, care: bool, worry_free: bool) -> None:
    """Simulate a month that ends now into a fresh SQLite file, then serve it with a live webhook receiver and a
    worker process (`anxin worker`) running deadlines, settlement and webhook delivery; Ctrl-C stops both."""
    from rich.console import Console

    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock, SystemClock
    from anxin.outbox.receiver import WebhookSink, serve_sink
    from anxin.settings import Settings
    from anxin.sim import report as sim_report

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    os.environ.setdefault("ANXIN_DATABASE_URL", url)
    wall = SystemClock()
    # The simulated month ends at the current hour, so windows and deadlines on the pages are live.
    start = (wall.now() - dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    sim_clock = FixedClock(start)
    secret = Settings(mode="demo").signing_secret()  # ANXIN_WEBHOOK_SECRET, else the development one
    sink = WebhookSink(secret)  # webhooks are signed with the wall clock, whatever the simulated time
    hook_server, hook_url = serve_sink(sink)
    settings = Settings(mode="demo", database_url=url, evidence_dir=evidence_dir, webhook_url=hook_url,
                        webhook_secret=secret)
    console = Console()
    try:
        simulated = bootstrap(settings=settings, clock=sim_clock)
        config = _config(days, merchants, seed, None, start, governance=governance, care=care, worry_free=worry_free)
        sim = _simulate(simulated, config, console, None)
        summary = sim_report.summary(sim)
        sim_report.write_json(sim_report.ground_truth(sim), truth_path)
        sim_report.render(summary, console, seconds=sim.seconds)
        live = bootstrap(settings=settings, run_migrations=False)
        _score_history(live, console)
        _seed_deposits(sim, live)
        reports = _service_reports(live, db_path.parent, console)
        links = _keys_and_links(sim, live, f"http://{host}:{port}", url, reports)
        simulated.engine.dispose()
        for line in links:
            click.echo(line)
        click.echo(f"webhooks: the demo receiver at {hook_url} has applied {len(sink.applied)} messages")
        if no_serve:
            return
        import uvicorn

        from anxin.web.app import create_app

        worker_log = db_path.parent / "demo-worker.log"
        worker = _start_worker(settings, worker_log)
        click.echo(f"worker pid {worker.pid} runs deadlines, settlement and webhook delivery (log: {worker_log})")
        click.echo(f"serving http://{host}:{port}/ — Ctrl-C to stop")
        try:
            uvicorn.run(create_app(live), host=host, port=port, log_level="warning",
                        timeout_keep_alive=settings.keep_alive_seconds)
        finally:
            _stop_worker(worker)
    finally:
        hook_server.shutdown()
        hook_server.server_close()


def _worry_free_links(sim: Simulation, live: Anxin, links: _Links, operator_key: str) -> list[str]:
    """The programme's pages, following one listing from enrolment to a drawn lucky bag where the run got that far:
    the bag's audit (its creator's page), the shop's worry-free page and the lot's inspection; then the operators'."""
    from anxin.core.principal import Principal, Role

    wf = sim.worry_free
    assert wf is not None
    lines = []
    bag = wf.showcase_bag()
    merchant = wf.showcase_merchant()
    mkey = links.key("merchant", merchant) if merchant is not None else None
    if bag is not None:
        story = wf.story(bag.listing_ids[0])
        view = live.wf_tags.listing_view(Principal(key_id="demo", role=Role.OPERATOR, subject="demo-operator"),
                                         story["listing_id"])
        gained = [h["at"][:10] for h in view["history"] if h["change"] == "gained"]
        tag = view.get("tag") or {}
        now = "carries it now" if tag.get("tagged") else f"not now: {', '.join(tag.get('reasons', []))}"
        tagged = f"tagged {len(gained)}× from {gained[0]} ({now})" if gained else "never tagged"
        lines.append(f"  Worry-free story   listing {story['listing_id']}: enrolled → {story['lots']} lots inbound, "
                     f"{len(story['passed'])} passed inspection → {tagged} → {story['held_orders']} orders sold "
                     f"from guaranteed stock → lucky bag {bag.bag_id}: {bag.prizes} prizes drawn from "
                     f"{bag.entrants} entrants")
        if bag.creator_id is not None:
            ckey = links.key("creator", bag.creator_id)
            lines.append(f"  Lucky bag          {links.link(ckey, f'/creator/lucky-bags/{quote(bag.bag_id)}')}   "
                         f"(creator {bag.creator_id}: the draw's commitment, each entrant's chance, the prize orders)")
        elif mkey is not None:
            lines.append(f"  Lucky bag          {links.link(mkey, f'/merchant/lucky-bags/{quote(bag.bag_id)}')}   "
                         f"(the shop's own stream: the draw's commitment, each entrant's chance, the prize orders)")
        if mkey is not None and story["passed"]:
            lot_page = f"/merchant/worry-free/lots/{quote(story['passed'][0])}"
            lines.append(f"  Lot inspection     {links.link(mkey, lot_page)}   (the sampled units, the checks, "
                         f"the verdict)")
    else:
        creator = wf.showcase_creator()
        if creator is not None:
            ckey = links.key("creator", creator)
            lines.append(f"  Creator bags       {links.link(ckey, '/creator/lucky-bags')}   (no bag was drawn in this "
                         f"run: a longer or larger run draws some)")
    if merchant is not None and mkey is not None:
        lines.append(f"  Worry-free (shop)  {links.link(mkey, '/merchant/worry-free')}   (merchant {merchant}: "
                     f"enrolment, the tag and its reasons, stock, lots and inspection results)")
    lines.append(f"  Worry-free (ops)   {links.link(operator_key, '/ops/worry-free')}   (worry-free vs other orders: "
                 f"24 h ship rate, next-day delivery, complaint and after-sale rates)")
    lines.append(f"  Inspection queue   {links.link(operator_key, '/ops/worry-free/inspections')}")
    return lines


WORKER = "import sys; from anxin.cli.main import main; sys.argv[0] = 'anxin'; main()"


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`anxin worker` in a process of its own on the demo's database file, next to the server (SQLite serializes
    the two processes' writes with its own lock and busy timeout). In a session of its own: Ctrl-C reaches the demo
    only, which then stops the worker with one SIGTERM (a second signal would make it leave without waiting)."""
    env = {**os.environ, "ANXIN_DATABASE_URL": settings.database_url, "ANXIN_EVIDENCE_DIR": str(settings.evidence_dir),
           "ANXIN_WEBHOOK_SECRET": settings.signing_secret(), "ANXIN_WEBHOOK_URL": settings.webhook_url or "",
           "ANXIN_MODE": settings.mode}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as fh:
        return subprocess.Popen([sys.executable, "-c", WORKER, "worker"], stdout=fh, stderr=fh, env=env,
                                start_new_session=True)


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM: the worker finishes the job runs it is in and releases its leases; killed if it takes too long."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _score_history(live: Anxin, console: Console, days: int = 7) -> None:
    """Score the last week day by day, so the score pages have a trend (each run is idempotent)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    today = live.scoring.today()
    with Progress(TextColumn("[bold]scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("days"),
                  console=console) as progress:
        task = progress.add_task("scores", total=days)
        for back in range(days - 1, -1, -1):
            live.scoring.run(today - dt.timedelta(days=back))
            progress.advance(task)


def _seed_deposits(sim: Simulation, live: Anxin) -> None:
    """Most merchants have paid their deposit in full; one in five has not yet, so the centre shows both."""
    from anxin.core.principal import Principal, Role

    platform = Principal(key_id="demo", role=Role.PLATFORM, subject="demo-platform")
    for n, shop in enumerate(sim.world.shops):
        required = live.merchants.money.deposit(platform, shop.shop_id)["required"]["fen"]
        if n % 5 and required:
            live.merchants.money.top_up(platform, shop.shop_id, amount_fen=required, key="demo-deposit")


def _service_reports(live: Anxin, folder: Path, console: Console) -> list[tuple[str, str, list[Path]]]:
    """The service report of the last full week against the week before (both inside the simulated month), and of
    the month so far, written as HTML, PDF and JSON next to the database: (period, compare, files) each."""
    from anxin.core.clock import BEIJING
    from anxin.core.principal import Principal, Role
    from anxin.reports import rendering
    from anxin.reports.periods import Period

    operator = Principal(key_id="demo", role=Role.OPERATOR, subject="demo-operator")
    today = live.clock.now().astimezone(BEIJING).date()
    week = Period.week_of(today).previous()
    out = []
    for period, compare in ((week, week.previous()), (Period.of(today).previous(), None)):
        with console.status(f"service report {period}" + (f" vs {compare}" if compare else "")):
            built = live.reports.build(operator, period.label, compare.label if compare else None)
            files = []
            for fmt in rendering.FORMATS:
                done = rendering.render(built, fmt, "zh-CN")
                path = folder / done.filename
                path.write_bytes(done.body)
                files.append(path)
        out.append((period.label, compare.label if compare else "", files))
    return out


def _keys_and_links(sim: Simulation, live: Anxin, base: str, db_url: str,
                    reports: Sequence[tuple[str, str, list[Path]]] = ()) -> list[str]:
    links = _Links(live, base)
    lines: list[Any] = ["", f"anxin demo: {sim.config.days} simulated days × {sim.config.merchants} merchants, "
                            f"ending now ({sim.describe_period()['end']})"]
    lines.append(f"  API docs           {base}/docs")
    consumer = _pick_consumer(sim, live)
    if consumer is not None:
        consumer_id, order_id = consumer
        key = links.key("consumer", consumer_id)
        lines.append(f"  Consumer Hall      {links.link(key, f'/hall/orders/{order_id}')}"
                     f"   (consumer {consumer_id}, order {order_id})")
    care_pages = sim.care is not None
    shown = sim.care.showcase(consumer[0] if consumer else None) if sim.care is not None and care_pages else None
    if shown is not None:
        who = shown.opener.subject
        key = links.key("consumer", who) if consumer is None or who != consumer[0] else key
        lines.append(f"  Consumer care      {links.link(key, f'/care/consultations/{quote(shown.consultation_id)}')}"
                     f"   (consumer {who}: a conversation with customer care, its ticket, reply, rating)")
    merchant_id = _pick_merchant(sim)
    key = links.key("merchant", merchant_id)
    lines.append(f"  Merchant cases     {links.link(key, '/merchant/cases')}   (merchant {merchant_id})")
    shop_id = next((s.shop_id for s in sim.world.shops if s.merchant.merchant_id == merchant_id), None)
    if shop_id is not None:
        lines.append(f"  Shop fulfilment    {links.link(key, f'/merchant/shops/{quote(shop_id)}/fulfilment')}"
                     f"   (shop {shop_id}: collection rates, trends, findings, late-shipment points)")
        lines.append(f"  Shop score         {links.link(key, f'/merchant/shops/{quote(shop_id)}/score')}"
                     f"   (experience score, diagnosis of every indicator)")
        lines.append(f"  Merchant centre    {links.link(key, f'/merchant/shops/{quote(shop_id)}')}"
                     f"   (status, novice tasks, deposit ledger, fee statement with waivers, offers, open cases)")
        lines.append(f"  Shop governance    {links.link(key, f'/merchant/governance/{quote(shop_id)}')}"
                     f"   (points per class, the ladder, measures in force, violations, appeals)")
    if care_pages:
        lines.append(f"  Merchant CS inbox  {links.link(key, '/merchant/care')}   (tickets with SLA countdowns, "
                     f"the 3-minute reply clock, breaches and escalations)")
    creator_id = _pick_creator(live)
    if creator_id is not None:
        ckey = links.key("creator", creator_id)
        lines.append(f"  Creator centre     {links.link(ckey, '/creator/pool')}   (creator {creator_id}: the "
                     f"selection pool with its badges, worry-free vs other orders, the own score at /creator/score)")
    key = links.key("operator", "demo-operator")
    lines.append(f"  Operator console   {links.link(key, '/ops/cases')}")
    lines.append(f"  Score ranking      {links.link(key, '/ops/scores')}   (merchants, creators, consumer credit)")
    from anxin.core.principal import Principal, Role

    counts = live.risk.review_counts(Principal(key_id="demo", role=Role.OPERATOR, subject="demo-operator"))
    lines.append(f"  Risk review queue  {links.link(key, '/ops/risk')}   ({counts['open']} open: "
                 f"reused evidence, rings, freight arbitrage, extortion, risky shops)")
    lines.append(f"  Governance console {links.link(key, '/ops/governance')}   (appeals by SLA, violations, listing "
                 f"findings, IP complaints, inspection plans)")
    if care_pages:
        lines.append(f"  Platform CS queue  {links.link(key, '/ops/care')}   (tickets by deadline, breaches, "
                     f"escalations, CSAT and the SLA report, proactive care)")
    if sim.worry_free is not None:
        lines += _worry_free_links(sim, live, links, key)
    for period, compare, files in reports:
        what = f"{period} vs {compare}" if compare else f"{period}, no comparison: the simulation began in it"
        if compare:
            page = f"/ops/reports/service?period={period}&compare={compare}"
            lines.append(f"  Service report     {links.link(key, page)}   ({what})")
        lines.append(f"    {what}: {', '.join(str(f) for f in files)}")
    _, raw = live.access.create_key("platform", "demo-platform")
    lines.append(f"  Platform key       {raw}")
    lines.append(f"    curl -H 'Authorization: Bearer {raw}' {base}/v1/aftersales/cases?limit=5")
    hours = int(DEMO_LINK_LIFETIME.total_seconds() // 3600)
    lines.append(f"  Each link signs one browser in once, within {hours} h. More links, e.g.:")
    role, key_id = links.keys[0]
    lines.append(f"    ANXIN_DATABASE_URL={db_url} anxin keys login-link --key-id {key_id} --base-url {base}"
                 f"   ({role}; keys: {', '.join(f'{r} {k}' for r, k in links.keys)})")
    lines.append("")
    return lines
