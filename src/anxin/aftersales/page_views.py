"""View models of the after-sales pages: plain dicts, already translated where words depend on data.

Every case is first cut to what the reader may see (``shown``, from ``disclosure``), then worded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from markupsafe import Markup

from anxin.aftersales import disclosure
from anxin.aftersales import model as m
from anxin.aftersales.policy import Coverage
from anxin.aftersales.service import CaseView
from anxin.core.clock import parse_instant
from anxin.core.principal import Principal
from anxin.orders.service import OrderTimeline
from anxin.web.i18n import Translator
from anxin.web.render import fmt_left, fmt_time, progress


def label(t: Translator, family: str, value: str | None) -> str:
    text = t(f"{family}.{value}")
    return (value or "") if text == f"{family}.{value}" else text


def reason_view(raw: dict[str, Any], t: Translator) -> dict[str, str]:
    code = str(raw.get("code", "?"))
    extra = ""
    detail = raw.get("detail") or {}
    for key in ("closed_at", "opens_at"):
        if isinstance(detail, dict) and isinstance(detail.get(key), str):
            try:
                extra = fmt_time(parse_instant(detail[key]))
            except ValueError:
                extra = detail[key]
    return {"code": code, "text": label(t, "code", code), "rule": str(raw.get("rule", "")),
            "version": str(raw.get("version", "")), "extra": extra}


# Reasons that say no rule's own why ("not covered", or the neutral word for a hidden one): the refusal names the
# last guarantee's reason instead (guarantees are tried in order, the broadest last).
_REFUSED = frozenset({"guarantee.rejected", disclosure.PLATFORM_REVIEW})


def refusal(reasons: Sequence[dict[str, str]], t: Translator) -> str:
    """Why the guarantee rules refused a request, as the person reads it: "Not covered: a photo is required as
    evidence" — the reason of the rule that refused, never a merchant's rejection."""
    why = next((r["text"] for r in reversed(reasons) if r["code"] not in _REFUSED), "")
    if not why:
        return t("state_by_rules.rejected")
    if t.lang == "en" and why[:2].istitle():  # "A photo …" inside the sentence: "a photo …" (not "QR", "SF")
        why = why[0].lower() + why[1:]
    return t("case.not_covered", reason=why)


def coverage_view(c: Coverage, lang: str, t: Translator, now: dt.datetime) -> dict[str, Any]:
    g = c.guarantee
    note = ""
    if c.state == "active" and c.closes_at:
        note = t("hall.closes_in", left=fmt_left(c.closes_at - now, t))
    elif c.state == "pending" and c.opens_at and now < c.opens_at:
        note = t("hall.opens_in", left=fmt_left(c.opens_at - now, t))
    elif c.state == "pending":
        note = t("hall.window_pending", anchor=t(f"anchor.{g.window.anchor}"))
    return {"id": g.id, "name": g.name.get(lang) or g.id, "summary": g.summary.get(lang, ""), "state": c.state,
            "opens": c.opens_at, "closes": c.closes_at, "note": note,
            "bar": progress(c.opens_at, c.closes_at, now) if c.state == "active" else None,
            # a pending window's only reason is "not open yet", which the note already says
            "reasons": [] if c.state == "pending" else [reason_view(r.as_dict(), t) for r in c.reasons]}


def shown(v: CaseView, who: Principal, hours: int | None) -> tuple[CaseView, disclosure.PlatformReview | None]:
    """The case as ``who`` may read it, and what of it is under platform review now."""
    notice = disclosure.platform_review(v.case.state.value, v.decision, ((e.action, e.at, e.data) for e in v.events),
                                        review_hours=hours)
    if disclosure.sees_everything(who.role):
        return v, notice
    return replace(v, decision=disclosure.decision_for(v.decision, who.role),
                   events=tuple(disclosure.event_for(e, who.role, v.decision) for e in v.events)), notice


