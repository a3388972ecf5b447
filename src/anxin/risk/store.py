"""Risk rows: account links, evidence hashes and their uses, verdicts, the review queue, the audit log,
decaying velocity counters and banned merchant credentials."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, table

# SQLite only autoincrements an INTEGER PRIMARY KEY; elsewhere a BIGINT identity.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class LinkRow(Base):
    """An account (or shop) seen with an attribute value: the edges of the ring graph."""

    __tablename__ = "risk_links"
    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)  # processes catch up by it
    subject: Mapped[str] = mapped_column(sa.String(80))  # consumer:c1 | shop:s1
    kind: Mapped[str] = mapped_column(sa.String(24))
    value: Mapped[str] = mapped_column(sa.String(128))
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(sa.String(80))  # the event (or case) that first showed it
    __table_args__ = (sa.UniqueConstraint("subject", "kind", "value"),
                      sa.Index("ix_risk_links_value", "kind", "value"))


class EvidenceHashRow(Base):
    """The perceptual hash of each evidence image; ``seq`` lets every process catch its index up cheaply."""

    __tablename__ = "risk_evidence_hashes"
    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    phash: Mapped[int] = mapped_column(sa.BigInteger)  # the 64 bits as a signed integer
    uploaded_by: Mapped[str] = mapped_column(sa.String(140))
    at: Mapped[dt.datetime]


class EvidenceUseRow(Base):
    """Evidence cited in a case: who filed it against which shop, so a near-duplicate names accounts and shops."""

    __tablename__ = "risk_evidence_uses"
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.String(64))
    consumer_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime]


class VerdictRow(Base):
    __tablename__ = "risk_verdicts"
    verdict_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    stage: Mapped[str] = mapped_column(sa.String(16))  # claim | return | onboarding
    subject: Mapped[str] = mapped_column(sa.String(80), index=True)  # case:as_… | shop:s1
    case_id: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    consumer_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    shop_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    outcome: Mapped[str] = mapped_column(sa.String(8))  # pass | review | block (what was enforced)
    would_be: Mapped[str] = mapped_column(sa.String(8))  # with shadow rules live too
    score: Mapped[int]
    mode: Mapped[str] = mapped_column(sa.String(8))  # enforce | shadow | off
    rulebook_version: Mapped[str] = mapped_column(sa.String(40))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    shadow: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    signals: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    decided_at: Mapped[dt.datetime] = mapped_column(index=True)


class ReviewRow(Base):
    """A verdict waiting for an operator: the queue, its SLA and the decision."""

    __tablename__ = "risk_reviews"
    review_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    verdict_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    stage: Mapped[str] = mapped_column(sa.String(16))
    case_id: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    consumer_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    shop_id: Mapped[str | None] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(8))  # the verdict under review: review | block
    priority: Mapped[int]  # 0 = most urgent
    state: Mapped[str] = mapped_column(sa.String(12), index=True)  # open | cleared | confirmed | withdrawn
    opened_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(140))
    decision_reason: Mapped[str | None] = mapped_column(sa.String(40))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class AuditRow(Base):
    __tablename__ = "risk_audit"
    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(sa.String(140))
    action: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(80), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class CounterRow(Base):
    """A velocity counter with exponential decay: ``value`` as of ``at``; reading it decays it to now."""

    __tablename__ = "risk_counters"
    key: Mapped[str] = mapped_column(sa.String(140), primary_key=True)
    value: Mapped[float] = mapped_column(sa.Float)
    at: Mapped[dt.datetime]


class BanRow(Base):
    """A banned shop's credentials: a new shop sharing one is flagged at onboarding."""

    __tablename__ = "risk_bans"
    shop_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    banned_at: Mapped[dt.datetime]
    banned_by: Mapped[str] = mapped_column(sa.String(140))
    lifted_at: Mapped[dt.datetime | None]


class RuleStateRow(Base):
    """Operator overrides of a rule's status (live | shadow | off) on top of the rulebook file, and draft
    rules operators proposed (``definition`` set): those start in shadow and go live only after a backtest."""

    __tablename__ = "risk_rule_states"
    rule_id: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(8))
    changed_at: Mapped[dt.datetime]
    changed_by: Mapped[str] = mapped_column(sa.String(140))
    backtest: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    definition: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


@dataclass(frozen=True)
class PastClaim:
    decided_at: dt.datetime
    shop_id: str
    refund_without_return: bool  # refund-only on a delivered order
    reason: str = ""


