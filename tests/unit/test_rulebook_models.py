"""Every shipped rulebook validates against the model of the kind its header names; the published JSON Schemas
are those of the models; broken variants are refused with the path of each problem."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from tools.schemas import stale

from anxin.cli.rulebooks import check, kinds
from anxin.core.rulebook_models import validate

RULEBOOKS = Path(__file__).resolve().parents[2] / "src" / "anxin" / "rulebooks"
SHIPPED = sorted(RULEBOOKS.rglob("*.yaml"))


def _raw(path: Path) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


def test_the_published_schemas_are_current() -> None:
    assert stale() == [], "run: python -m tools.schemas"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(RULEBOOKS)))
def test_every_shipped_rulebook_declares_its_kind_and_validates(path: Path) -> None:
    kind = _raw(path).get("kind")
    assert kind in kinds(), f"{path.name}: kind header {kind!r}"
    model = kinds()[kind].model
    if model is not None:
        spec, problems = validate(model, _raw(path))
        assert problems == [] and spec is not None
    report = check(path)
    assert (report.kind, report.problems) == (kind, [])


GUARANTEES = _raw(RULEBOOKS / "guarantees.yaml")
RISK = _raw(RULEBOOKS / "risk.yaml")


def _broken(kind: str, raw: dict[str, Any], mutate: Any) -> list[str]:
    raw = copy.deepcopy(raw)
    mutate(raw)
    model = kinds()[kind].model
    assert model is not None
    spec, problems = validate(model, raw)
    assert spec is None
    return problems


@pytest.mark.parametrize(("kind", "raw", "mutate", "expected"), [
    ("risk", RISK, lambda r: r["rules"][5]["when"]["all"][0].update(op="near"),
     ["rules[5].when.all[0]: operator 'near' does not apply to int fact 'amount_fen'; "
      "use one of ['eq', 'gt', 'gte', 'lt', 'lte', 'ne']"]),
    ("risk", RISK, lambda r: (r["rules"][0].update(points=5.0), r["rules"][1]["message"].pop("en"),
                              r["freight_tariff"].update(first_kg_fen="1200"), r.update(colour="red")),
     ["freight_tariff.first_kg_fen: must be an integer, got '1200'",
      "rules[0].points: must be an integer, got 5.0 (whole fen or hundredths, no floats)",
      "rules[1].message.en: required", "colour: unknown key"]),
    ("risk", RISK, lambda r: r["rules"][2].update(id=r["rules"][0]["id"]),
     ["rules[2].id: duplicate rule id 'K.EVIDENCE_OTHER_ACCOUNT'"]),
    ("risk", RISK, lambda r: r["rules"][0].update(stage="payout", when={"fact": "?", "op": "is_true"}),
     ["rules[0].stage: must be one of 'claim', 'return', 'onboarding' or 'access', got 'payout'"]),
    ("guarantees", GUARANTEES, lambda r: (r["guarantees"][0]["window"].update(count_from="next_local_day", hours=2),
                                          r["guarantees"][1]["claims"].update(case_types=[])),
     ["guarantees[0].window.count_from: 'anchor', or 'next_local_day' with days only",
      "guarantees[1].claims.case_types: must not be empty"]),
    ("guarantees", GUARANTEES, lambda r: r["guarantees"][0]["requires"][0].update(
        when={"not": {"fact": "signed", "op": "is_true", "value": True}}),
     ["guarantees[0].requires[0].when.not: operator 'is_true' takes no value"]),
])
def test_broken_variants_report_every_problem_with_its_path(kind: str, raw: dict[str, Any], mutate: Any,
                                                             expected: list[str]) -> None:
    assert _broken(kind, raw, mutate) == expected
