"""The score rulebook: windows, lags, weights, scale, eligibility, peers, excellence floors, deductions.

Validated completely when it loads (every problem listed with its path): dimension weights must be
positive and, with every industry override, sum to 100; indicator weights inside a dimension too; an
indicator names a known measure for its subject with the parameters that measure takes. Pure: yaml and
``anxin.core`` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from anxin.core.rulebook_loading import ProblemCollector
from anxin.core.rulebook_models import RulebookProblems

RULEBOOKS = Path(__file__).resolve().parent.parent / "rulebooks"
DEFAULT_SCORE_RULEBOOK = RULEBOOKS / "scores.yaml"
Better = Literal["lower", "higher"]
Subject = Literal["merchant", "creator"]


@dataclass(frozen=True)
class Measure:
    """What an indicator can measure: which subjects, which way is better, its unit and its parameters."""

    name: str
    subjects: frozenset[str]
    better: Better
    unit: Literal["rate", "hours", "points"]
    params: frozenset[str] = frozenset()


MEASURES = {m.name: m for m in (
    Measure("negative_review_rate", frozenset({"merchant", "creator"}), "lower", "rate", frozenset({"max_rating"})),
    Measure("quality_return_rate", frozenset({"merchant", "creator"}), "lower", "rate", frozenset({"reasons"})),
    Measure("collection_timeliness", frozenset({"merchant"}), "higher", "rate", frozenset({"bands"})),
    Measure("delivery_hours", frozenset({"merchant"}), "lower", "hours"),
    Measure("complaint_rate", frozenset({"merchant", "creator"}), "lower", "rate"),
    Measure("dispute_rate", frozenset({"merchant"}), "lower", "rate"),
    Measure("aftersales_hours", frozenset({"merchant"}), "lower", "hours"),
    Measure("im_reply_rate", frozenset({"merchant"}), "higher", "rate",
            frozenset({"reply_seconds", "open_from_minute", "open_to_minute"})),
    Measure("content_negative_rate", frozenset({"creator"}), "lower", "rate"),
    Measure("shop_experience", frozenset({"creator"}), "higher", "points"),
    Measure("aftersales_rate", frozenset({"creator"}), "lower", "rate"),
)}
CONSUMER_FACTS = ("signed_orders", "account_age_30d", "refund_pct_over_25", "disputes_lost", "abuse_verdicts",
                  "rejected_claims")
OPS = ("gte", "lte")


class ScoreRulebookError(RulebookProblems):
    title = "invalid score rulebook"


@dataclass(frozen=True)
class Dimension:
    id: str
    weight: int
    name: Mapping[str, str]


@dataclass(frozen=True)
class Indicator:
    id: str
    measure: Measure
    dimension: str
    weight: int
    lag_days: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def better(self) -> Better:
        return self.measure.better


@dataclass(frozen=True)
class Condition:
    indicator: str
    op: str
    value: float

    def met(self, value: float | None) -> bool:
        if value is None:
            return False
        return value >= self.value if self.op == "gte" else value <= self.value


@dataclass(frozen=True)
class Excellence:
    dimension: str
    floor_x100: int
    when: tuple[Condition, ...]


@dataclass(frozen=True)
class SubjectRules:
    """One percentile-scored subject (merchants or creators)."""

    subject: Subject
    name: Mapping[str, str]
    min_x100: int
    max_x100: int
    window_days: int
    min_valid_orders: int
    min_peer_shops: int
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    excellence: tuple[Excellence, ...] = ()
    industry_weights: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    deduction_floor_x100: int = 0
    deduction_kinds: frozenset[str] = frozenset()

    def weights_for(self, category_id: str | None) -> dict[str, int]:
        base = {d.id: d.weight for d in self.dimensions}
        return {**base, **self.industry_weights.get(category_id or "", {})}

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)

    def points_x100(self, pct_num: int, pct_den: int) -> int:
        """Percentile -> points on the scale; integer floor, so every engine gives the same number."""
        return self.min_x100 + (self.max_x100 - self.min_x100) * pct_num // pct_den


@dataclass(frozen=True)
class CreditComponent:
    id: str
    fact: str
    per_unit: int
    min: int
    max: int

    def points(self, units: int) -> int:
        return max(self.min, min(self.max, self.per_unit * units))


@dataclass(frozen=True)
class ConsumerRules:
    name: Mapping[str, str]
    window_days: int
    base: int
    min: int
    max: int
    components: tuple[CreditComponent, ...]
    trusted: int
    doubtful: int

    def band(self, score: int) -> str:
        return "trusted" if score >= self.trusted else "doubtful" if score < self.doubtful else "normal"


@dataclass(frozen=True)
class ScoreRulebook:
    version: str
    effective_from: dt.datetime
    utc_offset_hours: int
    merchant: SubjectRules
    creator: SubjectRules | None
    consumer: ConsumerRules | None
    top_quartile_x100: int
    source: str = "<memory>"

    @property
    def utc_offset(self) -> dt.timedelta:
        return dt.timedelta(hours=self.utc_offset_hours)

    def day_end(self, as_of: dt.date) -> int:
        """Epoch seconds of local midnight starting ``as_of``: a score as of D covers days before D."""
        start = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.timezone(self.utc_offset))
        return int(start.timestamp())


def load_score_rulebook(path: str | Path = DEFAULT_SCORE_RULEBOOK) -> ScoreRulebook:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScoreRulebookError([f"{path}: {exc}"]) from exc
    return parse_score_rulebook(raw, source=str(path))


def parse_score_rulebook(raw: object, *, source: str = "<memory>") -> ScoreRulebook:
    c = ProblemCollector()
    if not isinstance(raw, Mapping):
        raise ScoreRulebookError(["the rulebook must be a mapping"])
    c.unknown(raw, "<top>", ("kind", "version", "effective_from", "local_utc_offset_hours", "merchant",
                             "creator", "consumer"))
    if raw.get("kind") != "scores":
        c.add(f"kind: must be 'scores', got {raw.get('kind')!r}")
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        c.add("version: required, a string such as \"2026.11.1\"")
    effective = c.instant(raw, "effective_from", "<top>")
    offset = c.integer(raw, "local_utc_offset_hours", "<top>", low=-12, high=14)
    merchant_raw = raw.get("merchant")
    top_q = 8750
    if not isinstance(merchant_raw, Mapping):
        c.add("merchant: required, a mapping")
        merchant = None
    else:
        merchant = _subject(c, merchant_raw, "merchant", "merchant")
        sugg = merchant_raw.get("suggestions", {})
        if isinstance(sugg, Mapping) and "top_quartile_points" in sugg:
            top_q = round(c.number(sugg, "top_quartile_points", "merchant.suggestions") * 100)
    creator = _subject(c, raw["creator"], "creator", "creator") if isinstance(raw.get("creator"), Mapping) else None
    consumer = _consumer(c, raw["consumer"]) if isinstance(raw.get("consumer"), Mapping) else None
    if c.problems or merchant is None or effective is None:
        raise ScoreRulebookError(c.problems or ["merchant: required"])
    return ScoreRulebook(str(version), effective, offset, merchant, creator, consumer, top_q, source)


def _mapping(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, Mapping) else {}


def _scale(c: ProblemCollector, raw: Mapping[str, Any], path: str) -> tuple[int, int]:
    scale = raw.get("scale")
    if not isinstance(scale, Mapping):
        c.add(f"{path}.scale: required, {{min, max}}")
        return 0, 100
    lo, hi = c.number(scale, "min", f"{path}.scale"), c.number(scale, "max", f"{path}.scale")
    if hi <= lo:
        c.add(f"{path}.scale: max must be above min, got {lo}..{hi}")
    return round(lo * 100), round(hi * 100)


def _subject(c: ProblemCollector, raw: Mapping[str, Any], path: str, subject: Subject) -> SubjectRules:
    c.unknown(raw, path, ("name", "scale", "window_days", "eligibility", "peers", "dimensions", "indicators",
                          "excellence", "industries", "deductions", "suggestions"))
    lo, hi = _scale(c, raw, path)
    window = c.integer(raw, "window_days", path, low=1, high=400)
    elig = _mapping(raw, "eligibility")
    min_orders = c.integer(elig, "min_valid_orders", f"{path}.eligibility", low=1)
    peers = _mapping(raw, "peers") if "peers" in raw else {"min_shops": 1}
    min_peers = c.integer(peers, "min_shops", f"{path}.peers", low=1)
    dims = _dimensions(c, raw.get("dimensions"), path)
    dim_ids = {d.id for d in dims}
    indicators = _indicators(c, raw.get("indicators"), path, subject, dim_ids)
    for d in dim_ids:
        total = sum(i.weight for i in indicators if i.dimension == d)
        if indicators and total != 100:
            c.add(f"{path}.indicators: weights of dimension {d!r} must add up to 100, got {total}")
    industries: dict[str, dict[str, int]] = {}
    for cat, spec in (raw.get("industries") or {}).items():
        p = f"{path}.industries.{cat}"
        weights = spec.get("weights") if isinstance(spec, Mapping) else None
        if not isinstance(weights, Mapping) or set(weights) != dim_ids:
            c.add(f"{p}.weights: must give a weight for each dimension {sorted(dim_ids)}")
            continue
        industries[str(cat)] = {d: c.integer(weights, d, f"{p}.weights", low=0, high=100) for d in weights}
        if sum(industries[str(cat)].values()) != 100:
            c.add(f"{p}.weights: must add up to 100, got {sum(industries[str(cat)].values())}")
    excellence = _excellence(c, raw.get("excellence") or [], path, dim_ids, {i.id: i.dimension for i in indicators},
                             lo, hi)
    ded = _mapping(raw, "deductions")
    floor = round(c.number(ded, "floor", f"{path}.deductions") * 100) if "floor" in ded else lo
    kinds = frozenset(str(k) for k in ded.get("kinds", []))
    return SubjectRules(subject, raw.get("name") or {}, lo, hi, window, min_orders, min_peers, dims,
                        indicators, excellence, industries, floor, kinds)


def _dimensions(c: ProblemCollector, raw: object, path: str) -> tuple[Dimension, ...]:
    if not isinstance(raw, list) or not raw:
        c.add(f"{path}.dimensions: required, a non-empty list")
        return ()
    dims = []
    for n, d in enumerate(raw):
        p = f"{path}.dimensions[{n}]"
        if not isinstance(d, Mapping):
            c.add(f"{p}: must be a mapping")
            continue
        dims.append(Dimension(c.text(d, "id", p), c.integer(d, "weight", p, low=0, high=100), d.get("name") or {}))
    if len({d.id for d in dims}) != len(dims):
        c.add(f"{path}.dimensions: ids must be unique")
    if sum(d.weight for d in dims) != 100:
        c.add(f"{path}.dimensions: weights must add up to 100, got {sum(d.weight for d in dims)}")
    return tuple(dims)


def _indicators(c: ProblemCollector, raw: object, path: str, subject: Subject,
                dim_ids: set[str]) -> tuple[Indicator, ...]:
    if not isinstance(raw, list) or not raw:
        c.add(f"{path}.indicators: required, a non-empty list")
        return ()
    out: list[Indicator] = []
    for n, r in enumerate(raw):
        p = f"{path}.indicators[{n}]"
        if not isinstance(r, Mapping):
            c.add(f"{p}: must be a mapping")
            continue
        c.unknown(r, p, ("id", "measure", "dimension", "weight", "lag_days", "params"))
        iid = c.text(r, "id", p)
        measure = MEASURES.get(str(r.get("measure")))
        if measure is None or subject not in measure.subjects:
            known = sorted(m.name for m in MEASURES.values() if subject in m.subjects)
            c.add(f"{p}.measure: must be one of {known}, got {r.get('measure')!r}")
            continue
        dim = str(r.get("dimension"))
        if dim not in dim_ids:
            c.add(f"{p}.dimension: must be one of {sorted(dim_ids)}, got {dim!r}")
        params = r.get("params") or {}
        if not isinstance(params, Mapping):
            c.add(f"{p}.params: must be a mapping")
            params = {}
        c.unknown(params, f"{p}.params", measure.params)
        _check_params(c, measure, params, f"{p}.params")
        lag = c.integer(r, "lag_days", p, low=0, high=365) if "lag_days" in r else 0
        out.append(Indicator(iid, measure, dim, c.integer(r, "weight", p, low=1, high=100), lag, dict(params)))
    if len({i.id for i in out}) != len(out):
        c.add(f"{path}.indicators: ids must be unique")
    return tuple(out)


def _check_params(c: ProblemCollector, m: Measure, params: Mapping[str, Any], path: str) -> None:
    for key in sorted(m.params - set(params)):
        if not (m.name == "negative_review_rate" and key == "max_rating"):
            c.add(f"{path}.{key}: required")
    if "max_rating" in params:
        c.integer(params, "max_rating", path, low=1, high=4)
    if "reasons" in params:
        reasons = params["reasons"]
        if not isinstance(reasons, list) or not reasons or not all(isinstance(x, str) and x for x in reasons):
            c.add(f"{path}.reasons: must be a non-empty list of reason codes")
    if "bands" in params:
        bands = params["bands"]
        if not isinstance(bands, list) or not bands or not all(isinstance(b, Mapping) for b in bands):
            c.add(f"{path}.bands: must be a non-empty list of {{hours, weight}}")
        else:
            for k, b in enumerate(bands):
                c.integer(b, "hours", f"{path}.bands[{k}]", low=1, high=720)
                c.integer(b, "weight", f"{path}.bands[{k}]", low=1, high=100)
    for key in ("reply_seconds", "open_from_minute", "open_to_minute"):
        if key in params:
            c.integer(params, key, path, low=0 if key != "reply_seconds" else 1, high=1439 if "minute" in key else None)


def _excellence(c: ProblemCollector, raw: object, path: str, dim_ids: set[str], ind_dims: dict[str, str],
                lo: int, hi: int) -> tuple[Excellence, ...]:
    out = []
    for n, e in enumerate(raw if isinstance(raw, list) else []):
        p = f"{path}.excellence[{n}]"
        if not isinstance(e, Mapping):
            c.add(f"{p}: must be a mapping")
            continue
        dim = str(e.get("dimension"))
        if dim not in dim_ids:
            c.add(f"{p}.dimension: must be one of {sorted(dim_ids)}, got {dim!r}")
        floor = round(c.number(e, "floor", p) * 100)
        if not lo <= floor <= hi:
            c.add(f"{p}.floor: must be within the scale, got {floor / 100}")
        conds = []
        for k, w in enumerate(e.get("when") or []):
            q = f"{p}.when[{k}]"
            if not isinstance(w, Mapping) or w.get("indicator") not in ind_dims:
                c.add(f"{q}.indicator: must be one of the indicators {sorted(ind_dims)}")
                continue
            if ind_dims[str(w["indicator"])] != dim:
                # The floor is decided among the dimension's own indicators; another's would never be seen.
                c.add(f"{q}.indicator: {w['indicator']} belongs to dimension {ind_dims[str(w['indicator'])]!r}, "
                      f"not {dim!r}")
                continue
            conds.append(Condition(str(w["indicator"]), c.choice(w, "op", q, OPS), c.number(w, "value", q)))
        if not conds:
            c.add(f"{p}.when: needs at least one condition")
        out.append(Excellence(dim, floor, tuple(conds)))
    return tuple(out)


def _consumer(c: ProblemCollector, raw: Mapping[str, Any]) -> ConsumerRules:
    p = "consumer"
    c.unknown(raw, p, ("name", "window_days", "base", "scale", "components", "bands"))
    lo, hi = _scale(c, raw, p)
    comps = []
    for n, r in enumerate(raw.get("components") or []):
        q = f"{p}.components[{n}]"
        if not isinstance(r, Mapping):
            c.add(f"{q}: must be a mapping")
            continue
        comps.append(CreditComponent(c.text(r, "id", q), c.choice(r, "fact", q, CONSUMER_FACTS),
                                     c.integer(r, "per_unit", q, low=-10_000, high=10_000),
                                     c.integer(r, "min", q, low=-10_000, high=10_000),
                                     c.integer(r, "max", q, low=-10_000, high=10_000)))
        if comps[-1].min > comps[-1].max:
            c.add(f"{q}: min must not be above max")
    bands = _mapping(raw, "bands")
    trusted, doubtful = c.integer(bands, "trusted", f"{p}.bands", low=0), c.integer(bands, "doubtful", f"{p}.bands",
                                                                                   low=0)
    if doubtful > trusted:
        c.add(f"{p}.bands: doubtful must not be above trusted")
    return ConsumerRules(raw.get("name") or {}, c.integer(raw, "window_days", p, low=1, high=3650),
                         c.integer(raw, "base", p, low=0), lo // 100, hi // 100, tuple(comps), trusted, doubtful)