def _upsert_links(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new links, move ``last_seen_at`` forward on known ones; portable across SQLite and PostgreSQL."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert = (postgresql.insert(LinkRow) if dialect == "postgresql"
                                               else sqlite.insert(LinkRow))
    stmt = stmt.on_conflict_do_update(
        index_elements=["subject", "kind", "value"],
        set_={"last_seen_at": sa.func.max(LinkRow.last_seen_at, stmt.excluded.last_seen_at)
              if dialect != "postgresql" else sa.func.greatest(LinkRow.last_seen_at, stmt.excluded.last_seen_at)})
    # One row per key per statement: PostgreSQL refuses to update the same row twice in one upsert.
    unique: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["subject"], row["kind"], row["value"])
        old = unique.get(key)
        if old is None or row["last_seen_at"] > old["last_seen_at"]:
            unique[key] = row if old is None else {**row, "first_seen_at": min(old["first_seen_at"],
                                                                               row["first_seen_at"])}
    session.execute(stmt, list(unique.values()))


class SignalRepository:
    """What the verdict path reads and writes on every request: identity links, evidence hashes and their uses,
    past claims and the decaying counters."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_links(self, rows: Sequence[dict[str, Any]]) -> None:
        _upsert_links(self.session, rows)

    def links_of(self, subject: str) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.session.execute(sa.select(LinkRow.kind, LinkRow.value)
                                                        .where(LinkRow.subject == subject))]

    def sharing(self, pairs: Sequence[tuple[str, str]], *, max_degree: int) -> list[tuple[str, str, str]]:
        """(subject, kind, value) of everyone seen with one of these values, skipping values held by more than
        ``max_degree`` subjects (hubs such as a campus address link nobody)."""
        if not pairs:
            return []
        cond = sa.or_(*[sa.and_(LinkRow.kind == k, LinkRow.value == v) for k, v in pairs])
        hubs = {(k, v) for k, v in self.session.execute(sa.select(LinkRow.kind, LinkRow.value).where(cond)
                                                        .group_by(LinkRow.kind, LinkRow.value)
                                                        .having(sa.func.count() > max_degree))}
        keep = [p for p in pairs if p not in hubs]
        if not keep:
            return []
        cond = sa.or_(*[sa.and_(LinkRow.kind == k, LinkRow.value == v) for k, v in keep])
        return [(s, k, v) for s, k, v in self.session.execute(
            sa.select(LinkRow.subject, LinkRow.kind, LinkRow.value).where(cond))]

    def _run(self, stmt: sa.Executable, **params: Any) -> sa.CursorResult[*tuple[Any, ...]]:
        """A prepared statement on the session's connection: the verdict path's reads, without the ORM's
        per-call statement building (its pending objects are not needed there)."""
        return self.session.connection().execute(stmt, params)

    def watermarks(self) -> tuple[int, int, int]:
        """The newest evidence hash, link and rule change (audit seq): one cheap query tells a process whether
        its in-memory copies are current."""
        h, link, rule = self._run(_WATERMARKS).one()
        return h or 0, link or 0, rule or 0

    def links_after(self, seq: int, *, limit: int = 200_000) -> list[tuple[int, str, str, str]]:
        return [(s, subject, kind, value) for s, subject, kind, value in self._run(_LINKS_AFTER, seq=seq, n=limit)]

    def add_hash(self, sha256: str, phash: int, uploaded_by: str, at: dt.datetime) -> bool:
        if self.session.scalar(sa.select(EvidenceHashRow.seq).where(EvidenceHashRow.sha256 == sha256)) is not None:
            return False
        self.session.add(EvidenceHashRow(sha256=sha256, phash=to_signed(phash), uploaded_by=uploaded_by, at=at))
        return True

    def hashes_after(self, seq: int, *, limit: int = 200_000) -> list[tuple[int, str, int, str]]:
        return [(s, sha, to_unsigned(p), who) for s, sha, p, who in self._run(_HASHES_AFTER, seq=seq, n=limit)]

    def hash_of(self, sha256: str) -> int | None:
        value = self.session.scalar(sa.select(EvidenceHashRow.phash).where(EvidenceHashRow.sha256 == sha256))
        return None if value is None else to_unsigned(value)

    def uploaders(self, hashes: Iterable[str]) -> dict[str, str]:
        hashes = list(hashes)
        if not hashes:
            return {}
        return {sha: who for sha, who in self.session.execute(
            sa.select(EvidenceHashRow.sha256, EvidenceHashRow.uploaded_by).where(EvidenceHashRow.sha256.in_(hashes)))}

    def add_uses(self, case_id: str, order_id: str, consumer_id: str, shop_id: str, hashes: Iterable[str],
                 at: dt.datetime) -> None:
        """Once per new case (its id is new, so these rows are too)."""
        self.session.add_all(EvidenceUseRow(sha256=sha, case_id=case_id, order_id=order_id, consumer_id=consumer_id,
                                            shop_id=shop_id, at=at) for sha in dict.fromkeys(hashes))

    def uses(self, hashes: Iterable[str]) -> list[EvidenceUse]:
        hashes = list(hashes)
        if not hashes:
            return []
        return [EvidenceUse(*row) for row in self._run(_USES, shas=hashes)]

    def claims_since(self, consumer_id: str, since: dt.datetime) -> list[PastClaim]:
        rows = self._run(_CLAIMS_SINCE, consumer=consumer_id, since=since)
        return [PastClaim(at, shop or "", facts.get("case_type") == "refund_only"
                          and facts.get("hours_since_delivery", -1) >= 0, str(facts.get("reason", "")))
                for at, shop, facts in rows]

    def confirmed_count(self, consumer_ids: Sequence[str]) -> dict[str, int]:
        if not consumer_ids:
            return {}
        return {c: n for c, n in self._run(_CONFIRMED, ids=list(consumer_ids)) if c is not None}

    def claims_page(self, after: str, *, limit: int = 100_000) -> list[tuple[str, str, str, str, dt.datetime]]:
        """Claim verdicts by verdict id after ``after``: (verdict id, case, consumer, shop, decided at); the ring
        batch pass reads them all, a page at a time."""
        rows = self.session.execute(
            sa.select(VerdictRow.verdict_id, VerdictRow.consumer_id, VerdictRow.shop_id, VerdictRow.decided_at,
                      VerdictRow.case_id)
            .where(VerdictRow.stage == "claim", VerdictRow.verdict_id > after)
            .order_by(VerdictRow.verdict_id).limit(limit))
        return [(v, case or "", c or "", s or "", at) for v, c, s, at, case in rows]

    def count_claims(self, since: dt.datetime, until: dt.datetime) -> int:
        return self.session.scalar(sa.select(sa.func.count()).select_from(VerdictRow).where(
            VerdictRow.stage == "claim", VerdictRow.decided_at >= since, VerdictRow.decided_at < until)) or 0

    def bump_counter(self, key: str, at: dt.datetime, step: Callable[[float, dt.datetime], float]) -> float:
        """Read the counter (locked on PostgreSQL), let ``step`` decay it to ``at`` and add the new event, write
        it back; the new value. Two prepared statements, no ORM object."""
        conn = self.session.connection()
        pg = conn.dialect.name == "postgresql"
        row = conn.execute(_COUNTER_LOCK if pg else _COUNTER, {"key": key}).first()
        value = step(0.0, at) if row is None else step(row[0], row[1])
        stamp = at if row is None else max(at, row[1])
        conn.execute(_upsert_counter(pg), {"key": key, "value": value, "at": stamp})
        return value

    def bump_decaying(self, key: str, at: dt.datetime, half_life_hours: float) -> float:
        """``bump_counter`` with ``step = 1 + decay(value, hours since, half_life)`` (``model.decay``) done by the
        database in the upsert itself: one statement, and the row is changed atomically (no read, no lock)."""
        pg = self.session.get_bind().dialect.name == "postgresql"
        value = self.session.connection().execute(_decaying_upsert(pg), {
            "key": key, "at": at, "half": float(half_life_hours)}).scalar_one()
        return float(value)

    def count_counters(self, prefix: str, since: dt.datetime) -> int:
        """Counters under a key prefix touched since ``since`` (a range on the primary key, not LIKE)."""
        return self.session.scalar(sa.select(sa.func.count()).select_from(CounterRow).where(
            CounterRow.key >= prefix, CounterRow.key < prefix + "\uffff", CounterRow.at >= since)) or 0


class VerdictLog:
    """What a verdict writes in the caller's transaction: the verdict, the review it opens, the audit line (the
    operators' side reads them through ``review_store.VerdictRepository``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_verdict(self, row: VerdictRow) -> None:
        self.session.add(row)

    def add_review(self, row: ReviewRow) -> None:
        self.session.add(row)

    def audit(self, at: dt.datetime, actor: str, action: str, subject: str, detail: dict[str, Any]) -> None:
        self.session.add(AuditRow(at=at, actor=actor, action=action, subject=subject, detail=detail))


