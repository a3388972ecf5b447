"""Worry-free pages: the merchant's enrolment and tag page; the other slices' page routers are added to it.

``/merchant/worry-free``: each of the merchant's shops with its score band and listings: enrolment state, the tag
(since when, and why: the reasons as labels with their rule ids), the last change, warehouse stock; a form to enrol a
listing and one to withdraw it. Thin: the use cases are ``worryfree.enrolment.Enrolments``. A refusal re-renders
the page with the error and the reasons; a form that worked redirects back (post/redirect/get)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.web.auth import app_of
from anxin.web.i18n import Translator, translator
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
from anxin.worryfree.enrolment import Enrolments

router = APIRouter(include_in_schema=False, route_class=PageRoute)

from anxin.worryfree import creator_pages, inspection_pages, lucky_bag_pages  # noqa: E402

router.include_router(inspection_pages.router)
router.include_router(lucky_bag_pages.router)
router.include_router(creator_pages.router)

HERE = "/merchant/worry-free"


def _enrolments(request: Request) -> Enrolments:
    found: Enrolments = app_of(request).wf_enrolments
    return found


def _label(t: Translator, prefix: str, code: str | None) -> str:
    if not code:
        return ""
    text = t(f"{prefix}.{code}")
    return code if text == f"{prefix}.{code}" else text


def _reasons(t: Translator, codes: list[str], rule_ids: list[str], version: str | None) -> list[dict[str, Any]]:
    """Each reason with the rule that gave it (a decision lists them pairwise: what failed with the failed rule
    ids, what was met with the rule ids checked); the version is shown once on the page."""
    paired = len(codes) == len(rule_ids)
    return [{"code": c, "text": _label(t, "wf.reason", c), "rule": rule_ids[i] if paired else ", ".join(rule_ids),
             "version": None} for i, c in enumerate(codes)]


def _instant(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _row(r: dict[str, Any], t: Translator) -> dict[str, Any]:
    e, tag, last = r["enrolment"], r["tag"], r["last_change"]
    state = e["state"] if e else "none"
    tagged = bool(tag and tag["tagged"])
    return {**r, "state": state, "state_label": _label(t, "wf.state", state), "tagged": tagged,
            "tag_label": t("wf.tag.on") if tagged else t("wf.tag.off"),
            "since": _instant(tag["since"]) if tag else None,
            "reasons": (_reasons(t, tag["reasons"], tag["failed_rule_ids"] or tag["rule_ids"],
                                 tag["rulebook_version"]) if tag and state == "active" else
                        _reasons(t, e["reasons"], e["failed_rule_ids"], e["rulebook_version"])
                        if e and state == "refused" else []),
            "last": {"change_label": _label(t, "wf.change", last["change"]), "change": last["change"],
                     "at": _instant(last["at"]), "trigger_label": _label(t, "wf.trigger", last["trigger"])}
            if last else None,
            "can_enrol": state in ("none", "refused", "withdrawn"), "can_withdraw": state == "active"}


def _page(request: Request, who: Principal, *, error: AnxinError | None = None,
          refused: dict[str, Any] | None = None) -> Response:
    t = translator(lang_of(request))
    enrolments = _enrolments(request)
    shops = [{**s, "band_label": _label(t, "wf.band", s["score_band"]),
              "listings": [_row(r, t) for r in s["listings"]]} for s in enrolments.overview(who)]
    notice = {"enrolled": "wf.notice.enrolled", "already": "wf.notice.already",
              "withdrawn": "wf.notice.withdrawn"}.get(request.query_params.get("done", ""))
    rules = enrolments.rules
    return render(request, "worryfree/merchant_worry_free.html", {
        "who": who, "shops": shops, "notice": t(notice) if notice else "",
        "error": error_view(error, t) if error else None, "refused": refused,
        "thresholds": {"ship_rate": f"{rules.tag.ship_rate.min_bp / 100:g}",
                       "complaint_rate": f"{rules.tag.complaint_rate.max_bp / 100:g}",
                       "min_orders": rules.tag.window.min_orders, "days": rules.tag.window.days,
                       "band": _label(t, "wf.band", rules.tag.score_band.min_band),
                       "enrol_band": _label(t, "wf.band", rules.enrolment.score_band.min_band),
                       "severe_days": rules.enrolment.severe_violations.within_days},
        "upgrades": [u.text.zh_cn if lang_of(request).startswith("zh") else u.text.en for u in rules.upgrades],
        "version": rules.version}, status=error_status(error) if error else 200, here=HERE)


@router.get(HERE)
def merchant_worry_free(request: Request) -> Response:
    return _page(request, require(request, Role.MERCHANT))


@router.post(f"{HERE}/enrolments")
async def enrol(request: Request) -> Response:
    who = require(request, Role.MERCHANT)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    listing_id = form_str(form, "listing_id", max_len=64)
    try:
        _, decided = await run_in_threadpool(_enrolments(request).enrol, who, listing_id)
    except AnxinError as exc:
        t = translator(lang_of(request))
        details = exc.details
        refused = {"listing_id": listing_id, "reasons": _reasons(
            t, list(details.get("reasons", [])), list(details.get("failed_rule_ids", [])),
            details.get("rulebook_version"))} if details.get("reasons") else None
        return await run_in_threadpool(_page, request, who, error=exc, refused=refused)
    return RedirectResponse(f"{HERE}?done={'enrolled' if decided else 'already'}#l-{quote(listing_id, safe='')}",
                            status_code=303)


@router.post(HERE + "/enrolments/{listing_id}/withdraw")
async def withdraw(listing_id: str, request: Request) -> Response:
    who = require(request, Role.MERCHANT)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    try:
        await run_in_threadpool(_enrolments(request).withdraw, who, listing_id)
    except AnxinError as exc:
        return await run_in_threadpool(_page, request, who, error=exc)
    return RedirectResponse(f"{HERE}?done=withdrawn", status_code=303)
