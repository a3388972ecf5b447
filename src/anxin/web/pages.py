"""Page shell: sign in (a key posted by the login form, or a one-time login link), sign out, the home page.

Keys never travel in URLs: the form posts them, and ``anxin keys login-link`` / ``anxin demo`` print links
carrying a one-time token that expires. Both give the browser a session cookie, never the key itself.
Language is per request. Signing in and out answer only posts from this site: there is no session yet to bind a
form token to, so the browser's ``Origin`` / ``Sec-Fetch-Site`` headers tell a foreign page's post (login CSRF:
signing a victim into the attacker's account) from ours.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from anxin.access.error_codes import AccessErrorCode as A
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.web import i18n
from anxin.web import render as r
from anxin.web.auth import COOKIE, app_of, client_of, page_principal, session_token
from anxin.web.error_codes import WebErrorCode as W

router = APIRouter(include_in_schema=False, route_class=r.PageRoute)
# The page each role lands on after signing in without a ``next``.
LANDING = {"consumer": "/hall", "merchant": "/merchant/cases", "operator": "/ops/cases", "platform": "/",
           "creator": "/creator"}
MAX_KEY = 200
MAX_TOKEN = 100


def _login_form(request: Request, next_path: str, *, error: AnxinError | None = None) -> Response:
    t = i18n.translator(r.lang_of(request))
    view = None
    if error is not None:
        view = r.error_view(error, t) if error.code is not A.UNAUTHENTICATED else \
            {"code": error.code.value, "text": t("login.failed"), "detail": ""}
    status = 200 if error is None else r.error_status(error)
    response = r.render(request, "login.html", {"who": None, "next": next_path, "error": view},
                        status=status, here="/login")
    if error is not None and error.code is A.TOO_MANY_ATTEMPTS:
        response.headers["Retry-After"] = str(error.details.get("retry_after", 60))
    return response


async def _sign_in(request: Request, exchange: Callable[[], tuple[Principal, str]], next_path: str) -> Response:
    try:
        who, token = await run_in_threadpool(exchange)
    except AnxinError as exc:
        return _login_form(request, next_path, error=exc)
    target = next_path if next_path != "/" else LANDING.get(who.role.value, "/")
    response = RedirectResponse(target, status_code=303)
    r.set_session(response, token)
    picked = i18n.pick(request.query_params.get("lang"))
    if picked:  # a shared link may carry the language: /login/link?token=…&lang=en&next=…
        response.set_cookie(r.LANG_COOKIE, picked, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


@router.get("/login")
async def login(request: Request, next: str = "/") -> Response:
    """The login form. A ``key`` in the address is ignored: keys are posted, never put in links."""
    return _login_form(request, r.safe_next(next))


def from_this_site(request: Request) -> bool:
    """False for a browser's post from another site. ``Sec-Fetch-Site`` decides where the browser sends it (every
    current one does); otherwise ``Origin``, unless it is ``null`` (our pages' no-referrer policy makes a browser
    send that for its own posts too). Clients that send neither (curl, tests) are not browsers a foreign page can
    drive, so they pass."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _foreign_post(request: Request) -> AnxinError:
    return AnxinError(W.FORM_TOKEN_INVALID, i18n.translator(r.lang_of(request))("form.csrf"), field="origin")


@router.post("/login")
async def login_post(request: Request) -> Response:
    form = await r.read_form(request, max_files=0)
    next_path = r.safe_next(r.form_str(form, "next"))
    if not from_this_site(request):
        return _login_form(request, next_path, error=_foreign_post(request))
    raw = r.form_str(form, "key", max_len=MAX_KEY)
    if not raw:
        return _login_form(request, next_path, error=AnxinError(A.UNAUTHENTICATED, "an API key is required"))
    access = app_of(request).access
    return await _sign_in(request, lambda: access.sign_in(raw, client=client_of(request)), next_path)


@router.get("/login/link")
async def login_link(request: Request, token: str = "", next: str = "/") -> Response:
    """``/login/link?token=axl_…&next=/hall/orders/o1``: a one-time link; used once, then it is invalid."""
    access = app_of(request).access
    return await _sign_in(request, lambda: access.redeem_login_link(token[:MAX_TOKEN], client=client_of(request)),
                          r.safe_next(next))


@router.post("/logout")
def logout(request: Request) -> Response:
    """A post only: a link or an image on another site cannot sign anyone out."""
    if not from_this_site(request):
        raise _foreign_post(request)
    token = session_token(request)
    if token:
        app_of(request).access.end_session(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/evidence/{sha256}")
def evidence(sha256: str, request: Request) -> Response:
    """Evidence images for the pages' thumbnails: the session's twin of ``GET /v1/evidence/{sha256}`` (the API
    takes bearer keys only), with the same visibility rules."""
    who = page_principal(request)
    found = app_of(request).aftersales.evidence_file(who, sha256[:64])
    if found is None:
        raise AnxinError(E.NO_SUCH_EVIDENCE, "no such evidence")
    return Response(found[0], media_type=found[1], headers={"Cache-Control": "private, max-age=86400"})


@router.get("/")
def home(request: Request) -> Response:
    who = page_principal(request)
    return r.render(request, "home.html", {"who": who})