class RuleStateRepository:
    """Operators' rule changes (status, drafts) over the rulebook's defaults."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _run(self, stmt: sa.Executable, **params: Any) -> sa.CursorResult[*tuple[Any, ...]]:
        """A prepared statement on the session's connection: the verdict path's reads, without the ORM's
        per-call statement building (its pending objects are not needed there)."""
        return self.session.connection().execute(stmt, params)

    def rule_states(self) -> list[RuleStateRow]:
        return list(self.session.scalars(sa.select(RuleStateRow).order_by(RuleStateRow.rule_id)))

    def rule_statuses(self) -> list[tuple[str, str, dt.datetime, bool]]:
        """(rule_id, status, changed_at, is a draft): what every verdict reads, without loading definitions."""
        return [(r, st, at, d) for r, st, at, d in self._run(_RULE_STATUSES)]

    def rule_state(self, rule_id: str) -> RuleStateRow | None:
        return self.session.get(RuleStateRow, rule_id)

    def set_rule_state(self, row: RuleStateRow) -> None:
        self.session.merge(row)


@dataclass(frozen=True)
class EvidenceUse:
    sha256: str
    case_id: str
    order_id: str
    consumer_id: str
    shop_id: str
    at: dt.datetime


# Built once: the verdict path runs these on every request.
_LINKS_AFTER = (sa.select(LinkRow.seq, LinkRow.subject, LinkRow.kind, LinkRow.value)
                .where(LinkRow.seq > sa.bindparam("seq")).order_by(LinkRow.seq).limit(sa.bindparam("n")))
_HASHES_AFTER = (sa.select(EvidenceHashRow.seq, EvidenceHashRow.sha256, EvidenceHashRow.phash,
                           EvidenceHashRow.uploaded_by)
                 .where(EvidenceHashRow.seq > sa.bindparam("seq")).order_by(EvidenceHashRow.seq)
                 .limit(sa.bindparam("n")))
_USES = (sa.select(EvidenceUseRow.sha256, EvidenceUseRow.case_id, EvidenceUseRow.order_id, EvidenceUseRow.consumer_id,
                   EvidenceUseRow.shop_id, EvidenceUseRow.at)
         .where(EvidenceUseRow.sha256.in_(sa.bindparam("shas", expanding=True))).order_by(EvidenceUseRow.at))
_CLAIMS_SINCE = sa.select(VerdictRow.decided_at, VerdictRow.shop_id, VerdictRow.facts).where(
    VerdictRow.consumer_id == sa.bindparam("consumer"), VerdictRow.stage == "claim",
    VerdictRow.decided_at >= sa.bindparam("since"))
_CONFIRMED = (sa.select(ReviewRow.consumer_id, sa.func.count())
              .where(ReviewRow.state == "confirmed", ReviewRow.consumer_id.in_(sa.bindparam("ids", expanding=True)))
              .group_by(ReviewRow.consumer_id))
_COUNTER = sa.select(CounterRow.value, CounterRow.at).where(CounterRow.key == sa.bindparam("key"))
_COUNTER_LOCK = _COUNTER.with_for_update()
_UPSERTS: dict[bool, sa.Executable] = {}


_DECAYING: dict[bool, sa.Executable] = {}


def _decaying_upsert(pg: bool) -> sa.Executable:
    """1 for a new key; else the stored value decayed by half per ``half`` hours since its time (not if ``at`` is
    not later: events arrive out of order), plus 1, stamped with the later time. Returns the new value."""
    if pg not in _DECAYING:
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        t = table(CounterRow)
        at = sa.bindparam("at", type_=CounterRow.at.type)
        half = sa.bindparam("half", type_=sa.Float)
        if pg:
            hours = sa.extract("epoch", at - t.c.at) / 3600.0
        else:
            hours = (sa.func.julianday(at) - sa.func.julianday(t.c.at)) * 24.0
        later = at > t.c.at
        stmt = (pg_insert if pg else sqlite_insert)(t).values(key=sa.bindparam("key"), value=1.0, at=at)
        _DECAYING[pg] = stmt.on_conflict_do_update(index_elements=["key"], set_={
            "value": 1.0 + sa.case((later, t.c.value * sa.func.power(0.5, hours / half)), else_=t.c.value),
            "at": sa.case((later, at), else_=t.c.at)}).returning(t.c.value)
    return _DECAYING[pg]


def _upsert_counter(pg: bool) -> sa.Executable:
    if pg not in _UPSERTS:
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = (pg_insert if pg else sqlite_insert)(CounterRow).values(
            key=sa.bindparam("key"), value=sa.bindparam("value"), at=sa.bindparam("at"))
        _UPSERTS[pg] = stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value,
                                                                               "at": stmt.excluded.at})
    return _UPSERTS[pg]


_WATERMARKS = sa.select(
    sa.select(sa.func.max(EvidenceHashRow.seq)).scalar_subquery(),
    sa.select(sa.func.max(LinkRow.seq)).scalar_subquery(),
    sa.select(sa.func.max(AuditRow.seq)).where(AuditRow.subject >= "rule:", AuditRow.subject < "rule;")
    .scalar_subquery())


def to_signed(h: int) -> int:
    return h - (1 << 64) if h >= 1 << 63 else h


def to_unsigned(h: int) -> int:
    return h + (1 << 64) if h < 0 else h


_RULE_STATUSES = sa.select(RuleStateRow.rule_id, RuleStateRow.status, RuleStateRow.changed_at,
                           RuleStateRow.definition.is_not(None))
