"""``anxin config``: the effective settings, where each came from, secrets masked."""

from __future__ import annotations

import json

import click


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def config(as_json: bool) -> None:
    """Print the effective settings: each setting, the ANXIN_* variable it is read from, its value and its source
    (env or default). The webhook secret and the database password are masked (**********).

    Invalid values end with error [settings.invalid] and one line per problem (exit 2). In production mode
    (ANXIN_MODE unset or production) without ANXIN_WEBHOOK_SECRET it says that `anxin serve` and `anxin worker`
    will refuse to start. Every setting is described in docs/configuration.md.
    """
    from anxin.settings import Settings, SettingsError, describe

    settings = Settings()
    rows = describe(settings)
    problems: list[dict[str, str]] = []
    try:
        settings.check_startup()
    except SettingsError as exc:
        problems.append({"code": exc.code.value, "message": exc.message})
    if as_json:
        click.echo(json.dumps({"mode": settings.mode, "settings": rows, "problems": problems}, ensure_ascii=False))
        return
    width = max(len(r["env"]) for r in rows)
    for r in rows:
        value = "(not set)" if r["value"] is None or r["value"] == [] else r["value"]
        if isinstance(value, list):
            value = ",".join(value)
        click.echo(f"{r['env']:<{width}}  {value}  [{r['source']}]")
    for p in problems:
        click.echo(f"warning [{p['code']}]: {p['message']}", err=True)
