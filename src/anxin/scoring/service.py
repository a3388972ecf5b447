"""Scoring use cases: the nightly run (any engine, database or Parquet), reports, diagnosis, credit, deductions.

The run reads the canonical facts, runs the one definition on the chosen engine and replaces the day's
snapshots in one transaction (re-running a date is idempotent). Reports read snapshots; the on-demand
score and the drill-down run the same definition on DuckDB over the facts read from the database now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anxin.access.service import require_role
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db import refcache
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.jobs.service import JobFailures
from anxin.scoring.definition import (
    DRILL_SIDES,
    OUTPUTS,
    all_steps,
    drilldown_sql,
    has_misses,
    parts_of,
    subject_steps,
    window_of,
)
from anxin.scoring.engines import ENGINES, ScoringEngine, make_engine, parquet_paths
from anxin.scoring.error_codes import ScoringErrorCode as E
from anxin.scoring.facts import FactSource
from anxin.scoring.model import ScoreReport, Suggestion, drill_side, report_from_snapshot, snapshot_detail, suggest
from anxin.scoring.rulebook import ScoreRulebook, SubjectRules, load_score_rulebook
from anxin.scoring.store import SNAPSHOT_TABLES, ScoreRepository
from anxin.scoring.store import export_deductions_query as export_deductions_query  # analytics exports
from anxin.shops import service as shops

SOURCES = ("db", "parquet")
NIGHTLY_JOB = "scoring.nightly"  # a failing night in job_failures, by day
MARGIN_DAYS = 30  # orders paid this long before a window opens can still be signed or collected inside it


@dataclass(frozen=True)
class RunSummary:
    as_of: dt.date
    engine: str
    source: str
    rulebook_version: str
    counts: dict[str, int]
    facts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "engine": self.engine, "source": self.source,
                "rulebook_version": self.rulebook_version, "counts": self.counts, "facts": self.facts}


@dataclass(frozen=True)
class CreditReport:
    consumer_id: str
    as_of: dt.date
    credit: int
    band: str
    components: dict[str, int]
    facts: dict[str, int]
    rulebook_version: str

    def as_dict(self) -> dict[str, Any]:
        return {"consumer_id": self.consumer_id, "as_of": self.as_of.isoformat(), "credit": self.credit,
                "band": self.band, "components": self.components, "facts": self.facts,
                "rulebook_version": self.rulebook_version}


@dataclass(frozen=True)
class Drilldown:
    indicator_id: str
    side: str
    total: int
    rows: list[dict[str, Any]]
    suggestion: Suggestion | None
    window: tuple[int, int] = (0, 0)  # epoch seconds [from, to) of the indicator's window
    at: str = ""  # the rows' instant and id columns: with ``contribution``, a row's place in the order
    ref: str = ""


# Where a page of drill-down rows ended: the last row's (contribution, at, ref) in epoch seconds and its id.
DrillKey = tuple[int, int, str]


def parse_day(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise AnxinError(E.INVALID_DATE, f"not a date (YYYY-MM-DD): {value!r}", value=str(value)) from None


# --- what the merchants context reads and clears, in the caller's unit of work ----------------------------------

def latest_shop_score(uow: UnitOfWork, shop_id: str) -> int | None:
    """The shop's latest experience score in hundredths, None while it is not scored (too few orders)."""
    row = ScoreRepository(uow.session).snapshot("merchant", shop_id)
    return row.score_x100 if row is not None and row.eligible else None


def latest_shop_score_as_of(uow: UnitOfWork, shop_id: str) -> tuple[int | None, dt.date | None]:
    """The shop's latest experience score (None while not scored) and the day of that snapshot (None: never run):
    what the selection pool's score badge says."""
    row = ScoreRepository(uow.session).snapshot("merchant", shop_id)
    if row is None:
        return None, None
    return (row.score_x100 if row.eligible else None), row.as_of


