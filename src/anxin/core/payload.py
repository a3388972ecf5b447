"""The field types of the payloads a platform sends, as Pydantic v2 types, and ``parse``, which validates a payload
against its model and reports every problem with its path (``data.items[2].price_fen: …``) as ``FieldInvalid``.

Each context declares one model per event type with these types (``<context>/payloads.py``); the JSON Schemas in
``docs/schemas/events`` are generated from those models, so what is documented is what is checked. Strict where a
sender's mistake would otherwise pass: ids and texts must be strings (no 7 for "7"), money and counts integers (no
1.0, no true), times ISO 8601 strings with an offset.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError, WithJsonSchema
from pydantic_core import ErrorDetails, PydanticCustomError

from anxin.core.clock import parse_instant
from anxin.core.fields import MAX_HOURS, MAX_ID, MAX_TEXT, FieldInvalid, Problem
from anxin.core.money import MAX_FEN, is_fen

M = TypeVar("M", bound=BaseModel)
MAX_REFERENCE = 128  # a tracking number, an event id
_REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,8}){1,3}$")
_REGION_INPUT = r"^\s*[A-Za-z]{2}(-[A-Za-z0-9]{1,8}){1,3}\s*$"  # as sent: any case, spaces around
# The error types that are a money or a time problem; every other one is a field problem (event.invalid_field).
_PROBLEMS = {"money": Problem.MONEY, "timestamp": Problem.TIMESTAMP}


class Payload(BaseModel):
    """An event's ``data``. Fields the model does not know are ignored (a sender may send more than anxin reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def rule(message: str, *, field: str | None = None, problem: Problem = Problem.FIELD) -> PydanticCustomError:
    """A rule across fields, raised from a model validator; ``field`` names the one the sender should fix."""
    return PydanticCustomError(problem.value if problem is not Problem.FIELD else "rule", message,
                               {"field": field} if field else None)


def _text(value: Any) -> Any:
    if isinstance(value, str):  # the type itself is checked by the (strict) string schema
        if not value.strip():
            raise PydanticCustomError("blank", "must be a non-empty string")
        if "\x00" in value:  # no id or text holds NUL, and PostgreSQL cannot store it
            raise PydanticCustomError("nul", "contains a NUL character")
    return value


def _fen(value: Any) -> int:
    if value is None:
        raise PydanticCustomError("missing", "a required field")
    if not is_fen(value):
        raise PydanticCustomError("money", "must be an integer amount in fen, got {value}", {"value": repr(value)})
    if value > MAX_FEN:
        raise PydanticCustomError("money", "exceeds the maximum of {max} fen", {"max": MAX_FEN})
    if value < 0:
        raise PydanticCustomError("money", "must be >= 0")
    return int(value)


def _instant(value: Any) -> dt.datetime:
    if value is None:
        raise PydanticCustomError("missing", "a required field")
    if not isinstance(value, str):
        raise PydanticCustomError("timestamp", "must be an ISO 8601 string")
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise PydanticCustomError("timestamp", "{reason}", {"reason": str(exc)}) from None


def _region(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    code = value.strip().upper()
    if not _REGION.match(code):
        raise PydanticCustomError("region", "must be a region code like CN-ZJ-HZ, got {value}", {"value": repr(value)})
    return code


def _none_is_false(value: Any) -> Any:
    return False if value is None else value


# Texts by their width (the width of their columns): ids, short labels (a scan status), references (a tracking
# number, an event id), lines (a name, a reason, a place), titles, free text.
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID), Strict(), BeforeValidator(_text)]
Label = Annotated[str, Field(min_length=1, max_length=32), Strict(), BeforeValidator(_text)]
Reference = Annotated[str, Field(min_length=1, max_length=MAX_REFERENCE), Strict(), BeforeValidator(_text)]
Line = Annotated[str, Field(min_length=1, max_length=200), Strict(), BeforeValidator(_text)]
Title = Annotated[str, Field(min_length=1, max_length=300), Strict(), BeforeValidator(_text)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), Strict(), BeforeValidator(_text)]
Fen = Annotated[int, Field(ge=0, le=MAX_FEN, description="money: a whole number of fen (1/100 yuan)"),
                BeforeValidator(_fen)]
Instant = Annotated[dt.datetime, BeforeValidator(_instant),
                    WithJsonSchema({"type": "string", "format": "date-time",
                                    "description": "ISO 8601 with an offset (2026-11-02T10:00:00+08:00)"})]
Hours = Annotated[int, Strict(), Field(ge=1, le=MAX_HOURS)]
Region = Annotated[str, Field(min_length=1, max_length=32, pattern=_REGION_INPUT,
                                description="a region code, country-province-city[-district]: CN-ZJ-HZ"),
                   Strict(), BeforeValidator(_text), BeforeValidator(_region)]
Flag = Annotated[bool, Strict(), BeforeValidator(_none_is_false)]  # missing or null is False
Attributes = Annotated[dict[str, Any], Field(description="opaque attribute values by kind, each a string of at most "
                                                         "128 characters (docs/ingestion.md, Attributes)")]


def _where(path: str, error: ErrorDetails) -> str:
    out = path
    loc = list(error["loc"])
    if (field := (error.get("ctx") or {}).get("field")) is not None:
        loc.append(field)
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def parse(model: type[M], data: Mapping[str, Any], *, path: str = "data") -> M:
    """``data`` as ``model``, or ``FieldInvalid`` naming every problem with its path; its ``problem`` and ``field``
    are the first one's (the order of the model's fields)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        found = [(_where(path, e), _PROBLEMS.get(e["type"], Problem.FIELD), e["msg"]) for e in errors]
        message = "; ".join(f"{where}: {msg}" for where, _, msg in found)
        raise FieldInvalid(found[0][1], message, found[0][0]) from None
