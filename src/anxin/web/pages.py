"""Page shell: login by key (sets the session cookie), logout, the home page. Language is per request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.access.model import Principal
from anxin.core.errors import AnxinError
from anxin.web import i18n
from anxin.web import render as r
from anxin.web.auth import COOKIE, app_of, principal

router = APIRouter(include_in_schema=False, route_class=r.PageRoute)
# The page each role lands on after signing in without a ``next``.
LANDING = {"consumer": "/hall", "merchant": "/merchant/cases", "operator": "/ops/cases", "platform": "/"}
MAX_KEY = 200


def _login_form(request: Request, next_path: str, *, failed: bool = False) -> Response:
    t = i18n.translator(r.lang_of(request))
    error = {"code": "access.unauthenticated", "text": t("login.failed"), "detail": ""} if failed else None
    return r.render(request, "login.html", {"who": None, "next": next_path, "error": error},
                    status=401 if failed else 200, here="/login")


async def _sign_in(request: Request, raw: str, next_path: str) -> Response:
    try:
        who: Principal = await run_in_threadpool(app_of(request).access.authenticate, raw[:MAX_KEY])
    except AnxinError:
        return _login_form(request, next_path, failed=True)
    target = next_path if next_path != "/" else LANDING.get(who.role.value, "/")
    response = RedirectResponse(target, status_code=303)
    r.set_session(response, raw)
    picked = i18n.pick(request.query_params.get("lang"))
    if picked:  # a shared link may carry the language: /login?key=…&lang=en&next=…
        response.set_cookie(r.LANG_COOKIE, picked, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.get("/login")
async def login(request: Request, key: str = "", next: str = "/") -> Response:
    """``/login?key=…&next=/hall/orders/o1`` signs in and goes on (the demo links); no key shows the form."""
    next_path = r.safe_next(next)
    if key.strip():
        return await _sign_in(request, key.strip(), next_path)
    return _login_form(request, next_path)


@router.post("/login")
async def login_post(request: Request) -> Response:
    form = await r.read_form(request, max_files=0)
    next_path = r.safe_next(r.form_str(form, "next"))
    raw = r.form_str(form, "key", max_len=MAX_KEY)
    if not raw:
        return _login_form(request, next_path, failed=True)
    return await _sign_in(request, raw, next_path)


@router.api_route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/")
def home(request: Request) -> Response:
    who = principal(request)
    return r.render(request, "home.html", {"who": who})
