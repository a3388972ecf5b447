"""The fees section's model (``rulebooks/merchants/fees.yaml``, ``kind: merchants.fees``) and the waiver checks the
YAML and operators' campaigns share: windows, duplicate ids and overlaps (see ``anxin.merchants.fee_rules`` for what
"overlap" means). Rates in basis points. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Annotated, Literal, Protocol

from pydantic import Field, field_validator, model_validator

from anxin.core.clock import BEIJING
from anxin.core.rulebook_models import Between, Instant, NonEmpty, RulebookModel, Text, problem
from anxin.merchants.rulebook_models import Loc, MatchSpec, duplicates, refuse

Channel = Literal["live", "short_video", "product_card", "other"]
WaiverKind = Literal["waive", "rebate"]
OPEN_END = dt.datetime.max.replace(tzinfo=dt.UTC)  # a waiver without ``until`` runs until the rulebook changes
Bp = Annotated[int, Between(0, 10_000)]


def _names_something(match: MatchSpec | None) -> MatchSpec | None:
    if match is not None and match.everything:
        raise problem("needs categories or tags (leave match out to cover every category)")
    return match


class DefaultRateSpec(RulebookModel):
    id: NonEmpty
    name: Text
    rate_bp: Bp


class RateSpec(DefaultRateSpec):
    match: MatchSpec

    _match = field_validator("match")(_names_something)


class CommissionSpec(RulebookModel):
    default: DefaultRateSpec
    rates: list[RateSpec] = Field(default_factory=list)  # the most specific match wins

    @field_validator("rates")
    @classmethod
    def _no_ties(cls, rates: list[RateSpec]) -> list[RateSpec]:
        found = duplicates([r.id for r in rates], "commission id")
        for n, rate in enumerate(rates):
            for other in rates[:n]:  # both would match at the same depth: the rulebook cannot say which wins
                shared = sorted(set(rate.match.categories) & set(other.match.categories)) + \
                    [f"tag {t}" for t in sorted(set(rate.match.tags) & set(other.match.tags))]
                if shared:
                    found.append(((n, "match"), f"ties with {other.id!r} on {', '.join(shared)}"))
        refuse(found)
        return rates

    @model_validator(mode="after")
    def _default_id_is_its_own(self) -> CommissionSpec:
        refuse(((("rates", n, "id"), f"duplicate commission id {r.id!r}") for n, r in enumerate(self.rates)
                if r.id == self.default.id))
        return self


class ScopeSpec(RulebookModel):
    """Which orders a waiver covers: all of the conditions given ({} = every order)."""

    new_shop_days: Annotated[int, Between(1, 3650)] | None = None
    match: MatchSpec | None = None
    channels: Annotated[list[Channel], Field(min_length=1)] | None = None

    _match = field_validator("match")(_names_something)


class WaiverSpec(RulebookModel):
    """One waiver or rebate, as the YAML and an operator's campaign write it; its window and overlaps are checked
    against the others (``waiver_issues``)."""

    id: NonEmpty
    name: Text
    from_: Instant = Field(alias="from")
    until: Instant | None = None  # excluded; left out: until the rulebook changes
    kind: WaiverKind
    rebate_bp: Annotated[int, Between(1, 10_000)] | None = None  # points off the commission rate, rebates only
    scope: ScopeSpec

    @model_validator(mode="after")
    def _rebate_bp_for_rebates(self) -> WaiverSpec:
        if self.kind == "rebate" and self.rebate_bp is None:
            raise problem("required for a rebate", ".rebate_bp")
        if self.kind == "waive" and self.rebate_bp is not None:
            raise problem("only a rebate takes rebate_bp", ".rebate_bp")
        return self

    @property
    def span(self) -> tuple[dt.datetime, dt.datetime]:
        return self.from_, self.until or OPEN_END


class FeesSpec(RulebookModel):
    """The fees section file (``kind: merchants.fees``)."""

    kind: Literal["merchants.fees"]
    commission: CommissionSpec
    channel_fee_bp: Bp  # the payment-channel floor the merchant always pays
    refund_reversal: Literal["proportional"]
    waivers: list[WaiverSpec] = Field(default_factory=list)

    @field_validator("waivers")
    @classmethod
    def _windows_and_overlaps(cls, waivers: list[WaiverSpec]) -> list[WaiverSpec]:
        found: list[tuple[Loc, str]] = []
        kept: list[WaiverSpec] = []
        for n, waiver in enumerate(waivers):
            issues = waiver_issues(waiver, kept)
            found += [((n, key) if key else (n,), message) for _code, key, message in issues]
            if not any(code == "fees.invalid_window" for code, _, _ in issues):
                kept.append(waiver)
        refuse(found)
        return waivers


# --- the checks the YAML's waivers and operators' campaigns share ---------------------------------------------

class _Match(Protocol):
    @property
    def categories(self) -> Collection[str]: ...
    @property
    def tags(self) -> Collection[str]: ...


class Scope(Protocol):
    @property
    def new_shop_days(self) -> int | None: ...
    @property
    def match(self) -> _Match | None: ...
    @property
    def channels(self) -> Collection[str] | None: ...


class WaiverLike(Protocol):
    """A waiver as the YAML's model or the domain's ``Waiver`` holds it."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def scope(self) -> Scope: ...
    @property
    def span(self) -> tuple[dt.datetime, dt.datetime]: ...


