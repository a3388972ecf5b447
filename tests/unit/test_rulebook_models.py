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
FULFILMENT = _raw(RULEBOOKS / "fulfilment.yaml")
SCORES = _raw(RULEBOOKS / "scores.yaml")
LEGACY_SCORES = _raw(RULEBOOKS / "scores-legacy.yaml")


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
    ("fulfilment", FULFILMENT, lambda r: (r["detectors"].update(stalled_hours=0),
                                          r["scan_statuses"].update(delivered=["signed", "collected"]),
                                          r["consequences"]["points"].update(day_cap=601),
                                          r.update(force_majeure=[{"region": "CN-HB", "from": "2026-12-02T00:00:00Z",
                                                                   "to": "2026-12-01T00:00:00Z", "reason": "snow"}])),
     ["detectors.stalled_hours: must be a positive integer, got 0",
      "scan_statuses.delivered: ['collected'] already listed under collection",
      "consequences.points.day_cap: must not exceed week_cap (601 > 600)", "force_majeure[0].to: must be after from"]),
    ("fulfilment", FULFILMENT, lambda r: (r.pop("promise"), r["consequences"]["compensation"].update(cap_fen=99.5)),
     ["promise: required",
      "consequences.compensation.cap_fen: must be an integer, got 99.5 (whole fen or hundredths, no floats)"]),
    ("scores", SCORES, lambda r: (r["merchant"]["indicators"][4].update(weight=35),
                                  r["merchant"]["indicators"][7]["params"].pop("reply_seconds"),
                                  r["creator"]["dimensions"][0].update(weight=45),
                                  r["consumer"]["components"][1].update(fact="shoe_size")),
     ["merchant.indicators[7].params.reply_seconds: required",
      "merchant.indicators: weights of dimension 'service' must add up to 100, got 110",
      "creator.dimensions: weights must add up to 100, got 105",
      "consumer.components[1].fact: must be one of 'signed_orders', 'account_age_30d', 'refund_pct_over_25', "
      "'disputes_lost', 'abuse_verdicts' or 'rejected_claims', got 'shoe_size'"]),
    ("scores", LEGACY_SCORES, lambda r: (r["merchant"]["scale"].update(max=2), r["merchant"]["indicators"][0].update(
        measure="shop_experience")),
     ["merchant.scale: max must be above min, got 3..2",
      "merchant.indicators[0].measure: must be one of 'negative_review_rate', 'quality_return_rate', "
      "'collection_timeliness', 'delivery_hours', 'complaint_rate', 'dispute_rate', 'aftersales_hours' or "
      "'im_reply_rate', got 'shop_experience'"]),
])
def test_broken_variants_report_every_problem_with_its_path(kind: str, raw: dict[str, Any], mutate: Any,
                                                             expected: list[str]) -> None:
    assert _broken(kind, raw, mutate) == expected
