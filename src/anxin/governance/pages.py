"""The governance pages (server-rendered, zh-CN and en): the merchant's governance page (points per class with the
gauge and the ladder, active measures with the time left, violations with their evidence, appeals and the appeal
form) and, included from ``console_pages``, the operators' governance console.

Thin: every read and write goes through ``Anxin.governance`` with the signed-in principal, so isolation is the use
cases' (another merchant's shop or violation is simply not found, the 404 page). ``page_views`` words and formats
what they return; merchants never see a decision's trace. Forms carry the session's CSRF token; a filed appeal
redirects back with a notice, a refusal re-renders the page with the error in the reader's language.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.governance import console_pages
from anxin.governance import page_views as pv
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.web.auth import app_of
from anxin.web.i18n import translator
from anxin.web.merchant_nav import merchant_shops
from anxin.web.render import (
    PageRoute,
    check_csrf,
    error_status,
    error_view,
    form_str,
    lang_of,
    read_form,
    render,
    require,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
router.include_router(console_pages.router)
EVIDENCE_KINDS = ("document", "image")


def q(value: str) -> str:
    return quote(value, safe="")


# --- the merchant's shops ----------------------------------------------------------------------------------------

@router.get("/merchant/governance")
def shops(request: Request) -> Response:
    who = require(request, Role.MERCHANT)
    gov = app_of(request).governance
    t = translator(lang_of(request))
    rows = []
    for shop in merchant_shops(request, who):
        record = gov.queries.shop_record(who, shop["id"])
        totals = {p["class"]: pv.points(p["points_hundredths"], t) for p in record["points"]}
        rows.append({**shop, "url": f"/merchant/governance/{q(shop['id'])}", "points": totals,
                     "measures": len(record["measures"]), "caution": any(s["caution"] for s in record["ladder"]),
                     "violations": sum(1 for v in record["violations"] if v["state"] == "active")})
    return render(request, "governance/shops.html", {"who": who, "shops": rows,
                                                     "rulebook_version": gov.rulebook.version},
                  here="/merchant/governance")


# --- one shop's governance page ----------------------------------------------------------------------------------

def _shop_page(request: Request, who: Principal, shop_id: str, *, error: AnxinError | None = None,
               form: dict[str, str] | None = None) -> Response:
    anxin = app_of(request)
    gov = anxin.governance
    lang = lang_of(request)
    t, now = translator(lang), anxin.clock.now()
    record = gov.queries.shop_record(who, shop_id)  # someone else's shop: not found, before anything else
    names = pv.defect_names(gov.inspections.rules, lang)
    appeals = record["appeals"]
    violations = [pv.violation_view(v, t, operator=False, appeals=appeals, defect_names=names)
                  for v in record["violations"]]
    kinds = {v["id"]: v["kind_text"] for v in violations}
    appealed = request.query_params.get("appealed", "")
    filed = next((a for a in appeals if a["appeal_id"] == appealed), None)
    rules = gov.appeals.rules
    problems = error.details.get("problems") if error is not None else None
    return render(request, "governance/shop.html", {
        "who": who, "shop_id": shop_id, "shop": _shop_name(request, who, shop_id),
        "classes": pv.classes_view(record, gov.rulebook.catalogue, t, lang),
        "measures": [pv.measure_view(m, t, now) for m in record["measures"]],
        "violations": violations, "more_violations": record["more_violations"],
        "appeals": [{**pv.appeal_view(a, t, now), "kind_text": kinds.get(a["violation_id"], "")} for a in appeals],
        "can_appeal": who.role is Role.MERCHANT, "evidence_kinds": EVIDENCE_KINDS,
        "statement_min": rules.statement.min_chars, "statement_max": rules.statement.max_chars,
        "first_window_days": rules.first_window.days, "sla_hours": rules.decision_sla.hours,
        "expiry_days": record["points_expiry_days"],
        "filed": pv.appeal_view(filed, t, now) if filed else None,
        "error": error_view(error, t) if error else None,
        "problems": [str(p.get("reason")) for p in problems if isinstance(p, dict)] if isinstance(problems, list)
        else [], "form": form or {}, "rulebook_version": record["rulebook_version"]},
        status=error_status(error) if error else 200, here=f"/merchant/governance/{q(shop_id)}")


def _shop_name(request: Request, who: Principal, shop_id: str) -> str:
    if who.role is Role.MERCHANT:
        return next((s["name"] for s in merchant_shops(request, who) if s["id"] == shop_id), shop_id)
    return shop_id


@router.get("/merchant/governance/{shop_id}")
def shop(shop_id: str, request: Request) -> Response:
    return _shop_page(request, require(request, Role.MERCHANT, Role.OPERATOR), shop_id)


@router.post("/merchant/governance/{shop_id}/appeals")
async def file_appeal(shop_id: str, request: Request) -> Response:
    who = require(request, Role.MERCHANT)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    gov = app_of(request).governance
    await run_in_threadpool(gov.queries.shop_record, who, shop_id)  # someone else's shop: not found
    values = {"violation_id": form_str(form, "violation_id", max_len=64),
              "statement": form_str(form, "statement", max_len=20_000),
              "evidence": form_str(form, "evidence", max_len=5_000),
              "evidence_kind": form_str(form, "evidence_kind", max_len=16)}
    kind = values["evidence_kind"] if values["evidence_kind"] in EVIDENCE_KINDS else EVIDENCE_KINDS[0]
    refs = [line.strip() for line in values["evidence"].splitlines() if line.strip()]
    try:
        seen = await run_in_threadpool(gov.queries.violation, who, values["violation_id"])  # theirs, or not found
        if seen["shop_id"] != shop_id:
            raise AnxinError(E.VIOLATION_NOT_FOUND, "no such violation of this shop",
                             violation_id=values["violation_id"])
        out: dict[str, Any] = await run_in_threadpool(
            gov.appeals.file, who, values["violation_id"], statement=values["statement"],
            evidence=[{"kind": kind, "ref": ref} for ref in refs])
    except AnxinError as exc:
        return await run_in_threadpool(_shop_page, request, who, shop_id, error=exc, form=values)
    query = urlencode({"appealed": out["appeal_id"]})
    return RedirectResponse(f"/merchant/governance/{q(shop_id)}?{query}#appeals", status_code=303)
