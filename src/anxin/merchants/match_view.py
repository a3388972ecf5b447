"""Matchmaking as the pages show it: proposals, invitations and outcomes worded in the page's language (reasons
through the merchants catalog's ``mc.reason.<code>``; states, phases and bands through ``mc.mm.*``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from anxin.merchants import centre_view as cv
from anxin.merchants.matchmaking import MatchRules, pct
from anxin.web.i18n import Translator

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def band_text(band: str | None, rules: MatchRules, lang: str, t: Translator) -> str:
    named = {b.id: b.name for b in rules.bands}
    if band is None or band not in named:
        return t("mc.mm.unscored")
    return named[band].get(lang) or band


def _worded(reasons: Iterable[Mapping[str, Any]], rules: MatchRules, t: Translator,
            lang: str) -> list[dict[str, Any]]:
    """The reasons with a band id replaced by its name in the page's language (the id stays in the stored facts)."""
    out = []
    for r in reasons:
        params = dict(r.get("params") or {})
        if isinstance(params.get("band"), str):
            params["band"] = band_text(params["band"] if params["band"] != "-" else None, rules, lang, t)
        out.append({**r, "params": params})
    return out


def proposal_view(p: Mapping[str, Any], rules: MatchRules, t: Translator, lang: str) -> dict[str, Any]:
    parts = p["parts"]
    return {"creator_id": p["creator_id"], "match": pct(int(p["match_bp"])), "match_bp": p["match_bp"],
            "fit": pct(int(parts["category_fit_bp"])), "reputation": pct(int(parts["reputation_bp"])),
            "capacity": pct(int(parts["capacity_bp"])), "band": band_text(p.get("band"), rules, lang, t),
            "slots_left": p["slots_left"], "reasons": cv.reasons(_worded(p.get("reasons") or [], rules, t, lang), lang),
            "rule_ids": p.get("rule_ids") or []}


def invitation_view(inv: Mapping[str, Any], rules: MatchRules, t: Translator, lang: str) -> dict[str, Any]:
    session = inv["session"]
    outcome = inv.get("outcome")
    return {"id": inv["invitation_id"], "shop_id": inv["shop_id"], "creator_id": inv["creator_id"],
            "state": inv["state"], "state_text": t(f"mc.mm.state.{inv['state']}"),
            "created_at": inv["created_at"], "expires_at": inv["expires_at"], "decided_at": inv.get("decided_at"),
            "start": session["start"], "end": session["end"], "phase": session.get("phase"),
            "phase_text": t(f"mc.mm.phase.{session['phase']}") if session.get("phase") else "",
            "note": inv.get("note") or "", "version": inv["rulebook_version"],
            "match": proposal_view(inv["match"], rules, t, lang),
            "outcome": None if outcome is None else {
                "orders": outcome["orders"], "gmv_fen": outcome["gmv_fen"], "cases": outcome["cases"],
                "late": outcome["late_shipments"]},
            "open": inv["state"] == "pending"}


def invitations_view(rows: Iterable[Mapping[str, Any]], rules: MatchRules, t: Translator,
                     lang: str) -> list[dict[str, Any]]:
    return [invitation_view(r, rules, t, lang) for r in rows]


def local_input(at: dt.datetime) -> str:
    """A datetime-local input's value in Beijing time."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: str) -> dt.datetime | None:
    """A datetime-local input (Beijing time) as an aware instant; None when it is not one."""
    try:
        local = dt.datetime.strptime(value.strip() + "+0800", "%Y-%m-%dT%H:%M%z")
    except ValueError:
        return None
    return local.astimezone(dt.UTC)
