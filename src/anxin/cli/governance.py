"""`anxin governance …`: governance from the command line. `check-listing` judges one title (and description)
against the listing-term lists; `check-file` judges a JSON Lines file of listings and, when they carry labels,
measures the check's precision and recall against them (docs/governance.md)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import click

LABELS = ("ok", "review", "violates")  # violates and review should be flagged; ok should pass


@click.group()
def governance() -> None:
    """Governance: violations, listing compliance, inspections, appeals, IP complaints."""


def _matcher(terms_file: Path | None) -> Any:
    from anxin.governance.listing_terms_rules import ListingTermsError, load_listing_terms
    from anxin.governance.terms import matcher_for

    try:
        return matcher_for(load_listing_terms(terms_file))
    except ListingTermsError as exc:
        raise click.ClickException(str(exc)) from exc


def _tags(value: str) -> frozenset[str]:
    return frozenset(t.strip() for t in value.split(",") if t.strip())


def _category(category_id: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """The category's lineage and tags from the database (ANXIN_DATABASE_URL)."""
    from anxin.bootstrap import bootstrap
    from anxin.catalog import service as catalog

    anxin = bootstrap()
    with anxin.uow_factory() as uow:
        found = catalog.category_lineage(uow, [category_id]).get(category_id)
    if found is None:
        raise click.BadParameter(f"no category {category_id!r} in the database", param_hint="--category")
    return (category_id, *found[0]), found[1]


TERMS_OPTION = click.option("--terms", "terms_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                            default=None, help="A listing_terms.yaml to use instead of the packaged one.")


@governance.command("check-listing")
@click.option("--title", required=True, help="The listing's title.")
@click.option("--description", default="", help="The listing's description.")
@click.option("--category", "category_id", default=None, metavar="ID",
              help="A category id: its tags and ancestors are read from the database (ANXIN_DATABASE_URL).")
@click.option("--tags", default="", metavar="T1,T2",
              help="Category tags to judge with instead of a database category (e.g. cosmetics,food).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole check as JSON.")
@TERMS_OPTION
def check_listing(title: str, description: str, category_id: str | None, tags: str, as_json: bool,
                  terms_file: Path | None) -> None:
    """Judge one listing text against the term lists: the outcome (pass, needs_review, blocked) and every match
    with its field, position and rule. Stores nothing.

        anxin governance check-listing --title '最好的祛痘消炎面膜' --tags cosmetics
    """
    lineage, tag_set = _category(category_id) if category_id else ((), _tags(tags))
    check = _matcher(terms_file).check(title=title, description=description, lineage=lineage,
                                       tags=tag_set | _tags(tags))
    if as_json:
        click.echo(json.dumps(check.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{check.outcome}  (rulebook {check.version})")
    for m in check.matches:
        click.echo(f"  {m.field}[{m.start}:{m.end}] {m.text!r}  {m.outcome}  {m.rule_id}  {m.reason}")


@governance.command("check-file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write each line's check to OUT (JSON Lines, in input order).")
@click.option("--misses", is_flag=True, help="List the labelled lines the check got wrong.")
@TERMS_OPTION
def check_file(file: Path, out: Path | None, misses: bool, terms_file: Path | None) -> None:
    """Judge every listing in FILE (JSON Lines: {"title", "description"?, "tags"?: [...], "lineage"?: [...],
    "label"?: ok | review | violates}) and print a summary: outcomes, the rules that matched and, for labelled
    lines, precision and recall of "flagged" (needs_review or blocked) against labels review or violates."""
    from rich.progress import Progress

    matcher = _matcher(terms_file)
    lines = [ln for ln in file.read_text(encoding="utf-8").splitlines() if ln.strip()]
    outcomes: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    confusion: Counter[tuple[bool, bool]] = Counter()
    blocked_right = blocked = 0
    wrong: list[str] = []
    results = []
    with Progress(transient=False) as progress:
        task = progress.add_task(f"checking {file.name}", total=len(lines))
        for n, line in enumerate(lines, 1):
            try:
                item = json.loads(line)
                check = matcher.check(title=str(item["title"]), description=str(item.get("description", "")),
                                      lineage=tuple(item.get("lineage", ())), tags=frozenset(item.get("tags", ())))
            except (ValueError, KeyError, TypeError) as exc:
                raise click.ClickException(f"{file}:{n}: not a listing line ({exc})") from exc
            outcomes[check.outcome] += 1
            rules.update(check.rule_ids)
            results.append({"line": n, **check.as_dict()})
            label = item.get("label")
            if label is not None:
                if label not in LABELS:
                    raise click.ClickException(f"{file}:{n}: label must be one of {', '.join(LABELS)}")
                truth, flagged = label != "ok", check.outcome != "pass"
                confusion[(truth, flagged)] += 1
                if check.outcome == "blocked":
                    blocked += 1
                    blocked_right += label == "violates"
                if truth != flagged:
                    wrong.append(f"  line {n} [{label} → {check.outcome}] {item['title']}")
            progress.advance(task)
    if out is not None:
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8")
    click.echo(f"{len(lines)} listings: " + ", ".join(f"{k} {outcomes[k]}" for k in ("pass", "needs_review",
                                                                                     "blocked")))
    click.echo("rules matched: " + (", ".join(f"{r} {c}" for r, c in rules.most_common()) or "none"))
    if confusion:
        tp, fp, fn, tn = (confusion[(True, True)], confusion[(False, True)], confusion[(True, False)],
                          confusion[(False, False)])
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        click.echo(f"labelled {tp + fp + fn + tn}: flagged precision {precision:.3f} ({tp}/{tp + fp}), "
                   f"recall {recall:.3f} ({tp}/{tp + fn}); true negatives {tn}")
        if blocked:
            click.echo(f"blocked: {blocked}, of which labelled violates {blocked_right} "
                       f"({blocked_right / blocked:.3f})")
        if misses and wrong:
            click.echo("misses:\n" + "\n".join(wrong))


from anxin.cli.governance_inspections import plan, plan_report  # noqa: E402  (sampling inspection, its own module)

governance.add_command(plan)
governance.add_command(plan_report)
