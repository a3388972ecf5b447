"""Pages of lucky bags for creators, shops and operators: ``/creator/lucky-bags`` (a creator's bags) and
``/merchant/lucky-bags`` (the bags of a merchant's shops), each with a detail page showing the draw's audit: the
seed's commitment and, once drawn, the seed, the entrants' digest, every entrant's chance and the winners with
their prize orders. Operators may open either."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from anxin.core.principal import Principal, Role
from anxin.web.auth import app_of
from anxin.web.i18n import translator
from anxin.web.render import PageRoute, lang_of, render, require
from anxin.worryfree.lucky_bag_rules import ENTRY_REASONS

router = APIRouter(include_in_schema=False, route_class=PageRoute)
BASES = {"creator": "/creator/lucky-bags", "merchant": "/merchant/lucky-bags"}
STATES = ("open", "drawn", "cancelled")


def _labelled(bag: dict[str, Any], t: Any) -> dict[str, Any]:
    return {**bag, "state_label": t(f"lb.state.{bag['state']}") if bag["state"] in STATES else bag["state"]}


def _list(request: Request, who: Principal, section: str) -> Response:
    t = translator(lang_of(request))
    bags = [_labelled(b, t) for b in app_of(request).lucky_bags.list(who, limit=100)]
    return render(request, "worryfree/lucky_bags.html", {"who": who, "section": section, "bags": bags,
                                                          "base": BASES[section]})


def _detail(request: Request, who: Principal, section: str, bag_id: str) -> Response:
    t = translator(lang_of(request))
    svc = app_of(request).lucky_bags
    bag = _labelled(svc.get(who, bag_id), t)
    entries = svc.entries(who, bag_id, limit=500)
    for e in entries:
        e["reason_labels"] = [t(f"lb.reason.{r}") if r in ENTRY_REASONS else r for r in e["reasons"]]
    audit = bag.get("audit") or {}
    chances = [{**c, "won": c["position"] <= len(audit.get("winners", []))} for c in audit.get("chances", [])]
    return render(request, "worryfree/lucky_bag.html", {"who": who, "section": section, "bag": bag,
                                                         "entries": entries, "audit": audit, "chances": chances,
                                                         "base": BASES[section]})


@router.get("/creator/lucky-bags")
def creator_bags(request: Request) -> Response:
    return _list(request, require(request, Role.CREATOR, Role.OPERATOR), "creator")


@router.get("/creator/lucky-bags/{bag_id}")
def creator_bag(request: Request, bag_id: str) -> Response:
    return _detail(request, require(request, Role.CREATOR, Role.OPERATOR), "creator", bag_id)


@router.get("/merchant/lucky-bags")
def merchant_bags(request: Request) -> Response:
    return _list(request, require(request, Role.MERCHANT, Role.OPERATOR), "merchant")


@router.get("/merchant/lucky-bags/{bag_id}")
def merchant_bag(request: Request, bag_id: str) -> Response:
    return _detail(request, require(request, Role.MERCHANT, Role.OPERATOR), "merchant", bag_id)
