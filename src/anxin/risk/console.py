"""View models of the operator risk console: what RiskService returned, worded and formatted for the pages.

Nothing here decides: no rule is evaluated, no figure recomputed. Messages come in the page's language from the
rules themselves; instants are shown in Beijing time; money stays integer fen until formatted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from anxin.core.money import format_fen
from anxin.web.i18n import Translator
from anxin.web.link_graph import Attribute, Edge, Words, link_graph
from anxin.web.render import fmt_left, fmt_time, progress

QUEUE_STATES = ("open", "decided", "cleared", "confirmed", "withdrawn")
GENERIC_SKIP = {"matches", "cases"}  # the near-duplicate evidence has its own section


def at(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def mapping(value: object) -> Mapping[str, Any]:
    """A JSON object from the service, or an empty one for anything else."""
    return value if isinstance(value, Mapping) else {}


def label(t: Translator, family: str, value: object) -> str:
    text = t(f"{family}.{value}")
    return str(value if value is not None else "—") if text == f"{family}.{value}" else text


def message(raw: object, lang: str, fallback: str = "") -> str:
    """A rule's message in the page's language (the other one, then the code, when it has none)."""
    if isinstance(raw, Mapping):
        for key in (lang, "zh-CN", "en"):
            if isinstance(raw.get(key), str) and raw[key]:
                return str(raw[key])
    return fallback


def compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(", ", ": "))


def pct_10k(per_10k: object) -> str:
    """Hundredths of a percent as an exact decimal: 250 -> "2.50 %"."""
    n = per_10k if isinstance(per_10k, int) and not isinstance(per_10k, bool) else 0
    return f"{n // 100}.{n % 100:02d} %"


def value_text(key: str, value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int) and key.endswith("_fen"):
        return format_fen(value)
    if isinstance(value, str) and at(value):
        return fmt_time(at(value))
    if isinstance(value, list | tuple):
        return ", ".join(value_text("", v) for v in value) or "—"
    if isinstance(value, dict):
        return compact(value)
    return str(value)


# --- the queue -----------------------------------------------------------------------------------------------

def sla(item: Mapping[str, Any], t: Translator, now: dt.datetime) -> dict[str, Any] | None:
    """Time left (or overdue) on an open review, with the deadline bar; None once decided."""
    opened, due = at(item.get("opened_at")), at(item.get("due_at"))
    if item.get("state") != "open" or due is None:
        return None
    left = due - now
    return {"at": due, "overdue": left <= dt.timedelta(0),
            "text": t("rk.left" if left > dt.timedelta(0) else "rk.overdue_by", left=fmt_left(left, t)),
            "bar": progress(opened, due, now)}


def code_messages(rules: Mapping[str, Any], lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in rules.get("rules") or []:
        out.setdefault(str(r.get("code")), message(r.get("message"), lang, str(r.get("code"))))
    return out


def queue_item(item: Mapping[str, Any], t: Translator, lang: str, now: dt.datetime,
               messages: Mapping[str, str]) -> dict[str, Any]:
    return {**item, "opened": at(item.get("opened_at")), "decided": at(item.get("decided_at")),
            "sla": sla(item, t, now), "amount": t.money(item["amount_fen"]) if item.get("amount_fen") else "—",
            "reasons": [{"code": c, "text": messages.get(c) or label(t, "code", c)} for c in item.get("codes") or []],
            "decision_reason": label(t, "rk.reason", item.get("decision_reason")) if item.get("decision_reason")
            else ""}


def state_tabs(counts: Mapping[str, int], current: str) -> list[dict[str, Any]]:
    decided = sum(int(counts.get(s, 0)) for s in ("cleared", "confirmed", "withdrawn"))
    return [{"state": s, "count": decided if s == "decided" else int(counts.get(s, 0)), "current": s == current,
             "url": f"/ops/risk?state={s}"} for s in QUEUE_STATES]


# --- one review ----------------------------------------------------------------------------------------------

def reason_view(r: Mapping[str, Any], t: Translator, lang: str) -> dict[str, Any]:
    return {"rule": r.get("rule"), "code": r.get("code"), "action": r.get("action"), "points": r.get("points"),
            "status": r.get("status"), "text": message(r.get("message"), lang, str(r.get("code"))),
            "compared": [{"fact": c.get("fact"), "op": label(t, "rk.op", c.get("op")), "raw_op": c.get("op"),
                          "expected": value_text(str(c.get("fact")), c.get("expected")),
                          "actual": value_text(str(c.get("fact")), c.get("actual"))}
                         for c in r.get("compared") or [] if isinstance(c, Mapping)]}


def evidence_pairs(signal: Mapping[str, Any] | None, claim_images: Iterable[str]) -> list[dict[str, Any]]:
    """Each image of this claim with its near-duplicates beside it: the Hamming distance and where each matched
    image was filed (case, account, shop). An image matching only itself (this claim's own upload) has none."""
    ev = mapping(signal.get("evidence") if signal else None)
    matches = mapping(ev.get("matches"))
    cases: dict[str, list[dict[str, Any]]] = {}
    for c in ev.get("cases") or []:
        if isinstance(c, Mapping) and isinstance(c.get("sha256"), str):
            cases.setdefault(c["sha256"], []).append({**c, "when": at(c.get("at"))})
    out: list[dict[str, Any]] = []
    for sha in dict.fromkeys([*claim_images, *matches]):
        found: list[dict[str, Any]] = []
        for m in matches.get(sha) or []:
            other = m.get("sha256") if isinstance(m, Mapping) else None
            if not isinstance(other, str) or (other == sha and not cases.get(other)):
                continue
            found.append({"sha256": other, "distance": m.get("distance"), "same_file": other == sha,
                          "cases": cases.get(other, [])})
        found.sort(key=lambda f: (f["distance"] or 0, f["sha256"]))
        out.append({"sha256": sha, "matches": found})
    return out


def signal_view(s: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    ev = mapping(s.get("evidence"))
    return {"name": s.get("name"), "title": label(t, "rk.signal", s.get("name")),
            "value": value_text("", s.get("value")),
            "evidence": [(k, value_text(k, v)) for k, v in ev.items() if k not in GENERIC_SKIP]}


def graph_view(links: Mapping[str, Any] | None, t: Translator) -> dict[str, Any] | None:
    if not links:
        return None
    attrs = [Attribute(str(a["kind"]), str(a["value"]), bool(a.get("hub"))) for a in links.get("attributes") or []]
    edges = [Edge(str(e["account"]), str(e["kind"]), str(e["value"])) for e in links.get("edges") or []]
    ring = links.get("ring") if isinstance(links.get("ring"), Mapping) else None
    members = frozenset(ring.get("members") or []) if ring and ring.get("is_ring") else frozenset()
    accounts = sorted({e.account for e in edges})
    words = Words(title=t("rk.graph.title", subject=links["subject"]),
                  desc=t("rk.graph.desc", attributes=len(attrs), accounts=len(accounts),
                         hubs=sum(1 for a in attrs if a.hub)),
                  hub=t("rk.graph.hub"), more=t("rk.graph.more"))
    rows = [{"kind": a.kind, "kind_text": label(t, "rk.kind", a.kind), "value": a.value, "hub": a.hub,
             "accounts": sorted(e.account for e in edges if (e.kind, e.value) == (a.kind, a.value))} for a in attrs]
    return {"svg": link_graph(str(links["subject"]), attrs, edges, words, ring=members),
            "subject": links["subject"], "rows": rows, "accounts": accounts, "ring": ring, "ring_members": members}


def timeline(view: Any, t: Translator) -> list[dict[str, Any]]:
    """The after-sales case's events, as the shared timeline macro shows them."""
    out = []
    for e in view.events if view is not None else ():
        lines = [t("tl.deadline", at=fmt_time(e.deadline_at), kind=label(t, "deadline", e.deadline_kind))] \
            if e.deadline_at else []
        out.append({"kind": "case", "case_id": view.case.case_id, "at": e.at, "title": label(t, "action", e.action),
                    "actor": Markup('{} · <code class="id">{}</code>').format(label(t, "role", e.actor_role),
                                                                                  e.actor_id), "from": e.from_state,
                    "to": e.to_state, "note": e.note, "lines": lines, "reasons": []})
    return out


def audit_view(rows: Iterable[Mapping[str, Any]], t: Translator) -> list[dict[str, Any]]:
    return [{"at": at(a.get("at")), "actor": a.get("actor"), "action": a.get("action"),
             "title": label(t, "rk.audit", a.get("action")),
             "detail": [(k, value_text(k, v)) for k, v in (a.get("detail") or {}).items()]
             if isinstance(a.get("detail"), Mapping) else []} for a in rows]


def review_view(d: Mapping[str, Any], case: Any, t: Translator, lang: str, now: dt.datetime) -> dict[str, Any]:
    v = mapping(d.get("verdict"))
    signals = [s for s in v.get("signals") or [] if isinstance(s, Mapping)]
    dup = next((s for s in signals if s.get("name") == "evidence_near_duplicates"), None)
    images = list(case.evidence) if case is not None else []
    return {
        **d, "opened": at(d.get("opened_at")), "decided": at(d.get("decided_at")), "sla": sla(d, t, now),
        "amount": t.money(d["amount_fen"]) if d.get("amount_fen") else "—",
        "decision_reason_text": label(t, "rk.reason", d.get("decision_reason")) if d.get("decision_reason") else "",
        "mode": v.get("mode"), "would_be": v.get("would_be"), "rulebook_version": v.get("rulebook_version"),
        "reasons": [reason_view(r, t, lang) for r in v.get("reasons") or [] if isinstance(r, Mapping)],
        "shadow": [reason_view(r, t, lang) for r in v.get("shadow") or [] if isinstance(r, Mapping)],
        "signals": [signal_view(s, t) for s in signals],
        "pairs": evidence_pairs(dup, images) if dup or images else [],
        "facts": [(k, value_text(k, val)) for k, val in mapping(v.get("facts")).items()],
        "graph": graph_view(d.get("links"), t),
        "history": [{**h, "when": at(h.get("decided_at")), "codes": [r.get("code") for r in h.get("reasons") or []
                                                                     if isinstance(r, Mapping)]}
                    for h in d.get("history") or []],
        "audit": audit_view(d.get("audit") or [], t),
        "case": {"id": case.case.case_id, "state": case.case.state.value, "order_id": case.case.order_id,
                 "type": case.case.case_type, "reason": case.case.reason, "description": case.description,
                 "timeline": timeline(case, t)} if case is not None else None,
    }


# --- rules and backtests -------------------------------------------------------------------------------------

def backtest_view(b: Mapping[str, Any] | None, t: Translator) -> dict[str, Any] | None:
    if not isinstance(b, Mapping):
        return None
    requests, not_evaluable = int(b.get("requests") or 0), int(b.get("not_evaluable") or 0)
    return {**b, "evaluated": requests - not_evaluable, "share": pct_10k(b.get("fired_per_10k")),
            "when": at(b.get("at")), "examples": list(b.get("examples") or [])}


def rules_view(rules: Mapping[str, Any], t: Translator, lang: str) -> list[dict[str, Any]]:
    return [{**r, "text": message(r.get("message"), lang, str(r.get("code"))), "condition": compact(r.get("when")),
             "test": backtest_view(r.get("backtest"), t)} for r in rules.get("rules") or []]
