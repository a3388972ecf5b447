"""The merchant experience score written the straightforward way in pandas: the benchmark's baseline B.

The same score as ``anxin.scoring.definition`` (which the product runs on DuckDB or Spark), written from the
rulebook the way one would write it in pandas without that definition: per-row integer parts over each fact
table inside each indicator's window (lags included; reviews, refunds and cancellations count once known by the
as-of day), summed per shop; the primary category (most GMV, then
most valid orders, then the first category id); peer groups (the primary category when it has at least
``peers.min_shops`` eligible shops, else the fallback group ``'*'``); the tie-favouring percentile within the
peer group; points in hundredths with integer division; dimension weights with industry overrides;
excellence floors; deductions; eligibility. It reads the same Parquet columns the SQL reads and nothing else.

``tests/unit/test_pandas_score_matches.py`` proves it gives exactly the definition's results (every score,
dimension and indicator column) on a small data set, so the benchmark compares like with like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from anxin.scoring.engines import parquet_paths
from anxin.scoring.facts import FACTS
from anxin.scoring.rulebook import Indicator, ScoreRulebook, SubjectRules

DAY = 86_400

# The columns the merchant score reads from each fact table (the benchmark's bare GROUP BY reads the same).
COLUMNS = {
    "orders": ["shop_id", "category_id", "paid_at", "paid_fen", "presale", "cancelled_at", "collected_at",
               "signed_at"],
    "reviews": ["shop_id", "rating", "signed_at", "posted_at"],
    "cases": ["shop_id", "reason", "refunded", "order_paid_at", "opened_at", "closed_at", "final_state",
              "arbitrated", "merchant_at_fault"],
    "complaints": ["shop_id", "filed_at"],
    "chats": ["shop_id", "opened_at", "to_human_at", "first_reply_at"],
    "deductions": ["shop_id", "points_x100", "effective_at", "expires_at"],
}

Rows = Callable[[pd.DataFrame], np.ndarray]  # a per-row integer part of a measure


def read_table(root: Path, name: str, columns: list[str]) -> pd.DataFrame:
    """One fact table's columns from ``root`` (``name.parquet`` or a folder of parts); empty when absent."""
    where = parquet_paths(Path(root))[name]
    if where is None:
        return FACTS[name].schema.empty_table().select(columns).to_pandas()
    return pd.read_parquet(where.removesuffix("*.parquet"), columns=columns)


def _flag(s: pd.Series) -> np.ndarray:
    """A boolean column as SQL reads it in a condition: null is not true."""
    return s.fillna(False).to_numpy(dtype=bool)


def _in(s: pd.Series, lo: int, hi: int) -> np.ndarray:
    return ((s >= lo) & (s < hi)).to_numpy(dtype=bool)  # a null instant is in no window


def _nn(s: pd.Series) -> np.ndarray:
    return s.notna().to_numpy()


def _int(values: np.ndarray | pd.Series, mask: np.ndarray) -> np.ndarray:
    """``values`` where ``mask`` holds, else 0, as int64 (the masked-out rows may be null)."""
    return np.where(mask, np.nan_to_num(np.asarray(values, dtype=np.float64)), 0).astype(np.int64)


@dataclass(frozen=True)
class Side:
    table: str
    at: str  # the row counts when this instant is in the indicator's window
    rows: Rows
    known_at: str | None = None  # … and, if set, this instant is before the as-of (the fact was known by then)

    def counted(self, df: pd.DataFrame, lo: int, hi: int, end: int) -> np.ndarray:
        inside = _in(df[self.at], lo, hi)
        return inside & (df[self.known_at] < end).to_numpy(dtype=bool) if self.known_at else inside


