"""`anxin governance plan` and `plan-report`: sampling inspection from the command line, acting as an operator
(registered on the `governance` group by anxin.cli.governance).

`plan` draws a period's risk-weighted inspection samples (reproducible from the seed; one plan per period) and
`plan-report` prints a plan's coverage and failure rate by stratum. Bad input prints ``error [code]: message`` and
exits 2, with nothing written.
"""

from __future__ import annotations

from typing import Any

import click

from anxin.cli.output import emit
from anxin.core.principal import Principal, Role

OPERATOR = Principal("cli", Role.OPERATOR, "cli")


def _inspections(at: str | None) -> Any:
    from anxin.bootstrap import bootstrap
    from anxin.cli.main import _clock_at

    anxin = bootstrap(clock=_clock_at(at))
    facade = getattr(anxin, "governance", None)
    if facade is not None:
        return facade.inspections
    # Until the core slice's facade is wired in bootstrap: the use cases on their own, with a ledger that refuses.
    # Planning and reporting never record a violation; results are recorded through the API.
    from anxin.governance.inspection_rules import load_inspection_rules
    from anxin.governance.inspections import Inspections

    class _NoLedger:
        def __getattr__(self, name: str) -> Any:
            raise click.ClickException("recording violations needs the governance facade (not wired yet)")

    return Inspections(uow_factory=anxin.uow_factory, clock=anxin.clock, rules=load_inspection_rules(),
                       ledger=_NoLedger())


@click.command("plan")
@click.option("--period", required=True, help="The period's id (2026-12, 2026-W50): one plan per period.")
@click.option("--seed", required=True, type=int, help="The draw's seed: the same seed, the same plan.")
@click.option("--budget", type=int, default=None, help="Samples to draw  [default: the rulebook's]")
@click.option("--at", "at", default=None, metavar="INSTANT", help="Run as if the clock read this instant.")
def plan(period: str, seed: int, budget: int | None, at: str | None) -> None:
    """Draw a period's risk-weighted inspection samples; print the plan (its strata and counts) as JSON.

    \b
    Example:
      anxin governance plan --period 2026-12 --seed 20261207 --budget 200
    """
    body: dict[str, Any] = {"period": period, "seed": seed}
    if budget is not None:
        body["budget"] = budget
    emit(lambda: _inspections(at).create_plan(OPERATOR, body))


@click.command("plan-report")
@click.argument("plan_id")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
def plan_report(plan_id: str, as_json: bool) -> None:
    """A plan's coverage (drawn of candidates) and failure rate (failed of inspected) by stratum."""
    if as_json:
        emit(lambda: _inspections(None).report(OPERATOR, plan_id))
        return
    from anxin.core.errors import AnxinError

    try:
        report = _inspections(None).report(OPERATOR, plan_id)
    except AnxinError as exc:
        raise click.ClickException(f"[{exc.code.value}] {exc.message}") from None
    click.echo(f"plan {report['plan_id']}  period {report['period']}  budget {report['budget']}  seed "
               f"{report['seed']}  rulebook {report['rulebook_version']}")
    click.echo(table(report))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def table(report: dict[str, Any]) -> str:
    """The report as a Markdown table (what docs/governance.md shows)."""
    head = "| stratum | candidates | eligible | min | drawn | coverage | inspected | failed | failure rate |"
    lines = [head, "|" + " --- |" * 9]
    for r in [*report["strata"], report["total"]]:
        lines.append(f"| {r['stratum']} | {r['candidates']} | {r['eligible']} | {r['min_samples']} | {r['drawn']} | "
                     f"{_pct(r['coverage'])} | {r['inspected']} | {r['failed']} | {_pct(r['failure_rate'])} |")
    return "\n".join(lines)

