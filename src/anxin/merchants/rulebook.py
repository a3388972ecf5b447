"""The merchants rulebook: one versioned bundle of sections (onboarding, deposits, fees, programmes, financing,
matchmaking).

``rulebooks/merchants/rulebook.yaml`` (``kind: merchants``) names the version and when it takes effect; each section
lives in its own file beside it (``kind: merchants.<section>``) and has its own Pydantic model. Every problem in every
file is reported at once with its path (``fees.waivers[2].scope.channels[0]: must be one of …``), then the figures
two sections both state are cross-checked, so a broken bundle never half-loads.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from anxin.core.rulebook_models import validated_file
from anxin.merchants.deposit_models import DepositsSpec
from anxin.merchants.deposits import DepositRules, deposit_rules
from anxin.merchants.fee_models import FeesSpec
from anxin.merchants.fee_rules import FeeRules, fee_rules
from anxin.merchants.financing_models import FinancingSpec
from anxin.merchants.financing_rules import FinancingRules, financing_rules
from anxin.merchants.match_models import MatchmakingSpec
from anxin.merchants.matchmaking import MatchRules, matchmaking_rules
from anxin.merchants.onboarding import OnboardingRules, onboarding_rules
from anxin.merchants.onboarding_models import OnboardingSpec
from anxin.merchants.programme_models import ProgrammesSpec
from anxin.merchants.programme_rules import ProgrammesRules, programmes_rules
from anxin.merchants.rulebook_models import MerchantRulebookError, MerchantsIndexSpec, parse_file

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "rulebooks" / "merchants"
SECTIONS = ("onboarding", "deposits", "fees", "programmes", "financing", "matchmaking")

__all__ = ["DEFAULT_DIR", "MODELS", "SECTIONS", "MerchantRulebook", "MerchantRulebookError", "load_merchant_rulebook",
           "load_section_file"]


@dataclass(frozen=True)
class MerchantRulebook:
    version: str
    effective_from: dt.datetime
    onboarding: OnboardingRules
    deposits: DepositRules
    fees: FeeRules
    programmes: ProgrammesRules
    financing: FinancingRules
    matchmaking: MatchRules


# Each section's model (``kind: merchants.<section>``, docs/schemas) and how a validated one becomes domain rules.
MODELS: dict[str, type[BaseModel]] = {
    "onboarding": OnboardingSpec, "deposits": DepositsSpec, "fees": FeesSpec, "programmes": ProgrammesSpec,
    "financing": FinancingSpec, "matchmaking": MatchmakingSpec,
}
_RULES: dict[str, Callable[[Any], Any]] = {
    "onboarding": onboarding_rules, "deposits": deposit_rules, "fees": fee_rules, "programmes": programmes_rules,
    "financing": financing_rules, "matchmaking": matchmaking_rules,
}


def load_merchant_rulebook(directory: Path | None = None) -> MerchantRulebook:
    """The bundle in ``directory`` (default: the packaged one). Loaded once per version of its files: the result
    is immutable, and every composition root (each test, each CLI call) would otherwise parse it again."""
    directory = (directory or DEFAULT_DIR).resolve()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yaml")))
    return _load(directory, stamp)


def load_section_file(path: str | Path, section: str) -> Any:
    """One section from its own YAML file (``anxin rules check``, tests); ``MerchantRulebookError`` lists every
    problem. Cross-checks need the whole bundle: ``load_merchant_rulebook``."""
    return _RULES[section](parse_file(MODELS[section], path, section))


@functools.lru_cache(maxsize=8)
def _load(directory: Path, stamp: tuple[tuple[str, int, int], ...]) -> MerchantRulebook:
    problems: list[str] = []
    index = validated_file(directory / "rulebook.yaml", "rulebook", MerchantsIndexSpec, problems)
    specs = {name: validated_file(directory / f"{name}.yaml", name, MODELS[name], problems) for name in SECTIONS}
    if problems:
        raise MerchantRulebookError(problems)
    assert isinstance(index, MerchantsIndexSpec)
    sections = {name: _RULES[name](spec) for name, spec in specs.items()}
    _cross_check(sections)
    return MerchantRulebook(version=index.version, effective_from=index.effective_from, **sections)


def _cross_check(sections: dict[str, Any]) -> None:
    """Figures two sections both state must agree."""
    lifecycle = sections["onboarding"].lifecycle.novice_days
    programme = sections["programmes"].novice.period_days
    if lifecycle != programme:
        raise MerchantRulebookError([f"programmes.novice.period_days: {programme} disagrees with "
                                     f"onboarding.lifecycle.novice_days {lifecycle}"])
