"""Score reports and diagnosis: pure values built from the engine's rows, and suggestions from drilled rows.

A snapshot stores each indicator's numerator, denominator, value, peer statistics and points; the report
adds what a merchant needs to act: the points lost against the peer top quartile (on the total's scale)
and a concrete suggestion computed from the very rows behind the indicator.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from anxin.scoring.rulebook import ScoreRulebook, SubjectRules

WEEKDAYS = (("周一", "Monday"), ("周二", "Tuesday"), ("周三", "Wednesday"), ("周四", "Thursday"),
            ("周五", "Friday"), ("周六", "Saturday"), ("周日", "Sunday"))


@dataclass(frozen=True)
class IndicatorReport:
    id: str
    dimension: str
    measure: str
    better: str
    unit: str
    weight: int
    num: int
    den: int
    value: float | None
    points_x100: int | None
    pct_num: int | None
    pct_den: int | None
    peer_n: int | None
    peer_group: str
    peer_median: float | None
    peer_top_quartile: float | None
    lost_x100: int = 0  # points of the total lost against the peer top quartile

    @property
    def percentile(self) -> Fraction | None:
        return Fraction(self.pct_num, self.pct_den) if self.pct_num is not None and self.pct_den else None

    @property
    def present(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class DimensionReport:
    id: str
    weight: int
    points_x100: int | None
    raw_x100: int | None
    excellence_floor_x100: int | None

    @property
    def floored(self) -> bool:
        return (self.excellence_floor_x100 is not None and self.raw_x100 is not None
                and self.points_x100 == self.excellence_floor_x100 and self.raw_x100 < self.excellence_floor_x100)


@dataclass(frozen=True)
class ScoreReport:
    kind: str
    subject_id: str
    as_of: dt.date
    rulebook_version: str
    eligible: bool
    valid_orders: int
    min_valid_orders: int
    score_x100: int | None
    raw_x100: int | None
    deductions_x100: int
    primary_category: str | None
    peer_group: str | None
    scale: tuple[int, int]
    dimensions: tuple[DimensionReport, ...]
    indicators: tuple[IndicatorReport, ...]

    def indicator(self, indicator_id: str) -> IndicatorReport | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)


# --- shrinkage and reliability: the policy the score definition's SQL computes (anxin.scoring.definition) -----


@dataclass(frozen=True)
class PeerValue:
    """One peer's indicator: its value (the mean per trial), its trials (orders, cases, chats; collection counts
    an order as one trial) and the sum of its per-trial values squared."""

    value: float
    trials: float
    ssq: float


@dataclass(frozen=True)
class PeerPrior:
    """What a peer group says about one indicator (method of moments; beta-binomial for rates).

    ``mean``: pooled mean per trial; ``within``: pooled within-shop variance per trial; ``between``: the variance of
    the peers' values; ``noise``: the mean sampling variance of a value (``within`` × mean of 1/trials); ``tau2``:
    the true between-shop variance, ``max(0, between − noise)``; ``strength``: the prior's weight in trials;
    ``reliability``: ``tau2 / (tau2 + noise)``, the share of the values' spread that is not sampling noise."""

    mean: float
    within: float
    between: float
    noise: float
    tau2: float
    strength: float
    reliability: float


def peer_prior(peers: Sequence[PeerValue], *, prior_strength: float | None, max_prior_strength: float
               ) -> PeerPrior | None:
    """The prior of a peer group; ``prior_strength`` None: estimated (``within / tau2``, at most
    ``max_prior_strength``, which it is when the peers vary no more than noise); a number: that strength. Peers
    without trials do not count; None when none has any."""
    have = [p for p in peers if p.trials > 0]
    if not have:
        return None
    n = sum(p.trials for p in have)
    mean = sum(p.value * p.trials for p in have) / n
    within = max(0.0, sum(p.ssq - p.trials * p.value * p.value for p in have)) / n
    avg = sum(p.value for p in have) / len(have)
    between = sum((p.value - avg) ** 2 for p in have) / len(have)
    noise = within * sum(1.0 / p.trials for p in have) / len(have)
    tau2 = max(0.0, between - noise)
    if prior_strength is not None:
        strength = prior_strength
    else:
        strength = min(max_prior_strength, within / tau2) if tau2 > 0 else max_prior_strength
    reliability = tau2 / (tau2 + noise) if tau2 > 0 else 0.0
    return PeerPrior(mean, within, between, noise, tau2, strength, reliability)


