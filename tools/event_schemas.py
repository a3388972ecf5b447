"""Write the JSON Schema of every event type to ``docs/schemas/events/<type>.schema.json``.

    python -m tools.event_schemas          # rewrite the schemas
    python -m tools.event_schemas --check  # exit 1 if one is stale or missing (a test runs this)

Senders validate an event against its type's schema (docs/ingestion.md); ingestion validates its ``data`` with the
same model (``anxin.ingest.schemas``).
"""

from __future__ import annotations

from pathlib import Path

from anxin.ingest.handlers import PAYLOAD_MODELS
from anxin.ingest.schemas import event_schema
from tools import schema_files

TARGET = schema_files.ROOT / "docs" / "schemas" / "events"


def schemas() -> dict[Path, str]:
    return {TARGET / f"{etype}.schema.json": schema_files.schema_text(
                f"https://anxin.dev/schemas/events/{etype}.schema.json", event_schema(etype))
            for etype in PAYLOAD_MODELS}


def stale() -> list[str]:
    return schema_files.stale(schemas(), TARGET, "event type")


if __name__ == "__main__":
    schema_files.main(__doc__, target=TARGET, schemas=schemas, what="event type",
                      command="python -m tools.event_schemas")
