"""Delivery as the pages of several contexts show it: the Hall's delivery panel of one order (after-sales shows it
next to the case), and the wording of fulfilment reports the fulfilment dashboards share (instants, evidence values,
labels from the catalogs). Presentation only: it formats what ``FulfilmentService`` returned, decides nothing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from anxin.web.i18n import Translator
from anxin.web.render import SHANGHAI, fmt_time

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_STALLED = re.compile(r"no_scan_(\d{1,4})h")


def parse_at(value: object) -> dt.datetime | None:
    """An instant from a report (ISO 8601 with an offset), or None for anything else."""
    if not isinstance(value, str) or not _ISO.match(value):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


def day_text(value: object) -> str:
    at = parse_at(value)
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d") if at else "—"


def evidence_text(value: object) -> str:
    """One evidence value as text: instants in Beijing time, objects as "key: value" pairs, None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {evidence_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(evidence_text(v) for v in value) or "—"
    at = parse_at(value)
    return fmt_time(at) if at else str(value)


def label(t: Translator, family: str, value: object) -> str:
    """``family.value`` in the page's language; the value itself (or a dash) where the catalog has no entry."""
    text = t(f"{family}.{value}")
    return str(value or "—") if text == f"{family}.{value}" else text


# --- the Hall's delivery panel ---------------------------------------------------------------------------------

def _notice(n: dict[str, Any], coupon_fen: int, ship_by: str, t: Translator) -> dict[str, Any]:
    kind, reason = str(n.get("kind")), str(n.get("reason"))
    eta = n.get("eta")
    eta = eta if isinstance(eta, dict) else {}
    lines = []
    if kind == "late_shipment":
        title = t("notice.late_shipment.title", ship_by=ship_by)
        if coupon_fen > 0:
            lines.append(t("notice.late_shipment.coupon", amount=t.money(coupon_fen)))
        lines.append(t("notice.late_shipment.next"))
    elif kind == "late_vs_eta":
        title = t("notice.late_vs_eta.title", likely=evidence_text(n.get("since")))
        lines.append(t("notice.late_vs_eta.next", likely=evidence_text(eta.get("likely"))))
    elif kind == "stalled" and (found := _STALLED.fullmatch(reason)):
        title = t("notice.stalled.title", h=found.group(1))
        lines.append(t("notice.stalled.next"))
    elif kind == "exception":
        title = t("notice.exception.title", status=label(t, "notice.scan", reason.removeprefix("scan_")))
        lines.append(t("notice.exception.next"))
    else:
        title = t("notice.other.title")
        lines.append(t("notice.other.next"))
    return {"kind": kind, "reason": reason, "title": title, "lines": lines, "since": parse_at(n.get("since")),
            "at": parse_at(n.get("created_at")), "rule_id": n.get("rule_id") or "",
            "version": n.get("rulebook_version")}


def _eta(raw: object, t: Translator) -> dict[str, Any] | None:
    if not isinstance(raw, dict) or parse_at(raw.get("likely")) is None:
        return None
    samples = int(raw.get("samples") or 0)
    basis = str(raw.get("basis"))
    return {"likely": parse_at(raw["likely"]), "earliest": day_text(raw.get("earliest")),
            "latest": day_text(raw.get("latest")),
            "stage": str(raw.get("stage")), "stage_text": label(t, "estage", raw.get("stage")),
            "basis": t("ebasis.default") if basis == "prior" and samples == 0 else t.tn(f"ebasis.{basis}", samples),
            "rule_id": raw.get("rule_id") or "", "revised_at": parse_at(raw.get("revised_at"))}


def order_panel(report: dict[str, Any], t: Translator) -> dict[str, Any]:
    """One order's promise, ETA and notices for the Hall, each notice saying what happens next; ``timeline`` holds
    the notices as timeline entries ({at, kind, title, lines})."""
    p = report["promise"]
    late = report.get("late_shipment") or []
    coupon = sum(int(c.get("coupon_fen") or 0) for c in late)
    ship_by = parse_at(p.get("ship_by"))
    notices = [_notice(n, coupon, fmt_time(ship_by), t) for n in report.get("notices") or []]
    status = report.get("status")
    eta = report.get("eta") if isinstance(report.get("eta"), dict) else None
    missed = bool(late) or any(f.get("kind") == "late_shipment" for f in report.get("findings") or [])
    return {
        "shop_id": report["shop_id"],
        "promise": {"ship_by": ship_by, "basis": label(t, "pbasis", p.get("basis")), "rule_id": p.get("rule_id"),
                    "version": p.get("rulebook_version"), "missed": missed,
                    "coupon": t.money(coupon) if coupon else "",
                    "exemption": label(t, "pexempt", p["exemption"]) if p.get("exemption") else "",
                    "exemption_rule_id": p.get("exemption_rule_id") or "",
                    "exemption_detail": p.get("exemption_detail") or ""},
        # once signed for or cancelled, an estimate says nothing more
        "eta": _eta(eta.get("current"), t) if eta and status not in ("delivered", "cancelled") else None,
        "notices": notices,
        "timeline": [{"at": n["at"], "kind": "notice", "title": n["title"], "lines": n["lines"]}
                     for n in notices if n["at"] is not None],
    }
