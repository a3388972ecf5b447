"""The contexts' import graph has no cycle: each context may call the services of those below it, and a context
that needs one above it is told by an event instead. (grimp is import-linter's graph builder.)"""

from __future__ import annotations

import grimp

# The bounded contexts; core, db, web, cli, bootstrap, sim and the rulebook files are the shell around them.
CONTEXTS = ("access", "aftersales", "audience", "care", "catalog", "fulfilment", "idempotency", "ingest", "jobs",
            "merchants", "orders", "outbox", "risk", "scoring", "shops")
SHELL = ("web", "cli", "bootstrap", "sim")


def context_graph() -> dict[str, set[str]]:
    """context -> the contexts it imports (directly, from any of its modules)."""
    graph = grimp.build_graph("anxin", cache_dir=None)
    edges: dict[str, set[str]] = {c: set() for c in CONTEXTS}
    for importer in CONTEXTS:
        for other in CONTEXTS:
            if other != importer and graph.find_matching_direct_imports(
                    import_expression=f"anxin.{importer}.** -> anxin.{other}.**") + \
                    graph.find_matching_direct_imports(import_expression=f"anxin.{importer} -> anxin.{other}.**"):
                edges[importer].add(other)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one context (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_context_graph_has_no_cycle() -> None:
    assert cycles(context_graph()) == []


def test_merchants_is_the_top_only_the_shell_imports_it() -> None:
    edges = context_graph()
    assert sorted(c for c, deps in edges.items() if "merchants" in deps) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
