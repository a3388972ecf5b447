"""Shared kernel of the Pydantic rulebook models: strict base, field types and problems with their paths.

A rulebook's shape is a Pydantic model (unknown keys refused, no coercion: ``"300"`` is not an integer, ``1.5``
is not a fen amount); its semantic checks are validators. ``validate`` turns every error Pydantic found into one
``path: what is wrong`` line (``rules[3].when.all[0]: unknown fact 'x'``), so a loader reports all of them at
once, and the same models publish the JSON Schemas editors validate against (``python -m tools.schemas``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar, cast, overload

import yaml
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from anxin.core.clock import parse_instant
from anxin.core.rules import _OPS, Condition, FactSpec, RuleError, compile_condition

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class RulebookModel(BaseModel):
    """Strict: every key is known, nothing is coerced, a loaded rulebook is immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


def problem(message: str, at: str = "") -> PydanticCustomError:
    """A semantic problem raised from a validator; ``at`` extends the error's location (``.max_size``, ``[2].id``)."""
    return PydanticCustomError("rulebook", message, {"at": at})


def refuse(found: list[tuple[str, str]], value: object) -> None:
    """For a validator with several checks: raise every ``(at, message)`` problem found at once (none: return)."""
    if found:
        raise ValidationError.from_exception_data("rulebook", [
            InitErrorDetails(type=problem(message, at), loc=(), input=value) for at, message in found])


@dataclass(frozen=True)
class Between:
    """``Annotated[int, Between(0, 100)]``: an integer in range, reported as today's loaders did, and published as
    minimum/maximum in the JSON Schema."""

    low: int = 1
    high: int | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        low, high = self.low, self.high

        def check(value: int) -> int:
            if value < low or (high is not None and value > high):
                bound = ("a positive integer" if low == 1 and high is None else
                         f"an integer ≥ {low}" if high is None else f"an integer {low}–{high}")
                raise problem(f"must be {bound}, got {value}")
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        out = handler(schema)
        out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out


PositiveInt = Annotated[int, Between(1)]
Fen = Annotated[int, Between(0)]  # money: whole fen, never a float
Pct = Annotated[int, Between(0, 100)]
NonEmpty = Annotated[str, Field(min_length=1)]


def _instant(value: str) -> dt.datetime:
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise problem(str(exc)) from None


class _InstantType:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(_instant, core_schema.str_schema(strict=True))

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "format": "date-time", "description": "ISO 8601 with an offset (+08:00)"}


# An ISO 8601 instant with an offset, written as a string (YAML would otherwise read a bare one as naive).
Instant = Annotated[dt.datetime, _InstantType]


class Text(RulebookModel):
    """Text shown to people, in every language anxin serves."""

    zh_cn: NonEmpty = Field(alias="zh-CN")
    en: NonEmpty


_ALL_OPS = sorted({op for ops in _OPS.values() for op in ops})
CONDITION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A condition: {fact, op, value} or {all: [...]}, {any: [...]}, {not: {...}}; facts are declared "
                   "in code per rulebook (docs/rulebooks.md)",
    "properties": {"fact": {"type": "string"}, "op": {"enum": _ALL_OPS}, "value": {},
                   "all": {"type": "array", "minItems": 1, "items": {"type": "object"}},
                   "any": {"type": "array", "minItems": 1, "items": {"type": "object"}},
                   "not": {"type": "object"}},
    "additionalProperties": False,
}


class _ConditionType:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema(), strict=True)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return dict(CONDITION_SCHEMA)


# A condition as written; a validator compiles it against the facts of its place (``check_condition``).
ConditionSpec = Annotated[dict[str, Any], _ConditionType]


def check_condition(raw: Mapping[str, Any], facts: Mapping[str, FactSpec]) -> Mapping[str, Any]:
    """For a field validator: refuse a condition that does not compile, naming the node under the field."""
    try:
        compile_condition(raw, facts, "")
    except RuleError as exc:
        raise problem(exc.message, exc.path) from None
    return raw


def compiled(raw: Mapping[str, Any], facts: Mapping[str, FactSpec], path: str) -> Condition:
    """The condition of a validated model, compiled with its full path (traces show it)."""
    return compile_condition(raw, facts, path)


# --- problems ----------------------------------------------------------------------------------------------