def shrunk(value: float | None, trials: float, prior: PeerPrior | None) -> float | None:
    """A value pulled toward its peers' mean by the prior's strength: ``(value·trials + strength·mean) /
    (trials + strength)`` (for a rate, the beta-binomial posterior mean). No trials: no value; strength 0 (or no
    prior): the value itself."""
    if value is None or trials <= 0:
        return None
    if prior is None or prior.strength == 0:
        return value
    return (value * trials + prior.strength * prior.mean) / (trials + prior.strength)


def reliability_x1000(prior: PeerPrior | None) -> int | None:
    return None if prior is None else math.floor(1000 * prior.reliability + 0.5)


def weighted_points_x100(points: Sequence[tuple[int, int, int | None]], *, min_reliability_x1000: int,
                         by_reliability: bool) -> int | None:
    """A dimension's points from its indicators' (points, rulebook weight, reliability per mille): each weight
    times the reliability (never below the minimum) when the method weighs by reliability; integer floor. None
    when no indicator has points."""
    ws = [(p, w * (max(min_reliability_x1000, r or 0) if by_reliability else 1)) for p, w, r in points]
    total = sum(w for _, w in ws)
    return sum(p * w for p, w in ws) // total if total > 0 else None


def item_rest_correlation(points: Mapping[str, Mapping[str, int]], indicator_id: str) -> float:
    """The Pearson correlation, over the subjects with points for ``indicator_id`` and for at least one other
    indicator, of its points with the mean points of the subject's other indicators; 0 without spread (fewer than
    two such subjects, or all alike)."""
    xs, rests = [], []
    for by_indicator in points.values():
        if indicator_id not in by_indicator or len(by_indicator) < 2:
            continue
        x = by_indicator[indicator_id]
        xs.append(float(x))
        rests.append((sum(by_indicator.values()) - x) / (len(by_indicator) - 1))
    n = len(xs)
    if n < 2:
        return 0.0
    mx, mr = sum(xs) / n, sum(rests) / n
    vx, vr = sum((x - mx) ** 2 for x in xs) / n, sum((r - mr) ** 2 for r in rests) / n
    if vx <= 0 or vr <= 0:
        return 0.0
    return sum((x - mx) * (r - mr) for x, r in zip(xs, rests, strict=True)) / n / math.sqrt(vx * vr)


def data_weight(reliability_x1000: int | None, consistency_x1000: int | None, *, min_x1000: int) -> int:
    """An indicator's weight under ``weighting: consistency``: reliability × item-rest correlation, per mille each,
    each at least the rulebook's minimum."""
    return max(min_x1000, reliability_x1000 or 0) * max(min_x1000, consistency_x1000 or 0)


def top_quartile_x100(rules: SubjectRules) -> int:
    return rules.min_x100 + 3 * (rules.max_x100 - rules.min_x100) // 4


def with_points_lost(rules: SubjectRules, primary_category: str | None,
                     indicators: Sequence[IndicatorReport]) -> tuple[IndicatorReport, ...]:
    """Each indicator's shortfall against the peer top quartile, carried through both weightings to the total."""
    weights = rules.weights_for(primary_category)
    present = [i for i in indicators if i.points_x100 is not None]
    dims_present = {i.dimension for i in present}
    total_w = sum(weights[d] for d in dims_present) or 1
    target = top_quartile_x100(rules)
    out = []
    for ind in indicators:
        lost = 0
        if ind.points_x100 is not None and ind.points_x100 < target:
            dim_w = sum(i.weight for i in present if i.dimension == ind.dimension) or 1
            lost = (target - ind.points_x100) * ind.weight * weights[ind.dimension] // (dim_w * total_w)
        out.append(IndicatorReport(**{**ind.__dict__, "lost_x100": lost}))
    return tuple(out)


