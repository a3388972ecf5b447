"""Intent routing quality and speed: the classifier and the router against the keyword-only baseline, on several
held-out seeds, on phrasings no training text used, and how fast one consultation is classified (docs/care.md).

    .venv/bin/python -m bench.care_intents [--n 3000] [--quick]

1. shipped: the shipped model (anxin care train --seed 7 --n 6000) on held-out sets generated with other seeds;
2. unseen phrasings: models trained on the ``train`` side of the core sentences (seeds 7, 8, 9) scored on sets made
   only of the ``held_out`` side, which those models never saw (the keyword baseline scored on the same rows);
3. training-seed spread: models trained on all phrasings with seeds 7, 8, 9, scored on one held-out seed;
4. speed: one text at a time (p50 / p99 of the classifier's top-3, the whole router decision, the keyword
   baseline), and a batch (``proba_many``) in texts/s.
The classifier column sees the text only; the router and the keyword baseline see the same text, channel and the
topic the opener picked. Figures are printed and written to bench/results/care_intents-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from anxin.care.intents import load_shipped_model, read_manifest
from anxin.care.routing import IntentRouter, OrderContext, keyword_intent, load_router
from anxin.care.routing_rules import load_routing_rules
from anxin.sim.consultation_texts import labelled_set
from anxin.sim.intent_training import Evaluation, channel_of, evaluate, train_model

RESULTS = Path(__file__).resolve().parent / "results"
SYSTEMS = ("classifier", "router", "keywords")


def _row(e: Evaluation) -> dict[str, float]:
    return {f"{s}_{m}": round(getattr(getattr(e, s), m), 4) for s in SYSTEMS for m in ("accuracy", "macro_f1")}


def _summary(rows: list[dict[str, float]]) -> dict[str, str]:
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        out[key] = f"{statistics.mean(values):.4f} ± {spread:.4f}"
    return out


def _print(title: str, rows: list[dict[str, Any]], summary: dict[str, str]) -> None:
    print(f"\n{title}")
    print(f"  {'':24s}" + "".join(f"{s:>22s}" for s in SYSTEMS))
    for row in rows:
        label = row["label"]
        print(f"  {label:24s}" + "".join(f"{row[s + '_accuracy']:>11.2%} {row[s + '_macro_f1']:>9.3f} "
                                         for s in SYSTEMS))
    print(f"  {'mean ± sd (acc)':24s}" + "".join(f"{summary[s + '_accuracy']:>22s}" for s in SYSTEMS))
    print(f"  {'mean ± sd (macro-F1)':24s}" + "".join(f"{summary[s + '_macro_f1']:>22s}" for s in SYSTEMS))


def _latency(fn: Any, items: list[Any], rounds: int) -> dict[str, float]:
    for item in items[:200]:
        fn(item)
    timings = []
    for _ in range(rounds):
        for item in items:
            started = time.perf_counter_ns()
            fn(item)
            timings.append(time.perf_counter_ns() - started)
    timings.sort()
    return {"p50_us": timings[len(timings) // 2] / 1000, "p99_us": timings[int(len(timings) * 0.99)] / 1000,
            "per_s": 1e9 / statistics.mean(timings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="consultations per held-out set")
    parser.add_argument("--quick", action="store_true", help="2 seeds per part, 1 speed round")
    args = parser.parse_args()
    held_seeds = [101, 202] if args.quick else [101, 202, 303, 404, 505]
    train_seeds = [7, 8] if args.quick else [7, 8, 9]
    rounds = 1 if args.quick else 3
    rules = load_routing_rules()
    shipped = load_router()
    manifest = read_manifest()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            check=False).stdout.strip()
    figures: dict[str, Any] = {"commit": commit, "n": args.n, "model": manifest["version"],
                               "model_fingerprint": manifest["model_fingerprint"], "rulebook": rules.version,
                               "machine": {"python": platform.python_version(), "nproc": os.cpu_count(),
                                           "load_start": os.getloadavg()}}
    print(f"commit {commit}, model {manifest['version']} ({manifest['command']}), rules {rules.version}, "
          f"{args.n} consultations per set")

    part1 = [{"label": f"held-out seed {s}", **_row(evaluate(shipped, labelled_set(s, args.n)))} for s in held_seeds]
    figures["shipped"] = {"rows": part1, "summary": _summary([{k: v for k, v in r.items() if k != "label"}
                                                              for r in part1])}
    _print("1. shipped model, held-out seeds (accuracy, macro-F1)", part1, figures["shipped"]["summary"])

    part2, part3 = [], []
    for t in train_seeds:
        unseen = IntentRouter(rules=rules, model=train_model(labelled_set(t, 6000, phrasings="train")))
        rows = labelled_set(1000 + t, args.n, phrasings="held_out")
        part2.append({"label": f"train {t} → unseen {1000 + t}", **_row(evaluate(unseen, rows))})
        fresh = IntentRouter(rules=rules, model=train_model(labelled_set(t, 6000)))
        part3.append({"label": f"train seed {t}", **_row(evaluate(fresh, labelled_set(101, args.n)))})
    for key, title, rows in (("unseen_phrasings", "2. unseen phrasings (trained without them)", part2),
                             ("training_seeds", "3. training-seed spread (held-out seed 101)", part3)):
        figures[key] = {"rows": rows, "summary": _summary([{k: v for k, v in r.items() if k != "label"}
                                                           for r in rows])}
        _print(title, rows, figures[key]["summary"])

    model = load_shipped_model()
    sample = labelled_set(909, 2000)
    texts = [t for t, _, _ in sample]
    context = OrderContext(order_id="o1", order_state="shipped", has_shipment=True)
    speed = {
        "classifier_top3": _latency(lambda t: model.top(t, 3), texts, rounds),
        "router_decision": _latency(lambda r: shipped.route(text=r[0], topic=r[2], channel=channel_of(r[1]),
                                                            context=context), sample, rounds),
        "keyword_baseline": _latency(lambda r: keyword_intent(rules, text=r[0], topic=r[2],
                                                              channel=channel_of(r[1])), sample, rounds),
    }
    started = time.perf_counter()
    for _ in range(rounds):
        model.proba_many(texts)
    speed["batch_texts_per_s"] = {"per_s": len(texts) * rounds / (time.perf_counter() - started)}
    figures["speed"] = speed
    figures["machine"]["load_end"] = os.getloadavg()
    print("\n4. speed (one text at a time; batch: proba_many over 2000 texts)")
    for name, s in speed.items():
        extra = f"p50 {s['p50_us']:.0f} µs, p99 {s['p99_us']:.0f} µs, " if "p50_us" in s else ""
        print(f"  {name:20s} {extra}{s['per_s']:,.0f} /s")
    print(f"  load average: start {figures['machine']['load_start']}, end {figures['machine']['load_end']}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"care_intents-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
