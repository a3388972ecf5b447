"""The merchants rulebook: one versioned bundle of sections (onboarding, deposits, fees, programmes, financing).

``rulebooks/merchants/rulebook.yaml`` names the version and when it takes effect; each section lives in its own file
beside it and has its own loader. Every problem in every section is collected with its path and reported at once,
so a broken bundle never half-loads.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from anxin.core.rulebook_loading import ProblemCollector
from anxin.core.rulebook_models import RulebookProblems
from anxin.merchants.deposits import DepositRules, load_deposits
from anxin.merchants.fee_rules import FeeRules, load_fees
from anxin.merchants.financing_rules import FinancingRules, load_financing
from anxin.merchants.onboarding import OnboardingRules, load_onboarding
from anxin.merchants.programme_rules import ProgrammesRules, load_programmes

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "rulebooks" / "merchants"
SECTIONS = ("onboarding", "deposits", "fees", "programmes", "financing")


class MerchantRulebookError(RulebookProblems):
    title = "merchants rulebook invalid"


@dataclass(frozen=True)
class MerchantRulebook:
    version: str
    effective_from: dt.datetime
    onboarding: OnboardingRules
    deposits: DepositRules
    fees: FeeRules
    programmes: ProgrammesRules
    financing: FinancingRules


LOADERS: dict[str, Callable[[Mapping[str, Any], ProblemCollector], Any]] = {
    "onboarding": load_onboarding, "deposits": load_deposits, "fees": load_fees, "programmes": load_programmes,
    "financing": load_financing,
}


def load_merchant_rulebook(directory: Path | None = None) -> MerchantRulebook:
    """The bundle in ``directory`` (default: the packaged one). Loaded once per version of its files: the result
    is immutable, and every composition root (each test, each CLI call) would otherwise parse it again."""
    directory = (directory or DEFAULT_DIR).resolve()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yaml")))
    return _load(directory, stamp)


@functools.lru_cache(maxsize=8)
def _load(directory: Path, stamp: tuple[tuple[str, int, int], ...]) -> MerchantRulebook:
    problems = ProblemCollector()
    index = _read(directory / "rulebook.yaml", "rulebook", problems, "merchants")
    problems.unknown(index, "rulebook", ("version", "effective_from"))
    version = problems.text(index, "version", "rulebook")
    effective = problems.instant(index, "effective_from", "rulebook")
    sections = {}
    for name in SECTIONS:
        raw = _read(directory / f"{name}.yaml", name, problems, f"merchants.{name}")
        sections[name] = LOADERS[name](raw, problems)
    if not problems.problems:
        _cross_check(sections, problems)
    if problems.problems:
        raise MerchantRulebookError(problems.problems)
    assert effective is not None
    return MerchantRulebook(version=version, effective_from=effective, **sections)


def _read(path: Path, name: str, problems: ProblemCollector, kind: str) -> Mapping[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.add(f"{name}: cannot read {path.name} ({exc.strerror})")
        return {}
    except yaml.YAMLError as exc:
        problems.add(f"{name}: {path.name} is not valid YAML ({exc})")
        return {}
    if not isinstance(raw, Mapping):
        problems.add(f"{name}: {path.name} must hold a mapping")
        return {}
    if raw.get("kind") != kind:  # the header says what the file is (and which JSON Schema an editor applies)
        problems.add(f"{name}.kind: must be {kind!r}, got {raw.get('kind')!r}")
    return {k: v for k, v in raw.items() if k != "kind"}


def _cross_check(sections: Mapping[str, Any], problems: ProblemCollector) -> None:
    """Figures two sections both state must agree."""
    lifecycle = sections["onboarding"].lifecycle.novice_days
    programme = sections["programmes"].novice.period_days
    if lifecycle != programme:
        problems.add(f"programmes.novice.period_days: {programme} disagrees with onboarding.lifecycle.novice_days "
                     f"{lifecycle}")
