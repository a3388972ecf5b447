"""The one definition of every score: SQL steps over the canonical facts, rendered for DuckDB or Spark.

Each indicator is a *measure* made of two parts, a numerator and a denominator, each a per-row integer
expression over one fact table inside a time window. The batch score sums the parts per subject in one
pass over each table; the drill-down of an indicator selects the rows whose part is positive: the same
expressions, so the orders shown are the orders counted.

Everything after the sums is integer arithmetic (percentile ranks, points in hundredths, weights, floors
and deductions with floor division) or one correctly rounded division per value, so DuckDB and Spark
give identical scores. Pure: builds strings, runs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from anxin.scoring.rulebook import Indicator, ScoreRulebook, SubjectRules

DAY = 86_400


@dataclass(frozen=True)
class Dialect:
    name: str

    def idiv(self, a: str, b: str) -> str:
        return f"(({a}) // ({b}))" if self.name == "duckdb" else f"(({a}) div ({b}))"

    def bigint(self, expr: str) -> str:
        return f"CAST({expr} AS BIGINT)"


DUCKDB, SPARK = Dialect("duckdb"), Dialect("spark")
DIALECTS = {"duckdb": DUCKDB, "spark": SPARK}


@dataclass(frozen=True)
class Part:
    """A per-row integer over one fact table, counted when the row's ``at`` column is in the window."""

    table: str
    at: str
    expr: str
    ref: str  # the row's own id, for the drill-down
    known_at: str | None = None  # when the fact became known, if later than ``at``: it must be before the as-of

    def where(self, w: Window, end: int) -> str:
        known = f" AND {self.known_at} IS NOT NULL AND {self.known_at} < {end}" if self.known_at else ""
        return w.sql(self.at) + known


@dataclass(frozen=True)
class Window:
    lo: int
    hi: int

    def sql(self, col: str) -> str:
        return f"{col} >= {self.lo} AND {col} < {self.hi}"


@dataclass(frozen=True)
class MeasureParts:
    num: Part
    den: Part
    divisor: int = 1  # hours are seconds / 3600, shop experience is hundredths / 100
    trial: int = 1  # denominator units per trial (an order, a case, a chat): collection bands sum to this per order


def _quote_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def parts_of(ind: Indicator, d: Dialect, utc_offset_seconds: int) -> MeasureParts:
    """The numerator and denominator of an indicator: the whole meaning of each measure is here."""
    p, m = ind.params, ind.measure.name
    if m == "negative_review_rate":
        return MeasureParts(Part("reviews", "signed_at", f"CASE WHEN rating <= {int(p.get('max_rating', 2))} "
                                 "THEN 1 ELSE 0 END", "order_id", "posted_at"),
                            Part("orders", "signed_at", "1", "order_id"))
    if m == "quality_return_rate":
        reasons = _quote_list(list(p["reasons"]))
        return MeasureParts(Part("cases", "order_paid_at", f"CASE WHEN refunded AND reason IN ({reasons}) "
                                 "THEN 1 ELSE 0 END", "case_id", "closed_at"),
                            Part("orders", "paid_at", "1", "order_id"))
    if m == "collection_timeliness":
        bands = sorted(p["bands"], key=lambda b: b["hours"])
        hit = " + ".join(f"CASE WHEN collected_at - paid_at <= {b['hours'] * 3600} THEN {b['weight']} ELSE 0 END"
                         for b in bands)
        total = sum(b["weight"] for b in bands)
        return MeasureParts(Part("orders", "collected_at", f"CASE WHEN presale THEN 0 ELSE {hit} END", "order_id"),
                            Part("orders", "collected_at", f"CASE WHEN presale THEN 0 ELSE {total} END", "order_id"),
                            trial=total)
    if m == "delivery_hours":
        ok = "collected_at IS NOT NULL AND signed_at >= collected_at"
        return MeasureParts(Part("orders", "signed_at", f"CASE WHEN {ok} THEN signed_at - collected_at ELSE 0 END",
                                 "order_id"), Part("orders", "signed_at", f"CASE WHEN {ok} THEN 1 ELSE 0 END",
                                                   "order_id"), 3600)
    if m == "complaint_rate":
        return MeasureParts(Part("complaints", "filed_at", "1", "complaint_id"),
                            Part("orders", "paid_at", "1", "order_id"))
    if m == "dispute_rate":
        return MeasureParts(Part("cases", "closed_at", "CASE WHEN merchant_at_fault THEN 1 ELSE 0 END", "case_id"),
                            Part("cases", "closed_at", "CASE WHEN final_state <> 'cancelled' THEN 1 ELSE 0 END",
                                 "case_id"))
    if m == "aftersales_hours":
        own = "NOT arbitrated AND final_state <> 'cancelled'"
        return MeasureParts(Part("cases", "closed_at", f"CASE WHEN {own} THEN closed_at - opened_at ELSE 0 END",
                                 "case_id"), Part("cases", "closed_at", f"CASE WHEN {own} THEN 1 ELSE 0 END",
                                                  "case_id"), 3600)
    if m == "im_reply_rate":
        minute = d.idiv(f"(opened_at + {utc_offset_seconds}) % {DAY}", "60")
        served = (f"to_human_at IS NOT NULL AND {minute} >= {int(p['open_from_minute'])} "
                  f"AND {minute} <= {int(p['open_to_minute'])}")
        fast = f"first_reply_at IS NOT NULL AND first_reply_at - to_human_at <= {int(p['reply_seconds'])}"
        return MeasureParts(Part("chats", "opened_at", f"CASE WHEN {served} AND {fast} THEN 1 ELSE 0 END",
                                 "session_id"), Part("chats", "opened_at", f"CASE WHEN {served} THEN 1 ELSE 0 END",
                                                     "session_id"))
    if m == "content_negative_rate":
        negative = "CASE WHEN negative THEN 1 ELSE 0 END"
        return MeasureParts(Part("content_feedback", "posted_at", negative, "feedback_id"),
                            Part("content_feedback", "posted_at", "1", "feedback_id"))
    if m == "aftersales_rate":
        return MeasureParts(Part("cases", "order_paid_at", "1", "case_id", "opened_at"),
                            Part("orders", "paid_at", "1", "order_id"))
    if m == "shop_experience":
        # Hundredths of the sold shop's own score per order of an eligible shop (joined after the merchant pass).
        return MeasureParts(Part("orders", "paid_at", "shop_total_x100", "order_id"),
                            Part("orders", "paid_at", "shop_scored", "order_id"), 100)
    raise ValueError(f"no definition for measure {m!r}")


