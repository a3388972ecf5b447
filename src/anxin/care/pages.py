"""Customer-care pages (server-rendered, zh-CN and en): the consumer's consultations and conversation view here; the
merchant's CS inbox (``inbox_pages``) and the operators' CS console (``console_pages``) in their own modules,
included below.

Thin: every read and write goes through ``Anxin.care`` with the signed-in principal, so isolation is the use cases'
own (someone else's consultation or ticket is simply not found). Forms carry the session's CSRF token, and the
client ids that make a double submit harmless (a consultation id and a message id minted when the form is drawn).
A refused form re-renders its page with the error; a form that worked redirects back (post/redirect/get).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.care import console_pages, inbox_pages
from anxin.care import page_views as pv
from anxin.care.error_codes import CareErrorCode as E
from anxin.care.page_actions import (
    MAX_TEXT,
    care_of,
    consultation_body,
    message_body,
    new_id,
    rating_body,
    transition_body,
)
from anxin.care.page_queries import consultations_of
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.orders import service as orders
from anxin.shops import service as shops
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

router = APIRouter(include_in_schema=False, route_class=PageRoute)
router.include_router(inbox_pages.router)
router.include_router(console_pages.router)
q = pv.q


# --- the consumer's consultations --------------------------------------------------------------------------------

def _order_choices(request: Request, who: Principal, t: Translator) -> list[dict[str, str]]:
    with app_of(request).uow_factory() as uow:  # the consumer's own orders: a read, by subject
        mine = orders.orders_of_consumer(uow, who.subject)
        names = {sid: (s.name if (s := shops.get_shop(uow, sid)) else sid) for sid in {o.shop_id for o in mine}}
    return [{"id": o.order_id, "label": t("cw.open.order_label", shop=names[o.shop_id], order=o.order_id,
                                          at=t.time(o.paid_at))} for o in mine]


def _mine(request: Request, who: Principal, *, error: AnxinError | None = None,
          form: dict[str, str] | None = None) -> Response:
    t = translator(lang_of(request))
    items = consultations_of(app_of(request).uow_factory, who, limit=100)
    picked = request.query_params.get("order_id", "")[:64]
    return render(request, "care/consultations.html", {
        "who": who, "items": [pv.consultation_row(c, t) for c in items],
        "orders": _order_choices(request, who, t), "topics": pv.choices(t, "cw.topic", pv.CONSUMER_TOPICS),
        "form": form or {"consultation_id": new_id("cn"), "order_id": picked, "topic": "", "text": ""},
        "max_text": MAX_TEXT, "error": error_view(error, t) if error else None},
        status=error_status(error) if error else 200, here="/care")


@router.get("/care")
def my_consultations(request: Request) -> Response:
    return _mine(request, require(request, Role.CONSUMER))


@router.post("/care/consultations")
async def open_consultation(request: Request) -> Response:
    who = require(request, Role.CONSUMER)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    values = {k: form_str(form, k, max_len=MAX_TEXT if k == "text" else 64)
              for k in ("consultation_id", "order_id", "topic", "text")}
    values["consultation_id"] = values["consultation_id"] or new_id("cn")
    try:
        opened = await run_in_threadpool(care_of(request).consultations.open, who,
                                         consultation_body(values, channel="consumer"))
    except AnxinError as exc:
        return await run_in_threadpool(_mine, request, who, error=exc, form=values)
    cid = q(str(opened["consultation"]["consultation_id"]))
    return RedirectResponse(f"/care/consultations/{cid}?opened=1", status_code=303)


def _conversation(request: Request, who: Principal, consultation_id: str, *,
                  error: AnxinError | None = None) -> Response:
    care = care_of(request)
    t, now = translator(lang_of(request)), app_of(request).clock.now()
    found = care.consultations.get(who, consultation_id)  # someone else's: not found
    ticket = found["ticket"]
    detail = care.queries.ticket(who, ticket["ticket_id"]) if ticket else None
    view = pv.consultation_view(found["consultation"], t, operator=False)
    notice = ""
    if request.query_params.get("opened"):
        notice = t("cw.notice.opened_answered") if view["answer"] else t("cw.notice.opened")
    elif request.query_params.get("rated"):
        notice = t("cw.notice.rated")
    messages = (detail or found)["messages"]
    shown = [pv.message_view(m, t, me="consumer") for m in messages]
    if not any(m["role"] == "consumer" for m in shown):  # the question as asked (platform chats post it apart)
        shown.insert(0, {"id": None, "role": "consumer", "role_text": pv.label(t, "cw.author", "consumer"),
                         "text": view["text"], "at": view["opened_at"], "mine": True})
    return render(request, "care/conversation.html", {
        "who": who, "c": view, "messages": shown, "notice": notice,
        "ticket": pv.consumer_ticket(ticket, detail["ratings"] if detail else [], now, care.policy, t)
        if ticket else None,
        "can_follow_up": ticket is None and view["routed"],
        "timeline": pv.timeline_view(detail["timeline"] if detail else (), t),
        "message_id": new_id("msg"), "max_text": MAX_TEXT, "error": error_view(error, t) if error else None},
        status=error_status(error) if error else 200, here=f"/care/consultations/{q(consultation_id)}")


@router.get("/care/consultations/{consultation_id}")
def conversation(consultation_id: str, request: Request) -> Response:
    return _conversation(request, require(request, Role.CONSUMER), consultation_id)


def _act(request: Request, who: Principal, consultation_id: str, act: str, form: Any) -> str:
    """Do what the form asks on the consultation's ticket; the query to redirect back with."""
    care = care_of(request)
    if act == "messages":  # on its ticket, or a follow-up on a case / parcel answer (which opens one)
        care.consultations.post_message(who, consultation_id, message_body(form))
        return ""
    ticket = care.consultations.get(who, consultation_id)["ticket"]
    if ticket is None:
        raise AnxinError(E.NOT_RATEABLE if act == "satisfaction" else E.ILLEGAL_TRANSITION,
                         "this consultation was answered without a ticket")
    if act == "transitions":
        care.tickets.transition(who, ticket["ticket_id"], transition_body(form))
        return ""
    care.tickets.rate(who, ticket["ticket_id"], rating_body(form))
    return "?rated=1"


async def _consumer_post(request: Request, consultation_id: str, act: str) -> Response:
    who = require(request, Role.CONSUMER)
    form = await read_form(request, max_files=0)
    check_csrf(request, form)
    await run_in_threadpool(care_of(request).consultations.get, who, consultation_id)  # someone else's: not found
    try:
        suffix = await run_in_threadpool(_act, request, who, consultation_id, act, form)
    except AnxinError as exc:
        return await run_in_threadpool(_conversation, request, who, consultation_id, error=exc)
    return RedirectResponse(f"/care/consultations/{q(consultation_id)}{suffix}", status_code=303)


@router.post("/care/consultations/{consultation_id}/messages")
async def consumer_reply(consultation_id: str, request: Request) -> Response:
    return await _consumer_post(request, consultation_id, "messages")


@router.post("/care/consultations/{consultation_id}/transitions")
async def consumer_transition(consultation_id: str, request: Request) -> Response:
    return await _consumer_post(request, consultation_id, "transitions")


@router.post("/care/consultations/{consultation_id}/satisfaction")
async def consumer_rating(consultation_id: str, request: Request) -> Response:
    return await _consumer_post(request, consultation_id, "satisfaction")
