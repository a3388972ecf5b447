"""The gettext catalogs: complete in both languages, every key the code uses present, plurals, formatting,
language negotiation, and each context's catalog found from the list of contexts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from tests.catalogs import entries, fields, plural_keys
from tools import catalogs as compile_tool

from anxin.contexts import CONTEXTS
from anxin.web import formatting, i18n
from anxin.web.render import _env

SRC = Path(i18n.__file__).resolve().parents[1]


def test_every_message_is_translated_in_both_languages_with_the_same_placeholders() -> None:
    zh, en = entries("zh-CN"), entries("en")
    assert sorted(set(zh) ^ set(en)) == []
    assert sorted(k for k in en if not all(s.strip() for s in (*zh[k], *en[k]))) == []  # untranslated ids
    assert sorted(k for k in en if len({frozenset(fields(s)) for s in (*zh[k], *en[k])}) != 1) == []


def test_plural_messages_have_the_forms_each_language_needs() -> None:
    assert plural_keys("en") == plural_keys("zh-CN") and plural_keys("en")
    zh, en = entries("zh-CN"), entries("en")
    assert all(len(en[k]) == 2 and len(zh[k]) == 1 for k in plural_keys("en"))


def test_every_catalog_belongs_to_a_listed_context_and_comes_in_both_languages() -> None:
    on_disk = {p.parent.name for p in SRC.glob("*/locale")}
    assert on_disk <= {"web"} | {c.name for c in CONTEXTS}, "a locale directory outside a context is never loaded"
    roots = i18n.catalog_roots()
    assert {r.parent.name for r in roots} == on_disk and roots[0].parent.name == "web"
    assert all(i18n.catalog_path(r, lang, "po").is_file() for r in roots for lang in i18n.LANGS)


def test_the_compiled_catalogs_match_their_sources() -> None:
    assert compile_tool.run(check=True) == [], "run: python -m tools.catalogs compile"


def test_a_missing_compiled_catalog_names_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    po = tmp_path / "web" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "a"\nmsgstr "b"\n', "utf-8")
    monkeypatch.setattr(i18n, "_PACKAGE", tmp_path)
    i18n.translations.cache_clear()
    try:
        with pytest.raises(i18n.CatalogsNotCompiled, match=re.escape(i18n.COMPILE_COMMAND)):
            i18n.translations("en")
    finally:
        i18n.translations.cache_clear()


# t("key"), t("key", x=…), tn("key", n), t.tn("key", n), _("key"), {% trans %}key{% endtrans %}: literal keys only
# (a key built from a code, t("state." ~ s), is a family: the coverage tests check those against the codes).
SINGULAR = re.compile(r"""(?<![\w.])(?:t|_|gettext)\(\s*["']([a-z][\w.]*\w)["']\s*[,)]|{% trans %}([a-z][\w.]*\w){%""")
PLURAL = re.compile(r"""(?<![\w])(?:t\.tn|tn|ngettext)\(\s*["']([a-z][\w.]*\w)["']\s*,""")


def _used(pattern: re.Pattern[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in [*SRC.rglob("*.py"), *SRC.rglob("*.html")]:
        for match in pattern.finditer(path.read_text("utf-8")):
            found.setdefault(next(g for g in match.groups() if g), str(path.relative_to(SRC)))
    return found


def test_every_literal_key_in_the_code_and_templates_is_in_the_catalogs() -> None:
    singular, plural = _used(SINGULAR), _used(PLURAL)
    assert len(singular) > 500 and plural  # the scan finds the keys
    en, plurals = entries("en"), plural_keys("en")
    assert sorted(f"{k} ({where})" for k, where in singular.items() if k not in en or k in plurals) == []
    assert sorted(f"{k} ({where})" for k, where in plural.items() if k not in plurals) == []


def test_plural_forms_follow_each_language() -> None:
    en, zh = i18n.translator("en"), i18n.translator("zh-CN")
    assert [en.tn("ff.days", n) for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
    assert [zh.tn("ff.days", n) for n in (0, 1, 2)] == ["0 天", "1 天", "2 天"]  # nplurals=1
    assert en.tn("ebasis.lane", 1) == "From 1 parcel on the same route"
    assert en.tn("hall.not_applicable", 3) == "Guarantees that do not apply (3)"


def test_templates_translate_per_request_through_the_shared_environment() -> None:
    page = _env.from_string('{% trans %}hall.title{% endtrans %}|{{ _("mc.of.term", days=3) }}|'
                            '{{ ngettext("ff.days", "ff.days", 1) }}|{{ 12345|money }}')
    assert page.render(lang="en") == "Service Guarantee Hall|3-day term|1 day|CN¥123.45"
    assert page.render(lang="zh-CN") == "服务保障大厅|期限 3 天|1 天|¥123.45"


def test_an_unknown_key_shows_as_itself() -> None:
    assert i18n.translator("en")("no.such.key") == "no.such.key"


@pytest.mark.parametrize(("lang", "fen", "text"), [
    ("zh-CN", 123450, "¥1,234.50"), ("en", 123450, "CN¥1,234.50"), ("zh-CN", -5, "-¥0.05"), ("en", 0, "CN¥0.00"),
    ("zh-CN", 10**12, "¥10,000,000,000.00")])
def test_money_is_written_exactly_in_the_locale(lang: str, fen: int, text: str) -> None:
    assert formatting.money(fen, lang) == text


def test_numbers_percentages_and_times_in_both_locales() -> None:
    at = dt.datetime(2026, 3, 1, 16, 5, tzinfo=dt.UTC)
    assert formatting.time(at, "en") == formatting.time(at, "zh-CN") == "2026-03-02 00:05 +08:00"
    assert formatting.time(None, "en") == "—"
    assert formatting.date(at, "zh-CN") == "2026年3月2日" and formatting.date(at, "en") == "Mar 2, 2026"
    assert formatting.number(12345.678, "en", digits=1) == "12,345.7" == formatting.number(12345.678, "zh-CN", digits=1)
    assert formatting.percent(0.125, "en") == "12.5%" == formatting.percent(0.125, "zh-CN")


@pytest.mark.parametrize(("header", "lang"), [
    ("en-US,en;q=0.9", "en"), ("en-GB", "en"), ("EN", "en"), ("zh-TW", "zh-CN"), ("zh-Hant-HK", "zh-CN"),
    ("zh", "zh-CN"), ("fr, zh-TW;q=0.5", "zh-CN"), ("fr, en;q=0.5", "en"), ("", "zh-CN"), (None, "zh-CN"),
    ("de", "zh-CN"), ("*", "zh-CN"), ("en;q=0, zh;q=0.1", "zh-CN"), ("zh;q=0.2, en;q=0.8", "en"),
    ("en;q=abc", "zh-CN"), ("en;q=0", "zh-CN"), ("x-klingon, en", "en"), ("en ; q=0.5, zh ; q=0.6", "zh-CN")])
def test_accept_language(header: str | None, lang: str) -> None:
    assert i18n.negotiate(header) == lang


@pytest.mark.parametrize(("value", "lang"), [("en", "en"), ("ZH-cn", "zh-CN"), (" en ", "en"), ("fr", None),
                                            ("", None), (None, None)])
def test_pick_takes_only_our_languages(value: str | None, lang: str | None) -> None:
    assert i18n.pick(value) == lang
