"""View models of the governance pages: plain dicts, already worded in the reader's language.

What the use cases return is cut and worded here: a merchant's violation shows its evidence as sentences and ids,
never a decision's trace or a risk finding's id; operators get the trace (rule ids, rulebook version, facts) as
codes. The ladder is drawn here as inline SVG (no script, no CDN), its text escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from anxin.core.clock import parse_instant
from anxin.governance.catalogue import Catalogue
from anxin.governance.inspection_rules import InspectionRules
from anxin.web.chart_widgets import gauge
from anxin.web.i18n import Translator
from anxin.web.render import fmt_left, fmt_value, progress

ID_KEYS = ("order_id", "finding_id", "listing_id", "complaint_id", "case_id", "sample_id", "plan_id",
           "rights_holder_id")
TEXT_KEYS = ("description", "statement")
# Evidence a merchant never reads: the risk verdict's id behind a risky-merchant violation, and the checks' traces.
OPERATOR_ONLY = ("cause_id", "rule_id", "rule_ids", "rulebook_version", "reason_codes")
TRACE_KEYS = ("rule_id", "rule_ids", "rulebook_version")


def label(t: Translator, family: str, value: object) -> str:
    """The words of ``family.value``, or the value itself when the catalog has none (shown as a code)."""
    key = f"{family}.{value}"
    text = t(key)
    return str(value) if text == key else text


def words(t: Translator, key: str) -> str:
    """A key that is itself a code (``governance.reason.absolute_term``): its words, or the code."""
    return t(key)


def defect_line(d: Mapping[str, Any], t: Translator, names: Mapping[str, str]) -> str:
    kind = str(d.get("kind"))
    line = t("gv.defect_line", defect=names.get(kind) or label(t, "gv.defect", kind),
             severity=label(t, "gv.severity", d.get("severity")))
    detail = str(d.get("detail") or "").strip()
    return line + t("gv.sep") + detail if detail else line


def instant(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        return parse_instant(value)
    except ValueError:
        return None


def defect_names(rules: InspectionRules, lang: str) -> dict[str, str]:
    """The rulebook's own names of the inspection defects, in the reader's language."""
    return {k: (d.name.zh_cn if lang == "zh-CN" else d.name.en) for k, d in rules.defects.items()}


def points(hundredths: int | None, t: Translator) -> str:
    if hundredths is None:
        return "—"
    value = hundredths / 100
    return t("gv.points", n=f"{value:g}")


def target(t: Translator, ref: str | None) -> dict[str, str]:
    """``listing:l1`` → the subject type's name and the id."""
    kind, _, ident = (ref or "").partition(":")
    return {"type": label(t, "gv.subject", kind), "id": ident or kind, "known": "1" if ident else ""}


def countdown(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime, t: Translator,
              *, open_key: str = "gv.until_lifted") -> dict[str, Any]:
    """Time left to ``end`` (server-rendered with the injected clock), the bar of the span used, or open-ended."""
    if end is None:
        return {"text": t(open_key), "end": None, "bar": None, "over": False}
    over = now >= end
    left = fmt_left(end - now, t)
    return {"text": t("gv.overdue_by", left=left) if over else t("gv.left", left=left), "end": end,
            "bar": progress(start, end, now), "over": over}


# --- the ladder ------------------------------------------------------------------------------------------------

def _e(text: object) -> str:
    return str(escape(str(text)))