def measure(ind: Indicator, utc_offset_seconds: int) -> tuple[Side, Side, int]:
    """Numerator, denominator and divisor of an indicator, in pandas."""
    p, m = ind.params, ind.measure.name
    one: Rows = lambda df: np.ones(len(df), dtype=np.int64)  # noqa: E731
    if m == "negative_review_rate":
        max_rating = int(p.get("max_rating", 2))
        return (Side("reviews", "signed_at", lambda df: (df.rating <= max_rating).to_numpy(dtype=np.int64),
                     "posted_at"), Side("orders", "signed_at", one), 1)
    if m == "quality_return_rate":
        reasons = list(p["reasons"])
        return (Side("cases", "order_paid_at", lambda df: (_flag(df.refunded) & df.reason.isin(reasons).to_numpy())
                     .astype(np.int64), "closed_at"), Side("orders", "paid_at", one), 1)
    if m == "collection_timeliness":
        bands = sorted(p["bands"], key=lambda b: b["hours"])
        total = sum(b["weight"] for b in bands)

        def hit(df: pd.DataFrame) -> np.ndarray:
            took = (df.collected_at - df.paid_at).to_numpy(dtype=np.float64)
            score = sum(np.where(took <= b["hours"] * 3600, b["weight"], 0) for b in bands)
            return np.where(_flag(df.presale), 0, score).astype(np.int64)

        return (Side("orders", "collected_at", hit),
                Side("orders", "collected_at", lambda df: np.where(_flag(df.presale), 0, total).astype(np.int64)), 1)
    if m == "delivery_hours":
        def ok(df: pd.DataFrame) -> np.ndarray:
            return _nn(df.collected_at) & (df.signed_at >= df.collected_at).to_numpy(dtype=bool)

        return (Side("orders", "signed_at", lambda df: _int(df.signed_at - df.collected_at, ok(df))),
                Side("orders", "signed_at", lambda df: ok(df).astype(np.int64)), 3600)
    if m == "complaint_rate":
        return Side("complaints", "filed_at", one), Side("orders", "paid_at", one), 1
    if m == "dispute_rate":
        return (Side("cases", "closed_at", lambda df: _flag(df.merchant_at_fault).astype(np.int64)),
                Side("cases", "closed_at", lambda df: (_nn(df.final_state) & (df.final_state != "cancelled")
                                                        .to_numpy(dtype=bool)).astype(np.int64)), 1)
    if m == "aftersales_hours":
        def own(df: pd.DataFrame) -> np.ndarray:  # NOT arbitrated AND final_state <> 'cancelled', nulls not true
            not_arbitrated = df.arbitrated.notna().to_numpy() & ~_flag(df.arbitrated)
            return not_arbitrated & _nn(df.final_state) & (df.final_state != "cancelled").to_numpy(dtype=bool)

        return (Side("cases", "closed_at", lambda df: _int(df.closed_at - df.opened_at, own(df))),
                Side("cases", "closed_at", lambda df: own(df).astype(np.int64)), 3600)
    if m == "im_reply_rate":
        lo, hi, secs = int(p["open_from_minute"]), int(p["open_to_minute"]), int(p["reply_seconds"])

        def served(df: pd.DataFrame) -> np.ndarray:
            minute = ((df.opened_at + utc_offset_seconds) % DAY) // 60
            return _nn(df.to_human_at) & ((minute >= lo) & (minute <= hi)).to_numpy(dtype=bool)

        def fast(df: pd.DataFrame) -> np.ndarray:
            return _nn(df.first_reply_at) & (df.first_reply_at - df.to_human_at <= secs).to_numpy(dtype=bool)

        return (Side("chats", "opened_at", lambda df: (served(df) & fast(df)).astype(np.int64)),
                Side("chats", "opened_at", lambda df: served(df).astype(np.int64)), 1)
    raise ValueError(f"no pandas definition for merchant measure {m!r}")