def creator_scores(uow: UnitOfWork, creator_ids: list[str]) -> dict[str, int | None]:
    """Each creator's latest reputation score in hundredths (3.00-5.00 is 300-500); None when the latest snapshot
    does not score them (too few orders) or there is none: merchants' matchmaking."""
    found = ScoreRepository(uow.session).latest_of("creator", list(dict.fromkeys(creator_ids)))
    return {cid: (row.score_x100 if (row := found.get(cid)) is not None and row.eligible else None)
            for cid in creator_ids}


def active_deductions(uow: UnitOfWork, shop_id: str, *, at: dt.datetime) -> int:
    """Deductions in force at ``at`` (not revoked, not expired): merchants reads them as open serious violations."""
    return sum(1 for r in ScoreRepository(uow.session).deductions_for(shop_id) if r.revoked_at is None
               and r.effective_at <= at and (r.expires_at is None or r.expires_at > at))


def revoke_active_deductions(uow: UnitOfWork, shop_id: str, *, actor: str, at: dt.datetime) -> int:
    """A shop transfer whose rulebook resets violation points clears them; how many were revoked."""
    revoked = 0
    for r in ScoreRepository(uow.session).deductions_for(shop_id):
        if r.revoked_at is None and (r.expires_at is None or r.expires_at > at):
            r.revoked_at, r.revoked_by = at, actor
            revoked += 1
    return revoked


