"""Domain events: what happened in one context that another may act on. Pure.

An event is a frozen dataclass registered under a stable name (``@event("risk.review_decided")``): the name,
not the Python class, is what the event log stores and the context map shows, so a class can move without
breaking events already logged. Fields are plain values only (str, int, bool, None, datetime, date, and
tuples/dicts of those), checked when the class is registered, so every event survives a round trip through
the log's JSON unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar


class Event:
    """Base of every domain event. Subclasses are ``@event(name)`` frozen dataclasses, named in the past tense."""

    __event_name__: typing.ClassVar[str] = ""


E = TypeVar("E", bound=type[Event])
_REGISTRY: dict[str, type[Event]] = {}
_SCALARS: tuple[type, ...] = (str, int, bool, type(None))


class EventDefinitionError(TypeError):
    """An event class the log could not store faithfully: a bug caught at import time."""


def event(name: str) -> Callable[[E], E]:
    """Register an event class under ``name`` (``<context>.<what_happened>``)."""
    if not name or name.count(".") != 1 or not all(p.replace("_", "").isalnum() for p in name.split(".")):
        raise EventDefinitionError(f"event name {name!r} must be '<context>.<what_happened>'")

    def register(cls: E) -> E:
        if not (dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen):
            raise EventDefinitionError(f"{cls.__name__} must be a frozen dataclass")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise EventDefinitionError(f"event name {name!r} is taken by {_REGISTRY[name].__qualname__}")
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            _check_type(cls, f.name, hints[f.name])
        cls.__event_name__ = name
        _REGISTRY[name] = cls
        return cls

    return register


def _check_type(cls: type, field: str, tp: Any) -> None:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp in _SCALARS or tp in (dt.datetime, dt.date) or tp is Any:
        return
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            _check_type(cls, field, arg)
        return
    if origin is tuple and (len(args) == 2 and args[1] is Ellipsis):
        _check_type(cls, field, args[0])
        return
    if origin is dict and args and args[0] is str:
        _check_type(cls, field, args[1])
        return
    raise EventDefinitionError(f"{cls.__name__}.{field}: type {tp!r} cannot be stored in the event log")


def event_name(value: Event | type[Event]) -> str:
    cls = value if isinstance(value, type) else type(value)
    if not cls.__event_name__:
        raise EventDefinitionError(f"{cls.__name__} is not a registered event")
    return cls.__event_name__


def event_class(name: str) -> type[Event]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise EventDefinitionError(f"no event is registered as {name!r}") from None


def registered() -> Mapping[str, type[Event]]:
    return dict(_REGISTRY)


def to_payload(value: Event) -> dict[str, Any]:
    """The JSON object the log stores: datetimes and dates as ISO text, tuples as lists."""
    return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}  # type: ignore[arg-type]


def from_payload(name: str, payload: Mapping[str, Any]) -> Event:
    cls = event_class(name)
    hints = typing.get_type_hints(cls)
    values = {f.name: _decode(hints[f.name], payload[f.name]) for f in dataclasses.fields(cls)  # type: ignore[arg-type]
              if f.name in payload}
    return cls(**values)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if tp is dt.date:
        return dt.date.fromisoformat(value)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            if arg is not type(None):
                return _decode(arg, value)
    if origin is tuple:
        return tuple(_decode(args[0], v) for v in value)
    if origin is dict:
        return {k: _decode(args[1], v) for k, v in value.items()}
    return value
