"""Write the JSON Schema of every event type to ``docs/schemas/events/<type>.schema.json``.

    python -m tools.event_schemas          # rewrite the schemas
    python -m tools.event_schemas --check  # exit 1 if one is stale or missing (a test runs this)

Senders validate an event against its type's schema (docs/ingestion.md); ingestion validates its ``data`` with the
same model (``anxin.ingest.schemas``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from anxin.ingest.handlers import PAYLOAD_MODELS
from anxin.ingest.schemas import event_schema

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "schemas" / "events"


def schemas() -> dict[Path, str]:
    out = {}
    for etype in PAYLOAD_MODELS:
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"https://anxin.dev/schemas/events/{etype}.schema.json", **event_schema(etype)}
        out[TARGET / f"{etype}.schema.json"] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return out


def stale() -> list[str]:
    expected = schemas()
    found = [f"{p.relative_to(ROOT)}: stale or missing" for p, text in expected.items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    found += [f"{p.relative_to(ROOT)}: no event type has this schema" for p in TARGET.glob("*.schema.json")
              if p not in expected]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/schemas/events is stale")
    args = parser.parse_args()
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: python -m tools.event_schemas", file=sys.stderr)
        sys.exit(1 if problems else 0)
    TARGET.mkdir(parents=True, exist_ok=True)
    for path, text in schemas().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
