"""Quality producer `gad`: the graph anomaly detector on Reddit (GADBench id 0), 10 stratified splits.

    python -m bench.quality --only gad                     # writes docs/quality/gad.json and fills docs/risk.md
    python -m bench.quality --only gad --small --out /tmp/q   # 2 splits, 4 candidates: shows it still runs

Runs what `anxin risk eval --json OUT` runs (``anxin.risk.gad.evaluate_graph``): per split, GADBench's default
detector on ``[x]`` and on ``[x, Āx, Ā²x]``, and the tuned detector whose feature set and xgboost settings a random
search picks on the validation part only. The data is read in place from ``ANXIN_GAD_DATA`` or the shared data
directory beside the repository.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import xgboost

from anxin.risk.gad import AGGREGATED, CANDIDATES, ENSEMBLE, RAW, TUNED, Graph, evaluate_graph

REPO = Path(__file__).resolve().parent.parent
TARGET_AUROC = 0.72
SPLITS, SMALL_SPLITS, SMALL_CANDIDATES = 10, 2, 4


def data_path() -> Path:
    """The Reddit .npz: ``ANXIN_GAD_DATA``, else ``shared/data/reddit-gad`` beside the repository or its parent
    (a worktree under ``wt/``)."""
    if os.environ.get("ANXIN_GAD_DATA"):
        return Path(os.environ["ANXIN_GAD_DATA"])
    for base in (REPO.parent, REPO.parent.parent):
        path = base / "shared" / "data" / "reddit-gad" / "reddit.npz"
        if path.is_file():
            return path
    raise SystemExit("reddit.npz not found: set ANXIN_GAD_DATA to its path")


def quality_run(small: bool) -> dict[str, Any]:
    path = data_path()
    with np.load(path, allow_pickle=False) as archive:
        graph = Graph.build(archive["x"], archive["edge_index"][0], archive["edge_index"][1], archive["y"])
    splits = SMALL_SPLITS if small else SPLITS
    k = SMALL_CANDIDATES if small else CANDIDATES
    result = evaluate_graph(graph, seeds=range(splits), candidates_per_split=k, ensemble=ENSEMBLE, n_jobs=1)
    doc = result.as_dict()
    command = f"anxin risk eval --data {path.name} --seeds {splits} --candidates {k} --jobs 1 --json OUT"
    return {"command": command, "seeds": doc["seeds"], "rulebooks": {},
            "data": {"file": path.name, "nodes": doc["nodes"], "edges": doc["edges"],
                     "anomalies": doc["anomalies"]},
            "versions": {"xgboost": xgboost.__version__, "numpy": np.__version__},
            "figures": {"target_auroc": TARGET_AUROC, "wall_seconds": doc["wall_seconds"], "search": doc["search"],
                        "variants": doc["variants"]}}


def _pct(values: list[float]) -> str:
    return f"{100 * float(np.mean(values)):.2f} ± {100 * float(np.std(values)):.2f}"


LABELS = {RAW: "raw features `[x]`, GADBench defaults", AGGREGATED: "`[x, Āx, Ā²x]`, GADBench defaults (≈ XGBGraph)",
          TUNED: "**tuned**: degree (± spread) features, settings searched on validation"}


def quality_render(result: dict[str, Any]) -> dict[str, str]:
    figures = result["figures"]
    variants = figures["variants"]
    machine = result.get("machine", {})
    load = " / ".join(f"{x:g}" for x in machine.get("loadavg", [])) or "n/a"
    stamp = (f"Measured by `{result['command']}` (`python -m bench.quality --only gad`) at commit "
             f"`{result.get('commit')}`{' (dirty tree)' if result.get('dirty') else ''}, {result.get('generated')}, "
             f"xgboost {result['versions']['xgboost']}, numpy {result['versions']['numpy']}, "
             f"{machine.get('cpus')} shared cores (load average {load} at the end of the run); "
             f"wall time {figures['wall_seconds']:.0f} s for all splits and variants.")
    lines = ["| variant | AUROC (%) | AUPRC (%) | median rounds | fit+score s |", "|---|---|---|---|---|"]
    for name, v in variants.items():
        lines.append(f"| {LABELS.get(name, name)} | {_pct(v['auroc'])} | {_pct(v['auprc'])} | "
                     f"{statistics.median(v['rounds']):g} | {v['seconds']:.0f} |")
    tuned = variants.get(TUNED)
    verdict = ""
    if tuned:
        mean = float(np.mean(tuned["auroc"]))
        met = mean >= figures["target_auroc"]
        verdict = (f"\n\nTarget AUROC ≥ {figures['target_auroc']:.2f}: **{'met' if met else 'missed'}** — the tuned "
                   f"detector's mean test AUROC is {mean:.4f} over {len(tuned['auroc'])} splits.")
        if AGGREGATED in variants:
            base = variants[AGGREGATED]
            n = len(tuned["auroc"])
            wins = sum(t > b for t, b in zip(tuned["auroc"], base["auroc"], strict=True))
            wins_pr = sum(t > b for t, b in zip(tuned["auprc"], base["auprc"], strict=True))
            verdict += (f" Against GADBench's default configuration on the same splits it scores a higher test AUROC "
                        f"in {wins} of {n} splits and a higher AUPRC in {wins_pr} of {n}.")
    summary = "\n".join(lines) + "\n\n" + stamp + verdict

    seeds = result["seeds"]
    rows = ["| seed | " + " | ".join(str(s) for s in seeds) + " |", "|---|" + "---|" * len(seeds)]
    for name, v in variants.items():
        short = {RAW: "`[x]`", AGGREGATED: "graph", TUNED: "tuned"}.get(name, name)
        rows.append(f"| {short} AUROC | " + " | ".join(f"{100 * a:.2f}" for a in v["auroc"]) + " |")
    for name, v in variants.items():
        short = {RAW: "`[x]`", AGGREGATED: "graph", TUNED: "tuned"}.get(name, name)
        rows.append(f"| {short} AUPRC | " + " | ".join(f"{100 * a:.2f}" for a in v["auprc"]) + " |")
    splits = "\n".join(rows)

    chosen = ["| seed | features | learning rate | depth | min child weight | subsample | colsample | anomaly weight "
              "| rounds | val AUROC |", "|---|---|---|---|---|---|---|---|---|---|"]
    for seed, c in zip(seeds, (tuned or {}).get("chosen", []), strict=False):
        chosen.append(f"| {seed} | {c['features']} | {c['learning_rate']:g} | {c['max_depth']} | "
                      f"{c['min_child_weight']:g} | {c['subsample']:g} | {c['colsample_bytree']:g} | "
                      f"{c['positive_weight']} | {c['rounds']} | {100 * c['val_auroc']:.2f} |")
    search = figures.get("search", {})
    space = "\n".join(f"- `{key}`: {', '.join(str(v) for v in values)}" for key, values in
                      search.get("space", {}).items())
    refit = "refitted on training + validation with the rounds they kept, and " if search.get("refit") else ""
    search_block = (f"{search.get('candidates')} candidates per split (the first is GADBench's default settings on "
                    f"the degree features, the rest drawn at random without repeats, seeded by the split), each "
                    f"fitted on the training part for at most {search.get('rounds')} rounds with early stopping "
                    f"after {search.get('patience')} rounds without a better validation AUROC, "
                    f"{search.get('max_bin')} histogram bins. Ranked by validation AUROC (ties: AUPRC); the best "
                    f"{search.get('ensemble')} are "
                    f"{refit}"
                    f"averaged as ranks on the test part. Space:\n\n{space}\n\nThe best candidate per split:\n\n"
                    + "\n".join(chosen)) if search else "(no search in this run)"
    return {"summary": summary, "splits": splits, "search": search_block}
