"""`anxin risk …`: risk-control commands. `anxin risk eval` measures the graph anomaly detector on real data."""

from __future__ import annotations

import json
import statistics
import zipfile
from pathlib import Path
from typing import Any

import click

DEFAULT_DATA = Path("../shared/data/reddit-gad/reddit.npz")  # relative to the repository, where `make` runs

# GADBench's published Reddit figures, by our variant (raw [x] ~ their XGBoost, the graph one ~ XGBGraph). The
# paper's per-model table could not be retrieved here; rather than quote numbers from memory it stays empty.
GADBENCH_REDDIT: dict[str, str] = {}


@click.group()
def risk() -> None:
    """Risk control: detectors for abuse and fraud, and their evaluation."""


def _load(path: Path) -> tuple[Any, Any, Any]:
    """x, edge_index and y from a GADBench-style .npz, or a ClickException naming what is wrong."""
    import numpy as np

    if not path.is_file():
        raise click.BadParameter(f"no file at {path} (pass --data PATH to the reddit.npz)", param_hint="--data")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = {"x", "edge_index", "y"} - set(archive.files)
            if missing:
                raise click.ClickException(f"{path}: missing array(s) {', '.join(sorted(missing))}")
            x, edges, y = archive["x"], archive["edge_index"], archive["y"]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise click.ClickException(f"{path}: not a readable .npz archive ({exc})") from exc
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise click.ClickException(f"{path}: x must be [nodes, features] and y [nodes]; got {x.shape} and {y.shape}")
    if edges.ndim != 2 or edges.shape[0] != 2 or not np.issubdtype(edges.dtype, np.integer):
        raise click.ClickException(f"{path}: edge_index must be integers of shape [2, edges]; got {edges.shape}")
    if edges.size and (edges.min() < 0 or edges.max() >= x.shape[0]):
        raise click.ClickException(f"{path}: edge_index refers to nodes outside 0..{x.shape[0] - 1}")
    if not np.isin(y, (0, 1)).all() or y.min() == y.max():
        raise click.ClickException(f"{path}: y must be 0/1 labels with both classes present")
    return x, edges, y


def _pct(mean: float, std: float) -> str:
    return f"{100 * mean:.2f} ± {100 * std:.2f}"


def _load_tables(nodes: Path, edges: Path | None, options: dict[str, Any]) -> tuple[Any, str]:
    """The graph from a node table and an edge list, or a ClickException with the loader's stable code."""
    from anxin.risk.gad_tables import GraphTableError, TableSpec, load_tables

    if edges is None:
        raise click.UsageError("--nodes needs --edges (the edge list)")
    features = options["features"]
    spec = TableSpec(id=options["id_col"], label=options["label_col"], split=options["split_col"],
                     features=[f.strip() for f in features.split(",") if f.strip()] if features else None,
                     src=options["src_col"], dst=options["dst_col"], weight=options["weight_col"],
                     bipartite=options["bipartite"], undirected=not options["directed"])
    try:
        loaded = load_tables(nodes, edges, spec)
    except GraphTableError as exc:
        raise click.ClickException(f"[{exc.code}] {exc.message}") from exc
    return loaded.graph, f"{nodes.name} + {edges.name}"


@risk.command("eval")
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DATA, show_default=True,
              envvar="ANXIN_GAD_DATA", help="GADBench-style .npz with x, edge_index and y.")
