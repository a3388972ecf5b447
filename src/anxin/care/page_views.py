"""View models of the care pages: plain dicts, already worded in the reader's language.

What the care use cases return (consultations, tickets with their messages and timeline) is cut and worded here.
Consumers and merchants read a routing decision as its intent and route (the use cases already keep the rest from
them); operators also get the classifier's confidence, the rule ids and the rulebook and model versions, as codes.

The SLA countdown is computed on the server from the injected clock: the deadline in Beijing time, and the service
time left on the SLA's calendar (the clock stops outside service hours, so a deadline tomorrow morning may be only
minutes of service time away), with a level the page styles: ``ok``, ``at_risk`` (a third of the SLA's service time
or less left) or ``breached``. Pages carry no script (the pages' CSP forbids any), so a countdown is as of the page's
rendering, and the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from anxin.care.model import INTENTS as INTENTS
from anxin.care.sla import Sla, service_time_between
from anxin.care.tickets import TicketPolicy, breach_point
from anxin.core.clock import parse_instant
from anxin.web import formatting
from anxin.web.i18n import Translator
from anxin.web.render import fmt_left

# The vocabulary of the care spec, in the order the pages offer it.
TOPICS = ("pre_sale", "order", "logistics", "after_sale", "account", "merchant_policy")
CONSUMER_TOPICS = TOPICS[:-1]
STATES = ("open", "waiting_customer", "waiting_merchant", "resolved", "closed")
OWNERS = ("merchant_cs", "platform_cs")
ACTIVE = ("open", "waiting_customer", "waiting_merchant")
AT_RISK_SHARE = 1 / 3  # "at risk" once a third of the SLA's service time, or less, is left
# What staff may move a ticket to from its page (the state machine still decides what is legal from where).
STAFF_TARGETS = {"open": ("waiting_customer", "waiting_merchant", "resolved"),
                 "waiting_customer": ("open", "resolved"), "waiting_merchant": ("open", "resolved")}


def q(value: str) -> str:
    return quote(value, safe="")


def instant(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    try:
        return parse_instant(str(value))
    except ValueError:
        return None


def label(t: Translator, family: str, value: object) -> str:
    """The words of ``family.value``; a value the catalog does not know reads as "other", never as a raw code."""
    key = f"{family}.{value}"
    text = t(key)
    return t("cw.unknown") if text == key else text


def choices(t: Translator, family: str, values: Sequence[str]) -> list[dict[str, str]]:
    return [{"id": v, "text": label(t, family, v)} for v in values]


def service_span(delta: dt.timedelta, t: Translator) -> str:
    """Service time as a person reads it: minutes and seconds under ten minutes (a 3-minute SLA needs the
    seconds), then minutes, hours, days as the other deadlines read."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 600:
        return t("cw.span.min_sec", m=seconds // 60, s=seconds % 60)
    return fmt_left(dt.timedelta(seconds=seconds), t)


# --- the SLA countdown -------------------------------------------------------------------------------------------

def next_sla(ticket: Mapping[str, Any], policy: TicketPolicy) -> tuple[str, dt.datetime, Sla] | None:
    """(kind, due, the SLA) of the ticket's next deadline, the one the queue sorts by; None once resolved."""
    due = instant(ticket.get("next_due_at"))
    if due is None or ticket.get("state") not in ACTIVE:
        return None
    clocks = ticket.get("sla") or {}
    if (clocks.get("first_reply") or {}).get("replied_at") is None:
        return "first_reply", due, policy.first_reply_sla(str(ticket.get("owner")))
    return "resolution", due, policy.resolution_sla(str(ticket.get("topic")))


def sla_view(ticket: Mapping[str, Any], now: dt.datetime, policy: TicketPolicy, t: Translator) -> dict[str, Any]:
    """The countdown of the ticket's next deadline, and which of its SLAs were missed."""
    clocks = ticket.get("sla") or {}
    missed = [k for k in ("first_reply", "resolution") if (clocks.get(k) or {}).get("breached_at")]
    found = next_sla(ticket, policy)
    if found is None:
        return {"kind": None, "level": "breached" if missed else "done", "missed": missed,
                "missed_text": [label(t, "cw.sla_kind", k) for k in missed], "text": t("cw.sla.none"), "due": None,
                "bar": None}
    kind, due, sla = found
    total = dt.timedelta(minutes=sla.service_minutes)
    if now > breach_point(due, sla):  # a reply at the deadline itself is on time (and while the clock is stopped)
        clock, left = "breached", dt.timedelta(0)
        text = t("cw.sla.over", span=service_span(service_time_between(due, now, sla.calendar), t))
    else:
        left = service_time_between(now, due, sla.calendar) if now < due else dt.timedelta(0)
        clock = "at_risk" if left <= total * AT_RISK_SHARE else "ok"
        text = t("cw.sla.left", span=service_span(left, t))
    used = 1 - left / total if total else 1.0
    pct = max(0, min(100, round(used * 100)))
    bar_level = "over" if clock == "breached" else "late" if clock == "at_risk" else "mid" if used >= 0.5 else "ok"
    # The row's level: a deadline missed (this one now, or one recorded before: an escalated ticket runs a fresh
    # first-reply clock after the merchant's breach) outranks the running clock's own level.
    return {"kind": kind, "kind_text": label(t, "cw.sla_kind", kind), "due": due, "text": text,
            "level": "breached" if missed else clock, "clock": clock, "left_seconds": int(left.total_seconds()),
            "missed": missed, "missed_text": [label(t, "cw.sla_kind", k) for k in missed],
            "bar": {"pct": pct, "level": bar_level}}


def breaches_view(items: Sequence[Mapping[str, Any]], t: Translator) -> list[dict[str, Any]]:
    return [{"kind": b.get("kind"), "kind_text": label(t, "cw.sla_kind", b.get("kind")), "due": instant(b.get("due")),
             "at": instant(b.get("at")), "owner_text": label(t, "cw.owner", b.get("owner"))} for b in items]


# --- messages, timeline, routing, answers ------------------------------------------------------------------------

def message_view(m: Mapping[str, Any], t: Translator, *, me: str) -> dict[str, Any]:
    role = str((m.get("author") or {}).get("role") or "system")
    return {"id": m.get("message_id"), "role": role, "role_text": label(t, "cw.author", role),
            "text": m.get("text") or "", "at": instant(m.get("posted_at")), "mine": role == me}


def timeline_view(entries: Sequence[Mapping[str, Any]], t: Translator) -> list[dict[str, Any]]:
    out = []
    for e in entries:
        src, dst = e.get("from_state"), e.get("to_state")
        actor = str(e.get("actor") or "")
        out.append({"at": instant(e.get("at")), "actor": actor if ":" in actor else None,
                    "actor_text": label(t, "cw.actor", actor) if actor and ":" not in actor else None,
                    "from_text": label(t, "cw.state", src) if src else None,
                    "to_text": label(t, "cw.state", dst) if dst else None,
                    "what": label(t, "cw.event", e.get("kind")), "kind": e.get("kind"),
                    "reason": label(t, "cw.reason", e.get("reason")) if e.get("reason") in REASON_CODES
                    else str(e.get("reason") or "")})
    return out


# Reasons the use cases write themselves (codes); anything else is a person's words, shown as written.
REASON_CODES = frozenset({"routed_to_merchant_cs", "routed_to_platform_cs", "follow_up_after_case",
                          "follow_up_after_parcel", "first_reply_missed", "customer_replied", "merchant_replied",
                          "close_after_elapsed", "first_reply", "resolution"})


def routing_view(routing: Mapping[str, Any] | None, t: Translator, *, operator: bool) -> dict[str, Any] | None:
    """Intent and route for everyone; the classifier's confidence, rules and versions for operators only."""
    if not routing:
        return None
    view: dict[str, Any] = {"intent_text": label(t, "cw.intent", routing.get("intent")),
                            "route_text": label(t, "cw.route", routing.get("route")), "confidence": None}
    if operator:
        facts = routing.get("facts") or {}
        view.update(confidence=routing.get("confidence"), rule_ids=list(routing.get("rule_ids") or ()),
                    reason_codes=list(routing.get("reason_codes") or ()),
                    rulebook_version=routing.get("rulebook_version"), model_version=routing.get("model_version"),
                    top=[{"text": label(t, "cw.intent", i), "p": p} for i, p in _top(facts.get("top"))])
    return view


def _top(raw: object) -> list[tuple[str, float]]:
    out = []
    for item in raw if isinstance(raw, list | tuple) else ():
        if isinstance(item, Mapping):
            out.append((str(item.get("intent")), float(item.get("p") or item.get("probability") or 0)))
        elif isinstance(item, list | tuple) and len(item) == 2:
            out.append((str(item[0]), float(item[1])))
    return out[:3]


def answer_view(answer: Mapping[str, Any] | None, order_id: str | None, t: Translator) -> dict[str, Any] | None:
    """A case or parcel route's answer, with the link to where it lives: the order's page in the Service Guarantee
    Hall (its case card, or its parcel timeline)."""
    if not answer:
        return None
    kind = "case" if answer.get("kind") == "case" else "parcel"
    order = answer.get("order_id") or order_id
    case_id = answer.get("case_id")
    href = None
    if order:
        href = f"/hall/orders/{q(str(order))}" + (f"#case-{q(str(case_id))}" if kind == "case" and case_id else "")
    state = answer.get("case_state") if kind == "case" else answer.get("parcel_problem")
    return {"kind": kind, "title": label(t, "cw.answer", kind), "href": href, "case_id": case_id,
            "state_text": label(t, "state" if kind == "case" else "cw.parcel", state) if state else None}


# --- rows and pages ----------------------------------------------------------------------------------------------

def ticket_row(ticket: Mapping[str, Any], now: dt.datetime, policy: TicketPolicy, t: Translator,
               *, section: str) -> dict[str, Any]:
    """A queue's row and a ticket page's head: who and what, the state and the SLA countdown."""
    tid = str(ticket.get("ticket_id"))
    clocks = ticket.get("sla") or {}
    return {"id": tid, "href": f"/{section}/care/tickets/{q(tid)}", "shop_id": ticket.get("shop_id"),
            "order_id": ticket.get("order_id"), "channel_text": label(t, "cw.channel", ticket.get("channel")),
            "intent_text": label(t, "cw.intent", ticket.get("intent")),
            "topic_text": label(t, "cw.topic", ticket.get("topic")),
            "owner": ticket.get("owner"), "owner_text": label(t, "cw.owner", ticket.get("owner")),
            "state": ticket.get("state"), "state_text": label(t, "cw.state", ticket.get("state")),
            "escalated": clocks.get("escalated_at") is not None, "opened_at": instant(ticket.get("opened_at")),
            "preview": "", "sla": sla_view(ticket, now, policy, t)}


def consultation_row(c: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    """A consultation in its customer's list: its topic, question, state (or "answered")."""
    cid = str(c["consultation_id"])
    state = c.get("state") or ("answered" if c.get("route") in ("case", "parcel") else None)
    topic = c.get("topic") or _topic_of(c.get("intent"))
    return {"id": cid, "href": f"/care/consultations/{q(cid)}", "topic_text": label(t, "cw.topic", topic),
            "text": c.get("text") or "", "order_id": c.get("order_id"), "opened_at": instant(c.get("opened_at")),
            "state": state, "state_text": label(t, "cw.state", state) if state else None}


def _topic_of(intent: object) -> str | None:
    return str(intent).split(".")[0] if intent else None


def consultation_view(c: Mapping[str, Any], t: Translator, *, operator: bool) -> dict[str, Any]:
    routing = c.get("routing")
    topic = c.get("topic") or (routing or {}).get("topic")
    return {"id": c.get("consultation_id"), "topic_text": label(t, "cw.topic", topic), "text": c.get("text") or "",
            "order_id": c.get("order_id"), "shop_id": c.get("shop_id"), "opened_at": instant(c.get("opened_at")),
            "routed": bool(c.get("routed")), "routing": routing_view(routing, t, operator=operator),
            "answer": answer_view(c.get("answer"), c.get("order_id"), t)}


def consumer_ticket(ticket: Mapping[str, Any], ratings: Sequence[Mapping[str, Any]], now: dt.datetime,
                    policy: TicketPolicy, t: Translator) -> dict[str, Any]:
    """What the customer may do with their ticket now: reply (not closed), confirm or reopen (resolved; reopen a
    closed one within the window), rate (resolved or closed, once per resolution, within the window)."""
    clocks = ticket.get("sla") or {}
    state = ticket.get("state")
    closure = ticket.get("closure_no")
    rated = next((r for r in ratings if r.get("closure_no") == closure), None)
    reopen_ends = instant(clocks.get("reopen_window_ends_at"))
    rate_ends = instant(clocks.get("rating_window_ends_at"))
    return {"id": ticket.get("ticket_id"), "state": state, "state_text": label(t, "cw.state", state),
            "owner_text": label(t, "cw.owner", ticket.get("owner")), "can_reply": state != "closed",
            "can_reopen": state in ("resolved", "closed") and reopen_ends is not None and now <= reopen_ends,
            "rating": rated, "can_rate": state in ("resolved", "closed") and rated is None
            and rate_ends is not None and now <= rate_ends, "sla": sla_view(ticket, now, policy, t)}


def csat_rows(report: Mapping[str, Any], by: str, t: Translator) -> list[dict[str, Any]]:
    """CSAT groups as the report reads them: a channel's or intent's words; a merchant's id as a code."""
    out = []
    for g in report.get("groups") or ():
        key = g.get("key")
        text = label(t, f"cw.{by}", key) if by in ("channel", "intent", "owner") else None
        out.append({"key": key, "text": text, "count": int(g.get("ratings") or 0), "mean": g.get("average"),
                    "csat": g.get("csat")})
    return out


def sla_report_view(report: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    """The SLA report's headline figures, and a table by the team each ticket opened with."""
    def seconds(value: object) -> str:
        return service_span(dt.timedelta(seconds=float(value)), t) if isinstance(value, int | float) else "—"

    def rate(value: object) -> str:
        return formatting.percent(float(value), t.lang) if isinstance(value, int | float) else "—"

    every = report.get("all") or {}
    stats = [("tickets", str(every.get("tickets", 0))),
             ("first_reply_breach_rate", rate(every.get("first_reply_breach_rate"))),
             ("median_first_reply", seconds(every.get("median_first_reply_seconds"))),
             ("escalated", str(every.get("escalated", 0))),
             ("resolution_breach_rate", rate(every.get("resolution_breach_rate"))),
             ("median_resolution", seconds(every.get("median_resolution_seconds")))]
    rows = []
    for owner in OWNERS:
        f = report.get(owner) or {}
        rows.append([label(t, "cw.owner", owner), str(f.get("tickets", 0)), rate(f.get("first_reply_breach_rate")),
                     seconds(f.get("median_first_reply_seconds")), str(f.get("escalated", 0)),
                     rate(f.get("resolution_breach_rate")), seconds(f.get("median_resolution_seconds"))])
    heads = [t(f"cw.report.stat.{k}") for k, _ in stats]
    return {"sla_stats": [{"id": k, "label": t(f"cw.report.stat.{k}"), "value": v} for k, v in stats],
            "sla_rows": rows, "sla_heads": heads, "sla_by_label": t("cw.report.by_owner"),
            "rulebook_version": report.get("rulebook_version")}