def window_of(rules: SubjectRules, ind: Indicator | None, end: int) -> Window:
    lag = ind.lag_days if ind else 0
    return Window(end - (lag + rules.window_days) * DAY, end - lag * DAY)


@dataclass(frozen=True)
class Step:
    """A named SQL statement; its result is kept as a table the later steps read by that name."""

    name: str
    sql: str


SUBJECT_COLUMN = {"merchant": "shop_id", "creator": "creator_id"}


def subj_col(subject: str) -> str:
    return SUBJECT_COLUMN[subject]


def _part_columns(rules: SubjectRules, d: Dialect, rb: ScoreRulebook, end: int) -> dict[str, list[tuple[str, str]]]:
    """Per fact table, the summed columns (name, SQL) the subject's indicators need."""
    cols: dict[str, list[tuple[str, str]]] = {}
    offset = rb.utc_offset_hours * 3600
    for k, ind in enumerate(rules.indicators):
        mp, w = parts_of(ind, d, offset), window_of(rules, ind, end)
        for side, part in (("num", mp.num), ("den", mp.den)):
            cols.setdefault(part.table, []).append(
                (f"i{k}_{side}", f"SUM(CASE WHEN {part.where(w, end)} THEN {part.expr} ELSE 0 END)"))
        # The numerator's sum of squares: the within-subject variance the shrinkage needs.
        sq = f"CAST({mp.num.expr} AS DOUBLE) * CAST({mp.num.expr} AS DOUBLE)"
        cols[mp.num.table].append((f"i{k}_sq", f"SUM(CASE WHEN {mp.num.where(w, end)} THEN {sq} ELSE 0 END)"))
    return cols


