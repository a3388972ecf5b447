"""Every quality figure in the docs, regenerated from commands (`make quality`).

A quality figure is a measurement of how right anxin's decisions are (risk prevention on the simulator, rings found,
the merchant score against latent quality, the graph detector on Reddit), as opposed to how fast they are
(docs/performance.md). Each comes from one **producer**: a module under ``bench/`` with two functions,

- ``quality_run(small: bool) -> dict``: runs the measurement (``small``: a configuration CI can afford, which only
  shows that the command still runs) and returns ``{"command": …, "seeds": …, "rulebooks": {…}, "figures": {…}}``;
- ``quality_render(result: dict) -> dict[str, str]``: the Markdown for each named block of the docs, made from the
  result alone.

``python -m bench.quality`` runs the producers, stamps each result with the commit (and whether the tree was dirty),
the time and the machine, writes it to ``docs/quality/<name>.json`` and rewrites every block in the docs between

    <!-- quality:<name>:<block> -->
    …
    <!-- /quality:<name>:<block> -->

from that JSON, so a figure in the docs is always the JSON's. ``--check`` re-renders the blocks from the committed
JSON without running anything and fails when a doc differs (CI runs it, and runs ``--small`` into a scratch
directory so a producer that no longer runs fails CI too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
QUALITY_DIR = REPO / "docs" / "quality"
DOCS = REPO / "docs"


@dataclass(frozen=True)
class Producer:
    name: str
    module: str
    docs: tuple[str, ...]  # the docs (under docs/) whose blocks it writes
    what: str


PRODUCERS: tuple[Producer, ...] = (
    Producer("risk", "bench.risk_quality", ("risk.md",),
             "abusive payouts prevented and honest requests delayed, shadow-accounted, over reporting seeds × mixes"),
    Producer("rings", "bench.ring_quality", ("risk.md",),
             "planted rings found: ring-level recall and precision over seeds × mixes"),
    Producer("merchant-score", "bench.score_validity", ("scores.md",),
             "merchant score against latent quality (Spearman) on held-out seeds"),
    Producer("gad", "bench.gad_quality", ("risk.md",),
             "graph anomaly detection on Reddit (GADBench), 10 splits"),
)

_BLOCK = re.compile(r"(<!-- quality:(?P<name>[\w-]+):(?P<block>[\w-]+) -->\n)(?P<body>.*?)"
                    r"(<!-- /quality:(?P=name):(?P=block) -->)", re.S)


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def _load(producer: Producer) -> tuple[Callable[[bool], dict[str, Any]], Callable[[dict[str, Any]], dict[str, str]]]:
    mod = importlib.import_module(producer.module)
    return mod.quality_run, mod.quality_render


def result_path(name: str, out: Path = QUALITY_DIR) -> Path:
    return out / f"{name}.json"


def run(producer: Producer, *, small: bool, out: Path) -> dict[str, Any]:
    quality_run, quality_render = _load(producer)
    started = time.monotonic()
    result = quality_run(small)
    stamped = {"producer": producer.name, "what": producer.what, **git_commit(),
               "generated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
               "small": small, "seconds": round(time.monotonic() - started, 1),
               "machine": {"cpus": os.cpu_count(), "loadavg": [round(x, 2) for x in os.getloadavg()]}, **result}
    for key in ("command", "seeds", "figures"):
        if key not in stamped:
            raise ValueError(f"{producer.module}.quality_run gave no {key!r}")
    quality_render(stamped)  # a result its own renderer cannot render is not written
    out.mkdir(parents=True, exist_ok=True)
    result_path(producer.name, out).write_text(json.dumps(stamped, indent=1, ensure_ascii=False) + "\n")
    return stamped


def rendered_docs(results: dict[str, dict[str, Any]], docs_dir: Path = DOCS) -> dict[Path, tuple[str, str]]:
    """Each doc with a quality block: (its text now, its text with every block rendered from ``results``)."""
    blocks: dict[tuple[str, str], str] = {}
    for producer in PRODUCERS:
        if producer.name in results:
            for block, body in _load(producer)[1](results[producer.name]).items():
                blocks[(producer.name, block)] = body.rstrip("\n") + "\n"
    changed: dict[Path, tuple[str, str]] = {}
    for path in sorted(docs_dir.glob("*.md")):
        text = path.read_text()
        missing = [f"{m['name']}:{m['block']}" for m in _BLOCK.finditer(text) if (m["name"], m["block"]) not in blocks]
        if missing:
            raise SystemExit(f"{path.relative_to(REPO)}: no result renders block(s) {', '.join(missing)}")
        new = _BLOCK.sub(lambda m: m.group(1) + blocks[(m["name"], m["block"])] + m.group(5), text)
        changed[path] = (text, new)
    return changed


def committed_results(out: Path = QUALITY_DIR) -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(result_path(p.name, out).read_text())
            for p in PRODUCERS if result_path(p.name, out).exists()}


def check(out: Path = QUALITY_DIR) -> list[str]:
    """Docs whose quality blocks are not what the committed JSON renders to."""
    return [str(path.relative_to(REPO)) for path, (old, new) in rendered_docs(committed_results(out)).items()
            if old != new]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", nargs="+", choices=[x.name for x in PRODUCERS], help="run these producers only")
    p.add_argument("--small", action="store_true", help="the small configuration (checks that the commands run; "
                   "its figures mean nothing and are not written into the docs)")
    p.add_argument("--out", type=Path, default=None, help="where the JSON goes (default docs/quality; --small "
                   "needs a scratch directory)")
    p.add_argument("--check", action="store_true", help="run nothing: fail if the docs differ from what the "
                   "committed JSON renders")
    p.add_argument("--render", action="store_true", help="run nothing: rewrite the docs' blocks from the JSON")
    args = p.parse_args(argv)
    if args.check:
        stale = check()
        for path in stale:
            print(f"{path}: its quality figures differ from docs/quality/*.json; run `make quality` "
                  f"(or `python -m bench.quality --render`)", file=sys.stderr)
        return 1 if stale else 0
    if not args.render:
        if args.small and args.out is None:
            p.error("--small writes figures that mean nothing: give --out, a scratch directory")
        out = args.out or QUALITY_DIR
        for producer in PRODUCERS:
            if args.only and producer.name not in args.only:
                continue
            print(f"== {producer.name}: {producer.what}", flush=True)
            result = run(producer, small=args.small, out=out)
            print(f"   {result_path(producer.name, out)} in {result['seconds']} s", flush=True)
        if args.small:
            return 0
    for path, (old, new) in rendered_docs(committed_results()).items():
        if old != new:
            path.write_text(new)
            print(f"rewrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