def path_of(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Mapping[str, Any]) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "rulebook":
        return str(error["msg"])
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        hint = " (whole fen or hundredths, no floats)" if isinstance(value, float) else ""
        return f"must be an integer, got {value!r}{hint}"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')}, got {value!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping, got {value!r}"
    if kind in ("list_type", "tuple_type", "set_type", "frozen_set_type"):
        return f"must be a list, got {value!r}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {value!r}"
    if kind == "string_type":
        return f"must be a string, got {value!r}"
    if kind == "bool_type":
        return f"must be true or false, got {value!r}"
    if kind == "string_too_short":
        return "required, a non-empty string"
    if kind == "too_short":
        return "must not be empty"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def problems_of(exc: ValidationError, root: str = "") -> list[str]:
    """Every error as ``path: what is wrong``, in document order; ``root`` names what was validated."""
    found = []
    for error in exc.errors(include_url=False):
        at = str((error.get("ctx") or {}).get("at", "")) if error["type"] == "rulebook" else ""
        path = path_of((root, *error["loc"]) if root else tuple(error["loc"])) + at
        found.append(f"{path.lstrip('.') or '<root>'}: {_message(error)}")
    return found


def validate(model: type[M], raw: object, root: str = "") -> tuple[M | None, list[str]]:
    """``raw`` as ``model``, or None and every problem with its path."""
    if not isinstance(raw, Mapping):
        return None, [f"{root}: must be a mapping" if root else "<root>: the rulebook must be a mapping"]
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, problems_of(exc, root)


def read_yaml(path: str | Path) -> tuple[object, list[str]]:
    """A rulebook file's YAML, or the reason it cannot be read."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), []
    except OSError as exc:
        return None, [f"{path}: cannot read ({exc.strerror})"]
    except yaml.YAMLError as exc:
        return None, [f"{path}: not valid YAML ({exc})"]


def validated_file(path: Path, name: str, model: type[M], problems: list[str]) -> M | None:
    """A bundle's section file as ``model``, or None with its problems (paths under ``name``) added to ``problems``:
    how a bundle loader reports every problem of every file at once."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.append(f"{name}: cannot read {path.name} ({exc.strerror})")
        return None
    except yaml.YAMLError as exc:
        problems.append(f"{name}: {path.name} is not valid YAML ({exc})")
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"{name}: {path.name} must hold a mapping")
        return None
    spec, found = validate(model, raw, name)
    problems.extend(found)
    return spec


class RulebookProblems(ValueError):
    """A rulebook refused; ``problems`` lists every one with its path. Each kind's error derives from this."""

    title = "invalid rulebook"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{self.title}:\n  " + "\n  ".join(problems))
        self.problems = problems


def validated(model: type[M], raw: object, error: type[RulebookProblems], root: str = "") -> M:
    """``raw`` as ``model``, or ``error`` listing every problem (paths under ``root``)."""
    spec, problems = validate(model, raw, root)
    if spec is None:
        raise error(problems)
    return spec


def load_file(path: str | Path, parse: Callable[[object], T], error: type[RulebookProblems]) -> T:
    raw, unreadable = read_yaml(path)
    if unreadable:
        raise error(unreadable)
    return parse(raw)


def as_validated(spec: M, source: str) -> M:
    """The default ``build``: the validated model is itself what the domain uses."""
    return spec


class RulebookKind(Generic[M, T]):
    """A rulebook kept in one YAML file: its model, its error, its packaged file and how a validated model becomes
    what the domain uses (``build(spec, source)``; ``source`` is the file, or ``<memory>`` for a parsed mapping;
    without one, the model itself). ``parse`` and ``load`` are what each kind's module exports as ``parse_*`` and
    ``load_*``; both raise ``error`` listing every problem at once."""

    @overload
    def __init__(self: RulebookKind[M, M], model: type[M], error: type[RulebookProblems], default_path: Path) -> None:
        ...

    @overload
    def __init__(self, model: type[M], error: type[RulebookProblems], default_path: Path,
                 build: Callable[[M, str], T]) -> None:
        ...

    def __init__(self, model: type[M], error: type[RulebookProblems], default_path: Path,
                 build: Callable[[M, str], Any] = as_validated) -> None:
        self.model, self.error, self.default_path, self.build = model, error, default_path, build

    def parse(self, raw: object, source: str = "<memory>") -> T:
        return cast(T, self.build(validated(self.model, raw, self.error), source))

    def load(self, path: str | Path | None = None) -> T:
        """The file at ``path`` (default: the packaged one)."""
        path = path or self.default_path
        return load_file(path, lambda raw: self.parse(raw, str(path)), self.error)