def waiver_issues(w: WaiverLike, existing: Sequence[WaiverLike]) -> list[tuple[str, str, str]]:
    """(stable code, key or "", message) for a waiver about to join ``existing``."""
    start, until = w.span
    if until <= start:
        return [("fees.invalid_window", "until", f"must be after from ({_iso(start)}), got {_iso(until)}")]
    issues: list[tuple[str, str, str]] = []  # an empty window overlaps nothing, so it returned above
    for other in existing:
        other_start, other_until = other.span
        if other.id == w.id:
            issues.append(("fees.duplicate_waiver_id", "id", f"duplicate waiver id {w.id!r}"))
        elif other.kind == w.kind and other_start < until and start < other_until and \
                (shared := scope_overlap(w.scope, other.scope)) is not None:
            issues.append(("fees.waiver_overlap", "", f"overlaps {w.kind} {other.id!r} from "
                                                      f"{_iso(max(start, other_start))} to "
                                                      f"{_iso(min(until, other_until))} on the same orders ({shared})"))
    return issues


def _dimensions(s: Scope) -> tuple[bool, bool, bool]:
    return s.new_shop_days is not None, s.match is not None, s.channels is not None


def scope_overlap(a: Scope, b: Scope) -> str | None:
    """What two scopes of the same type share (for the message), or None if they cannot cover the same order."""
    if _dimensions(a) != _dimensions(b):
        return None
    shared: list[str] = []
    if a.new_shop_days is not None and b.new_shop_days is not None:
        shared.append(f"new shops, {min(a.new_shop_days, b.new_shop_days)} days")
    if a.channels is not None and b.channels is not None:
        if not set(a.channels) & set(b.channels):
            return None
        shared.append("channels " + ", ".join(sorted(set(a.channels) & set(b.channels))))
    if a.match is not None and b.match is not None:
        if _everything(a.match) or _everything(b.match):
            shared.append("every category")
        elif common := sorted(set(a.match.categories) & set(b.match.categories)) + \
                [f"tag {t}" for t in sorted(set(a.match.tags) & set(b.match.tags))]:
            shared.append("categories " + ", ".join(common))
        else:
            return None
    return "; ".join(shared) or "every order"


def _everything(m: _Match) -> bool:
    return not m.categories and not m.tags


def _iso(at: dt.datetime) -> str:
    return "open end" if at == OPEN_END else at.astimezone(BEIJING).isoformat()
