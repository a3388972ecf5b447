"""The rules evaluator and the rulebook loader: bad rules are caught at load time, with their path."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from anxin.aftersales.rulebook import (
    DEFAULT_RULEBOOK,
    RulebookError,
    RulebookSet,
    Window,
    load_rulebook,
    parse_rulebook,
)
from anxin.core.rules import FactSpec, RuleError, compile_condition, evaluate

FACTS = {f.name: f for f in [FactSpec("n", "int", ""), FactSpec("s", "str", ""), FactSpec("b", "bool", ""),
                             FactSpec("tags", "str_set", "")]}


@pytest.mark.parametrize(("cond", "facts", "expected"), [
    ({"fact": "n", "op": "lt", "value": 3}, {"n": 2}, True),
    ({"fact": "n", "op": "lt", "value": 3}, {"n": 3}, False),
    ({"fact": "n", "op": "lte", "value": 3}, {"n": 3}, True),
    ({"fact": "s", "op": "in", "value": ["a", "b"]}, {"s": "b"}, True),
    ({"fact": "b", "op": "is_false"}, {"b": False}, True),
    ({"fact": "tags", "op": "contains_none", "value": ["x"]}, {"tags": frozenset({"y"})}, True),
    ({"fact": "tags", "op": "is_empty"}, {"tags": frozenset()}, True),
    ({"not": {"fact": "b", "op": "is_true"}}, {"b": True}, False),
    ({"any": [{"fact": "n", "op": "eq", "value": 1}, {"fact": "s", "op": "eq", "value": "z"}]},
     {"n": 0, "s": "z"}, True),
])
def test_evaluate(cond, facts, expected) -> None:  # type: ignore[no-untyped-def]
    ok, trace = evaluate(compile_condition(cond, FACTS), facts)
    assert ok is expected and trace


def test_trace_has_every_comparison_even_after_the_answer_is_known() -> None:
    cond = {"all": [{"fact": "n", "op": "gt", "value": 5}, {"fact": "b", "op": "is_true"}]}
    ok, trace = evaluate(compile_condition(cond, FACTS), {"n": 1, "b": True})
    assert not ok and [(s.fact, s.passed) for s in trace] == [("n", False), ("b", True)]


@pytest.mark.parametrize(("cond", "fragment"), [
    ({"fact": "nope", "op": "eq", "value": 1}, "unknown fact"),
    ({"fact": "n", "op": "contains", "value": 1}, "does not apply"),
    ({"fact": "n", "op": "lt", "value": "3"}, "is an integer"),
    ({"fact": "n", "op": "lt", "value": True}, "is an integer"),
    ({"fact": "b", "op": "is_true", "value": 1}, "takes no value"),
    ({"fact": "s", "op": "in", "value": "a"}, "list of strings"),
    ({"all": []}, "non-empty"),
    ({"fact": "n"}, "fact+op"),
    ({"fact": "n", "op": "lt", "value": 1, "extra": 2}, "unknown keys"),
    ("n < 3", "mapping"),
])
def test_compile_rejects_bad_conditions(cond, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuleError) as err:
        compile_condition(cond, FACTS)
    assert fragment in str(err.value)


RAW = yaml.safe_load(DEFAULT_RULEBOOK.read_text(encoding="utf-8"))


def broken(mutate) -> list[str]:  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(RAW)
    mutate(raw)
    with pytest.raises(RulebookError) as err:
        parse_rulebook(raw)
    return err.value.problems


def test_default_rulebook_loads() -> None:
    rb = load_rulebook(DEFAULT_RULEBOOK)
    assert rb.version == "2026.12.1" and rb.deadlines.merchant_response_hours == 48
    assert rb.guarantee("G.FRESH_SPOILAGE").merchant_response_hours == 24  # type: ignore[union-attr]


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda r: r.pop("version"), "version: required"),
    (lambda r: r.update(effective_from="2026-01-01"), "effective_from"),
    (lambda r: r["deadlines"].update(merchant_response_hours=-1), "deadlines.merchant_response_hours"),
    (lambda r: r["guarantees"][0]["window"].update(hours=0), "guarantees[0].window"),
    (lambda r: r["guarantees"][0]["window"].update(anchor="lunch"), "guarantees[0].window.anchor"),
    (lambda r: r["guarantees"][0].update(route="maybe"), "guarantees[0].route"),
    (lambda r: r["guarantees"][0]["claims"].update(reasons=["boredom"]), "guarantees[0].claims.reasons"),
    (lambda r: r["guarantees"][0].update(covers={"fact": "shipped", "op": "is_true"}), "guarantees[0].covers"),
    (lambda r: r["guarantees"][1].update(id="G.INSTANT_REFUND"), "duplicate ids"),
    (lambda r: r["guarantees"][2].update(colour="red"), "guarantees[2].colour: unknown key"),
    (lambda r: r["guarantees"][2]["name"].pop("en"), "guarantees[2].name"),
    (lambda r: r["review_rules"][0]["when"].update(op="contains"), "review_rules[0].when"),
])
def test_broken_rulebooks_name_the_problem(mutate, path) -> None:  # type: ignore[no-untyped-def]
    problems = broken(mutate)
    assert any(path in p for p in problems), problems


def test_all_problems_reported_at_once() -> None:
    def two(r):  # type: ignore[no-untyped-def]
        r.pop("version")
        r["guarantees"][0].update(route="maybe")
    assert len(broken(two)) == 2


def test_covers_may_only_use_order_facts() -> None:
    # 'shipped' changes over an order's life; coverage shown in the Hall must not depend on a claim.
    problems = broken(lambda r: r["guarantees"][0].update(covers={"fact": "evidence_count", "op": "gte", "value": 1}))
    assert any("unknown fact 'evidence_count'" in p for p in problems)


def test_unreadable_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(RulebookError) as err:
        load_rulebook(bad)
    assert "not valid YAML" in str(err.value)


def test_versions_in_force_by_date() -> None:
    old = load_rulebook(DEFAULT_RULEBOOK)
    raw = copy.deepcopy(RAW)
    raw.update(version="2027.1", effective_from="2027-01-01T00:00:00+08:00")
    raw["deadlines"]["merchant_response_hours"] = 24
    new = parse_rulebook(raw)
    books = RulebookSet((old, new))
    assert books.in_force(dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC)).version == "2026.12.1"
    assert books.in_force(dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)).version == "2027.1"
    assert books.version("2026.12.1").deadlines.merchant_response_hours == 48


def test_window_bounds_across_month_end() -> None:
    offset = dt.timedelta(hours=8)
    signed = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)  # 29 Nov 04:00 in Beijing
    opens, closes = Window("signed", days=7, count_from_next_local_day=True).bounds(signed, offset)
    assert opens == signed and closes == dt.datetime(2026, 12, 6, 16, 0, tzinfo=dt.UTC)  # 7 Dec 00:00 +08
