"""The app includes every context's routers, found through the list of contexts, and their order decides nothing."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path

from anxin.contexts import CONTEXTS


def _routes(app) -> list[tuple[str, frozenset[str], str]]:
    """(path, methods, module of the endpoint) of every API and page route, as the app answers them."""
    return [(c.path_format, frozenset(c.original_route.methods), c.original_route.endpoint.__module__)
            for c in iter_route_contexts(list(app.routes))
            if isinstance(c.original_route, APIRoute) and c.path_format]


def test_every_context_router_is_included(app):
    modules = {module for _, _, module in _routes(app)}
    for ctx in CONTEXTS:
        for kind in ("api", "pages"):
            # A context's router may hold only routers it includes (care's api includes companion_api's routes).
            reached = {f"anxin.{ctx.name}.{m}" for m in ctx.interface if m == kind or m.endswith(f"_{kind}")}
            assert bool(modules & reached) == (kind in ctx.interface), (ctx.name, kind)


def test_no_route_answers_a_path_of_another_router(app):
    """Routers are included in the list of contexts' order; that order can change nothing only while no path of one
    router is also matched by a route of another (with a method in common)."""
    routes = _routes(app)
    clashes = []
    for path, methods, module in routes:
        regex = compile_path(path)[0]
        for other_path, other_methods, other_module in routes:
            example = re.sub(r"\{[^}]+\}", "x1", other_path)
            if module != other_module and methods & other_methods and regex.match(example):
                clashes.append((module, path, other_module, other_path))
    assert clashes == []


def test_the_clash_check_can_fail():
    regex = compile_path("/v1/shops/{shop_id}")[0]
    assert regex.match(re.sub(r"\{[^}]+\}", "x1", "/v1/shops/export"))
