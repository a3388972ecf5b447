"""Shared kernel of every rulebook loader: collect all problems with their paths, then refuse at once.

A loader walks the raw YAML with a ``ProblemCollector``; each check appends ``path: what is wrong`` and
returns a harmless default so the walk goes on, and the loader raises once with every problem listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from anxin.core.clock import parse_instant

T = TypeVar("T")


class ProblemCollector:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def section(self, raw: Mapping[str, Any], key: str, known: tuple[str, ...]) -> Mapping[str, Any]:
        value = raw.get(key)
        if not isinstance(value, Mapping):
            self.problems.append(f"{key}: required, a mapping" if value is None else f"{key}: must be a mapping")
            return {}
        self.unknown(value, key, known)
        return value

    def mapping(self, raw: Mapping[str, Any], key: str, path: str, known: tuple[str, ...], *,
                required: bool = True) -> Mapping[str, Any] | None:
        """``raw[key]`` as a mapping with only ``known`` keys; None (and a problem if required) when absent or
        not a mapping."""
        value = raw.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, Mapping):
            self.problems.append(f"{path}.{key}: required, a mapping" if value is None
                                 else f"{path}.{key}: must be a mapping")
            return None
        self.unknown(value, f"{path}.{key}", known)
        return value

    def unknown(self, raw: Mapping[str, Any], path: str, known: Iterable[str]) -> None:
        for extra in sorted(set(raw) - set(known), key=str):
            self.problems.append(f"{path}.{extra}: unknown key")

    def integer(self, raw: Mapping[str, Any], key: str, path: str, *, low: int = 1, high: int | None = None) -> int:
        if key not in raw:
            self.problems.append(f"{path}.{key}: required")
            return max(low, 0)
        value = raw[key]
        if not isinstance(value, int) or isinstance(value, bool):
            hint = " (whole hundredths of a point, no floats)" if isinstance(value, float) else ""
            self.problems.append(f"{path}.{key}: must be an integer, got {value!r}{hint}")
            return max(low, 0)
        if value < low or (high is not None and value > high):
            bound = "a positive integer" if low == 1 and high is None else f"an integer {low}–{high}"
            self.problems.append(f"{path}.{key}: must be {bound}, got {value}")
        return value

    def number(self, raw: Mapping[str, Any], key: str, path: str) -> float:
        value = raw.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.problems.append(f"{path}.{key}: must be a number, got {value!r}")
            return 0.0
        return float(value)

    def choice(self, raw: Mapping[str, Any], key: str, path: str, options: tuple[str, ...]) -> str:
        value = raw.get(key)
        if value not in options:
            self.problems.append(f"{path}.{key}: must be one of {list(options)}, got {value!r}")
            return options[0]
        return str(value)

    def text(self, raw: Mapping[str, Any], key: str, path: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value:
            self.problems.append(f"{path}.{key}: required, a non-empty string")
            return ""
        return value

    def instant(self, raw: Mapping[str, Any], key: str, path: str) -> dt.datetime | None:
        value = raw.get(key)
        if not isinstance(value, str):
            self.problems.append(f"{path}.{key}: required, an ISO 8601 time with an offset")
            return None
        try:
            return parse_instant(value)
        except ValueError as exc:
            self.problems.append(f"{path}.{key}: {exc}")
            return None

    def statuses(self, raw: Mapping[str, Any], key: str, path: str) -> frozenset[str]:
        value = raw.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            self.problems.append(f"{path}.{key}: must be a non-empty list of status names")
            return frozenset()
        return frozenset(value)


def load_section_file(path: str | Path, section: str, loader: Callable[[Mapping[str, Any], ProblemCollector], T]) -> T:
    """One section of a rulebook bundle from its own YAML file (tests, tools); ``ValueError`` lists every problem."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    problems = ProblemCollector()
    if isinstance(raw, Mapping) and "kind" in raw:  # the header, when the file has one, must name this section
        if raw["kind"] != f"merchants.{section}":
            problems.add(f"{section}.kind: must be 'merchants.{section}', got {raw['kind']!r}")
        raw = {k: v for k, v in raw.items() if k != "kind"}
    rules = loader(raw if isinstance(raw, Mapping) else {}, problems)
    if not isinstance(raw, Mapping):
        problems.problems.insert(0, f"{section}: the file must hold a mapping")
    if problems.problems:
        raise ValueError("\n".join(problems.problems))
    return rules
