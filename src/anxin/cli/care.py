"""`anxin care …`: the intent classifier of customer care — train it on simulated consultations, measure it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from anxin.sim.intent_training import HOLDOUT_SEED, TRAIN_N, TRAIN_SEED, VERSION


@click.group()
def care() -> None:
    """Customer care: the intent classifier that routes consultations (docs/care.md, "Intent routing")."""


@care.command("train")
@click.option("--seed", type=int, default=TRAIN_SEED, show_default=True,
              help="Seed of the simulated labelled set (anxin.sim.consultation_texts).")
@click.option("--n", "n", type=click.IntRange(min=100), default=TRAIN_N, show_default=True,
              help="Number of labelled consultations to train on.")
@click.option("--phrasings", type=click.Choice(["all", "train"]), default="all", show_default=True,
              help="train: leave out the core sentences reserved for `anxin care eval --phrasings held_out`.")
@click.option("--version", default=VERSION, show_default=True, help="Model version, also the artefact's file name.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory to write the artefact and manifest.json to  [default: the package's care/models]")
@click.option("--check", is_flag=True,
              help="Write nothing: exit 1 unless the fresh model is identical to the one in --out (byte for byte).")
def care_train(seed: int, n: int, phrasings: str, version: str, out: Path | None, check: bool) -> None:
    """Generate N labelled consultations from SEED, train the character n-gram classifier and write it.

    The artefact (<version>.json.gz) and its manifest (training seed and n, the training data's fingerprint, the
    model's fingerprint and its held-out accuracy against the keyword baseline, measured on 2000 consultations
    generated with seed 1007) go to the package's care/models, where `load_router` finds them. The same seed and
    n give the same bytes: `anxin care train --seed 7 --n 6000` regenerates the shipped model.

    To measure unseen phrasings: `anxin care train --phrasings train --out DIR`, then
    `anxin care eval --models DIR --phrasings held_out`.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from anxin.care.intents import MODELS_DIR, read_manifest
    from anxin.sim.intent_training import HOLDOUT_N, train_artefact

    directory = out or MODELS_DIR
    if seed == HOLDOUT_SEED:
        raise click.BadParameter(f"seed {HOLDOUT_SEED} generates the held-out set; pick another", param_hint="--seed")
    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  transient=False) as progress:
        task = progress.add_task("starting", total=HOLDOUT_N)
        artefact = train_artefact(seed, n, version=version, phrasings=phrasings,
                                  stage=lambda what: progress.update(task, description=what),
                                  progress=lambda k: progress.advance(task, k))
    held = artefact.manifest["held_out"]
    console = Console()
    console.print(f"model {version}: {artefact.manifest['training']['features']} features, "
                  f"{len(artefact.data) / 1024:.0f} KiB, fingerprint {artefact.manifest['model_fingerprint'][:16]}…")
    console.print(f"held-out (seed {held['seed']}, n {held['n']}): classifier {held['classifier_accuracy']:.2%}, "
                  f"router {held['router_accuracy']:.2%}, keyword baseline {held['keyword_baseline_accuracy']:.2%}")
    if check:
        try:
            shipped = read_manifest(directory)
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"no readable manifest in {directory}: {exc}") from exc
        same_model = shipped.get("model_fingerprint") == artefact.manifest["model_fingerprint"]
        same_bytes = (directory / artefact.filename).is_file() and \
            (directory / artefact.filename).read_bytes() == artefact.data
        console.print(f"model document {'identical' if same_model else 'DIFFERS'}; "
                      f"artefact bytes {'identical' if same_bytes else 'DIFFER'} ({directory / artefact.filename})")
        sys.exit(0 if same_model and same_bytes else 1)
    for path in artefact.write(directory):
        console.print(f"wrote {path}")


@care.command("eval")
@click.option("--seed", type=int, default=2027, show_default=True,
              help="Seed of the held-out set; must differ from the model's training seed.")
@click.option("--n", "n", type=click.IntRange(min=50), default=3000, show_default=True,
              help="Number of held-out consultations.")
