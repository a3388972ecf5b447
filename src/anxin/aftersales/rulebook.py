"""The guarantee rulebook: a versioned YAML file, validated completely when it loads.

A broken rulebook never reaches a consumer: ``load_rulebook`` raises ``RulebookError`` listing every
problem with its path (``guarantees[3].window.days: must be a positive integer``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from anxin.core.clock import parse_instant
from anxin.core.rules import Condition, FactSpec, RuleError, compile_condition

CASE_TYPES = ("refund_only", "return_refund", "exchange", "compensation")
REASONS = ("no_reason", "quality", "damaged", "spoiled", "allergy", "counterfeit", "not_received",
           "wrong_item", "not_as_described", "missing_parts", "changed_mind_unshipped", "other")
ROUTES = ("auto_approve", "merchant", "review")
ANCHORS = ("paid", "shipped", "signed")
BENEFITS = ("freight", "pickup")
LANGS = ("zh-CN", "en")

# Facts about the order alone: usable where the Hall shows coverage before anyone files anything.
ORDER_FACTS: dict[str, FactSpec] = {f.name: f for f in [
    FactSpec("item_tags", "str_set", "category tags of the item(s), ancestors included"),
    FactSpec("shop_services", "str_set", "services the shop opted into"),
    FactSpec("paid_fen", "int", "amount the consumer paid for the order, fen"),
    FactSpec("exemption_confirmed", "bool", "consumer confirmed at checkout that no-reason return is waived"),
    FactSpec("store_type", "str", "enterprise | individual | personal"),
]}
CLAIM_FACTS: dict[str, FactSpec] = {**ORDER_FACTS, **{f.name: f for f in [
    FactSpec("case_type", "str", "refund_only | return_refund | exchange | compensation"),
    FactSpec("reason", "str", "the consumer's stated reason"),
    FactSpec("amount_fen", "int", "amount claimed, fen"),
    FactSpec("refundable_fen", "int", "paid minus what is refunded or claimed already, fen"),
    FactSpec("shipped", "bool", "a tracking number was uploaded"),
    FactSpec("signed", "bool", "the parcel was signed for"),
    FactSpec("evidence_count", "int", "evidence images attached"),
    FactSpec("unsealed", "bool", "the consumer says the item was unsealed"),
    FactSpec("consumer_cases_30d", "int", "after-sale cases this consumer filed in the last 30 days"),
    FactSpec("consumer_credit", "str", "the consumer's credit band from the latest score run: trusted | normal | "
             "doubtful | unscored"),
    FactSpec("parcel_problem", "str", "what fulfilment monitoring found wrong with the parcel: lost, returned, "
             "refused, stalled, no_carrier_scan, or empty"),
]}}


class RulebookError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid rulebook:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Check:
    """A named condition with a stable reason code (an exemption that fires, or a requirement that must hold)."""

    id: str
    code: str
    when: Condition
    message: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    anchor: str
    hours: int = 0
    days: int = 0
    count_from_next_local_day: bool = False

    def bounds(self, anchor_at: dt.datetime, local_offset: dt.timedelta) -> tuple[dt.datetime, dt.datetime]:
        """[opens, closes): hour windows run from the anchor; day windows counted from the next local
        day close at local midnight after the last day (签收次日起7天)."""
        if self.count_from_next_local_day:
            local = (anchor_at + local_offset).date()
            last_midnight = dt.datetime.combine(local + dt.timedelta(days=1 + self.days), dt.time(), dt.UTC)
            return anchor_at, last_midnight - local_offset
        return anchor_at, anchor_at + dt.timedelta(hours=self.hours, days=self.days)


@dataclass(frozen=True)
class Guarantee:
    id: str
    service: str
    name: Mapping[str, str]
    summary: Mapping[str, str]
    window: Window
    covers: Condition | None = None
    exemptions: tuple[Check, ...] = ()
    requires: tuple[Check, ...] = ()
    case_types: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()  # "*" = any reason
    route: str | None = None
    merchant_response_hours: int | None = None
    compensation_multiplier: int = 0
    benefit: str | None = None

    def handles(self, case_type: str, reason: str) -> bool:
        return self.route is not None and case_type in self.case_types and (
            "*" in self.reasons or reason in self.reasons)


@dataclass(frozen=True)
class Deadlines:
    merchant_response_hours: int
    buyer_ship_return_days: int
    merchant_confirm_receipt_days: int
    escalation_window_hours: int
    arbitration_sla_hours: int


@dataclass(frozen=True)
class Rulebook:
    version: str
    effective_from: dt.datetime
    local_offset: dt.timedelta
    deadlines: Deadlines
    guarantees: tuple[Guarantee, ...]
    review_rules: tuple[Check, ...]
    max_evidence_images: int
    max_evidence_bytes: int
    freight_cap_fen: int
    pickup_free_weight_g: int
    source: str = "<memory>"

    def guarantee(self, guarantee_id: str) -> Guarantee | None:
        return next((g for g in self.guarantees if g.id == guarantee_id), None)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def need(self, raw: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...]) -> Any:
        if key not in raw:
            self.problems.append(f"{path}.{key}: required")
            return None
        value = raw[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            self.problems.append(f"{path}.{key}: must be {names}, got {value!r}")
            return None
        return value

    def positive_int(self, raw: Mapping[str, Any], key: str, path: str, *, default: int | None = None) -> int:
        if key not in raw and default is not None:
            return default
        value = self.need(raw, key, path, int)
        if value is not None and value <= 0:
            self.problems.append(f"{path}.{key}: must be a positive integer")
        return value or 0

    def condition(self, raw: object, path: str, facts: Mapping[str, FactSpec]) -> Condition | None:
        try:
            return compile_condition(raw, facts, path)
        except RuleError as exc:
            self.problems.append(str(exc))
            return None

    def text(self, raw: object, path: str, *, required: bool = True) -> dict[str, str]:
        if raw is None and not required:
            return {}
        if not isinstance(raw, Mapping) or not all(isinstance(raw.get(lang), str) for lang in LANGS):
            self.problems.append(f"{path}: needs text in {', '.join(LANGS)}")
            return {}
        return {lang: raw[lang] for lang in LANGS}


def load_rulebook(path: str | Path) -> Rulebook:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulebookError([f"{path}: cannot read ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        raise RulebookError([f"{path}: not valid YAML ({exc})"]) from None
    return parse_rulebook(raw, source=str(path))


def parse_rulebook(raw: object, *, source: str = "<memory>") -> Rulebook:
    c = _Collector()
    if not isinstance(raw, Mapping):
        raise RulebookError(["<root>: the rulebook must be a mapping"])
    if raw.get("rulebook") != "guarantees":
        c.problems.append("rulebook: must be 'guarantees'")
    version = c.need(raw, "version", "<root>", str)
    effective_from = dt.datetime.min.replace(tzinfo=dt.UTC)
    eff = c.need(raw, "effective_from", "<root>", str)
    if eff is not None:
        try:
            effective_from = parse_instant(eff)
        except ValueError as exc:
            c.problems.append(f"effective_from: {exc}")
    offset = c.need(raw, "local_utc_offset_hours", "<root>", int)
    dl = c.need(raw, "deadlines", "<root>", dict) or {}
    deadlines = Deadlines(*(c.positive_int(dl, k, "deadlines") for k in (
        "merchant_response_hours", "buyer_ship_return_days", "merchant_confirm_receipt_days",
        "escalation_window_hours", "arbitration_sla_hours")))
    limits = c.need(raw, "limits", "<root>", dict) or {}
    freight = c.need(raw, "freight", "<root>", dict) or {}
    review_rules = tuple(_check(c, r, f"review_rules[{i}]", CLAIM_FACTS)
                         for i, r in enumerate(raw.get("review_rules") or []))
    raw_guarantees = c.need(raw, "guarantees", "<root>", list) or []
    guarantees = tuple(_guarantee(c, g, f"guarantees[{i}]") for i, g in enumerate(raw_guarantees))
    ids = [g.id for g in guarantees] + [r.id for r in review_rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        c.problems.append(f"guarantees: duplicate ids {dupes}")
    max_images = c.positive_int(limits, "max_evidence_images", "limits")
    max_bytes = c.positive_int(limits, "max_evidence_bytes", "limits")
    freight_cap = c.positive_int(freight, "cap_fen", "freight")
    pickup_free = c.positive_int(freight, "pickup_free_weight_g", "freight")
    if c.problems:
        raise RulebookError(c.problems)
    return Rulebook(version=version, effective_from=effective_from, local_offset=dt.timedelta(hours=offset),
                    deadlines=deadlines, guarantees=guarantees, review_rules=review_rules,
                    max_evidence_images=max_images, max_evidence_bytes=max_bytes, freight_cap_fen=freight_cap,
                    pickup_free_weight_g=pickup_free, source=source)


def _strings(value: object) -> list[str]:
    """A YAML list of plain strings, or nothing (which the caller reports): lists of mappings are not names."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return []
    return value


