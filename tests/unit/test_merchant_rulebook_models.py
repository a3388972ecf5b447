"""The merchants rulebook's Pydantic models: each shipped file validates against the model its ``kind:`` header
names, broken documents are refused with every problem's path, and ``anxin rules check`` reports them (text and
JSON) for a section file and for the whole bundle."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from anxin.cli.main import main
from anxin.cli.rulebooks import kinds
from anxin.core.rulebook_models import validate
from anxin.merchants.rulebook import DEFAULT_DIR, MODELS, SECTIONS

FILES = {"merchants": "rulebook.yaml", **{f"merchants.{s}": f"{s}.yaml" for s in SECTIONS}}


def _raw(kind: str) -> dict[str, Any]:
    raw = yaml.safe_load((DEFAULT_DIR / FILES[kind]).read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


@pytest.mark.parametrize("kind", sorted(FILES))
def test_every_merchants_file_names_its_kind_and_validates_against_its_model(kind: str) -> None:
    raw = _raw(kind)
    assert raw["kind"] == kind
    model = kinds()[kind].model
    assert model is not None and (kind == "merchants" or model is MODELS[kind.removeprefix("merchants.")])
    spec, problems = validate(model, raw)
    assert problems == [] and spec is not None


Mutate = Callable[[dict[str, Any]], object]

# One broken document per row: the kind, what breaks it, and every problem expected (paths from the file's root).
BROKEN: list[tuple[str, Mutate, list[str]]] = [
    ("merchants", lambda r: r.update(version="", effective_from="2026-01-01"),
     ["version: required, a non-empty string", "effective_from: timestamp '2026-01-01' has no UTC offset"]),
    ("merchants.onboarding", lambda r: (r["licences"].update(max_shops_per_licence=0),
                                        r["qualifications"][0].update(match={})),
     ["qualifications[0].match: must name categories or tags",
      "licences.max_shops_per_licence: must be an integer 1–1000, got 0"]),
    ("merchants.deposits", lambda r: (r["base"][1]["fen"].update(individual=2000.5), r["gmv_tiers"].reverse()),
     ["base[1].fen.individual: must be an integer, got 2000.5 (whole fen or hundredths, no floats)",
      "gmv_tiers[0].below_fen: required (every tier but the last)",
      "gmv_tiers[2].below_fen: the last tier takes every GMV, so it has no below_fen"]),
    ("merchants.fees", lambda r: (r["waivers"].append(dict(r["waivers"][1], id="waiver.fresh_again")),
                                  r.update(channel_fee_bp="60")),
     ["channel_fee_bp: must be an integer, got '60'",
      "waivers[5]: overlaps waive 'waiver.fresh_2024' from 2024-01-01T00:00:00+08:00 to open end on the same orders "
      "(categories fresh, tag fresh)"]),
    ("merchants.programmes", lambda r: r["novice"]["levels"][2].update(min_xp=40),
     ["novice.levels[2].min_xp: must be above the previous level's 40"]),
    ("merchants.financing", lambda r: (r["loan"].update(interest_bp=-1),
                                       r["instalments"]["plans"][2]["merchant_fee_bp"].pop(6)),
     ["loan.interest_bp: must be an integer 0–10000, got -1",
      "instalments.plans[2].merchant_fee_bp: must give a fee for each of the terms [3, 6], got {3: 160}"]),
]


@pytest.mark.parametrize(("kind", "mutate", "expected"), BROKEN, ids=[k for k, _, _ in BROKEN])
def test_a_broken_document_reports_every_problem_with_its_path(kind: str, mutate: Mutate,
                                                               expected: list[str]) -> None:
    raw = copy.deepcopy(_raw(kind))
    mutate(raw)
    model = kinds()[kind].model
    assert model is not None
    assert validate(model, raw) == (None, expected)


def _run(*args: object) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize(("kind", "mutate", "expected"), BROKEN, ids=[k for k, _, _ in BROKEN])
def test_rules_check_reports_a_broken_file_by_its_header(tmp_path: Path, kind: str, mutate: Mutate,
                                                         expected: list[str]) -> None:
    book = tmp_path / "book"
    shutil.copytree(DEFAULT_DIR, book)
    raw = copy.deepcopy(_raw(kind))
    mutate(raw)
    path = book / FILES[kind]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = _run("rules", "check", "--json", path)
    assert out.exit_code == 1, out.output
    report = json.loads(out.stdout)
    root = "rulebook" if kind == "merchants" else kind.removeprefix("merchants.")
    # a section file on its own and the bundle through rulebook.yaml: the same problems under the section's name
    assert (report["kind"], report["ok"], report["problems"]) == (kind, False, [f"{root}.{p}" for p in expected])
    if kind != "merchants":
        whole = _run("rules", "check", book / "rulebook.yaml")
        assert whole.exit_code == 1 and all(f"{root}.{p}" in whole.output for p in expected), whole.output


def test_rules_check_passes_the_shipped_bundle_and_names_the_kind(tmp_path: Path) -> None:
    out = _run("rules", "check", "--json", DEFAULT_DIR / "fees.yaml")
    assert out.exit_code == 0 and json.loads(out.stdout)["ok"] is True
    forced = _run("rules", "check", "--kind", "merchants.deposits", DEFAULT_DIR / "fees.yaml")
    assert forced.exit_code == 1 and "deposits.kind: must be one of 'merchants.deposits', got 'merchants.fees'" \
        in forced.output