def merchant_scores(root: Path, rb: ScoreRulebook, end: int) -> dict[str, pd.DataFrame]:
    """``merchant_indicators``, ``merchant_dimensions`` and ``merchant_scores`` from the Parquet facts in ``root``."""
    rules = rb.merchant
    offset = rb.utc_offset_hours * 3600
    sides: dict[str, list[tuple[str, Side, tuple[int, int], bool]]] = {}  # per table: (column, part, window, sq)
    divisors, trials = {}, {}
    for k, ind in enumerate(rules.indicators):
        num, den, divisors[k] = measure(ind, offset)
        trials[k] = sum(b["weight"] for b in ind.params["bands"]) if ind.measure.name == "collection_timeliness" else 1
        window = (end - (ind.lag_days + rules.window_days) * DAY, end - ind.lag_days * DAY)
        for name, side, sq in ((f"i{k}_num", num, False), (f"i{k}_den", den, False), (f"i{k}_sq", num, True)):
            sides.setdefault(side.table, []).append((name, side, window, sq))
    elig_lo = end - rules.window_days * DAY

    # Orders by shop and category: the category with the most sales is the shop's primary category.
    o = read_table(root, "orders", COLUMNS["orders"])
    o = o[o.shop_id.notna()]
    in_elig = _in(o.paid_at, elig_lo, end)
    parts = pd.DataFrame({"subject_id": o.shop_id.to_numpy(), "category_id": o.category_id.to_numpy(),
                          "gmv_fen": _int(o.paid_fen, in_elig),
                          "valid_orders": (in_elig & ~(o.cancelled_at < end).to_numpy(dtype=bool)).astype(np.int64)})
    for name, side, (lo, hi), sq in sides.get("orders", []):
        parts[name] = np.where(side.counted(o, lo, hi, end), _rows_of(side, o, sq), 0)
    del o
    by_cat = parts.groupby(["subject_id", "category_id"], dropna=False, sort=False).sum().reset_index()
    del parts
    first = by_cat.sort_values(["subject_id", "gmv_fen", "valid_orders", "category_id"],
                               ascending=[True, False, False, True], na_position="last").drop_duplicates("subject_id")
    subjects = by_cat.drop(columns="category_id").groupby("subject_id", sort=True).sum()
    subjects["primary_category"] = first.set_index("subject_id").category_id
    for table, tsides in sorted(sides.items()):
        if table == "orders":
            continue
        df = read_table(root, table, COLUMNS[table])
        df = df[df.shop_id.notna()]
        summed = pd.DataFrame({name: np.where(side.counted(df, lo, hi, end), _rows_of(side, df, sq), 0)
                               for name, side, (lo, hi), sq in tsides})
        summed["subject_id"] = df.shop_id.to_numpy()
        subjects = subjects.join(summed.groupby("subject_id").sum(), how="left")
    subjects = subjects.reset_index()

    # Long form: one row per shop and indicator.
    values = []
    for k, ind in enumerate(rules.indicators):
        num = subjects[f"i{k}_num"].fillna(0).astype(np.int64)
        den = subjects[f"i{k}_den"].fillna(0).astype(np.int64)
        value = (num.astype(np.float64) / (den * divisors[k])).where(den > 0)
        values.append(pd.DataFrame({"subject_id": subjects.subject_id, "indicator_id": ind.id,
                                    "dimension": ind.dimension, "weight": ind.weight, "num": num, "den": den,
                                    "value": value, "trials": den.astype(np.float64) / trials[k],
                                    "ssq": subjects[f"i{k}_sq"].fillna(0).astype(np.float64)
                                    / (divisors[k] * trials[k]) ** 2,
                                    "sign": 1 if ind.better == "higher" else -1}))
    long = pd.concat(values, ignore_index=True)

    # Peer groups: the primary category when it has enough eligible shops, else the fallback group '*'.
    peers = subjects[["subject_id", "primary_category", "valid_orders"]].copy()
    peers["eligible"] = peers.valid_orders >= rules.min_valid_orders
    n_eligible = peers.groupby("primary_category", dropna=False).eligible.transform("sum")
    peers["peer_group"] = peers.primary_category.where(peers.eligible & (n_eligible >= rules.min_peer_shops), "*")

    # A shop with too few category peers is ranked among every eligible shop: each value enters the pool in its
    # category and in '*', and each shop keeps the row of its own peer group.
    merged = long.merge(peers[["subject_id", "peer_group", "eligible", "primary_category"]], on="subject_id")
    pool = pd.concat([merged[merged.peer_group != "*"].assign(grp=lambda f: f.primary_category),
                      merged.assign(grp="*")], ignore_index=True)
    ranked = _ranked(pool, rules)
    ranked = ranked[ranked.grp == ranked.peer_group].drop(columns=["grp", "primary_category"])
    ranked = _consistency(ranked.reset_index(drop=True))
    dims = _dimensions(ranked, rules)
    scores = _scores(peers, dims, read_table(root, "deductions", COLUMNS["deductions"]), rules, end)
    return {"merchant_indicators": ranked, "merchant_dimensions": dims, "merchant_scores": scores}