def subject_steps(rb: ScoreRulebook, rules: SubjectRules, d: Dialect, end: int) -> list[Step]:
    """The steps that score one kind of subject, ending in ``{s}_indicators``, ``{s}_dimensions``, ``{s}_scores``."""
    s, subj = rules.subject, SUBJECT_COLUMN[rules.subject]
    elig = window_of(rules, None, end)
    cols = _part_columns(rules, d, rb, end)
    steps: list[Step] = []
    orders_src = "creator_orders" if s == "creator" else "orders"
    if s == "creator":
        steps.append(Step("creator_orders", (
            "SELECT o.*, COALESCE(sc.total_x100, 0) AS shop_total_x100, "
            "CASE WHEN sc.total_x100 IS NULL THEN 0 ELSE 1 END AS shop_scored "
            "FROM orders o LEFT JOIN merchant_scores sc ON sc.subject_id = o.shop_id AND sc.eligible "
            "WHERE o.creator_id IS NOT NULL")))
    # Orders by subject and category: the category sales decide the primary category (peer group).
    ocols = cols.get("orders", [])
    sel = ", ".join(f"{sql} AS {name}" for name, sql in ocols)
    steps.append(Step(f"{s}_order_parts", (
        f"SELECT {subj} AS subject_id, COALESCE(category_id, '') AS category_id, "
        f"SUM(CASE WHEN {elig.sql('paid_at')} THEN paid_fen ELSE 0 END) AS gmv_fen, "
        f"SUM(CASE WHEN {elig.sql('paid_at')} AND (cancelled_at IS NULL OR cancelled_at >= {end}) THEN 1 ELSE 0 END)"
        " AS valid_orders"
        f"{', ' + sel if sel else ''} FROM {orders_src} WHERE {subj} IS NOT NULL "
        f"GROUP BY {subj}, COALESCE(category_id, '')")))
    sums = ", ".join(f"SUM({name}) AS {name}" for name, _ in ocols)
    steps.append(Step(f"{s}_subjects", (
        "SELECT subject_id, CAST(SUM(gmv_fen) AS BIGINT) AS gmv_fen, CAST(SUM(valid_orders) AS BIGINT) AS valid_orders"
        f"{', ' + sums if sums else ''}, "
        "MAX(CASE WHEN rk = 1 THEN category_id END) AS primary_category FROM ("
        "SELECT p.*, ROW_NUMBER() OVER (PARTITION BY subject_id ORDER BY gmv_fen DESC, valid_orders DESC, "
        f"category_id) AS rk FROM {s}_order_parts p) x GROUP BY subject_id")))
    joins, n = [], 0
    for table, tcols in sorted(cols.items()):
        if table == "orders":
            continue
        n += 1
        tsel = ", ".join(f"{sql} AS {name}" for name, sql in tcols)
        steps.append(Step(f"{s}_{table}_parts", (
            f"SELECT {subj} AS subject_id, {tsel} FROM {table} WHERE {subj} IS NOT NULL GROUP BY {subj}")))
        joins.append((f"t{n}", f"{s}_{table}_parts", [name for name, _ in tcols]))
    # Long form: one row per subject and indicator, value = num / den (null when there is no denominator).
    rows = []
    for k, ind in enumerate(rules.indicators):
        mp = parts_of(ind, d, rb.utc_offset_hours * 3600)

        def col(side: str, table: str, k: int = k) -> str:
            if table == "orders":
                return f"s.i{k}_{side}"
            alias = next(a for a, _, names in joins if f"i{k}_{side}" in names)
            return f"{alias}.i{k}_{side}"

        num, den = f"COALESCE({col('num', mp.num.table)}, 0)", f"COALESCE({col('den', mp.den.table)}, 0)"
        value = f"CASE WHEN {den} > 0 THEN CAST({num} AS DOUBLE) / ({den} * {mp.divisor}) END"
        # Per trial x = part / (divisor * trial): trials = den / trial, ssq = sum of x squared.
        trials = f"CAST({den} AS DOUBLE) / {mp.trial}"
        ssq = f"COALESCE({col('sq', mp.num.table)}, 0) / {(mp.divisor * mp.trial) ** 2}"
        rows.append(f"SELECT s.subject_id, '{ind.id}' AS indicator_id, '{ind.dimension}' AS dimension, "
                    f"{ind.weight} AS weight, {d.bigint(num)} AS num, {d.bigint(den)} AS den, {value} AS value, "
                    f"{trials} AS trials, {ssq} AS ssq, {1 if ind.better == 'higher' else -1} AS sign "
                    f"FROM {s}_subjects s "
                    + " ".join(f"LEFT JOIN {t} {a} ON {a}.subject_id = s.subject_id" for a, t, _ in joins))
    steps.append(Step(f"{s}_values", " UNION ALL ".join(rows)))
    # Peer groups: the primary category when it has enough eligible subjects, else everyone ('*').
    min_peers = rules.min_peer_shops if s == "merchant" else 10**9
    steps.append(Step(f"{s}_peers", (
        f"SELECT subject_id, primary_category, valid_orders, valid_orders >= {rules.min_valid_orders} AS eligible, "
        f"CASE WHEN valid_orders >= {rules.min_valid_orders} AND COUNT(CASE WHEN valid_orders >= "
        f"{rules.min_valid_orders} THEN 1 END) OVER (PARTITION BY primary_category) >= {min_peers} "
        f"THEN primary_category ELSE '*' END AS peer_group FROM {s}_subjects")))
    steps.append(Step(f"{s}_ranked", _ranked_sql(s, rules, d)))
    steps.append(Step(f"{s}_consistency", _consistency_sql(s)))
    steps.append(Step(f"{s}_indicators", (
        f"SELECT r.*, CASE WHEN r.points_x100 IS NULL THEN NULL ELSE c.consistency_x1000 END AS consistency_x1000 "
        f"FROM {s}_ranked r LEFT JOIN {s}_consistency c ON c.indicator_id = r.indicator_id")))
    steps.append(Step(f"{s}_dimensions", _dimensions_sql(s, rules, d)))
    steps.append(Step(f"{s}_scores", _scores_sql(s, rules, d, end)))
    return steps


