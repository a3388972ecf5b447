"""The creator's pages: home, selection pool, own reputation score (the score pages live with scoring, at
``/creator/score``); and the operators' worry-free overview (``/ops/worry-free``: the programme's order metrics).

Thin: the pool and the metrics come from ``SelectionPool`` and ``ProgrammeMetricsReader`` with the signed-in
principal. The form takes yuan and percent (what people type) and hands fen and basis points to the pool.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.routing import Match

from anxin.core.errors import AnxinError
from anxin.core.principal import Role
from anxin.web import formatting
from anxin.web.i18n import Translator, translator
from anxin.web.paging import decode_cursor, encode_cursor, scope_of
from anxin.web.render import PageRoute, error_view, lang_of, render, require
from anxin.worryfree.metrics import BETTER, GROUPS, METRICS, ProgrammeMetrics
from anxin.worryfree.pool import PoolItem
from anxin.worryfree.pool_api import metrics_of, pool_of
from anxin.worryfree.pool_error_codes import PoolErrorCode as E
from anxin.worryfree.pool_filters import SORTS, PoolFilter

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE = 20
_AMOUNT = re.compile(r"^\d{1,10}(?:\.\d{1,2})?$")


def _hundredths(text: str, field: str) -> int | None:
    """'12.5' -> 1250: yuan to fen, or percent to basis points; '' -> None."""
    text = text.strip()
    if not text:
        return None
    if not _AMOUNT.match(text):
        raise AnxinError(E.INVALID_FILTER, f"{field} must be a number with at most two decimals", field=field)
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def metrics_view(m: ProgrammeMetrics, t: Translator) -> dict[str, Any]:
    rows = []
    for name in METRICS:
        cells = []
        for g in GROUPS:
            r = m.groups[g].rates[name]
            d = r.as_dict()
            cells.append({"group": g, "percent": d["percent"] or "—",
                          "counts": t("wfp.m.counts", num=r.num, den=r.den)})
        rows.append({"id": name, "name": t(f"wfp.m.{name}"), "hint": t(f"wfp.m.{name}.hint"),
                     "better": t(f"wfp.better.{BETTER[name]}"), "cells": cells})
    return {"rows": rows, "groups": [{"id": g, "name": t(f"wfp.group.{g}"), "orders": m.groups[g].orders}
                                     for g in GROUPS],
            "period": t("wfp.m.period", since=formatting.time(m.since, t.lang), until=formatting.time(m.until, t.lang)),
            "version": m.as_dict()["version"]}


def _metrics(request: Request, who: Any, t: Translator) -> dict[str, Any]:
    return metrics_view(metrics_of(request).metrics(who), t)


def served(request: Request, path: str) -> bool:
    """Whether the app answers GET ``path`` (another part's page may not be deployed)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "query_string": b"", "headers": []}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)


@router.get("/creator")
def creator_home(request: Request) -> Response:
    who = require(request, Role.CREATOR)
    t = translator(lang_of(request))
    # Invitations (matchmaking) and lucky bags are other parts' pages: linked once the app serves them.
    links = [{"href": href, "id": key, "text": t(f"wfp.nav.{key}"), "hint": t(f"wfp.home.{key}")}
             for key, href in (("pool", "/creator/pool"), ("score", "/creator/score"),
                               ("invitations", "/creator/invitations"), ("lucky_bags", "/creator/lucky-bags"))
             if served(request, href)]
    return render(request, "worryfree/creator_home.html", {"who": who, "links": links})


def _item_view(item: PoolItem, lang: str) -> dict[str, Any]:
    c = item.candidate
    key = "zh-CN" if lang.startswith("zh") else "en"
    return {"listing_id": c.listing_id, "title": c.title, "shop": c.shop_name, "shop_id": c.shop_id,
            "category_id": c.category_id, "price": formatting.money(c.price_fen, lang),
            "worry_free": c.worry_free,
            "badges": [{"code": b.code, "kind": b.code.split(".")[0], "label": b.label[key],
                        "explanation": b.explanation[key], "rule_id": b.rule_id, "version": b.rulebook_version}
                       for b in item.badges]}


@router.get("/creator/pool")
def creator_pool(request: Request, category_id: str = "", price_min: str = "", price_max: str = "",
                 min_commission: str = "", guarantee: str = "", score_band: str = "", worry_free: str = "",
                 sort: str = "listing", cursor: str = "") -> Response:
    """The selection pool: the filter form, the listings with their badges, and the programme's metrics."""
    who = require(request, Role.CREATOR, Role.OPERATOR)
    lang = lang_of(request)
    t = translator(lang)
    pool = pool_of(request)
    form = {"category_id": category_id[:64], "price_min": price_min[:16], "price_max": price_max[:16],
            "min_commission": min_commission[:8], "guarantee": guarantee[:64], "score_band": score_band[:32],
            "worry_free": worry_free if worry_free in ("yes", "no") else "",
            "sort": sort if sort in SORTS else "listing"}
    error, items, next_url = None, [], ""
    try:
        f = PoolFilter(form["category_id"] or None, _hundredths(form["price_min"], "price_min_fen"),
                       _hundredths(form["price_max"], "price_max_fen"),
                       _hundredths(form["min_commission"], "min_commission_bp"), form["guarantee"] or None,
                       form["score_band"] or None, {"yes": True, "no": False}.get(form["worry_free"]), form["sort"])
        scope = scope_of("worryfree.pool.page", *f.scope())
        after = decode_cursor(cursor[:512] or None, scope=scope, shape=(int, str))
        page = pool.search(who, f, after=(int(after[0]), str(after[1])) if after else None, limit=PAGE)
        items = [_item_view(i, lang) for i in page.items]
        if page.next_key is not None:
            next_url = "/creator/pool?" + urlencode({**{k: v for k, v in form.items() if v},
                                                    "cursor": encode_cursor(page.next_key, scope=scope)})
    except AnxinError as exc:
        error = error_view(exc, t)
    names = pool.service_names()
    name_key = "zh-CN" if lang.startswith("zh") else "en"
    return render(request, "worryfree/creator_pool.html", {
        "who": who, "form": form, "items": items, "next_url": next_url, "error": error,
        "services": [{"id": s, "text": names.get(s, {}).get(name_key, s)} for s in pool.services()],
        "bands": [{"id": b, "text": pool.bands.band_label(b, lang)} for b in pool.bands.bands()],
        "sorts": [{"id": s, "text": t(f"wfp.sort.{s}")} for s in SORTS],
        "metrics": _metrics(request, who, t)})


@router.get("/ops/worry-free")
def ops_worry_free(request: Request) -> Response:
    """The operators' overview of the programme: worry-free vs other orders over the last 30 days."""
    who = require(request, Role.OPERATOR)
    t = translator(lang_of(request))
    return render(request, "worryfree/ops_worry_free.html", {
        "who": who, "metrics": _metrics(request, who, t)})
