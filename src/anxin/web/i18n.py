"""The pages' words, loaded from gettext catalogs each context owns, and how a request picks its language.

Every context in ``anxin.contexts.CONTEXTS`` that shows words keeps its messages in
``anxin/<context>/locale/<dir>/LC_MESSAGES/messages.po`` (the shell's own in ``anxin/web/locale``); the compiled
``.mo`` beside it is what is loaded (``python -m tools.catalogs compile``; ``make setup`` runs it). The catalogs of a
language are merged into one ``babel.support.Translations``: adding a context with a ``locale`` directory adds its
words, nothing here changes. Msgids are stable dotted keys, and families of keys follow the domain's own codes
(``state.<case state>``, ``reason.<reason>``, ``err.<error code>`` …), so a page may build a key from a code.
A missing key shows the key itself rather than failing the page. See docs/i18n.md.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from babel.core import negotiate_locale, parse_locale
from babel.support import Translations
from markupsafe import Markup, escape

from anxin.contexts import CONTEXTS
from anxin.core.money import Fen
from anxin.web import formatting

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
DOMAIN = "messages"
# Each language's catalog directory (its numbers, money and dates: ``formatting.LOCALES``).
CATALOG_DIR = {"zh-CN": "zh_CN", "en": "en"}
COMPILE_COMMAND = "python -m tools.catalogs compile"

_PACKAGE = Path(__file__).resolve().parent.parent


class CatalogsNotCompiled(RuntimeError):
    """A .po catalog has no compiled .mo beside it: the install skipped the compile step."""


def catalog_roots() -> list[Path]:
    """The ``locale`` directories: the web shell's first, then each context's in the contexts' order."""
    roots = [_PACKAGE / "web" / "locale", *(_PACKAGE / ctx.name / "locale" for ctx in CONTEXTS)]
    return [root for root in roots if root.is_dir()]


def catalog_path(root: Path, lang: str, suffix: str) -> Path:
    return root / CATALOG_DIR[lang] / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


@functools.cache
def translations(lang: str) -> Translations:
    """Every context's compiled catalog for ``lang``, merged (no context repeats another's keys; a test checks)."""
    merged: Translations | None = None
    for root in catalog_roots():
        mo = catalog_path(root, lang, "mo")
        if not mo.is_file():
            if catalog_path(root, lang, "po").is_file():
                raise CatalogsNotCompiled(f"{mo} is missing: compile the message catalogs with "
                                          f"`{COMPILE_COMMAND}` (make setup does it)")
            continue
        with mo.open("rb") as fh:
            loaded = Translations(fh, domain=DOMAIN)
        # The first catalog is the base: its header gives the merged catalog's Plural-Forms (merge keeps them).
        merged = loaded if merged is None else merged.merge(loaded)
    return merged if merged is not None else Translations(domain=DOMAIN)


class Translator:
    """``t(key, **values)``: the key's text in ``lang`` with ``{placeholders}`` filled; ``t.tn(key, n)`` for counts."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self._tr = translations(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        text = self._tr.gettext(key)
        if any(isinstance(v, Markup) for v in values.values()):  # e.g. an id in <code>: the rest is escaped
            return Markup(escape(text)).format(**values)
        return text.format(**values) if values else text

    def tn(self, key: str, n: int, **values: object) -> str:
        """The plural form of ``key`` for ``n`` (the catalog's Plural-Forms; zh has one form); ``{n}`` is ``n``."""
        return self._tr.ngettext(key, key, n).format(**{"n": n, **values})

    def actor(self, ref: str | None) -> Markup:
        """Who acted, as a person reads it: ``operator:op-7`` is the role's name with the id as code beside it,
        ``platform`` the role's name alone; a ref with no known role is shown whole as code."""
        if not ref:
            return Markup("—")
        role, _, subject = ref.partition(":")
        name = self._tr.gettext(f"role.{role}")
        if name == f"role.{role}":
            return Markup('<code class="id">{}</code>').format(ref)
        return Markup("{} <code class=\"id\">{}</code>").format(name, subject) if subject else Markup(escape(name))

    # Values written this language's way (Babel; see ``formatting``), for page code that fills placeholders.
    def money(self, amount: Fen) -> str:
        return formatting.money(amount, self.lang)

    def time(self, at: dt.datetime | None) -> str:
        return formatting.time(at, self.lang)


def translator(lang: str) -> Translator:
    return Translator(lang)


def other_lang(lang: str) -> str:
    return "en" if lang == "zh-CN" else "zh-CN"


# Babel's spelling of our languages, and back.
_CODES = {"zh_CN": "zh-CN", "en": "en"}
_LANGUAGES = {"zh": "zh-CN", "en": "en"}


def preferred(accept_language: str | None) -> list[str]:
    """An Accept-Language header's tags, most wanted first (q-values, then order); q=0 means "not this"."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag.strip() and q > 0:
            ranked.append((-q, i, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header, else zh-CN.

    Babel matches a tag exactly or by its language (en-GB → en); a bare language or a Chinese we do not have
    (zh, zh-TW, zh-Hant-HK) is served by its language: simplified characters read better than English.
    """
    for tag in preferred(accept_language):
        if tag == "*":
            return DEFAULT_LANG
        code = tag.replace("-", "_")
        found = negotiate_locale([code], list(_CODES))
        if found is not None:
            return next(lang for c, lang in _CODES.items() if c.lower() == found.lower())
        try:
            language = parse_locale(code)[0].lower()
        except ValueError:  # not a language tag
            continue
        if language in _LANGUAGES:
            return _LANGUAGES[language]
    return DEFAULT_LANG


def pick(lang: str | None) -> str | None:
    """A supported language for a query/cookie value (case-insensitive), or None."""
    if not lang:
        return None
    return next((lg for lg in LANGS if lg.lower() == lang.strip().lower()), None)