def _adjusted_sql(rules: SubjectRules, part: str) -> str:
    """Each value shrunk toward its peers' mean (empirical Bayes), and the indicator's reliability among the peers.

    Per peer group and indicator, over the peers with a value (``part``): the pooled mean ``mu``; the within-subject
    variance per trial ``w`` (pooled); the between-subject variance of the values ``vb`` and the mean sampling
    variance ``noise = w * mean(1 / trials)``; the true between-subject variance ``tau2 = max(0, vb - noise)``
    (method of moments). Prior strength ``m = w / tau2`` trials (fixed by the rulebook, or capped when tau2 is 0);
    ``adjusted = (value * trials + m * mu) / (trials + m)``: a beta-binomial posterior mean for rates. Reliability:
    ``tau2 / (tau2 + noise)``, the share of the values' spread that is not sampling noise. The same arithmetic as
    ``anxin.scoring.model.peer_prior`` and ``shrunk``.
    """
    meth = rules.method
    has = "value IS NOT NULL AND trials > 0"
    mom = (
        f"SELECT x.*, SUM(CASE WHEN {has} THEN value * trials END) OVER ({part}) / "
        f"SUM(CASE WHEN {has} THEN trials END) OVER ({part}) AS mu, "
        f"GREATEST(0.0, SUM(CASE WHEN {has} THEN ssq - trials * value * value END) OVER ({part})) / "
        f"SUM(CASE WHEN {has} THEN trials END) OVER ({part}) AS w, "
        f"VAR_POP(CASE WHEN {has} THEN value END) OVER ({part}) AS vb, "
        f"AVG(CASE WHEN {has} THEN 1.0 / trials END) OVER ({part}) AS inv_n FROM ({{pool}}) x")
    tau2 = "GREATEST(0.0, vb - w * inv_n)"
    if meth.prior_strength is None:
        cap = repr(meth.max_prior_strength)
        m = f"CASE WHEN {tau2} > 0 THEN LEAST({cap}, w / {tau2}) ELSE {cap} END"
    else:
        m = repr(float(meth.prior_strength))
    adjusted = ("value" if meth.prior_strength == 0 else
                f"CASE WHEN {has} THEN (value * trials + ({m}) * mu) / (trials + ({m})) ELSE value END")
    rel = f"CASE WHEN {tau2} > 0 THEN {tau2} / ({tau2} + w * inv_n) ELSE 0.0 END"
    return (f"SELECT y.*, sign * adjusted AS sv FROM (SELECT z.*, {adjusted} AS adjusted, "
            f"CAST(FLOOR(1000 * ({rel}) + 0.5) AS BIGINT) AS reliability_x1000 FROM ({mom}) z) y")