def state_words(events: Sequence[m.CaseEvent]) -> list[tuple[str, str]]:
    """For each event, the label family of its from- and to-state: a refusal by the guarantee rules (at filing) is
    not the merchant's, though both leave the case ``rejected``."""
    out: list[tuple[str, str]] = []
    current = "state"
    for e in events:
        before = current if e.from_state == m.CaseState.REJECTED.value else "state"
        if e.to_state == m.CaseState.REJECTED.value:
            current = "state_by_rules" if e.action == m.Action.FILE.value else "state_by_merchant"
        out.append((before, current if e.to_state == m.CaseState.REJECTED.value else "state"))
    return out


def state_family(v: CaseView) -> str:
    words = state_words(v.events)
    return words[-1][1] if words and v.case.state is m.CaseState.REJECTED else "state"


def notice_view(notice: disclosure.PlatformReview | None, t: Translator, now: dt.datetime) -> dict[str, Any] | None:
    if notice is None:
        return None
    expected = notice.expected_by
    if expected is None:
        return {"subject": notice.subject, "text": t(f"pr.{notice.subject}"), "left": "", "bar": None}
    left = expected - now
    return {"subject": notice.subject, "text": t(f"pr.{notice.subject}_by", at=fmt_time(expected)),
            "left": t("pr.left" if left > dt.timedelta(0) else "pr.overdue", left=fmt_left(left, t)),
            "bar": progress(notice.since, expected, now)}


def event_view(case_id: str, e: m.CaseEvent, t: Translator, words: tuple[str, str] = ("state", "state")
               ) -> dict[str, Any]:
    data = e.data if isinstance(e.data, dict) else {}
    lines = []
    if e.deadline_at:
        lines.append(t("tl.deadline", at=fmt_time(e.deadline_at), kind=label(t, "deadline", e.deadline_kind)))
    if data.get("rule"):
        lines.append(t("tl.rule", rule=Markup('<code class="rule">{}</code>').format(data["rule"]),
                       version=Markup("<code>{}</code>").format(data.get("version", ""))))
    if e.action == "ship_return":
        lines.append(t("tl.pickup") if data.get("method") == "pickup" else t(
            "tl.return", carrier=data.get("carrier", ""), tracking=data.get("tracking_no", ""),
            freight=t.money(data.get("freight_fen") or 0)))
    reasons = [reason_view(x, t) for x in data.get("reasons") or [] if isinstance(x, dict)]
    role = label(t, "role", e.actor_role)
    actor = Markup('{} · <code class="id">{}</code>').format(role, e.actor_id) if e.actor_id else role
    return {"kind": "case", "case_id": case_id, "title": label(t, "action", e.action), "actor": actor,
            "from": e.from_state, "to": e.to_state,
            "from_family": words[0], "to_family": words[1], "note": e.note, "lines": lines, "reasons": reasons}


def scan_title(t: Translator, status: str) -> str:
    """A carrier scan as a person reads it: a status the platform knows by its label (``scan.*``); any other text
    a carrier sent is free text, shown as it came, as code, under a neutral "parcel update"."""
    kind = (status or "").strip().lower()
    known = t(f"scan.{kind}")
    if known != f"scan.{kind}":
        return t("tl.scan", status=known)
    return t("tl.scan_other", status=Markup('<code class="id">{}</code>').format(status))


