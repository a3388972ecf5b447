"""Rule administration for operators: list the rules in force, propose a draft (it runs in shadow), backtest a
rule over the facts stored with past verdicts, and move rules between live, shadow and off. Going live is
refused, with the figures, when the replay shows the rule would block or review more than the rulebook allows.
A service of its own (``Anxin.risk_rules``) beside ``RiskService``, whose verdicts use the rules it sets; every
change is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.risk.backtest import PastVerdict, refusal, replay
from anxin.risk.error_codes import RiskErrorCode as E
from anxin.risk.review_store import VerdictRepository
from anxin.risk.rulebook import STATUSES, RiskRulebook, RiskRulebookError, Rule, parse_rule
from anxin.risk.service import require_operator
from anxin.risk.store import RuleStateRepository, RuleStateRow, VerdictLog

BACKTEST_DAYS = 30


class RuleAdministration:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: RiskRulebook, mode: str,
                 effective: Callable[[UnitOfWork], tuple[RiskRulebook, dict[str, str]]]) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rulebook = rulebook  # the file: its limits on what a live rule may block or review
        self.mode = mode
        # The rules in force (the file, operators' drafts, their statuses): ``RiskService.effective_rules``, which
        # also caches the compiled drafts its verdicts use.
        self._effective = effective
        self._operator = require_operator

    # --- rules: list, propose a draft, backtest, activate ----------------------------------------------------

    def rules(self, principal: Principal) -> dict[str, Any]:
        self._operator(principal)
        with self.uow_factory() as uow:
            rb, overrides = self._effective(uow)
            states = {r.rule_id: r for r in RuleStateRepository(uow.session).rule_states()}
            return {"version": rb.version, "mode": self.mode, "rules": [
                {"id": r.id, "stage": r.stage, "code": r.code, "action": r.action.value, "points": r.points,
                 "status": overrides.get(r.id, r.status), "file_status": r.status if r.id in
                 {x.id for x in self.rulebook.rules} else None, "draft": r.id in states and
                 states[r.id].definition is not None, "message": dict(r.message), "when": r.source,
                 "backtest": states[r.id].backtest if r.id in states else None} for r in rb.rules]}

    def _replay(self, uow: UnitOfWork, rule: Rule, days: int) -> dict[str, Any]:
        now = self.clock.now()
        history = (PastVerdict(v, f, o, st) for v, f, o, st in
                   VerdictRepository(uow.session).history(rule.stage, now - dt.timedelta(days=days), now))
        result = replay(rule, history)
        return {**result.as_dict(), "days": days, "at": now.isoformat(), "refusal": refusal(
            result, max_block_share_pct=self.rulebook.max_block_share_pct,
            max_review_share_pct=self.rulebook.max_review_share_pct)}

    def backtest(self, principal: Principal, *, rule_id: str | None = None, definition: Any = None,
                 days: int = BACKTEST_DAYS) -> dict[str, Any]:
        """What a rule (in force, or a definition not yet proposed) would have done over the last ``days``."""
        self._operator(principal)
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            raise AnxinError(E.INVALID_FIELD, "days must be 1..365", field="days")
        with self.uow_factory() as uow:
            rb, _ = self._effective(uow)
            rule = self._rule_from(rb, rule_id, definition)
            return self._replay(uow, rule, days)

    @staticmethod
    def _rule_from(rb: RiskRulebook, rule_id: str | None, definition: Any) -> Rule:
        if definition is not None:
            try:
                return parse_rule(definition)
            except RiskRulebookError as exc:
                raise AnxinError(E.INVALID_RULE, "the rule is not valid", problems=exc.problems) from None
        rule = rb.rule(rule_id) if isinstance(rule_id, str) else None
        if rule is None:
            raise AnxinError(E.RULE_NOT_FOUND, f"rule {rule_id!r} not found")
        return rule

    def propose_rule(self, principal: Principal, definition: Any) -> dict[str, Any]:
        """A draft rule from an operator: validated like the rulebook's, then run in shadow (logged, never
        acting) until someone makes it live, which needs a backtest within the rulebook's limits."""
        self._operator(principal)
        now, actor = self.clock.now(), f"{principal.role.value}:{principal.subject}"
        with self.uow_factory() as uow:
            rb, _ = self._effective(uow)
            try:
                rule = parse_rule({**definition, "status": "shadow"} if isinstance(definition, Mapping)
                                  else definition, taken={r.id for r in rb.rules})
            except RiskRulebookError as exc:
                raise AnxinError(E.INVALID_RULE, "the rule is not valid", problems=exc.problems) from None
            test = self._replay(uow, rule, BACKTEST_DAYS)
            rule_repo = RuleStateRepository(uow.session)
            log = VerdictLog(uow.session)
            rule_repo.set_rule_state(RuleStateRow(rule_id=rule.id, status="shadow", changed_at=now, changed_by=actor,
                                             backtest=test, definition={**definition, "status": "shadow"}))
            log.audit(now, actor, "rule.proposed", f"rule:{rule.id}", {"definition": dict(definition),
                                                                         "backtest": test})
            uow.commit()
            return {"rule_id": rule.id, "status": "shadow", "backtest": test}

    def set_rule_status(self, principal: Principal, rule_id: str, status: str) -> dict[str, Any]:
        """Move a rule between live, shadow and off. Going live replays it over the last 30 days first and is
        refused, with the figures, if it would block or review more than the rulebook allows."""
        self._operator(principal)
        if status not in STATUSES:
            raise AnxinError(E.INVALID_STATUS, f"status must be one of {list(STATUSES)}", field="status")
        now, actor = self.clock.now(), f"{principal.role.value}:{principal.subject}"
        with self.uow_factory() as uow:
            rb, _ = self._effective(uow)
            rule = self._rule_from(rb, rule_id, None)
            rule_repo = RuleStateRepository(uow.session)
            log = VerdictLog(uow.session)
            test = self._replay(uow, rule, BACKTEST_DAYS)
            if status == "live" and test["refusal"]:
                log.audit(now, actor, "rule.activation_refused", f"rule:{rule.id}", {"backtest": test})
                uow.commit()
                code = E.RULE_BLOCKS_TOO_MANY if rule.action.value == "block" else E.RULE_REVIEWS_TOO_MANY
                raise AnxinError(code, f"rule {rule.id} was not made live: {test['refusal']}", backtest=test)
            old = rule_repo.rule_state(rule.id)
            rule_repo.set_rule_state(RuleStateRow(rule_id=rule.id, status=status, changed_at=now, changed_by=actor,
                                             backtest=test, definition=old.definition if old else None))
            log.audit(now, actor, f"rule.{status}", f"rule:{rule.id}", {"backtest": test})
            uow.commit()
            return {"rule_id": rule.id, "status": status, "backtest": test}
