"""The JSON Schema of each event type (the envelope with its type's ``data`` model) and of a batch of events:
what ``docs/schemas/events`` publishes (``tools/event_schemas.py``) and what ``POST /v1/events`` documents.

The schemas are generated from the models the parsers validate with, so the documentation cannot drift from what is
checked. Rules across fields (``paid_fen`` at most the items' total, …) are in the models' descriptions only.
"""

from __future__ import annotations

from typing import Any

from anxin.ingest.handlers import PAYLOAD_MODELS
from anxin.ingest.model import EnvelopeFields

DEFS = "#/$defs/{model}"


def _envelope(etype: str, data: dict[str, Any]) -> dict[str, Any]:
    fields = EnvelopeFields.model_json_schema(ref_template=DEFS)["properties"]
    return {"title": f"{PAYLOAD_MODELS[etype].__name__}Event", "type": "object",
            "description": f"A `{etype}` event.", "required": ["id", "type", "occurred_at", "data"],
            "properties": {"id": fields["id"], "type": {"const": etype, "type": "string"},
                           "occurred_at": fields["occurred_at"], "data": data}}


def event_schema(etype: str) -> dict[str, Any]:
    """One event of type ``etype``, self-contained (its nested models in ``$defs``)."""
    data = PAYLOAD_MODELS[etype].model_json_schema(ref_template=DEFS)
    defs = data.pop("$defs", None)
    schema = _envelope(etype, data)
    return {**schema, "$defs": defs} if defs else schema


def batch_schema(max_events: int) -> dict[str, Any]:
    """``{"events": [...]}``, each event one of the types (told apart by ``type``); every model in ``$defs``."""
    defs: dict[str, Any] = {}
    branches = []
    for etype, model in PAYLOAD_MODELS.items():
        data = model.model_json_schema(ref_template=DEFS)
        defs.update(data.pop("$defs", {}))
        defs[model.__name__] = data
        event = _envelope(etype, {"$ref": DEFS.format(model=model.__name__)})
        defs[event["title"]] = event
        branches.append({"$ref": DEFS.format(model=event["title"])})
    return {"title": "EventBatch", "type": "object", "required": ["events"], "additionalProperties": False,
            "properties": {"events": {"type": "array", "maxItems": max_events, "items": {"oneOf": branches}}},
            "$defs": defs}
