"""The published schema, completed: the bearer scheme on every ``/v1`` operation, and each operation's errors as
problem details (``anxin.web.problem``) with the codes it can answer.

Which codes an operation can answer is worked out from what it is, in one place: the access codes for a keyed
call, the request codes for parameters and bodies, the idempotency codes where an ``Idempotency-Key`` is taken,
and its own context's codes: those the endpoint declares (``openapi_extra=codes(...)``), else every code of the
``error_codes`` module of the package its endpoint lives in. The statuses come from the one table,
``anxin.web.errors.HTTP_STATUS`` (collected from the contexts' codes).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from anxin.access.error_codes import AccessErrorCode as A
from anxin.idempotency.error_codes import IdempotencyErrorCode as D
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.errors import ALL_CODE_ENUMS, HTTP_STATUS
from anxin.web.problem import MEDIA_TYPE, TYPE_BASE, problem

SCHEME = "HTTPBearer"
BEARER = HTTPBearer(scheme_name=SCHEME, description="An API key: `anxin keys create --role ROLE --subject ID` "
                                                    "prints one. The pages' session cookie is never accepted here.")
PROBLEM = "#/components/schemas/Problem"
KEYED = (A.UNAUTHENTICATED, A.FORBIDDEN_ROLE, A.TOO_MANY_ATTEMPTS)
ANY_REQUEST = (W.NOT_FOUND,)  # a NUL in the path or query
PARAMETERS = (W.INVALID_REQUEST,)
BODY = (W.MALFORMED_JSON, W.INVALID_REQUEST, W.TOO_LARGE, W.NUL_CHARACTER, W.INVALID_UNICODE, W.OUT_OF_RANGE)
BODY_METHODS = {"post", "put", "patch", "delete"}
FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")  # FastAPI's default 422 shape: not what anxin sends
DECLARED = "x-anxin-codes"


def codes(*declared: StrEnum) -> dict[str, Any]:
    """``openapi_extra`` of an endpoint that names the codes of its context it can answer (none: ``codes()``);
    the access, request and idempotency codes are still worked out from what the operation is."""
    return {DECLARED: [c.value for c in declared]}


def problem_schema() -> dict[str, Any]:
    codes = sorted(c.value for enum in ALL_CODE_ENUMS for c in enum)
    return {
        "title": "Problem", "type": "object", "required": ["type", "title", "status", "detail", "instance", "code"],
        "description": "An error, as RFC 9457 problem details (`application/problem+json`). The error's details "
                       "(`field`, `limit`, `path`, `problems`, …) are members beside these.",
        "properties": {
            "type": {"type": "string", "format": "uri-reference", "description": f"`{TYPE_BASE}<code>`"},
            "title": {"type": "string", "description": "the same for every occurrence of the code"},
            "status": {"type": "integer", "description": "the HTTP status"},
            "detail": {"type": "string", "description": "this occurrence, for people"},
            "instance": {"type": "string", "format": "uri-reference", "description": "the path asked for"},
            "code": {"type": "string", "enum": codes, "description": "anxin's stable code"},
        },
        "additionalProperties": True,
    }


def _context_codes(endpoint: Callable[..., Any]) -> list[StrEnum]:
    """Every code of the context the endpoint belongs to (``anxin.<context>.api`` → ``anxin.<context>.error_codes``)."""
    package = endpoint.__module__.rsplit(".", 1)[0]
    try:
        module = importlib.import_module(f"{package}.error_codes")
    except ModuleNotFoundError:
        return []
    return [code for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum for code in value]


def operation_codes(path: str, method: str, operation: dict[str, Any], endpoint: Callable[..., Any]) -> list[StrEnum]:
    found: list[StrEnum] = [*ANY_REQUEST]
    if path.startswith("/v1/"):
        found += KEYED
    parameters = operation.get("parameters", [])
    if parameters or "requestBody" in operation:
        found += PARAMETERS
    if "requestBody" in operation or method in BODY_METHODS:
        found += BODY
    if any(p.get("in") == "query" and p.get("name") == "cursor" for p in parameters):
        found += [W.INVALID_CURSOR]  # a list (anxin.web.paging)
    if any(p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key" for p in parameters):
        found += list(D)
    declared = operation.pop(DECLARED, None)
    if declared is None:
        found += _context_codes(endpoint)
    else:
        by_value = {c.value: c for enum in ALL_CODE_ENUMS for c in enum}
        found += [by_value[v] for v in declared]
    return list(dict.fromkeys(found))


def problem_responses(codes: Iterable[StrEnum], instance: str) -> dict[str, dict[str, Any]]:
    by_status: dict[int, list[StrEnum]] = {}
    for code in codes:
        by_status.setdefault(HTTP_STATUS[code], []).append(code)
    out = {}
    for status, group in sorted(by_status.items()):
        values = sorted(c.value for c in group)
        example = problem(group[0], "what went wrong, for people", status, instance)
        out[str(status)] = {
            "description": "Problem: " + ", ".join(f"`{v}`" for v in values),
            "content": {MEDIA_TYPE: {
                "schema": {"allOf": [{"$ref": PROBLEM}, {"properties": {"code": {"enum": values}}}]},
                "example": example}}}
    return out


def _hoist_defs(node: Any, into: dict[str, Any]) -> Any:
    """Move a Pydantic schema's ``$defs`` into the components: in an OpenAPI document ``#/$defs/…`` points at the
    document's root, where nothing is."""
    if isinstance(node, dict):
        for name, schema in node.pop("$defs", {}).items():
            into.setdefault(name, _hoist_defs(schema, into))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
        for key, value in node.items():
            node[key] = _hoist_defs(value, into)
    elif isinstance(node, list):
        return [_hoist_defs(item, into) for item in node]
    return node