def snapshot_detail(score: Mapping[str, Any], dims: Sequence[Mapping[str, Any]],
                    inds: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What one subject's snapshot keeps, from the engine's rows (JSON-ready)."""
    extra = {} if score.get("governance_points_x100") is None else {
        "governance_points_x100": int(score["governance_points_x100"])}
    return {
        **extra,
        "valid_orders": int(score["valid_orders"] or 0), "raw_x100": score["raw_x100"],
        "deductions_x100": int(score["deductions_x100"] or 0), "primary_category": score["primary_category"],
        "peer_group": score["peer_group"],
        "dimensions": {d["dimension"]: {"points_x100": d["points_x100"], "raw_x100": d["raw_x100"],
                                        "excellence_floor_x100": d["excellence_floor_x100"]} for d in dims},
        "indicators": {i["indicator_id"]: {**{k: i[k] for k in ("num", "den", "value", "points_x100", "pct_num",
                                                                "pct_den", "peer_n", "peer_median",
                                                                "peer_top_quartile")},
                                           # the value as ranked (shrunk) and the indicator's reliability
                                           **{k: i.get(k) for k in ("adjusted", "reliability_x1000")}}
                       for i in inds},
    }


def report_from_snapshot(rb: ScoreRulebook, rules: SubjectRules, kind: str, subject_id: str, as_of: dt.date,
                         version: str, eligible: bool, score_x100: int | None,
                         detail: Mapping[str, Any]) -> ScoreReport:
    inds = []
    for ind in rules.indicators:
        v = detail.get("indicators", {}).get(ind.id)
        if v is None:
            v = {"num": 0, "den": 0, "value": None, "points_x100": None, "pct_num": None, "pct_den": None,
                 "peer_n": None, "peer_median": None, "peer_top_quartile": None}
        inds.append(IndicatorReport(ind.id, ind.dimension, ind.measure.name, ind.better, ind.measure.unit,
                                    ind.weight, int(v["num"] or 0), int(v["den"] or 0), v["value"],
                                    v["points_x100"], v["pct_num"], v["pct_den"], v["peer_n"],
                                    str(detail.get("peer_group") or "*"), v["peer_median"], v["peer_top_quartile"]))
    weights = rules.weights_for(detail.get("primary_category"))
    dims = tuple(DimensionReport(d.id, weights[d.id], *(
        (detail.get("dimensions", {}).get(d.id) or {}).get(k) for k in ("points_x100", "raw_x100",
                                                                          "excellence_floor_x100")))
        for d in rules.dimensions)
    return ScoreReport(kind, subject_id, as_of, version, eligible, int(detail.get("valid_orders") or 0),
                       rules.min_valid_orders, score_x100, detail.get("raw_x100"),
                       int(detail.get("deductions_x100") or 0), detail.get("primary_category"),
                       detail.get("peer_group"), (rules.min_x100, rules.max_x100), dims,
                       with_points_lost(rules, detail.get("primary_category"), inds))


# --- suggestions: computed from the rows behind an indicator -------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    code: str
    text: Mapping[str, str]  # zh-CN and en
    facts: Mapping[str, Any] = field(default_factory=dict)


def drill_side(measure: str, better: str, unit: str) -> str:
    """Which rows explain a shortfall: the counted bad rows, the misses of a good rate, the longest waits."""
    if unit == "hours":
        return "num"
    return "miss" if better == "higher" else "num"


def _local(at: int, offset_h: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(at, dt.timezone(dt.timedelta(hours=offset_h)))


def _share(n: int, m: int) -> bool:
    return m > 0 and 5 * n >= 2 * m  # at least 40 %: worth naming


def suggest(measure: str, rows: Sequence[Mapping[str, Any]], offset_h: int, *, total: int | None = None
            ) -> Suggestion | None:
    """A concrete next step from the drilled rows (``total`` = how many rows there are beyond the sample)."""
    m = total if total is not None else len(rows)
    if not rows or m == 0:
        return None
    if measure == "collection_timeliness":
        days = Counter(_local(r["paid_at"], offset_h).weekday() for r in rows)
        day, n = days.most_common(1)[0]
        if _share(n, len(rows)):
            zh, en = WEEKDAYS[day]
            return Suggestion("collection.weekday", {
                "zh-CN": f"{len(rows)} 单揽收超时中有 {n} 单是{zh}付款的订单："
                         f"安排{zh}及次日的揽收，或在该日把发货承诺设为 48 小时。",
                "en": f"{n} of your {len(rows)} late collections were {en} orders: book an extra pickup for {en}s "
                      f"and the day after, or promise 48 h on {en}s."}, {"weekday": en, "n": n, "of": len(rows)})
        evening = sum(1 for r in rows if _local(r["paid_at"], offset_h).hour >= 18)
        if _share(evening, len(rows)):
            return Suggestion("collection.evening", {
                "zh-CN": f"{len(rows)} 单揽收超时中有 {evening} 单在 18:00 后付款（直播时段）："
                         "直播后加开打包班次或预约次日早间揽收。",
                "en": f"{evening} of your {len(rows)} late collections were paid after 18:00 (livestream hours): add a "
                      "packing shift after the stream or book an early pickup the next morning."},
                {"n": evening, "of": len(rows)})
        return Suggestion("collection.general", {
            "zh-CN": f"近期有 {m} 单未在 24 小时内揽收：提前预约快递上门时间。",
            "en": f"{m} orders were not collected within 24 h: book the carrier's pickup earlier in the day."},
            {"n": m})
    if measure == "im_reply_rate":
        hours = Counter(_local(r["opened_at"], offset_h).hour // 3 * 3 for r in rows)
        h, n = hours.most_common(1)[0]
        band = f"{h:02d}:00–{h + 2:02d}:59"
        return Suggestion("im.hours", {
            "zh-CN": f"{len(rows)} 次超过 3 分钟未回复中有 {n} 次发生在 {band}：在该时段增加人工客服。",
            "en": f"{n} of {len(rows)} chats not answered within 3 minutes were opened {band}: add an agent then."},
            {"band": band, "n": n, "of": len(rows)})
    if measure in ("quality_return_rate", "complaint_rate"):
        reasons = Counter(str(r.get("reason") or "other") for r in rows)
        reason, n = reasons.most_common(1)[0]
        quality = measure == "quality_return_rate"
        what_zh, what_en = ("品质退款", "quality refunds") if quality else ("投诉", "complaints")
        return Suggestion(f"{measure}.reason", {
            "zh-CN": f"{len(rows)} 笔{what_zh}中有 {n} 笔原因为「{reason}」：先解决这一类问题（包装、描述或品控）。",
            "en": f"{n} of {len(rows)} {what_en} were '{reason}': fix that first (packing, description or QC)."},
            {"reason": reason, "n": n, "of": len(rows)})
    if measure == "negative_review_rate":
        via = sum(1 for r in rows if r.get("creator_id"))
        if _share(via, len(rows)):
            return Suggestion("reviews.creators", {
                "zh-CN": f"{len(rows)} 条差评中有 {via} 条来自达人带货订单：核对达人的讲解与商品详情是否一致。",
                "en": f"{via} of {len(rows)} negative reviews came from creator-sold orders: check that what the "
                      "creators say matches the listing."}, {"n": via, "of": len(rows)})
        return Suggestion("reviews.general", {
            "zh-CN": f"近期有 {m} 条 1–2 星首评：逐条回复并找出共同原因。",
            "en": f"{m} first reviews of 1–2 stars: answer each and look for the common cause."}, {"n": m})
    if measure == "dispute_rate":
        return Suggestion("disputes.evidence", {
            "zh-CN": f"{m} 起平台介入判定商家责任：在 48 小时内附凭证处理售后，避免升级。",
            "en": f"{m} arbitrations were ruled against you: answer after-sale requests with evidence within "
                  "48 h so they are not escalated."}, {"n": m})
    if measure in ("aftersales_hours", "delivery_hours"):
        slow = [r for r in rows if int(r.get("contribution") or 0) > 48 * 3600]
        what_zh, what_en = ("售后", "after-sale cases") if measure == "aftersales_hours" else ("包裹", "parcels")
        return Suggestion(f"{measure}.slow", {
            "zh-CN": f"最慢的 {len(rows)} 个{what_zh}中有 {len(slow)} 个超过 48 小时：优先处理这些订单。",
            "en": f"{len(slow)} of your {len(rows)} slowest {what_en} took over 48 h: start with these."},
            {"n": len(slow), "of": len(rows)})
    return None
