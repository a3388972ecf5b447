"""A tiny rules evaluator in the spirit of venmo/business-rules, with what a regulated decision needs:
facts declared with types, conditions validated when the rulebook loads (not when a consumer is
waiting), and a trace of every comparison so a decision can show exactly why.

Conditions are plain data::

    {"all": [{"fact": "paid_fen", "op": "lt", "value": 30000},
             {"any": [{"fact": "shop_services", "op": "contains", "value": "instant_refund"}]},
             {"not": {"fact": "shipped", "op": "is_true"}}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

FactType = Literal["bool", "int", "str", "str_set"]

_OPS: dict[FactType, frozenset[str]] = {
    "bool": frozenset({"is_true", "is_false"}),
    "int": frozenset({"eq", "ne", "lt", "lte", "gt", "gte"}),
    "str": frozenset({"eq", "ne", "in", "not_in"}),
    "str_set": frozenset({"contains", "not_contains", "contains_any", "contains_none", "is_empty", "not_empty"}),
}
_NO_VALUE = frozenset({"is_true", "is_false", "is_empty", "not_empty"})
_LIST_VALUE = frozenset({"in", "not_in", "contains_any", "contains_none"})


class RuleError(ValueError):
    """A rulebook that cannot be loaded; ``path`` points at the offending node."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    description: str


@dataclass(frozen=True)
class Leaf:
    path: str
    fact: str
    op: str
    value: Any


@dataclass(frozen=True)
class AllOf:
    path: str
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    path: str
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class NotOf:
    path: str
    item: Condition


Condition = Union[Leaf, AllOf, AnyOf, NotOf]  # noqa: UP007 - recursive alias needs the old form


@dataclass(frozen=True)
class TraceStep:
    path: str
    fact: str
    op: str
    expected: Any
    actual: Any
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        actual = sorted(self.actual) if isinstance(self.actual, frozenset | set) else self.actual
        return {"path": self.path, "fact": self.fact, "op": self.op, "expected": self.expected,
                "actual": actual, "passed": self.passed}


def compile_condition(raw: object, facts: Mapping[str, FactSpec], path: str = "when") -> Condition:
    """Validate a condition tree against the declared facts; raise RuleError naming the bad node."""
    if not isinstance(raw, Mapping):
        raise RuleError(path, "a condition must be a mapping")
    keys = set(raw)
    for group in ("all", "any"):
        if keys == {group}:
            items = raw[group]
            if not isinstance(items, list) or not items:
                raise RuleError(f"{path}.{group}", "must be a non-empty list")
            compiled = tuple(compile_condition(item, facts, f"{path}.{group}[{i}]") for i, item in enumerate(items))
            return AllOf(path, compiled) if group == "all" else AnyOf(path, compiled)
    if keys == {"not"}:
        return NotOf(path, compile_condition(raw["not"], facts, f"{path}.not"))
    if "fact" not in raw or "op" not in raw:
        raise RuleError(path, f"expected all/any/not or fact+op, got keys {sorted(keys)}")
    extra = keys - {"fact", "op", "value"}
    if extra:
        raise RuleError(path, f"unknown keys {sorted(extra)}")
    name, op = raw["fact"], raw["op"]
    if not isinstance(op, str):
        raise RuleError(path, f"operator must be a string, got {op!r}")
    spec = facts.get(name) if isinstance(name, str) else None
    if spec is None:
        raise RuleError(path, f"unknown fact {name!r}; known: {', '.join(sorted(facts))}")
    if op not in _OPS[spec.type]:
        raise RuleError(path, f"operator {op!r} does not apply to {spec.type} fact {name!r}; "
                              f"use one of {sorted(_OPS[spec.type])}")
    value = raw.get("value")
    if op in _NO_VALUE:
        if "value" in raw:
            raise RuleError(path, f"operator {op!r} takes no value")
    else:
        if "value" not in raw:
            raise RuleError(path, f"operator {op!r} needs a value")
        value = _check_value(path, spec, op, value)
    return Leaf(path, name, op, value)


def _check_value(path: str, spec: FactSpec, op: str, value: object) -> Any:
    if op in _LIST_VALUE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RuleError(path, f"operator {op!r} needs a list of strings")
        return tuple(value)
    if spec.type == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise RuleError(path, f"fact {spec.name!r} is an integer; value {value!r} is not")
        return value
    if not isinstance(value, str):
        raise RuleError(path, f"operator {op!r} needs a string value")
    return value


def evaluate(condition: Condition, facts: Mapping[str, Any]) -> tuple[bool, list[TraceStep]]:
    """Evaluate without short-circuiting, so the trace shows every comparison that was made."""
    trace: list[TraceStep] = []
    return _eval(condition, facts, trace), trace


def _eval(node: Condition, facts: Mapping[str, Any], trace: list[TraceStep]) -> bool:
    if isinstance(node, AllOf):
        return all([_eval(item, facts, trace) for item in node.items])
    if isinstance(node, AnyOf):
        return any([_eval(item, facts, trace) for item in node.items])
    if isinstance(node, NotOf):
        return not _eval(node.item, facts, trace)
    if node.fact not in facts:
        raise KeyError(f"fact {node.fact!r} was not supplied")
    actual = facts[node.fact]
    passed = _apply(node.op, actual, node.value)
    expected = list(node.value) if isinstance(node.value, tuple) else node.value
    trace.append(TraceStep(node.path, node.fact, node.op, expected, actual, passed))
    return passed


def _apply(op: str, actual: Any, value: Any) -> bool:
    match op:
        case "is_true":
            return actual is True
        case "is_false":
            return actual is False
        case "eq":
            return bool(actual == value)
        case "ne":
            return bool(actual != value)
        case "lt":
            return bool(actual < value)
        case "lte":
            return bool(actual <= value)
        case "gt":
            return bool(actual > value)
        case "gte":
            return bool(actual >= value)
        case "in":
            return actual in value
        case "not_in":
            return actual not in value
        case "contains":
            return value in actual
        case "not_contains":
            return value not in actual
        case "contains_any":
            return any(v in actual for v in value)
        case "contains_none":
            return not any(v in actual for v in value)
        case "is_empty":
            return len(actual) == 0
        case "not_empty":
            return len(actual) > 0
    raise RuleError("<eval>", f"unknown operator {op!r}")