def _ranked_sql(s: str, rules: SubjectRules, d: Dialect) -> str:
    """Each value's points among its peers.

    Ties count in the subject's favour: percentile = (peers not better than it - 1) / (peers - 1), ranked by the
    value shrunk toward the peers' mean (``_adjusted_sql``; the value itself when the rulebook asks for no
    shrinkage). Only eligible subjects with a value are peers; the others keep their value and get no points. A
    subject whose category has too few peers (``peer_group = '*'``) is ranked among every eligible subject: each
    value enters the pool twice, once in its category and once in ``'*'``, and each subject keeps the row of its
    own peer group.
    """
    span = rules.max_x100 - rules.min_x100
    group = "eligible, value IS NULL, grp, indicator_id"
    part = f"PARTITION BY {group}"
    lower = " OR ".join(f"indicator_id = '{i.id}'" for i in rules.indicators if i.better == "lower") or "FALSE"
    q_pos = f"CASE WHEN {lower} THEN {d.idiv('peer_n + 3', '4')} ELSE peer_n - {d.idiv('peer_n + 3', '4')} + 1 END"
    cols = ("v.subject_id, v.indicator_id, v.dimension, v.weight, v.num, v.den, v.value, v.trials, v.ssq, v.sign, "
            "p.peer_group, p.eligible")
    src = f"FROM {s}_values v JOIN {s}_peers p ON p.subject_id = v.subject_id"
    pool = (f"SELECT {cols}, p.primary_category AS grp {src} WHERE p.peer_group <> '*' "
            f"UNION ALL SELECT {cols}, '*' AS grp {src}")
    adjusted = _adjusted_sql(rules, part).replace("{pool}", pool)
    ranked = (
        f"SELECT x.*, CASE WHEN eligible AND value IS NOT NULL THEN COUNT(*) OVER ({part}) END AS peer_n, "
        f"RANK() OVER ({part} ORDER BY sv) - 1 + COUNT(*) OVER ({part}, sv) AS not_better, "
        f"ROW_NUMBER() OVER ({part} ORDER BY value, subject_id) AS rn FROM ({adjusted}) x")
    stats = (
        f"SELECT r.*, CASE WHEN peer_n IS NOT NULL THEN MAX(CASE WHEN rn = {d.idiv('peer_n + 1', '2')} "
        f"THEN value END) OVER ({part}) END AS peer_median, "
        f"CASE WHEN peer_n IS NOT NULL THEN MAX(CASE WHEN rn = {q_pos} THEN value END) OVER ({part}) END "
        f"AS peer_top_quartile FROM ({ranked}) r")
    return (
        "SELECT subject_id, indicator_id, dimension, weight, num, den, value, adjusted, peer_group, eligible, peer_n, "
        f"CASE WHEN peer_n IS NULL THEN NULL WHEN peer_n = 1 THEN {rules.max_x100} ELSE {rules.min_x100} + "
        f"{d.idiv(f'{span} * (not_better - 1)', 'peer_n - 1')} END AS points_x100, "
        "CASE WHEN peer_n IS NULL THEN NULL WHEN peer_n = 1 THEN 1 ELSE not_better - 1 END AS pct_num, "
        "CASE WHEN peer_n IS NULL THEN NULL WHEN peer_n = 1 THEN 1 ELSE peer_n - 1 END AS pct_den, "
        "CASE WHEN peer_n IS NULL THEN NULL ELSE reliability_x1000 END AS reliability_x1000, "
        f"peer_median, peer_top_quartile FROM ({stats}) z WHERE grp = peer_group")


def _consistency_sql(s: str) -> str:
    """Each indicator's item-rest correlation over every eligible subject: the Pearson correlation of its points
    with the mean points of the subject's other indicators (at least one), in per mille. An indicator that ranks
    shops the way the others do measures what they share; one that does not (delivery hours set by the carrier, say)
    measures something else. ``anxin.scoring.model.item_rest_correlation`` is the same arithmetic."""
    per = (f"SELECT subject_id, SUM(points_x100) AS total, COUNT(points_x100) AS n FROM {s}_ranked "
           "WHERE eligible AND points_x100 IS NOT NULL GROUP BY subject_id")
    pairs = (f"SELECT r.indicator_id, CAST(r.points_x100 AS DOUBLE) AS x, "
             f"CAST(t.total - r.points_x100 AS DOUBLE) / (t.n - 1) AS rest FROM {s}_ranked r "
             f"JOIN ({per}) t ON t.subject_id = r.subject_id "
             "WHERE r.eligible AND r.points_x100 IS NOT NULL AND t.n > 1")
    corr = "CASE WHEN VAR_POP(x) > 0 AND VAR_POP(rest) > 0 THEN CORR(x, rest) ELSE 0.0 END"  # no spread: 0
    return (f"SELECT indicator_id, CAST(FLOOR(1000 * ({corr}) + 0.5) AS BIGINT) AS consistency_x1000 "
            f"FROM ({pairs}) p GROUP BY indicator_id")


