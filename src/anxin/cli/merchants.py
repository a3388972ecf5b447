"""`anxin merchants …`: the merchant lifecycle and money from the command line, acting as the platform.

Every command prints the service's JSON answer; bad input prints ``error [code]: message`` and exits 2, with nothing
written. Money is integer fen; commands that move money take ``--key`` (the same key again does nothing twice).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from anxin.cli.output import emit
from anxin.core.principal import Principal, Role

PLATFORM = Principal("cli", Role.PLATFORM, "cli")


def _service() -> Any:
    from anxin.bootstrap import bootstrap

    return bootstrap().merchants


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-01") from None


def _json_object(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"cannot read {file}: {exc}") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{file}: must hold one JSON object")
    return data


@click.group()
def merchants() -> None:
    """Merchant lifecycle and money: applications, states, transfers, deposits, fees, offers, settlement."""


@merchants.command("rulebook")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def rulebook_check(directory: Path | None) -> None:
    """Validate the merchants rulebook bundle in DIRECTORY (default: the packaged one); list every problem."""
    from anxin.merchants.rulebook import MerchantRulebookError, load_merchant_rulebook

    try:
        book = load_merchant_rulebook(directory)
    except MerchantRulebookError as exc:
        click.echo(f"{directory or 'merchants rulebook'}: INVALID ({len(exc.problems)} problem(s))", err=True)
        for problem in exc.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo(f"merchants rulebook OK — version {book.version}, effective from {book.effective_from.isoformat()}: "
               f"{len(book.fees.commission)} commission rates, {len(book.fees.waivers)} waivers, "
               f"{len(book.deposits.base)} deposit rows, {len(book.programmes.novice.tasks)} novice tasks")


@merchants.command("apply")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def apply(file: Path) -> None:
    """Apply for a shop from a JSON FILE (shop_id, merchant_id, name, store_type, categories, licence_no …)."""
    data = _json_object(file)
    service = _service()
    emit(lambda: service.lifecycle.apply(PLATFORM, data))


@merchants.command("decide")
@click.argument("shop_id")
@click.option("--approve/--reject", required=True, help="Approve or reject an application waiting for review.")
@click.option("--note", default="", help="Kept in the shop's history.")
def decide(shop_id: str, approve: bool, note: str) -> None:
    """Decide an application that screening sent to review."""
    service = _service()
    emit(lambda: service.lifecycle.decide_application(PLATFORM, shop_id, approve=approve, note=note))


@merchants.command("status")
@click.argument("shop_id")
def status(shop_id: str) -> None:
    """A shop's state, screening and full history."""
    service = _service()
    emit(lambda: service.centre.status(PLATFORM, shop_id))


@merchants.command("state")
@click.argument("shop_id")
@click.argument("action", type=click.Choice(["restrict", "suspend", "reinstate", "close"]))
@click.option("--reason", default="", help="Why; kept in the shop's history.")
def state(shop_id: str, action: str, reason: str) -> None:
    """Restrict, suspend, reinstate or close a shop."""
    service = _service()
    emit(lambda: service.lifecycle.change_state(PLATFORM, shop_id, action=action, reason=reason))


@merchants.command("transfer")
@click.argument("shop_id")
@click.option("--kind", required=True, type=click.Choice(["transfer", "entity_change", "upgrade"]))
@click.option("--to-merchant", default=None, help="The new owner (transfer).")
@click.option("--store-type", default=None, type=click.Choice(["enterprise", "individual", "personal"]))
@click.option("--licence", default=None, help="The new business licence number.")
def transfer(shop_id: str, kind: str, to_merchant: str | None, store_type: str | None, licence: str | None) -> None:
    """Transfer a shop, change its entity, or upgrade personal → individual (history kept)."""
    data = {k: v for k, v in (("kind", kind), ("to_merchant_id", to_merchant), ("store_type", store_type),
                              ("licence_no", licence)) if v is not None}
    service = _service()
    emit(lambda: service.lifecycle.transfer(PLATFORM, shop_id, data))


