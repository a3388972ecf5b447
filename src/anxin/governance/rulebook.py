"""The governance rulebook: one versioned bundle of sections in ``rulebooks/governance/``.

``rulebook.yaml`` (``kind: governance``) names the version and when it takes effect; each section is a file beside
it (``kind: governance.<section>``) with its own strict model. Every problem in every file is reported at once with
its path, so a broken bundle never half-loads. The listing-term, inspection, appeal and IP sections keep loaders
of their own (each validated by its strict model), called from here with the bundle's version.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from anxin.core.rulebook_models import RulebookProblems, validated_file
from anxin.governance.appeal_rules import AppealRules, load_appeal_book
from anxin.governance.catalogue import Catalogue, catalogue_rules
from anxin.governance.inspection_rules import InspectionRules, InspectionsSpec, load_inspection_rules
from anxin.governance.ip_rulebook import IpComplaintsSpec, IpRules, load_ip_rules
from anxin.governance.listing_terms_rules import ListingTerms, ListingTermsSpec, listing_terms_of, load_listing_terms
from anxin.governance.rulebook_models import CatalogueSpec, GovernanceIndexSpec, GovernanceRulebookError

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "rulebooks" / "governance"
# Every section file of the bundle (``kind: governance.<section>``) and its strict model.
MODELS: dict[str, type[BaseModel]] = {"catalogue": CatalogueSpec, "listing_terms": ListingTermsSpec,
                                      "inspections": InspectionsSpec, "appeals": AppealRules,
                                      "ip_complaints": IpComplaintsSpec}
T = TypeVar("T")


@dataclass(frozen=True)
class GovernanceRulebook:
    version: str
    effective_from: dt.datetime
    catalogue: Catalogue
    listing_terms: ListingTerms
    inspections: InspectionRules
    appeals: AppealRules
    ip_complaints: IpRules


def load_governance_rulebook(directory: Path | None = None) -> GovernanceRulebook:
    """The bundle in ``directory`` (default: the packaged one), loaded once per version of its files."""
    directory = (directory or DEFAULT_DIR).resolve()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yaml")))
    return _load(directory, stamp)


def load_catalogue_file(path: str | Path, version: str = "unversioned") -> Catalogue:
    """The catalogue section from its own file (``anxin rules check``, tests); every problem at once."""
    problems: list[str] = []
    spec = validated_file(Path(path), "catalogue", CatalogueSpec, problems)
    if problems:
        raise GovernanceRulebookError(problems)
    assert isinstance(spec, CatalogueSpec)
    return catalogue_rules(spec, version)


def check_section_file(path: str | Path, name: str) -> str:
    """One section file on its own (``anxin rules check``): its model, then what the section's loader checks on
    top (the catalogue's kinds, the term lists' matcher); every problem at once. A summary when it is valid."""
    problems: list[str] = []
    spec = validated_file(Path(path), name, MODELS[name], problems)
    if problems or spec is None:
        raise GovernanceRulebookError(problems)
    if isinstance(spec, CatalogueSpec):
        cat = catalogue_rules(spec, "unversioned")
        return (f"section catalogue of a governance bundle: {len(cat.kinds)} kinds, {len(cat.measures)} measures, "
                f"points expire after {cat.expiry_days} days")
    if isinstance(spec, ListingTermsSpec):
        terms = _section(problems, lambda: listing_terms_of(spec, version="unversioned"))
        if problems or terms is None:
            raise GovernanceRulebookError(problems)
    return f"section {name} of a governance bundle (its version: the bundle's rulebook.yaml; check that for all)"


@functools.lru_cache(maxsize=8)
def _load(directory: Path, stamp: tuple[tuple[str, int, int], ...]) -> GovernanceRulebook:
    problems: list[str] = []
    index = validated_file(directory / "rulebook.yaml", "rulebook", GovernanceIndexSpec, problems)
    catalogue = validated_file(directory / "catalogue.yaml", "catalogue", CatalogueSpec, problems)
    version = index.version if isinstance(index, GovernanceIndexSpec) else "unversioned"
    # The sections with loaders of their own: their problems join the bundle's, so all are reported at once.
    terms = _section(problems, lambda: load_listing_terms(directory / "listing_terms.yaml", version=version))
    inspections = _section(problems, lambda: load_inspection_rules(directory))
    appeals = _section(problems, lambda: load_appeal_book(directory))
    ip = _section(problems, lambda: load_ip_rules(directory))
    if problems:
        raise GovernanceRulebookError(problems)
    assert isinstance(index, GovernanceIndexSpec) and isinstance(catalogue, CatalogueSpec)
    assert terms is not None and inspections is not None and appeals is not None and ip is not None
    return GovernanceRulebook(version=index.version, effective_from=index.effective_from,
                              catalogue=catalogue_rules(catalogue, index.version), listing_terms=terms,
                              inspections=inspections, appeals=appeals.rules,
                              ip_complaints=ip)


def _section(problems: list[str], load: Callable[[], T]) -> T | None:
    try:
        return load()
    except RulebookProblems as exc:
        problems.extend(exc.problems)
        return None