def _check(c: _Collector, raw: object, path: str, facts: Mapping[str, FactSpec]) -> Check:
    if not isinstance(raw, Mapping):
        c.problems.append(f"{path}: must be a mapping with id, code and when")
        return Check("?", "?", compile_condition({"fact": "paid_fen", "op": "gte", "value": 0}, ORDER_FACTS))
    cond = c.condition(raw.get("when"), f"{path}.when", facts)
    return Check(c.need(raw, "id", path, str) or "?", c.need(raw, "code", path, str) or "?",
                 cond or compile_condition({"fact": "paid_fen", "op": "gte", "value": 0}, ORDER_FACTS),
                 c.text(raw.get("message"), f"{path}.message", required=False))


def _guarantee(c: _Collector, raw: object, path: str) -> Guarantee:
    if not isinstance(raw, Mapping):
        c.problems.append(f"{path}: must be a mapping")
        return Guarantee("?", "?", {}, {}, Window("paid", hours=1))
    gid = c.need(raw, "id", path, str) or "?"
    known = {"id", "service", "name", "summary", "covers", "exemptions", "window", "claims", "requires", "route",
             "merchant_response_hours", "compensation_multiplier", "benefit"}
    for key in sorted(set(raw) - known):
        c.problems.append(f"{path}.{key}: unknown key")
    win_raw = c.need(raw, "window", path, dict) or {}
    anchor = win_raw.get("anchor")
    if anchor not in ANCHORS:
        c.problems.append(f"{path}.window.anchor: must be one of {list(ANCHORS)}")
    hours, days = win_raw.get("hours", 0), win_raw.get("days", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (hours, days)) or hours + days <= 0:
        c.problems.append(f"{path}.window: needs a positive whole number of hours or days")
        hours, days = 1, 0
    count_from = win_raw.get("count_from", "anchor")
    if count_from not in ("anchor", "next_local_day") or (count_from == "next_local_day" and hours):
        c.problems.append(f"{path}.window.count_from: 'anchor', or 'next_local_day' with days only")
    window = Window(str(anchor), hours, days, count_from == "next_local_day")
    claims = raw.get("claims")
    route, benefit = raw.get("route"), raw.get("benefit")
    case_types: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()
    if benefit is not None:
        if benefit not in BENEFITS:
            c.problems.append(f"{path}.benefit: must be one of {list(BENEFITS)}")
        if claims is not None or route is not None:
            c.problems.append(f"{path}: a benefit takes no claims or route")
    else:
        if route not in ROUTES:
            c.problems.append(f"{path}.route: must be one of {list(ROUTES)}")
        if not isinstance(claims, Mapping):
            c.problems.append(f"{path}.claims: required (case_types and reasons)")
            claims = {}
        case_types = frozenset(_strings(claims.get("case_types")))
        reasons = frozenset(_strings(claims.get("reasons")))
        if not case_types or not case_types <= set(CASE_TYPES):
            c.problems.append(f"{path}.claims.case_types: a non-empty subset of {list(CASE_TYPES)}")
        if not reasons or not reasons <= {*REASONS, "*"}:
            c.problems.append(f"{path}.claims.reasons: a non-empty subset of {list(REASONS)} or ['*']")
    covers = c.condition(raw["covers"], f"{path}.covers", ORDER_FACTS) if "covers" in raw else None
    mrh = raw.get("merchant_response_hours")
    if mrh is not None and (not isinstance(mrh, int) or isinstance(mrh, bool) or mrh <= 0):
        c.problems.append(f"{path}.merchant_response_hours: must be a positive integer")
    mult = raw.get("compensation_multiplier", 0)
    if not isinstance(mult, int) or isinstance(mult, bool) or not 0 <= mult <= 10:
        c.problems.append(f"{path}.compensation_multiplier: an integer 0–10")
        mult = 0
    return Guarantee(
        id=gid, service=c.need(raw, "service", path, str) or "?",
        name=c.text(raw.get("name"), f"{path}.name"), summary=c.text(raw.get("summary"), f"{path}.summary"),
        window=window, covers=covers,
        exemptions=tuple(_check(c, e, f"{path}.exemptions[{i}]", ORDER_FACTS)
                         for i, e in enumerate(raw.get("exemptions") or [])),
        requires=tuple(_check(c, r, f"{path}.requires[{i}]", CLAIM_FACTS)
                       for i, r in enumerate(raw.get("requires") or [])),
        case_types=case_types, reasons=reasons, route=route, merchant_response_hours=mrh,
        compensation_multiplier=mult, benefit=benefit)


DEFAULT_RULEBOOK = Path(__file__).resolve().parent.parent / "rulebooks" / "guarantees.yaml"


@dataclass(frozen=True)
class RulebookSet:
    """All loaded versions; the one in force at a moment decides, past decisions replay under theirs."""

    books: tuple[Rulebook, ...]

    def in_force(self, at: dt.datetime) -> Rulebook:
        eligible = [b for b in self.books if b.effective_from <= at]
        if not eligible:
            return min(self.books, key=lambda b: b.effective_from)
        return max(eligible, key=lambda b: b.effective_from)

    def version(self, version: str) -> Rulebook:
        for book in self.books:
            if book.version == version:
                return book
        raise KeyError(version)


def load_rulebooks(paths: list[Path] | None = None) -> RulebookSet:
    books = [load_rulebook(p) for p in (paths or [DEFAULT_RULEBOOK])]
    versions = [b.version for b in books]
    if len(set(versions)) != len(versions):
        raise RulebookError([f"two rulebooks share a version: {versions}"])
    return RulebookSet(tuple(books))