def _ints(values: np.ndarray, mask: np.ndarray, index: pd.Index | None = None) -> pd.Series:
    """Nullable integers: ``values`` where ``mask`` holds, else null."""
    return pd.Series(np.asarray(values, dtype=np.int64), index=index, dtype="Int64").where(mask)


def _rows_of(side: Side, df: pd.DataFrame, sq: bool) -> np.ndarray:
    rows = side.rows(df)
    return rows.astype(np.float64) ** 2 if sq else rows


def _adjusted(v: pd.DataFrame, keys: list[str], rules: SubjectRules) -> pd.DataFrame:
    """Each value shrunk toward its peers' mean, and the indicator's reliability (anxin.scoring.model.peer_prior)."""
    meth = rules.method
    has = (v.value.notna() & (v.trials > 0)).to_numpy()
    val = v.value.where(has)
    t = v.trials.where(has)
    g = [v[k] for k in keys]
    n = t.groupby(g, dropna=False).transform("sum")
    mu = (val * t).groupby(g, dropna=False).transform("sum") / n
    w = np.maximum(0.0, (v.ssq.where(has) - t * val * val).groupby(g, dropna=False).transform("sum")) / n
    vb = val.groupby(g, dropna=False).transform(lambda x: x.var(ddof=0))
    inv_n = (1.0 / t).groupby(g, dropna=False).transform("mean")
    tau2 = np.maximum(0.0, vb - w * inv_n)
    if meth.prior_strength is None:
        m = np.where(tau2 > 0, np.minimum(meth.max_prior_strength, w / tau2.where(tau2 > 0, 1.0)),
                     meth.max_prior_strength)
    else:
        m = np.full(len(v), float(meth.prior_strength))
    if meth.prior_strength == 0:
        v["adjusted"] = v.value
    else:
        v["adjusted"] = v.value.where(~has, (val * t + m * mu) / (t + m))
    rel = np.where(tau2 > 0, tau2 / (tau2 + w * inv_n).where(tau2 > 0, 1.0), 0.0)
    v["reliability_x1000"] = np.floor(1000 * np.nan_to_num(rel) + 0.5).astype(np.int64)
    v["sv"] = v.sign * v.adjusted
    return v