@merchants.command("deposit")
@click.argument("shop_id")
@click.option("--top-up", "top_up", type=int, default=None, help="Pay this many fen in.")
@click.option("--withdraw", type=int, default=None, help="Withdraw this many fen (down to the requirement).")
@click.option("--deduct", type=int, default=None, help="Deduct this many fen (with --reason).")
@click.option("--reason", type=click.Choice(["penalty", "compensation"]), default="penalty")
@click.option("--allow-debt", is_flag=True, help="Book what the deposit cannot cover to the shop's debt.")
@click.option("--key", default=None, help="Idempotency key for a money movement (required with one).")
def deposit(shop_id: str, top_up: int | None, withdraw: int | None, deduct: int | None, reason: str,
            allow_debt: bool, key: str | None) -> None:
    """Show the deposit (held, required and why, postings), or move money with one of the options."""
    moves = [m for m in (top_up, withdraw, deduct) if m is not None]
    if len(moves) > 1:
        raise click.UsageError("give one of --top-up, --withdraw, --deduct")
    if moves and not key:
        raise click.UsageError("--key is required to move money (the same key again does nothing twice)")
    service = _service()
    if top_up is not None:
        emit(lambda: service.money.top_up(PLATFORM, shop_id, amount_fen=top_up, key=key))
    elif withdraw is not None:
        emit(lambda: service.money.withdraw_deposit(PLATFORM, shop_id, amount_fen=withdraw, key=key))
    elif deduct is not None:
        emit(lambda: service.money.deduct(PLATFORM, shop_id, amount_fen=deduct, reason=reason, key=key,
                                     allow_debt=allow_debt))
    else:
        emit(lambda: service.money.deposit(PLATFORM, shop_id))


@merchants.command("payout")
@click.argument("shop_id")
@click.argument("amount_fen", type=int)
@click.option("--key", required=True, help="Idempotency key: the same key again pays nothing twice.")
def payout(shop_id: str, amount_fen: int, key: str) -> None:
    """Pay the settled goods payment out (a zero-deposit trial shop: the trial's limits)."""
    service = _service()
    emit(lambda: service.money.payout_goods(PLATFORM, shop_id, amount_fen=amount_fen, key=key))


@merchants.command("campaign")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def campaign(file: Path) -> None:
    """Add a time-boxed waiver or rebate from a JSON FILE (the shape of a fees.yaml waiver)."""
    spec = _json_object(file)
    service = _service()
    emit(lambda: service.campaigns.add_campaign(PLATFORM, spec))


@merchants.command("statement")
@click.argument("shop_id")
@click.option("--start", required=True, help="First Beijing day, e.g. 2026-11-01.")
@click.option("--end", required=True, help="Last Beijing day, e.g. 2026-11-30.")
def statement(shop_id: str, start: str, end: str) -> None:
    """The fee statement of a period: every entry, totals by kind and by waiver, rulebook versions."""
    service = _service()
    first, last = _day(start), _day(end)
    emit(lambda: service.statements.period_statement(PLATFORM, shop_id, first, last))


@merchants.command("order")
@click.argument("order_id")
def order(order_id: str) -> None:
    """One order's settlement: fee at sale, waivers, refunds and reversals, net."""
    service = _service()
    emit(lambda: service.statements.order_statement(PLATFORM, order_id))


@merchants.command("offers")
@click.argument("shop_id")
@click.option("--refresh", is_flag=True, help="Decide again even if today's offers are recorded.")
def offers(shop_id: str, refresh: bool) -> None:
    """Loan, early payout and instalment offers with their reasons (recorded)."""
    service = _service()
    emit(lambda: service.financing.offers(PLATFORM, shop_id, refresh=refresh))


@merchants.command("novice")
@click.argument("shop_id")
def novice(shop_id: str) -> None:
    """Novice tasks, XP, level and unlocks; creator matching; traffic support."""
    service = _service()
    emit(lambda: service.programmes.novice(PLATFORM, shop_id))


@merchants.command("settle")
def settle() -> None:
    """Run the settlement job: freeze fees of new sales, reverse refunds and cancellations, fill trial deposits."""
    from rich.progress import Progress

    service = _service()
    with Progress(transient=True) as progress:
        progress.add_task("settling", total=None)
        result = service.settlement.settle_pending(limit=10**12)
    click.echo(json.dumps(result.as_dict()))
