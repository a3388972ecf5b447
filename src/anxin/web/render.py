"""What every page shares: templates, language, the session, form tokens, formatting, error pages.

Pages raise ``AnxinError`` like the API does; ``PageRoute`` turns it into a page instead of JSON:
a login redirect when nobody is signed in, otherwise an error page with the code and its 4xx status.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

from anxin.access.error_codes import AccessErrorCode as A
from anxin.access.service import require_role
from anxin.contexts import template_dirs
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.web import formatting, i18n
from anxin.web.auth import COOKIE, app_of, page_principal, session_token
from anxin.web.error_codes import WebErrorCode as W
from anxin.web.errors import HTTP_STATUS

LANG_COOKIE = "anxin_lang"
CSRF_FIELD = "csrf"
SHANGHAI = formatting.SHANGHAI

# The shell's own templates (base, macros, error, login, home) by name; each context's from its own package under
# its name (``anxin/risk/templates/queue.html`` is ``risk/queue.html``), found through the list of contexts.
_loader = ChoiceLoader([FileSystemLoader(Path(__file__).parent / "templates"),
                        PrefixLoader({name: FileSystemLoader(path) for name, path in template_dirs().items()})])
_env = Environment(loader=_loader,
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                   extensions=["jinja2.ext.i18n"])
templates = Jinja2Templates(env=_env)


# --- formatting ------------------------------------------------------------------------------------

def fmt_time(at: dt.datetime | None, lang: str = i18n.DEFAULT_LANG) -> str:
    return formatting.time(at, lang)


def fmt_left(delta: dt.timedelta, t: i18n.Translator) -> str:
    """A coarse, readable span: minutes under an hour, hours under two days, then days and hours."""
    minutes = max(0, int(abs(delta.total_seconds()) // 60))
    if minutes < 60:
        return t("left.minutes", m=minutes)
    hours = minutes // 60
    if hours < 48:
        return t("left.hours", h=hours)
    return t("left.days", d=hours // 24, h=hours % 24)


def progress(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime) -> dict[str, Any] | None:
    """How much of a window or deadline has gone, for the deadline bar (level picks its colour)."""
    if start is None or end is None or end <= start:
        return None
    used = (now - start) / (end - start)
    pct = max(0, min(100, round(used * 100)))
    level = "over" if now >= end else "late" if used >= 0.8 else "mid" if used >= 0.5 else "ok"
    return {"pct": pct, "level": level}


def fmt_value(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- per-request language in the shared environment ------------------------------------------------
# The environment serves every request, so nothing language-specific is installed in it: the filters and the
# gettext callables read the ``lang`` render() puts in each template's context.

def _lang(context: Context) -> str:
    lang = context.get("lang")
    return lang if isinstance(lang, str) else i18n.DEFAULT_LANG


@pass_context
def _money(context: Context, amount: int) -> str:
    return formatting.money(amount, _lang(context))


@pass_context
def _time(context: Context, at: dt.datetime | None) -> str:
    return formatting.time(at, _lang(context))


@pass_context
def _date(context: Context, day: dt.date | None) -> str:
    return formatting.date(day, _lang(context))


@pass_context
def _number(context: Context, value: float, digits: int | None = None) -> str:
    return formatting.number(value, _lang(context), digits=digits)


@pass_context
def _percent(context: Context, fraction: float, digits: int = 1) -> str:
    return formatting.percent(fraction, _lang(context), digits=digits)


@pass_context
def _gettext(context: Context, key: str, **values: object) -> str:
    return i18n.translator(_lang(context))(key, **values)


@pass_context
def _ngettext(context: Context, key: str, _plural: str, n: int, **values: object) -> str:
    return i18n.translator(_lang(context)).tn(key, n, **values)


@pass_context
def _actor(context: Context, ref: str | None) -> Markup:
    return i18n.translator(_lang(context)).actor(ref)


_env.filters.update(actor=_actor, money=_money, time=_time, date=_date, number=_number, percent=_percent,
                    value=fmt_value)
# `{% trans %}` blocks, `_(key, **values)` and `ngettext(key, key, n, **values)`: brace placeholders, as t().
_env.install_gettext_callables(_gettext, _ngettext, newstyle=False)  # type: ignore[attr-defined]


# --- language, session, form token -----------------------------------------------------------------

def lang_of(request: Request) -> str:
    return (i18n.pick(request.query_params.get("lang")) or i18n.pick(request.cookies.get(LANG_COOKIE))
            or i18n.negotiate(request.headers.get("accept-language")))


def current(request: Request) -> Principal | None:
    try:
        return page_principal(request)
    except AnxinError:
        return None


def require(request: Request, *roles: Role) -> Principal:
    """The signed-in principal with one of ``roles``; raises (login redirect or 403 page) otherwise."""
    return require_role(page_principal(request), *roles)


def csrf_token(raw: str | None) -> str:
    """HMAC of the session token: a page from this session can post, a foreign site cannot know it."""
    if not raw:
        return ""
    return hmac.new(raw.encode(), b"anxin-page-form", hashlib.sha256).hexdigest()[:32]


def check_csrf(request: Request, form: FormData) -> None:
    # A bearer header is never sent by a browser on its own, so only cookie sessions need the token.
    if request.headers.get("authorization"):
        return
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(session_token(request))):
        raise AnxinError(W.FORM_TOKEN_INVALID, i18n.translator(lang_of(request))("form.csrf"), field=CSRF_FIELD)


async def read_form(request: Request, *, max_files: int = 10) -> FormData:
    try:
        return await request.form(max_files=max_files, max_fields=50)
    except StarletteHTTPException as exc:  # a malformed multipart body
        raise AnxinError(W.INVALID_REQUEST, str(exc.detail)) from None


def form_str(form: FormData, name: str, *, max_len: int = 2000) -> str:
    value = form.get(name)
    if isinstance(value, str) and "\x00" in value:  # a multipart field; url-encoded bodies are checked before
        raise AnxinError(W.NUL_CHARACTER, "a form field holds a NUL character", field=name)
    return value.strip()[:max_len] if isinstance(value, str) else ""


def safe_next(target: str | None) -> str:
    """Only local paths: never a scheme, a host, or a protocol-relative '//' (open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = here if request.method == "GET" else "/"
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


# --- rendering -------------------------------------------------------------------------------------

def render(request: Request, name: str, context: Mapping[str, Any], *, status: int = 200,
           here: str | None = None) -> Response:
    """Render with what every page needs; ``here`` is the GET address of the page (for the switcher)."""
    lang = lang_of(request)
    who = context["who"] if "who" in context else current(request)
    params = {k: v for k, v in request.query_params.items() if k != "lang"} if here is None else {}
    switch = (here or request.url.path) + "?" + urlencode({**params, "lang": i18n.other_lang(lang)})
    anxin = app_of(request)
    t = i18n.translator(lang)
    ctx = {"request": request, "lang": lang, "t": t, "tn": t.tn, "who": who, "switch_url": switch,
           "csrf": csrf_token(session_token(request)), "now": anxin.clock.now(), **context}
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    picked = i18n.pick(request.query_params.get("lang"))
    if picked:
        response.set_cookie(LANG_COOKIE, picked, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def error_status(exc: AnxinError) -> int:
    return HTTP_STATUS.get(exc.code, 400)


def error_view(exc: AnxinError, t: i18n.Translator) -> dict[str, str]:
    code = exc.code.value
    text = t(f"err.{code}")
    return {"code": code, "text": exc.message if text == f"err.{code}" else text, "detail": exc.message}


def error_page(request: Request, exc: AnxinError) -> Response:
    if exc.code is A.UNAUTHENTICATED:
        return login_redirect(request)
    t = i18n.translator(lang_of(request))
    return render(request, "error.html", {"error": error_view(exc, t)}, status=error_status(exc), here="/")


class PageRoute(APIRoute):
    """Routes whose failures are pages: errors with their code and 4xx status, never JSON or a 500."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except AnxinError as exc:
                return error_page(request, exc)
            except RequestValidationError:
                return error_page(request, AnxinError(W.INVALID_REQUEST, "the request does not match the page"))
        return page


def set_session(response: Response, token: str) -> None:
    # httpOnly: scripts never see the token; Lax: other sites' forms do not carry it. The token is a session
    # (ended by signing out), never the API key itself.
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", path="/", max_age=7 * 24 * 3600)