def _dimensions_sql(s: str, rules: SubjectRules, d: Dialect) -> str:
    floors = []
    for e in rules.excellence:
        met = " AND ".join(
            f"MAX(CASE WHEN indicator_id = '{c.indicator}' AND value {'>=' if c.op == 'gte' else '<='} {c.value!r} "
            "THEN 1 ELSE 0 END) = 1" for c in e.when)
        floors.append(f"WHEN dimension = '{e.dimension}' AND {met} THEN {e.floor_x100}")
    floor = f"CASE {' '.join(floors)} ELSE NULL END" if floors else "NULL"
    # An indicator's reliability (per mille, never below the rulebook's minimum) and the weight it carries: the
    # rulebook's, times that reliability when the method weighs by reliability.
    low = rules.method.min_reliability_x1000
    rel = f"GREATEST({low}, COALESCE(reliability_x1000, 0))"
    w = {"rulebook": "weight", "reliability": f"weight * {rel}",
         "consistency": f"{rel} * GREATEST({low}, COALESCE(consistency_x1000, 0))"}[rules.method.weighting]
    present = "points_x100 IS NOT NULL"
    return (
        "SELECT subject_id, dimension, CAST(raw_x100 AS BIGINT) AS raw_x100, excellence_floor_x100, "
        "CASE WHEN raw_x100 IS NULL THEN NULL WHEN excellence_floor_x100 IS NOT NULL AND raw_x100 < "
        "excellence_floor_x100 THEN excellence_floor_x100 ELSE CAST(raw_x100 AS BIGINT) END AS points_x100, "
        "CAST(reliability_x1000 AS BIGINT) AS reliability_x1000, CAST(weight_eff AS BIGINT) AS weight_eff FROM ("
        f"SELECT subject_id, dimension, "
        f"CASE WHEN SUM(CASE WHEN {present} THEN {w} ELSE 0 END) > 0 THEN "
        f"{d.idiv(f'SUM(CASE WHEN {present} THEN {w} * points_x100 ELSE 0 END)', f'SUM(CASE WHEN {present} THEN {w} ELSE 0 END)')} "  # noqa: E501
        f"END AS raw_x100, {floor} AS excellence_floor_x100, "
        f"CASE WHEN SUM(CASE WHEN {present} THEN weight ELSE 0 END) > 0 THEN "
        f"{d.idiv(f'SUM(CASE WHEN {present} THEN weight * {rel} ELSE 0 END)', f'SUM(CASE WHEN {present} THEN weight ELSE 0 END)')} "  # noqa: E501
        f"END AS reliability_x1000, SUM(CASE WHEN {present} THEN {w} ELSE 0 END) AS weight_eff "
        f"FROM {s}_indicators WHERE eligible GROUP BY subject_id, dimension) x")


def _scores_sql(s: str, rules: SubjectRules, d: Dialect, end: int) -> str:
    def weight(dim: str) -> str:
        overrides = " ".join(f"WHEN p.primary_category = '{cat}' THEN {w[dim]}"
                             for cat, w in sorted(rules.industry_weights.items()))
        base = next(x.weight for x in rules.dimensions if x.id == dim)
        return f"CASE {overrides} ELSE {base} END" if overrides else str(base)

    wsum = " + ".join(f"CASE WHEN dm.dimension = '{x.id}' THEN {weight(x.id)} ELSE 0 END" for x in rules.dimensions)
    if rules.method.weighting == "reliability":  # a dimension weighs by its indicators' mean reliability too
        wsum = f"({wsum}) * COALESCE(dm.reliability_x1000, 0)"
    elif rules.method.weighting == "consistency":  # the weights its indicators carry, from the data alone
        wsum = "COALESCE(dm.weight_eff, 0)"
    ded = "0"
    deductions_join = ""
    gov_col = ""
    if rules.governance is not None:
        # Active governance points naming the subject at the as-of, of violations that happened in the window.
        g, lo = rules.governance, end - rules.window_days * DAY
        per = f"CASE WHEN violation_class = 'severe' THEN {g.severe_x100} ELSE {g.general_x100} END"
        deductions_join = (
            f"LEFT JOIN (SELECT {subj_col(s)} AS gid, SUM(points_x100) AS gpoints, "
            f"SUM(points_x100 * ({per})) AS gweighted FROM governance_points WHERE {subj_col(s)} IS NOT NULL "
            f"AND recorded_at < {end} AND happened_at >= {lo} AND happened_at < {end} AND expires_at > {end} "
            f"AND (reversed_at IS NULL OR reversed_at >= {end}) GROUP BY {subj_col(s)}) gv "
            "ON gv.gid = p.subject_id")
        ded = f"LEAST({g.max_x100}, {d.idiv('COALESCE(gv.gweighted, 0)', '100')})"
        gov_col = f", {d.bigint('MAX(COALESCE(gv.gpoints, 0))')} AS governance_points_x100"
    if s == "merchant":
        deductions_join = (
            "LEFT JOIN (SELECT shop_id, SUM(points_x100) AS ded FROM deductions WHERE effective_at < "
            f"{end} AND (expires_at IS NULL OR expires_at >= {end}) GROUP BY shop_id) dd ON dd.shop_id = p.subject_id")
        ded = "COALESCE(dd.ded, 0)"
    raw = (f"CASE WHEN SUM(CASE WHEN dm.points_x100 IS NOT NULL THEN {wsum} ELSE 0 END) > 0 THEN "
           + d.idiv(f"SUM(CASE WHEN dm.points_x100 IS NOT NULL THEN ({wsum}) * dm.points_x100 ELSE 0 END)",
                    f"SUM(CASE WHEN dm.points_x100 IS NOT NULL THEN {wsum} ELSE 0 END)") + " END")
    return (
        "SELECT subject_id, primary_category, peer_group, valid_orders, eligible, "
        f"CAST(raw_x100 AS BIGINT) AS raw_x100, deductions_x100{', governance_points_x100' if gov_col else ''}, "
        "CAST(CASE WHEN NOT eligible OR raw_x100 IS NULL THEN NULL WHEN deductions_x100 > 0 THEN "
        f"GREATEST({rules.deduction_floor_x100}, raw_x100 - deductions_x100) ELSE raw_x100 END AS BIGINT) "
        "AS total_x100 FROM ("
        f"SELECT p.subject_id, p.primary_category, p.peer_group, p.valid_orders, p.eligible, "
        f"CASE WHEN p.eligible THEN {raw} END AS raw_x100, {d.bigint(f'MAX({ded})')} AS deductions_x100{gov_col} "
        f"FROM {s}_peers p LEFT JOIN {s}_dimensions dm ON dm.subject_id = p.subject_id {deductions_join} "
        "GROUP BY p.subject_id, p.primary_category, p.peer_group, p.valid_orders, p.eligible) x")


