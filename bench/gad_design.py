"""How the tuned graph detector's design was settled without a test part: `python -m bench.gad_design`.

For seeds 0–4 of the Reddit protocol, the split's **validation** part plays the held-out role and its test part is
never read: the search runs on the training part alone (two thirds to fit, one third to choose, a stratified cut
seeded ``1000 + seed``), and the held-out validation AUROC is reported for the single best candidate, the best k
averaged as ranks, and the best k refitted on the whole training part with the rounds they kept. The default
``ENSEMBLE`` and refit of ``anxin.risk.gad`` come from this table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from anxin.risk.gad import DEGREE, SPREAD, Graph, Selection, auroc, graph_features, search, stratified_split
from bench.gad_quality import data_path

KEPT = (1, 3, 5, 10)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--candidates", type=int, default=32)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    with np.load(data_path(), allow_pickle=False) as archive:
        graph = Graph.build(archive["x"], archive["edge_index"][0], archive["edge_index"][1], archive["y"])
    feats = {name: graph_features(graph, name)[0] for name in (DEGREE, SPREAD)}
    y = graph.y
    rows: dict[str, list[float]] = {}
    started = time.monotonic()
    for seed in range(args.seeds):
        train, held_out, _test_never_read = graph.parts(seed)
        fit_rel, choose_rel = stratified_split(y[train], 1000 + seed, (2 / 3, 1 / 3))
        fit, choose = train[fit_rel], train[choose_rel]
        selection = search(feats, fit, y[fit], choose, y[choose], seed=seed, k=args.candidates, ensemble=max(KEPT))
        out: dict[str, float] = {}
        for k in KEPT:
            out[f"best {k}"] = auroc(y[held_out], Selection(selection.trials, selection.models[:k]).score(feats,
                                                                                                       held_out))
        refitted = selection.refit(feats, train, y[train], seed=seed)
        ranks = [rankdata(m.score(feats[t.candidate.features][held_out]))
                 for t, m in zip(refitted.trials, refitted.models, strict=False)]
        for k in KEPT[1:]:
            out[f"best {k} refitted"] = auroc(y[held_out], np.mean(ranks[:k], axis=0))
        for key, value in out.items():
            rows.setdefault(key, []).append(value)
        print(seed, {k: round(v, 4) for k, v in out.items()}, flush=True)
    print(f"mean held-out (validation-part) AUROC over seeds 0..{args.seeds - 1}:")
    for key, values in rows.items():
        print(f"  {key:<20} {np.mean(values):.4f}")
    print(f"{time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"seeds": args.seeds, "candidates": args.candidates, "auroc": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