@click.option("--nodes", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Node table (CSV or Parquet) instead of --data: id, label, optional split, feature columns.")
@click.option("--edges", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Edge list (CSV or Parquet) that goes with --nodes: src, dst, optional weight.")
@click.option("--id-col", default="id", show_default=True, help="Node table: the id column.")
@click.option("--label-col", default="label", show_default=True,
              help="Node table: 1 anomalous, 0 normal, empty = unlabelled (in the graph, in no part).")
@click.option("--split-col", default=None, help="Node table: train/val/test per node, a fixed split (one run).")
@click.option("--features", default=None, metavar="A,B,…", help="Node table: the feature columns (default: all "
              "columns but id, label and split).")
@click.option("--src-col", default="src", show_default=True, help="Edge list: the source column.")
@click.option("--dst-col", default="dst", show_default=True, help="Edge list: the destination column.")
@click.option("--weight-col", default=None, help="Edge list: a non-negative weight per edge (weighted means).")
@click.option("--bipartite", is_flag=True, help="The destination column names entities of another kind "
              "(devices, addresses …) with no row in the node table; means go node → entity → node.")
@click.option("--directed", is_flag=True, help="Edges carry src → dst only (default: each edge both ways).")
@click.option("--seeds", type=click.IntRange(min=1), default=10, show_default=True,
              help="Number of stratified 40/20/40 random splits (seeds 0..N-1).")
@click.option("--candidates", type=click.IntRange(min=1), default=None,
              help="Hyper-parameter candidates tried per split on the validation part [default: 32].")
@click.option("--no-search", is_flag=True, help="Only GADBench's default configuration, no validation search.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="xgboost threads (1 is fastest on a busy shared machine).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="OUT",
              help="Also write every split's figures to OUT as JSON.")
def risk_eval(data: Path, nodes: Path | None, edges: Path | None, seeds: int, candidates: int | None,
              no_search: bool, jobs: int, json_out: Path | None, **table_options: Any) -> None:
    """Evaluate the tree-ensemble graph anomaly detector on a labelled graph (default: Reddit, GADBench id 0).

    Each split trains on 40% of the labelled nodes, uses 20% for validation and reports AUROC and AUPRC on the
    other 40%: for GADBench's default detector on [x, Āx, Ā²x] and on raw features [x], and for the tuned
    detector whose features and xgboost settings a random search picks on the validation part alone.
    The graph comes from --data (.npz) or from --nodes and --edges (CSV or Parquet tables).
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress
    from rich.table import Table

    from anxin.risk.gad import CANDIDATES, Graph, evaluate_graph

    if nodes is not None:
        graph, name = _load_tables(nodes, edges, table_options)
        source = f"{nodes},{edges}"
    else:
        if edges is not None:
            raise click.UsageError("--edges needs --nodes (the node table)")
        x, edge_index, y = _load(data)
        graph, name, source = Graph.build(x, edge_index[0], edge_index[1], y), data.name, str(data)
    runs = 1 if graph.split is not None else seeds
    with Progress(transient=False) as progress:
        task = progress.add_task(f"{runs} split(s) of {name}", total=runs)
        try:
            result = evaluate_graph(graph, seeds=range(seeds), tuned=not no_search,
                                    candidates_per_split=candidates or CANDIDATES, n_jobs=jobs,
                                    progress=lambda _seed: progress.advance(task))
        except ValueError as exc:
            raise click.ClickException(f"[gad.cannot_evaluate] {name}: {exc}") from exc

    unlabelled = result.n_nodes - result.n_labelled
    click.echo(f"{name}: {result.n_nodes:,} nodes{f' ({unlabelled:,} unlabelled)' if unlabelled else ''}, "
               f"{result.n_edges:,} {'node–entity links' if graph.bipartite else 'edges'}, "
               f"{result.n_anomalies} anomalies; {len(result.seeds)} split(s), figures in % as mean ± std")
    table = Table()
    table.add_column("variant")
    table.add_column("AUROC", justify="right")
    table.add_column("AUPRC", justify="right")
    table.add_column("rounds", justify="right")
    table.add_column("s", justify="right")
    table.add_column("GADBench")
    for variant_name, variant in result.variants.items():
        table.add_row(escape(variant_name), _pct(variant.auroc_mean, variant.auroc_std),
                      _pct(variant.auprc_mean, variant.auprc_std), f"{statistics.median(variant.rounds):g}",
                      f"{variant.seconds:.1f}", GADBENCH_REDDIT.get(variant_name, "n/a"))
    Console().print(table)
    click.echo("rounds: median boosting rounds kept by early stopping (tuned: the best candidate's); "
               "s: fit+score seconds over all splits (tuned: the whole search)")
    if not GADBENCH_REDDIT:
        click.echo("GADBench: its published Reddit figures were not retrieved; see docs/risk.md")
    click.echo(f"wall time {result.wall_seconds:.1f} s")
    if json_out is not None:
        json_out.write_text(json.dumps({"data": source, **result.as_dict()}, indent=2, ensure_ascii=False),
                            encoding="utf-8")
        click.echo(f"wrote {json_out}")


@risk.command("rings")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, help="Rings to list.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="OUT",
              help="Also write the summary to OUT as JSON.")
def rings(top: int, json_out: Path | None) -> None:
    """Find every fraud ring in one batch pass: accounts tied by strong identifiers and by claims made together at
    common shops (weak, widely shared values such as campus IPs count for little); next to them the link graph's
    components, checked against the graph built link by link (they must agree)."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from anxin.bootstrap import bootstrap
    from anxin.risk.ring_batch import batch_rings

    app = bootstrap()
    with Progress(transient=True) as bar:
        task = bar.add_task("reading links and claims", total=None)
        summary = batch_rings(app.risk, progress=lambda n: bar.advance(task, n), top=top)
    console = Console()
    graph = summary["graph"]
    console.print(f"{summary['links']:,} links, {summary['claims']:,} claims, {summary['accounts']:,} accounts, "
                  f"{summary['hubs']:,} hub values; [bold]{summary['rings']}[/bold] rings holding "
                  f"{summary['ring_accounts']:,} accounts (link-graph components: {graph['rings']}, batch "
                  f"{'equals' if graph['same_as_incremental'] else '[red]DIFFERS FROM[/red]'} incremental)")
    table = Table("size", "density", "score", "evidence (tied pairs)", "shops claimed together", "members")
    for r in summary["top"]:
        table.add_row(str(r["size"]), f"{r['density']:.2f}", f"{r['score']:.2f}",
                      ", ".join(f"{k} {n}" for k, n in r["evidence"].items()), str(len(r["co_claim_shops"])),
                      ", ".join(m.split(":", 1)[1] for m in r["members"][:8]) + (" …" if r["size"] > 8 else ""))
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