def _ranked(v: pd.DataFrame, rules: SubjectRules) -> pd.DataFrame:
    """Percentile within the peer group, ties in the shop's favour, to points in hundredths (floor division)."""
    v["has_value"] = v.value.notna()
    keys = ["eligible", "has_value", "grp", "indicator_id"]
    v = _adjusted(v, keys, rules)
    v = v.sort_values([*keys, "value", "subject_id"], na_position="last", ignore_index=True)
    g = v.groupby(keys, sort=False, dropna=False)
    scored = (v.eligible & v.has_value).to_numpy()
    peer_n = np.where(scored, g.subject_id.transform("size").to_numpy(), 0)
    not_better = g.sv.rank(method="max").fillna(0).to_numpy().astype(np.int64)  # peers with sv <= its own
    single = peer_n == 1
    span = rules.max_x100 - rules.min_x100
    points = np.where(single, rules.max_x100,
                      rules.min_x100 + span * (not_better - 1) // np.maximum(peer_n - 1, 1))
    v["peer_n"] = _ints(peer_n, scored)
    v["points_x100"] = _ints(points, scored)
    v["pct_num"] = _ints(np.where(single, 1, not_better - 1), scored)
    v["pct_den"] = _ints(np.where(single, 1, peer_n - 1), scored)
    v["reliability_x1000"] = _ints(v.reliability_x1000.to_numpy(), scored)
    # The peer median and top quartile: the value at a row number of the peer group in value order.
    rn = g.cumcount().to_numpy() + 1
    lower = v.indicator_id.isin([i.id for i in rules.indicators if i.better == "lower"]).to_numpy()
    top_q = np.where(lower, (peer_n + 3) // 4, peer_n - (peer_n + 3) // 4 + 1)
    v["peer_median"] = v.value.where(rn == (peer_n + 1) // 2).groupby([v[k] for k in keys], dropna=False
                                                                        ).transform("max").where(scored)
    v["peer_top_quartile"] = v.value.where(rn == top_q).groupby([v[k] for k in keys], dropna=False
                                                                 ).transform("max").where(scored)
    return v.drop(columns=["sv", "has_value", "trials", "ssq", "sign"])


def _consistency(v: pd.DataFrame) -> pd.DataFrame:
    """Each indicator's item-rest correlation over the eligible shops, per mille, on the rows with points."""
    has = (v.eligible & v.points_x100.notna()).to_numpy(dtype=bool)
    e = v[has]
    pts = e.points_x100.to_numpy(dtype=np.float64)
    total = e.groupby("subject_id").points_x100.transform("sum").to_numpy(dtype=np.float64)
    n = e.groupby("subject_id").points_x100.transform("count").to_numpy(dtype=np.int64)
    keep = n > 1
    pairs = pd.DataFrame({"indicator_id": e.indicator_id.to_numpy()[keep], "x": pts[keep],
                          "rest": (total[keep] - pts[keep]) / (n[keep] - 1)})
    corr = {k: g.x.corr(g.rest) for k, g in pairs.groupby("indicator_id")}
    per_mille = {k: int(np.floor(1000 * (0.0 if pd.isna(c) else c) + 0.5)) for k, c in corr.items()}
    values = v.indicator_id.map(per_mille)
    v["consistency_x1000"] = pd.Series(values.fillna(0).to_numpy(dtype=np.int64), index=v.index, dtype="Int64").where(
        v.points_x100.notna() & values.notna())
    return v


def _dimensions(ind: pd.DataFrame, rules: SubjectRules) -> pd.DataFrame:
    """Each eligible shop's dimensions: weighted points of its indicators with points, then excellence floors."""
    e = ind[ind.eligible].copy()
    has = e.points_x100.notna().to_numpy()
    rel = np.maximum(rules.method.min_reliability_x1000, e.reliability_x1000.fillna(0).to_numpy(dtype=np.int64))
    low = rules.method.min_reliability_x1000
    cons = np.maximum(low, e.consistency_x1000.fillna(0).to_numpy(dtype=np.int64))
    weight = {"rulebook": e.weight.to_numpy(dtype=np.int64), "reliability": e.weight.to_numpy(dtype=np.int64) * rel,
              "consistency": rel * cons}[rules.method.weighting]
    e["w"] = np.where(has, weight, 0)
    e["wp"] = np.where(has, weight * e.points_x100.fillna(0).to_numpy(dtype=np.int64), 0)
    e["rw"] = np.where(has, e.weight.to_numpy(dtype=np.int64), 0)
    e["rwr"] = np.where(has, e.weight.to_numpy(dtype=np.int64) * rel, 0)
    conds = {(c.indicator, c.op, c.value) for x in rules.excellence for c in x.when}
    for c in conds:
        met = (e.indicator_id == c[0]) & ((e.value >= c[2]) if c[1] == "gte" else (e.value <= c[2]))
        e[str(c)] = met.fillna(False).astype(bool)
    d = e.groupby(["subject_id", "dimension"], sort=False).agg(
        w=("w", "sum"), wp=("wp", "sum"), rw=("rw", "sum"), rwr=("rwr", "sum"),
        **{str(c): (str(c), "max") for c in conds}).reset_index()
    d["reliability_x1000"] = _ints(d.rwr.to_numpy() // np.maximum(d.rw.to_numpy(), 1), (d.rw > 0).to_numpy())
    d["raw_x100"] = _ints(d.wp.to_numpy() // np.maximum(d.w.to_numpy(), 1), (d.w > 0).to_numpy())
    floor = pd.Series(pd.NA, index=d.index, dtype="Int64")
    for x in rules.excellence:  # the first standard met sets the floor, as a CASE would
        met = (d.dimension == x.dimension) & np.logical_and.reduce(
            [d[str((c.indicator, c.op, c.value))].to_numpy() for c in x.when])
        floor = floor.mask(floor.isna() & met, x.floor_x100)
    d["excellence_floor_x100"] = floor
    raised = d.raw_x100.notna() & floor.notna() & (d.raw_x100 < floor)
    d["points_x100"] = d.raw_x100.mask(raised.fillna(False), floor)
    d["weight_eff"] = d.w.astype(np.int64)
    return d[["subject_id", "dimension", "raw_x100", "excellence_floor_x100", "points_x100", "reliability_x1000",
              "weight_eff"]]


def _scores(peers: pd.DataFrame, dims: pd.DataFrame, deductions: pd.DataFrame, rules: SubjectRules,
            end: int) -> pd.DataFrame:
    """Dimension points weighted by the shop's industry weights, less deductions in force; eligible shops only."""
    d = dims.merge(peers[["subject_id", "primary_category"]], on="subject_id")
    weights = {dim.id: dim.weight for dim in rules.dimensions}
    d["w"] = [rules.industry_weights.get(cat, weights)[dim] if isinstance(cat, str) else weights[dim]
              for cat, dim in zip(d.primary_category, d.dimension, strict=True)] if len(d) else 0
    has = d.points_x100.notna().to_numpy()
    if rules.method.weighting == "reliability":
        d["w"] = d.w * d.reliability_x1000.fillna(0).to_numpy(dtype=np.int64)
    elif rules.method.weighting == "consistency":
        d["w"] = d.weight_eff.to_numpy(dtype=np.int64)
    d["w"] = np.where(has, d.w, 0)
    d["wp"] = np.where(has, d.w * d.points_x100.fillna(0).to_numpy(dtype=np.int64), 0)
    agg = d.groupby("subject_id")[["w", "wp"]].sum()
    in_force = (deductions.effective_at < end) & (deductions.expires_at.isna() | (deductions.expires_at >= end))
    ded = deductions[in_force.fillna(False).astype(bool)].groupby("shop_id").points_x100.sum()
    s = peers.set_index("subject_id").join(agg, how="left")
    s["deductions_x100"] = ded.reindex(s.index).fillna(0).astype(np.int64)
    w, wp = s.w.fillna(0).to_numpy(dtype=np.int64), s.wp.fillna(0).to_numpy(dtype=np.int64)
    ok = s.eligible.to_numpy() & (w > 0)
    raw = wp // np.maximum(w, 1)
    ded_v = s.deductions_x100.to_numpy()
    s["raw_x100"] = _ints(raw, ok, s.index)
    s["total_x100"] = _ints(np.where(ded_v > 0, np.maximum(rules.deduction_floor_x100, raw - ded_v), raw), ok, s.index)
    return s.reset_index()[["subject_id", "primary_category", "peer_group", "valid_orders", "eligible", "raw_x100",
                            "deductions_x100", "total_x100"]]