def consumer_steps(rb: ScoreRulebook, d: Dialect, end: int) -> list[Step]:
    """Consumer credit: integer facts per consumer, each component clamped, summed onto the base."""
    c = rb.consumer
    assert c is not None
    lo = end - c.window_days * DAY
    win = Window(lo, end)
    facts = {
        "signed_orders": "COALESCE(o.signed_orders, 0)",
        "account_age_30d": d.idiv(f"{end} - COALESCE(a.registered_at, o.first_paid_at, {end})", str(30 * DAY)),
        "refund_pct_over_25": ("CASE WHEN COALESCE(o.paid_orders, 0) = 0 THEN 0 ELSE GREATEST(0, "
                               + d.idiv("100 * COALESCE(k.refunded, 0)", "o.paid_orders") + " - 25) END"),
        "disputes_lost": "COALESCE(k.disputes_lost, 0)",
        "abuse_verdicts": "COALESCE(v.verdicts, 0)",
        "rejected_claims": "COALESCE(k.rejected, 0)",
    }
    comp_cols = [d.bigint(f"GREATEST({x.min}, LEAST({x.max}, {x.per_unit} * ({facts[x.fact]})))")
                 + f" AS {x.fact}_points" for x in c.components]
    fact_cols = [f"{d.bigint(sql)} AS {name}" for name, sql in facts.items()]
    total = " + ".join(f"{x.fact}_points" for x in c.components) or "0"
    return [
        Step("consumer_base", (
            "SELECT u.consumer_id, " + ", ".join(fact_cols + comp_cols) + " FROM ("
            f"SELECT consumer_id FROM orders WHERE {win.sql('paid_at')} UNION "
            f"SELECT consumer_id FROM abuse_verdicts WHERE {win.sql('decided_at')}) u "
            "LEFT JOIN (SELECT consumer_id, MIN(paid_at) AS first_paid_at, "
            f"SUM(CASE WHEN {win.sql('paid_at')} THEN 1 ELSE 0 END) AS paid_orders, "
            f"SUM(CASE WHEN {win.sql('signed_at')} THEN 1 ELSE 0 END) AS signed_orders "
            f"FROM orders WHERE paid_at < {end} GROUP BY consumer_id) o ON o.consumer_id = u.consumer_id "
            # Outcomes count once known: closed before the as-of (a Parquet export may hold later ones).
            f"LEFT JOIN (SELECT consumer_id, SUM(CASE WHEN refunded AND closed_at < {end} THEN 1 ELSE 0 END) "
            f"AS refunded, SUM(CASE WHEN consumer_at_fault AND closed_at < {end} THEN 1 ELSE 0 END) AS disputes_lost, "
            f"SUM(CASE WHEN final_state = 'closed' AND NOT refunded AND closed_at < {end} THEN 1 ELSE 0 END) "
            "AS rejected "
            f"FROM cases WHERE {win.sql('opened_at')} GROUP BY consumer_id) k ON k.consumer_id = u.consumer_id "
            f"LEFT JOIN (SELECT consumer_id, MIN(registered_at) AS registered_at FROM consumers GROUP BY consumer_id) "
            "a ON a.consumer_id = u.consumer_id "
            f"LEFT JOIN (SELECT consumer_id, COUNT(*) AS verdicts FROM abuse_verdicts WHERE {win.sql('decided_at')} "
            "GROUP BY consumer_id) v ON v.consumer_id = u.consumer_id")),
        Step("consumer_scores", (
            f"SELECT b.*, {d.bigint(f'GREATEST({c.min}, LEAST({c.max}, {c.base} + {total}))')} AS credit, "
            f"CASE WHEN GREATEST({c.min}, LEAST({c.max}, {c.base} + {total})) >= {c.trusted} THEN 'trusted' "
            f"WHEN GREATEST({c.min}, LEAST({c.max}, {c.base} + {total})) < {c.doubtful} THEN 'doubtful' "
            "ELSE 'normal' END AS band FROM consumer_base b")),
    ]


