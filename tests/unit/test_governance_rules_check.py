"""`anxin rules check` knows every section of the governance bundle: each shipped file passes, and a broken copy
of each reports every problem at once, each with its path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from anxin.cli.rulebooks import check, kinds

BUNDLE = Path(__file__).resolve().parents[2] / "src" / "anxin" / "rulebooks" / "governance"
SECTIONS = ("catalogue", "listing_terms", "inspections", "appeals", "ip_complaints")


def _raw(name: str) -> dict[str, Any]:
    raw = yaml.safe_load((BUNDLE / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


@pytest.mark.parametrize("name", SECTIONS)
def test_every_section_is_a_checkable_kind_with_a_schema(name: str) -> None:
    kind = kinds()[f"governance.{name}"]
    assert kind.model is not None
    assert (Path(__file__).resolve().parents[2] / "docs" / "schemas" / f"governance.{name}.schema.json").exists()
    report = check(BUNDLE / f"{name}.yaml")
    assert (report.kind, report.problems) == (f"governance.{name}", [])


@pytest.mark.parametrize("name", SECTIONS)
def test_a_broken_section_reports_every_problem(name: str, tmp_path: Path) -> None:
    raw = copy.deepcopy(_raw(name))
    raw["surplus"] = 1  # an unknown key at the top
    nested = next((k for k, v in raw.items() if k != "kind" and isinstance(v, dict) and v), None)
    if nested is not None:
        raw[nested]["also_surplus"] = 2  # and one inside the first part that is a mapping
    else:  # the term lists: inside the first group
        raw["groups"][0]["also_surplus"] = 2
        nested = "groups"
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    report = check(path)
    assert report.kind == f"governance.{name}"
    assert len(report.problems) >= 2, report.problems
    assert any(p.endswith(".surplus: unknown key") for p in report.problems), report.problems
    assert any(nested in p and "also_surplus" in p for p in report.problems), report.problems


def test_a_catalogue_without_a_violation_kind_names_it(tmp_path: Path) -> None:
    raw = _raw("catalogue")
    raw["kinds"] = [k for k in raw["kinds"] if k["id"] not in ("counterfeit", "data_misuse")]
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    problems = check(path).problems
    assert any("counterfeit" in p for p in problems) and any("data_misuse" in p for p in problems), problems


def test_a_term_list_with_a_term_twice_is_refused(tmp_path: Path) -> None:
    raw = _raw("listing_terms")
    group = raw["groups"][0]
    group["terms"] = [*group["terms"], group["terms"][0]]
    path = tmp_path / "listing_terms.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    problems = check(path).problems
    assert problems and any(str(group["terms"][0]) in p or "twice" in p or "duplicate" in p for p in problems), \
        problems
