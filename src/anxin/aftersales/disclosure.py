"""Who sees what of a case: risk internals stay with the operators. Pure: the caller supplies the data.

A case stores its whole decision (guarantee reasons, risk reasons, the consumer's credit band, the risk verdict)
and a timeline where risk writes too. Operators and the platform see all of it. Consumers and merchants see the
guarantee's own reasons (they explain the rules), but never a risk reason code, risk rule id or risk rulebook
version, a credit band, a verdict or an abuse label: a request risk holds reads "needs a platform review", with
the time it is expected to take, and risk's timeline entries read as neutral platform-review steps. Anything not
known to be safe for them is left out (the risk summary, the operator's risk note, unknown event data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from anxin.aftersales import model as m
from anxin.core.clock import parse_instant

FULL_VIEW = frozenset({"operator", "platform"})
# Decision facts that are the consumer's credit or risk's verdict; guarantee rules that read them are credit rules.
HIDDEN_FACTS = frozenset({"consumer_credit", "risk_verdict"})
# The one reason consumers and merchants see in place of risk's (and credit's) reasons.
PLATFORM_REVIEW = "platform.review_required"
# Timeline entries risk writes (or settles), and the neutral action each reads as.
NEUTRAL_ACTIONS = {
    "risk_hold_freight": "freight_under_review",
    "risk_hold_return": "return_under_review",
    "risk_refuse_freight": "freight_not_paid",
    "risk_cleared": "platform_review_continues",
    "risk_release": "platform_review_passed",
    "release_freight": "freight_review_passed",
}
# What a shown event's data may carry (everything else is internal or unknown): deadlines, the return shipment.
SAFE_EVENT_DATA = frozenset({"outcome", "reasons", "rule", "version", "deadline_at", "method", "carrier",
                             "tracking_no", "freight_fen", "weight_g", "from_address"})
MESSAGES = {
    ("request", True): {"zh-CN": "平台审核中，预计 {hours} 小时内完成",
                        "en": "Under platform review; expected within {hours} hours"},
    ("request", False): {"zh-CN": "平台审核中", "en": "Under platform review"},
    ("freight", True): {"zh-CN": "退货运费补贴平台审核中，预计 {hours} 小时内完成",
                        "en": "Return freight payment under platform review; expected within {hours} hours"},
    ("freight", False): {"zh-CN": "退货运费补贴平台审核中", "en": "Return freight payment under platform review"},
    ("return", True): {"zh-CN": "退货包裹平台查验中，预计 {hours} 小时内完成",
                       "en": "Returned parcel under platform inspection; expected within {hours} hours"},
    ("return", False): {"zh-CN": "退货包裹平台查验中", "en": "Returned parcel under platform inspection"},
}


def sees_everything(role: str) -> bool:
    return str(role) in FULL_VIEW


def promised_hours(review_sla_hours: Mapping[str, int]) -> int | None:
    """The review time promised to consumers and merchants: the longest of risk's SLAs, whatever the verdict (a
    shorter figure for blocks would tell them they were blocked)."""
    return max(review_sla_hours.values()) if review_sla_hours else None


@dataclass(frozen=True)
class PlatformReview:
    """What is under platform review now (the request or only its return freight), since when, expected by when."""

    subject: str  # request | freight | return (an uninsured return risk held)
    since: dt.datetime
    hours: int | None  # None: no figure to promise (a review the guarantee rules asked for)

    @property
    def expected_by(self) -> dt.datetime | None:
        return self.since + dt.timedelta(hours=self.hours) if self.hours is not None else None

    def message(self) -> dict[str, str]:
        texts = MESSAGES[(self.subject, self.hours is not None)]
        return {lang: text.format(hours=self.hours) for lang, text in texts.items()}

    def as_dict(self) -> dict[str, Any]:
        expected = self.expected_by
        return {"subject": self.subject, "since": self.since.isoformat(), "hours": self.hours,
                "expected_by": expected.isoformat() if expected else None, "message": self.message()}


# --- the decision --------------------------------------------------------------------------------------------

def _risk_rules(decision: Mapping[str, Any]) -> set[str]:
    risk = decision.get("risk")
    if not isinstance(risk, Mapping):
        return set()
    hits = [*(risk.get("reasons") or []), *(risk.get("shadow") or [])]
    return {str(h.get("rule")) for h in hits if isinstance(h, Mapping) and h.get("rule")}


def credit_rules(decision: Mapping[str, Any]) -> set[str]:
    """Guarantee rules that compared a hidden fact (the consumer's credit): their reasons would name the band."""
    trace = decision.get("trace") or []
    return {str(s.get("rule")) for s in trace if isinstance(s, Mapping) and s.get("fact") in HIDDEN_FACTS}


def is_internal_reason(reason: Mapping[str, Any], *, risk_rules: set[str], credit: set[str]) -> bool:
    code, rule = str(reason.get("code", "")), str(reason.get("rule", ""))
    detail = reason.get("detail")
    by_risk = (code.startswith("risk.") or rule in risk_rules
               or (isinstance(detail, Mapping) and "compared" in detail and "action" in detail))
    return by_risk or rule in credit or "credit" in code


def _neutral_reason() -> dict[str, Any]:
    return {"code": PLATFORM_REVIEW, "rule": "", "version": "", "detail": {}}


def _reasons(raw: Any, *, risk_rules: set[str], credit: set[str], replace_hidden: bool) -> list[Any]:
    """The shown reasons: internal ones dropped; if any was dropped and ``replace_hidden``, one neutral reason."""
    items = [r for r in raw or [] if isinstance(r, Mapping)]
    shown = [dict(r) for r in items if not is_internal_reason(r, risk_rules=risk_rules, credit=credit)]
    if replace_hidden and len(shown) < len(items):
        shown.append(_neutral_reason())
    return shown


def decision_for(decision: Mapping[str, Any], role: str) -> dict[str, Any]:
    """The stored decision as ``role`` may see it."""
    if sees_everything(role) or not isinstance(decision, Mapping):
        return dict(decision) if isinstance(decision, Mapping) else {}
    risk_rules, credit = _risk_rules(decision), credit_rules(decision)
    out = {k: v for k, v in decision.items() if k != "risk"}
    out["reasons"] = _reasons(decision.get("reasons"), risk_rules=risk_rules, credit=credit, replace_hidden=True)
    # Guarantees tried first explain the route; one that failed on credit would say which band the consumer has.
    out["passed_over"] = _reasons(decision.get("passed_over"), risk_rules=risk_rules, credit=credit,
                                  replace_hidden=False)
    facts = decision.get("facts")
    out["facts"] = {k: v for k, v in facts.items() if k not in HIDDEN_FACTS} if isinstance(facts, Mapping) else {}
    out["trace"] = [s for s in decision.get("trace") or []
                    if isinstance(s, Mapping) and s.get("fact") not in HIDDEN_FACTS and s.get("rule") not in credit]
    return out


# --- the timeline --------------------------------------------------------------------------------------------

def by_risk(action: str, data: Mapping[str, Any]) -> bool:
    """An entry risk wrote, or one that settled a risk review (its data names the review)."""
    return action in NEUTRAL_ACTIONS or "risk_review" in data or "risk" in data


@dataclass(frozen=True)
class Entry:
    """The parts of a timeline entry disclosure decides on."""

    action: str
    actor_role: str
    actor_id: str
    note: str
    data: dict[str, Any]


def entry_for(entry: Entry, role: str, decision: Mapping[str, Any]) -> Entry:
    if sees_everything(role):
        return entry
    data = entry.data if isinstance(entry.data, Mapping) else {}
    if by_risk(entry.action, data):
        # The platform acted; who (an operator's id, "risk") and why (a confirm reason, the note) stay internal.
        return Entry(NEUTRAL_ACTIONS.get(entry.action, entry.action), "platform", "", "", {})
    shown = {k: v for k, v in data.items() if k in SAFE_EVENT_DATA}
    if "reasons" in shown:
        shown["reasons"] = _reasons(shown["reasons"], risk_rules=_risk_rules(decision),
                                    credit=credit_rules(decision), replace_hidden=True)
    return replace(entry, data=shown)


def event_for(event: m.CaseEvent, role: str, decision: Mapping[str, Any]) -> m.CaseEvent:
    e = entry_for(Entry(event.action, event.actor_role, event.actor_id, event.note,
                        dict(event.data) if isinstance(event.data, Mapping) else {}), role, decision)
    return replace(event, action=e.action, actor_role=e.actor_role, actor_id=e.actor_id, note=e.note, data=e.data)


# --- what is under review now ----------------------------------------------------------------------------------

Row = tuple[str, dt.datetime, Mapping[str, Any]]  # a timeline entry's action, time and data


def platform_review(state: str, decision: Mapping[str, Any], events: Iterable[Row], *,
                    review_hours: int | None) -> PlatformReview | None:
    """The request (or its return freight) under platform review now, with the expected time while risk holds it.

    ``events`` are (action, at, data) in recorded order; ``review_hours`` comes from ``promised_hours``."""
    rows = list(events)
    freight_since, hold_kind = None, "freight"
    for action, at, _ in rows:
        if action in ("risk_hold_freight", "risk_hold_return"):
            freight_since, hold_kind = at, "freight" if action == "risk_hold_freight" else "return"
        elif action in ("release_freight", "risk_refuse_freight"):
            freight_since = None
    if state == m.CaseState.UNDER_REVIEW.value:
        risk = decision.get("risk") if isinstance(decision, Mapping) else None
        held = isinstance(risk, Mapping) and bool(risk.get("review_id")) and not any(
            action == "risk_cleared" or "risk_review" in data for action, _, data in rows)
        since = next((at for action, at, _ in rows if action == "file"), None)
        if since is None:
            since = _instant(decision.get("decided_at")) if isinstance(decision, Mapping) else None
        if since is not None:
            return PlatformReview("request", since, review_hours if held else None)
    if freight_since is not None:
        return PlatformReview(hold_kind, freight_since, review_hours)
    return None


def _instant(value: Any) -> dt.datetime | None:
    try:
        return parse_instant(value) if isinstance(value, str) else None
    except ValueError:
        return None


# --- the API's view of a case ------------------------------------------------------------------------------------

def disclose(view: Mapping[str, Any], role: str, *, review_hours: int | None = None) -> dict[str, Any]:
    """A case as ``CaseView.as_dict`` gives it, projected for ``role``; adds ``platform_review`` (or None)."""
    decision = _mapping(view.get("decision"))
    timeline = [e for e in view.get("timeline") or [] if isinstance(e, Mapping)]
    out = dict(view)
    out["platform_review"] = _review_of(view, decision, timeline, review_hours)
    if sees_everything(role):
        return out
    out["decision"] = decision_for(decision, role)
    shown = []
    for e in timeline:
        entry = entry_for(Entry(str(e.get("action", "")), str(e.get("actor", "")), "", str(e.get("note") or ""),
                                dict(_mapping(e.get("data")))), role, decision)
        shown.append({**e, "action": entry.action, "actor": entry.actor_role, "note": entry.note, "data": entry.data})
    out["timeline"] = shown
    return out


def _review_of(view: Mapping[str, Any], decision: Mapping[str, Any], timeline: Sequence[Mapping[str, Any]],
               review_hours: int | None) -> dict[str, Any] | None:
    rows: list[Row] = []
    for e in timeline:
        at = _instant(e.get("at"))
        if at is not None:
            rows.append((str(e.get("action", "")), at, _mapping(e.get("data"))))
    notice = platform_review(str(view.get("state", "")), decision, rows, review_hours=review_hours)
    return notice.as_dict() if notice else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
