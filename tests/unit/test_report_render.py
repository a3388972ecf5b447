"""The report written for people: units the reader's way in zh-CN and en, the change's arrow coloured by whether
the figure moved the better way, months as words, the standalone document linking to nothing, the figures that
cannot be computed listed with why, and report periods read strictly."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from markupsafe import escape
from tests.report_samples import figure, sample_report

from anxin.core.errors import AnxinError
from anxin.reports import rendering
from anxin.reports.definition import FIGURES, UNSUPPORTED
from anxin.reports.periods import Period, last_complete, parse_period, periods
from anxin.reports.render_html import change_view, document, month_name, report_view, value_text
from anxin.web.i18n import translator

ZH, EN = translator("zh-CN"), translator("en")


@pytest.mark.parametrize(("value", "unit", "zh", "en"), [
    (1_234_550, "fen", "¥12,345.50", "CN¥12,345.50"),
    (7, "fen", "¥0.07", "CN¥0.07"),
    (0.8742, "share", "87.4%", "87.4%"),
    (1.0, "share", "100.0%", "100.0%"),
    (21.5, "hours", "21.5 小时", "21.5 h"),
    (12345, "count", "12,345", "12,345"),
    (4.62, "score", "4.62", "4.62"),
    (2.35, "per_1000_orders", "每千单 2.35", "2.35 per 1,000 orders"),
    (None, "share", "—", "—"),
])
def test_each_unit_is_written_the_readers_way(value, unit: str, zh: str, en: str) -> None:
    assert (value_text(value, unit, ZH), value_text(value, unit, EN)) == (zh, en)


@pytest.mark.parametrize(("value", "compare", "better", "cls", "arrow", "text"), [
    (31, 150, "down", "good", "▼", "−79.3%"),  # fewer malicious users: better
    (31, 150, "up", "bad", "▼", "−79.3%"),
    (0.87, 0.81, "up", "good", "▲", "+7.4%"),
    (0.87, 0.81, "down", "bad", "▲", "+7.4%"),
    (4.62, 4.62, "up", "flat", "=", "0.0%"),
    (None, 40.0, "down", "none", "", "—"),
    (0.12, 0.0, "up", "good", "▲", "—"),  # from zero: no relative change, the direction still shows
])
def test_the_arrow_points_the_way_it_moved_and_is_coloured_by_better(value, compare, better, cls, arrow,
                                                                     text) -> None:
    view = change_view(figure("f", value, compare, "count", better), EN)
    assert (view["cls"], view["arrow"], view["text"]) == (cls, arrow, text)


def test_shares_and_hours_also_give_the_difference_in_points_and_hours() -> None:
    assert change_view(figure("r", 0.8742, 0.8123, "share", "up"), ZH)["delta"] == "+6.2 个百分点"
    assert change_view(figure("h", 21.5, 31.5, "hours", "down"), EN)["delta"] == "−10.0 h"
    assert change_view(figure("c", 10, 5, "count", "up"), EN)["delta"] == ""


def test_months_are_words() -> None:
    assert (month_name("2026-11", "zh-CN"), month_name("2026-11", "en")) == ("2026年11月", "November 2026")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_standalone_document_links_to_nothing_and_carries_everything(lang: str) -> None:
    report = sample_report()
    html = document(report, lang)
    assert html.startswith("<!doctype html>") and f'<html lang="{lang}">' in html
    assert not re.search(r"<(?:link|script|img|iframe)\b|\b(?:href|src)=|@import|url\(", html)
    t = translator(lang)
    for f in report.figures:
        assert f'data-figure="{f.key}"' in html
        definition = FIGURES[f.key].zh if lang == "zh-CN" else FIGURES[f.key].en
        assert escape(t(f"rp.fig.{f.key}")) in html and escape(definition) in html
    assert html.count("<svg") == sum(1 for f in report.figures if f.series or (
        f.value is not None and f.compare is not None))
    assert report.fingerprint in html and "care-2026.12" in html and report.report_id in html
    # Why a figure is not computed reads in the page's language: a figure anxin cannot compute, missing care facts.
    scraping = UNSUPPORTED["credential_scraping_rate"]
    assert escape(scraping.zh if lang == "zh-CN" else scraping.en) in html
    assert ("满意度" if lang == "zh-CN" else "publishes no satisfaction facts") in html
    assert t("rp.title.period", period=month_name("2026-11", lang)) in html


def test_a_figure_the_catalog_does_not_know_shows_its_key_as_code() -> None:
    report = sample_report()
    odd = type(report)(**{**report.__dict__, "figures": (figure("brand_new_figure", 3, 2, "count", "up"),)})
    view = report_view(odd, "en")
    assert view["figures"][0]["name"] is None and view["figures"][0]["definition"] is None
    assert "<code>brand_new_figure</code>" in document(odd, "en")


def test_a_report_without_comparison_shows_no_change_column() -> None:
    html = document(sample_report(compare=None), "en")
    assert 'data-testid="change"' not in html and "November 2026" in html


def test_json_is_the_reports_value_and_files_are_named_by_period() -> None:
    report = sample_report()
    done = rendering.render(report, "json", "zh-CN")
    assert json.loads(done.body) == json.loads(json.dumps(report.as_dict()))
    assert done.filename == "anxin-service-report-2026-11-vs-2026-10.json" and done.media_type == "application/json"
    html = rendering.render(report, "HTML ", "en")
    assert html.media_type.startswith("text/html") and html.body.decode().startswith("<!doctype html>")
    with pytest.raises(AnxinError) as err:
        rendering.check_format("docx")
    assert err.value.code.value == "reports.invalid_format"


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "2026-11-01", " x",
                                  "1999-12", "２０２６-11", "2026-W00", "2026-W54", "2025-W53", "2026-w48", "2026W48"])
def test_a_period_is_a_month_written_yyyy_mm_or_an_iso_week(text: str) -> None:
    with pytest.raises(AnxinError) as err:
        parse_period(text)
    assert err.value.code.value == "reports.invalid_period" and err.value.details == {"field": "period"}


def test_the_comparison_defaults_to_the_month_before_and_must_differ() -> None:
    assert periods("2026-01", None) == (Period(2026, 1), Period(2025, 12))
    assert periods(" 2026-11 ", "2025-11") == (Period(2026, 11), Period(2025, 11))
    with pytest.raises(AnxinError) as err:
        periods("2026-11", "2026-11")
    assert err.value.details == {"field": "compare"}
    with pytest.raises(AnxinError):
        periods("2026-11", "Oct")
    assert Period(2024, 2).days == 29 and str(Period(2026, 3)) == "2026-03"
    import datetime as dt

    assert last_complete(dt.date(2026, 1, 1)) == Period(2025, 12)


@pytest.mark.parametrize(("text", "first", "days", "before"), [
    ("2026-W48", dt.date(2026, 11, 23), 7, "2026-W47"),
    ("2026-W01", dt.date(2025, 12, 29), 7, "2025-W52"),  # ISO week 1 of 2026 begins in 2025
    ("2020-W53", dt.date(2020, 12, 28), 7, "2020-W52"),  # 2020 has 53 weeks
    ("2021-W01", dt.date(2021, 1, 4), 7, "2020-W53"),
    ("2026-11", dt.date(2026, 11, 1), 30, "2026-10"),
    ("2026-01", dt.date(2026, 1, 1), 31, "2025-12"),
])
def test_weeks_and_months_have_beijing_bounds_and_a_period_before(text: str, first: dt.date, days: int,
                                                                  before: str) -> None:
    p = parse_period(text)
    assert (p.first, p.days, p.previous().label, p.label) == (first, days, before, text)
    # Bounds are Beijing midnights: 16:00 UTC the day before.
    assert p.start == dt.datetime.combine(first - dt.timedelta(days=1), dt.time(16), tzinfo=dt.UTC)
    assert p.end - p.start == dt.timedelta(days=days)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_figure_anxin_computes_or_names_as_not_computable_has_a_name(lang: str) -> None:
    t = translator(lang)
    assert [k for k in (*FIGURES, *UNSUPPORTED) if t(f"rp.fig.{k}") == f"rp.fig.{k}"] == []
