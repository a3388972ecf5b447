"""The message catalogs as the tests read them: straight from the .po sources (what translators edit)."""

from __future__ import annotations

import functools
import string
from pathlib import Path

from babel.messages.pofile import read_po

from anxin.web import i18n


def po_path(root: Path, lang: str) -> Path:
    return i18n.catalog_path(root, lang, "po")


@functools.cache
def entries(lang: str) -> dict[str, tuple[str, ...]]:
    """msgid → its forms (one for a plain message, Plural-Forms' count for a plural one), every context merged."""
    out: dict[str, tuple[str, ...]] = {}
    for root in i18n.catalog_roots():
        with po_path(root, lang).open("rb") as fh:
            catalog = read_po(fh)
        for msg in catalog:
            if not msg.id:
                continue
            key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
            assert key not in out, f"{key} is in two catalogs"
            out[key] = tuple(msg.string) if isinstance(msg.string, tuple | list) else (msg.string,)
    return out


def plural_keys(lang: str = "en") -> set[str]:
    return {k for root in i18n.catalog_roots() for k in _plural_ids(po_path(root, lang))}


def _plural_ids(path: Path) -> set[str]:
    with path.open("rb") as fh:
        return {m.id[0] for m in read_po(fh) if isinstance(m.id, tuple)}


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


# The first form of every message, for "is this key there" and "is this text on the page" checks.
ZH = {k: forms[0] for k, forms in entries("zh-CN").items()}
EN = {k: forms[0] for k, forms in entries("en").items()}


def reason_texts(*families: str) -> dict[str, dict[str, str]]:
    """The merchants' reason templates from the catalogs (``mc.reason.<code>``), of the given code families
    (``"deposit"``, ``"trial"`` …): ``{code: {"zh-CN": …, "en": …}}``, the shape ``merchants.reasons.render`` reads."""
    out: dict[str, dict[str, str]] = {}
    for lang in ("zh-CN", "en"):
        for key, forms in entries(lang).items():
            code = key.removeprefix("mc.reason.")
            if code != key and code.split(".")[0] in families:
                out.setdefault(code, {})[lang] = forms[0]
    return out