class ScoringService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, facts: FactSource,
                 rules: ScoreRulebook | None = None) -> None:
        self.uow_factory, self.clock, self.facts = uow_factory, clock, facts
        self.rules = rules or load_score_rulebook()

    # --- the run ---------------------------------------------------------------------------------------------

    def today(self) -> dt.date:
        return self.clock.now().astimezone(dt.timezone(self.rules.utc_offset)).date()

    def reach_days(self) -> int:
        """How far back any window reaches (plus the margin for orders paid before their window)."""
        rb, days = self.rules, 0
        for rules in (rb.merchant, rb.creator):
            if rules is not None:
                days = max(days, *(i.lag_days + rules.window_days for i in rules.indicators))
        if rb.consumer is not None:
            days = max(days, rb.consumer.window_days)
        return days + MARGIN_DAYS

    def facts_from_db(self, end: int, *, shop_ids: list[str] | None = None,
                      progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        until = dt.datetime.fromtimestamp(end, dt.UTC)
        since = until - dt.timedelta(days=self.reach_days())
        return self.facts.read(since=since, until=until, shop_ids=shop_ids, progress=progress)

    def _load(self, engine: ScoringEngine, source: str, path: Path | None, end: int,
              progress: Callable[[str], None] | None) -> dict[str, int]:
        if source == "parquet":
            if path is None or not Path(path).exists():
                raise AnxinError(E.SOURCE_NOT_FOUND, f"no Parquet export at {path}", path=str(path))
            if parquet_paths(Path(path))["orders"] is None:
                raise AnxinError(E.SOURCE_INVALID, f"{path} has no orders.parquet (or orders/ folder of parts)",
                                 path=str(path))
            try:
                engine.load_parquet(Path(path))
                return {"orders": int(engine.query("SELECT COUNT(*) AS n FROM orders").column(0)[0].as_py())}
            except Exception as exc:  # a corrupt or foreign file: say so, write nothing
                raise AnxinError(E.SOURCE_INVALID, f"cannot read the Parquet export: {exc}", path=str(path)) from exc
        tables = self.facts_from_db(end, progress=progress)
        engine.load_arrow(tables)
        return {name: t.num_rows for name, t in tables.items()}

    def run(self, as_of: object, *, engine: str = "duckdb", source: str = "db", path: Path | None = None,
            progress: Callable[[str], None] | None = None, engine_options: dict[str, Any] | None = None
            ) -> RunSummary:
        """Score every merchant, creator and consumer as of a local date; replaces that date's snapshots."""
        day = parse_day(as_of)
        if day > self.today() + dt.timedelta(days=1):
            raise AnxinError(E.FUTURE_DATE, f"{day} is in the future (today is {self.today()})", as_of=str(day))
        if engine not in ENGINES:
            raise AnxinError(E.UNKNOWN_ENGINE, f"unknown engine {engine!r}: one of {list(ENGINES)}", engine=engine)
        if source not in SOURCES:
            raise AnxinError(E.SOURCE_INVALID, f"unknown source {source!r}: one of {list(SOURCES)}", source=source)
        end = self.rules.day_end(day)
        try:
            eng = make_engine(engine, **(engine_options or {}))
        except Exception as exc:  # no Java, no pyspark, no cluster
            raise AnxinError(E.ENGINE_UNAVAILABLE, f"cannot start {engine}: {exc}", engine=engine) from exc
        try:
            facts = self._load(eng, source, path, end, progress)
            steps = all_steps(self.rules, eng.dialect, end)
            eng.run(steps, (lambda s: progress(f"step {s.name}")) if progress else None)
            results = {name: eng.fetch(name).to_pylist() for name in OUTPUTS if any(s.name == name for s in steps)}
        finally:
            eng.close()
        snapshots = list(self._snapshots(day, results))
        counts = {k: sum(1 for s in snapshots if s["subject_kind"] == k) for k in ("merchant", "creator", "consumer")}
        counts["merchants_scored"] = sum(1 for s in snapshots if s["subject_kind"] == "merchant" and s["eligible"])
        label = "db" if source == "db" else f"parquet:{path}"
        with self.uow_factory() as uow:
            ScoreRepository(uow.session).replace_day(
                {"as_of": day, "rulebook_version": self.rules.version, "engine": engine, "source": label[:300],
                 "ran_at": self.clock.now(), "counts": {**counts, "facts": facts}}, snapshots)
            uow.commit()
        return RunSummary(day, engine, label, self.rules.version, counts, facts)

    def run_due(self) -> RunSummary | None:
        """The nightly job: score today if no run has (the server calls this from its periodic tick). A run that
        raises is recorded in job_failures and tried again with backoff, not on every tick."""
        today = self.today()
        latest = self._latest_day()
        if latest is not None and latest >= today:
            return None
        run = JobFailures(uow_factory=self.uow_factory, clock=self.clock).start(NIGHTLY_JOB)
        day = today.isoformat()
        if run.waiting(day):
            return None
        summary = None
        with run.item(day):
            summary = self.run(today)
            run.succeeded([d for d in run.known if d != day])  # earlier nights that failed: superseded by this one
        return summary

    def _snapshots(self, day: dt.date, results: dict[str, list[dict[str, Any]]]) -> Any:
        version = self.rules.version
        for kind in ("merchant", "creator"):
            if f"{kind}_scores" not in results:
                continue
            dims: dict[str, list[dict[str, Any]]] = {}
            for d in results[f"{kind}_dimensions"]:
                dims.setdefault(d["subject_id"], []).append(d)
            inds: dict[str, list[dict[str, Any]]] = {}
            for i in results[f"{kind}_indicators"]:
                inds.setdefault(i["subject_id"], []).append(i)
            for s in results[f"{kind}_scores"]:
                sid = s["subject_id"]
                yield {"as_of": day, "subject_kind": kind, "subject_id": sid, "rulebook_version": version,
                       "eligible": bool(s["eligible"]), "score_x100": s["total_x100"], "band": None,
                       "detail": snapshot_detail(s, dims.get(sid, []), inds.get(sid, []))}
        for c in results.get("consumer_scores", []):
            comps = {k.removesuffix("_points"): int(v) for k, v in c.items() if k.endswith("_points")}
            facts = {k: int(v) for k, v in c.items() if k not in ("consumer_id", "credit", "band")
                     and not k.endswith("_points")}
            yield {"as_of": day, "subject_kind": "consumer", "subject_id": c["consumer_id"],
                   "rulebook_version": version, "eligible": True, "score_x100": int(c["credit"]), "band": c["band"],
                   "detail": {"components": comps, "facts": facts}}

    # --- reading -----------------------------------------------------------------------------------------------

    def visible_shop(self, who: Principal, shop_id: str) -> None:
        """Operators and the platform see every shop, a merchant their own; anyone else gets shop_not_found."""
        with self.uow_factory() as uow:
            shop = shops.get_shop(uow, shop_id)
        if shop is None or not (who.role in (Role.OPERATOR, Role.PLATFORM) or (
                who.role is Role.MERCHANT and shop.merchant_id == who.subject)):
            raise AnxinError(E.SHOP_NOT_FOUND, f"no shop {shop_id!r} visible to this key", shop_id=shop_id)

    def _subject_rules(self, kind: str) -> SubjectRules:
        rules = self.rules.merchant if kind == "merchant" else self.rules.creator
        if rules is None:
            raise AnxinError(E.SUBJECT_NOT_FOUND, f"this rulebook does not score {kind}s")
        return rules

    def report(self, kind: str, subject_id: str, as_of: object = None) -> ScoreReport | None:
        rules = self._subject_rules(kind)
        with self.uow_factory() as uow:
            row = ScoreRepository(uow.session).snapshot(kind, subject_id, parse_day(as_of) if as_of else None)
            if row is None:
                return None
            return report_from_snapshot(self.rules, rules, kind, subject_id, row.as_of, row.rulebook_version,
                                        row.eligible, row.score_x100, row.detail)

    def shop_report(self, who: Principal, shop_id: str, as_of: object = None) -> ScoreReport:
        self.visible_shop(who, shop_id)
        report = self.report("merchant", shop_id, as_of)
        if report is None:
            raise AnxinError(E.NO_SNAPSHOT, f"shop {shop_id!r} has no score yet: run `anxin score`", shop_id=shop_id)
        return report

    @staticmethod
    def visible_creator(who: Principal, creator_id: str) -> None:
        """Operators and the platform see every creator, a creator their own score; a creator asking about another
        is answered subject_not_found (like an unknown one); anyone else is refused by role."""
        if who.role is Role.CREATOR:
            if who.subject != creator_id:
                raise AnxinError(E.SUBJECT_NOT_FOUND, f"creator {creator_id!r} has no score", creator_id=creator_id)
            return
        require_role(who, Role.OPERATOR, Role.PLATFORM, Role.CREATOR)

    def creator_report(self, who: Principal, creator_id: str, as_of: object = None) -> ScoreReport:
        self.visible_creator(who, creator_id)
        report = self.report("creator", creator_id, as_of)
        if report is None:
            raise AnxinError(E.SUBJECT_NOT_FOUND, f"creator {creator_id!r} has no score", creator_id=creator_id)
        return report

    def history(self, who: Principal, kind: str, subject_id: str, *, days: int = 90) -> list[dict[str, Any]]:
        if kind == "merchant":
            self.visible_shop(who, subject_id)
        elif kind == "creator":
            self.visible_creator(who, subject_id)
        else:
            require_role(who, Role.OPERATOR, Role.PLATFORM)
        since = self.today() - dt.timedelta(days=days)
        with self.uow_factory() as uow:
            rows = ScoreRepository(uow.session).history(kind, subject_id, since)
            return [{"as_of": r.as_of.isoformat(), "eligible": r.eligible, "score_x100": r.score_x100,
                     "band": r.band, "dimensions": {k: v.get("points_x100") for k, v in
                                                    (r.detail.get("dimensions") or {}).items()}} for r in rows]

    def ranking(self, who: Principal, kind: str, as_of: object = None, *, limit: int = 200, offset: int = 0,
                after: tuple[int | None, str] | None = None) -> dict[str, Any]:
        """A day's run and its scores, best first: ``after`` (score, subject id) of the previous page's last row."""
        require_role(who, Role.OPERATOR, Role.PLATFORM)
        with self.uow_factory() as uow:
            repo = ScoreRepository(uow.session)
            run = repo.run(parse_day(as_of)) if as_of else repo.latest_run()
            if run is None:
                return {"as_of": None, "total": 0, "rows": []}
            rows = repo.day(kind, run.as_of, limit=limit, offset=offset, after=after)
            return {"as_of": run.as_of.isoformat(), "rulebook_version": run.rulebook_version, "engine": run.engine,
                    "total": repo.count_day(kind, run.as_of), "counts": run.counts,
                    "rows": [{"subject_id": r.subject_id, "eligible": r.eligible, "score_x100": r.score_x100,
                              "band": r.band, "primary_category": r.detail.get("primary_category"),
                              "valid_orders": r.detail.get("valid_orders")} for r in rows]}

    def consumer_credit(self, consumer_id: str, as_of: dt.date | None = None) -> CreditReport | None:
        """The latest credit of a consumer (for the after-sales engine); None when never scored."""
        with self.uow_factory() as uow:
            row = ScoreRepository(uow.session).snapshot("consumer", consumer_id, as_of)
            if row is None or row.score_x100 is None:
                return None
            return CreditReport(consumer_id, row.as_of, int(row.score_x100), row.band or "normal",
                                dict(row.detail.get("components") or {}), dict(row.detail.get("facts") or {}),
                                row.rulebook_version)

    def consumer_band(self, uow: UnitOfWork, consumer_id: str) -> str:
        """trusted / normal / doubtful from the latest run, or unscored: what the after-sales engine decides on,
        read in the caller's transaction (one request, one connection)."""
        def load() -> str:
            row = ScoreRepository(uow.session).snapshot("consumer", consumer_id, None)
            return "unscored" if row is None or row.score_x100 is None else (row.band or "normal")
        # Snapshots change with the nightly run: served from the reference cache while the table is unchanged.
        return refcache.cached(uow.session, ("consumer_band", consumer_id), SNAPSHOT_TABLES, load) or "unscored"

    def consumer_credit_for(self, who: Principal, consumer_id: str) -> CreditReport:
        # Credit and its band are risk internals: the platform and operators read them, consumers never (their own
        # included), so a band cannot be learned and gamed from outside.
        require_role(who, Role.OPERATOR, Role.PLATFORM)
        credit = self.consumer_credit(consumer_id)
        if credit is None:
            raise AnxinError(E.SUBJECT_NOT_FOUND, f"consumer {consumer_id!r} has no credit yet",
                             consumer_id=consumer_id)
        return credit

    # --- on demand and drill-down: the same definition over facts read now --------------------------------------

    def live_shop_report(self, who: Principal, shop_id: str) -> ScoreReport:
        """Score now, not from the nightly snapshot: the definition runs on DuckDB over today's facts."""
        self.visible_shop(who, shop_id)
        day = self.today()
        end = self.rules.day_end(day)
        eng = make_engine("duckdb")
        try:
            eng.load_arrow(self.facts_from_db(end))
            eng.run(all_steps(self.rules, eng.dialect, end, subjects=("merchant",)))
            results = {n: eng.query(f"SELECT * FROM {n} WHERE subject_id = {_lit(shop_id)}").to_pylist()
                       for n in OUTPUTS[:3]}
        finally:
            eng.close()
        if not results["merchant_scores"]:
            raise AnxinError(E.NO_SNAPSHOT, f"shop {shop_id!r} has no orders in the window", shop_id=shop_id)
        s = results["merchant_scores"][0]
        detail = snapshot_detail(s, results["merchant_dimensions"], results["merchant_indicators"])
        return report_from_snapshot(self.rules, self.rules.merchant, "merchant", shop_id, day, self.rules.version,
                                    bool(s["eligible"]), s["total_x100"], detail)

    def drilldown(self, who: Principal, shop_id: str, indicator_id: str, *, as_of: object = None,
                  side: str | None = None, limit: int = 50, after: DrillKey | None = None,
                  rows: bool = True, summary: bool = True) -> Drilldown:
        """The rows behind one of a shop's indicators (``after``: the key of the last row shown) and, with
        ``summary``, their count and a suggestion; without ``rows`` only the summary."""
        self.visible_shop(who, shop_id)
        return self._drill(self.rules.merchant, shop_id, indicator_id, as_of, side, limit, after, rows, summary)

    def creator_drilldown(self, who: Principal, creator_id: str, indicator_id: str, *, as_of: object = None,
                          side: str | None = None, limit: int = 50, after: DrillKey | None = None,
                          rows: bool = True, summary: bool = True) -> Drilldown:
        """The orders, cases, complaints or feedback behind one of a creator's indicators. A creator reads the
        summary of their own (how many rows, the suggestion), never the rows: they name other people's orders."""
        self.visible_creator(who, creator_id)
        if rows:
            require_role(who, Role.OPERATOR, Role.PLATFORM)
        return self._drill(self._subject_rules("creator"), creator_id, indicator_id, as_of, side, limit, after,
                           rows, summary)

    def _drill(self, rules: SubjectRules, subject_id: str, indicator_id: str, as_of: object, side: str | None,
               limit: int, after: DrillKey | None, with_rows: bool, summary: bool) -> Drilldown:
        ind = next((i for i in rules.indicators if i.id == indicator_id), None)
        if ind is None:
            raise AnxinError(E.UNKNOWN_INDICATOR, f"no indicator {indicator_id!r}",
                             known=[i.id for i in rules.indicators])
        day = parse_day(as_of) if as_of else self._latest_day() or self.today()
        end = self.rules.day_end(day)
        side = side or drill_side(ind.measure.name, ind.better, ind.measure.unit)
        if side not in DRILL_SIDES or (side == "miss" and not has_misses(ind)):
            allowed = [s for s in DRILL_SIDES if s != "miss" or has_misses(ind)]
            raise AnxinError(E.INVALID_SIDE, f"side must be one of {allowed} for {indicator_id}", side=side,
                             allowed=allowed)
        eng = make_engine("duckdb")
        try:
            if rules.subject == "merchant":
                eng.load_arrow(self.facts_from_db(end, shop_ids=[subject_id]))
            else:
                # A creator's orders span shops, and their shops' scores come from the merchant pass.
                eng.load_arrow(self.facts_from_db(end))
                eng.run(all_steps(self.rules, eng.dialect, end, subjects=("merchant",))
                        + subject_steps(self.rules, rules, eng.dialect, end)[:1])

            def query(**kw: Any) -> list[dict[str, Any]]:
                sql = drilldown_sql(self.rules, rules, indicator_id, side, subject_id, eng.dialect, end, **kw)
                return list(eng.query(sql).to_pylist())

            rows = query(limit=max(1, min(limit, 501)), after=after) if with_rows else []
            total = int(query(count=True)[0]["n"]) if summary else 0
            sample = (rows if after is None and total <= len(rows) else query(limit=5000)) if summary else []
            mp = parts_of(ind, eng.dialect, self.rules.utc_offset_hours * 3600)
            part = mp.den if side in ("den", "miss") else mp.num
        finally:
            eng.close()
        w = window_of(rules, ind, end)
        for r in rows:
            r["window"] = [w.lo, w.hi]
        found = suggest(ind.measure.name, sample, self.rules.utc_offset_hours, total=total) if summary else None
        return Drilldown(indicator_id, side, total, rows, found, (w.lo, w.hi), part.at, part.ref)

    def _latest_day(self) -> dt.date | None:
        with self.uow_factory() as uow:
            run = ScoreRepository(uow.session).latest_run()
            return run.as_of if run else None


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


__all__ = ["CreditReport", "Drilldown", "RunSummary", "ScoringService", "parse_day"]
