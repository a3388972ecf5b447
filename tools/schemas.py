"""Write the JSON Schema of every rulebook kind that has a Pydantic model to ``docs/schemas/<kind>.schema.json``.

    python -m tools.schemas          # rewrite the schemas
    python -m tools.schemas --check  # exit 1 if one is stale or missing (a test runs this)

Editors validate a rulebook against its schema (docs/rulebooks.md); the loader validates against the same model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from anxin.cli.rulebooks import kinds

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "schemas"


def schemas() -> dict[Path, str]:
    out = {}
    for kind in kinds().values():
        if kind.model is None:
            continue
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"https://anxin.dev/schemas/{kind.name}.schema.json",
                  **kind.model.model_json_schema(by_alias=True)}
        out[TARGET / f"{kind.name}.schema.json"] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return out


def stale() -> list[str]:
    found = [f"{p.relative_to(ROOT)}: stale or missing" for p, text in schemas().items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    known = set(schemas())
    found += [f"{p.relative_to(ROOT)}: no rulebook kind has this schema" for p in TARGET.glob("*.schema.json")
              if p not in known]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/schemas is stale")
    args = parser.parse_args()
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m tools.schemas", file=sys.stderr)
        sys.exit(1 if problems else 0)
    TARGET.mkdir(parents=True, exist_ok=True)
    for path, text in schemas().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
