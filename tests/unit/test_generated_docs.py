"""Files generated from the code stay in step with it: the context map and the module list behind the contracts."""

from __future__ import annotations

from tools import architecture, contracts


def test_every_module_of_every_context_sits_in_a_layer() -> None:
    assert contracts.problems() == []


def test_the_context_map_is_generated_from_the_handler_table() -> None:
    table = architecture.handler_table()
    assert architecture.TARGET.read_text(encoding="utf-8") == architecture.render(table), \
        "docs/architecture.md is stale: run `python -m tools.architecture`"
    assert {s.name for s in table.subscriptions} >= {"aftersales.settle_risk_review", "actions.restrict_blocked_shop"}
