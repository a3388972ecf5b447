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


def test_the_import_contracts_in_force_are_the_generated_ones() -> None:
    assert contracts.TARGET.read_text(encoding="utf-8") == contracts.render(), \
        ".importlinter is stale: run `python -m tools.contracts`"
    assert contracts.main(["--check"]) == 0


def test_a_module_left_out_of_the_list_is_reported() -> None:
    stray = contracts.PACKAGE / "orders" / "zz_stray_for_test.py"
    stray.write_text('"""not in anxin.contexts"""\n', encoding="utf-8")
    try:
        assert contracts.problems() == [
            "anxin.orders.zz_stray_for_test sits in no layer: add it to its context in anxin/contexts.py"]
        assert contracts.main(["--check"]) == 1
    finally:
        stray.unlink()


def test_the_contracts_forbid_a_private_module_across_a_border() -> None:
    text = contracts.render()
    border = text.split("[importlinter:contract:orders-border]", 1)[1].split("[importlinter:", 1)[0]
    assert "anxin.orders.model" in border and "anxin.orders.store" in border
    assert "anxin.orders.service" not in border and "anxin.orders.published" not in border
