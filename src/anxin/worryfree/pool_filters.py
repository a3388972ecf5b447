"""Selection-pool filters and badges. Pure.

A filter is validated once (bounds, known guarantee services and bands, the sort) and then judged per listing from
facts the use case gathered (the shop's score band, the guarantees its orders would carry, the worry-free tag).
Price bounds and the commission minimum are inclusive. ``score_band`` means "this band or better". A badge explains
itself: a stable code, a label and an explanation in zh-CN and en, the rule id behind it and the rulebook version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from anxin.core.errors import AnxinError
from anxin.worryfree.pool_error_codes import PoolErrorCode as E

SORTS = ("listing", "commission", "price_asc", "price_desc")
MAX_BP = 10_000
MAX_FEN = 10**12
UNSCORED = "unscored"
# The rule ids of the pool's own badges (the tag's and the guarantees' carry their own rules' ids).
RULE_SCORE_BAND = "pool.score_band"
RULE_COMMISSION = "pool.commission"


class Bands(Protocol):
    """The score bands of the worry-free programme (the tag rulebook's, best first)."""

    @property
    def version(self) -> str: ...

    def band_of(self, score_x100: int | None) -> str: ...

    def band_rank(self, band: str) -> int: ...

    def band_label(self, band: str, lang: str) -> str: ...

    def band_floor(self, band: str) -> int | None: ...

    def bands(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class PoolFilter:
    category_id: str | None = None
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    min_commission_bp: int | None = None
    guarantee: str | None = None
    score_band: str | None = None
    worry_free: bool | None = None
    sort: str = "listing"

    def scope(self) -> tuple[object, ...]:
        return (self.category_id, self.price_min_fen, self.price_max_fen, self.min_commission_bp, self.guarantee,
                self.score_band, self.worry_free, self.sort)


def _bad(field_name: str, message: str, **details: Any) -> AnxinError:
    return AnxinError(E.INVALID_FILTER, message, field=field_name, **details)


def validate(f: PoolFilter, *, services: Sequence[str], bands: Sequence[str]) -> PoolFilter:
    """The filter itself, or ``worryfree.pool.invalid_filter`` (422) naming the field."""
    for name, value, hi in (("price_min_fen", f.price_min_fen, MAX_FEN), ("price_max_fen", f.price_max_fen, MAX_FEN),
                            ("min_commission_bp", f.min_commission_bp, MAX_BP)):
        if value is not None and not 0 <= value <= hi:
            raise _bad(name, f"{name} must be between 0 and {hi}", value=value)
    if f.price_min_fen is not None and f.price_max_fen is not None and f.price_min_fen > f.price_max_fen:
        raise _bad("price_min_fen", "price_min_fen is above price_max_fen", price_min_fen=f.price_min_fen,
                   price_max_fen=f.price_max_fen)
    if f.guarantee is not None and f.guarantee not in services:
        raise _bad("guarantee", f"unknown guarantee service {f.guarantee!r}", allowed=sorted(services))
    if f.score_band is not None and f.score_band not in bands:
        raise _bad("score_band", f"unknown score band {f.score_band!r}", allowed=list(bands))
    if f.sort not in SORTS:
        raise _bad("sort", f"unknown sort {f.sort!r}", allowed=list(SORTS))
    return f


@dataclass(frozen=True)
class TagFacts:
    """The listing's worry-free tag as the tag rules last decided it."""

    tagged: bool
    since: dt.datetime | None
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str


@dataclass(frozen=True)
class Guaranteed:
    guarantee_id: str
    service: str
    name: Mapping[str, str]
    rulebook_version: str


@dataclass(frozen=True)
class Candidate:
    """What the pool knows of one offered listing."""

    listing_id: str
    shop_id: str
    shop_name: str
    category_id: str
    title: str
    price_fen: int
    commission_bp: int
    score_x100: int | None
    score_as_of: dt.date | None
    band: str
    guarantees: tuple[Guaranteed, ...]
    tag: TagFacts | None

    @property
    def worry_free(self) -> bool:
        return self.tag is not None and self.tag.tagged

    @property
    def services(self) -> frozenset[str]:
        return frozenset(g.service for g in self.guarantees)


def matches(c: Candidate, f: PoolFilter, bands: Bands) -> bool:
    """The filters the catalog query could not apply (category, price and commission it did; checked again here
    so the rule is stated once in pure code)."""
    if f.price_min_fen is not None and c.price_fen < f.price_min_fen:
        return False
    if f.price_max_fen is not None and c.price_fen > f.price_max_fen:
        return False
    if f.min_commission_bp is not None and c.commission_bp < f.min_commission_bp:
        return False
    if f.guarantee is not None and f.guarantee not in c.services:
        return False
    if f.score_band is not None and (c.band == UNSCORED or bands.band_rank(c.band) > bands.band_rank(f.score_band)):
        return False
    return f.worry_free is None or c.worry_free is f.worry_free


@dataclass(frozen=True)
class Badge:
    code: str
    label: dict[str, str]
    explanation: dict[str, str]
    rule_id: str
    rulebook_version: str
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "explanation": self.explanation, "rule_id": self.rule_id,
                "rulebook_version": self.rulebook_version, "facts": self.facts}


def points(x100: int) -> str:
    whole, frac = divmod(abs(x100), 100)
    return f"{'-' if x100 < 0 else ''}{whole}.{frac:02d}"


def percent_bp(bp: int) -> str:
    """Basis points as a percentage: 1500 -> "15%", 1250 -> "12.5%", 1234 -> "12.34%"."""
    whole, frac = divmod(bp, 100)
    return f"{whole}%" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "%"


def _local_day(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


def badges(c: Candidate, bands: Bands) -> list[Badge]:
    """The listing's badges: the worry-free tag (since when, why), the shop's score band, each guarantee, the
    commission; every one with its rule id."""
    out: list[Badge] = []
    t = c.tag
    if t is not None and t.tagged:
        since_zh = f"自 {_local_day(t.since)} 起" if t.since else ""
        since_en = f" since {_local_day(t.since)}" if t.since else ""
        out.append(Badge(
            "worry_free", {"zh-CN": "无忧", "en": "Worry-free"},
            {"zh-CN": f"{since_zh}带无忧标签：商品已入平台云仓并通过入库质检（外包装、标签、保质期），有现货；"
                      "店铺的 24 小时发货率、投诉率和体验分达到无忧服务的门槛。订单由云仓发货，享受升级保障。",
             "en": f"Worry-free{since_en}: the goods are in the platform's warehouse and passed inbound inspection "
                   "(outer packaging, labels, shelf life), with stock on hand; the shop meets the programme's "
                   "24-hour ship rate, complaint rate and score thresholds. Orders ship from the warehouse with the "
                   "upgraded guarantees."},
            t.rule_ids[0] if t.rule_ids else "tag", t.rulebook_version,
            {"since": t.since.isoformat() if t.since else None, "reasons": list(t.reasons),
             "rule_ids": list(t.rule_ids)}))
    if c.band == UNSCORED:
        out.append(Badge(
            f"score_band.{UNSCORED}", {"zh-CN": "体验分暂无", "en": "Score: not yet"},
            {"zh-CN": "店铺近 30 天有效订单不足，暂无体验分。", "en": "The shop has too few valid orders in the last "
             "30 days to be scored yet."}, RULE_SCORE_BAND, bands.version, {"score": None}))
    else:
        floor = bands.band_floor(c.band)
        zh, en = bands.band_label(c.band, "zh-CN"), bands.band_label(c.band, "en")
        score = points(c.score_x100) if c.score_x100 is not None else "—"
        as_of = c.score_as_of.isoformat() if c.score_as_of else ""
        floor_zh = f"（≥ {points(floor)}）" if floor else ""
        floor_en = f" (≥ {points(floor)})" if floor else ""
        out.append(Badge(
            f"score_band.{c.band}", {"zh-CN": f"体验分{zh}", "en": f"Score: {en}"},
            {"zh-CN": f"店铺体验分 {score}（{as_of}），属于「{zh}」档{floor_zh}。",
             "en": f"The shop's experience score is {score} ({as_of}), in the {en} band{floor_en}."},
            RULE_SCORE_BAND, bands.version, {"score_x100": c.score_x100, "band": c.band}))
    for g in c.guarantees:
        zh, en = g.name.get("zh-CN", g.service), g.name.get("en", g.service)
        out.append(Badge(
            f"guarantee.{g.service}", {"zh-CN": zh, "en": en},
            {"zh-CN": f"该商品的订单享受「{zh}」：店铺开通的服务和商品类目满足保障规则 {g.guarantee_id}。",
             "en": f"Orders of this listing carry {en}: the shop's services and the listing's category meet "
                   f"guarantee rule {g.guarantee_id}."},
            g.guarantee_id, g.rulebook_version, {"service": g.service}))
    pct = percent_bp(c.commission_bp)
    out.append(Badge(
        "commission", {"zh-CN": f"佣金 {pct}", "en": f"Commission {pct}"},
        {"zh-CN": f"店铺为达人带货提供成交价 {pct} 的佣金（精选联盟）。",
         "en": f"The shop pays creators {pct} of the price of each sale (affiliate commission)."},
        RULE_COMMISSION, "catalog", {"commission_bp": c.commission_bp}))
    return out
