"""Sampling inspection use cases (抽检, issue 16 §6): an operator plans a period's samples, records each sample's
result, and reads the plan's coverage and failure rate by stratum.

A plan reads its candidates from the other contexts (catalog listings and their categories, the shops' latest
experience scores, paid orders and complaints over the rulebook's lookback, the shops' opening dates) and the shops'
earlier failed samples from its own table, weighs and draws them (``sampling``), and stores the draw with every
pick's explanation: one plan per period, the same request again answers the same plan. A failed sample records one
violation through the injected ``ViolationLedger`` in the same unit of work (the catalogue's default measures take
the listing down); a result is recorded once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

from anxin.access.service import require_role
from anxin.care import service as care
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.governance.inspection_rules import Defect, InspectionRules, judge
from anxin.governance.inspection_store import (
    FAILED,
    PASSED,
    PENDING,
    InspectionPlanRow,
    InspectionRepository,
    InspectionSampleRow,
)
from anxin.governance.model import SOURCE_INSPECTION, RecordViolation, ViolationLedger
from anxin.governance.sampling import BudgetTooSmall, CandidateFacts, SamplingPlan, plan_for
from anxin.orders import service as orders
from anxin.scoring import service as scoring
from anxin.shops import service as shops

PERIOD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,39}$")  # 2026-12, 2026-W50, 2026-12-07
MAX_SEED = 2**63 - 1
MAX_DEFECTS = 20
MAX_DETAIL = 500
PAGE = 5000  # listings read per query while gathering candidates
OUTCOMES = {"passed": PASSED, "failed": FAILED}


class Inspections:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rules: InspectionRules,
                 ledger: ViolationLedger) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules
        self.ledger = ledger

    # --- plans ------------------------------------------------------------------------------------------------

    def create_plan(self, who: Principal, body: object) -> dict[str, Any]:
        """``{"period": "2026-12", "seed": 7, "budget": 200?}`` → the plan (``created`` false when the period
        already had this plan; another seed or budget for a planned period is 409)."""
        require_role(who, Role.OPERATOR)
        period, budget, seed = self._plan_request(body)
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = InspectionRepository(uow.session)
            existing = repo.plan_for_period(period)
            if existing is not None:
                return self._same_plan(existing, budget, seed)
            facts, window = self._candidates(uow, now)
            try:
                drawn = plan_for(facts, budget=budget, seed=seed, rules=self.rules)
            except BudgetTooSmall as exc:
                raise AnxinError(E.INVALID_PLAN, str(exc), field="budget", budget=budget,
                                 minimums=exc.needed) from None
            plan_id = new_id("iplan")
            if not repo.add_plan(_plan_values(plan_id, period, drawn, window, who, now)):
                # Another planner of the period committed first (the insert waited for it): its plan is the period's.
                raced = repo.plan_for_period(period)
                assert raced is not None  # ON CONFLICT waited for that transaction, which committed the row
                return self._same_plan(raced, budget, seed)
            by_listing = {f.listing_id: f for f in facts}
            repo.add_samples([_sample_values(plan_id, p, by_listing[p.weighing.listing_id].as_dict(),
                                             drawn.rulebook_version) for p in drawn.picks])
            uow.commit()
            row = repo.plan(plan_id)
            assert row is not None
            return {**plan_dict(row), "created": True}

    def _plan_request(self, body: object) -> tuple[str, int, int]:
        if not isinstance(body, Mapping):
            raise AnxinError(E.INVALID_PLAN, 'the body must be an object: {"period", "seed", "budget"?}')
        unknown = sorted(set(body) - {"period", "seed", "budget"})
        if unknown:
            raise AnxinError(E.INVALID_PLAN, f"unknown fields: {', '.join(map(str, unknown))}", fields=unknown)
        period = body.get("period")
        if not isinstance(period, str) or not PERIOD.match(period):
            raise AnxinError(E.INVALID_PLAN, "period must be an id of 1–40 letters, digits and _ . : - "
                             "(e.g. 2026-12 or 2026-W50)", field="period")
        seed = body.get("seed")
        if type(seed) is not int or not 0 <= seed <= MAX_SEED:
            raise AnxinError(E.INVALID_PLAN, f"seed must be an integer 0–{MAX_SEED}", field="seed")
        budget = body.get("budget", self.rules.spec.budget)
        top = self.rules.spec.max_budget
        if type(budget) is not int or not 1 <= budget <= top:
            raise AnxinError(E.INVALID_PLAN, f"budget must be an integer 1–{top}", field="budget")
        return period, budget, seed

    def _same_plan(self, row: InspectionPlanRow, budget: int, seed: int) -> dict[str, Any]:
        if row.budget != budget or row.seed != seed:
            raise AnxinError(E.PLAN_CONFLICT, f"period {row.period_id} already has a plan with another seed or "
                             "budget", plan_id=row.plan_id, seed=row.seed, budget=row.budget)
        return {**plan_dict(row), "created": False}

    def _candidates(self, uow: UnitOfWork, now: dt.datetime) -> tuple[list[CandidateFacts], dict[str, Any]]:
        """Every listing with its facts, and the windows they were read over."""
        spec = self.rules.spec
        refs = list(_all_listings(uow))
        shop_ids = sorted({sid for _, sid, _ in refs})
        lineage = catalog.category_lineage(uow, sorted({cid for _, _, cid in refs}))
        since = now - dt.timedelta(days=spec.complaints.lookback_days)
        paid = orders.paid_counts_by_shop(uow, shop_ids, since=since, until=now)
        complaints = care.complaint_counts(uow, shop_ids, since=since, until=now)
        opened = shops.opened_at(uow, shop_ids)
        scores = {sid: scoring.latest_shop_score(uow, sid) for sid in shop_ids}
        failures_since = now - dt.timedelta(days=spec.previous_failures.lookback_days)
        failures = InspectionRepository(uow.session).failures_by_shop(shop_ids, since=failures_since, until=now)
        out = []
        for lid, sid, cid in refs:
            ancestors, tags = lineage.get(cid, ((), frozenset()))
            age = (now - opened[sid]).days if sid in opened else None
            out.append(CandidateFacts(lid, sid, cid, (cid, *ancestors), tags, scores[sid], paid[sid],
                                      complaints[sid], age, failures.get(sid, 0)))
        window = {"as_of": now.isoformat(), "complaints_since": since.isoformat(),
                  "failures_since": failures_since.isoformat(), "shops": len(shop_ids)}
        return out, window

    def plans(self, who: Principal, *, limit: int = 50,
              after: tuple[dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        """Plans newest first (the operators' console), ``limit`` of them after the (created at, id) ``after``."""
        require_role(who, Role.OPERATOR)
        with self.uow_factory() as uow:
            return [plan_dict(p) for p in InspectionRepository(uow.session).plans(limit=limit, after=after)]

    def plan(self, who: Principal, plan_id: str, *, after_rank: int | None = None,
             limit: int = 50) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The plan and a page of its samples in rank order (``limit + 1`` asked by the API to see a next page)."""
        require_role(who, Role.OPERATOR)
        with self.uow_factory() as uow:
            repo = InspectionRepository(uow.session)
            row = _plan_or_404(repo, plan_id)
            return plan_dict(row), [sample_dict(s) for s in repo.samples(plan_id, after_rank=after_rank,
                                                                          limit=limit)]

    # --- results ----------------------------------------------------------------------------------------------

    def record_result(self, who: Principal, sample_id: str, body: object) -> dict[str, Any]:
        """``{"outcome": "passed"}`` or ``{"outcome": "failed", "defects": [{"kind", "severity"?, "detail"?}]}``.
        Once: the same result again answers the sample as it is; another result is 409."""
        require_role(who, Role.OPERATOR)
        state, defects = self._result_request(body)
        now = self.clock.now()
        with self.uow_factory() as uow:
            uow.begin_write()  # the sample's state is read to be written
            repo = InspectionRepository(uow.session)
            row = repo.sample(sample_id, lock=True)
            if row is None:
                raise AnxinError(E.SAMPLE_NOT_FOUND, f"no sample {sample_id}", sample_id=sample_id)
            wanted = [d.as_dict() for d in defects]
            if row.state != PENDING:
                if row.state == state and list(row.defects) == wanted:
                    return sample_dict(row)
                raise AnxinError(E.RESULT_CONFLICT, f"sample {sample_id} already has a result: {row.state}",
                                 sample_id=sample_id, state=row.state, defects=row.defects)
            finding = judge(defects, self.rules) if state == FAILED else None
            finding_dict = None if finding is None else {
                "violation": finding.violation, "severity": finding.severity, "rule_ids": list(finding.rule_ids),
                "rulebook_version": self.rules.version}
            by = f"{who.role.value}:{who.subject}"
            saved = repo.save_result(sample_id, state=state, defects=wanted, finding=finding_dict, by=by, at=now)
            assert saved  # the row is locked (PostgreSQL) or the write transaction held (SQLite) since it was read
            if finding is not None:
                violation, _ = self.ledger.record(uow, RecordViolation(
                    kind=finding.violation, subject=f"listing:{row.listing_id}", shop_id=row.shop_id,
                    source_type=SOURCE_INSPECTION, source_id=sample_id, at=now, severity=finding.severity,
                    evidence={"plan_id": row.plan_id, "sample_id": sample_id, "listing_id": row.listing_id,
                              "defects": wanted, "rule_ids": list(finding.rule_ids),
                              # what the catalogue asks of a counterfeit or prohibited record made by hand
                              "description": f"inspection sample {sample_id} failed: {_defect_kinds(wanted)}",
                              "rulebook_version": self.rules.version},
                    recorded_by=by, note=f"failed inspection sample {sample_id}"))
                repo.set_violation(sample_id, violation.violation_id)
            uow.commit()
            stored = repo.sample(sample_id)
            assert stored is not None
            return sample_dict(stored)

    def _result_request(self, body: object) -> tuple[str, list[Defect]]:
        if not isinstance(body, Mapping) or body.get("outcome") not in OUTCOMES:
            raise AnxinError(E.INVALID_RESULT, '{"outcome": "passed"} or {"outcome": "failed", "defects": [...]}',
                             field="outcome")
        unknown = sorted(set(body) - {"outcome", "defects"})
        if unknown:
            raise AnxinError(E.INVALID_RESULT, f"unknown fields: {', '.join(map(str, unknown))}", fields=unknown)
        state, raw = OUTCOMES[body["outcome"]], body.get("defects", [])
        if state == PASSED:
            if raw:
                raise AnxinError(E.INVALID_RESULT, "a passed sample has no defects", field="defects")
            return state, []
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_DEFECTS:
            raise AnxinError(E.INVALID_RESULT, f"a failed sample needs 1–{MAX_DEFECTS} defects", field="defects")
        return state, [self._defect(i, d) for i, d in enumerate(raw)]

    def _defect(self, i: int, raw: object) -> Defect:
        at = f"defects[{i}]"
        kinds = sorted(self.rules.defects)
        if not isinstance(raw, Mapping) or set(raw) - {"kind", "severity", "detail"} or raw.get("kind") not in kinds:
            raise AnxinError(E.INVALID_RESULT, f"{at} must be {{kind, severity?, detail?}} with a kind of "
                             f"{', '.join(kinds)}", field=at, kinds=kinds)
        severity = raw.get("severity", self.rules.defects[raw["kind"]].severity)
        if severity not in self.rules.severity_rank:
            raise AnxinError(E.INVALID_RESULT, f"{at}.severity must be one of {', '.join(self.rules.spec.severities)}",
                             field=f"{at}.severity")
        detail = raw.get("detail", "")
        if not isinstance(detail, str) or len(detail) > MAX_DETAIL:
            raise AnxinError(E.INVALID_RESULT, f"{at}.detail must be text of at most {MAX_DETAIL} characters",
                             field=f"{at}.detail")
        return Defect(str(raw["kind"]), str(severity), detail.strip())

    # --- report -----------------------------------------------------------------------------------------------

    def report(self, who: Principal, plan_id: str) -> dict[str, Any]:
        """Coverage (drawn of candidates) and failure rate (failed of inspected) by stratum, with the totals."""
        require_role(who, Role.OPERATOR)
        with self.uow_factory() as uow:
            repo = InspectionRepository(uow.session)
            row = _plan_or_404(repo, plan_id)
            states: dict[str, dict[str, int]] = {}
            for stratum, state, n in repo.tally(plan_id):
                states.setdefault(stratum, {})[state] = n
            plan = plan_dict(row)
        rows = []
        for tally in plan["strata"]:
            s = states.get(tally["stratum"], {})
            rows.append(_report_row(tally["stratum"], tally["candidates"], tally["eligible"], tally["min_samples"],
                                    s.get(PASSED, 0), s.get(FAILED, 0), s.get(PENDING, 0)))
        total = _report_row("total", sum(r["candidates"] for r in rows), sum(r["eligible"] for r in rows),
                            sum(r["min_samples"] for r in rows), sum(r["passed"] for r in rows),
                            sum(r["failed"] for r in rows), sum(r["pending"] for r in rows))
        names = {s.id: {"zh-CN": s.name.zh_cn, "en": s.name.en} for s in self.rules.spec.strata}
        for r in rows:
            r["name"] = names.get(r["stratum"])
        return {"plan_id": plan["plan_id"], "period": plan["period"], "rulebook_version": plan["rulebook_version"],
                "budget": plan["budget"], "seed": plan["seed"], "strata": rows, "total": total}


def _report_row(stratum: str, candidates: int, eligible: int, min_samples: int, passed: int, failed: int,
                pending: int) -> dict[str, Any]:
    drawn = passed + failed + pending
    inspected = passed + failed
    return {"stratum": stratum, "candidates": candidates, "eligible": eligible, "min_samples": min_samples,
            "drawn": drawn, "inspected": inspected, "passed": passed, "failed": failed, "pending": pending,
            "coverage": _rate(drawn, candidates), "failure_rate": _rate(failed, inspected)}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _all_listings(uow: UnitOfWork) -> Iterator[tuple[str, str, str]]:
    after = None
    while True:
        page = catalog.listing_refs(uow, after=after, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1][0]


def _plan_or_404(repo: InspectionRepository, plan_id: str) -> InspectionPlanRow:
    row = repo.plan(plan_id)
    if row is None:
        raise AnxinError(E.PLAN_NOT_FOUND, f"no inspection plan {plan_id}", plan_id=plan_id)
    return row


def _plan_values(plan_id: str, period: str, drawn: SamplingPlan, window: dict[str, Any], who: Principal,
                 now: dt.datetime) -> dict[str, Any]:
    rule_ids = sorted({r for p in drawn.picks for r in p.weighing.rule_ids})
    return {"plan_id": plan_id, "period_id": period, "budget": drawn.budget, "seed": drawn.seed,
            "outcome": "planned", "reason_codes": ["inspection.risk_weighted_draw"], "rule_ids": rule_ids,
            "rulebook_version": drawn.rulebook_version, "candidates": drawn.candidates,
            "strata": [t.as_dict() for t in drawn.strata], "facts": window,
            "created_by": f"{who.role.value}:{who.subject}", "created_at": now}


def _sample_values(plan_id: str, pick: Any, facts: dict[str, Any], version: str) -> dict[str, Any]:
    w = pick.weighing
    return {"sample_id": new_id("insp"), "plan_id": plan_id, "rank": pick.rank, "listing_id": w.listing_id,
            "shop_id": w.shop_id, "stratum": w.stratum, "weight": w.weight, "draw_key": pick.key, "pick": pick.reason,
            "factors": [f.as_dict() for f in w.factors], "rule_ids": list(w.rule_ids), "facts": facts,
            "rulebook_version": version, "state": PENDING, "defects": [], "finding": None, "result_by": None,
            "result_at": None, "violation_id": None}


def plan_dict(row: InspectionPlanRow) -> dict[str, Any]:
    return {"plan_id": row.plan_id, "period": row.period_id, "budget": row.budget, "seed": row.seed,
            "outcome": row.outcome, "reason_codes": list(row.reason_codes), "rule_ids": list(row.rule_ids),
            "rulebook_version": row.rulebook_version, "candidates": row.candidates,
            "drawn": sum(int(t["drawn"]) for t in row.strata), "strata": list(row.strata), "facts": dict(row.facts),
            "created_by": row.created_by, "created_at": row.created_at.isoformat()}


def sample_dict(row: InspectionSampleRow) -> dict[str, Any]:
    return {"sample_id": row.sample_id, "plan_id": row.plan_id, "rank": row.rank, "listing_id": row.listing_id,
            "shop_id": row.shop_id, "stratum": row.stratum, "weight": row.weight, "key": row.draw_key,
            "pick": row.pick, "factors": list(row.factors), "rule_ids": list(row.rule_ids), "facts": dict(row.facts),
            "rulebook_version": row.rulebook_version, "state": row.state, "defects": list(row.defects),
            "finding": row.finding, "result_by": row.result_by,
            "result_at": row.result_at.isoformat() if row.result_at else None, "violation_id": row.violation_id}


def _defect_kinds(defects: Any) -> str:
    kinds = [str(d.get("kind")) for d in defects if isinstance(d, dict)] if isinstance(defects, list) else []
    return ", ".join(dict.fromkeys(kinds)) or "defects recorded"
