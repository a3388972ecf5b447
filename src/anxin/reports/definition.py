"""The one definition of every report figure: what it means (one line, English and Chinese), its unit, which
direction is better, and the SQL that computes it over the snapshot's fact tables (``facts.py``).

A figure's SQL answers rows ``(bucket, value)`` for one window ``[lo, hi)``: one row with bucket 0 for the
period's value, or one row per Beijing day (bucket = days since 1970-01-01) for the chart's series; no row when
nothing in the window counts (a count is then 0, a rate or a median has no value). Every figure reads only facts
known before its window's end (``hi``), so a month's figure is the same in its own report and as another month's
comparison, and recomputing a report from the same snapshot gives the same numbers.

The SQL is plain enough for DuckDB and Spark SQL alike: instants are epoch seconds, integer division is the one
dialect difference (``Dialect``), medians are the mean of the middle rows by ``ROW_NUMBER``, and every value is a
DOUBLE division of integer sums, which both engines round the same way. Pure: builds strings, runs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

DAY = 86_400
BEIJING_OFFSET = 8 * 3600
HOURS_48 = 48 * 3600
# The merchant's 3-minute reply rate, counted as the experience score counts it (RULES.md): sessions handed to a
# person between 08:00:00 and 22:59:59 Beijing time, answered by a person within 180 seconds.
REPLY_SECONDS = 180
SERVICE_FROM_MINUTE, SERVICE_TO_MINUTE = 8 * 60, 22 * 60 + 59


@dataclass(frozen=True)
class Dialect:
    name: str

    def idiv(self, a: str, b: str) -> str:
        return f"(({a}) // ({b}))" if self.name == "duckdb" else f"(({a}) div ({b}))"


DUCKDB, SPARK = Dialect("duckdb"), Dialect("spark")
DIALECTS = {"duckdb": DUCKDB, "spark": SPARK}


@dataclass(frozen=True)
class Q:
    """One window of one figure as SQL sees it: the bounds, and whether values go per day or in one bucket."""

    d: Dialect
    lo: int
    hi: int
    per_day: bool = False

    def w(self, col: str) -> str:
        return f"{col} >= {self.lo} AND {col} < {self.hi}"

    def b(self, col: str) -> str:
        if not self.per_day:
            return "CAST(0 AS BIGINT)"
        return f"CAST({self.d.idiv(f'{col} + {BEIJING_OFFSET}', str(DAY))} AS BIGINT)"


Build = Callable[[Q], str]


@dataclass(frozen=True)
class FigureDef:
    key: str
    en: str                      # the one-line definition
    zh: str
    unit: str                    # model.UNITS
    better: str                  # "up" | "down"
    sql: Build
    series: bool = False         # a daily series reads better than the number alone
    requires: tuple[str, ...] = ()  # optional fact tables it needs (care's)
    fallback: Build | None = None   # computed instead when a required table is absent
    empty: float | None = None   # the value when no row counts: 0 for counts and sums, none for rates and medians


@dataclass(frozen=True)
class UnsupportedDef:
    key: str
    en: str
    zh: str


# --- building blocks -----------------------------------------------------------------------------------------

def _rate(hit: str) -> str:
    """The share of the selected rows for which ``hit`` holds."""
    return f"CAST(SUM(CASE WHEN {hit} THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*)"


def _median_hours(q: Q, source: str) -> str:
    """The median of ``v`` (seconds) per bucket, in hours: the mean of the one or two middle rows."""
    mid1, mid2 = q.d.idiv("n + 1", "2"), q.d.idiv("n + 2", "2")
    return (f"SELECT bucket, AVG(CAST(v AS DOUBLE)) / 3600 AS value FROM ("
            "SELECT bucket, v, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY v) AS rn, "
            f"COUNT(*) OVER (PARTITION BY bucket) AS n FROM ({source}) s) m WHERE rn = {mid1} OR rn = {mid2} "
            "GROUP BY bucket")


def _per_1000_orders(q: Q, events: str) -> str:
    """``events`` (rows with a ``bucket``) per 1,000 orders paid in the same bucket."""
    return (f"SELECT o.bucket, CAST(1000 AS DOUBLE) * COALESCE(h.n, 0) / o.n AS value FROM ("
            f"SELECT {q.b('paid_at')} AS bucket, COUNT(*) AS n FROM orders WHERE {q.w('paid_at')} GROUP BY 1) o "
            f"LEFT JOIN (SELECT bucket, COUNT(*) AS n FROM ({events}) e GROUP BY bucket) h ON h.bucket = o.bucket")


def _abusive_consumers(q: Q) -> str:
    """Consumers judged abusive by the window's end: an operator confirmed a risk review of their claim or return,
    or a verdict found them in a fraud ring."""
    return ("SELECT consumer_id FROM risk_reviews WHERE state = 'confirmed' AND stage IN ('claim', 'return') "
            f"AND decided_at < {q.hi} AND consumer_id IS NOT NULL UNION "
            f"SELECT consumer_id FROM risk_verdicts WHERE ring_member AND decided_at < {q.hi} "
            "AND consumer_id IS NOT NULL")


# --- the figures ---------------------------------------------------------------------------------------------

def _malicious_users(q: Q) -> str:
    return (f"SELECT {q.b('decided_at')} AS bucket, CAST(COUNT(DISTINCT consumer_id) AS DOUBLE) AS value "
            "FROM risk_reviews WHERE state = 'confirmed' AND stage IN ('claim', 'return') "
            f"AND consumer_id IS NOT NULL AND {q.w('decided_at')} GROUP BY 1")


def _freight_risk(q: Q) -> str:
    held = f"freight_held_at IS NOT NULL AND freight_held_at < {q.hi}"
    return (f"SELECT {q.b('freight_claimed_at')} AS bucket, {_rate(held)} AS value FROM cases "
            f"WHERE freight_claim_fen > 0 AND {q.w('freight_claimed_at')} GROUP BY 1")


def _abuse_losses(q: Q) -> str:
    return (f"SELECT {q.b('settled_at')} AS bucket, CAST(SUM(refunded_fen + compensated_fen) AS DOUBLE) AS value "
            f"FROM cases WHERE {q.w('settled_at')} AND refunded_fen + compensated_fen > 0 "
            f"AND consumer_id IN ({_abusive_consumers(q)}) GROUP BY 1")


def _abuse_prevented(q: Q) -> str:
    return (f"SELECT {q.b('decided_at')} AS bucket, CAST(SUM(amount_fen) AS DOUBLE) AS value FROM risk_reviews "
            f"WHERE state = 'confirmed' AND stage IN ('claim', 'return') AND {q.w('decided_at')} GROUP BY 1")


def _merchant_tickets_hours(q: Q) -> str:
    return _median_hours(q, f"SELECT {q.b('resolved_at')} AS bucket, resolved_at - opened_at AS v FROM tickets "
                            f"WHERE channel = 'merchant' AND resolved_at >= opened_at AND {q.w('resolved_at')}")


def _merchant_appeals_hours(q: Q) -> str:
    return _median_hours(q, f"SELECT {q.b('decided_at')} AS bucket, decided_at - filed_at AS v FROM appeals "
                            "WHERE appellant_type = 'merchant' AND state IN ('upheld', 'rejected') "
                            f"AND decided_at >= filed_at AND {q.w('decided_at')}")


def _appeal_hours(q: Q) -> str:
    return _median_hours(q, f"SELECT {q.b('decided_at')} AS bucket, decided_at - filed_at AS v FROM appeals "
                            "WHERE state IN ('upheld', 'rejected') AND decided_at >= filed_at "
                            f"AND {q.w('decided_at')}")


def _ship_48h(q: Q) -> str:
    mark = f"paid_at + {HOURS_48}"
    return (f"SELECT {q.b(mark)} AS bucket, {_rate(f'shipped_at IS NOT NULL AND shipped_at <= {mark}')} AS value "
            f"FROM orders WHERE NOT presale AND {q.w(mark)} AND (cancelled_at IS NULL OR cancelled_at > {mark}) "
            "GROUP BY 1")


def _shipping_help(q: Q) -> str:
    return _per_1000_orders(q, (
        f"SELECT {q.b('filed_at')} AS bucket FROM complaints WHERE reason = 'delivery' AND {q.w('filed_at')} "
        f"UNION ALL SELECT {q.b('opened_at')} AS bucket FROM consultations WHERE topic = 'logistics' "
        f"AND {q.w('opened_at')}"))


def _shipping_problems(q: Q) -> str:
    return _per_1000_orders(q, (
        f"SELECT {q.b('found_at')} AS bucket FROM fulfilment_findings "
        f"WHERE kind IN ('late_shipment', 'parcel.stalled', 'parcel.exception') AND {q.w('found_at')}"))


def _ship_hours(q: Q) -> str:
    return (f"SELECT {q.b('shipped_at')} AS bucket, CAST(SUM(shipped_at - paid_at) AS DOUBLE) / COUNT(*) / 3600 "
            f"AS value FROM orders WHERE NOT presale AND shipped_at >= paid_at AND {q.w('shipped_at')} GROUP BY 1")


def _instant_refund(q: Q) -> str:
    return (f"SELECT {q.b('opened_at')} AS bucket, {_rate('instant')} AS value FROM cases "
            f"WHERE case_type = 'refund_only' AND NOT shipped_at_filing AND {q.w('opened_at')} GROUP BY 1")


def _negative_feedback(q: Q) -> str:
    return (f"SELECT {q.b('posted_at')} AS bucket, {_rate('rating <= 2')} AS value FROM reviews "
            f"WHERE {q.w('posted_at')} GROUP BY 1")


def _consultations(q: Q) -> str:
    return (f"SELECT {q.b('opened_at')} AS bucket, CAST(COUNT(*) AS DOUBLE) AS value FROM consultations "
            f"WHERE {q.w('opened_at')} GROUP BY 1")


def _merchants_served(q: Q) -> str:
    return (f"SELECT {q.b('opened_at')} AS bucket, CAST(COUNT(DISTINCT shop_id) AS DOUBLE) AS value "
            f"FROM consultations WHERE channel = 'merchant' AND shop_id IS NOT NULL AND {q.w('opened_at')} GROUP BY 1")


def _sampling_coverage(q: Q) -> str:
    return ("SELECT CAST(0 AS BIGINT) AS bucket, CAST(COUNT(s.shop_id) AS DOUBLE) / COUNT(*) AS value FROM "
            f"(SELECT DISTINCT shop_id FROM orders WHERE {q.w('paid_at')}) o LEFT JOIN "
            f"(SELECT DISTINCT shop_id FROM inspection_samples WHERE {q.w('drawn_at')}) s ON s.shop_id = o.shop_id "
            "GROUP BY 1")


def _listings_intercepted(q: Q) -> str:
    return (f"SELECT {q.b('checked_at')} AS bucket, CAST(COUNT(DISTINCT listing_id) AS DOUBLE) AS value "
            f"FROM listing_checks WHERE outcome = 'blocked' AND {q.w('checked_at')} GROUP BY 1")


def _risky_merchants(q: Q) -> str:
    return (f"SELECT {q.b('recorded_at')} AS bucket, CAST(COUNT(DISTINCT shop_id) AS DOUBLE) AS value "
            "FROM violations WHERE kind = 'risky_merchant' AND shop_id IS NOT NULL "
            f"AND (reversed_at IS NULL OR reversed_at >= {q.hi}) AND {q.w('recorded_at')} GROUP BY 1")


def _csat(q: Q) -> str:
    return (f"SELECT {q.b('rated_at')} AS bucket, CAST(SUM(rating) AS DOUBLE) / COUNT(*) AS value "
            f"FROM satisfaction WHERE {q.w('rated_at')} GROUP BY 1")


def _reply_3min(q: Q) -> str:
    minute = q.d.idiv(f"(opened_at + {BEIJING_OFFSET}) % {DAY}", "60")
    fast = f"first_reply_at IS NOT NULL AND first_reply_at - to_human_at <= {REPLY_SECONDS}"
    return (f"SELECT {q.b('opened_at')} AS bucket, {_rate(fast)} AS value FROM chats "
            f"WHERE to_human_at IS NOT NULL AND to_human_at + {REPLY_SECONDS} < {q.hi} "
            f"AND {minute} >= {SERVICE_FROM_MINUTE} AND {minute} <= {SERVICE_TO_MINUTE} AND {q.w('opened_at')} "
            "GROUP BY 1")


FIGURES: dict[str, FigureDef] = {f.key: f for f in (
    FigureDef("malicious_aftersales_users",
              "Consumers an operator confirmed as abusing after-sales (a risk review of a claim or return upheld), "
              "decided in the period.",
              "运营确认恶意售后（理赔或退货的风控复核被确认）的消费者人数，按确认时间计入当期。",
              "count", "down", _malicious_users, empty=0),
    FigureDef("freight_insurance_risk",
              "Share of return-freight insurance claims that risk control held for review, of the claims made "
              "(returns shipped) in the period.",
              "当期发起的退货运费险理赔（退货寄出）中，被风控拦截待复核的比例。",
              "share", "down", _freight_risk, series=True),
    FigureDef("extortion_gang_losses_fen",
              "Money paid out in the period (refunds and compensation) on claims of consumers judged abusive or "
              "found in a fraud ring by the end of the period: merchants' losses to extortion and gangs.",
              "当期向截至期末被认定为恶意或属于团伙的消费者支付的退款与赔付：商家因碰瓷和团伙造成的损失。",
              "fen", "down", _abuse_losses, series=True, empty=0),
    FigureDef("abuse_money_prevented_fen",
              "Money held back from claims and freight that operators confirmed as abuse in the period.",
              "当期经运营确认为恶意、未予支付的理赔与运费金额。",
              "fen", "up", _abuse_prevented, empty=0),
    FigureDef("merchant_resolution_hours",
              "Median hours from a merchant's problem being raised to its resolution: merchant-channel care "
              "tickets resolved in the period; merchants' appeals decided in the period while care publishes no "
              "tickets.",
              "商家问题从提出到解决的小时数中位数：当期解决的商家渠道客服工单；客服工单数据尚未发布时，取当期判定的商家申诉。",
              "hours", "down", _merchant_tickets_hours, requires=("tickets",), fallback=_merchant_appeals_hours),
    FigureDef("ship_48h_rate",
              "Share of orders (presale aside) shipped within 48 hours of payment, of those whose 48-hour mark "
              "fell in the period and were not cancelled before it.",
              "48小时发货率：48小时节点落在当期、且此前未取消的订单（预售除外）中，付款后48小时内发货的比例。",
              "share", "up", _ship_48h, series=True),
    FigureDef("shipping_help_per_1000_orders",
              "Shipping-problem help requests (delivery complaints and logistics consultations) in the period, "
              "per 1,000 orders paid in it.",
              "当期物流求助（物流相关投诉与物流类咨询）数，按每千笔当期支付订单计。",
              "per_1000_orders", "down", _shipping_help, series=True),
    FigureDef("shipping_problems_per_1000_orders",
              "Late shipments and stalled or failed parcels that fulfilment found in the period, per 1,000 orders "
              "paid in it.",
              "当期履约监测发现的延迟发货与物流停滞、异常包裹数，按每千笔当期支付订单计。",
              "per_1000_orders", "down", _shipping_problems, series=True),
    FigureDef("avg_ship_hours",
              "Average hours from payment to shipment of the orders (presale aside) shipped in the period.",
              "当期发货订单（预售除外）从付款到发货的平均小时数。",
              "hours", "down", _ship_hours, series=True),
    FigureDef("instant_refund_coverage",
              "Share of refund requests filed before shipment in the period that were refunded at once by the "
              "instant-refund guarantee (极速退款), without waiting for the merchant.",
              "当期发货前提出的仅退款申请中，由极速退款保障即时退款、无需等待商家处理的比例。",
              "share", "up", _instant_refund, series=True),
    FigureDef("negative_feedback_rate",
              "Share of reviews posted in the period with 2 stars or fewer.",
              "当期发布的评价中，2星及以下差评的比例。",
              "share", "down", _negative_feedback, series=True),
    FigureDef("consultations_served",
              "Consultations opened with customer care in the period, consumers' and merchants'.",
              "当期消费者与商家发起的客服咨询量。",
              "count", "up", _consultations, series=True, requires=("consultations",), empty=0),
    FigureDef("merchants_served",
              "Distinct merchants (shops) that consulted platform care in the period.",
              "当期向平台客服咨询的商家（店铺）数。",
              "count", "up", _merchants_served, requires=("consultations",), empty=0),
    FigureDef("appeal_resolution_hours",
              "Median hours from filing to decision of the appeals (merchants' and creators') decided in the period.",
              "当期判定的申诉（商家与达人）从提交到判定的小时数中位数。",
              "hours", "down", _appeal_hours),
    FigureDef("sampling_coverage",
              "Share of the shops that sold in the period with a listing drawn for a sampling inspection in it.",
              "当期有销售的店铺中，有商品被抽中质检的店铺比例。",
              "share", "up", _sampling_coverage),
    FigureDef("listings_intercepted",
              "Distinct listings the compliance check blocked in the period (forbidden claims, before they sell).",
              "当期被合规校验拦截（违禁宣称，售前拦截）的商品数。",
              "count", "up", _listings_intercepted, series=True, empty=0),
    FigureDef("risky_merchants_intercepted",
              "Distinct shops penalised as risky merchants (risk control's verdict) in the period and not cleared "
              "by its end.",
              "当期因风控判定为高风险商家而被处置、且期末前未被撤销的店铺数。",
              "count", "up", _risky_merchants, empty=0),
    FigureDef("csat",
              "Average satisfaction rating (1 to 5) given to closed care tickets in the period.",
              "当期已关闭客服工单收到的满意度评分（1至5分）平均值。",
              "score", "up", _csat, series=True, requires=("satisfaction",)),
    FigureDef("reply_3min_rate",
              "Share of merchant customer-service sessions handed to a person between 08:00 and 22:59 Beijing time "
              "in the period that a person answered within 3 minutes.",
              "3分钟回复率：当期北京时间08:00至22:59转人工的商家客服会话中，3分钟内人工回复的比例。",
              "share", "up", _reply_3min, series=True),
)}

# What the seed reports name and anxin's data cannot support: listed as such, never a number made up instead.
UNSUPPORTED: dict[str, UnsupportedDef] = {u.key: u for u in (
    UnsupportedDef("credential_scraping_rate",
                   "Credential scraping (−99.76 % in the seed report) is a share of all reads of merchants' "
                   "credentials; anxin records a verdict only for the readers it blocks or reviews, not every read, "
                   "so the share has no denominator.",
                   "资质信息爬取率（种子报告 −99.76%）是全部资质读取中的爬取占比；anxin 只记录被拦截或复核的读取者，"
                   "不记录每一次读取，无法计算分母。"),
    UnsupportedDef("false_efficacy_content",
                   "Videos taken down and live rooms penalised for false efficacy claims: anxin receives no video "
                   "or livestream content.",
                   "因虚假功效宣传下架的视频与处罚的直播间：anxin 不接收视频与直播内容。"),
    UnsupportedDef("freight_insurance_cost",
                   "Return-freight insurance premiums merchants saved: anxin records the freight claims, not the "
                   "premiums merchants pay.",
                   "商家节省的退货运费险保费：anxin 记录运费理赔，不记录商家支付的保费。"),
    UnsupportedDef("quality_creator_traffic",
                   "Traffic won by quality creators: anxin sees creators' sales and reputation, not traffic.",
                   "优质达人获得的流量：anxin 掌握达人的销售与口碑，不掌握流量数据。"),
)}

# Why a figure whose care facts are missing is not computed.
MISSING_FACTS = UnsupportedDef(
    "", "Not computable: the care context publishes no {tables} facts for this snapshot yet.",
    "无法计算：客服上下文尚未为本次快照发布 {tables} 数据。")


def missing_reason(figure: FigureDef, absent: Iterable[str]) -> str:
    return MISSING_FACTS.en.format(tables=", ".join(t for t in figure.requires if t in set(absent)))


def chosen_sql(figure: FigureDef, available: Iterable[str]) -> Build | None:
    """The SQL to run given the optional tables the snapshot holds: the figure's own, its fallback, or none."""
    have = set(available)
    if all(t in have for t in figure.requires):
        return figure.sql
    return figure.fallback


def figure_union(parts: Iterable[tuple[str, str, str]]) -> str:
    """One statement answering ``(figure, win, bucket, value)`` for every (figure key, window name, SQL) given:
    one query per report, one job on Spark."""
    selects = [f"SELECT '{key}' AS figure, '{win}' AS win, CAST(bucket AS BIGINT) AS bucket, "
               f"CAST(value AS DOUBLE) AS value FROM ({sql}) f{i}" for i, (key, win, sql) in enumerate(parts)]
    return " UNION ALL ".join(selects)
