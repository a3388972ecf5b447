"""Write the JSON Schema of every rulebook kind that has a Pydantic model to ``docs/schemas/<kind>.schema.json``.

    python -m tools.schemas          # rewrite the schemas
    python -m tools.schemas --check  # exit 1 if one is stale or missing (a test runs this)

Editors validate a rulebook against its schema (docs/rulebooks.md); the loader validates against the same model.
"""

from __future__ import annotations

from pathlib import Path

from anxin.cli.rulebooks import kinds
from tools import schema_files

TARGET = schema_files.ROOT / "docs" / "schemas"


def schemas() -> dict[Path, str]:
    return {TARGET / f"{kind.name}.schema.json": schema_files.schema_text(
                f"https://anxin.dev/schemas/{kind.name}.schema.json", kind.model.model_json_schema(by_alias=True))
            for kind in kinds().values() if kind.model is not None}


def stale() -> list[str]:
    return schema_files.stale(schemas(), TARGET, "rulebook kind")


if __name__ == "__main__":
    schema_files.main(__doc__, target=TARGET, schemas=schemas, what="rulebook kind", command="python -m tools.schemas")
