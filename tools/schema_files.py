"""Writing and checking a folder of generated JSON Schemas (``tools.schemas``, ``tools.event_schemas``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def schema_text(schema_id: str, schema: Mapping[str, Any]) -> str:
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, **schema}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def stale(expected: Mapping[Path, str], target: Path, what: str) -> list[str]:
    """Files that differ from what the models give, are missing, or belong to no model any more."""
    found = [f"{p.relative_to(ROOT)}: stale or missing" for p, text in expected.items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    found += [f"{p.relative_to(ROOT)}: no {what} has this schema" for p in target.glob("*.schema.json")
              if p not in expected]
    return found


def main(doc: str | None, *, target: Path, schemas: Callable[[], dict[Path, str]], what: str, command: str) -> None:
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {target.relative_to(ROOT)} is stale")
    args = parser.parse_args()
    if args.check:
        problems = stale(schemas(), target, what)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print(f"run: {command}", file=sys.stderr)
        sys.exit(1 if problems else 0)
    target.mkdir(parents=True, exist_ok=True)
    for path, text in schemas().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