def api_routes(routes: Iterable[Any]) -> Iterator[tuple[str, APIRoute]]:
    """Each API route with the path it answers at. FastAPI 0.16x keeps an included router's routes in the router
    (the path is the effective one, prefix included); earlier versions copy them into the app."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - an older FastAPI
        yield from ((r.path_format, r) for r in routes if isinstance(r, APIRoute))
        return
    for context in iter_route_contexts(list(routes)):
        if isinstance(context.original_route, APIRoute) and context.path_format:
            yield context.path_format, context.original_route


def complete(schema: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = problem_schema()
    scheme = BEARER.model.model_dump(mode="json", by_alias=True, exclude_none=True)
    components.setdefault("securitySchemes", {})[SCHEME] = scheme
    for path, route in api_routes(routes):
        if not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            operation = schema["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue
            if "requestBody" in operation:
                _hoist_defs(operation["requestBody"], schemas)
            if path.startswith("/v1/"):
                operation["security"] = [{SCHEME: []}]
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's default validation shape, replaced by the problem below
            codes = operation_codes(path, method.lower(), operation, route.endpoint)
            for status, response in problem_responses(codes, path).items():
                responses.setdefault(status, response)
    text = repr(schema["paths"])
    for name in FASTAPI_VALIDATION:
        if f"#/components/schemas/{name}'" not in text:
            schemas.pop(name, None)
    return schema


_QUALIFIED = re.compile(r"^anxin__(?P<context>[a-z_]+?)__(?:[a-z_]+__)*(?P<name>[A-Za-z0-9_]+)$")


def _readable_names(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI names a component after its module path (``anxin__risk__model__Outcome``) when two models share a
    class name; a generated client flattens that back to ``Outcome`` and drops both. Name each after its context
    instead (``RiskOutcome``, title included), and point every reference at the new name."""
    schemas = schema.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for name in list(schemas):
        match = _QUALIFIED.match(name)
        if match:
            readable = match["context"].title().replace("_", "") + match["name"]
            if readable in schemas or readable in renames.values():
                readable = name  # leave it qualified rather than merge two schemas
            renames[name] = readable
    if not renames:
        return schema
    refs = {f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renames.items()}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (refs.get(v, v) if k == "$ref" and isinstance(v, str) else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    out: dict[str, Any] = walk(schema)
    out["components"]["schemas"] = {renames.get(k, k): v for k, v in out["components"]["schemas"].items()}
    for new in renames.values():
        out["components"]["schemas"][new]["title"] = new  # generators name a type after its title
    return out


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _readable_names(complete(generate(), app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