def ladder_svg(cls_name: str, pts: int, nodes: Sequence[Mapping[str, Any]], caution: int, t: Translator) -> Markup:
    """A horizontal ladder: the track from 0 past the last node, the caution zone before the next node, the filled
    points, each node's tick and points, and a marker where the shop stands."""
    width, height, left, right = 640, 92, 16, 24
    last = max([int(n["points"]) for n in nodes] or [100])
    top = max(last + last // 10, pts + pts // 20, 1)
    span = width - left - right

    def x(v: int) -> float:
        return left + span * min(max(v, 0), top) / top

    nxt = next((n for n in nodes if n["next"]), None)
    body = [f'<rect class="gv-track" x="{left}" y="34" width="{span}" height="14" rx="3"/>']
    if nxt is not None:
        lo = max(0, int(nxt["points"]) - caution)
        body.append(f'<rect class="gv-caution-zone" x="{x(lo):.1f}" y="34" width="{x(int(nxt["points"])) - x(lo):.1f}"'
                    ' height="14"/>')
    fill = "gv-fill-caution" if any(n["caution"] for n in nodes) else "gv-fill"
    body.append(f'<rect class="{fill}" x="{left}" y="34" width="{x(pts) - left:.1f}" height="14" rx="3"/>')
    for n in nodes:
        cls = "gv-node-reached" if n["reached"] else "gv-node-next" if n["next"] else "gv-node"
        nx = x(int(n["points"]))
        body.append(f'<g class="{cls}"><line x1="{nx:.1f}" y1="28" x2="{nx:.1f}" y2="54"/>'
                    f'<text x="{nx:.1f}" y="70" text-anchor="middle">{_e(n["points_text"])}</text></g>')
    px = x(pts)
    body.append(f'<g class="gv-marker"><path d="M{px - 6:.1f} 16 L{px + 6:.1f} 16 L{px:.1f} 28 Z"/>'
                f'<text x="{min(max(px, 40), width - 40):.1f}" y="12" text-anchor="middle">'
                f'{_e(points(pts, t))}</text></g>')
    title = t("gv.ladder.svg_title", cls=label(t, "gv.class", cls_name))
    desc = t("gv.ladder.svg_desc", points=points(pts, t),
             nodes=t("gv.sep").join(str(n["points_text"]) for n in nodes))
    return Markup(f'<svg class="gv-ladder" role="img" viewBox="0 0 {width} {height}" width="100%" '
                  f'preserveAspectRatio="xMinYMid meet" data-class="{_e(cls_name)}"><title>{_e(title)}</title>'
                  f'<desc>{_e(desc)}</desc>{"".join(body)}</svg>')


def classes_view(record: Mapping[str, Any], cat: Catalogue, t: Translator, lang: str) -> list[dict[str, Any]]:
    """Per class: the points and their expiry, the gauge, the ladder with where the shop stands, the next node."""
    out = []
    standing = {s["class"]: s for s in record["ladder"]}
    for cls in record["points"]:
        name = cls["class"]
        pts = int(cls["points_hundredths"])
        pos = standing.get(name, {})
        nodes = []
        for node in cat.ladders.get(name, ()):
            nodes.append({"id": node.id, "points": node.points / 100, "hundredths": node.points,
                          "points_text": points(node.points, t),
                          "reached": node.points <= pts, "next": node.id == pos.get("next_node"),
                          "caution": bool(pos.get("caution")) and node.id == pos.get("next_node"),
                          "measures": [measure_name(t, cat, m) for m in node.measures]})
        last = max([n["points"] for n in nodes] or [1.0])
        caution_h = cat.caution
        bands = []
        lo = 0.0
        for n in nodes:
            start = max(lo, n["points"] - caution_h / 100)
            if start > lo:
                bands.append((lo, start, "chart-band-good" if lo == 0 else "chart-band-warn"))
            bands.append((start, n["points"], "chart-band-warn"))
            lo = n["points"]
        bands.append((lo, max(last * 1.1, lo + 1), "chart-band-bad"))
        entries = [{"points": points(e["points_hundredths"], t), "expires_at": instant(e["expires_at"]),
                    "violation_id": e["violation_id"]} for e in cls["entries"]]
        out.append({
            "class": name, "name": label(t, "gv.class", name), "points": points(pts, t), "hundredths": pts,
            "gauge": gauge(pts / 100, 0.0, max(last * 1.1, pts / 100), bands, title=label(t, "gv.class", name),
                           value_format=lambda v: f"{v:g}", width=220, height=140, lang=lang),
            "svg": ladder_svg(name, pts, [{**n, "points": n["hundredths"]} for n in nodes],
                              caution_h, t),
            "nodes": nodes, "caution": bool(pos.get("caution")),
            "next_points": points(pos.get("next_node_points_hundredths"), t) if pos.get("next_node") else None,
            "distance": points(pos.get("distance_hundredths"), t) if pos.get("next_node") else None,
            "entries": entries})
    return out


def measure_name(t: Translator, cat: Catalogue, palette_id: str) -> str:
    m = cat.measures.get(palette_id)
    kind = label(t, "gv.measure", m.type if m else palette_id)
    if m is not None and m.days:
        return t("gv.measure_for_days", measure=kind, days=m.days)
    return kind


# --- measures, evidence, violations, appeals -------------------------------------------------------------------

def measure_view(m: Mapping[str, Any], t: Translator, now: dt.datetime) -> dict[str, Any]:
    starts, ends = instant(m["starts_at"]), instant(m["ends_at"])
    return {"id": m["measure_id"], "type": m["type"], "name": label(t, "gv.measure", m["type"]),
            "target": target(t, m["target"]), "state": m["state"],
            "state_text": label(t, "gv.measure_state", m["state"]),
            "starts_at": starts, "ends_at": ends, "amount_fen": m.get("amount_fen"),
            "countdown": countdown(starts, ends, now, t) if m["state"] == "active" else None,
            "violation_id": m["violation_id"], "action_ids": list(m.get("action_ids") or []),
            "lift_action_ids": list(m.get("lift_action_ids") or [])}


def _match_line(m: Mapping[str, Any], t: Translator) -> dict[str, str]:
    return {"term": str(m.get("term", "")), "field": label(t, "gv.field", m.get("field")),
            "reason": words(t, str(m.get("reason", ""))), "outcome": label(t, "gv.outcome", m.get("outcome")),
            "rule_id": str(m.get("rule_id", ""))}


def evidence_view(evidence: Mapping[str, Any], t: Translator, *, operator: bool,
                  defect_names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Evidence as a reader reads it: each key's label, ids as codes, texts as quotes, matched terms and defects as
    sentences. Keys nobody named are shown to operators only, as codes."""
    out: list[dict[str, Any]] = []
    names = defect_names or {}
    for key, value in evidence.items():
        if not operator and key in OPERATOR_ONLY:
            continue
        item: dict[str, Any] = {"key": key, "label": label(t, "gv.evidence", key), "codes": [], "text": "",
                                "lines": [], "matches": []}
        if key in ID_KEYS or key in TRACE_KEYS:
            item["codes"] = [str(v) for v in (value if isinstance(value, list) else [value])]
        elif key in TEXT_KEYS:
            item["text"] = str(value)
        elif key == "claims" and isinstance(value, list):
            item["lines"] = [t("gv.claim", term=str(v)) for v in value]
        elif key == "matches" and isinstance(value, list):
            item["matches"] = [_match_line(m, t) for m in value if isinstance(m, Mapping)]
        elif key == "defects" and isinstance(value, list):
            item["lines"] = [defect_line(d, t, names) for d in value if isinstance(d, Mapping)]
        elif key in ("finding_kind", "cause", "rights_kind", "counter_noticed"):
            family = {"finding_kind": "fkind", "cause": "gv.cause", "rights_kind": "gv.rights",
                      "counter_noticed": "gv.yesno"}[key]
            item["lines"] = [label(t, family, str(value).lower() if isinstance(value, bool) else value)]
        elif key == "reason_codes" and isinstance(value, list):
            item["lines"] = [label(t, "gv.ip.reason", v) for v in value]
        elif key == "proof" and isinstance(value, Mapping):
            item["lines"] = [t("gv.proof_line", field=label(t, "gv.proof", k), value=fmt_value(v))
                             for k, v in value.items() if k != "authorisation_chain"]
        elif key == "evidence" and isinstance(value, list):
            item["codes"] = [str(v.get("ref", v)) if isinstance(v, Mapping) else str(v) for v in value]
        elif operator:
            item["codes"] = [fmt_value(value)]
        else:
            continue
        if item["codes"] or item["text"] or item["lines"] or item["matches"]:
            out.append(item)
    return out


def violation_view(v: Mapping[str, Any], t: Translator, *, operator: bool, appeals: Sequence[Mapping[str, Any]] = (),
                   defect_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    mine = [a for a in appeals if a["violation_id"] == v["violation_id"]]
    open_appeal = any(a["state"] == "submitted" for a in mine)
    return {"id": v["violation_id"], "kind": v["kind"], "kind_text": label(t, "gv.kind", v["kind"]),
            "class": v["class"], "class_text": label(t, "gv.class", v["class"]),
            "severity_text": label(t, "gv.severity", v["severity"]) if v.get("severity") else "",
            "points": points(v["points_hundredths"], t), "state": v["state"],
            "state_text": label(t, "gv.violation_state", v["state"]), "subject": target(t, v["subject"]),
            "shop_id": v.get("shop_id"), "appealable": bool(v["appealable"]),
            "can_appeal": bool(v["appealable"]) and v["state"] == "active" and not open_appeal,
            "open_appeal": open_appeal, "appeals": len(mine),
            "source": label(t, "gv.source", v["source"]["type"]), "source_id": v["source"]["id"],
            "happened_at": instant(v["happened_at"]), "recorded_at": instant(v["recorded_at"]),
            "reversed_at": instant(v.get("reversed_at")), "note": v.get("note") or "",
            "evidence": evidence_view(v.get("evidence") or {}, t, operator=operator, defect_names=defect_names)}


def appeal_view(a: Mapping[str, Any], t: Translator, now: dt.datetime) -> dict[str, Any]:
    filed, deadline = instant(a["filed_at"]), instant(a["deadline_at"])
    decision = a.get("decision") or None
    return {"id": a["appeal_id"], "violation_id": a["violation_id"], "shop_id": a.get("shop_id"),
            "appellant": a["appellant"], "number": a["number"], "statement": a["statement"],
            "evidence": [{"kind": label(t, "gv.evidence_kind", e["kind"]), "ref": e["ref"]} for e in a["evidence"]],
            "state": a["state"], "state_text": label(t, "gv.appeal_state", a["state"]), "overdue": a["overdue"],
            "filed_at": filed, "deadline_at": deadline,
            "countdown": countdown(filed, deadline, now, t) if a["state"] == "submitted" else None,
            "decided_at": instant(decision["decided_at"]) if decision else None,
            "abusive": bool(decision and decision.get("abusive")),
            "note": (decision or {}).get("note") or ""}


def decision_view(d: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    """A decision's trace for operators: the step and outcome in words, reason codes with their words, the rules."""
    return {"step": label(t, "gv.step", d["step"]), "outcome": label(t, "gv.decision_outcome", d["outcome"]),
            "reasons": [{"code": c, "text": label(t, "gv.reason", c)} for c in d["reason_codes"]],
            "rule_ids": list(d["rule_ids"]), "version": d["rulebook_version"], "decided_at": instant(d["decided_at"]),
            "facts": [{"key": k, "value": fmt_value(v)} for k, v in (d.get("facts") or {}).items()]}


def finding_view(f: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    return {"id": f["check_id"], "listing_id": f["listing_id"], "shop_id": f["shop_id"],
            "outcome": f["outcome"], "outcome_text": label(t, "gv.outcome", f["outcome"]),
            "review_state": f["review_state"], "review_text": label(t, "gv.review", f["review_state"]),
            "matches": [_match_line(m, t) for m in f["matches"]], "rule_ids": list(f["rule_ids"]),
            "version": f["rulebook_version"], "checked_at": instant(f["checked_at"]),
            "violation_id": f.get("violation_id"), "decided_at": instant(f.get("decided_at")),
            "note": f.get("decision_note") or ""}


def complaint_view(c: Mapping[str, Any], t: Translator, now: dt.datetime) -> dict[str, Any]:
    due = instant(c.get("decision_due_at")) or instant(c.get("due_at"))
    decision = c.get("decision") or None
    proof = dict(c.get("proof") or {})
    chain = proof.pop("authorisation_chain", None) or []
    return {"id": c["complaint_id"], "rights_holder_id": c["rights_holder_id"], "shop_id": c["shop_id"],
            "listing_ids": list(c["listing_ids"]), "rights": label(t, "gv.rights", c["rights_kind"]),
            "proof": [{"field": label(t, "gv.proof", k), "value": fmt_value(v)} for k, v in proof.items()],
            "chain": [{"grantor": str(link.get("grantor", "")), "grantee": str(link.get("grantee", "")),
                       "document_ref": str(link.get("document_ref", "")), "valid_until": link.get("valid_until")}
                      for link in chain if isinstance(link, Mapping)],
            "statement": c["statement"], "evidence": [str(e) for e in c["evidence"]], "state": c["state"],
            "state_text": label(t, "gv.ip_state", c["state"]), "filed_at": instant(c["filed_at"]),
            "window_end": instant(c["counter_notice_deadline"]), "due_at": due, "overdue": bool(c["overdue"]),
            "countdown": countdown(instant(c["filed_at"]), due, now, t) if decision is None and due else None,
            "counter_notice": c.get("counter_notice"), "ready": c["state"] in ("counter_noticed", "window_lapsed"),
            "decision": None if decision is None else {
                "outcome": label(t, "gv.ip_state", decision["outcome"]),
                "reasons": [label(t, "gv.ip.reason", r) for r in decision["reason_codes"]],
                "violations": list(decision.get("violations") or []), "note": decision.get("note") or "",
                "decided_at": instant(decision.get("decided_at"))}}


def report_rows(report: Mapping[str, Any], lang: str, t: Translator) -> list[dict[str, Any]]:
    rows = []
    for r in [*report["strata"], report["total"]]:
        names = r.get("name") or {}
        name = names.get(lang) if isinstance(names, Mapping) else None
        rows.append({**r, "label": name or (t("gv.total") if r["stratum"] == "total" else r["stratum"])})
    return rows


def sample_view(s: Mapping[str, Any], t: Translator, defect_names: Mapping[str, str]) -> dict[str, Any]:
    return {"id": s["sample_id"], "rank": s["rank"], "listing_id": s["listing_id"], "shop_id": s["shop_id"],
            "stratum": s["stratum"], "weight": s["weight"], "pick": label(t, "gv.pick", s["pick"]),
            "state": s["state"], "state_text": label(t, "gv.sample_state", s["state"]),
            "defects": [defect_line(d, t, defect_names) for d in s["defects"] if isinstance(d, Mapping)],
            "violation_id": s.get("violation_id"), "result_at": instant(s.get("result_at"))}