def all_steps(rb: ScoreRulebook, d: Dialect, end: int, *, subjects: tuple[str, ...] = ("merchant", "creator",
                                                                                         "consumer")) -> list[Step]:
    steps = subject_steps(rb, rb.merchant, d, end)
    if "creator" in subjects and rb.creator is not None:
        steps += subject_steps(rb, rb.creator, d, end)
    if "consumer" in subjects and rb.consumer is not None:
        steps += consumer_steps(rb, d, end)
    return steps


OUTPUTS = ("merchant_indicators", "merchant_dimensions", "merchant_scores", "creator_indicators",
           "creator_dimensions", "creator_scores", "consumer_scores")


DRILL_SIDES = ("num", "den", "miss")


def has_misses(ind: Indicator) -> bool:
    """Misses (denominator rows not fully counted) exist only when both parts read the same rows."""
    mp = parts_of(ind, DUCKDB, 0)
    return mp.num.table == mp.den.table and mp.num.at == mp.den.at


def drilldown_sql(rb: ScoreRulebook, rules: SubjectRules, indicator_id: str, side: str, subject_id: str,
                  d: Dialect, end: int, *, limit: int = 200, count: bool = False,
                  after: tuple[int, int, str] | None = None) -> str:
    """The rows behind one subject's indicator, by the same part expressions the score sums.

    ``num``: rows counted in the numerator (a negative review, a quality refund; for hours, the longest
    first). ``den``: rows in the denominator. ``miss``: denominator rows not fully in the numerator (a late
    collection, a chat not answered in time); only for measures whose two parts read the same table.
    """
    ind = rules.indicator(indicator_id)
    mp = parts_of(ind, d, rb.utc_offset_hours * 3600)
    part = mp.den if side in ("den", "miss") else mp.num
    where = f"({part.expr}) > 0"
    if side == "miss":
        if mp.num.table != mp.den.table or mp.num.at != mp.den.at:
            raise ValueError(f"{indicator_id}: misses need both parts on one table")
        where = f"({mp.den.expr}) > 0 AND ({mp.num.expr}) < ({mp.den.expr})"
    w = window_of(rules, ind, end)
    subj = SUBJECT_COLUMN[rules.subject]
    sid = subject_id.replace("'", "''")
    src = "creator_orders" if part.table == "orders" and rules.subject == "creator" else part.table
    base = f"FROM {src} WHERE {subj} = '{sid}' AND {part.where(w, end)} AND {where}"
    if count:
        return f"SELECT COUNT(*) AS n {base}"
    hours = mp.divisor == 3600
    order = f"({part.expr}) DESC, {part.at} DESC" if hours else f"{part.at} DESC"
    if after is not None:  # keyset: the rows after (contribution, at, ref) of the last row shown, in that order
        c, a, r = int(after[0]), int(after[1]), after[2].replace("'", "''")
        key = f"({part.at} < {a} OR ({part.at} = {a} AND {part.ref} > '{r}'))"
        base += f" AND (({part.expr}) < {c} OR (({part.expr}) = {c} AND {key}))" if hours else f" AND {key}"
    return f"SELECT *, ({part.expr}) AS contribution {base} ORDER BY {order}, {part.ref} LIMIT {int(limit)}"