@click.option("--phrasings", type=click.Choice(["all", "held_out"]), default="all", show_default=True,
              help="held_out: only the core sentences a model trained with --phrasings train never saw.")
@click.option("--models", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory with manifest.json and the model  [default: the shipped model]")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Routing rulebook  [default: the packaged care_routing.yaml]")
@click.option("--confusion/--no-confusion", default=True, show_default=True, help="Print the router's confusion.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="OUT",
              help="Also write every figure (per-intent scores, confusion matrices) to OUT as JSON.")
def care_eval(seed: int, n: int, phrasings: str, models: Path | None, rules_path: Path | None, confusion: bool,
              json_out: Path | None) -> None:
    """Measure the shipped classifier on N consultations generated with SEED, against the keyword baseline.

    Three columns from the same rows in the same run: the classifier alone (text only, best of the twelve
    intents), the router's intent (text, channel and the topic the opener picked; keyword rules override, the
    topic decides below the rulebook's minimum confidence) and the keyword-only baseline (the routing rulebook's
    keyword rules and intent keywords, with the same channel and topic). Accuracy, macro-F1 and per-intent F1.
    """
    from rich.console import Console
    from rich.progress import Progress

    from anxin.care.intents import MODELS_DIR, read_manifest
    from anxin.care.routing import load_router
    from anxin.core.rulebook_models import RulebookProblems
    from anxin.sim.consultation_texts import labelled_set
    from anxin.sim.intent_training import evaluate

    directory = models or MODELS_DIR
    try:
        manifest = read_manifest(directory)
        router = load_router(rules_path, models=directory)
    except RulebookProblems as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"cannot load the router from {directory}: {exc}") from exc
    trained_on = manifest.get("training", {}).get("seed")
    if trained_on == seed:
        raise click.BadParameter(f"the model was trained on seed {seed}; evaluate on another", param_hint="--seed")
    rows = labelled_set(seed, n, phrasings=phrasings)
    with Progress(transient=False) as progress:
        task = progress.add_task(f"classifying {n} consultations (seed {seed})", total=n)
        result = evaluate(router, rows, progress=lambda k: progress.advance(task, k))
    console = Console()
    _print_eval(console, result.as_dict(), confusion=confusion, version=router.model_version,
                rulebook=router.rulebook_version)
    console.print(f"router settled intents by: {result.reasons}; {n / result.seconds:,.0f} rows/s "
                  "(three classifications per row)")
    if json_out is not None:
        figures = {"seed": seed, "n": n, "phrasings": phrasings, "model_version": router.model_version,
                   "rulebook_version": router.rulebook_version, "trained_on_seed": trained_on, **result.as_dict()}
        json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        console.print(f"wrote {json_out}")


def _print_eval(console: Any, figures: dict[str, Any], *, confusion: bool, version: str, rulebook: str) -> None:
    from rich.table import Table

    systems = ("classifier", "router", "keywords")
    table = Table(title=f"intents on {figures['n']} held-out consultations — model {version}, rules {rulebook}")
    table.add_column("intent")
    table.add_column("support", justify="right")
    for name in systems:
        table.add_column(f"{name} F1", justify="right")
    for intent, row in figures["router"]["per_intent"].items():
        table.add_row(intent, str(row["support"]),
                      *(f"{figures[s]['per_intent'][intent]['f1']:.3f}" for s in systems))
    table.add_section()
    table.add_row("accuracy", "", *(f"{figures[s]['accuracy']:.2%}" for s in systems))
    table.add_row("macro-F1", "", *(f"{figures[s]['macro_f1']:.3f}" for s in systems))
    console.print(table)
    if confusion:
        labels = figures["router"]["labels"]
        grid = Table(title="router: true intent (rows) × settled intent (columns)")
        grid.add_column("", justify="right")
        for i in range(len(labels)):
            grid.add_column(str(i + 1), justify="right")
        for i, row in enumerate(figures["router"]["confusion"]):
            grid.add_row(str(i + 1), *(str(v) if v else "·" for v in row))
        console.print(grid)
        console.print("  ".join(f"{i + 1} {label}" for i, label in enumerate(labels)))