def timeline_view(tl: OrderTimeline, views: list[CaseView], t: Translator,
                  extra: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Order facts, every case event and ``extra`` entries (fulfilment notices) on one time axis (order facts
    first when times tie)."""
    o = tl.order
    rows: list[tuple[dt.datetime, int, dict[str, Any]]] = [
        (o.paid_at, 0, {"kind": "paid", "title": t("tl.paid", amount=t.money(o.paid_fen))})]
    if o.shipped_at:
        rows.append((o.shipped_at, 1, {"kind": "shipped", "title": t(
            "tl.shipped", carrier=o.carrier or "", tracking=o.tracking_no or "")}))
    rows += [(s.scanned_at, 2, {"kind": "scan", "title": scan_title(t, s.status),
                                "lines": [s.location] if s.location else []}) for s in tl.scans]
    if o.signed_at:
        rows.append((o.signed_at, 3, {"kind": "signed", "title": t("tl.signed")}))
    if o.cancelled_at:
        why = Markup("<samp>{}</samp>").format(o.cancel_reason) if o.cancel_reason else None
        title = t("tl.cancelled_why", reason=why) if why else t("tl.cancelled")
        rows.append((o.cancelled_at, 3, {"kind": "cancelled", "title": title}))
    rows += [(e.at, 4, event_view(v.case.case_id, e, t, words)) for v in views
             for e, words in zip(v.events, state_words(v.events), strict=True)]
    rows += [(x["at"], 5, {k: v for k, v in x.items() if k != "at"}) for x in extra]
    rows.sort(key=lambda row: (row[0], row[1]))  # stable: case events keep their recorded order
    return [{"at": at, "lines": [], **entry} for at, _, entry in rows]


def actions_for(who: Principal, case: m.Case) -> list[str]:
    return [a.value for a, (role, states) in m.RULES.items()
            if a not in m.IMPLICIT and role == who.role.value and case.state in states]


def case_view(v: CaseView, who: Principal, t: Translator, now: dt.datetime,
              notice: disclosure.PlatformReview | None = None) -> dict[str, Any]:
    """``v`` as already disclosed to ``who`` (``shown``)."""
    c, d = v.case, v.decision if isinstance(v.decision, dict) else {}
    deadline = None
    if c.deadline_at:
        # The bar runs from the moment the current deadline was set (the event that set it).
        started = next((e.at for e in reversed(v.events) if e.deadline_at == c.deadline_at), c.opened_at)
        left = c.deadline_at - now
        deadline = {"at": c.deadline_at, "kind": label(t, "deadline", c.deadline_kind),
                    "text": t("case.left" if left > dt.timedelta(0) else "case.overdue", left=fmt_left(left, t)),
                    "bar": progress(started, c.deadline_at, now)}
    reasons = [reason_view(r, t) for r in d.get("reasons") or [] if isinstance(r, dict)]
    family = state_family(v)
    refused = refusal(reasons, t) if family == "state_by_rules" else ""
    facts = d.get("facts")
    facts = facts if isinstance(facts, dict) else {}
    return {
        "id": c.case_id, "order_id": c.order_id, "type": c.case_type, "reason": c.reason, "amount": c.amount_fen,
        "state": c.state.value, "state_family": family, "refusal": refused, "review": notice_view(notice, t, now),
        "opened_at": c.opened_at, "deadline": deadline, "outcome": d.get("outcome", ""),
        "reasons": reasons,  # the last one settled it; a refusal by the rules says which rule's reason
        "summary": refused or (reasons[-1]["text"] if reasons else ""),
        "passed_over": [reason_view(r, t) for r in d.get("passed_over") or [] if isinstance(r, dict)],
        "guarantee": d.get("guarantee") or c.guarantee_id or "—", "version": c.rulebook_version,
        "facts": [(k, fact_text(k, val)) for k, val in sorted(facts.items())],
        "trace": [s for s in d.get("trace") or [] if isinstance(s, dict)],
        "evidence": list(v.evidence), "description": v.description,
        "return": {"method": c.return_method, "carrier": c.return_carrier, "tracking_no": c.return_tracking_no,
                   "freight": c.return_freight_fen} if c.return_method else None,
        "money": [(key, amount) for key, amount in (("case.refunded", c.refunded_fen),
                                                   ("case.compensated", c.compensated_fen),
                                                   ("case.freight_paid", c.freight_paid_fen)) if amount],
        "actions": actions_for(who, c), "needs_note": sorted(a.value for a in m.NEEDS_NOTE),
        "pickup_covered": c.pickup_covered, "freight_covered": c.freight_covered,
    }


def fact_text(key: str, value: object) -> object:
    if isinstance(value, str) and (key.endswith("_at") or key == "now"):
        try:
            return fmt_time(parse_instant(value))
        except ValueError:
            return value
    return value
