"""The fees section of the merchants rulebook: commission rates, the channel-fee floor, waivers and rebates. Pure.

Loaded from ``rulebooks/merchants/fees.yaml`` (and, for campaign waivers an operator adds, from the API's JSON) with
every problem reported with its path. The engine that applies these rules is ``anxin.merchants.fees``.

Two waivers **overlap** when they are of the same kind (waive | rebate), their windows ``[from, until)`` intersect,
and their scopes can cover the same order. Scopes are conjunctions over three dimensions (new-shop days, categories,
channels; none = every order) and "can cover the same order" is decided per scope *type*: the two must constrain
the same dimensions and intersect on each of them (new-shop windows always intersect; channels share a channel;
category matches share a category id or a tag, or one covers everything). Scopes over different dimensions are
different policies meant to stack (a new shop selling fresh produce through a product card has three reasons to be
waived; rebates of different scopes add up), so they are not overlaps. The check is literal: a match on
``apparel`` and one on its child ``women`` are not caught, because the taxonomy is not in the rulebook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from anxin.core.clock import BEIJING
from anxin.core.rulebook_loading import ProblemCollector, load_section_file
from anxin.merchants.categories import CategoryMatch, CategoryRef

CHANNELS = ("live", "short_video", "product_card", "other")
KINDS = ("waive", "rebate")
LANGS = ("zh-CN", "en")
REFUND_REVERSALS = ("proportional",)
DEFAULT_FEES_PATH = Path(__file__).resolve().parents[1] / "rulebooks" / "merchants" / "fees.yaml"
OPEN_END = dt.datetime.max.replace(tzinfo=dt.UTC)  # a waiver without ``until`` runs until the rulebook changes

WaiverKind = Literal["waive", "rebate"]


class FeeError(ValueError):
    """A fee computation or waiver refused; ``code`` is stable (``fees.*``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CommissionRate:
    id: str
    name: Mapping[str, str]
    rate_bp: int
    match: CategoryMatch = field(default_factory=CategoryMatch)  # empty: the default rate, covers everything


@dataclass(frozen=True)
class WaiverScope:
    """Which orders a waiver covers: all of the given conditions (none given = every order)."""

    new_shop_days: int | None = None  # paid on Beijing calendar day 1..N of the shop (day 1 = the opening day)
    match: CategoryMatch | None = None
    channels: frozenset[str] | None = None

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The scope type: which dimensions it constrains."""
        named = (("new_shop", self.new_shop_days), ("match", self.match), ("channels", self.channels))
        return tuple(name for name, value in named if value is not None)


@dataclass(frozen=True)
class Waiver:
    id: str
    name: Mapping[str, str]
    start: dt.datetime  # ``from`` in the YAML; included
    until: dt.datetime  # excluded
    kind: WaiverKind
    scope: WaiverScope
    rebate_bp: int = 0  # percentage points × 100 taken off the commission rate (rebates only)

    def in_force(self, at: dt.datetime) -> bool:
        return self.start <= at < self.until

    def covers(self, *, paid_at: dt.datetime, shop_opened_at: dt.datetime | None, channel: str,
               category: CategoryRef) -> bool:
        """In force at ``paid_at`` and every condition of the scope holds (a shop whose opening is not known is
        not new)."""
        if not self.in_force(paid_at):
            return False
        s = self.scope
        if s.new_shop_days is not None and (shop_opened_at is None or
                                            not 1 <= shop_day(shop_opened_at, paid_at) <= s.new_shop_days):
            return False
        if s.channels is not None and channel not in s.channels:
            return False
        return s.match is None or s.match.covers(category)


@dataclass(frozen=True)
class FeeRules:
    default_commission: CommissionRate
    commission: tuple[CommissionRate, ...]
    channel_fee_bp: int
    waivers: tuple[Waiver, ...]
    refund_reversal: str = "proportional"

    def commission_for(self, category: CategoryRef) -> tuple[CommissionRate, tuple[str, ...]]:
        """The most specific matching rate (``CategoryMatch.depth``), else the default; plus the ids of entries
        that tie with it. Ties the rulebook can show (a shared id or tag) are load problems; one only the taxonomy
        reveals (a category carrying two rated tags) goes to the entry listed first, and the tie is reported."""
        best: list[tuple[int, CommissionRate]] = []
        for entry in self.commission:
            depth = entry.match.depth(category)
            if depth is None:
                continue
            if not best or depth < best[0][0]:
                best = [(depth, entry)]
            elif depth == best[0][0]:
                best.append((depth, entry))
        if not best:
            return self.default_commission, ()
        return best[0][1], tuple(e.id for _, e in best[1:])




def shop_day(opened_at: dt.datetime, at: dt.datetime) -> int:
    """The shop's Beijing calendar day at ``at``: 1 on the opening day, 2 the next, ≤ 0 before it opened."""
    return (at.astimezone(BEIJING).date() - opened_at.astimezone(BEIJING).date()).days + 1


# --- loading -------------------------------------------------------------------------------------------------

def load_fees(raw: Mapping[str, Any], problems: ProblemCollector) -> FeeRules:
    """Validate the parsed ``fees.yaml``; every problem goes to ``problems`` with its path (``fees.…``)."""
    problems.unknown(raw, "fees", ("kind", "commission", "channel_fee_bp", "waivers", "refund_reversal"))
    default, rates = _commission(raw.get("commission"), problems)
    floor = problems.integer(raw, "channel_fee_bp", "fees", low=0, high=10_000)
    reversal = problems.choice(raw, "refund_reversal", "fees", REFUND_REVERSALS)
    waivers: list[Waiver] = []
    raw_waivers = raw.get("waivers", [])
    if not isinstance(raw_waivers, list):
        problems.add("fees.waivers: must be a list")
        raw_waivers = []
    for i, item in enumerate(raw_waivers):
        path = f"fees.waivers[{i}]"
        waiver = parse_waiver(item, problems, path)
        if waiver is None:
            continue
        issues = _waiver_issues(waiver, waivers)
        for _code, key, message in issues:
            problems.add(f"{path}.{key}: {message}" if key else f"{path}: {message}")
        if not any(code == "fees.invalid_window" for code, _, _ in issues):
            waivers.append(waiver)
    return FeeRules(default, rates, floor, tuple(waivers), reversal)


def load_fees_file(path: str | Path = DEFAULT_FEES_PATH) -> FeeRules:
    """This section from its own YAML file; ``ValueError`` lists every problem."""
    return load_section_file(path, "fees", load_fees)


def waiver_from_dict(raw: Any) -> tuple[Waiver | None, list[tuple[str, str]]]:
    """A waiver from the API's JSON (the YAML's shape, instants as ISO strings). Problems of shape come back as
    ``("fees.invalid_waiver", "waiver.<field>: …")``; check the window and overlaps with ``waiver_problems``."""
    problems = ProblemCollector()
    waiver = parse_waiver(raw, problems, "waiver")
    return (None if problems.problems else waiver), [("fees.invalid_waiver", p) for p in problems.problems]


def waiver_problems(candidate: Waiver, existing: tuple[Waiver, ...] | list[Waiver]) -> list[tuple[str, str]]:
    """(stable code, message) for a waiver about to join ``existing``: ``fees.invalid_window`` (until not after
    from), ``fees.duplicate_waiver_id``, ``fees.waiver_overlap`` (see the module docstring for "overlap")."""
    return [(code, f"{key}: {message}" if key else message)
            for code, key, message in _waiver_issues(candidate, existing)]


def _waiver_issues(w: Waiver, existing: tuple[Waiver, ...] | list[Waiver]) -> list[tuple[str, str, str]]:
    issues: list[tuple[str, str, str]] = []
    if w.until <= w.start:
        issues.append(("fees.invalid_window", "until", f"must be after from ({_iso(w.start)}), got {_iso(w.until)}"))
        return issues  # an empty window overlaps nothing
    for other in existing:
        if other.id == w.id:
            issues.append(("fees.duplicate_waiver_id", "id", f"duplicate waiver id {w.id!r}"))
        elif other.kind == w.kind and other.start < w.until and w.start < other.until and \
                (shared := scope_overlap(w.scope, other.scope)) is not None:
            start, end = max(w.start, other.start), min(w.until, other.until)
            issues.append(("fees.waiver_overlap", "", f"overlaps {w.kind} {other.id!r} from {_iso(start)} to "
                                                      f"{_iso(end)} on the same orders ({shared})"))
    return issues


def scope_overlap(a: WaiverScope, b: WaiverScope) -> str | None:
    """What two scopes of the same type share (for the message), or None if they cannot cover the same order."""
    if a.dimensions != b.dimensions:
        return None
    shared: list[str] = []
    if a.new_shop_days is not None and b.new_shop_days is not None:
        shared.append(f"new shops, {min(a.new_shop_days, b.new_shop_days)} days")
    if a.channels is not None and b.channels is not None:
        if not a.channels & b.channels:
            return None
        shared.append("channels " + ", ".join(sorted(a.channels & b.channels)))
    if a.match is not None and b.match is not None:
        if a.match.everything or b.match.everything:
            shared.append("every category")
        elif common := sorted(a.match.categories & b.match.categories) + \
                [f"tag {t}" for t in sorted(a.match.tags & b.match.tags)]:
            shared.append("categories " + ", ".join(common))
        else:
            return None
    return "; ".join(shared) or "every order"


def parse_waiver(raw: Any, problems: ProblemCollector, path: str) -> Waiver | None:
    """One waiver's shape (not its window or overlaps); None when it cannot be built."""
    if not isinstance(raw, Mapping):
        problems.add(f"{path}: must be a mapping")
        return None
    before = len(problems.problems)
    problems.unknown(raw, path, ("id", "name", "from", "until", "kind", "rebate_bp", "scope"))
    waiver_id = problems.text(raw, "id", path)
    name = _name(raw, path, problems)
    start = problems.instant(raw, "from", path)
    until = problems.instant(raw, "until", path) if raw.get("until") is not None else OPEN_END
    kind = problems.choice(raw, "kind", path, KINDS)
    rebate_bp = 0
    if kind == "rebate":
        rebate_bp = problems.integer(raw, "rebate_bp", path, low=1, high=10_000)
    elif "rebate_bp" in raw:
        problems.add(f"{path}.rebate_bp: only a rebate takes rebate_bp")
    scope = _scope(raw.get("scope"), f"{path}.scope", problems)
    if len(problems.problems) > before or start is None or until is None:
        return None
    return Waiver(waiver_id, name, start, until, "rebate" if kind == "rebate" else "waive", scope, rebate_bp)


def _scope(raw: Any, path: str, problems: ProblemCollector) -> WaiverScope:
    if not isinstance(raw, Mapping):
        problems.add(f"{path}: required, a mapping ({{}} for every order)")
        return WaiverScope()
    problems.unknown(raw, path, ("new_shop_days", "match", "channels"))
    days = problems.integer(raw, "new_shop_days", path, low=1, high=3650) if "new_shop_days" in raw else None
    match = _match(raw["match"], f"{path}.match", problems, allow_everything=False) if "match" in raw else None
    channels = None
    if "channels" in raw:
        value = raw["channels"]
        if not isinstance(value, list) or not value or any(c not in CHANNELS for c in value):
            problems.add(f"{path}.channels: must be a non-empty list of {list(CHANNELS)}, got {value!r}")
        else:
            channels = frozenset(value)
    return WaiverScope(days, match, channels)


def _match(raw: Any, path: str, problems: ProblemCollector, *, allow_everything: bool) -> CategoryMatch:
    if not isinstance(raw, Mapping):
        problems.add(f"{path}: must be a mapping with categories and/or tags")
        return CategoryMatch()
    problems.unknown(raw, path, ("categories", "tags"))
    found: dict[str, frozenset[str]] = {}
    for key in ("categories", "tags"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problems.add(f"{path}.{key}: must be a list of non-empty strings")
            value = []
        found[key] = frozenset(value)
    match = CategoryMatch(found["categories"], found["tags"])
    if match.everything and not allow_everything:
        problems.add(f"{path}: needs categories or tags (leave match out to cover every category)")
    return match


def _name(raw: Mapping[str, Any], path: str, problems: ProblemCollector) -> Mapping[str, str]:
    value = raw.get("name")
    if not isinstance(value, Mapping) or set(value) != set(LANGS) or \
            not all(isinstance(v, str) and v for v in value.values()):
        problems.add(f"{path}.name: needs non-empty zh-CN and en texts (and nothing else), got {value!r}")
        return {lang: "" for lang in LANGS}
    return dict(value)


def _commission(raw: Any, problems: ProblemCollector) -> tuple[CommissionRate, tuple[CommissionRate, ...]]:
    fallback = CommissionRate("commission.default", {lang: "" for lang in LANGS}, 0)
    if not isinstance(raw, Mapping):
        problems.add("fees.commission: required, a mapping with default and rates")
        return fallback, ()
    problems.unknown(raw, "fees.commission", ("default", "rates"))
    default = _rate(raw.get("default"), "fees.commission.default", problems, default=True) or fallback
    rates: list[CommissionRate] = []
    raw_rates = raw.get("rates", [])
    if not isinstance(raw_rates, list):
        problems.add("fees.commission.rates: must be a list")
        raw_rates = []
    ids = {default.id}
    for i, item in enumerate(raw_rates):
        path = f"fees.commission.rates[{i}]"
        rate = _rate(item, path, problems, default=False)
        if rate is None:
            continue
        if rate.id in ids:
            problems.add(f"{path}.id: duplicate commission id {rate.id!r}")
        ids.add(rate.id)
        for other in rates:  # both would match at the same depth: the rulebook cannot say which wins
            shared = sorted(rate.match.categories & other.match.categories) + \
                [f"tag {t}" for t in sorted(rate.match.tags & other.match.tags)]
            if shared:
                problems.add(f"{path}.match: ties with {other.id!r} on {', '.join(shared)}")
        rates.append(rate)
    return default, tuple(rates)


def _rate(raw: Any, path: str, problems: ProblemCollector, *, default: bool) -> CommissionRate | None:
    if not isinstance(raw, Mapping):
        problems.add(f"{path}: required, a mapping")
        return None
    problems.unknown(raw, path, ("id", "name", "rate_bp") if default else ("id", "name", "rate_bp", "match"))
    rate_id = problems.text(raw, "id", path)
    name = _name(raw, path, problems)
    rate_bp = problems.integer(raw, "rate_bp", path, low=0, high=10_000)
    if default:
        return CommissionRate(rate_id, name, rate_bp)
    match = _match(raw.get("match"), f"{path}.match", problems, allow_everything=False)
    return CommissionRate(rate_id, name, rate_bp, match)


def _iso(at: dt.datetime) -> str:
    return "open end" if at == OPEN_END else at.astimezone(BEIJING).isoformat()
