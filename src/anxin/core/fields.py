"""Pure readers of the fields of a JSON object a platform sent (an event's ``data``, a nested item).

Each reader checks one field and raises ``FieldInvalid`` with the kind of problem and the field's path, so a sender
can fix exactly what was wrong. The parsers of every context's payloads share them; whoever receives the payload
maps the kind of problem to its own stable error code (ingestion: ``event.invalid_field`` and so on).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from anxin.core.clock import parse_instant
from anxin.core.money import MAX_FEN, is_fen

MAX_ID = 64  # shop, listing, order, consumer ids: the width of their columns
MAX_TEXT = 2000
MAX_HOURS = 24 * 90
# Hierarchical region codes, country-province-city[-district]: CN-ZJ-HZ. "CN-ZJ" covers "CN-ZJ-HZ".
_REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,8}){1,3}$")


class Problem(StrEnum):
    FIELD = "field"  # missing, wrong type, out of range, not one of the options
    MONEY = "money"  # not a whole, non-negative fen amount within MAX_FEN
    TIMESTAMP = "timestamp"  # not an ISO 8601 instant with an offset


class FieldInvalid(ValueError):
    def __init__(self, problem: Problem, message: str, field: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.field = field


def invalid(path: str, message: str) -> FieldInvalid:
    """A field that is well-formed but wrong against the others (a parser's own rule)."""
    return FieldInvalid(Problem.FIELD, message, path)


def required(data: Mapping[str, Any], name: str, path: str = "data.") -> Any:
    if name not in data or data[name] is None:
        raise FieldInvalid(Problem.FIELD, f"missing required field {path + name!r}", path + name)
    return data[name]


def text(data: Mapping[str, Any], name: str, *, path: str = "data.", max_len: int = MAX_ID) -> str:
    value = required(data, name, path)
    if not isinstance(value, str) or not value.strip():
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be a non-empty string", path + name)
    if len(value) > max_len:
        raise FieldInvalid(Problem.FIELD, f"{path + name} is longer than {max_len} characters", path + name)
    if "\x00" in value:  # no id or text holds NUL, and PostgreSQL cannot store it
        raise FieldInvalid(Problem.FIELD, f"{path + name} contains a NUL character", path + name)
    return value


def opt_text(data: Mapping[str, Any], name: str, *, path: str = "data.", max_len: int = MAX_TEXT) -> str | None:
    if data.get(name) is None:
        return None
    return text(data, name, path=path, max_len=max_len)


def fen(data: Mapping[str, Any], name: str, *, path: str = "data.", positive: bool = False) -> int:
    value = required(data, name, path)
    if not is_fen(value):
        raise FieldInvalid(Problem.MONEY, f"{path + name} must be an integer amount in fen, got {value!r}",
                           path + name)
    if value > MAX_FEN:
        raise FieldInvalid(Problem.MONEY, f"{path + name} exceeds the maximum of {MAX_FEN} fen", path + name)
    if value < 0 or (positive and value == 0):
        raise FieldInvalid(Problem.MONEY, f"{path + name} must be {'positive' if positive else '>= 0'}", path + name)
    return int(value)


def integer(data: Mapping[str, Any], name: str, lo: int, hi: int, *, path: str = "data.") -> int:
    value = required(data, name, path)
    if not is_fen(value) or not lo <= value <= hi:
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be an integer in [{lo}, {hi}]", path + name)
    return int(value)


def instant(data: Mapping[str, Any], name: str, *, path: str = "data.") -> dt.datetime:
    value = required(data, name, path)
    if not isinstance(value, str):
        raise FieldInvalid(Problem.TIMESTAMP, f"{path + name} must be an ISO 8601 string", path + name)
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise FieldInvalid(Problem.TIMESTAMP, f"{path + name}: {exc}", path + name) from None


def opt_instant(data: Mapping[str, Any], name: str, *, path: str = "data.") -> dt.datetime | None:
    return None if data.get(name) is None else instant(data, name, path=path)


def str_list(data: Mapping[str, Any], name: str, *, path: str = "data.") -> list[str]:
    value = data.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be a list of strings", path + name)
    return value


def opt_hours(data: Mapping[str, Any], name: str, *, path: str = "data.") -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if not is_fen(value) or not 1 <= value <= MAX_HOURS:
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be an integer in [1, {MAX_HOURS}]", path + name)
    return int(value)


def flag(data: Mapping[str, Any], name: str, *, path: str = "data.") -> bool:
    """An optional boolean: missing or null is False."""
    value = data.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be a boolean", path + name)
    return value


def choice(data: Mapping[str, Any], name: str, options: tuple[str, ...], *, path: str = "data.") -> str:
    value = text(data, name, path=path, max_len=32)
    if value not in options:
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be one of {list(options)}, got {value!r}", path + name)
    return value


def opt_region(data: Mapping[str, Any], name: str, *, path: str = "data.") -> str | None:
    value = opt_text(data, name, path=path, max_len=32)
    if value is None:
        return None
    code = value.strip().upper()
    if not _REGION.match(code):
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be a region code like CN-ZJ-HZ, got {value!r}",
                           path + name)
    return code


def nested(data: Mapping[str, Any], name: str, *, path: str = "data.") -> Mapping[str, Any] | None:
    """An optional JSON object inside ``data``: None when missing or null."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise FieldInvalid(Problem.FIELD, f"{path + name} must be an object", path + name)
    return value
